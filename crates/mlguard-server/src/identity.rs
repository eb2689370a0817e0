//! Who can call: credentials (access key id → secret and caller), and the caller
//! they authenticate as. This issue serves the account's root user; IAM users,
//! roles and STS sessions plug in here.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use mlguard_crypto::RootKey;
use mlguard_policy::Principal;
use mlguard_store::Store;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::datadir::DataDirError;

/// What kind of identity a caller is, as CloudTrail's `userIdentity.type` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallerKind {
    /// The account's root user.
    Root,
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The caller's ARN.
    pub arn: String,
    /// Its account.
    pub account_id: String,
    /// `aws:userid`.
    pub user_id: String,
    /// `aws:username`, for IAM users.
    pub username: Option<String>,
    /// What kind of identity.
    pub kind: CallerKind,
    /// The principal the policy engine evaluates.
    pub principal: Principal,
}

impl Caller {
    /// The root user of `account_id`.
    pub fn root(account_id: &str) -> Caller {
        let arn = format!("arn:aws:iam::{account_id}:root");
        let principal = Principal::from_arn(&arn).unwrap_or_else(|_| Principal::anonymous());
        Caller {
            arn,
            account_id: account_id.to_string(),
            user_id: account_id.to_string(),
            username: None,
            kind: CallerKind::Root,
            principal,
        }
    }

    /// `aws:PrincipalType`.
    pub fn principal_type(&self) -> &'static str {
        match self.kind {
            CallerKind::Root => "Account",
        }
    }
}

/// A secret and the caller it authenticates.
pub struct Credential {
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key.
    pub secret: Zeroizing<String>,
    /// Who it authenticates as.
    pub caller: Arc<Caller>,
}

/// What is stored for a credential (the secret is sealed separately).
#[derive(Debug, Serialize, Deserialize)]
struct CredentialDoc {
    arn: String,
    account_id: String,
    kind: String,
    created: i64,
}

const KIND: &str = "identity.credential";

/// Every credential the server accepts.
pub struct Credentials {
    by_key: RwLock<HashMap<String, Arc<Credential>>>,
}

impl Credentials {
    /// Loads every stored credential, unsealing secrets with the root key.
    pub fn load(store: &Store, root_key: &RootKey) -> Result<Credentials, DataDirError> {
        let mut by_key = HashMap::new();
        for record in store.load_all(KIND)? {
            let doc: CredentialDoc = serde_json::from_str(&record.doc)
                .map_err(|e| DataDirError::Invalid(format!("credential {}: {e}", record.id)))?;
            let sealed = record.sealed.ok_or_else(|| {
                DataDirError::Invalid(format!("credential {} has no secret", record.id))
            })?;
            let secret = root_key.open(purpose(&record.id).as_bytes(), &sealed)?;
            let secret = Zeroizing::new(
                String::from_utf8(secret.to_vec())
                    .map_err(|_| DataDirError::Invalid("credential secret is not UTF-8".into()))?,
            );
            let caller = match doc.kind.as_str() {
                "Root" => Caller::root(&doc.account_id),
                other => {
                    return Err(DataDirError::Invalid(format!(
                        "unknown credential kind {other}"
                    )));
                }
            };
            by_key.insert(
                record.id.clone(),
                Arc::new(Credential {
                    access_key_id: record.id,
                    secret,
                    caller: Arc::new(caller),
                }),
            );
        }
        Ok(Credentials {
            by_key: RwLock::new(by_key),
        })
    }

    /// Stores root credentials (sealed) and makes them usable.
    pub fn add_root(
        &self,
        store: &Store,
        root_key: &RootKey,
        account_id: &str,
        access_key_id: &str,
        secret: &str,
        now: i64,
    ) -> Result<(), DataDirError> {
        let doc = CredentialDoc {
            arn: format!("arn:aws:iam::{account_id}:root"),
            account_id: account_id.to_string(),
            kind: "Root".into(),
            created: now,
        };
        let sealed = root_key.seal(purpose(access_key_id).as_bytes(), secret.as_bytes())?;
        let text = serde_json::to_string(&doc).map_err(|e| DataDirError::Invalid(e.to_string()))?;
        store
            .transaction(|tx| tx.put(KIND, access_key_id, account_id, &text, Some(&sealed), now))?;
        let credential = Arc::new(Credential {
            access_key_id: access_key_id.to_string(),
            secret: Zeroizing::new(secret.to_string()),
            caller: Arc::new(Caller::root(account_id)),
        });
        if let Ok(mut map) = self.by_key.write() {
            map.insert(access_key_id.to_string(), credential);
        }
        Ok(())
    }

    /// The credential for an access key id.
    pub fn get(&self, access_key_id: &str) -> Option<Arc<Credential>> {
        self.by_key.read().ok()?.get(access_key_id).cloned()
    }

    /// The root credential, if any (for the startup banner).
    pub fn root(&self) -> Option<Arc<Credential>> {
        self.by_key
            .read()
            .ok()?
            .values()
            .find(|c| c.caller.kind == CallerKind::Root)
            .cloned()
    }

    /// Forgets every credential (emulation's reset).
    pub fn clear(&self) {
        if let Ok(mut map) = self.by_key.write() {
            map.clear();
        }
    }
}

fn purpose(access_key_id: &str) -> String {
    format!("identity:credential:{access_key_id}")
}
