//! AWS wire types, generated from AWS's own service models, and the small runtime
//! they need: base64 blobs (zeroized when sensitive), epoch timestamps, and model
//! validation phrased exactly as AWS phrases a `ValidationException`.
//!
//! The generated modules come from `scripts/gen-wire.py` and the models checked in
//! under `models/`; CI fails when they drift apart.

use std::fmt;

use base64::Engine as _;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroizing;

mod generated {
    pub mod comprehend;
    pub mod iam;
    pub mod kms;
    pub mod secretsmanager;
    pub mod sts;
}

pub mod query;

pub use generated::{comprehend, iam, kms, secretsmanager, sts};

/// A `blob` member: bytes, base64 in JSON.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Blob(pub Vec<u8>);

impl Blob {
    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Number of bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Blob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Blob({} bytes)", self.0.len())
    }
}

impl From<Vec<u8>> for Blob {
    fn from(v: Vec<u8>) -> Self {
        Blob(v)
    }
}

/// A `blob` member the model marks sensitive (plaintexts, private keys): zeroized on
/// drop and never printed.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SensitiveBlob(pub Zeroizing<Vec<u8>>);

impl SensitiveBlob {
    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Number of bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for SensitiveBlob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SensitiveBlob(<{} bytes redacted>)", self.0.len())
    }
}

impl From<Zeroizing<Vec<u8>>> for SensitiveBlob {
    fn from(v: Zeroizing<Vec<u8>>) -> Self {
        SensitiveBlob(v)
    }
}

/// A `string` member the model marks sensitive: zeroized on drop, never printed.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SensitiveString(pub Zeroizing<String>);

impl SensitiveString {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Characters, for length constraints.
    pub fn chars(&self) -> std::str::Chars<'_> {
        self.0.chars()
    }
}

impl fmt::Debug for SensitiveString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SensitiveString(<redacted>)")
    }
}

impl std::ops::Deref for SensitiveString {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for SensitiveString {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

impl Serialize for Blob {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&b64().encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for Blob {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        b64()
            .decode(text.as_bytes())
            .map(Blob)
            .map_err(|_| D::Error::custom("blob is not valid base64"))
    }
}

impl Serialize for SensitiveBlob {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let encoded = Zeroizing::new(b64().encode(&*self.0));
        s.serialize_str(&encoded)
    }
}

impl<'de> Deserialize<'de> for SensitiveBlob {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = Zeroizing::new(String::deserialize(d)?);
        b64()
            .decode(text.as_bytes())
            .map(|v| SensitiveBlob(Zeroizing::new(v)))
            .map_err(|_| D::Error::custom("blob is not valid base64"))
    }
}

impl Serialize for SensitiveString {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for SensitiveString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(|s| SensitiveString(Zeroizing::new(s)))
    }
}

/// A `timestamp` member: seconds since the epoch, as awsJson encodes it.
#[derive(Debug, Clone, Copy, Default, PartialEq, PartialOrd)]
pub struct Timestamp(pub f64);

impl Timestamp {
    /// From whole seconds since the epoch.
    pub fn from_unix(seconds: i64) -> Timestamp {
        #[expect(
            clippy::cast_precision_loss,
            reason = "epoch seconds fit f64 exactly until the year 285 million"
        )]
        Timestamp(seconds as f64)
    }

    /// Whole seconds since the epoch, rounded down.
    pub fn unix_seconds(self) -> i64 {
        #[expect(
            clippy::cast_possible_truncation,
            reason = "floor of a finite timestamp; saturates on nonsense"
        )]
        {
            self.0.floor() as i64
        }
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.0)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        f64::deserialize(d).map(Timestamp)
    }
}

/// Model validation, implemented by every generated structure.
pub trait Validate {
    /// Checks the value at `path` (AWS's member path, e.g. `grantTokens.1.member`).
    fn validate_at(&self, path: &str, v: &mut Violations);

    /// Checks a whole request.
    fn validate(&self) -> Result<(), ValidationError> {
        let mut v = Violations::default();
        self.validate_at("", &mut v);
        v.into_result()
    }
}

/// Joins a member path the way AWS prints it.
pub fn join(path: &str, member: &str) -> String {
    if path.is_empty() {
        member.to_string()
    } else {
        format!("{path}.{member}")
    }
}

/// The constraint violations found so far, in AWS's words.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Violations(Vec<String>);

impl Violations {
    fn value(display: &str, sensitive: bool) -> String {
        if sensitive {
            "Value".to_string()
        } else {
            format!("Value '{display}'")
        }
    }

    /// A required member is absent.
    pub fn missing(&mut self, path: impl FnOnce() -> String) {
        self.0.push(format!(
            "Value null at '{}' failed to satisfy constraint: Member must not be null",
            path()
        ));
    }

    /// A length below the minimum.
    pub fn min_len(
        &mut self,
        path: impl FnOnce() -> String,
        len: usize,
        min: usize,
        display: &str,
        sensitive: bool,
    ) {
        if len < min {
            self.0.push(format!(
                "{} at '{}' failed to satisfy constraint: Member must have length greater than or equal to {min}",
                Self::value(display, sensitive),
                path()
            ));
        }
    }

    /// A length above the maximum.
    pub fn max_len(
        &mut self,
        path: impl FnOnce() -> String,
        len: usize,
        max: usize,
        display: &str,
        sensitive: bool,
    ) {
        if len > max {
            self.0.push(format!(
                "{} at '{}' failed to satisfy constraint: Member must have length less than or equal to {max}",
                Self::value(display, sensitive),
                path()
            ));
        }
    }

    /// A value outside an enum.
    pub fn one_of(&mut self, path: impl FnOnce() -> String, value: &str, allowed: &[&str]) {
        if !allowed.contains(&value) {
            self.0.push(format!(
                "Value '{value}' at '{}' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
                path(),
                allowed.join(", ")
            ));
        }
    }

    /// A value that does not match the model's pattern (whole-string match).
    pub fn pattern(
        &mut self,
        path: impl FnOnce() -> String,
        value: &str,
        regex: &Option<regex::Regex>,
        pattern: &str,
        sensitive: bool,
    ) {
        if regex.as_ref().is_some_and(|re| !re.is_match(value)) {
            self.0.push(format!(
                "{} at '{}' failed to satisfy constraint: Member must satisfy regular expression pattern: {pattern}",
                Self::value(value, sensitive),
                path()
            ));
        }
    }

    /// A number below the minimum.
    pub fn min_value(&mut self, path: impl FnOnce() -> String, value: i64, min: i64) {
        if value < min {
            self.0.push(format!(
                "Value '{value}' at '{}' failed to satisfy constraint: Member must have value greater than or equal to {min}",
                path()
            ));
        }
    }

    /// A number above the maximum.
    pub fn max_value(&mut self, path: impl FnOnce() -> String, value: i64, max: i64) {
        if value > max {
            self.0.push(format!(
                "Value '{value}' at '{}' failed to satisfy constraint: Member must have value less than or equal to {max}",
                path()
            ));
        }
    }

    /// Adds a violation found by service logic, in the same phrasing.
    pub fn custom(&mut self, message: String) {
        self.0.push(message);
    }

    /// `Ok` when nothing was found.
    pub fn into_result(self) -> Result<(), ValidationError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ValidationError(self.0))
        }
    }
}

/// AWS's `ValidationException`: one or more constraint violations.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ValidationError(pub Vec<String>);

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        write!(
            f,
            "{n} validation error{} detected: {}",
            if n == 1 { "" } else { "s" },
            self.0.join("; ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kms::{CreateKeyRequest, EncryptRequest, GenerateDataKeyRequest};

    #[test]
    fn messages_are_awss() {
        let req: EncryptRequest = serde_json::from_str(r#"{"Plaintext": ""}"#).unwrap();
        let err = req.validate().unwrap_err();
        assert_eq!(
            err.to_string(),
            "2 validation errors detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null; \
             Value at 'plaintext' failed to satisfy constraint: Member must have length greater than or equal to 1"
        );
        let req: CreateKeyRequest = serde_json::from_str(r#"{"KeySpec": "AES_256"}"#).unwrap();
        assert!(req.validate().unwrap_err().to_string().starts_with(
            "1 validation error detected: Value 'AES_256' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [RSA_2048,"
        ));
        let req: GenerateDataKeyRequest =
            serde_json::from_str(r#"{"KeyId": "k", "NumberOfBytes": 2048}"#).unwrap();
        assert_eq!(
            req.validate().unwrap_err().to_string(),
            "1 validation error detected: Value '2048' at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or equal to 1024"
        );
    }

    #[test]
    fn blobs_are_base64_and_sensitive_ones_are_not_printed() {
        let req: EncryptRequest =
            serde_json::from_str(r#"{"KeyId": "k", "Plaintext": "c2VjcmV0"}"#).unwrap();
        let plaintext = req.plaintext.as_ref().unwrap();
        assert_eq!(plaintext.as_bytes(), b"secret");
        assert!(!format!("{req:?}").contains("secret"));
        assert!(serde_json::from_str::<EncryptRequest>(r#"{"Plaintext": "not base64!"}"#).is_err());
        assert_eq!(
            serde_json::to_string(&Blob(b"hi".to_vec())).unwrap(),
            "\"aGk=\""
        );
    }
}
