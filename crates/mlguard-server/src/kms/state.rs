//! KMS's in-memory state, loaded from the store at start and replaced
//! copy-on-write after each durable change, and how key ids resolve.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard};

use mlguard_crypto::{KeyMaterial, KeySpec, RootKey, Zeroizing};
use mlguard_policy::{Policy, PolicyKind};
use mlguard_store::{Store, Tx};

use super::model::{Alias, Grant, Key, KeyDoc, KeyVersion, VersionDoc, kinds};
use crate::error::ApiError;

/// Keys, aliases and grants of every account and region this server holds.
#[derive(Default)]
pub struct KmsState {
    inner: RwLock<Inner>,
}

#[derive(Default)]
pub(crate) struct Inner {
    /// `account/region/key id` → key.
    pub keys: BTreeMap<String, Arc<Key>>,
    /// `account/region/alias name` → alias.
    pub aliases: BTreeMap<String, Alias>,
    /// grant id → grant.
    pub grants: BTreeMap<String, Grant>,
}

/// The store id of a key.
pub fn key_path(account: &str, region: &str, key_id: &str) -> String {
    format!("{account}/{region}/{key_id}")
}

/// The store id of an alias.
pub fn alias_path(account: &str, region: &str, name: &str) -> String {
    format!("{account}/{region}/{name}")
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    tracing::error!("kms state: {e}");
    ApiError::internal("KMSInternalException")
}

impl KmsState {
    pub(crate) fn read(&self) -> Result<RwLockReadGuard<'_, Inner>, ApiError> {
        self.inner.read().map_err(internal)
    }

    pub(crate) fn write(&self) -> Result<RwLockWriteGuard<'_, Inner>, ApiError> {
        self.inner.write().map_err(internal)
    }

    /// Loads everything from the store.
    pub fn load(store: &Store, _root_key: &RootKey) -> Result<KmsState, ApiError> {
        let mut inner = Inner::default();
        let mut versions: BTreeMap<String, Vec<Arc<KeyVersion>>> = BTreeMap::new();
        for record in store.load_all(kinds::VERSION).map_err(internal)? {
            let doc: VersionDoc = serde_json::from_str(&record.doc).map_err(internal)?;
            let key_prefix = record
                .id
                .rsplit_once('/')
                .map(|(k, _)| k.to_string())
                .unwrap_or_default();
            versions
                .entry(key_prefix)
                .or_default()
                .push(Arc::new(KeyVersion {
                    number: doc.number,
                    material_id: doc.material_id,
                    created: doc.created,
                    rotation_type: doc.rotation_type,
                    sealed: record.sealed.unwrap_or_default(),
                    material: OnceLock::new(),
                    symmetric: OnceLock::new(),
                }));
        }
        for record in store.load_all(kinds::KEY).map_err(internal)? {
            let meta: KeyDoc = serde_json::from_str(&record.doc).map_err(internal)?;
            let mut parts = record.id.splitn(3, '/');
            let (account, region, id) = (
                parts.next().unwrap_or_default().to_string(),
                parts.next().unwrap_or_default().to_string(),
                parts.next().unwrap_or_default().to_string(),
            );
            let policy = Policy::parse(&meta.policy, PolicyKind::KeyPolicy).map_err(internal)?;
            let mut key_versions = versions.remove(&record.id).unwrap_or_default();
            key_versions.sort_by_key(|v| v.number);
            let arn = format!("arn:aws:kms:{region}:{account}:key/{id}");
            inner.keys.insert(
                record.id.clone(),
                Arc::new(Key {
                    id,
                    arn,
                    account,
                    region,
                    meta,
                    policy: Arc::new(policy),
                    versions: key_versions,
                }),
            );
        }
        for record in store.load_all(kinds::ALIAS).map_err(internal)? {
            let alias: Alias = serde_json::from_str(&record.doc).map_err(internal)?;
            inner.aliases.insert(record.id, alias);
        }
        for record in store.load_all(kinds::GRANT).map_err(internal)? {
            let grant: Grant = serde_json::from_str(&record.doc).map_err(internal)?;
            inner.grants.insert(record.id, grant);
        }
        Ok(KmsState {
            inner: RwLock::new(inner),
        })
    }

    /// Forgets everything (emulation's reset).
    pub fn clear(&self) {
        if let Ok(mut inner) = self.inner.write() {
            *inner = Inner::default();
        }
    }
}

/// Writes a key's metadata.
pub fn persist_key(tx: &Tx<'_>, key: &Key, now: i64) -> Result<(), ApiError> {
    let doc = serde_json::to_string(&key.meta).map_err(internal)?;
    tx.put(
        kinds::KEY,
        &key_path(&key.account, &key.region, &key.id),
        &key.account,
        &doc,
        None,
        now,
    )
    .map_err(internal)
}

/// Writes a key version with its sealed material.
pub fn persist_version(tx: &Tx<'_>, key: &Key, version: &KeyVersion) -> Result<(), ApiError> {
    let doc = VersionDoc {
        key_id: key.id.clone(),
        number: version.number,
        material_id: version.material_id.clone(),
        created: version.created,
        rotation_type: version.rotation_type,
    };
    let text = serde_json::to_string(&doc).map_err(internal)?;
    let id = format!(
        "{}/{:010}",
        key_path(&key.account, &key.region, &key.id),
        version.number
    );
    tx.put(
        kinds::VERSION,
        &id,
        &key.account,
        &text,
        Some(&version.sealed),
        version.created,
    )
    .map_err(internal)
}

/// The sealing purpose of a key version's material.
pub fn material_purpose(key_arn: &str, number: u32) -> String {
    format!("kms:material:{key_arn}:v{number}")
}

/// Generates and seals a new version of material.
pub fn new_version(
    root_key: &RootKey,
    key_arn: &str,
    spec: KeySpec,
    number: u32,
    now: i64,
    rotation_type: super::model::RotationType,
) -> Result<KeyVersion, ApiError> {
    let material = KeyMaterial::generate(spec).map_err(internal)?;
    let sealed = root_key
        .seal(
            material_purpose(key_arn, number).as_bytes(),
            material.secret_bytes(),
        )
        .map_err(internal)?;
    let id_bytes: [u8; 32] = mlguard_crypto::random::array().map_err(internal)?;
    let material_id: String = id_bytes.iter().map(|b| format!("{b:02x}")).collect();
    let version = KeyVersion {
        number,
        material_id,
        created: now,
        rotation_type,
        sealed,
        material: OnceLock::new(),
        symmetric: OnceLock::new(),
    };
    let _ = version.material.set(Arc::new(material));
    Ok(version)
}

impl KeyVersion {
    /// The material, unsealed on first use.
    pub fn material(&self, root_key: &RootKey, key: &Key) -> Result<Arc<KeyMaterial>, ApiError> {
        if let Some(m) = self.material.get() {
            return Ok(Arc::clone(m));
        }
        let bytes: Zeroizing<Vec<u8>> = root_key
            .open(
                material_purpose(&key.arn, self.number).as_bytes(),
                &self.sealed,
            )
            .map_err(internal)?;
        let material = Arc::new(KeyMaterial::from_bytes(key.spec(), bytes).map_err(internal)?);
        let _ = self.material.set(Arc::clone(&material));
        Ok(material)
    }

    /// The AES-GCM key of a symmetric version.
    pub fn symmetric(
        &self,
        root_key: &RootKey,
        key: &Key,
    ) -> Result<Arc<mlguard_crypto::blob::SymmetricKey>, ApiError> {
        if let Some(k) = self.symmetric.get() {
            return Ok(Arc::clone(k));
        }
        let material = self.material(root_key, key)?;
        let sym = Arc::new(material.symmetric_key().map_err(internal)?);
        let _ = self.symmetric.set(Arc::clone(&sym));
        Ok(sym)
    }
}

/// The key with this id in an account and region, if it exists.
pub(crate) fn resolve_key_in(
    inner: &Inner,
    account: &str,
    region: &str,
    key_id: &str,
) -> Option<Arc<Key>> {
    inner.keys.get(&key_path(account, region, key_id)).cloned()
}
