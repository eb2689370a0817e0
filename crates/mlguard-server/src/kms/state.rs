//! KMS's in-memory state, loaded from the store at start and replaced
//! copy-on-write after each durable change, and how key ids resolve.

use std::collections::{BTreeMap, BTreeSet, HashMap};
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

/// Aliases and grants are reached through methods that keep their indexes (by key,
/// by grant token) in step, so that authorizing a request — which needs a key's
/// aliases and grants — costs the same with ten grants or a million.
#[derive(Default)]
pub(crate) struct Inner {
    /// `account/region/key id` → key.
    pub keys: BTreeMap<String, Arc<Key>>,
    /// `account/region/alias name` → alias.
    aliases: BTreeMap<String, Alias>,
    /// grant id → grant.
    grants: BTreeMap<String, Grant>,
    /// key path → paths of the aliases that point at it.
    aliases_by_key: HashMap<String, BTreeSet<String>>,
    /// key path → ids of its grants.
    grants_by_key: HashMap<String, BTreeSet<String>>,
    /// grant token → grant id.
    grant_by_token: HashMap<String, String>,
}

impl Inner {
    /// An alias by path.
    pub fn alias(&self, path: &str) -> Option<&Alias> {
        self.aliases.get(path)
    }

    /// The aliases whose paths start with `prefix`, in path order.
    pub fn aliases_under<'a>(
        &'a self,
        prefix: &'a str,
    ) -> impl Iterator<Item = (&'a String, &'a Alias)> + 'a {
        self.aliases
            .range::<str, _>((
                std::ops::Bound::Included(prefix),
                std::ops::Bound::Unbounded,
            ))
            .take_while(move |(k, _)| k.starts_with(prefix))
    }

    /// The paths and aliases pointing at a key, in path order.
    pub fn aliases_of(&self, key_path: &str) -> impl Iterator<Item = (&String, &Alias)> {
        self.aliases_by_key
            .get(key_path)
            .into_iter()
            .flatten()
            .filter_map(|path| self.aliases.get_key_value(path))
    }

    /// Adds or replaces (retargets) an alias.
    pub fn put_alias(&mut self, path: String, alias: Alias) {
        self.unindex_alias(&path);
        self.aliases_by_key
            .entry(key_path(
                &alias.account,
                &alias.region,
                &alias.target_key_id,
            ))
            .or_default()
            .insert(path.clone());
        self.aliases.insert(path, alias);
    }

    /// Removes an alias.
    pub fn remove_alias(&mut self, path: &str) -> Option<Alias> {
        self.unindex_alias(path);
        self.aliases.remove(path)
    }

    fn unindex_alias(&mut self, path: &str) {
        if let Some(old) = self.aliases.get(path) {
            let target = key_path(&old.account, &old.region, &old.target_key_id);
            if let Some(paths) = self.aliases_by_key.get_mut(&target) {
                paths.remove(path);
                if paths.is_empty() {
                    self.aliases_by_key.remove(&target);
                }
            }
        }
    }

    /// A grant by id.
    pub fn grant(&self, id: &str) -> Option<&Grant> {
        self.grants.get(id)
    }

    /// A grant by its token.
    pub fn grant_by_token(&self, token: &str) -> Option<&Grant> {
        self.grant_by_token
            .get(token)
            .and_then(|id| self.grants.get(id))
    }

    /// Every grant, in id order.
    pub fn all_grants(&self) -> impl Iterator<Item = &Grant> {
        self.grants.values()
    }

    /// The grants of a key, in id order.
    pub fn grants_of(&self, key_path: &str) -> impl Iterator<Item = &Grant> {
        self.grants_by_key
            .get(key_path)
            .into_iter()
            .flatten()
            .filter_map(|id| self.grants.get(id))
    }

    /// Adds or replaces a grant.
    pub fn put_grant(&mut self, grant: Grant) {
        self.remove_grant(&grant.grant_id);
        self.grants_by_key
            .entry(key_path(
                &grant.key_account,
                &grant.key_region,
                &grant.key_id,
            ))
            .or_default()
            .insert(grant.grant_id.clone());
        self.grant_by_token
            .insert(grant.token.clone(), grant.grant_id.clone());
        self.grants.insert(grant.grant_id.clone(), grant);
    }

    /// Removes a grant.
    pub fn remove_grant(&mut self, id: &str) -> Option<Grant> {
        let grant = self.grants.remove(id)?;
        let path = key_path(&grant.key_account, &grant.key_region, &grant.key_id);
        if let Some(ids) = self.grants_by_key.get_mut(&path) {
            ids.remove(id);
            if ids.is_empty() {
                self.grants_by_key.remove(&path);
            }
        }
        self.grant_by_token.remove(&grant.token);
        Some(grant)
    }
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
            inner.put_alias(record.id, alias);
        }
        for record in store.load_all(kinds::GRANT).map_err(internal)? {
            let grant: Grant = serde_json::from_str(&record.doc).map_err(internal)?;
            inner.put_grant(grant);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn alias(name: &str, target: &str) -> Alias {
        Alias {
            name: name.into(),
            account: "111122223333".into(),
            region: "us-east-1".into(),
            target_key_id: target.into(),
            created: 0,
            updated: 0,
        }
    }

    fn grant(id: &str, key: &str, token: &str) -> Grant {
        Grant {
            grant_id: id.into(),
            key_id: key.into(),
            key_account: "111122223333".into(),
            key_region: "us-east-1".into(),
            name: None,
            grantee: "arn:aws:iam::111122223333:root".into(),
            retiring: None,
            issuing_account: "111122223333".into(),
            operations: vec!["Encrypt".into()],
            context_subset: None,
            context_equals: None,
            created: 0,
            token: token.into(),
        }
    }

    fn names(inner: &Inner, key: &str) -> Vec<String> {
        inner
            .aliases_of(&key_path("111122223333", "us-east-1", key))
            .map(|(_, a)| a.name.clone())
            .collect()
    }

    fn grant_ids(inner: &Inner, key: &str) -> Vec<String> {
        inner
            .grants_of(&key_path("111122223333", "us-east-1", key))
            .map(|g| g.grant_id.clone())
            .collect()
    }

    #[test]
    fn alias_index_follows_retargeting_and_removal() {
        let mut inner = Inner::default();
        let path = |n: &str| alias_path("111122223333", "us-east-1", n);
        inner.put_alias(path("alias/a"), alias("alias/a", "k1"));
        inner.put_alias(path("alias/b"), alias("alias/b", "k1"));
        assert_eq!(names(&inner, "k1"), ["alias/a", "alias/b"]);
        inner.put_alias(path("alias/a"), alias("alias/a", "k2"));
        assert_eq!(names(&inner, "k1"), ["alias/b"]);
        assert_eq!(names(&inner, "k2"), ["alias/a"]);
        assert!(inner.remove_alias(&path("alias/b")).is_some());
        assert!(names(&inner, "k1").is_empty());
        assert!(
            !inner
                .aliases_by_key
                .contains_key("111122223333/us-east-1/k1")
        );
        let under: Vec<_> = inner
            .aliases_under("111122223333/us-east-1/")
            .map(|(_, a)| a.name.clone())
            .collect();
        assert_eq!(under, ["alias/a"]);
        assert_eq!(inner.aliases_under("111122223333/eu-west-1/").count(), 0);
    }

    #[test]
    fn grant_indexes_follow_replacement_and_removal() {
        let mut inner = Inner::default();
        inner.put_grant(grant("g1", "k1", "t1"));
        inner.put_grant(grant("g2", "k1", "t2"));
        inner.put_grant(grant("g3", "k2", "t3"));
        assert_eq!(grant_ids(&inner, "k1"), ["g1", "g2"]);
        // Replacing a grant (a named grant created again) gives it a new token.
        inner.put_grant(grant("g1", "k1", "t1b"));
        assert!(inner.grant_by_token("t1").is_none());
        assert_eq!(
            inner.grant_by_token("t1b").map(|g| g.grant_id.as_str()),
            Some("g1")
        );
        assert_eq!(grant_ids(&inner, "k1"), ["g1", "g2"]);
        assert!(inner.remove_grant("g2").is_some());
        assert!(inner.remove_grant("g2").is_none());
        assert!(inner.grant_by_token("t2").is_none());
        assert_eq!(grant_ids(&inner, "k1"), ["g1"]);
        assert_eq!(inner.all_grants().count(), 2);
    }
}
