//! The audit writer's event serializer: the JSON `serde_json` would write for
//! an [`Event`], byte for byte (a test holds it to that), written directly
//! and with a string escaper that passes eight bytes at a time over text that
//! needs no escaping. Every request writes one or two events on the writer
//! thread, whose cost is the server's throughput ceiling.

use serde_json::Value;

use crate::event::{
    Event, IdentityType, RedactedJson, Resource, SessionAttributes, SessionContext, SessionIssuer,
    TlsDetails, UserIdentity, format_time,
};

const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);

/// Whether any of the eight bytes in `w` is a control character, `"` or `\`.
/// Bytes of 0x80 and above (UTF-8 continuation and lead bytes) never match.
#[inline]
fn needs_escape(w: u64) -> bool {
    let zero_byte = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS != 0;
    let below_space = w.wrapping_sub(ONES.wrapping_mul(0x20)) & !w & HIGHS != 0;
    below_space
        || zero_byte(w ^ ONES.wrapping_mul(b'"'.into()))
        || zero_byte(w ^ ONES.wrapping_mul(b'\\'.into()))
}

/// Appends `s` as a JSON string, escaped as `serde_json` escapes: `"`, `\`,
/// the named control escapes and `\u00XX` for the other control characters;
/// everything else as is.
pub(crate) fn string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0; // first byte not yet copied
    let mut i = 0;
    while i < bytes.len() {
        if let Some(chunk) = bytes.get(i..i.saturating_add(8))
            && let Ok(chunk) = <[u8; 8]>::try_from(chunk)
            && !needs_escape(u64::from_ne_bytes(chunk))
        {
            i = i.saturating_add(8);
            continue;
        }
        let Some(&b) = bytes.get(i) else { break };
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0..=0x1f => b"",
            _ => {
                i = i.saturating_add(1);
                continue;
            }
        };
        out.extend_from_slice(bytes.get(start..i).unwrap_or_default());
        if escape.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(b"\\u00");
            out.push(HEX.get(usize::from(b >> 4)).copied().unwrap_or(b'0'));
            out.push(HEX.get(usize::from(b & 0xf)).copied().unwrap_or(b'0'));
        } else {
            out.extend_from_slice(escape);
        }
        i = i.saturating_add(1);
        start = i;
    }
    out.extend_from_slice(bytes.get(start..).unwrap_or_default());
    out.push(b'"');
}

/// Appends any JSON value (object members in their stored order).
pub(crate) fn value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Number(n) => out.extend_from_slice(n.to_string().as_bytes()),
        Value::String(s) => string(out, s),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                value(out, item);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            out.push(b'{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                string(out, k);
                out.push(b':');
                value(out, item);
            }
            out.push(b'}');
        }
    }
}

/// Writes one object's members: `{"a":..,"b":..}` with commas managed.
struct Object<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> Object<'a> {
    fn new(out: &'a mut Vec<u8>) -> Self {
        out.push(b'{');
        Object { out, first: true }
    }

    /// The member's `"name":`, after a comma if needed. `name` is a literal
    /// that needs no escaping.
    fn key(&mut self, name: &str) -> &mut Vec<u8> {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        self.out.push(b'"');
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(b"\":");
        self.out
    }

    fn str(&mut self, name: &str, s: &str) {
        string(self.key(name), s);
    }

    fn opt_str(&mut self, name: &str, s: Option<&String>) {
        if let Some(s) = s {
            self.str(name, s);
        }
    }

    fn bool(&mut self, name: &str, b: bool) {
        self.key(name)
            .extend_from_slice(if b { b"true" } else { b"false" });
    }

    fn json(&mut self, name: &str, v: Option<&RedactedJson>) {
        let out = self.key(name);
        match v {
            Some(v) => value(out, v.as_value()),
            None => out.extend_from_slice(b"null"),
        }
    }

    fn end(self) {
        self.out.push(b'}');
    }
}

fn issuer(out: &mut Vec<u8>, i: &SessionIssuer) {
    let mut o = Object::new(out);
    o.str("type", &i.issuer_type);
    o.str("principalId", &i.principal_id);
    o.str("arn", &i.arn);
    o.str("accountId", &i.account_id);
    o.str("userName", &i.user_name);
    o.end();
}

fn attributes(out: &mut Vec<u8>, a: &SessionAttributes) {
    let mut o = Object::new(out);
    o.str("creationDate", &format_time(a.creation_date));
    o.str(
        "mfaAuthenticated",
        if a.mfa_authenticated { "true" } else { "false" },
    );
    o.end();
}

fn session(out: &mut Vec<u8>, s: &SessionContext) {
    let mut o = Object::new(out);
    if let Some(i) = &s.session_issuer {
        issuer(o.key("sessionIssuer"), i);
    }
    if let Some(a) = &s.attributes {
        attributes(o.key("attributes"), a);
    }
    o.end();
}

fn identity(out: &mut Vec<u8>, u: &UserIdentity) {
    let mut o = Object::new(out);
    o.str(
        "type",
        match u.identity_type {
            IdentityType::Root => "Root",
            IdentityType::IamUser => "IAMUser",
            IdentityType::AssumedRole => "AssumedRole",
            IdentityType::FederatedUser => "FederatedUser",
            IdentityType::AwsService => "AWSService",
            IdentityType::AwsAccount => "AWSAccount",
            IdentityType::Unknown => "Unknown",
        },
    );
    o.opt_str("principalId", u.principal_id.as_ref());
    o.opt_str("arn", u.arn.as_ref());
    o.opt_str("accountId", u.account_id.as_ref());
    o.opt_str("accessKeyId", u.access_key_id.as_ref());
    o.opt_str("userName", u.user_name.as_ref());
    if let Some(s) = &u.session_context {
        session(o.key("sessionContext"), s);
    }
    o.opt_str("invokedBy", u.invoked_by.as_ref());
    o.end();
}

fn resource(out: &mut Vec<u8>, r: &Resource) {
    let mut o = Object::new(out);
    o.str("ARN", &r.arn);
    o.opt_str("accountId", r.account_id.as_ref());
    o.opt_str("type", r.resource_type.as_ref());
    o.end();
}

fn tls(out: &mut Vec<u8>, t: &TlsDetails) {
    let mut o = Object::new(out);
    o.str("tlsVersion", &t.tls_version);
    o.str("cipherSuite", &t.cipher_suite);
    o.opt_str(
        "clientProvidedHostHeader",
        t.client_provided_host_header.as_ref(),
    );
    o.end();
}

/// Appends `e` as `serde_json::to_writer` would.
pub(crate) fn event(out: &mut Vec<u8>, e: &Event) {
    let mut o = Object::new(out);
    o.str("eventVersion", &e.event_version);
    identity(o.key("userIdentity"), &e.user_identity);
    o.str("eventTime", &format_time(e.event_time));
    o.str("eventSource", &e.event_source);
    o.str("eventName", &e.event_name);
    o.str("awsRegion", &e.aws_region);
    o.str("sourceIPAddress", &e.source_ip_address);
    o.str("userAgent", &e.user_agent);
    o.opt_str("errorCode", e.error_code.as_ref());
    o.opt_str("errorMessage", e.error_message.as_ref());
    o.json("requestParameters", e.request_parameters.as_ref());
    o.json("responseElements", e.response_elements.as_ref());
    if let Some(v) = &e.additional_event_data {
        o.json("additionalEventData", Some(v));
    }
    o.str("requestID", &e.request_id);
    o.str("eventID", &e.event_id);
    o.bool("readOnly", e.read_only);
    if let Some(rs) = &e.resources {
        let out = o.key("resources");
        out.push(b'[');
        for (i, r) in rs.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            resource(out, r);
        }
        out.push(b']');
    }
    o.str("eventType", &e.event_type);
    o.bool("managementEvent", e.management_event);
    o.str("recipientAccountId", &e.recipient_account_id);
    o.str("eventCategory", &e.event_category);
    if let Some(t) = &e.tls_details {
        tls(o.key("tlsDetails"), t);
    }
    o.end();
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;
    use crate::event::REDACTED;
    use proptest::prelude::*;
    use serde_json::json;

    fn ours(s: &str) -> String {
        let mut out = Vec::new();
        string(&mut out, s);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn strings_escape_as_serde_json_does() {
        for s in [
            "",
            "plain",
            "exactly8",
            "quote \" and backslash \\ in the middle of a longer run",
            "\u{0}\u{1}\u{8}\t\n\u{b}\u{c}\r\u{1f} \u{7f}",
            "é naïve 日本語 🎉 mixed with \"quotes\"",
            "12345678\"",
            "\\1234567",
        ] {
            assert_eq!(ours(s), serde_json::to_string(s).unwrap(), "{s:?}");
        }
    }

    proptest! {
        #[test]
        fn any_string_escapes_as_serde_json_does(s in any::<String>()) {
            prop_assert_eq!(ours(&s), serde_json::to_string(&s).unwrap());
        }

        #[test]
        fn ascii_heavy_strings_escape_as_serde_json_does(s in "[ -~\\t\\n\"\\\\\u{1}é]{0,80}") {
            prop_assert_eq!(ours(&s), serde_json::to_string(&s).unwrap());
        }
    }

    fn full_event() -> Event {
        let mut id = UserIdentity::new(IdentityType::AssumedRole);
        id.principal_id = Some("AROAEXAMPLE:s1".into());
        id.arn = Some("arn:aws:sts::111122223333:assumed-role/r/s1".into());
        id.account_id = Some("111122223333".into());
        id.access_key_id = Some("ASIAEXAMPLE".into());
        id.user_name = Some("carol".into());
        id.invoked_by = Some("secretsmanager.amazonaws.com".into());
        id.session_context = Some(SessionContext {
            session_issuer: Some(SessionIssuer {
                issuer_type: "Role".into(),
                principal_id: "AROAEXAMPLE".into(),
                arn: "arn:aws:iam::111122223333:role/r".into(),
                account_id: "111122223333".into(),
                user_name: "r".into(),
            }),
            attributes: Some(SessionAttributes {
                creation_date: time::OffsetDateTime::from_unix_timestamp(1_795_000_000).unwrap(),
                mfa_authenticated: true,
            }),
        });
        let mut e = Event::new("kms.amazonaws.com", "Decrypt", "us-east-1", id);
        e.source_ip_address = "192.0.2.10".into();
        e.user_agent = "Boto3/1.43 \"quoted\" \u{1}".into();
        e.error_code = Some("AccessDeniedException".into());
        e.error_message = Some("User: x is not authorized\n".into());
        e.request_parameters = Some(RedactedJson::new(
            json!({"keyId": "k", "n": 5, "f": 1.5, "neg": -3, "big": u64::MAX, "list": [1, "a", null, true, {"x": []}],
                   "encryptionContext": {"Ünïcode": "v"}, "plaintext": "secret"}),
            &[],
        ));
        e.response_elements = None;
        e.additional_event_data = Some(RedactedJson::new(json!({"keyMaterialId": "abc"}), &[]));
        e.read_only = true;
        e.resources = Some(vec![
            Resource {
                arn: "arn:aws:kms:us-east-1:111122223333:key/1".into(),
                account_id: Some("111122223333".into()),
                resource_type: Some("AWS::KMS::Key".into()),
            },
            Resource {
                arn: "arn:x".into(),
                account_id: None,
                resource_type: None,
            },
        ]);
        e.tls_details = Some(TlsDetails {
            tls_version: "TLSv1.3".into(),
            cipher_suite: "TLS_AES_128_GCM_SHA256".into(),
            client_provided_host_header: Some("localhost".into()),
        });
        e
    }

    #[test]
    fn events_serialize_as_serde_json_does() {
        let full = full_event();
        let mut bare = Event::new(
            "iam.amazonaws.com",
            "ListUsers",
            "us-east-1",
            UserIdentity::new(IdentityType::Unknown),
        );
        bare.user_identity.session_context = Some(SessionContext {
            session_issuer: None,
            attributes: None,
        });
        for kind in [
            IdentityType::Root,
            IdentityType::IamUser,
            IdentityType::AssumedRole,
            IdentityType::FederatedUser,
            IdentityType::AwsService,
            IdentityType::AwsAccount,
            IdentityType::Unknown,
        ] {
            let mut e = full.clone();
            e.user_identity.identity_type = kind;
            let mut out = Vec::new();
            event(&mut out, &e);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                serde_json::to_string(&e).unwrap()
            );
        }
        let mut out = Vec::new();
        event(&mut out, &bare);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            serde_json::to_string(&bare).unwrap()
        );
        assert!(serde_json::to_string(&full).unwrap().contains(REDACTED));
    }
}
