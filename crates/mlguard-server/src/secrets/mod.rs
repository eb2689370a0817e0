//! AWS Secrets Manager over awsJson1_1 (`secretsmanager.*`): versioned secrets with
//! staging labels, each value envelope-encrypted under a KMS key through mlguard's
//! KMS (authorized as the caller, `kms:ViaService = secretsmanager.<region>.amazonaws.com`),
//! resource policies, tags, deletion windows, and AWS's errors. Design notes and
//! the evidence behind each behaviour: docs/secretsmanager.md.

pub mod filters;
pub mod model;
mod ops;
mod password;
mod postgres;
mod rotate;
pub mod rotation;
pub mod schedule;
pub mod stages;

use std::collections::BTreeMap;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock, RwLock, Weak};

use bytes::Bytes;
use http::Response;
use http_body_util::Full;
use mlguard_policy::{Context, ContextValue};
use mlguard_store::Store;

use self::model::Secret;
use crate::audit::AuditInfo;
use crate::clock::Clock;
use crate::context::{AuthzCheck, RequestContext};
use crate::error::ApiError;
use crate::kms::Kms;
use crate::protocol::json;

/// Store kinds.
pub const SECRET_KIND: &str = "secretsmanager.secret";
pub const VALUE_KIND: &str = "secretsmanager.value";

type Out<T> = Result<(T, AuditInfo), ApiError>;

/// The Secrets Manager service.
pub struct Secrets {
    /// Secrets by `account/region/name`, deleted ones included until purged.
    state: RwLock<BTreeMap<String, Arc<Secret>>>,
    /// Serializes changes (read, check, write the store, then memory).
    write: Mutex<()>,
    store: Arc<Store>,
    kms: Arc<Kms>,
    clock: Arc<Clock>,
    account_id: String,
    /// The next creation order number.
    next_order: std::sync::atomic::AtomicU64,
    /// STS, for rotation functions' credentials.
    sts: Arc<crate::sts::Sts>,
    /// Registered rotation functions by name.
    functions: BTreeMap<String, rotation::Function>,
    /// Where rotation functions reach this server (set once it listens).
    endpoint: OnceLock<rotation::Endpoint>,
    /// This service, for rotations run in the background.
    me: OnceLock<Weak<Secrets>>,
    /// Secrets (ARNs) whose rotation is running.
    rotating: Mutex<HashSet<String>>,
    /// Records the service's own events (rotations) in the audit trail.
    pub(crate) audit: OnceLock<AuditHook>,
    /// Sealed values read or written recently, by value id: what the store holds
    /// (data keys in KMS's ciphertext form, values sealed), kept to spare a read.
    sealed: Mutex<HashMap<String, Arc<SealedValue>>>,
}

/// A version's stored value and its sealed bytes.
pub(crate) type SealedValue = (model::StoredValue, Vec<u8>);

/// Sealed values cached at most (the cache is emptied when full).
const SEALED_CACHE_MAX: usize = 10_000;

/// Where the service's own events go.
pub type AuditHook = Arc<dyn Fn(mlguard_audit::Event) + Send + Sync>;

/// Operations that only read (CloudTrail's `readOnly`).
pub fn is_read_only(operation: &str) -> bool {
    matches!(
        operation,
        "DescribeSecret"
            | "GetSecretValue"
            | "BatchGetSecretValue"
            | "ListSecrets"
            | "ListSecretVersionIds"
            | "GetResourcePolicy"
            | "GetRandomPassword"
            | "ValidateResourcePolicy"
    )
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    tracing::error!("secretsmanager: {e}");
    ApiError::internal("InternalServiceError")
}

fn state_key(account: &str, region: &str, name: &str) -> String {
    format!("{account}/{region}/{name}")
}

impl Secrets {
    /// Loads the secrets from the store.
    pub fn load(
        store: Arc<Store>,
        kms: Arc<Kms>,
        sts: Arc<crate::sts::Sts>,
        clock: Arc<Clock>,
        account_id: String,
        functions: Vec<rotation::Function>,
    ) -> Result<Secrets, ApiError> {
        let mut map = BTreeMap::new();
        for record in store.load_all(SECRET_KIND).map_err(internal)? {
            let mut secret: Secret = serde_json::from_str(&record.doc).map_err(internal)?;
            secret.compile().map_err(internal)?;
            map.insert(
                state_key(&secret.account, &secret.region, &secret.name),
                Arc::new(secret),
            );
        }
        let next_order = map.values().map(|s| s.order + 1).max().unwrap_or(0);
        let mut registry: BTreeMap<String, rotation::Function> =
            functions.into_iter().map(|f| (f.name.clone(), f)).collect();
        registry.insert(
            postgres::BUILTIN_POSTGRES.to_string(),
            rotation::Function {
                name: postgres::BUILTIN_POSTGRES.to_string(),
                runner: rotation::Runner::Postgres,
                role: None,
            },
        );
        registry.insert(
            rotation::BUILTIN_RANDOM_PASSWORD.to_string(),
            rotation::Function {
                name: rotation::BUILTIN_RANDOM_PASSWORD.to_string(),
                runner: rotation::Runner::RandomPassword,
                role: None,
            },
        );
        Ok(Secrets {
            sts,
            functions: registry,
            endpoint: OnceLock::new(),
            me: OnceLock::new(),
            rotating: Mutex::new(HashSet::new()),
            audit: OnceLock::new(),
            sealed: Mutex::new(HashMap::new()),
            next_order: std::sync::atomic::AtomicU64::new(next_order),
            state: RwLock::new(map),
            write: Mutex::new(()),
            store,
            kms,
            clock,
            account_id,
        })
    }

    /// Lets rotations run: where functions reach the server, and where the
    /// service's own events (RotationStarted, RotationSucceeded, RotationFailed) go.
    pub fn start(self: &Arc<Self>, endpoint: rotation::Endpoint, audit: AuditHook) {
        let _ = self.me.set(Arc::downgrade(self));
        let _ = self.endpoint.set(endpoint);
        let _ = self.audit.set(audit);
    }

    /// Forgets every secret (emulation's reset; the store is wiped by the caller).
    pub fn reset(&self) {
        if let Ok(mut state) = self.state.write() {
            state.clear();
        }
        if let Ok(mut sealed) = self.sealed.lock() {
            sealed.clear();
        }
    }

    /// Background work: secrets whose recovery window has ended are deleted for
    /// good, values included. Returns how many.
    pub fn run_scheduled(&self) -> Result<usize, ApiError> {
        let now = self.clock.now();
        self.start_due_rotations(now)?;
        let due: Vec<Arc<Secret>> = self
            .state
            .read()
            .map_err(internal)?
            .values()
            .filter(|s| s.deletion_date.is_some_and(|d| d <= now))
            .cloned()
            .collect();
        for secret in &due {
            self.purge(secret)?;
        }
        Ok(due.len())
    }

    /// Deletes a secret and its values from the store and memory.
    fn purge(&self, secret: &Secret) -> Result<(), ApiError> {
        let _guard = self.write.lock().map_err(internal)?;
        self.store.transaction(|tx| {
            tx.delete(SECRET_KIND, &secret.arn).map_err(internal)?;
            for id in secret.versions.keys() {
                tx.delete(VALUE_KIND, &value_id(&secret.arn, id))
                    .map_err(internal)?;
            }
            Ok::<(), ApiError>(())
        })?;
        self.state.write().map_err(internal)?.remove(&state_key(
            &secret.account,
            &secret.region,
            &secret.name,
        ));
        if let Ok(mut sealed) = self.sealed.lock() {
            for id in secret.versions.keys() {
                sealed.remove(&value_id(&secret.arn, id));
            }
        }
        Ok(())
    }

    /// Handles one operation.
    pub async fn handle(
        self: &Arc<Self>,
        ctx: &RequestContext,
        operation: &str,
        body: &[u8],
    ) -> Result<(Response<Full<Bytes>>, AuditInfo), ApiError> {
        use mlguard_wire::secretsmanager as w;
        let id = ctx.request_id.clone();
        macro_rules! op {
            (inline $req:ty, $f:ident) => {{
                // Reads from memory: no need to leave the async worker.
                let request: $req = json::decode(body)?;
                let (response, audit) = self.$f(ctx, request)?;
                Ok((json::ok(&id, &response)?, audit))
            }};
            ($req:ty, $f:ident) => {{
                let request: $req = json::decode(body)?;
                let this = Arc::clone(self);
                let ctx2 = ctx.clone();
                // Store writes and KMS calls must not stall the async workers.
                let (response, audit) =
                    tokio::task::spawn_blocking(move || this.$f(&ctx2, request))
                        .await
                        .map_err(|_| ApiError::internal("InternalServiceError"))??;
                Ok((json::ok(&id, &response)?, audit))
            }};
        }
        match operation {
            "CreateSecret" => op!(w::CreateSecretRequest, create_secret),
            "GetSecretValue" => op!(inline w::GetSecretValueRequest, get_secret_value),
            "BatchGetSecretValue" => op!(w::BatchGetSecretValueRequest, batch_get_secret_value),
            "PutSecretValue" => op!(w::PutSecretValueRequest, put_secret_value),
            "UpdateSecret" => op!(w::UpdateSecretRequest, update_secret),
            "UpdateSecretVersionStage" => {
                op!(
                    w::UpdateSecretVersionStageRequest,
                    update_secret_version_stage
                )
            }
            "DescribeSecret" => op!(w::DescribeSecretRequest, describe_secret),
            "ListSecrets" => op!(w::ListSecretsRequest, list_secrets),
            "ListSecretVersionIds" => op!(w::ListSecretVersionIdsRequest, list_secret_version_ids),
            "DeleteSecret" => op!(w::DeleteSecretRequest, delete_secret),
            "RestoreSecret" => op!(w::RestoreSecretRequest, restore_secret),
            "RotateSecret" => op!(w::RotateSecretRequest, rotate_secret),
            "CancelRotateSecret" => op!(w::CancelRotateSecretRequest, cancel_rotate_secret),
            "GetRandomPassword" => op!(w::GetRandomPasswordRequest, get_random_password),
            "PutResourcePolicy" => op!(w::PutResourcePolicyRequest, put_resource_policy),
            "GetResourcePolicy" => op!(w::GetResourcePolicyRequest, get_resource_policy),
            "DeleteResourcePolicy" => op!(w::DeleteResourcePolicyRequest, delete_resource_policy),
            "ValidateResourcePolicy" => {
                op!(w::ValidateResourcePolicyRequest, validate_resource_policy)
            }
            "TagResource" => op!(w::TagResourceRequest, tag_resource),
            "UntagResource" => op!(w::UntagResourceRequest, untag_resource),
            other if w::MODEL_OPERATIONS.contains(&other) => Err(ApiError::bad_request(
                "InvalidRequestException",
                format!("{other} is not supported by this server."),
            )),
            other => Err(ApiError::bad_request(
                "UnknownOperationException",
                format!("Operation {other} is not supported by this server."),
            )),
        }
    }

    /// Authorizes `secretsmanager:<action>` on a secret (or `*`), with its
    /// resource policy and tags and the request's condition keys.
    fn allow(
        &self,
        ctx: &RequestContext,
        action: &str,
        secret: Option<&Secret>,
        resource: &str,
        extra: &dyn Fn(&mut Context),
    ) -> Result<(), ApiError> {
        let policy = secret.and_then(|s| s.compiled_policy.as_deref());
        let context = if ctx.needs_condition_context(policy) {
            let mut c = ctx.condition_context(policy);
            if let Some(s) = secret {
                c.insert(
                    "secretsmanager:SecretId",
                    ContextValue::string(s.arn.as_str()),
                );
                for t in s.tags.iter().flatten() {
                    let v = ContextValue::string(t.value.as_str());
                    c.insert(&format!("aws:ResourceTag/{}", t.key), v.clone());
                    c.insert(&format!("secretsmanager:ResourceTag/{}", t.key), v);
                }
                if let Some(r) = &s.rotation {
                    c.insert(
                        "secretsmanager:RotationLambdaARN",
                        ContextValue::string(r.lambda_arn.as_str()),
                    );
                }
            }
            extra(&mut c);
            c.into_context()
        } else {
            Context::new()
        };
        ctx.authorize(&AuthzCheck {
            action: &format!("secretsmanager:{action}"),
            resource,
            resource_account: Some(&self.account_id),
            resource_policy: policy,
            mandatory: false,
            context: &context,
            granted: false,
        })
        .map(|_| ())
    }

    /// The ARN prefix of this account's secrets in `region`.
    fn arn_prefix(&self, region: &str) -> String {
        format!(
            "arn:aws:secretsmanager:{region}:{}:secret:",
            self.account_id
        )
    }

    /// Finds a secret by name, full ARN, or partial ARN (without the suffix).
    fn find(&self, ctx: &RequestContext, id: &str) -> Result<Option<Arc<Secret>>, ApiError> {
        self.find_in(&ctx.region, id)
    }

    /// A secret of `region` by name, full ARN, or partial ARN.
    fn find_in(&self, region: &str, id: &str) -> Result<Option<Arc<Secret>>, ApiError> {
        let state = self.state.read().map_err(internal)?;
        let prefix = self.arn_prefix(region);
        let key = |name: &str| state_key(&self.account_id, region, name);
        if let Some(rest) = id.strip_prefix(&prefix) {
            // A full ARN: the name is the rest without `-XXXXXX`.
            if let Some((name, _)) = rest.rsplit_once('-')
                && let Some(s) = state.get(&key(name))
                && s.arn == id
            {
                return Ok(Some(Arc::clone(s)));
            }
            return Ok(state.get(&key(rest)).cloned());
        }
        if id.starts_with("arn:") {
            return Ok(None);
        }
        Ok(state.get(&key(id)).cloned())
    }

    /// A secret by its full ARN (as rotations name it).
    fn by_arn(&self, arn: &str) -> Result<Arc<Secret>, ApiError> {
        let region = arn.split(':').nth(3).unwrap_or_default();
        self.find_in(region, arn)?
            .filter(|s| s.arn == arn)
            .ok_or_else(not_found)
    }

    /// A secret that must exist, for a request that will `action` it. When it
    /// does not, the caller learns so only if its policies allow `action` on
    /// the secret it named (AWS authorizes first): otherwise AccessDenied, as
    /// for a secret that exists, so a caller with no access cannot probe names.
    fn secret(
        &self,
        ctx: &RequestContext,
        id: &str,
        action: &str,
    ) -> Result<Arc<Secret>, ApiError> {
        check_secret_id(id)?;
        if let Some(secret) = self.find(ctx, id)? {
            return Ok(secret);
        }
        let named = if id.starts_with("arn:") {
            id.to_owned()
        } else {
            format!("{}{id}", self.arn_prefix(&ctx.region))
        };
        self.allow(ctx, action, None, &named, &|_| {})?;
        Err(not_found())
    }

    /// Writes a secret (and any values) to the store, then memory.
    fn save(
        &self,
        secret: Secret,
        values: &[(String, model::StoredValue, Vec<u8>)],
        removed_values: &[String],
    ) -> Result<Arc<Secret>, ApiError> {
        let doc = serde_json::to_string(&secret).map_err(internal)?;
        let now = self.clock.now();
        self.store.transaction(|tx| {
            tx.put(SECRET_KIND, &secret.arn, &secret.account, &doc, None, now)
                .map_err(internal)?;
            for (version, stored, sealed) in values {
                let doc = serde_json::to_string(stored).map_err(internal)?;
                tx.put(
                    VALUE_KIND,
                    &value_id(&secret.arn, version),
                    &secret.account,
                    &doc,
                    Some(sealed),
                    now,
                )
                .map_err(internal)?;
            }
            for version in removed_values {
                tx.delete(VALUE_KIND, &value_id(&secret.arn, version))
                    .map_err(internal)?;
            }
            Ok::<(), ApiError>(())
        })?;
        if let Ok(mut sealed) = self.sealed.lock() {
            for version in removed_values {
                sealed.remove(&value_id(&secret.arn, version));
            }
            for (version, stored, bytes) in values {
                if sealed.len() >= SEALED_CACHE_MAX {
                    sealed.clear();
                }
                sealed.insert(
                    value_id(&secret.arn, version),
                    Arc::new((stored.clone(), bytes.clone())),
                );
            }
        }
        let secret = Arc::new(secret);
        self.state.write().map_err(internal)?.insert(
            state_key(&secret.account, &secret.region, &secret.name),
            Arc::clone(&secret),
        );
        Ok(secret)
    }
}

/// The id of a version's value record.
fn value_id(arn: &str, version: &str) -> String {
    format!("{arn}|{version}")
}

pub(crate) fn not_found() -> ApiError {
    ApiError::bad_request(
        "ResourceNotFoundException",
        "Secrets Manager can't find the specified secret.",
    )
}

pub(crate) fn invalid_request(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("InvalidRequestException", message)
}

pub(crate) fn invalid_parameter(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("InvalidParameterException", message)
}

pub(crate) fn marked_for_deletion() -> ApiError {
    invalid_request(
        "You can't perform this operation on the secret because it was marked for deletion.",
    )
}

/// A SecretId that is not an ARN must be a valid name.
fn check_secret_id(id: &str) -> Result<(), ApiError> {
    if id.starts_with("arn:") || valid_name(id) {
        Ok(())
    } else {
        Err(ApiError::validation(
            "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!",
        ))
    }
}

/// Secret names: 1–512 of ASCII letters, digits and `/_+=.@-`.
fn valid_name(name: &str) -> bool {
    (1..=512).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/_+=.@-".contains(c))
}
