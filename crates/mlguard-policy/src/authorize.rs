//! The decision: AWS's policy evaluation logic across identity policies,
//! permissions boundaries, session policies, SCPs and a resource-based policy.
//!
//! The rules, from the IAM User Guide ("Policy evaluation logic" and "Cross-account
//! policy evaluation logic"):
//! 1. An applicable `Deny` in any policy is an explicit deny.
//! 2. Service control policies, when present, must allow at every level of the
//!    organization.
//! 3. Same account: an allow from the identity policies counts only if the boundary
//!    (if any) and the session policies (if any; required for federated users) allow
//!    too. A resource-based policy grant naming the requester itself stands alone; one
//!    naming its role (or federating user) is limited by boundary and session policies;
//!    one naming the account delegates to the identity policies. The account's root
//!    user is allowed unless denied.
//! 4. Mandatory resource policies (KMS key policies, role trust policies): the
//!    resource policy must allow, possibly by delegating to the account.
//! 5. Cross account: the resource policy and the identity side must both allow.

use std::fmt;

use smallvec::SmallVec;

use crate::context::{Context, Principal, PrincipalKind};
use crate::evaluate::{PrincipalLink, Target};
use crate::policy::{Effect, Policy};

/// The outcome, with AWS's `EvalDecision` spellings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    /// `allowed`
    Allowed,
    /// `explicitDeny`
    ExplicitDeny,
    /// `implicitDeny`
    ImplicitDeny,
}

impl Decision {
    /// AWS's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allowed => "allowed",
            Decision::ExplicitDeny => "explicitDeny",
            Decision::ImplicitDeny => "implicitDeny",
        }
    }

    /// True for [`Decision::Allowed`].
    pub fn is_allowed(self) -> bool {
        self == Decision::Allowed
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which set of policies a matched statement belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicySource {
    /// The principal's identity-based policies.
    Identity,
    /// The permissions boundary.
    Boundary,
    /// Session policies.
    Session,
    /// Service control policies.
    ServiceControl,
    /// The resource-based policy.
    Resource,
}

impl PolicySource {
    /// A lowercase name for output.
    pub fn as_str(self) -> &'static str {
        match self {
            PolicySource::Identity => "identity",
            PolicySource::Boundary => "boundary",
            PolicySource::Session => "session",
            PolicySource::ServiceControl => "scp",
            PolicySource::Resource => "resource",
        }
    }
}

/// A statement that applied to the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatchedStatement {
    /// Which policy set.
    pub source: PolicySource,
    /// Index of the policy within its set.
    pub policy: usize,
    /// Index of the statement within the policy.
    pub statement: usize,
    /// The statement's effect.
    pub effect: Effect,
}

/// The policies that apply to one request.
#[derive(Debug, Clone, Copy, Default)]
pub struct PolicySet<'p> {
    /// Identity-based policies: the user's and its groups', or the role's.
    pub identity: &'p [&'p Policy],
    /// The permissions boundary, if the user or role has one.
    pub boundary: Option<&'p [&'p Policy]>,
    /// Session policies, if the session was created with any.
    pub session: Option<&'p [&'p Policy]>,
    /// Service control policies, if the account is in an organization: one slice
    /// per level of the organization (root, each OU, the account). Every level must
    /// allow; within a level, any policy may.
    pub service_control: Option<&'p [&'p [&'p Policy]]>,
    /// The resource's policy, if it has one.
    pub resource: Option<&'p Policy>,
    /// True where the resource policy must allow (KMS key policies, trust policies).
    pub resource_policy_mandatory: bool,
}

/// What is being asked.
#[derive(Debug, Clone, Copy)]
pub struct Request<'r> {
    /// Who asks.
    pub principal: &'r Principal,
    /// `service:Action`, e.g. `kms:Encrypt`.
    pub action: &'r str,
    /// The resource ARN, or `*` for actions without a resource.
    pub resource: &'r str,
    /// The account owning the resource; `None` means the principal's own account.
    pub resource_account: Option<&'r str>,
    /// The condition keys.
    pub context: &'r Context,
}

/// How each policy set voted, for explanations (AWS reports the boundary and
/// Organizations parts as separate decision details).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Votes {
    /// Some identity policy allows.
    pub identity_allows: bool,
    /// The boundary allows (`None`: no boundary).
    pub boundary_allows: Option<bool>,
    /// The session policies allow (`None`: no session policies).
    pub session_allows: Option<bool>,
    /// The SCPs allow (`None`: no SCPs).
    pub service_control_allows: Option<bool>,
    /// How the resource policy's best applicable allow named the requester.
    pub resource_allows: Option<PrincipalLink>,
    /// Whether the request crosses accounts.
    pub cross_account: bool,
}

/// The decision and the statements that produced it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    /// The decision.
    pub decision: Decision,
    /// The deciding statements: the applicable denies for an explicit deny, the
    /// applicable allows otherwise (which were not enough for an implicit deny).
    pub matched: SmallVec<[MatchedStatement; 4]>,
    /// How each policy set voted.
    pub votes: Votes,
}

/// Evaluates a request against a set of policies.
pub fn authorize(policies: &PolicySet<'_>, request: &Request<'_>) -> Evaluation {
    let (service, action_name) = request
        .action
        .split_once(':')
        .unwrap_or(("", request.action));
    let target = Target {
        principal: request.principal,
        service,
        action_name,
        resource: request.resource,
        context: request.context,
        has_boundary: policies.boundary.is_some(),
    };
    let mut denies: SmallVec<[MatchedStatement; 4]> = SmallVec::new();
    let mut allows: SmallVec<[MatchedStatement; 4]> = SmallVec::new();
    let mut scan = |source: PolicySource, set: &[&Policy]| -> (bool, Option<PrincipalLink>) {
        let mut allowed = false;
        let mut best: Option<PrincipalLink> = None;
        for (pi, policy) in set.iter().enumerate() {
            for (si, statement) in policy.statements.iter().enumerate() {
                let Some(link) = statement.applies(&target) else {
                    continue;
                };
                let matched = MatchedStatement {
                    source,
                    policy: pi,
                    statement: si,
                    effect: statement.effect.value,
                };
                match statement.effect.value {
                    Effect::Deny => denies.push(matched),
                    Effect::Allow => {
                        allowed = true;
                        best = best.max(Some(link));
                        allows.push(matched);
                    }
                }
            }
        }
        (allowed, best)
    };

    let (identity_allows, _) = scan(PolicySource::Identity, policies.identity);
    let boundary_allows = policies.boundary.map(|b| scan(PolicySource::Boundary, b).0);
    let session_allows = policies.session.map(|s| scan(PolicySource::Session, s).0);
    // Every level is scanned (its statements are reported) before the levels are combined.
    let service_control_allows = policies.service_control.map(|levels| {
        let votes: SmallVec<[bool; 4]> = levels
            .iter()
            .map(|level| scan(PolicySource::ServiceControl, level).0)
            .collect();
        votes.iter().all(|allowed| *allowed)
    });
    let resource_allows = policies
        .resource
        .and_then(|r| scan(PolicySource::Resource, std::slice::from_ref(&r)).1);

    let principal = request.principal;
    let cross_account = match (request.resource_account, principal.account.as_deref()) {
        (Some(resource), Some(own)) => resource != own,
        // Anonymous callers and services have no account and no identity side.
        (_, None) | (None, _) => false,
    };
    let votes = Votes {
        identity_allows,
        boundary_allows,
        session_allows,
        service_control_allows,
        resource_allows,
        cross_account,
    };

    let decision = if !denies.is_empty() {
        Decision::ExplicitDeny
    } else if service_control_allows == Some(false) {
        Decision::ImplicitDeny
    } else if decide(principal, policies.resource_policy_mandatory, &votes) {
        Decision::Allowed
    } else {
        Decision::ImplicitDeny
    };
    let matched = if decision == Decision::ExplicitDeny {
        denies
    } else {
        allows
    };
    Evaluation {
        decision,
        matched,
        votes,
    }
}

/// Steps 3 to 5 of the module documentation, once no deny applies.
fn decide(principal: &Principal, mandatory: bool, v: &Votes) -> bool {
    let boundary_ok = v.boundary_allows != Some(false);
    // Session policies narrow sessions; a federated user session without one gets
    // nothing from the IAM user's identity policies.
    let (session_ok, identity_needs_session) = match principal.kind {
        PrincipalKind::FederatedUser { .. } => (
            v.session_allows != Some(false),
            v.session_allows != Some(true),
        ),
        _ => (v.session_allows != Some(false), false),
    };
    let root = principal.is_root();
    let identity_grant =
        root || (v.identity_allows && boundary_ok && session_ok && !identity_needs_session);
    let resource_grant = match v.resource_allows {
        Some(PrincipalLink::Direct) => true,
        Some(PrincipalLink::Parent) => boundary_ok && session_ok && !identity_needs_session,
        Some(PrincipalLink::Account) | None => false,
    };
    if v.cross_account {
        return v.resource_allows.is_some() && identity_grant;
    }
    if mandatory {
        return resource_grant
            || (v.resource_allows == Some(PrincipalLink::Account) && identity_grant);
    }
    identity_grant || resource_grant
}
