//! Who can call: credentials (access key id → secret and caller), and the caller
//! they authenticate as: the account's root user, an IAM user (its access keys,
//! or a GetSessionToken session), or an assumed-role session. IAM and STS add and
//! remove credentials here; the policies that apply are looked up per request
//! (`Iam::policies_for`), so a change to a user's policies takes effect at once.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use mlguard_crypto::RootKey;
use mlguard_policy::{Policy, Principal};
use mlguard_store::Store;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::datadir::DataDirError;

/// What kind of identity a caller is, as CloudTrail's `userIdentity.type` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallerKind {
    /// The account's root user.
    Root,
    /// An IAM user.
    User,
    /// A session of an IAM role.
    AssumedRole,
}

/// The IAM user or role whose policies apply to a caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entity {
    /// A user, by name.
    User(String),
    /// A role, by name.
    Role(String),
}

/// What temporary credentials carry (STS sessions).
#[derive(Clone)]
pub struct Session {
    /// The session token the requests must present.
    pub token: Zeroizing<String>,
    /// When the credentials were issued.
    pub issued: i64,
    /// When they expire.
    pub expires: i64,
    /// When the MFA code behind the session was checked (`aws:MultiFactorAuthAge`).
    pub mfa_authenticated_at: Option<i64>,
    /// Session policies (inline and managed), which narrow the role's.
    pub policies: Option<Vec<Arc<Policy>>>,
    /// `sts:SourceIdentity`.
    pub source_identity: Option<String>,
    /// Session tags (`aws:PrincipalTag/*` over the role's own tags).
    pub tags: Vec<(String, String)>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("issued", &self.issued)
            .field("expires", &self.expires)
            .field("mfa_authenticated_at", &self.mfa_authenticated_at)
            .finish_non_exhaustive()
    }
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
    /// The IAM user or role whose policies apply (none for root).
    pub entity: Option<Entity>,
    /// Temporary credentials' session, if these are.
    pub session: Option<Session>,
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
            entity: None,
            session: None,
        }
    }

    /// An IAM user (`arn` is the user's ARN, `user_id` its `AIDA…` id).
    pub fn user(account_id: &str, arn: &str, user_id: &str, name: &str) -> Caller {
        let principal = Principal::from_arn(arn).unwrap_or_else(|_| Principal::anonymous());
        Caller {
            arn: arn.to_string(),
            account_id: account_id.to_string(),
            user_id: user_id.to_string(),
            username: Some(name.to_string()),
            kind: CallerKind::User,
            principal,
            entity: Some(Entity::User(name.to_string())),
            session: None,
        }
    }

    /// A session of role `role_arn` (`role_id` is its `AROA…` id).
    pub fn assumed_role(
        account_id: &str,
        role_arn: &str,
        role_name: &str,
        role_id: &str,
        session_name: &str,
        session: Session,
    ) -> Caller {
        let arn = format!("arn:aws:sts::{account_id}:assumed-role/{role_name}/{session_name}");
        let principal = Principal {
            arn: arn.clone(),
            account: Some(account_id.to_string()),
            account_arn: Some(format!("arn:aws:iam::{account_id}:root")),
            kind: mlguard_policy::PrincipalKind::AssumedRole {
                role_arn: role_arn.to_string(),
            },
        };
        Caller {
            arn,
            account_id: account_id.to_string(),
            user_id: format!("{role_id}:{session_name}"),
            username: None,
            kind: CallerKind::AssumedRole,
            principal,
            entity: Some(Entity::Role(role_name.to_string())),
            session: Some(session),
        }
    }

    /// `aws:PrincipalType`.
    pub fn principal_type(&self) -> &'static str {
        match self.kind {
            CallerKind::Root => "Account",
            CallerKind::User => "User",
            CallerKind::AssumedRole => "AssumedRole",
        }
    }

    /// The same caller holding session credentials (GetSessionToken).
    pub fn with_session(&self, session: Session) -> Caller {
        let mut c = self.clone();
        c.session = Some(session);
        c
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

    /// Makes a credential usable (an IAM access key, an STS session).
    pub fn insert(&self, credential: Credential) {
        if let Ok(mut map) = self.by_key.write() {
            map.insert(credential.access_key_id.clone(), Arc::new(credential));
        }
    }

    /// Stops accepting an access key id.
    pub fn remove(&self, access_key_id: &str) {
        if let Ok(mut map) = self.by_key.write() {
            map.remove(access_key_id);
        }
    }

    /// Stops accepting every credential `drop` selects (expired sessions).
    pub fn remove_where(&self, drop: impl Fn(&Credential) -> bool) -> usize {
        let Ok(mut map) = self.by_key.write() else {
            return 0;
        };
        let before = map.len();
        map.retain(|_, c| !drop(c));
        before - map.len()
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

    /// Forgets every credential but root's (emulation's reset).
    pub fn clear_non_root(&self) {
        if let Ok(mut map) = self.by_key.write() {
            map.retain(|_, c| c.caller.kind == CallerKind::Root && c.caller.session.is_none());
        }
    }
}

fn purpose(access_key_id: &str) -> String {
    format!("identity:credential:{access_key_id}")
}
