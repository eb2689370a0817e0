//! Aliases: friendly names for keys, unique per account and region.

use mlguard_store::Tx;
use mlguard_wire::Timestamp;
use mlguard_wire::kms as w;

use super::common::{Naming, not_found, page, require_state};
use super::model::{Alias, Key, KeyManager, KeyState, kinds};
use super::state::{alias_path, resolve_key_in};
use super::{AuditInfo, Kms};
use crate::context::{AuthzCheck, RequestContext};
use crate::error::ApiError;

type Out<T> = Result<(T, AuditInfo), ApiError>;

/// Writes an alias.
pub fn persist_alias(tx: &Tx<'_>, alias: &Alias, now: i64) -> Result<(), ApiError> {
    let doc =
        serde_json::to_string(alias).map_err(|_| ApiError::internal("KMSInternalException"))?;
    tx.put(
        kinds::ALIAS,
        &alias_path(&alias.account, &alias.region, &alias.name),
        &alias.account,
        &doc,
        None,
        now,
    )?;
    Ok(())
}

fn check_name(name: &str) -> Result<(), ApiError> {
    if !name.starts_with("alias/") {
        return Err(ApiError::validation(
            "Alias must start with the prefix \"alias/\". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html",
        ));
    }
    if name.starts_with("alias/aws/") {
        return Err(ApiError::bad_request(
            "NotAuthorizedException",
            "Alias names beginning with alias/aws/ are reserved for AWS managed keys.",
        ));
    }
    if name.contains(':') {
        return Err(ApiError::validation(format!(
            "{name} contains invalid characters for an alias"
        )));
    }
    Ok(())
}

impl Kms {
    fn alias_arn(ctx: &RequestContext, name: &str) -> String {
        format!(
            "arn:aws:kms:{}:{}:{name}",
            ctx.region, ctx.caller.account_id
        )
    }

    /// Authorizes an alias operation: `kms:<Op>` on the alias ARN (identity policies)
    /// and on the key (its key policy), as KMS does.
    fn authorize_alias(
        &self,
        ctx: &RequestContext,
        operation: &str,
        alias_arn: &str,
        key: &Key,
    ) -> Result<(), ApiError> {
        let context = ctx.condition_context(None);
        let action = format!("kms:{operation}");
        ctx.authorize(&AuthzCheck {
            action: &action,
            resource: alias_arn,
            resource_account: Some(&ctx.caller.account_id),
            resource_policy: None,
            mandatory: false,
            context: &context,
            granted: false,
        })?;
        self.authorize_key(ctx, key, operation, &|_| {}, None)
    }

    fn alias_target(
        &self,
        ctx: &RequestContext,
        target: &str,
    ) -> Result<std::sync::Arc<Key>, ApiError> {
        if target.starts_with("alias/") || target.contains(":alias/") {
            return Err(ApiError::validation(
                "Aliases must refer to keys. Not aliases",
            ));
        }
        let key = self.resolve(ctx, target, Naming::KeyOnly)?;
        if key.meta.key_manager == KeyManager::Aws {
            return Err(ApiError::bad_request(
                "NotAuthorizedException",
                format!(
                    "{} is an AWS managed key; aliases can point only to customer managed keys.",
                    key.arn
                ),
            ));
        }
        require_state(&key, &[KeyState::Enabled, KeyState::Disabled])?;
        Ok(key)
    }

    pub(crate) fn create_alias(&self, ctx: &RequestContext, req: w::CreateAliasRequest) -> Out<()> {
        let name = req.alias_name.clone().unwrap_or_default();
        check_name(&name)?;
        let key = self.alias_target(ctx, req.target_key_id.as_deref().unwrap_or_default())?;
        let arn = Self::alias_arn(ctx, &name);
        self.authorize_alias(ctx, "CreateAlias", &arn, &key)?;
        let path = alias_path(&ctx.caller.account_id, &ctx.region, &name);
        let now = self.clock.now();
        let alias = Alias {
            name: name.clone(),
            account: ctx.caller.account_id.clone(),
            region: ctx.region.clone(),
            target_key_id: key.id.clone(),
            created: now,
            updated: now,
        };
        let mut state = self.state.write()?;
        if state.alias(&path).is_some() {
            return Err(ApiError::bad_request(
                "AlreadyExistsException",
                format!("An alias with the name {arn} already exists"),
            ));
        }
        self.store
            .transaction(|tx| persist_alias(tx, &alias, now))?;
        state.put_alias(path, alias);
        drop(state);
        Ok(((), alias_audit(&arn, &key)))
    }

    pub(crate) fn update_alias(&self, ctx: &RequestContext, req: w::UpdateAliasRequest) -> Out<()> {
        let name = req.alias_name.clone().unwrap_or_default();
        if !name.starts_with("alias/") {
            check_name(&name)?;
        }
        let arn = Self::alias_arn(ctx, &name);
        let path = alias_path(&ctx.caller.account_id, &ctx.region, &name);
        let current = {
            let inner = self.state.read()?;
            let alias = inner
                .alias(&path)
                .cloned()
                .ok_or_else(|| not_found(format!("Alias {arn} is not found.")))?;
            resolve_key_in(&inner, &alias.account, &alias.region, &alias.target_key_id)
        };
        let key = self.alias_target(ctx, req.target_key_id.as_deref().unwrap_or_default())?;
        if let Some(current) = &current {
            if current.usage() != key.usage()
                || current.spec().is_asymmetric() != key.spec().is_asymmetric()
            {
                return Err(ApiError::validation(format!(
                    "Alias {arn} cannot be changed from a {} key to a {} key.",
                    current.meta.key_usage, key.meta.key_usage
                )));
            }
            self.authorize_key(ctx, current, "UpdateAlias", &|_| {}, None)?;
        }
        self.authorize_alias(ctx, "UpdateAlias", &arn, &key)?;
        let now = self.clock.now();
        let mut state = self.state.write()?;
        let Some(mut alias) = state.alias(&path).cloned() else {
            return Err(not_found(format!("Alias {arn} is not found.")));
        };
        alias.target_key_id = key.id.clone();
        alias.updated = now;
        self.store
            .transaction(|tx| persist_alias(tx, &alias, now))?;
        state.put_alias(path, alias);
        drop(state);
        Ok(((), alias_audit(&arn, &key)))
    }

    pub(crate) fn delete_alias(&self, ctx: &RequestContext, req: w::DeleteAliasRequest) -> Out<()> {
        let name = req.alias_name.clone().unwrap_or_default();
        if !name.starts_with("alias/") {
            check_name(&name)?;
        }
        let arn = Self::alias_arn(ctx, &name);
        let path = alias_path(&ctx.caller.account_id, &ctx.region, &name);
        let key = {
            let inner = self.state.read()?;
            let alias = inner
                .alias(&path)
                .cloned()
                .ok_or_else(|| not_found(format!("Alias {arn} is not found.")))?;
            resolve_key_in(&inner, &alias.account, &alias.region, &alias.target_key_id)
        };
        if let Some(key) = &key {
            if key.meta.key_manager == KeyManager::Aws {
                return Err(ApiError::bad_request(
                    "NotAuthorizedException",
                    "Aliases of AWS managed keys cannot be deleted.",
                ));
            }
            self.authorize_alias(ctx, "DeleteAlias", &arn, key)?;
        }
        let mut state = self.state.write()?;
        self.store
            .transaction(|tx| tx.delete(kinds::ALIAS, &path).map(|_| ()))?;
        state.remove_alias(&path);
        drop(state);
        let audit = match &key {
            Some(k) => alias_audit(&arn, k),
            None => AuditInfo::default(),
        };
        Ok(((), audit))
    }

    pub(crate) fn list_aliases(
        &self,
        ctx: &RequestContext,
        req: w::ListAliasesRequest,
    ) -> Out<w::ListAliasesResponse> {
        let filter = match req.key_id.as_deref() {
            Some(id) => Some(self.resolve(ctx, id, Naming::KeyOnly)?.id.clone()),
            None => None,
        };
        let context = ctx.condition_context(None);
        ctx.authorize(&AuthzCheck {
            action: "kms:ListAliases",
            resource: "*",
            resource_account: None,
            resource_policy: None,
            mandatory: false,
            context: &context,
            granted: false,
        })?;
        let items: Vec<(String, w::AliasListEntry)> = {
            let inner = self.state.read()?;
            let prefix = format!("{}/{}/", ctx.caller.account_id, ctx.region);
            inner
                .aliases_under(&prefix)
                .filter(|(_, a)| filter.as_ref().is_none_or(|f| *f == a.target_key_id))
                .map(|(_, a)| {
                    (
                        a.name.clone(),
                        w::AliasListEntry {
                            alias_name: Some(a.name.clone()),
                            alias_arn: Some(a.arn()),
                            target_key_id: Some(a.target_key_id.clone()),
                            creation_date: Some(Timestamp::from_unix(a.created)),
                            last_updated_date: Some(Timestamp::from_unix(a.updated)),
                        },
                    )
                })
                .collect()
        };
        let limit = usize::try_from(req.limit.unwrap_or(50)).unwrap_or(50);
        if limit > 100 {
            return Err(ApiError::validation(
                "1 validation error detected: Value at 'limit' failed to satisfy constraint: Member must have value less than or equal to 100",
            ));
        }
        let (aliases, next) = page(&items, req.marker.as_deref(), limit)?;
        Ok((
            w::ListAliasesResponse {
                aliases: Some(aliases),
                truncated: Some(next.is_some()),
                next_marker: next,
            },
            AuditInfo::default(),
        ))
    }
}

fn alias_audit(alias_arn: &str, key: &Key) -> AuditInfo {
    AuditInfo {
        response_elements: None,
        resources: vec![
            (
                alias_arn.to_string(),
                "AWS::KMS::Alias",
                key.account.clone(),
            ),
            (key.arn.clone(), "AWS::KMS::Key", key.account.clone()),
        ],
    }
}
