//! The CloudTrail record and the redaction that keeps secrets out of it.
//!
//! Field names and shapes follow the AWS CloudTrail user guide ("CloudTrail
//! record contents", "userIdentity element") and the KMS developer guide's
//! Encrypt/Decrypt/GenerateDataKey log examples, so tools written against real
//! CloudTrail read these records unchanged.

use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The CloudTrail event format version these records follow.
pub const EVENT_VERSION: &str = "1.11";

/// The marker CloudTrail itself writes in place of values it will not log.
pub const REDACTED: &str = "HIDDEN_DUE_TO_SECURITY_REASONS";

/// Keys whose values never reach disk, whatever the server passes.
///
/// Matched case-insensitively at any depth, because AWS APIs spell request
/// members in PascalCase (`Plaintext`) while CloudTrail's `requestParameters`
/// use camelCase (`plaintext`); a near-miss in spelling must not leak a secret.
/// Servers add service-specific keys through [`RedactedJson::new`].
pub const DEFAULT_SENSITIVE_KEYS: &[&str] = &[
    "Plaintext",
    "CiphertextBlob",
    "CiphertextForRecipient",
    "SecretString",
    "SecretBinary",
    "Password",
    "NewPassword",
    "OldPassword",
    "SecretAccessKey",
    "SessionToken",
    "PrivateKeyPlaintext",
    "KeyMaterial",
    "EncryptedKeyMaterial",
    "ImportToken",
    "Message",
];

/// Replaces the value of every listed key, at any depth (inside objects and
/// arrays), with [`REDACTED`].
///
/// Keys match ASCII case-insensitively. The walk uses an explicit stack so a
/// deeply nested value cannot overflow the call stack.
pub fn redact(params: &mut Value, sensitive_keys: &[&str]) {
    let mut stack: Vec<&mut Value> = vec![params];
    while let Some(value) = stack.pop() {
        match value {
            Value::Object(map) => {
                for (key, child) in map.iter_mut() {
                    if sensitive_keys.iter().any(|s| s.eq_ignore_ascii_case(key)) {
                        *child = Value::String(REDACTED.to_owned());
                    } else {
                        stack.push(child);
                    }
                }
            }
            Value::Array(items) => stack.extend(items.iter_mut()),
            _ => {}
        }
    }
}

/// A JSON body (request parameters, response elements, additional data) that
/// has been through [`redact`].
///
/// The inner value is private and the only constructors redact, so code that
/// builds an [`Event`] cannot hand a raw request body to the log by accident:
/// [`DEFAULT_SENSITIVE_KEYS`] are always removed, and the server names any
/// further keys. Deserializing also re-applies the default redaction, so even
/// a value read back from elsewhere cannot smuggle those keys in.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct RedactedJson(Value);

impl RedactedJson {
    /// Redacts [`DEFAULT_SENSITIVE_KEYS`] and `extra_sensitive_keys` from
    /// `value` and wraps the result.
    #[must_use]
    pub fn new(mut value: Value, extra_sensitive_keys: &[&str]) -> Self {
        redact(&mut value, DEFAULT_SENSITIVE_KEYS);
        redact(&mut value, extra_sensitive_keys);
        RedactedJson(value)
    }

    /// The redacted value.
    #[must_use]
    pub fn as_value(&self) -> &Value {
        &self.0
    }

    /// Unwraps the redacted value.
    #[must_use]
    pub fn into_value(self) -> Value {
        self.0
    }
}

impl RedactedJson {
    /// Parses an AWS JSON request body into CloudTrail's `requestParameters`:
    /// member names in camelCase (`KeyId` → `keyId`) except the keys of
    /// `map_members`' values, which are the caller's data (an encryption
    /// context) and stay as written; and the values of [`DEFAULT_SENSITIVE_KEYS`]
    /// and `extra_sensitive_keys` replaced by [`REDACTED`] as they are read — a
    /// plaintext is skipped over, never copied into the event. `None` when the
    /// body is not a JSON object.
    #[must_use]
    pub fn from_request_body(
        body: &[u8],
        extra_sensitive_keys: &[&str],
        map_members: &[&str],
    ) -> Option<Self> {
        use serde::de::DeserializeSeed;
        let seed = RedactingSeed {
            extra: extra_sensitive_keys,
            map_members,
            keys_are_data: false,
        };
        let mut de = serde_json::Deserializer::from_slice(body);
        let value = seed.deserialize(&mut de).ok()?;
        de.end().ok()?;
        value.is_object().then_some(RedactedJson(value))
    }
}

fn is_sensitive(key: &str, extra: &[&str]) -> bool {
    DEFAULT_SENSITIVE_KEYS
        .iter()
        .chain(extra)
        .any(|s| s.eq_ignore_ascii_case(key))
}

/// `KeyId` → `keyId`, as CloudTrail spells request members.
fn camel_case_key(key: String) -> String {
    match key.as_bytes().first() {
        Some(first) if first.is_ascii_uppercase() => {
            let mut key = key;
            key.get_mut(..1).map(str::make_ascii_lowercase);
            key
        }
        Some(first) if !first.is_ascii() => {
            let mut chars = key.chars();
            chars.next().map_or(String::new(), |c| {
                c.to_lowercase().chain(chars).collect::<String>()
            })
        }
        _ => key,
    }
}

/// Deserializes any JSON value, camelCasing object keys and redacting sensitive
/// members without materializing them.
#[derive(Clone, Copy)]
struct RedactingSeed<'a> {
    extra: &'a [&'a str],
    map_members: &'a [&'a str],
    /// This value is a map member's: its keys are kept as written.
    keys_are_data: bool,
}

impl<'de> serde::de::DeserializeSeed<'de> for RedactingSeed<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for RedactingSeed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        let element = RedactingSeed {
            keys_are_data: false,
            ..self
        };
        while let Some(item) = seq.next_element_seed(element)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = if is_sensitive(&key, self.extra) {
                map.next_value::<serde::de::IgnoredAny>()?;
                Value::String(REDACTED.to_owned())
            } else {
                map.next_value_seed(RedactingSeed {
                    keys_are_data: !self.keys_are_data && self.map_members.contains(&key.as_str()),
                    ..self
                })?
            };
            let key = if self.keys_are_data {
                key
            } else {
                camel_case_key(key)
            };
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}

impl<'de> Deserialize<'de> for RedactedJson {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Value::deserialize(deserializer).map(|v| RedactedJson::new(v, &[]))
    }
}

/// Formats a time the way CloudTrail does: UTC, whole seconds,
/// `2026-11-26T10:00:00Z`.
#[must_use]
pub fn format_time(t: OffsetDateTime) -> String {
    // `checked_`: converting an extreme offset to UTC can leave the supported
    // date range, and formatting must never panic on hostile input.
    let t = t.checked_to_offset(time::UtcOffset::UTC).unwrap_or(t);
    let year = t.year();
    if !(0..=9999).contains(&year) {
        return format!(
            "{year:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        );
    }
    // Every audit event formats its time: digits by hand, not through `format!`.
    let mut out = String::with_capacity(20);
    let digits = |out: &mut String, n: u32, width: u32| {
        for i in (0..width).rev() {
            let d = (n / 10u32.pow(i)) % 10;
            out.push(char::from(b'0' + u8::try_from(d).unwrap_or(0)));
        }
    };
    digits(&mut out, year.unsigned_abs(), 4);
    out.push('-');
    digits(&mut out, u32::from(u8::from(t.month())), 2);
    out.push('-');
    digits(&mut out, u32::from(t.day()), 2);
    out.push('T');
    digits(&mut out, u32::from(t.hour()), 2);
    out.push(':');
    digits(&mut out, u32::from(t.minute()), 2);
    out.push(':');
    digits(&mut out, u32::from(t.second()), 2);
    out.push('Z');
    out
}

/// Parses an RFC 3339 time and normalizes it to UTC.
pub(crate) fn parse_time(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339)
        .ok()
        .and_then(|t| t.checked_to_offset(time::UtcOffset::UTC))
}

/// Current UTC time truncated to whole seconds, the precision CloudTrail logs.
pub(crate) fn now_seconds() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(0).unwrap_or(now)
}

/// serde adapter: [`OffsetDateTime`] as a CloudTrail timestamp string.
mod ct_time {
    use super::*;

    pub(super) fn serialize<S: Serializer>(t: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_time(*t))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<OffsetDateTime, D::Error> {
        let s = String::deserialize(d)?;
        parse_time(&s).ok_or_else(|| serde::de::Error::custom(format!("bad RFC 3339 time {s:?}")))
    }
}

/// serde adapter: `bool` as CloudTrail's `"true"`/`"false"` strings
/// (`mfaAuthenticated` is a string in real records).
mod bool_string {
    use super::*;

    pub(super) fn serialize<S: Serializer>(b: &bool, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(if *b { "true" } else { "false" })
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        match Value::deserialize(d)? {
            Value::Bool(b) => Ok(b),
            Value::String(s) if s == "true" => Ok(true),
            Value::String(s) if s == "false" => Ok(false),
            other => Err(serde::de::Error::custom(format!(
                "expected \"true\" or \"false\", got {other}"
            ))),
        }
    }
}

/// The kind of principal that made the request (`userIdentity.type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum IdentityType {
    /// The account root user.
    Root,
    /// An IAM user with long-term credentials.
    #[serde(rename = "IAMUser")]
    IamUser,
    /// Temporary credentials from `sts:AssumeRole*`.
    AssumedRole,
    /// Temporary credentials from `sts:GetFederationToken`.
    FederatedUser,
    /// A service acting on its own behalf.
    #[serde(rename = "AWSService")]
    AwsService,
    /// Another account.
    #[serde(rename = "AWSAccount")]
    AwsAccount,
    /// The caller could not be identified (e.g. a failed signature check).
    Unknown,
}

/// `userIdentity`: who made the request. Absent fields are omitted, as in
/// CloudTrail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserIdentity {
    /// Kind of principal.
    #[serde(rename = "type")]
    pub identity_type: IdentityType,
    /// Unique principal id (`AIDA…`, `AROA…:session`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal_id: Option<String>,
    /// Principal ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// Account that owns the principal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// Access key id used to sign the request (never the secret key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_key_id: Option<String>,
    /// Friendly name of an IAM user or the root account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    /// Present for temporary credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_context: Option<SessionContext>,
    /// Service that made the call on the principal's behalf.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoked_by: Option<String>,
}

impl UserIdentity {
    /// An identity with only its type set; fill the rest as known.
    #[must_use]
    pub fn new(identity_type: IdentityType) -> Self {
        UserIdentity {
            identity_type,
            principal_id: None,
            arn: None,
            account_id: None,
            access_key_id: None,
            user_name: None,
            session_context: None,
            invoked_by: None,
        }
    }
}

/// `userIdentity.sessionContext`: how temporary credentials were obtained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionContext {
    /// The role or user whose credentials issued the session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_issuer: Option<SessionIssuer>,
    /// When the session was created and whether MFA was used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<SessionAttributes>,
}

/// `sessionContext.sessionIssuer`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionIssuer {
    /// `"Role"` or `"IAMUser"`.
    #[serde(rename = "type")]
    pub issuer_type: String,
    /// Issuer's principal id.
    pub principal_id: String,
    /// Issuer's ARN.
    pub arn: String,
    /// Issuer's account.
    pub account_id: String,
    /// Role or user name.
    pub user_name: String,
}

/// `sessionContext.attributes`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionAttributes {
    /// When the temporary credentials were issued.
    #[serde(with = "ct_time")]
    pub creation_date: OffsetDateTime,
    /// Whether the session was MFA-authenticated; written as the string
    /// `"true"`/`"false"` like CloudTrail.
    #[serde(with = "bool_string")]
    pub mfa_authenticated: bool,
}

/// One entry of `resources`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    /// Resource ARN.
    #[serde(rename = "ARN")]
    pub arn: String,
    /// Owning account.
    #[serde(rename = "accountId", default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// CloudFormation-style type, e.g. `AWS::KMS::Key`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
}

/// `tlsDetails`: the TLS session the request arrived on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TlsDetails {
    /// e.g. `TLSv1.3`.
    pub tls_version: String,
    /// e.g. `TLS_AES_256_GCM_SHA384`.
    pub cipher_suite: String,
    /// The Host header the client sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_provided_host_header: Option<String>,
}

/// One CloudTrail record: one API request served by mlguard.
///
/// Field order matches CloudTrail's documented examples. `requestParameters`
/// and `responseElements` are always present (possibly `null`), as in
/// CloudTrail; the other optional members are omitted when `None`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// Record format version, [`EVENT_VERSION`].
    pub event_version: String,
    /// Who made the request.
    pub user_identity: UserIdentity,
    /// When the request completed, UTC, whole seconds.
    #[serde(with = "ct_time")]
    pub event_time: OffsetDateTime,
    /// Service endpoint, e.g. `kms.amazonaws.com`.
    pub event_source: String,
    /// API action, e.g. `Encrypt`.
    pub event_name: String,
    /// Region the request was made to.
    pub aws_region: String,
    /// Caller's IP address.
    #[serde(rename = "sourceIPAddress")]
    pub source_ip_address: String,
    /// Caller's User-Agent header.
    pub user_agent: String,
    /// AWS error code, for failed requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// Error message, for failed requests. The server must not echo request
    /// values into it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// Redacted request parameters, or `null`.
    pub request_parameters: Option<RedactedJson>,
    /// Redacted response elements, or `null` (CloudTrail logs `null` for
    /// read-only calls).
    pub response_elements: Option<RedactedJson>,
    /// Service-specific extra data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_event_data: Option<RedactedJson>,
    /// The request id returned to the caller.
    #[serde(rename = "requestID")]
    pub request_id: String,
    /// Unique id of this record (UUID v4).
    #[serde(rename = "eventID")]
    pub event_id: String,
    /// Whether the action only reads.
    pub read_only: bool,
    /// Resources the request acted on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<Vec<Resource>>,
    /// Always `AwsApiCall` for API requests.
    pub event_type: String,
    /// Always `true`: every mlguard action is a management event.
    pub management_event: bool,
    /// Account that receives the record.
    pub recipient_account_id: String,
    /// Always `Management`.
    pub event_category: String,
    /// TLS session details, when the request came over TLS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_details: Option<TlsDetails>,
}

impl Event {
    /// A management `AwsApiCall` event stamped now, with fresh `eventID` and
    /// `requestID` and the recipient account taken from the identity.
    /// Callers then set the request-specific fields.
    #[must_use]
    pub fn new(
        event_source: &str,
        event_name: &str,
        aws_region: &str,
        user_identity: UserIdentity,
    ) -> Self {
        let recipient_account_id = user_identity.account_id.clone().unwrap_or_default();
        Event {
            event_version: EVENT_VERSION.to_owned(),
            user_identity,
            event_time: now_seconds(),
            event_source: event_source.to_owned(),
            event_name: event_name.to_owned(),
            aws_region: aws_region.to_owned(),
            source_ip_address: String::new(),
            user_agent: String::new(),
            error_code: None,
            error_message: None,
            request_parameters: None,
            response_elements: None,
            additional_event_data: None,
            request_id: new_uuid(),
            event_id: new_uuid(),
            read_only: false,
            resources: None,
            event_type: "AwsApiCall".to_owned(),
            management_event: true,
            recipient_account_id,
            event_category: "Management".to_owned(),
            tls_details: None,
        }
    }
}

/// A random (v4) UUID string.
///
/// If the system RNG fails (it practically never does), falls back to a
/// value derived from the clock and a process counter: still unique, and the
/// audit log must not stop because an id could not be random.
pub(crate) fn new_uuid() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    if let Ok(id) = mlguard_crypto::random::id_uuid() {
        return id;
    }
    let nanos = OffsetDateTime::now_utc().unix_timestamp_nanos();
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut seed = nanos.to_le_bytes().to_vec();
    seed.extend_from_slice(&count.to_le_bytes());
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &seed);
    let mut b = [0u8; 16];
    for (dst, src) in b.iter_mut().zip(d.as_ref()) {
        *dst = *src;
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    mlguard_crypto::random::format_uuid(&b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn format_time_matches_rfc3339_at_second_precision() {
        use time::format_description::well_known::Rfc3339;
        for unix in [
            0i64,
            1,
            59,
            86_399,
            951_782_400,
            1_795_000_000,
            253_402_300_799,
        ] {
            let t = OffsetDateTime::from_unix_timestamp(unix).unwrap();
            assert_eq!(format_time(t), t.format(&Rfc3339).unwrap(), "{unix}");
        }
        let offset = time::UtcOffset::from_hms(5, 30, 0).unwrap();
        let t = OffsetDateTime::from_unix_timestamp(1_795_000_000)
            .unwrap()
            .to_offset(offset);
        assert_eq!(format_time(t), "2026-11-18T11:06:40Z");
        let early = OffsetDateTime::from_unix_timestamp(-62_000_000_000).unwrap();
        assert_eq!(format_time(early), "0005-04-19T09:46:40Z");
    }

    #[test]
    fn request_body_is_camel_cased_and_redacted_in_one_pass() {
        let body = br#"{"KeyId":"alias/k","Plaintext":"c2VjcmV0","EncryptionContext":{"Department":"IT","Plaintext":"x"},
            "Tags":[{"TagKey":"Team","TagValue":"ml"}],"Nested":{"Inner":{"Password":"p"}},"Limit":5,"DryRun":false,"N":null,"F":1.5,
            "Extra":"e"}"#;
        let r = RedactedJson::from_request_body(body, &["Extra"], &["EncryptionContext"]).unwrap();
        assert_eq!(
            r.as_value(),
            &json!({
                "keyId": "alias/k",
                "plaintext": REDACTED,
                "encryptionContext": {"Department": "IT", "Plaintext": REDACTED},
                "tags": [{"tagKey": "Team", "tagValue": "ml"}],
                "nested": {"inner": {"password": REDACTED}},
                "limit": 5,
                "dryRun": false,
                "n": null,
                "f": 1.5,
                "extra": REDACTED,
            })
        );
        // Agrees with parse-then-redact on the redaction.
        let slow = RedactedJson::new(serde_json::from_slice(body).unwrap(), &["Extra"]);
        assert_eq!(slow.as_value()["Plaintext"], json!(REDACTED));
        assert_eq!(slow.as_value()["Extra"], json!(REDACTED));
        assert!(
            !serde_json::to_string(r.as_value())
                .unwrap()
                .contains("c2VjcmV0")
        );
    }

    #[test]
    fn request_body_that_is_not_an_object_is_dropped() {
        for body in [&b"[1,2]"[..], b"\"s\"", b"{", b"{} x", b"", b"{\"a\":1}{}"] {
            assert!(
                RedactedJson::from_request_body(body, &[], &[]).is_none(),
                "{body:?}"
            );
        }
        assert!(RedactedJson::from_request_body(b"{}", &[], &[]).is_some());
        // Deep nesting is refused, not a stack overflow.
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(RedactedJson::from_request_body(deep.as_bytes(), &[], &[]).is_none());
    }

    #[test]
    fn redact_any_depth_case_insensitive() {
        let mut v = json!({
            "keyId": "alias/x",
            "plaintext": "c2VjcmV0",
            "nested": {"list": [{"SecretString": "hunter2"}, {"ok": 1}]},
            "Custom": {"deep": true}
        });
        redact(&mut v, &["Plaintext", "SecretString", "custom"]);
        assert_eq!(
            v,
            json!({
                "keyId": "alias/x",
                "plaintext": REDACTED,
                "nested": {"list": [{"SecretString": REDACTED}, {"ok": 1}]},
                "Custom": REDACTED
            })
        );
    }

    #[test]
    fn redacted_json_always_applies_defaults() {
        let r = RedactedJson::new(json!({"Plaintext": "x", "Extra": "y"}), &["extra"]);
        assert_eq!(
            r.as_value(),
            &json!({"Plaintext": REDACTED, "Extra": REDACTED})
        );
        let back: RedactedJson = serde_json::from_str(r#"{"SecretBinary":"AAAA"}"#).unwrap();
        assert_eq!(back.as_value(), &json!({"SecretBinary": REDACTED}));
    }

    #[test]
    fn uuid_shape() {
        let u = new_uuid();
        assert_eq!(u.len(), 36);
        assert_eq!(u.as_bytes()[14], b'4');
        assert_ne!(u, new_uuid());
    }

    #[test]
    fn matches_cloudtrail_kms_encrypt_shape() {
        let mut identity = UserIdentity::new(IdentityType::IamUser);
        identity.principal_id = Some("EX_PRINCIPAL_ID".into());
        identity.arn = Some("arn:aws:iam::111122223333:user/Alice".into());
        identity.account_id = Some("111122223333".into());
        identity.access_key_id = Some("EXAMPLE_KEY_ID".into());
        identity.user_name = Some("Alice".into());
        let mut e = Event::new("kms.amazonaws.com", "Encrypt", "us-east-1", identity);
        e.event_time = parse_time("2025-05-20T20:46:16Z").unwrap();
        e.source_ip_address = "192.0.2.0".into();
        e.user_agent = "AWS Internal".into();
        e.request_parameters = Some(RedactedJson::new(
            json!({"encryptionContext": {"Department": "Engineering"},
                   "keyId": "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                   "encryptionAlgorithm": "SYMMETRIC_DEFAULT",
                   "plaintext": "c2VjcmV0"}),
            &[],
        ));
        e.request_id = "f3423043-63bc-11e4-bc2b-4198b6150d5c".into();
        e.event_id = "91235988-eb87-476a-ac2c-0cdc244e6dca".into();
        e.read_only = true;
        e.resources = Some(vec![Resource {
            arn: "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
                .into(),
            account_id: Some("111122223333".into()),
            resource_type: None,
        }]);
        e.tls_details = Some(TlsDetails {
            tls_version: "TLSv1.3".into(),
            cipher_suite: "TLS_AES_256_GCM_SHA384".into(),
            client_provided_host_header: Some("kms.us-east-1.amazonaws.com".into()),
        });
        let v = serde_json::to_value(&e).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        for k in [
            "eventVersion",
            "userIdentity",
            "eventTime",
            "eventSource",
            "eventName",
            "awsRegion",
            "sourceIPAddress",
            "userAgent",
            "requestParameters",
            "responseElements",
            "requestID",
            "eventID",
            "readOnly",
            "resources",
            "eventType",
            "managementEvent",
            "recipientAccountId",
            "eventCategory",
            "tlsDetails",
        ] {
            assert!(keys.contains(&k), "missing {k}");
        }
        assert!(!keys.contains(&"errorCode"));
        assert_eq!(v["eventTime"], "2025-05-20T20:46:16Z");
        assert_eq!(v["eventVersion"], "1.11");
        assert_eq!(v["responseElements"], Value::Null);
        assert_eq!(v["requestParameters"]["plaintext"], REDACTED);
        assert_eq!(v["userIdentity"]["type"], "IAMUser");
        assert!(v["resources"][0].get("type").is_none());
        assert_eq!(v["resources"][0]["accountId"], "111122223333");
        assert_eq!(
            v["tlsDetails"]["clientProvidedHostHeader"],
            "kms.us-east-1.amazonaws.com"
        );
        let back: Event = serde_json::from_value(v).unwrap();
        assert_eq!(back, e);
    }

    #[test]
    fn assumed_role_session_context_shape() {
        let mut id = UserIdentity::new(IdentityType::AssumedRole);
        id.session_context = Some(SessionContext {
            session_issuer: Some(SessionIssuer {
                issuer_type: "Role".into(),
                principal_id: "AROAEXAMPLE".into(),
                arn: "arn:aws:iam::123456789012:role/R".into(),
                account_id: "123456789012".into(),
                user_name: "R".into(),
            }),
            attributes: Some(SessionAttributes {
                creation_date: parse_time("2013-11-02T01:06:28Z").unwrap(),
                mfa_authenticated: false,
            }),
        });
        let v = serde_json::to_value(&id).unwrap();
        assert_eq!(v["type"], "AssumedRole");
        assert_eq!(v["sessionContext"]["sessionIssuer"]["type"], "Role");
        assert_eq!(
            v["sessionContext"]["attributes"]["mfaAuthenticated"],
            "false"
        );
        assert_eq!(
            v["sessionContext"]["attributes"]["creationDate"],
            "2013-11-02T01:06:28Z"
        );
        assert!(v.get("principalId").is_none());
    }
}
