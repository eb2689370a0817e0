//! What every KMS operation shares: resolving a `KeyId`, checking key states,
//! authorizing against the key policy and grants, and committing changes.

use std::collections::BTreeMap;
use std::sync::Arc;

use mlguard_policy::{Context, ContextValue};

use super::model::{Grant, Key, KeyState};
use super::state::{Inner, alias_path, key_path};
use super::{AuditInfo, Kms};
use crate::context::{AuthzCheck, RequestContext};
use crate::error::ApiError;

/// `NotFoundException`.
pub fn not_found(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("NotFoundException", message)
}

fn is_uuid(s: &str) -> bool {
    mlguard_crypto::random::parse_uuid(s).is_some()
}

/// The alias name a `KeyId` names a key by: `alias/x`, or the name in an
/// alias ARN (`arn:aws:kms:us-east-1:111122223333:alias/x`).
fn alias_named(key_id: &str) -> Option<&str> {
    if key_id.starts_with("alias/") {
        return Some(key_id);
    }
    let resource = key_id.strip_prefix("arn:")?.splitn(5, ':').nth(4)?;
    resource.starts_with("alias/").then_some(resource)
}

/// How a `KeyId` parameter may name a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Naming {
    /// Key id, key ARN, alias name or alias ARN.
    AnyForm,
    /// Key id or key ARN only (policy, grant, rotation, deletion operations).
    KeyOnly,
}

impl Kms {
    /// Resolves a `KeyId` parameter to a key of the caller's region.
    pub(crate) fn resolve(
        &self,
        ctx: &RequestContext,
        key_id: &str,
        naming: Naming,
    ) -> Result<Arc<Key>, ApiError> {
        let inner = self.state.read()?;
        resolve_in(&inner, &ctx.caller.account_id, &ctx.region, key_id, naming)
    }

    /// [`Kms::authorize_key`] for an operation whose `KeyId` may be an alias
    /// (the cryptographic operations, DescribeKey, GetPublicKey): when the
    /// request named the key by an alias, `kms:RequestAlias` is that alias
    /// name (`alias/ExampleAlias`, also for an alias ARN).
    pub(crate) fn authorize_named(
        &self,
        ctx: &RequestContext,
        key: &Key,
        key_id: Option<&str>,
        operation: &str,
        extra: &dyn Fn(&mut Context),
        encryption_context: Option<&BTreeMap<String, String>>,
    ) -> Result<(), ApiError> {
        let Some(alias) = key_id.and_then(alias_named) else {
            return self.authorize_key(ctx, key, operation, extra, encryption_context);
        };
        let with_alias = |context: &mut Context| {
            extra(context);
            context.insert("kms:RequestAlias", ContextValue::string(alias));
        };
        self.authorize_key(ctx, key, operation, &with_alias, encryption_context)
    }

    /// Authorizes `kms:<operation>` on `key`: the key policy is mandatory (with
    /// account delegation to IAM), grants for the caller add to it, and any
    /// explicit deny wins.
    pub(crate) fn authorize_key(
        &self,
        ctx: &RequestContext,
        key: &Key,
        operation: &str,
        extra: &dyn Fn(&mut Context),
        encryption_context: Option<&BTreeMap<String, String>>,
    ) -> Result<(), ApiError> {
        let constraints = |g: &Grant| constraints_hold(g, encryption_context);
        self.authorize_key_with(ctx, key, operation, extra, encryption_context, &constraints)
    }

    /// [`Kms::authorize_key`] where a grant counts when `grant_applies` says
    /// its constraints allow the request (CreateGrant compares them with the
    /// new grant's, not with an encryption context).
    pub(crate) fn authorize_key_with(
        &self,
        ctx: &RequestContext,
        key: &Key,
        operation: &str,
        extra: &dyn Fn(&mut Context),
        encryption_context: Option<&BTreeMap<String, String>>,
        grant_applies: &dyn Fn(&Grant) -> bool,
    ) -> Result<(), ApiError> {
        let action = format!("kms:{operation}");
        let granted = self.granted(ctx, key, operation, grant_applies)?;
        if !ctx.needs_condition_context(Some(&key.policy)) {
            return ctx
                .authorize(&AuthzCheck {
                    action: &action,
                    resource: &key.arn,
                    resource_account: Some(&key.account),
                    resource_policy: Some(&key.policy),
                    mandatory: true,
                    context: &Context::new(),
                    granted,
                })
                .map(|_| ());
        }
        let mut context = ctx.condition_context(Some(&key.policy));
        // Only the keys some policy reads are built (ConditionContext).
        context.insert_with("kms:CallerAccount", || {
            ContextValue::string(ctx.caller.account_id.as_str())
        });
        context.insert_with("kms:KeySpec", || {
            ContextValue::string(key.meta.key_spec.as_str())
        });
        context.insert_with("kms:KeyUsage", || {
            ContextValue::string(key.meta.key_usage.as_str())
        });
        context.insert_with("kms:KeyOrigin", || {
            ContextValue::string(key.meta.origin.as_str())
        });
        for (k, v) in &key.meta.tags {
            context.insert(
                &format!("aws:ResourceTag/{k}"),
                ContextValue::string(v.as_str()),
            );
        }
        if context.reads("kms:ResourceAliases") {
            let aliases = self.aliases_of(key)?;
            if !aliases.is_empty() {
                context.insert("kms:ResourceAliases", ContextValue::string_list(aliases));
            }
        }
        if let Some(ec) = encryption_context {
            for (k, v) in ec {
                context.insert(
                    &format!("kms:EncryptionContext:{k}"),
                    ContextValue::string(v.as_str()),
                );
            }
            context.insert(
                "kms:EncryptionContextKeys",
                ContextValue::string_list(ec.keys().map(String::as_str)),
            );
        }
        extra(&mut context);
        ctx.authorize(&AuthzCheck {
            action: &action,
            resource: &key.arn,
            resource_account: Some(&key.account),
            resource_policy: Some(&key.policy),
            mandatory: true,
            context: &context,
            granted,
        })
        .map(|_| ())
    }

    /// True when a grant gives the caller `operation` on `key` with a matching context.
    fn granted(
        &self,
        ctx: &RequestContext,
        key: &Key,
        operation: &str,
        grant_applies: &dyn Fn(&Grant) -> bool,
    ) -> Result<bool, ApiError> {
        let inner = self.state.read()?;
        let caller = &ctx.caller;
        Ok(inner.grants_of(&key.path()).any(|g| {
            grantee_matches(g, caller)
                && g.operations.iter().any(|op| op == operation)
                && grant_applies(g)
        }))
    }

    /// Alias names pointing at `key`.
    pub(crate) fn aliases_of(&self, key: &Key) -> Result<Vec<String>, ApiError> {
        let inner = self.state.read()?;
        Ok(inner
            .aliases_of(&key.path())
            .map(|(_, a)| a.name.clone())
            .collect())
    }

    /// Runs `write` in one durable transaction, then `apply` to memory.
    pub(crate) fn commit<T>(
        &self,
        write: impl FnOnce(&mlguard_store::Tx<'_>) -> Result<(), ApiError>,
        apply: impl FnOnce(&mut Inner) -> T,
    ) -> Result<T, ApiError> {
        // Hold the write lock across the transaction so memory and disk change in
        // the same order for concurrent writers.
        let mut inner = self.state.write()?;
        self.store.transaction(|tx| write(tx))?;
        Ok(apply(&mut inner))
    }

    /// Replaces a key snapshot in memory.
    pub(crate) fn put_key(inner: &mut Inner, key: Key) -> Arc<Key> {
        let key = Arc::new(key);
        inner.keys.insert(
            key_path(&key.account, &key.region, &key.id),
            Arc::clone(&key),
        );
        key
    }
}

impl From<mlguard_store::StoreError> for ApiError {
    fn from(e: mlguard_store::StoreError) -> Self {
        tracing::error!("store: {e}");
        ApiError::internal("KMSInternalException")
    }
}

/// A grant's grantee is the caller, or the role of a caller's session.
fn grantee_matches(grant: &Grant, caller: &crate::identity::Caller) -> bool {
    if grant.grantee == caller.arn {
        return true;
    }
    match &caller.principal.kind {
        mlguard_policy::PrincipalKind::AssumedRole { role_arn } => grant.grantee == *role_arn,
        _ => false,
    }
}

/// Grant constraints: every subset pair must be in the context; equals must be exact.
pub fn constraints_hold(grant: &Grant, context: Option<&BTreeMap<String, String>>) -> bool {
    let empty = BTreeMap::new();
    let ctx = context.unwrap_or(&empty);
    if let Some(subset) = &grant.context_subset
        && !pairs_within(subset, ctx)
    {
        return false;
    }
    if let Some(equals) = &grant.context_equals
        && !(pairs_within(equals, ctx) && pairs_within(ctx, equals))
    {
        return false;
    }
    true
}

/// Whether every pair of `pairs` is in `within`, as grant constraints compare
/// them: "the key in each key-value pair is not case sensitive, but the value
/// is case sensitive" (GrantConstraints).
fn pairs_within(pairs: &BTreeMap<String, String>, within: &BTreeMap<String, String>) -> bool {
    let lower = |s: &str| s.chars().flat_map(char::to_lowercase).collect::<String>();
    pairs.iter().all(|(k, v)| {
        let key = lower(k);
        within.iter().any(|(wk, wv)| wv == v && lower(wk) == key)
    })
}

/// Whether a grant with constraints `parent` may create one with `child`'s:
/// "equally strict or stricter" (CreateGrant). Under `EncryptionContextEquals`
/// only the same pairs (keys in any case) are; under `EncryptionContextSubset`,
/// a subset or an equality constraint holding at least its pairs. A grant with
/// no constraint allows any.
pub fn at_least_as_strict(
    parent: &Grant,
    subset: Option<&BTreeMap<String, String>>,
    equals: Option<&BTreeMap<String, String>>,
) -> bool {
    if let Some(required) = &parent.context_equals {
        return subset.is_none()
            && equals.is_some_and(|e| e.len() == required.len() && pairs_within(required, e));
    }
    if let Some(required) = &parent.context_subset {
        return match (subset, equals) {
            (Some(s), None) => pairs_within(required, s),
            (None, Some(e)) => pairs_within(required, e),
            _ => false,
        };
    }
    true
}

/// Resolves a `KeyId` within a state snapshot.
pub(crate) fn resolve_in(
    inner: &Inner,
    account: &str,
    region: &str,
    key_id: &str,
    naming: Naming,
) -> Result<Arc<Key>, ApiError> {
    let lookup = |acct: &str, reg: &str, id: &str| -> Result<Arc<Key>, ApiError> {
        inner
            .keys
            .get(&key_path(acct, reg, id))
            .cloned()
            .ok_or_else(|| {
                not_found(format!(
                    "Key 'arn:aws:kms:{reg}:{acct}:key/{id}' does not exist"
                ))
            })
    };
    let by_alias = |acct: &str, reg: &str, name: &str| -> Result<Arc<Key>, ApiError> {
        let alias = inner.alias(&alias_path(acct, reg, name)).ok_or_else(|| {
            not_found(format!(
                "Alias arn:aws:kms:{reg}:{acct}:{name} is not found."
            ))
        })?;
        lookup(acct, reg, &alias.target_key_id)
    };
    if let Some(rest) = key_id.strip_prefix("arn:") {
        let parts: Vec<&str> = rest.splitn(5, ':').collect();
        let [_partition, service, arn_region, arn_account, resource] = parts.as_slice() else {
            return Err(not_found(format!("Invalid arn {key_id}")));
        };
        let (service, arn_region, arn_account, resource) =
            (*service, *arn_region, *arn_account, *resource);
        if service != "kms" {
            return Err(not_found(format!("Invalid arn {key_id}")));
        }
        if arn_region != region {
            return Err(not_found(format!("Invalid arn {arn_region}")));
        }
        if let Some(id) = resource.strip_prefix("key/") {
            if !is_key_id(id) {
                return Err(not_found(format!("Invalid keyId '{key_id}'")));
            }
            return lookup(arn_account, arn_region, id);
        }
        if resource.starts_with("alias/") && naming == Naming::AnyForm {
            return by_alias(arn_account, arn_region, resource);
        }
        return Err(not_found(format!("Invalid keyId '{key_id}'")));
    }
    if key_id.starts_with("alias/") {
        if naming == Naming::AnyForm {
            return by_alias(account, region, key_id);
        }
        return Err(not_found(format!("Invalid keyId '{key_id}'")));
    }
    if is_key_id(key_id) {
        return lookup(account, region, key_id);
    }
    Err(not_found(format!("Invalid keyId '{key_id}'")))
}

/// A well-formed key id: a UUID, or a multi-Region key id `mrk-` and 32 hex digits.
/// (This server creates no multi-Region keys, so the latter never resolve.)
fn is_key_id(id: &str) -> bool {
    match id.strip_prefix("mrk-") {
        Some(hex) => hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit()),
        None => is_uuid(id),
    }
}

/// Fails unless the key is in one of `allowed` states, with AWS's error for the
/// state it is in.
pub fn require_state(key: &Key, allowed: &[KeyState]) -> Result<(), ApiError> {
    if allowed.contains(&key.meta.state) {
        return Ok(());
    }
    Err(match key.meta.state {
        KeyState::Disabled => {
            ApiError::bad_request("DisabledException", format!("{} is disabled.", key.arn))
        }
        KeyState::PendingDeletion => ApiError::bad_request(
            "KMSInvalidStateException",
            format!("{} is pending deletion.", key.arn),
        ),
        KeyState::Enabled => ApiError::bad_request(
            "KMSInvalidStateException",
            format!("{} is enabled.", key.arn),
        ),
    })
}

/// The states in which a key can be used for cryptography.
pub const USABLE: &[KeyState] = &[KeyState::Enabled];

/// The audit resources of one key.
pub fn key_resource(key: &Key) -> AuditInfo {
    AuditInfo {
        response_elements: None,
        resources: vec![(key.arn.clone(), "AWS::KMS::Key", key.account.clone())],
    }
}

/// `DryRunOperationException`.
pub fn dry_run() -> ApiError {
    ApiError::bad_request(
        "DryRunOperationException",
        "The request would have succeeded, but the DryRun option is set.",
    )
}

/// Pages an ordered list with KMS's marker error.
pub fn page<T: Clone>(
    items: &[(String, T)],
    marker: Option<&str>,
    limit: usize,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    crate::paging::page(items, marker, limit, || {
        ApiError::bad_request("InvalidMarkerException", "The marker is invalid.")
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::collections::BTreeMap;

    use super::{Grant, at_least_as_strict, constraints_hold};

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn grant(subset: Option<&[(&str, &str)]>, equals: Option<&[(&str, &str)]>) -> Grant {
        Grant {
            grant_id: String::new(),
            key_id: String::new(),
            key_account: String::new(),
            key_region: String::new(),
            name: None,
            grantee: String::new(),
            retiring: None,
            issuing_account: String::new(),
            operations: Vec::new(),
            context_subset: subset.map(map),
            context_equals: equals.map(map),
            created: 0,
            token: String::new(),
        }
    }

    #[test]
    fn constraint_keys_ignore_case_and_values_do_not() {
        let g = grant(Some(&[("Purpose", "Test")]), None);
        assert!(constraints_hold(
            &g,
            Some(&map(&[("purpose", "Test"), ("x", "1")]))
        ));
        assert!(!constraints_hold(&g, Some(&map(&[("purpose", "test")]))));
        let e = grant(None, Some(&[("Purpose", "Test")]));
        assert!(constraints_hold(&e, Some(&map(&[("PURPOSE", "Test")]))));
        assert!(!constraints_hold(
            &e,
            Some(&map(&[("purpose", "Test"), ("x", "1")]))
        ));
        assert!(!constraints_hold(&e, None));
    }

    #[test]
    fn a_sub_grant_must_be_as_strict() {
        let a = map(&[("a", "1")]);
        let ab = map(&[("A", "1"), ("b", "2")]);
        let b = map(&[("b", "2")]);
        let unconstrained = grant(None, None);
        assert!(at_least_as_strict(&unconstrained, None, None));
        let subset = grant(Some(&[("a", "1")]), None);
        assert!(at_least_as_strict(&subset, Some(&a), None));
        assert!(at_least_as_strict(&subset, Some(&ab), None));
        assert!(at_least_as_strict(&subset, None, Some(&ab)));
        assert!(!at_least_as_strict(&subset, None, None));
        assert!(!at_least_as_strict(&subset, Some(&b), None));
        let equals = grant(None, Some(&[("a", "1")]));
        assert!(at_least_as_strict(&equals, None, Some(&a)));
        assert!(!at_least_as_strict(&equals, Some(&a), None));
        assert!(!at_least_as_strict(&equals, None, Some(&ab)));
    }
}
