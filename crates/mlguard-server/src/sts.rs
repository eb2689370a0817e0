//! AWS STS over awsQuery: GetCallerIdentity, GetSessionToken (with MFA) and
//! AssumeRole (the trust policy evaluated, external id, MFA, duration limits,
//! session policies, source identity, session tags). Temporary credentials are
//! sealed in the store, survive restarts, and stop working when they expire.

use std::sync::Arc;

use bytes::Bytes;
use http::Response;
use http_body_util::Full;
use mlguard_crypto::RootKey;
use mlguard_policy::{ContextValue, Policy, PolicyKind};
use mlguard_store::Store;
use mlguard_wire::query::QueryParams;
use mlguard_wire::sts as w;
use mlguard_wire::{SensitiveString, Timestamp};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::audit::AuditInfo;
use crate::clock::Clock;
use crate::context::{AuthzCheck, RequestContext};
use crate::error::ApiError;
use crate::iam::Iam;
use crate::iam::model::Kind;
use crate::identity::{Caller, CallerKind, Credential, Credentials, Session};
use crate::protocol::xml;

/// The store kind of sessions.
pub const STORE_KIND: &str = "sts.session";

/// What is stored of a session (its secret and token are sealed).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SessionDoc {
    access_key_id: String,
    /// `root`, `user` or `role`.
    kind: String,
    name: Option<String>,
    arn: Option<String>,
    id: Option<String>,
    session_name: Option<String>,
    issued: i64,
    expires: i64,
    mfa_at: Option<i64>,
    policies: Option<Vec<String>>,
    source_identity: Option<String>,
    tags: Vec<(String, String)>,
}

impl SessionDoc {
    /// A plain session of `role` (no MFA, session policies, source identity or tags).
    fn of_role(
        role: &crate::iam::model::Entity,
        session_name: &str,
        now: i64,
        duration: i64,
    ) -> SessionDoc {
        SessionDoc {
            access_key_id: String::new(),
            kind: "role".into(),
            name: Some(role.name.clone()),
            arn: Some(role.arn.clone()),
            id: Some(role.id.clone()),
            session_name: Some(session_name.to_string()),
            issued: now,
            expires: now + duration,
            mfa_at: None,
            policies: None,
            source_identity: None,
            tags: Vec::new(),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct SealedParts {
    secret: String,
    token: String,
}

/// The STS service.
pub struct Sts {
    store: Arc<Store>,
    root_key: Arc<RootKey>,
    clock: Arc<Clock>,
    account_id: String,
    credentials: Arc<Credentials>,
    iam: Arc<Iam>,
    /// `--emulate`: every caller is root, and root may assume roles there as
    /// in moto (AWS refuses root).
    emulate: bool,
}

/// How long an expired session is remembered so that its requests get
/// `ExpiredToken` rather than `InvalidClientTokenId`.
const EXPIRED_RETAIN_SECS: i64 = 86_400;

fn internal(e: impl std::fmt::Display) -> ApiError {
    tracing::error!("sts: {e}");
    ApiError::new(500, "InternalFailure", "The request processing has failed.")
}

fn purpose(access_key_id: &str) -> String {
    format!("sts:session:{access_key_id}")
}

fn access_denied(message: impl Into<String>) -> ApiError {
    ApiError::new(403, "AccessDenied", message)
}

fn validation(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("ValidationError", message)
}

/// A random session token (opaque to clients, as AWS's).
fn new_token() -> Result<Zeroizing<String>, ApiError> {
    use base64::Engine as _;
    let bytes = mlguard_crypto::random::secret_bytes(96).map_err(internal)?;
    Ok(Zeroizing::new(
        base64::engine::general_purpose::STANDARD.encode(&*bytes),
    ))
}

impl Sts {
    /// The account's IAM.
    pub(crate) fn iam(&self) -> &Arc<Iam> {
        &self.iam
    }

    /// Loads unexpired sessions from the store and makes them usable.
    pub fn load(
        store: Arc<Store>,
        root_key: Arc<RootKey>,
        clock: Arc<Clock>,
        account_id: String,
        credentials: Arc<Credentials>,
        iam: Arc<Iam>,
        emulate: bool,
    ) -> Result<Sts, ApiError> {
        let sts = Sts {
            store,
            root_key,
            clock,
            account_id,
            credentials,
            iam,
            emulate,
        };
        let now = sts.clock.now();
        for record in sts.store.load_all(STORE_KIND).map_err(internal)? {
            let doc: SessionDoc = serde_json::from_str(&record.doc).map_err(internal)?;
            if doc.expires + EXPIRED_RETAIN_SECS <= now {
                continue;
            }
            let Some(sealed) = record.sealed else {
                continue;
            };
            let opened = sts
                .root_key
                .open(purpose(&doc.access_key_id).as_bytes(), &sealed)
                .map_err(internal)?;
            let parts: SealedParts = serde_json::from_slice(&opened).map_err(internal)?;
            let credential = sts.credential_from(&doc, parts)?;
            sts.credentials.insert(credential);
        }
        Ok(sts)
    }

    fn credential_from(
        &self,
        doc: &SessionDoc,
        parts: SealedParts,
    ) -> Result<Credential, ApiError> {
        let mut policies = Vec::new();
        for text in doc.policies.iter().flatten() {
            let p = Policy::parse(text, PolicyKind::Session).map_err(internal)?;
            policies.push(Arc::new(p));
        }
        let session = Session {
            token: Zeroizing::new(parts.token),
            issued: doc.issued,
            expires: doc.expires,
            mfa_authenticated_at: doc.mfa_at,
            policies: doc.policies.as_ref().map(|_| policies),
            source_identity: doc.source_identity.clone(),
            tags: doc.tags.clone(),
        };
        let name = doc.name.clone().unwrap_or_default();
        let arn = doc.arn.clone().unwrap_or_default();
        let id = doc.id.clone().unwrap_or_default();
        let caller = match doc.kind.as_str() {
            "root" => Caller::root(&self.account_id).with_session(session),
            "user" => Caller::user(&self.account_id, &arn, &id, &name).with_session(session),
            _ => Caller::assumed_role(
                &self.account_id,
                &arn,
                &name,
                &id,
                doc.session_name.as_deref().unwrap_or(""),
                session,
            ),
        };
        Ok(Credential {
            access_key_id: doc.access_key_id.clone(),
            secret: Zeroizing::new(parts.secret),
            caller: Arc::new(caller),
        })
    }

    /// Issues, stores and registers temporary credentials.
    fn issue(&self, mut doc: SessionDoc) -> Result<(w::Credentials, Arc<Caller>), ApiError> {
        doc.access_key_id = crate::datadir::new_access_key_id("ASIA").map_err(internal)?;
        let secret = crate::datadir::new_secret_key().map_err(internal)?;
        let token = new_token()?;
        let parts = SealedParts {
            secret: secret.to_string(),
            token: token.to_string(),
        };
        let plain = Zeroizing::new(serde_json::to_vec(&parts).map_err(internal)?);
        let sealed = self
            .root_key
            .seal(purpose(&doc.access_key_id).as_bytes(), &plain)
            .map_err(internal)?;
        let text = serde_json::to_string(&doc).map_err(internal)?;
        self.store.transaction(|tx| {
            tx.put(
                STORE_KIND,
                &doc.access_key_id,
                &self.account_id,
                &text,
                Some(&sealed),
                doc.issued,
            )
            .map_err(internal)
        })?;
        let credential = self.credential_from(&doc, parts)?;
        let caller = Arc::clone(&credential.caller);
        self.credentials.insert(credential);
        Ok((
            w::Credentials {
                access_key_id: Some(doc.access_key_id.clone()),
                secret_access_key: Some(SensitiveString(secret)),
                session_token: Some(token.to_string()),
                expiration: Some(Timestamp::from_unix(doc.expires)),
            },
            caller,
        ))
    }

    /// Forgets sessions a day after they expired (the scheduler calls this).
    /// Until then their requests are answered `ExpiredToken`, as AWS answers a
    /// stale token; afterwards the access key is unknown (`InvalidClientTokenId`).
    pub fn expire(&self) -> Result<usize, ApiError> {
        let cutoff = self.clock.now() - EXPIRED_RETAIN_SECS;
        let dropped = self.credentials.remove_where(|c| {
            c.caller
                .session
                .as_ref()
                .is_some_and(|s| s.expires <= cutoff)
        });
        for record in self.store.load_all(STORE_KIND).map_err(internal)? {
            if let Ok(doc) = serde_json::from_str::<SessionDoc>(&record.doc)
                && doc.expires <= cutoff
            {
                self.store
                    .transaction(|tx| tx.delete(STORE_KIND, &record.id).map(|_| ()))
                    .map_err(internal)?;
            }
        }
        Ok(dropped)
    }

    /// Handles one operation.
    pub async fn handle(
        self: &Arc<Self>,
        ctx: &RequestContext,
        operation: &str,
        params: QueryParams,
    ) -> Result<(Response<Full<Bytes>>, AuditInfo), ApiError> {
        let this = Arc::clone(self);
        let ctx = ctx.clone();
        let operation = operation.to_string();
        tokio::task::spawn_blocking(move || this.dispatch(&ctx, &operation, &params))
            .await
            .map_err(internal)?
    }

    fn dispatch(
        &self,
        ctx: &RequestContext,
        operation: &str,
        params: &QueryParams,
    ) -> Result<(Response<Full<Bytes>>, AuditInfo), ApiError> {
        let id = ctx.request_id.as_str();
        macro_rules! op {
            ($req:ty, $f:ident) => {{
                let request: $req = xml::query_decode(params)?;
                let (response, audit) = self.$f(ctx, request)?;
                Ok((
                    xml::query_ok(
                        id,
                        operation,
                        w::result_wrapper(operation),
                        w::XML_NAMESPACE,
                        &response,
                    ),
                    audit,
                ))
            }};
        }
        match operation {
            "GetCallerIdentity" => op!(w::GetCallerIdentityRequest, get_caller_identity),
            "GetSessionToken" => op!(w::GetSessionTokenRequest, get_session_token),
            "AssumeRole" => op!(w::AssumeRoleRequest, assume_role),
            other if w::MODEL_OPERATIONS.contains(&other) => Err(ApiError::bad_request(
                "NotImplemented",
                format!("{other} is not implemented by this mlguard yet."),
            )),
            // (IAM's and STS's common errors: MissingAction, 400.)
            "" => Err(ApiError::bad_request("MissingAction", "Missing Action")),
            other => Err(ApiError::bad_request(
                "InvalidAction",
                format!("Could not find operation {other} for version 2011-06-15"),
            )),
        }
    }

    fn get_caller_identity(
        &self,
        ctx: &RequestContext,
        _req: w::GetCallerIdentityRequest,
    ) -> Result<(w::GetCallerIdentityResponse, AuditInfo), ApiError> {
        // No permission is needed to ask who you are.
        Ok((
            w::GetCallerIdentityResponse {
                user_id: Some(ctx.caller.user_id.clone()),
                account: Some(ctx.caller.account_id.clone()),
                arn: Some(ctx.caller.arn.clone()),
            },
            AuditInfo::default(),
        ))
    }

    fn get_session_token(
        &self,
        ctx: &RequestContext,
        req: w::GetSessionTokenRequest,
    ) -> Result<(w::GetSessionTokenResponse, AuditInfo), ApiError> {
        let caller = &ctx.caller;
        if caller.session.is_some() {
            return Err(access_denied(
                "Cannot call GetSessionToken with session credentials",
            ));
        }
        let (kind, max) = match caller.kind {
            CallerKind::Root => ("root", 3_600),
            CallerKind::User => ("user", 129_600),
            CallerKind::AssumedRole => {
                return Err(access_denied(
                    "Cannot call GetSessionToken with session credentials",
                ));
            }
        };
        let duration = req
            .duration_seconds
            .unwrap_or(if kind == "root" { 3_600 } else { 43_200 });
        let duration = i64::from(duration).min(max);
        let now = self.clock.now();
        let mfa_at = match (&req.serial_number, &req.token_code) {
            (Some(serial), Some(code)) => {
                let user = caller.username.as_deref().unwrap_or("");
                self.iam.verify_mfa(serial, user, code)?;
                Some(now)
            }
            (None, None) => None,
            _ => {
                return Err(validation(
                    "Both SerialNumber and TokenCode are required for MFA.",
                ));
            }
        };
        let doc = SessionDoc {
            access_key_id: String::new(),
            kind: kind.into(),
            name: caller.username.clone(),
            arn: Some(caller.arn.clone()),
            id: Some(caller.user_id.clone()),
            session_name: None,
            issued: now,
            expires: now + duration,
            mfa_at,
            policies: None,
            source_identity: None,
            tags: Vec::new(),
        };
        let (credentials, _) = self.issue(doc)?;
        Ok((
            w::GetSessionTokenResponse {
                credentials: Some(credentials),
            },
            AuditInfo::default(),
        ))
    }

    fn assume_role(
        &self,
        ctx: &RequestContext,
        req: w::AssumeRoleRequest,
    ) -> Result<(w::AssumeRoleResponse, AuditInfo), ApiError> {
        let role_arn = req.role_arn.clone().unwrap_or_default();
        let session_name = req.role_session_name.clone().unwrap_or_default();
        if ctx.caller.kind == CallerKind::Root && !self.emulate {
            return Err(access_denied("Roles may not be assumed by root accounts."));
        }
        let denied_for = |action: &str| {
            access_denied(format!(
                "User: {} is not authorized to perform: {action} on resource: {role_arn}",
                ctx.caller.arn
            ))
        };
        let denied = || denied_for("sts:AssumeRole");
        // The role: by ARN, in this account.
        let role_name = role_arn.rsplit('/').next().unwrap_or("");
        let role = {
            let inner = self.iam.read()?;
            inner
                .entities(Kind::Role)
                .get(&role_name.to_ascii_lowercase())
                .filter(|r| r.arn == role_arn)
                .cloned()
        }
        .ok_or_else(denied)?;
        let trust = role
            .trust
            .as_ref()
            .and_then(|d| d.policy.clone())
            .ok_or_else(denied)?;
        let now = self.clock.now();
        // MFA given with the request counts for the trust policy's conditions.
        let mfa_at = match (&req.serial_number, &req.token_code) {
            (Some(serial), Some(code)) => {
                let user = ctx.caller.username.as_deref().unwrap_or("");
                self.iam.verify_mfa(serial, user, code)?;
                Some(now)
            }
            (None, None) => ctx
                .caller
                .session
                .as_ref()
                .and_then(|s| s.mfa_authenticated_at),
            _ => {
                return Err(validation(
                    "Both SerialNumber and TokenCode are required for MFA.",
                ));
            }
        };
        let tags: Vec<(String, String)> = req
            .tags
            .iter()
            .flatten()
            .map(|t| {
                (
                    t.key.clone().unwrap_or_default(),
                    t.value.clone().unwrap_or_default(),
                )
            })
            .collect();
        let mut context = ctx.condition_context(Some(&trust));
        if let Some(external) = &req.external_id {
            context.insert("sts:ExternalId", ContextValue::string(external.as_str()));
        }
        context.insert(
            "sts:RoleSessionName",
            ContextValue::string(session_name.as_str()),
        );
        if let Some(source) = &req.source_identity {
            context.insert("sts:SourceIdentity", ContextValue::string(source.as_str()));
        }
        if mfa_at.is_some() {
            context.insert("aws:MultiFactorAuthPresent", ContextValue::boolean(true));
            context.insert(
                "aws:MultiFactorAuthAge",
                ContextValue::string(mfa_at.map_or(0, |t| (now - t).max(0)).to_string()),
            );
        }
        crate::context::insert_request_tags(
            &mut context,
            tags.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        );
        // Session tags and a source identity each need their own permission,
        // in the trust policy and the caller's policies alike.
        let actions = std::iter::once("sts:AssumeRole")
            .chain((!tags.is_empty()).then_some("sts:TagSession"))
            .chain(
                req.source_identity
                    .is_some()
                    .then_some("sts:SetSourceIdentity"),
            );
        for action in actions {
            ctx.authorize(&AuthzCheck {
                action,
                resource: &role_arn,
                resource_account: Some(&self.account_id),
                resource_policy: Some(&trust),
                mandatory: true,
                context: &context,
                granted: false,
            })
            .map_err(|_| denied_for(action))?;
        }
        // Durations: the role's maximum; one hour when chaining roles.
        let max = i64::from(role.max_session_duration.unwrap_or(3_600));
        let duration = i64::from(req.duration_seconds.unwrap_or(3_600));
        if ctx.caller.kind == CallerKind::AssumedRole && duration > 3_600 {
            return Err(validation(
                "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
            ));
        }
        if duration > max {
            return Err(validation(
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
            ));
        }
        // Session policies: inline and managed, together at most the packed limit.
        let mut policies: Option<Vec<String>> = None;
        if let Some(text) = &req.policy {
            Policy::parse(text, PolicyKind::Session).map_err(|e| {
                ApiError::bad_request("MalformedPolicyDocument", e.aws_message.clone())
            })?;
            policies.get_or_insert_default().push(text.clone());
        }
        for descriptor in req.policy_arns.iter().flatten() {
            let arn = descriptor.arn.clone().unwrap_or_default();
            let inner = self.iam.read()?;
            let policy = inner.policy_by_arn(&arn).ok_or_else(|| {
                ApiError::new(
                    404,
                    "NoSuchEntity",
                    format!("Policy {arn} does not exist or is not attachable."),
                )
            })?;
            let text = policy
                .versions
                .iter()
                .find(|v| v.id == policy.default_version)
                .map(|v| v.doc.text.clone())
                .unwrap_or_default();
            policies.get_or_insert_default().push(text);
        }
        let packed = policies.as_ref().map(|p| {
            let size: usize = p
                .iter()
                .map(|t| t.chars().filter(|c| !c.is_whitespace()).count())
                .sum();
            // AWS reports the packed size as a percentage of its limit.
            i32::try_from(size * 100 / 2_048).unwrap_or(i32::MAX)
        });
        if packed.is_some_and(|p| p > 100) {
            return Err(ApiError::bad_request(
                "PackedPolicyTooLarge",
                "Packed policy consumes more than 100% of the allotted space",
            ));
        }
        let doc = SessionDoc {
            mfa_at,
            policies,
            source_identity: req.source_identity.clone(),
            tags,
            ..SessionDoc::of_role(&role, &session_name, now, duration)
        };
        let (credentials, caller) = self.issue(doc)?;
        Ok((
            w::AssumeRoleResponse {
                credentials: Some(credentials),
                assumed_role_user: Some(w::AssumedRoleUser {
                    assumed_role_id: Some(caller.user_id.clone()),
                    arn: Some(caller.arn.clone()),
                }),
                packed_policy_size: packed,
                source_identity: req.source_identity,
            },
            AuditInfo {
                response_elements: None,
                resources: vec![(role.arn.clone(), "AWS::IAM::Role", self.account_id.clone())],
            },
        ))
    }
}

impl Sts {
    /// Temporary credentials of role `role_name` for code a service runs on its own
    /// (a rotation function, as Lambda runs one under its execution role): the
    /// role's trust policy must let `service` (e.g. `lambda.amazonaws.com`) assume
    /// it. Returns (access key id, secret, session token).
    pub fn service_session(
        &self,
        role_name: &str,
        session_name: &str,
        service: &str,
        duration: i64,
    ) -> Result<(String, Zeroizing<String>, Zeroizing<String>), ApiError> {
        let role = {
            let inner = self.iam.read()?;
            inner
                .entities(Kind::Role)
                .get(&role_name.to_ascii_lowercase())
                .cloned()
        }
        .ok_or_else(|| access_denied(format!("The role {role_name} does not exist.")))?;
        let trust = role
            .trust
            .as_ref()
            .and_then(|d| d.policy.clone())
            .ok_or_else(|| access_denied(format!("The role {role_name} has no trust policy.")))?;
        let principal = mlguard_policy::Principal::service(service);
        let evaluation = mlguard_policy::authorize(
            &mlguard_policy::PolicySet {
                resource: Some(&trust),
                resource_policy_mandatory: true,
                ..mlguard_policy::PolicySet::default()
            },
            &mlguard_policy::Request {
                principal: &principal,
                action: "sts:AssumeRole",
                resource: &role.arn,
                resource_account: Some(&self.account_id),
                context: &mlguard_policy::Context::new(),
            },
        );
        if !evaluation.decision.is_allowed() {
            return Err(access_denied(format!(
                "The trust policy of role {} does not allow {service} to assume it.",
                role.arn
            )));
        }
        let now = self.clock.now();
        let doc = SessionDoc::of_role(&role, session_name, now, duration);
        let (credentials, _) = self.issue(doc)?;
        let secret = credentials
            .secret_access_key
            .map(|s| s.0)
            .unwrap_or_default();
        Ok((
            credentials.access_key_id.unwrap_or_default(),
            secret,
            Zeroizing::new(credentials.session_token.unwrap_or_default()),
        ))
    }
}
