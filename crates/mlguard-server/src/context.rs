//! The request context: who asks, from where, when, over what — and the global
//! condition keys the policy engine sees — plus authorization through the engine,
//! with AWS's access-denied messages.

use std::net::IpAddr;
use std::sync::Arc;

use mlguard_policy::{
    Context, ContextValue, Decision, Evaluation, Policy, PolicySet, PolicySource, Request,
    authorize,
};

use crate::error::ApiError;
use crate::identity::{Caller, CallerKind};
use crate::protocol::Protocol;

/// TLS details of the connection, as CloudTrail records them.
#[derive(Debug, Clone)]
pub struct TlsDetails {
    /// e.g. `TLSv1.3`.
    pub version: String,
    /// e.g. `TLS_AES_128_GCM_SHA256`.
    pub cipher_suite: String,
    /// The Host header the client sent.
    pub host: String,
}

/// The policies that apply to a caller, looked up per request so that a change
/// takes effect at once. Empty for the account root.
#[derive(Debug, Default, Clone)]
pub struct PrincipalPolicies {
    /// Identity-based policies: the user's and its groups', or the role's.
    pub identity: Vec<Arc<Policy>>,
    /// The permissions boundary.
    pub boundary: Option<Arc<Policy>>,
    /// Session policies, when the session was created with any.
    pub session: Option<Vec<Arc<Policy>>>,
    /// `aws:PrincipalTag/*`: the user's or role's tags, session tags over them.
    pub tags: Vec<(String, String)>,
}

/// One authenticated request.
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// `x-amzn-RequestId`, also the audit event's `requestID`.
    pub request_id: String,
    /// The caller.
    pub caller: Arc<Caller>,
    /// The access key id used.
    pub access_key_id: String,
    /// The region the request was signed for.
    pub region: String,
    /// The client's address.
    pub source_ip: IpAddr,
    /// The User-Agent header.
    pub user_agent: String,
    /// True over TLS.
    pub secure_transport: bool,
    /// TLS details, when secure.
    pub tls: Option<TlsDetails>,
    /// Request time, seconds since the epoch (the server clock).
    pub now: i64,
    /// The protocol, for error shapes.
    pub protocol: Protocol,
    /// The operation, e.g. `Encrypt`.
    pub operation: String,
    /// The caller's policies.
    pub policies: Arc<PrincipalPolicies>,
}

impl RequestContext {
    /// The global condition keys of this request that the caller's policies or
    /// `resource_policy` can read ([`Policy::read_keys`]): a key no policy reads
    /// cannot change a decision, so it is not built. Services add their own keys
    /// to the result.
    pub fn condition_context<'p>(
        &'p self,
        resource_policy: Option<&'p Policy>,
    ) -> ConditionContext<'p> {
        let reads: Vec<&str> = resource_policy
            .into_iter()
            .chain(self.all_policies())
            .flat_map(|p| p.read_keys().iter().map(AsRef::as_ref))
            .collect();
        let wants = |key: &str| reads.iter().any(|r| r.eq_ignore_ascii_case(key));
        let mut c = Context::new();
        let mut put = |key: &str, value: &dyn Fn() -> ContextValue| {
            if wants(key) {
                c.insert(key, value());
            }
        };
        let caller = &self.caller;
        put("aws:PrincipalArn", &|| {
            ContextValue::string(caller.arn.as_str())
        });
        put("aws:PrincipalAccount", &|| {
            ContextValue::string(caller.account_id.as_str())
        });
        put("aws:PrincipalType", &|| {
            ContextValue::string(caller.principal_type())
        });
        put("aws:userid", &|| {
            ContextValue::string(caller.user_id.as_str())
        });
        if let Some(name) = &caller.username {
            put("aws:username", &|| ContextValue::string(name.as_str()));
        }
        put("aws:SourceIp", &|| {
            ContextValue::string(self.source_ip.to_string())
        });
        put("aws:SecureTransport", &|| {
            ContextValue::boolean(self.secure_transport)
        });
        put("aws:CurrentTime", &|| {
            ContextValue::string(crate::clock::iso8601(self.now))
        });
        put("aws:EpochTime", &|| {
            ContextValue::string(self.now.to_string())
        });
        put("aws:RequestedRegion", &|| {
            ContextValue::string(self.region.as_str())
        });
        put("aws:UserAgent", &|| {
            ContextValue::string(self.user_agent.as_str())
        });
        put("aws:ViaAWSService", &|| ContextValue::boolean(false));
        // MFA and token keys exist only for temporary credentials: long-term
        // access keys carry no aws:MultiFactorAuthPresent at all (which is why
        // AWS's MFA policies use BoolIfExists).
        if let Some(session) = &caller.session {
            put("aws:MultiFactorAuthPresent", &|| {
                ContextValue::boolean(session.mfa_authenticated_at.is_some())
            });
            if let Some(at) = session.mfa_authenticated_at {
                put("aws:MultiFactorAuthAge", &|| {
                    ContextValue::string((self.now - at).max(0).to_string())
                });
            }
            put("aws:TokenIssueTime", &|| {
                ContextValue::string(crate::clock::iso8601(session.issued))
            });
            if let Some(source) = &session.source_identity {
                put("aws:SourceIdentity", &|| {
                    ContextValue::string(source.as_str())
                });
            }
        }
        for (k, v) in &self.policies.tags {
            let read = reads.iter().any(|r| {
                r.get(..17)
                    .is_some_and(|p| p.eq_ignore_ascii_case("aws:principaltag/"))
                    && r.get(17..).is_some_and(|t| t.eq_ignore_ascii_case(k))
            });
            if read {
                c.insert(
                    &format!("aws:PrincipalTag/{k}"),
                    ContextValue::string(v.as_str()),
                );
            }
        }
        ConditionContext { context: c, reads }
    }

    /// The caller's identity-based policies. The account root has none: it is
    /// allowed everything its account's resource policies do not deny.
    fn identity_policies(&self) -> Vec<&Policy> {
        self.policies.identity.iter().map(AsRef::as_ref).collect()
    }

    fn all_policies(&self) -> impl Iterator<Item = &Policy> {
        self.policies
            .identity
            .iter()
            .chain(self.policies.boundary.iter())
            .chain(self.policies.session.iter().flatten())
            .map(AsRef::as_ref)
    }

    /// Whether authorizing against `resource_policy` (and the caller's own
    /// policies) can read the condition context. When it cannot, callers pass an
    /// empty context instead of building one: the decision is the same
    /// ([`Policy::reads_context`]).
    pub fn needs_condition_context(&self, resource_policy: Option<&Policy>) -> bool {
        resource_policy.is_some_and(Policy::reads_context)
            || self.all_policies().any(Policy::reads_context)
    }

    /// Authorizes `action` on `resource` against the caller's policies and the
    /// resource's policy. `Ok` carries the evaluation (for the audit trail).
    pub fn authorize(&self, check: &AuthzCheck<'_>) -> Result<Evaluation, ApiError> {
        let identity = self.identity_policies();
        let boundary: Vec<&Policy> = self.policies.boundary.iter().map(AsRef::as_ref).collect();
        let session: Option<Vec<&Policy>> = self
            .policies
            .session
            .as_ref()
            .map(|s| s.iter().map(AsRef::as_ref).collect());
        let set = PolicySet {
            identity: &identity,
            boundary: (!boundary.is_empty()).then_some(boundary.as_slice()),
            session: session.as_deref(),
            resource: check.resource_policy,
            resource_policy_mandatory: check.mandatory,
            ..PolicySet::default()
        };
        let request = Request {
            principal: &self.caller.principal,
            action: check.action,
            resource: check.resource,
            resource_account: check.resource_account,
            context: check.context,
        };
        let evaluation = authorize(&set, &request);
        if evaluation.decision.is_allowed()
            || (evaluation.decision == Decision::ImplicitDeny && check.granted)
        {
            return Ok(evaluation);
        }
        Err(self.access_denied(check.action, check.resource, &evaluation))
    }

    /// Authorizes `action` on `resource` against the caller's policies alone,
    /// for resources that have no resource policy (IAM's, Comprehend's `*`).
    /// `extra` adds the request's own condition keys.
    pub fn authorize_identity(
        &self,
        action: &str,
        resource: &str,
        extra: &dyn Fn(&mut Context),
    ) -> Result<(), ApiError> {
        let context = if self.needs_condition_context(None) {
            let mut c = self.condition_context(None);
            extra(&mut c);
            c.into_context()
        } else {
            Context::new()
        };
        self.authorize(&AuthzCheck {
            action,
            resource,
            resource_account: None,
            resource_policy: None,
            mandatory: false,
            context: &context,
            granted: false,
        })
        .map(|_| ())
    }

    /// AWS's access-denied error for this protocol, with the reason AWS gives.
    pub fn access_denied(&self, action: &str, resource: &str, evaluation: &Evaluation) -> ApiError {
        let reason = match evaluation.decision {
            Decision::ExplicitDeny => {
                let source = evaluation.matched.first().map(|m| m.source);
                match source {
                    Some(PolicySource::Resource) => {
                        "with an explicit deny in a resource-based policy".to_string()
                    }
                    Some(PolicySource::Boundary) => {
                        "with an explicit deny in a permissions boundary".to_string()
                    }
                    Some(PolicySource::Session) => {
                        "with an explicit deny in a session policy".to_string()
                    }
                    Some(PolicySource::ServiceControl) => {
                        "with an explicit deny in a service control policy".to_string()
                    }
                    _ => "with an explicit deny in an identity-based policy".to_string(),
                }
            }
            _ => {
                let votes = &evaluation.votes;
                if votes.boundary_allows == Some(false) && votes.identity_allows {
                    format!("because no permissions boundary allows the {action} action")
                } else if votes.session_allows == Some(false) && votes.identity_allows {
                    format!("because no session policy allows the {action} action")
                } else if self.caller.kind == CallerKind::Root || votes.identity_allows {
                    format!("because no resource-based policy allows the {action} action")
                } else {
                    format!("because no identity-based policy allows the {action} action")
                }
            }
        };
        let who = format!("User: {}", self.caller.arn);
        let message = format!(
            "{who} is not authorized to perform: {action} on resource: {resource} {reason}"
        );
        let (status, code) = match self.protocol {
            Protocol::Json => (400, "AccessDeniedException"),
            // Access Analyzer's model: AccessDeniedException, HTTP 403.
            Protocol::RestJson => (403, "AccessDeniedException"),
            // IAM, STS (and S3) answer 403 Forbidden.
            Protocol::Query | Protocol::RestXml => (403, "AccessDenied"),
        };
        ApiError::new(status, code, message)
    }
}

/// Adds `aws:RequestTag/KEY` for each tag a request carries, and `aws:TagKeys`
/// when it carries any.
pub fn insert_request_tags<'t>(
    context: &mut Context,
    tags: impl IntoIterator<Item = (&'t str, &'t str)>,
) {
    let mut keys = Vec::new();
    for (k, v) in tags {
        context.insert(&format!("aws:RequestTag/{k}"), ContextValue::string(v));
        keys.push(k);
    }
    if !keys.is_empty() {
        context.insert("aws:TagKeys", ContextValue::string_list(keys));
    }
}

/// A request's condition keys, holding only those some policy in play can read:
/// [`ConditionContext::insert`] drops any other. It reads as a [`Context`].
pub struct ConditionContext<'p> {
    context: Context,
    reads: Vec<&'p str>,
}

impl ConditionContext<'_> {
    /// Whether some policy reads `key`.
    pub fn reads(&self, key: &str) -> bool {
        self.reads.iter().any(|r| r.eq_ignore_ascii_case(key))
    }

    /// Adds `key` if some policy reads it.
    pub fn insert(&mut self, key: &str, value: ContextValue) {
        if self.reads(key) {
            self.context.insert(key, value);
        }
    }

    /// Adds `key`, computing its value only if some policy reads it.
    pub fn insert_with(&mut self, key: &str, value: impl FnOnce() -> ContextValue) {
        if self.reads(key) {
            self.context.insert(key, value());
        }
    }

    /// The keys.
    pub fn into_context(self) -> Context {
        self.context
    }
}

impl std::ops::Deref for ConditionContext<'_> {
    type Target = Context;
    fn deref(&self) -> &Context {
        &self.context
    }
}

impl std::ops::DerefMut for ConditionContext<'_> {
    fn deref_mut(&mut self) -> &mut Context {
        &mut self.context
    }
}

/// One authorization question.
pub struct AuthzCheck<'a> {
    /// `service:Action`.
    pub action: &'a str,
    /// The resource ARN or `*`.
    pub resource: &'a str,
    /// The account owning the resource.
    pub resource_account: Option<&'a str>,
    /// The resource's policy.
    pub resource_policy: Option<&'a Policy>,
    /// KMS key policies (and trust policies) must allow.
    pub mandatory: bool,
    /// The condition keys.
    pub context: &'a Context,
    /// A grant allows the request (KMS): it then stands unless explicitly denied.
    pub granted: bool,
}
