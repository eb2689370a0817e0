//! Whether one statement applies to one request, and if it is in a resource-based
//! policy, how it named the requester.

use crate::context::{Context, Principal, PrincipalKind};
use crate::policy::{
    Effect, PrincipalBlock, PrincipalEntry, PrincipalMatcher, PrincipalType, ResourcePattern,
    Statement,
};

/// How a statement with a `Principal` element named the requester. The kind of
/// link decides which implicit denies still limit a resource-based grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PrincipalLink {
    /// Through the requester's account (its root ARN or account id): a delegation to
    /// the account's own identity policies.
    Account,
    /// Through the role of a role session, or the IAM user behind a federated user
    /// session: limited by the session's boundary and session policies.
    Parent,
    /// The requester itself (its user or session ARN, `*`, its service): not limited
    /// by implicit denies in identity, boundary or session policies.
    Direct,
}

/// A request as the statement matcher sees it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Target<'r> {
    pub principal: &'r Principal,
    pub service: &'r str,
    pub action_name: &'r str,
    pub resource: &'r str,
    pub context: &'r Context,
    /// The principal has a permissions boundary (see [`principal_link`]).
    pub has_boundary: bool,
}

impl Statement {
    /// Whether the statement applies to the request. For a statement without a
    /// principal element (identity-based policies) the link is [`PrincipalLink::Direct`].
    pub(crate) fn applies(&self, t: &Target<'_>) -> Option<PrincipalLink> {
        let action_hit = self
            .action
            .items
            .iter()
            .any(|a| a.matches_parts(t.service, t.action_name));
        if action_hit == self.action.negated {
            return None;
        }
        if let Some(block) = &self.resource {
            let hit = block.items.iter().any(|r| match &r.pattern {
                ResourcePattern::All => true,
                ResourcePattern::Arn(p) => p.matches(t.resource, t.context),
                ResourcePattern::Nothing => false,
            });
            if hit == block.negated {
                return None;
            }
        }
        let link = match &self.principal {
            None => PrincipalLink::Direct,
            Some(block) => principal_link(
                block,
                t.principal,
                t.has_boundary && self.effect.value == Effect::Deny,
            )?,
        };
        if self.conditions.iter().all(|c| c.evaluate(t.context)) {
            Some(link)
        } else {
            None
        }
    }
}

/// How `block` names `p`, if it does.
fn principal_link(
    block: &PrincipalBlock,
    p: &Principal,
    deny_bounded: bool,
) -> Option<PrincipalLink> {
    if !block.negated {
        return block.entries.iter().filter_map(|e| entry_link(e, p)).max();
    }
    // AWS documents that a NotPrincipal statement with Deny always applies to an IAM
    // principal with a permissions boundary, whatever it lists (IAM User Guide,
    // "Permissions boundaries for IAM entities"); the caller passes `deny_bounded`.
    if deny_bounded {
        return Some(PrincipalLink::Direct);
    }
    // NotPrincipal: the statement applies unless every identity in the requester's
    // chain (itself, its role or federating user, its account) is listed. AWS may
    // check any of them, so an exception must list them all.
    let own = block
        .entries
        .iter()
        .any(|e| entry_link(e, p) == Some(PrincipalLink::Direct));
    let parent = match parent_arn(p) {
        None => true,
        Some(parent) => block.entries.iter().any(|e| {
            e.is_everyone() || matches!(&e.matcher, PrincipalMatcher::Arn(a) if **a == *parent)
        }),
    };
    let account = match &p.account {
        None => true,
        Some(acct) => block.entries.iter().any(|e| {
            e.is_everyone() || matches!(&e.matcher, PrincipalMatcher::Account(a) if **a == **acct)
        }),
    };
    if own && parent && account {
        None
    } else {
        Some(PrincipalLink::Direct)
    }
}

fn parent_arn(p: &Principal) -> Option<&str> {
    match &p.kind {
        PrincipalKind::AssumedRole { role_arn } => Some(role_arn),
        PrincipalKind::FederatedUser {
            user_arn: Some(user),
        } => Some(user),
        _ => None,
    }
}

fn entry_link(e: &PrincipalEntry, p: &Principal) -> Option<PrincipalLink> {
    match &e.matcher {
        PrincipalMatcher::Everyone => Some(PrincipalLink::Direct),
        PrincipalMatcher::Account(acct) => match &p.account {
            Some(a) if **a == **acct => Some(if p.is_root() {
                PrincipalLink::Direct
            } else {
                PrincipalLink::Account
            }),
            _ => None,
        },
        PrincipalMatcher::Arn(arn) => {
            // The role comes first: a principal given by its role ARN (the simulator's
            // form) is a session of that role, limited as such.
            if parent_arn(p) == Some(&**arn) {
                Some(PrincipalLink::Parent)
            } else if **arn == *p.arn {
                Some(PrincipalLink::Direct)
            } else {
                None
            }
        }
        PrincipalMatcher::Name(name) => {
            let kind_fits = match e.kind {
                PrincipalType::Service => p.kind == PrincipalKind::Service,
                PrincipalType::Federated => p.kind == PrincipalKind::WebIdentity,
                PrincipalType::CanonicalUser | PrincipalType::Aws => false,
            };
            (kind_fits && name.eq_ignore_ascii_case(&p.arn)).then_some(PrincipalLink::Direct)
        }
    }
}
