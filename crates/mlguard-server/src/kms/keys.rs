//! Key lifecycle: create, describe, list, enable, disable, schedule and cancel
//! deletion, rotation, key policies and tags.

use std::collections::BTreeMap;
use std::sync::Arc;

use mlguard_crypto::{KeySpec, KeyUsage};
use mlguard_policy::{ContextValue, Policy, PolicyKind};
use mlguard_wire::kms as w;
use mlguard_wire::{Blob, Timestamp};
use serde_json::json;

use super::common::{Naming, USABLE, key_resource, not_found, page, require_state};
use super::model::{Key, KeyDoc, KeyManager, KeyState, RotationType};
use super::state::{key_path, new_version, persist_key, persist_version};
use super::{AuditInfo, Kms};
use crate::context::RequestContext;
use crate::error::ApiError;

type Out<T> = Result<(T, AuditInfo), ApiError>;

/// Rotations allowed on demand per key (AWS's quota).
const ON_DEMAND_ROTATION_LIMIT: u32 = 25;
/// Default automatic rotation period.
const DEFAULT_ROTATION_DAYS: i32 = 365;
/// Seconds per day.
const DAY: i64 = 86_400;
/// At most this many tags per key.
const MAX_TAGS: usize = 50;

/// The key policy KMS attaches when CreateKey is given none.
pub fn default_key_policy(account: &str) -> String {
    format!(
        "{{\n  \"Version\" : \"2012-10-17\",\n  \"Id\" : \"key-default-1\",\n  \"Statement\" : [ {{\n    \"Sid\" : \"Enable IAM User Permissions\",\n    \"Effect\" : \"Allow\",\n    \"Principal\" : {{\n      \"AWS\" : \"arn:aws:iam::{account}:root\"\n    }},\n    \"Action\" : \"kms:*\",\n    \"Resource\" : \"*\"\n  }} ]\n}}"
    )
}

/// The key policy of an AWS managed key (`alias/aws/<service>`): the account's
/// principals may use it only through the service (`kms:ViaService`), and read
/// its metadata directly; as AWS writes them (`auto-<service>-2`).
pub fn aws_managed_key_policy(account: &str, region: &str, service: &str) -> String {
    let name = match service {
        "secretsmanager" => "AWS Secrets Manager",
        "s3" => "Amazon S3",
        other => other,
    };
    let sid = format!(
        "Allow access through {name} for all principals in the account that are authorized to use {name}"
    );
    serde_json::json!({
        "Version": "2012-10-17",
        "Id": format!("auto-{service}-2"),
        "Statement": [
            {
                "Sid": sid,
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:CreateGrant", "kms:DescribeKey"],
                "Resource": "*",
                "Condition": {"StringEquals": {
                    "kms:CallerAccount": account,
                    "kms:ViaService": format!("{service}.{region}.amazonaws.com"),
                }},
            },
            {
                "Sid": format!("{sid} (data keys)"),
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": "kms:GenerateDataKey*",
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"kms:CallerAccount": account},
                    "StringLike": {"kms:ViaService": format!("{service}.{region}.amazonaws.com")},
                },
            },
            {
                "Sid": "Allow direct access to key metadata to the account",
                "Effect": "Allow",
                "Principal": {"AWS": format!("arn:aws:iam::{account}:root")},
                "Action": ["kms:Describe*", "kms:Get*", "kms:List*", "kms:RevokeGrant"],
                "Resource": "*",
            },
        ],
    })
    .to_string()
}

impl Kms {
    /// A key policy may name only this account's users and roles that exist.
    fn known_principals(&self, policy: &Policy) -> Result<(), ApiError> {
        match self.iam.unknown_principal(policy)? {
            Some(_) => Err(ApiError::bad_request(
                "MalformedPolicyDocumentException",
                "Policy contains a statement with one or more invalid principals.",
            )),
            None => Ok(()),
        }
    }
}

/// Parses a key policy with KMS's rules, answering `MalformedPolicyDocumentException`.
pub fn parse_key_policy(text: &str) -> Result<Policy, ApiError> {
    Policy::parse(text, PolicyKind::KeyPolicy).map_err(|e| match e.kind {
        mlguard_policy::ParseErrorKind::TooLarge { .. } => ApiError::bad_request(
            "LimitExceededException",
            "The policy document exceeds the 32 KB limit.",
        ),
        _ => ApiError::bad_request("MalformedPolicyDocumentException", e.aws_message),
    })
}

/// `KeyMetadata` of a key.
pub fn metadata(key: &Key) -> w::KeyMetadata {
    let spec = key.spec();
    let usage = key.usage();
    let ts = |secs: i64| Some(Timestamp::from_unix(secs));
    let mut m = w::KeyMetadata {
        aws_account_id: Some(key.account.clone()),
        key_id: Some(key.id.clone()),
        arn: Some(key.arn.clone()),
        creation_date: ts(key.meta.created),
        enabled: Some(key.meta.state == KeyState::Enabled),
        description: Some(key.meta.description.clone()),
        key_usage: Some(key.meta.key_usage.clone()),
        key_state: Some(key.meta.state.as_str().to_string()),
        origin: Some(key.meta.origin.clone()),
        key_manager: Some(match key.meta.key_manager {
            KeyManager::Customer => "CUSTOMER".into(),
            KeyManager::Aws => "AWS".into(),
        }),
        customer_master_key_spec: Some(key.meta.key_spec.clone()),
        key_spec: Some(key.meta.key_spec.clone()),
        multi_region: Some(false),
        ..w::KeyMetadata::default()
    };
    match usage {
        KeyUsage::EncryptDecrypt => {
            m.encryption_algorithms = Some(
                spec.encryption_algorithms()
                    .iter()
                    .map(|a| a.as_str().to_string())
                    .collect(),
            );
        }
        KeyUsage::SignVerify => {
            m.signing_algorithms = Some(
                spec.signing_algorithms()
                    .iter()
                    .map(|a| a.as_str().to_string())
                    .collect(),
            );
        }
        KeyUsage::GenerateVerifyMac => {
            m.mac_algorithms = Some(
                spec.mac_algorithms()
                    .iter()
                    .map(|a| a.as_str().to_string())
                    .collect(),
            );
        }
    }
    if spec == KeySpec::SymmetricDefault {
        m.current_key_material_id = key.current().map(|v| v.material_id.clone());
    }
    if key.meta.state == KeyState::PendingDeletion {
        m.deletion_date = key.meta.deletion_date.and_then(ts);
        m.pending_deletion_window_in_days = key.meta.pending_window_days;
    }
    m
}

fn tag_error(message: &str) -> ApiError {
    ApiError::bad_request("TagException", message)
}

/// Checks tags as KMS does and returns them as a map.
fn check_tags(
    existing: &BTreeMap<String, String>,
    tags: &[w::Tag],
) -> Result<BTreeMap<String, String>, ApiError> {
    let mut seen = std::collections::HashSet::new();
    for t in tags {
        let k = t.tag_key.as_deref().unwrap_or_default();
        if !seen.insert(k) {
            return Err(tag_error("Duplicate tag keys"));
        }
        if k.len() >= 4 && k.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("aws:")) {
            return Err(tag_error("Tags beginning with aws: are reserved"));
        }
    }
    let mut merged = existing.clone();
    for t in tags {
        merged.insert(
            t.tag_key.clone().unwrap_or_default(),
            t.tag_value.clone().unwrap_or_default(),
        );
    }
    if merged.len() > MAX_TAGS {
        return Err(tag_error("Too many tags"));
    }
    Ok(merged)
}

impl Kms {
    pub(crate) fn create_key(
        &self,
        ctx: &RequestContext,
        req: w::CreateKeyRequest,
    ) -> Out<w::CreateKeyResponse> {
        let spec_name = req
            .key_spec
            .clone()
            .or(req.customer_master_key_spec.clone())
            .unwrap_or_else(|| "SYMMETRIC_DEFAULT".into());
        if req.key_spec.is_some() && req.customer_master_key_spec.is_some() {
            return Err(ApiError::validation(
                "You cannot specify KeySpec and CustomerMasterKeySpec in the same request. CustomerMasterKeySpec is deprecated.",
            ));
        }
        let spec = KeySpec::parse(&spec_name).ok_or_else(|| {
            ApiError::bad_request(
                "UnsupportedOperationException",
                format!("KeySpec {spec_name} is not supported by this server."),
            )
        })?;
        let usage = match req.key_usage.as_deref() {
            None if spec == KeySpec::SymmetricDefault => KeyUsage::EncryptDecrypt,
            None => {
                return Err(ApiError::validation(
                    "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.",
                ));
            }
            Some(u) => match KeyUsage::parse(u) {
                Some(usage) => usage,
                // KEY_AGREEMENT is a valid usage for ECC NIST keys, which this server
                // cannot honour; with any other spec it is AWS's compatibility error.
                None if u == "KEY_AGREEMENT" && spec_name.starts_with("ECC_NIST_") => {
                    return Err(ApiError::bad_request(
                        "UnsupportedOperationException",
                        "KeyUsage KEY_AGREEMENT is not supported by this server.",
                    ));
                }
                None if u == "KEY_AGREEMENT" => {
                    return Err(ApiError::validation(format!(
                        "KeyUsage {u} is not compatible with KeySpec {spec_name}"
                    )));
                }
                None => return Err(ApiError::validation(format!("Invalid KeyUsage {u}"))),
            },
        };
        if !spec.usages().contains(&usage) {
            return Err(ApiError::validation(format!(
                "KeyUsage {} is not compatible with KeySpec {}",
                usage.as_str(),
                spec.as_str()
            )));
        }
        let origin = req.origin.clone().unwrap_or_else(|| "AWS_KMS".into());
        if origin != "AWS_KMS" {
            return Err(ApiError::bad_request(
                "UnsupportedOperationException",
                format!("Origin {origin} is not supported by this server."),
            ));
        }
        if req.multi_region == Some(true) {
            return Err(ApiError::bad_request(
                "UnsupportedOperationException",
                "Multi-Region keys are not supported by this server.",
            ));
        }
        let account = ctx.caller.account_id.clone();
        let policy_text = req
            .policy
            .clone()
            .unwrap_or_else(|| default_key_policy(&account));
        let policy = parse_key_policy(&policy_text)?;
        self.known_principals(&policy)?;
        let tags = check_tags(&BTreeMap::new(), req.tags.as_deref().unwrap_or_default())?;

        // CreateKey is authorized by identity policies only: the key does not exist yet.
        let mut context = ctx.condition_context(None);
        context.insert("kms:KeySpec", ContextValue::string(spec.as_str()));
        context.insert("kms:KeyUsage", ContextValue::string(usage.as_str()));
        context.insert("kms:KeyOrigin", ContextValue::string(origin.as_str()));
        if let Some(bypass) = req.bypass_policy_lockout_safety_check {
            context.insert(
                "kms:BypassPolicyLockoutSafetyCheck",
                ContextValue::boolean(bypass),
            );
        }
        crate::context::insert_request_tags(
            &mut context,
            tags.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        );
        ctx.authorize(&crate::context::AuthzCheck {
            action: "kms:CreateKey",
            resource: "*",
            resource_account: None,
            resource_policy: None,
            mandatory: false,
            context: &context,
            granted: false,
        })?;

        let now = self.clock.now();
        let id = mlguard_crypto::random::format_uuid(
            &mlguard_crypto::random::uuid_v4()
                .map_err(|_| ApiError::internal("KMSInternalException"))?,
        );
        let arn = format!("arn:aws:kms:{}:{account}:key/{id}", ctx.region);
        let version = new_version(&self.root_key, &arn, spec, 1, now, RotationType::Initial)?;
        let key = Key {
            id,
            arn,
            account: account.clone(),
            region: ctx.region.clone(),
            meta: KeyDoc {
                description: req.description.clone().unwrap_or_default(),
                key_usage: usage.as_str().into(),
                key_spec: spec.as_str().into(),
                origin,
                state: KeyState::Enabled,
                created: now,
                key_manager: KeyManager::Customer,
                policy: policy_text,
                deletion_date: None,
                pending_window_days: None,
                rotation_period_days: None,
                next_rotation: None,
                on_demand_rotations: 0,
                tags,
            },
            policy: Arc::new(policy),
            versions: vec![Arc::new(version)],
        };
        if req.policy.is_some()
            && req.bypass_policy_lockout_safety_check != Some(true)
            && !self.policy_keeps_caller_in_control(ctx, &key, &key.policy)
        {
            return Err(ApiError::bad_request(
                "MalformedPolicyDocumentException",
                "The new key policy will not allow you to update the key policy in the future.",
            ));
        }
        let key = self.commit(
            |tx| {
                persist_key(tx, &key, now)?;
                key.versions
                    .iter()
                    .try_for_each(|v| persist_version(tx, &key, v))
            },
            |inner| Kms::put_key(inner, key.clone()),
        )?;
        let meta = metadata(&key);
        let mut audit = key_resource(&key);
        audit.response_elements =
            Some(json!({ "keyMetadata": serde_json::to_value(&meta).unwrap_or_default() }));
        Ok((
            w::CreateKeyResponse {
                key_metadata: Some(meta),
            },
            audit,
        ))
    }

    /// Creates (once) the AWS managed key `alias/aws/<service>` of an account, as a
    /// service does on first use.
    pub fn aws_managed_key(
        &self,
        account: &str,
        region: &str,
        service: &str,
    ) -> Result<Arc<Key>, ApiError> {
        let alias_name = format!("alias/aws/{service}");
        // One creation at a time, so two first uses do not make two keys.
        let _creating = self
            .aws_key_creation
            .lock()
            .map_err(|_| ApiError::internal("KMSInternalException"))?;
        {
            let inner = self.state.read()?;
            if let Some(alias) =
                inner.alias(&super::state::alias_path(account, region, &alias_name))
                && let Some(key) = inner
                    .keys
                    .get(&key_path(account, region, &alias.target_key_id))
            {
                return Ok(Arc::clone(key));
            }
        }
        let now = self.clock.now();
        let id = mlguard_crypto::random::format_uuid(
            &mlguard_crypto::random::uuid_v4()
                .map_err(|_| ApiError::internal("KMSInternalException"))?,
        );
        let arn = format!("arn:aws:kms:{region}:{account}:key/{id}");
        let policy_text = aws_managed_key_policy(account, region, service);
        let policy = parse_key_policy(&policy_text)?;
        let version = new_version(
            &self.root_key,
            &arn,
            KeySpec::SymmetricDefault,
            1,
            now,
            RotationType::Initial,
        )?;
        let key = Key {
            id: id.clone(),
            arn,
            account: account.into(),
            region: region.into(),
            meta: KeyDoc {
                description: format!(
                    "Default key that protects my {service} data when no other key is defined"
                ),
                key_usage: "ENCRYPT_DECRYPT".into(),
                key_spec: "SYMMETRIC_DEFAULT".into(),
                origin: "AWS_KMS".into(),
                state: KeyState::Enabled,
                created: now,
                key_manager: KeyManager::Aws,
                policy: policy_text,
                deletion_date: None,
                pending_window_days: None,
                rotation_period_days: Some(DEFAULT_ROTATION_DAYS),
                next_rotation: Some(now + i64::from(DEFAULT_ROTATION_DAYS) * DAY),
                on_demand_rotations: 0,
                tags: BTreeMap::new(),
            },
            policy: Arc::new(policy),
            versions: vec![Arc::new(version)],
        };
        let alias = super::model::Alias {
            name: alias_name,
            account: account.into(),
            region: region.into(),
            target_key_id: id,
            created: now,
            updated: now,
        };
        self.commit(
            |tx| {
                persist_key(tx, &key, now)?;
                key.versions
                    .iter()
                    .try_for_each(|v| persist_version(tx, &key, v))?;
                super::aliases::persist_alias(tx, &alias, now)
            },
            |inner| {
                inner.put_alias(
                    super::state::alias_path(account, region, &alias.name),
                    alias.clone(),
                );
                Kms::put_key(inner, key.clone())
            },
        )
    }

    pub(crate) fn describe_key(
        &self,
        ctx: &RequestContext,
        req: w::DescribeKeyRequest,
    ) -> Out<w::DescribeKeyResponse> {
        let key_id = req.key_id.as_deref().unwrap_or_default();
        let key = self.resolve(ctx, key_id, Naming::AnyForm)?;
        self.authorize_named(ctx, &key, Some(key_id), "DescribeKey", &|_| {}, None)?;
        Ok((
            w::DescribeKeyResponse {
                key_metadata: Some(metadata(&key)),
            },
            key_resource(&key),
        ))
    }

    pub(crate) fn list_keys(
        &self,
        ctx: &RequestContext,
        req: w::ListKeysRequest,
    ) -> Out<w::ListKeysResponse> {
        let context = ctx.condition_context(None);
        ctx.authorize(&crate::context::AuthzCheck {
            action: "kms:ListKeys",
            resource: "*",
            resource_account: None,
            resource_policy: None,
            mandatory: false,
            context: &context,
            granted: false,
        })?;
        let items: Vec<(String, w::KeyListEntry)> = {
            let inner = self.state.read()?;
            let prefix = format!("{}/{}/", ctx.caller.account_id, ctx.region);
            inner
                .keys
                .range(prefix.clone()..)
                .take_while(|(k, _)| k.starts_with(&prefix))
                .map(|(_, key)| {
                    (
                        key.id.clone(),
                        w::KeyListEntry {
                            key_id: Some(key.id.clone()),
                            key_arn: Some(key.arn.clone()),
                        },
                    )
                })
                .collect()
        };
        let limit = usize::try_from(req.limit.unwrap_or(100)).unwrap_or(100);
        let (keys, next) = page(&items, req.marker.as_deref(), limit)?;
        Ok((
            w::ListKeysResponse {
                keys: Some(keys),
                truncated: Some(next.is_some()),
                next_marker: next,
            },
            AuditInfo::default(),
        ))
    }

    /// Changes one key: resolve, check state, authorize, mutate a copy, persist, swap.
    fn change_key(
        &self,
        ctx: &RequestContext,
        key_id: &str,
        naming: Naming,
        operation: &str,
        allowed: &[KeyState],
        mutate: impl FnOnce(&mut Key, i64) -> Result<(), ApiError>,
    ) -> Result<Arc<Key>, ApiError> {
        let key = self.resolve(ctx, key_id, naming)?;
        self.authorize_key(ctx, &key, operation, &|_| {}, None)?;
        require_state(&key, allowed)?;
        let now = self.clock.now();
        let mut changed = (*key).clone();
        mutate(&mut changed, now)?;
        self.commit(
            |tx| persist_key(tx, &changed, now),
            |inner| Kms::put_key(inner, changed.clone()),
        )
    }

    pub(crate) fn update_key_description(
        &self,
        ctx: &RequestContext,
        req: w::UpdateKeyDescriptionRequest,
    ) -> Out<()> {
        let description = req.description.clone().unwrap_or_default();
        let key = self.change_key(
            ctx,
            req.key_id.as_deref().unwrap_or_default(),
            Naming::KeyOnly,
            "UpdateKeyDescription",
            &[KeyState::Enabled, KeyState::Disabled],
            |k, _| {
                k.meta.description = description;
                Ok(())
            },
        )?;
        Ok(((), key_resource(&key)))
    }

    pub(crate) fn enable_key(&self, ctx: &RequestContext, req: w::EnableKeyRequest) -> Out<()> {
        let key = self.change_key(
            ctx,
            req.key_id.as_deref().unwrap_or_default(),
            Naming::KeyOnly,
            "EnableKey",
            &[KeyState::Enabled, KeyState::Disabled],
            |k, _| {
                k.meta.state = KeyState::Enabled;
                Ok(())
            },
        )?;
        Ok(((), key_resource(&key)))
    }

    pub(crate) fn disable_key(&self, ctx: &RequestContext, req: w::DisableKeyRequest) -> Out<()> {
        let key = self.change_key(
            ctx,
            req.key_id.as_deref().unwrap_or_default(),
            Naming::KeyOnly,
            "DisableKey",
            &[KeyState::Enabled, KeyState::Disabled],
            |k, _| {
                k.meta.state = KeyState::Disabled;
                Ok(())
            },
        )?;
        Ok(((), key_resource(&key)))
    }

    pub(crate) fn schedule_key_deletion(
        &self,
        ctx: &RequestContext,
        req: w::ScheduleKeyDeletionRequest,
    ) -> Out<w::ScheduleKeyDeletionResponse> {
        let days = req.pending_window_in_days.unwrap_or(30);
        if !(7..=30).contains(&days) {
            return Err(ApiError::validation(format!(
                "1 validation error detected: Value '{days}' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value {}",
                if days < 7 {
                    "greater than or equal to 7"
                } else {
                    "less than or equal to 30"
                }
            )));
        }
        let key = self.resolve(
            ctx,
            req.key_id.as_deref().unwrap_or_default(),
            Naming::KeyOnly,
        )?;
        if key.meta.key_manager == KeyManager::Aws {
            return Err(ApiError::bad_request(
                "UnsupportedOperationException",
                format!(
                    "{} is an AWS managed key, which cannot be deleted.",
                    key.arn
                ),
            ));
        }
        let key = self.change_key(
            ctx,
            &key.arn,
            Naming::KeyOnly,
            "ScheduleKeyDeletion",
            &[KeyState::Enabled, KeyState::Disabled],
            |k, now| {
                k.meta.state = KeyState::PendingDeletion;
                k.meta.pending_window_days = Some(days);
                k.meta.deletion_date = Some(now + i64::from(days) * DAY);
                Ok(())
            },
        )?;
        Ok((
            w::ScheduleKeyDeletionResponse {
                key_id: Some(key.arn.clone()),
                deletion_date: key.meta.deletion_date.map(Timestamp::from_unix),
                key_state: Some("PendingDeletion".into()),
                pending_window_in_days: Some(days),
            },
            key_resource(&key),
        ))
    }

    pub(crate) fn cancel_key_deletion(
        &self,
        ctx: &RequestContext,
        req: w::CancelKeyDeletionRequest,
    ) -> Out<w::CancelKeyDeletionResponse> {
        let key = self.change_key(
            ctx,
            req.key_id.as_deref().unwrap_or_default(),
            Naming::KeyOnly,
            "CancelKeyDeletion",
            &[
                KeyState::Enabled,
                KeyState::Disabled,
                KeyState::PendingDeletion,
            ],
            |k, _| {
                if k.meta.state != KeyState::PendingDeletion {
                    return Err(ApiError::bad_request(
                        "KMSInvalidStateException",
                        format!("{} is not pending deletion.", k.arn),
                    ));
                }
                k.meta.state = KeyState::Disabled;
                k.meta.deletion_date = None;
                k.meta.pending_window_days = None;
                Ok(())
            },
        )?;
        Ok((
            w::CancelKeyDeletionResponse {
                key_id: Some(key.arn.clone()),
            },
            key_resource(&key),
        ))
    }

    /// Finishes deletions whose window has ended: the key, its sealed material,
    /// its aliases and grants are removed for good.
    pub(crate) fn delete_due_keys(&self, now: i64) -> Result<usize, ApiError> {
        let due: Vec<Arc<Key>> = {
            let inner = self.state.read()?;
            inner
                .keys
                .values()
                .filter(|k| {
                    k.meta.state == KeyState::PendingDeletion
                        && k.meta.deletion_date.is_some_and(|d| d <= now)
                })
                .cloned()
                .collect()
        };
        for key in &due {
            let path = key_path(&key.account, &key.region, &key.id);
            let (aliases, grants): (Vec<String>, Vec<String>) = {
                let inner = self.state.read()?;
                (
                    inner.aliases_of(&path).map(|(p, _)| p.clone()).collect(),
                    inner.grants_of(&path).map(|g| g.grant_id.clone()).collect(),
                )
            };
            self.commit(
                |tx| {
                    tx.delete(super::model::kinds::KEY, &path)?;
                    tx.delete_prefix(super::model::kinds::VERSION, &format!("{path}/"))?;
                    for a in &aliases {
                        tx.delete(super::model::kinds::ALIAS, a)?;
                    }
                    for g in &grants {
                        tx.delete(super::model::kinds::GRANT, g)?;
                    }
                    Ok(())
                },
                |inner| {
                    inner.keys.remove(&path);
                    for a in &aliases {
                        inner.remove_alias(a);
                    }
                    for g in &grants {
                        inner.remove_grant(g);
                    }
                },
            )?;
            tracing::info!(key = %key.arn, "deleted key and its material at the end of its deletion window");
        }
        Ok(due.len())
    }

    fn rotation_checks(key: &Key) -> Result<(), ApiError> {
        if key.spec() != KeySpec::SymmetricDefault {
            return Err(ApiError::bare("UnsupportedOperationException"));
        }
        Ok(())
    }

    pub(crate) fn enable_key_rotation(
        &self,
        ctx: &RequestContext,
        req: w::EnableKeyRotationRequest,
    ) -> Out<()> {
        let period = req.rotation_period_in_days.unwrap_or(DEFAULT_ROTATION_DAYS);
        let key = self.resolve(
            ctx,
            req.key_id.as_deref().unwrap_or_default(),
            Naming::KeyOnly,
        )?;
        self.authorize_key(
            ctx,
            &key,
            "EnableKeyRotation",
            &|c| {
                c.insert(
                    "kms:RotationPeriodInDays",
                    ContextValue::string(period.to_string()),
                )
            },
            None,
        )?;
        require_state(&key, USABLE)?;
        Self::rotation_checks(&key)?;
        let key = self.change_key(
            ctx,
            &key.arn,
            Naming::KeyOnly,
            "EnableKeyRotation",
            USABLE,
            |k, now| {
                k.meta.rotation_period_days = Some(period);
                k.meta.next_rotation = Some(now + i64::from(period) * DAY);
                Ok(())
            },
        )?;
        Ok(((), key_resource(&key)))
    }

    pub(crate) fn disable_key_rotation(
        &self,
        ctx: &RequestContext,
        req: w::DisableKeyRotationRequest,
    ) -> Out<()> {
        let key = self.resolve(
            ctx,
            req.key_id.as_deref().unwrap_or_default(),
            Naming::KeyOnly,
        )?;
        self.authorize_key(ctx, &key, "DisableKeyRotation", &|_| {}, None)?;
        require_state(&key, USABLE)?;
        Self::rotation_checks(&key)?;
        if key.meta.key_manager == KeyManager::Aws {
            return Err(ApiError::bad_request(
                "UnsupportedOperationException",
                format!(
                    "{} is an AWS managed key, whose rotation cannot be disabled.",
                    key.arn
                ),
            ));
        }
        let key = self.change_key(
            ctx,
            &key.arn,
            Naming::KeyOnly,
            "DisableKeyRotation",
            USABLE,
            |k, _| {
                k.meta.rotation_period_days = None;
                k.meta.next_rotation = None;
                Ok(())
            },
        )?;
        Ok(((), key_resource(&key)))
    }

    pub(crate) fn get_key_rotation_status(
        &self,
        ctx: &RequestContext,
        req: w::GetKeyRotationStatusRequest,
    ) -> Out<w::GetKeyRotationStatusResponse> {
        let key = self.resolve(
            ctx,
            req.key_id.as_deref().unwrap_or_default(),
            Naming::KeyOnly,
        )?;
        self.authorize_key(ctx, &key, "GetKeyRotationStatus", &|_| {}, None)?;
        Self::rotation_checks(&key)?;
        // A key pending deletion reports rotation off and is not rotated; the
        // setting itself is kept, so cancelling the deletion restores it.
        let pending = key.meta.state == KeyState::PendingDeletion;
        let enabled = key.meta.rotation_period_days.is_some() && !pending;
        Ok((
            w::GetKeyRotationStatusResponse {
                key_rotation_enabled: Some(enabled),
                key_id: Some(key.arn.clone()),
                rotation_period_in_days: key.meta.rotation_period_days.filter(|_| enabled),
                next_rotation_date: key
                    .meta
                    .next_rotation
                    .filter(|_| enabled)
                    .map(Timestamp::from_unix),
                // "Once the on-demand rotation is complete, KMS removes this
                // field from the response": ours completes within the call.
                on_demand_rotation_start_date: None,
            },
            key_resource(&key),
        ))
    }

    /// Adds a version of material to a key (rotation never drops old versions).
    fn add_version(
        &self,
        key: &Key,
        now: i64,
        rotation_type: RotationType,
        on_demand: bool,
    ) -> Result<Arc<Key>, ApiError> {
        let number = key.versions.last().map_or(1, |v| v.number + 1);
        let version = Arc::new(new_version(
            &self.root_key,
            &key.arn,
            key.spec(),
            number,
            now,
            rotation_type,
        )?);
        let mut changed = key.clone();
        changed.versions.push(Arc::clone(&version));
        if on_demand {
            changed.meta.on_demand_rotations += 1;
        }
        // On-demand rotation leaves the automatic schedule as it was
        // ("doesn't change existing automatic rotation schedules").
        if !on_demand && let Some(period) = changed.meta.rotation_period_days {
            changed.meta.next_rotation = Some(now + i64::from(period) * DAY);
        }
        self.commit(
            |tx| {
                persist_version(tx, &changed, &version)?;
                persist_key(tx, &changed, now)
            },
            |inner| Kms::put_key(inner, changed.clone()),
        )
    }

    pub(crate) fn rotate_key_on_demand(
        &self,
        ctx: &RequestContext,
        req: w::RotateKeyOnDemandRequest,
    ) -> Out<w::RotateKeyOnDemandResponse> {
        let key = self.resolve(
            ctx,
            req.key_id.as_deref().unwrap_or_default(),
            Naming::KeyOnly,
        )?;
        self.authorize_key(ctx, &key, "RotateKeyOnDemand", &|_| {}, None)?;
        require_state(&key, USABLE)?;
        Self::rotation_checks(&key)?;
        if key.meta.on_demand_rotations >= ON_DEMAND_ROTATION_LIMIT {
            return Err(ApiError::bad_request(
                "LimitExceededException",
                format!(
                    "The on-demand rotations limit has been reached for the given keyId. No more on-demand rotations can be performed for this key: {}",
                    key.arn
                ),
            ));
        }
        let key = self.add_version(&key, self.clock.now(), RotationType::OnDemand, true)?;
        Ok((
            w::RotateKeyOnDemandResponse {
                key_id: Some(key.arn.clone()),
            },
            key_resource(&key),
        ))
    }

    /// Rotates keys whose automatic rotation is due.
    pub(crate) fn rotate_due_keys(&self, now: i64) -> Result<usize, ApiError> {
        let due: Vec<Arc<Key>> = {
            let inner = self.state.read()?;
            inner
                .keys
                .values()
                .filter(|k| {
                    k.meta.state == KeyState::Enabled
                        && k.meta.next_rotation.is_some_and(|t| t <= now)
                })
                .cloned()
                .collect()
        };
        for key in &due {
            self.add_version(key, now, RotationType::Automatic, false)?;
            tracing::info!(key = %key.arn, "rotated key material");
        }
        Ok(due.len())
    }

    pub(crate) fn list_key_rotations(
        &self,
        ctx: &RequestContext,
        req: w::ListKeyRotationsRequest,
    ) -> Out<w::ListKeyRotationsResponse> {
        let key = self.resolve(
            ctx,
            req.key_id.as_deref().unwrap_or_default(),
            Naming::KeyOnly,
        )?;
        self.authorize_key(ctx, &key, "ListKeyRotations", &|_| {}, None)?;
        let all_material = match req.include_key_material.as_deref() {
            Some(_) if key.spec() != KeySpec::SymmetricDefault => {
                return Err(ApiError::validation(
                    "Input parameter includeKeyMaterial can only be used with symmetric keys.",
                ));
            }
            Some("ALL_KEY_MATERIAL") => true,
            _ => false,
        };
        Self::rotation_checks(&key)?;
        let current = key.versions.last().map(|v| v.number);
        let items: Vec<(String, w::RotationsListEntry)> = key
            .versions
            .iter()
            .filter(|v| all_material || v.rotation_type != RotationType::Initial)
            .map(|v| {
                let rotation_type = match v.rotation_type {
                    RotationType::Initial => None,
                    RotationType::OnDemand => Some("ON_DEMAND".to_owned()),
                    RotationType::Automatic => Some("AUTOMATIC".to_owned()),
                };
                let state = if Some(v.number) == current {
                    "CURRENT"
                } else {
                    "NON_CURRENT"
                };
                (
                    format!("{:010}", v.number),
                    w::RotationsListEntry {
                        key_id: Some(key.id.clone()),
                        key_material_id: Some(v.material_id.clone()),
                        key_material_state: Some(state.into()),
                        rotation_date: rotation_type
                            .as_ref()
                            .map(|_| Timestamp::from_unix(v.created)),
                        rotation_type,
                        ..w::RotationsListEntry::default()
                    },
                )
            })
            .collect();
        let limit = usize::try_from(req.limit.unwrap_or(100)).unwrap_or(100);
        let (rotations, next) = page(&items, req.marker.as_deref(), limit)?;
        Ok((
            w::ListKeyRotationsResponse {
                rotations: Some(rotations),
                truncated: Some(next.is_some()),
                next_marker: next,
            },
            key_resource(&key),
        ))
    }

    pub(crate) fn get_key_policy(
        &self,
        ctx: &RequestContext,
        req: w::GetKeyPolicyRequest,
    ) -> Out<w::GetKeyPolicyResponse> {
        let name = req.policy_name.clone().unwrap_or_else(|| "default".into());
        let key = self.resolve(
            ctx,
            req.key_id.as_deref().unwrap_or_default(),
            Naming::KeyOnly,
        )?;
        self.authorize_key(ctx, &key, "GetKeyPolicy", &|_| {}, None)?;
        if name != "default" {
            return Err(not_found("No such policy exists"));
        }
        Ok((
            w::GetKeyPolicyResponse {
                policy: Some(key.meta.policy.clone()),
                policy_name: Some(name),
            },
            key_resource(&key),
        ))
    }

    pub(crate) fn put_key_policy(
        &self,
        ctx: &RequestContext,
        req: w::PutKeyPolicyRequest,
    ) -> Out<()> {
        let name = req.policy_name.clone().unwrap_or_else(|| "default".into());
        if name != "default" {
            return Err(ApiError::validation("PolicyName must be default"));
        }
        let text = req.policy.clone().unwrap_or_default();
        let policy = Arc::new(parse_key_policy(&text)?);
        self.known_principals(&policy)?;
        let key = self.resolve(
            ctx,
            req.key_id.as_deref().unwrap_or_default(),
            Naming::KeyOnly,
        )?;
        let bypass = req.bypass_policy_lockout_safety_check.unwrap_or(false);
        self.authorize_key(
            ctx,
            &key,
            "PutKeyPolicy",
            &|c| {
                c.insert(
                    "kms:BypassPolicyLockoutSafetyCheck",
                    ContextValue::boolean(bypass),
                )
            },
            None,
        )?;
        // Key policies can be changed in every key state.
        if !bypass && !self.policy_keeps_caller_in_control(ctx, &key, &policy) {
            return Err(ApiError::bad_request(
                "MalformedPolicyDocumentException",
                "The new key policy will not allow you to update the key policy in the future.",
            ));
        }
        let key = self.change_key(
            ctx,
            &key.arn,
            Naming::KeyOnly,
            "PutKeyPolicy",
            &[
                KeyState::Enabled,
                KeyState::Disabled,
                KeyState::PendingDeletion,
            ],
            |k, _| {
                k.meta.policy = text;
                k.policy = Arc::clone(&policy);
                Ok(())
            },
        )?;
        Ok(((), key_resource(&key)))
    }

    /// KMS's lockout safety check: the caller must still be able to PutKeyPolicy
    /// under the new policy.
    fn policy_keeps_caller_in_control(
        &self,
        ctx: &RequestContext,
        key: &Key,
        policy: &Arc<Policy>,
    ) -> bool {
        let mut trial = key.clone();
        trial.policy = Arc::clone(policy);
        self.authorize_key(
            ctx,
            &trial,
            "PutKeyPolicy",
            &|c| {
                c.insert(
                    "kms:BypassPolicyLockoutSafetyCheck",
                    ContextValue::boolean(false),
                )
            },
            None,
        )
        .is_ok()
    }

    pub(crate) fn list_key_policies(
        &self,
        ctx: &RequestContext,
        req: w::ListKeyPoliciesRequest,
    ) -> Out<w::ListKeyPoliciesResponse> {
        let key = self.resolve(
            ctx,
            req.key_id.as_deref().unwrap_or_default(),
            Naming::KeyOnly,
        )?;
        self.authorize_key(ctx, &key, "ListKeyPolicies", &|_| {}, None)?;
        Ok((
            w::ListKeyPoliciesResponse {
                policy_names: Some(vec!["default".into()]),
                truncated: Some(false),
                next_marker: None,
            },
            key_resource(&key),
        ))
    }

    pub(crate) fn tag_resource(&self, ctx: &RequestContext, req: w::TagResourceRequest) -> Out<()> {
        let tags = req.tags.clone().unwrap_or_default();
        let key = self.resolve(
            ctx,
            req.key_id.as_deref().unwrap_or_default(),
            Naming::KeyOnly,
        )?;
        let request_tags: BTreeMap<String, String> = tags
            .iter()
            .map(|t| {
                (
                    t.tag_key.clone().unwrap_or_default(),
                    t.tag_value.clone().unwrap_or_default(),
                )
            })
            .collect();
        self.authorize_key(
            ctx,
            &key,
            "TagResource",
            &|c| {
                for (k, v) in &request_tags {
                    c.insert(
                        &format!("aws:RequestTag/{k}"),
                        ContextValue::string(v.as_str()),
                    );
                }
                c.insert(
                    "aws:TagKeys",
                    ContextValue::string_list(request_tags.keys().map(String::as_str)),
                );
            },
            None,
        )?;
        let merged = check_tags(&key.meta.tags, &tags)?;
        let key = self.change_key(
            ctx,
            &key.arn,
            Naming::KeyOnly,
            "TagResource",
            &[KeyState::Enabled, KeyState::Disabled],
            |k, _| {
                k.meta.tags = merged;
                Ok(())
            },
        )?;
        Ok(((), key_resource(&key)))
    }

    pub(crate) fn untag_resource(
        &self,
        ctx: &RequestContext,
        req: w::UntagResourceRequest,
    ) -> Out<()> {
        let keys = req.tag_keys.clone().unwrap_or_default();
        let key = self.resolve(
            ctx,
            req.key_id.as_deref().unwrap_or_default(),
            Naming::KeyOnly,
        )?;
        self.authorize_key(
            ctx,
            &key,
            "UntagResource",
            &|c| {
                c.insert(
                    "aws:TagKeys",
                    ContextValue::string_list(keys.iter().map(String::as_str)),
                )
            },
            None,
        )?;
        let key = self.change_key(
            ctx,
            &key.arn,
            Naming::KeyOnly,
            "UntagResource",
            &[KeyState::Enabled, KeyState::Disabled],
            |k, _| {
                for t in &keys {
                    k.meta.tags.remove(t);
                }
                Ok(())
            },
        )?;
        Ok(((), key_resource(&key)))
    }

    pub(crate) fn list_resource_tags(
        &self,
        ctx: &RequestContext,
        req: w::ListResourceTagsRequest,
    ) -> Out<w::ListResourceTagsResponse> {
        let key = self.resolve(
            ctx,
            req.key_id.as_deref().unwrap_or_default(),
            Naming::KeyOnly,
        )?;
        self.authorize_key(ctx, &key, "ListResourceTags", &|_| {}, None)?;
        let items: Vec<(String, w::Tag)> = key
            .meta
            .tags
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    w::Tag {
                        tag_key: Some(k.clone()),
                        tag_value: Some(v.clone()),
                    },
                )
            })
            .collect();
        let limit = usize::try_from(req.limit.unwrap_or(50)).unwrap_or(50);
        let (tags, next) = page(&items, req.marker.as_deref(), limit)?;
        Ok((
            w::ListResourceTagsResponse {
                tags: Some(tags),
                truncated: Some(next.is_some()),
                next_marker: next,
            },
            key_resource(&key),
        ))
    }

    /// The public key response of an asymmetric key.
    pub(crate) fn public_key_response(
        &self,
        key: &Key,
    ) -> Result<w::GetPublicKeyResponse, ApiError> {
        let spec = key.spec();
        let version = key
            .current()
            .ok_or_else(|| ApiError::internal("KMSInternalException"))?;
        let material = version.material(&self.root_key, key)?;
        let der = material.public_key_der().map_err(|_| {
            ApiError::bad_request(
                "UnsupportedOperationException",
                format!(
                    "{} key spec {} does not have a public key.",
                    key.arn,
                    spec.as_str()
                ),
            )
        })?;
        let mut out = w::GetPublicKeyResponse {
            key_id: Some(key.arn.clone()),
            public_key: Some(Blob(der)),
            customer_master_key_spec: Some(key.meta.key_spec.clone()),
            key_spec: Some(key.meta.key_spec.clone()),
            key_usage: Some(key.meta.key_usage.clone()),
            ..w::GetPublicKeyResponse::default()
        };
        match key.usage() {
            KeyUsage::EncryptDecrypt => {
                out.encryption_algorithms = Some(
                    spec.encryption_algorithms()
                        .iter()
                        .map(|a| a.as_str().into())
                        .collect(),
                );
            }
            _ => {
                out.signing_algorithms = Some(
                    spec.signing_algorithms()
                        .iter()
                        .map(|a| a.as_str().into())
                        .collect(),
                )
            }
        }
        Ok(out)
    }
}
