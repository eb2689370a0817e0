//! What a secret is, as stored (`secretsmanager.secret`, by ARN). Its values are
//! stored apart (`secretsmanager.value`, by ARN and version id), each sealed under a
//! 256-bit data key that KMS made under the secret's key with the encryption
//! context `{SecretARN, SecretVersionId}`; the record keeps the data key only in
//! KMS's ciphertext form.

use std::sync::Arc;

use mlguard_policy::{Policy, PolicyKind};
use serde::{Deserialize, Serialize};

use super::stages::Versions;

/// A tag.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// Rotation settings (stored only once a rotation function could be invoked).
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Rotation {
    pub lambda_arn: String,
    pub enabled: bool,
    #[serde(default)]
    pub after_days: Option<i64>,
    #[serde(default)]
    pub schedule: Option<String>,
    #[serde(default)]
    pub duration: Option<String>,
    #[serde(default)]
    pub last_rotated: Option<i64>,
    #[serde(default)]
    pub next_rotation: Option<i64>,
    /// Failed attempts of the rotation under way, and when it is tried again.
    #[serde(default)]
    pub failures: u32,
    #[serde(default)]
    pub retry_at: Option<i64>,
}

/// A secret.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Secret {
    pub name: String,
    pub arn: String,
    pub account: String,
    pub region: String,
    #[serde(default)]
    pub description: Option<String>,
    /// The key as the caller named it; `None` is the account's `aws/secretsmanager`.
    #[serde(default)]
    pub kms_key_id: Option<String>,
    pub created: i64,
    /// Creation order among the account's secrets (ties of `created`).
    #[serde(default)]
    pub order: u64,
    pub last_changed: i64,
    /// The date (midnight UTC) of the last GetSecretValue.
    #[serde(default)]
    pub last_accessed: Option<i64>,
    /// When DeleteSecret was called, and when the secret goes for good.
    #[serde(default)]
    pub deleted: Option<i64>,
    #[serde(default)]
    pub deletion_date: Option<i64>,
    /// `None` until tagged once (DescribeSecret then shows `Tags: []` when emptied).
    #[serde(default)]
    pub tags: Option<Vec<Tag>>,
    #[serde(default)]
    pub policy: Option<String>,
    #[serde(skip)]
    pub compiled_policy: Option<Arc<Policy>>,
    #[serde(default)]
    pub rotation: Option<Rotation>,
    #[serde(default)]
    pub versions: Versions,
    #[serde(default)]
    pub next_seq: u64,
}

impl Secret {
    /// Compiles the resource policy after loading.
    pub fn compile(&mut self) -> Result<(), String> {
        self.compiled_policy = match &self.policy {
            Some(text) => Some(Arc::new(
                Policy::parse(text, PolicyKind::SecretPolicy).map_err(|e| e.to_string())?,
            )),
            None => None,
        };
        Ok(())
    }

    /// The tags as (key, value) pairs.
    pub fn tag_pairs(&self) -> Vec<(String, String)> {
        self.tags
            .iter()
            .flatten()
            .map(|t| (t.key.clone(), t.value.clone()))
            .collect()
    }
}

/// A version's stored value: its data key as KMS returned it; the sealed bytes
/// go in the record's sealed column.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredValue {
    /// `SecretBinary` (else `SecretString`).
    pub binary: bool,
    /// The KMS ciphertext blob of the data key (base64).
    pub data_key: String,
}
