//! KMS's state: keys with their versions of sealed material, aliases, grants.
//! Documents here are what the store persists; material is sealed with the root key
//! before it leaves this process's memory.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use mlguard_crypto::{KeyMaterial, KeySpec, KeyUsage};
use mlguard_policy::Policy;
use serde::{Deserialize, Serialize};

/// `KeyState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyState {
    /// Usable.
    Enabled,
    /// Disabled by DisableKey.
    Disabled,
    /// Scheduled for deletion.
    PendingDeletion,
}

impl KeyState {
    /// AWS's name.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyState::Enabled => "Enabled",
            KeyState::Disabled => "Disabled",
            KeyState::PendingDeletion => "PendingDeletion",
        }
    }
}

/// Who manages a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyManager {
    /// Created by a customer.
    #[serde(rename = "CUSTOMER")]
    Customer,
    /// Created by a service on the customer's behalf (`aws/secretsmanager`).
    #[serde(rename = "AWS")]
    Aws,
}

/// How a version came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RotationType {
    /// The key's first material.
    #[serde(rename = "INITIAL")]
    Initial,
    /// Scheduled rotation.
    #[serde(rename = "AUTOMATIC")]
    Automatic,
    /// RotateKeyOnDemand.
    #[serde(rename = "ON_DEMAND")]
    OnDemand,
}

/// One version of a key's material.
pub struct KeyVersion {
    /// Version number, from 1.
    pub number: u32,
    /// `KeyMaterialId`: 64 hex characters.
    pub material_id: String,
    /// Creation (rotation) time.
    pub created: i64,
    /// How it came to be.
    pub rotation_type: RotationType,
    /// The sealed material as stored.
    pub sealed: Vec<u8>,
    /// The unsealed material, opened on first use and kept while the key lives.
    pub material: OnceLock<Arc<KeyMaterial>>,
    /// For symmetric keys, the ready AES-GCM key.
    pub symmetric: OnceLock<Arc<mlguard_crypto::blob::SymmetricKey>>,
}

/// A KMS key: an immutable snapshot, replaced whole after each change.
#[derive(Clone)]
pub struct Key {
    /// The key id (UUID).
    pub id: String,
    /// The key ARN.
    pub arn: String,
    /// The owning account.
    pub account: String,
    /// The region.
    pub region: String,
    /// Its metadata document.
    pub meta: KeyDoc,
    /// The key policy, parsed.
    pub policy: Arc<Policy>,
    /// Versions, oldest first.
    pub versions: Vec<Arc<KeyVersion>>,
}

impl Key {
    /// The spec.
    pub fn spec(&self) -> KeySpec {
        KeySpec::parse(&self.meta.key_spec).unwrap_or(KeySpec::SymmetricDefault)
    }

    /// The usage.
    pub fn usage(&self) -> KeyUsage {
        KeyUsage::parse(&self.meta.key_usage).unwrap_or(KeyUsage::EncryptDecrypt)
    }

    /// The key's path in the state and the store: `account/region/key id`.
    pub fn path(&self) -> String {
        super::state::key_path(&self.account, &self.region, &self.id)
    }

    /// The current (newest) version.
    pub fn current(&self) -> Option<&Arc<KeyVersion>> {
        self.versions.last()
    }

    /// A version by number.
    pub fn version(&self, number: u32) -> Option<&Arc<KeyVersion>> {
        self.versions.iter().find(|v| v.number == number)
    }
}

/// A key's persisted metadata.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeyDoc {
    pub description: String,
    pub key_usage: String,
    pub key_spec: String,
    pub origin: String,
    pub state: KeyState,
    pub created: i64,
    pub key_manager: KeyManager,
    pub policy: String,
    pub deletion_date: Option<i64>,
    pub pending_window_days: Option<i32>,
    pub rotation_period_days: Option<i32>,
    pub next_rotation: Option<i64>,
    pub on_demand_rotations: u32,
    pub tags: BTreeMap<String, String>,
}

/// A version's persisted metadata (material is sealed beside it).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VersionDoc {
    pub key_id: String,
    pub number: u32,
    pub material_id: String,
    pub created: i64,
    pub rotation_type: RotationType,
}

/// An alias.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Alias {
    pub name: String,
    pub account: String,
    pub region: String,
    pub target_key_id: String,
    pub created: i64,
    pub updated: i64,
}

impl Alias {
    /// The alias ARN.
    pub fn arn(&self) -> String {
        format!("arn:aws:kms:{}:{}:{}", self.region, self.account, self.name)
    }
}

/// A grant.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Grant {
    pub grant_id: String,
    pub key_id: String,
    pub key_account: String,
    pub key_region: String,
    pub name: Option<String>,
    pub grantee: String,
    pub retiring: Option<String>,
    pub issuing_account: String,
    pub operations: Vec<String>,
    pub context_subset: Option<BTreeMap<String, String>>,
    pub context_equals: Option<BTreeMap<String, String>>,
    pub created: i64,
    pub token: String,
}

/// Record kinds in the store.
pub mod kinds {
    /// A key's metadata, id = `account/region/key id`.
    pub const KEY: &str = "kms.key";
    /// A key version, id = `account/region/key id/version`.
    pub const VERSION: &str = "kms.key-version";
    /// An alias, id = `account/region/alias name`.
    pub const ALIAS: &str = "kms.alias";
    /// A grant, id = grant id.
    pub const GRANT: &str = "kms.grant";
}
