//! Grants: delegated permissions on one key for one grantee, with optional
//! encryption-context constraints, retired by their retiring principal or grantee
//! and revoked by key administrators.

use base64::Engine as _;
use mlguard_crypto::{KeySpec, KeyUsage, random};
use mlguard_policy::ContextValue;
use mlguard_wire::Timestamp;
use mlguard_wire::kms as w;

use super::common::{Naming, dry_run, key_resource, page, require_state};
use super::model::{Grant, Key, KeyState, kinds};
use super::{AuditInfo, Kms};
use crate::context::RequestContext;
use crate::error::ApiError;

type Out<T> = Result<(T, AuditInfo), ApiError>;

/// Operations that take an encryption context, and so may be constrained.
const CONTEXT_OPERATIONS: &[&str] = &[
    "Decrypt",
    "Encrypt",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "ReEncryptFrom",
    "ReEncryptTo",
    "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext",
];

/// The grant operations a key supports.
fn supported(key: &Key, op: &str) -> bool {
    if matches!(op, "DescribeKey" | "CreateGrant" | "RetireGrant") {
        return true;
    }
    match (key.spec(), key.usage()) {
        (KeySpec::SymmetricDefault, _) => CONTEXT_OPERATIONS.contains(&op),
        (_, KeyUsage::GenerateVerifyMac) => matches!(op, "GenerateMac" | "VerifyMac"),
        (_, KeyUsage::SignVerify) => matches!(op, "Sign" | "Verify" | "GetPublicKey"),
        (_, KeyUsage::EncryptDecrypt) => matches!(
            op,
            "Encrypt" | "Decrypt" | "ReEncryptFrom" | "ReEncryptTo" | "GetPublicKey"
        ),
    }
}

fn persist(tx: &mlguard_store::Tx<'_>, grant: &Grant, now: i64) -> Result<(), ApiError> {
    let doc =
        serde_json::to_string(grant).map_err(|_| ApiError::internal("KMSInternalException"))?;
    tx.put(
        kinds::GRANT,
        &grant.grant_id,
        &grant.key_account,
        &doc,
        None,
        now,
    )?;
    Ok(())
}

fn entry(grant: &Grant) -> w::GrantListEntry {
    let constraints =
        (grant.context_subset.is_some() || grant.context_equals.is_some()).then(|| {
            w::GrantConstraints {
                encryption_context_subset: grant.context_subset.clone(),
                encryption_context_equals: grant.context_equals.clone(),
            }
        });
    w::GrantListEntry {
        key_id: Some(format!(
            "arn:aws:kms:{}:{}:key/{}",
            grant.key_region, grant.key_account, grant.key_id
        )),
        grant_id: Some(grant.grant_id.clone()),
        name: grant.name.clone(),
        creation_date: Some(Timestamp::from_unix(grant.created)),
        grantee_principal: Some(grant.grantee.clone()),
        retiring_principal: grant.retiring.clone(),
        issuing_account: Some(format!("arn:aws:iam::{}:root", grant.issuing_account)),
        operations: Some(grant.operations.clone()),
        constraints,
    }
}

/// The length of the grant tokens mlguard issues (48 random bytes, base64url).
const TOKEN_LEN: usize = 64;

/// `GrantTokens` of any operation must be tokens KMS could have issued:
/// `InvalidGrantTokenException` otherwise, as KMS answers a token it cannot
/// read. (A well-formed token of a retired grant passes; it just grants
/// nothing.) Only bodies that name `GrantTokens` are parsed for it.
pub(crate) fn check_grant_tokens(body: &[u8]) -> Result<(), ApiError> {
    #[derive(serde::Deserialize)]
    struct Tokens {
        #[serde(rename = "GrantTokens")]
        grant_tokens: Option<Vec<String>>,
    }
    if !body.windows(11).any(|w| w == b"GrantTokens") {
        return Ok(());
    }
    // (A body that is not this shape is left to the operation's decoder.)
    let Ok(Tokens {
        grant_tokens: Some(tokens),
    }) = serde_json::from_slice::<Tokens>(body)
    else {
        return Ok(());
    };
    let well_formed = |t: &String| {
        t.len() == TOKEN_LEN
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if tokens.iter().all(well_formed) {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "InvalidGrantTokenException",
            "The grant token is not valid.",
        ))
    }
}

impl Kms {
    pub(crate) fn create_grant(
        &self,
        ctx: &RequestContext,
        req: w::CreateGrantRequest,
    ) -> Out<w::CreateGrantResponse> {
        let key_id = req.key_id.as_deref().unwrap_or_default();
        if key_id.contains(":alias/") {
            return Err(ApiError::bad_request(
                "InvalidArnException",
                "Key Aliases are not supported for this operation.",
            ));
        }
        let key = self.resolve(ctx, key_id, Naming::KeyOnly)?;
        let operations = req.operations.clone().unwrap_or_default();
        let grantee = req.grantee_principal.clone().unwrap_or_default();
        let constraints = req.constraints.clone().unwrap_or_default();
        let constraint_types: Vec<&str> = [
            constraints
                .encryption_context_subset
                .as_ref()
                .map(|_| "EncryptionContextSubset"),
            constraints
                .encryption_context_equals
                .as_ref()
                .map(|_| "EncryptionContextEquals"),
        ]
        .into_iter()
        .flatten()
        .collect();
        // A grant that allows CreateGrant under a constraint allows only grants
        // with constraints as strict or stricter.
        let subset = constraints.encryption_context_subset.as_ref();
        let equals = constraints.encryption_context_equals.as_ref();
        self.authorize_key_with(
            ctx,
            &key,
            "CreateGrant",
            &|c| {
                c.insert(
                    "kms:GrantOperations",
                    ContextValue::string_list(operations.iter().map(String::as_str)),
                );
                c.insert(
                    "kms:GranteePrincipal",
                    ContextValue::string(grantee.as_str()),
                );
                if let Some(r) = &req.retiring_principal {
                    c.insert("kms:RetiringPrincipal", ContextValue::string(r.as_str()));
                }
                c.insert("kms:GrantIsForAWSResource", ContextValue::boolean(false));
                if !constraint_types.is_empty() {
                    c.insert(
                        "kms:GrantConstraintType",
                        ContextValue::string_list(constraint_types.iter().copied()),
                    );
                }
            },
            None,
            &|parent| super::common::at_least_as_strict(parent, subset, equals),
        )?;
        require_state(&key, &[KeyState::Enabled])?;
        if let Some(op) = operations.iter().find(|op| !supported(&key, op)) {
            return Err(ApiError::validation(format!(
                "Grant operation {op} is not valid for key {} with key spec {} and key usage {}.",
                key.arn, key.meta.key_spec, key.meta.key_usage
            )));
        }
        if !constraint_types.is_empty()
            && operations.iter().any(|op| {
                !CONTEXT_OPERATIONS.contains(&op.as_str())
                    && !matches!(op.as_str(), "DescribeKey" | "RetireGrant" | "CreateGrant")
            })
        {
            return Err(ApiError::validation(
                "Grant constraints are allowed only with operations that take an encryption context.",
            ));
        }
        // "You cannot use an encryption context grant constraint for
        // cryptographic operations with asymmetric KMS keys or HMAC KMS keys."
        if !constraint_types.is_empty() && key.spec() != KeySpec::SymmetricDefault {
            return Err(ApiError::validation(format!(
                "Grant constraints are not allowed for key {} with key spec {}: only symmetric encryption keys take an encryption context.",
                key.arn, key.meta.key_spec
            )));
        }
        for map in [
            &constraints.encryption_context_subset,
            &constraints.encryption_context_equals,
        ]
        .into_iter()
        .flatten()
        {
            if map.len() > 8 || map.values().any(|v| v.chars().count() > 384) {
                return Err(ApiError::validation(
                    "Encryption context constraints may have at most 8 pairs with values of at most 384 characters.",
                ));
            }
        }
        if req.dry_run == Some(true) {
            return Err(dry_run());
        }
        let now = self.clock.now();
        let token = {
            let bytes: [u8; 48] =
                random::array().map_err(|_| ApiError::internal("KMSInternalException"))?;
            let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
            debug_assert_eq!(token.len(), TOKEN_LEN);
            token
        };
        // A named grant is idempotent per key: same name, same grant id.
        let existing = {
            let inner = self.state.read()?;
            req.name.as_ref().and_then(|name| {
                inner
                    .grants_of(&key.path())
                    .find(|g| g.name.as_ref() == Some(name))
                    .cloned()
            })
        };
        let grant = match existing {
            Some(mut g) => {
                g.token = token;
                g
            }
            None => {
                let id_bytes: [u8; 32] =
                    random::array().map_err(|_| ApiError::internal("KMSInternalException"))?;
                Grant {
                    grant_id: id_bytes.iter().map(|b| format!("{b:02x}")).collect(),
                    key_id: key.id.clone(),
                    key_account: key.account.clone(),
                    key_region: key.region.clone(),
                    name: req.name.clone(),
                    grantee,
                    retiring: req.retiring_principal.clone(),
                    issuing_account: ctx.caller.account_id.clone(),
                    operations,
                    context_subset: constraints.encryption_context_subset.clone(),
                    context_equals: constraints.encryption_context_equals.clone(),
                    created: now,
                    token,
                }
            }
        };
        self.commit(
            |tx| persist(tx, &grant, now),
            |inner| inner.put_grant(grant.clone()),
        )?;
        let mut audit = key_resource(&key);
        audit.response_elements = Some(serde_json::json!({ "grantId": grant.grant_id }));
        Ok((
            w::CreateGrantResponse {
                grant_token: Some(grant.token.clone()),
                grant_id: Some(grant.grant_id.clone()),
            },
            audit,
        ))
    }

    pub(crate) fn list_grants(
        &self,
        ctx: &RequestContext,
        req: w::ListGrantsRequest,
    ) -> Out<w::ListGrantsResponse> {
        let key = self.resolve(
            ctx,
            req.key_id.as_deref().unwrap_or_default(),
            Naming::KeyOnly,
        )?;
        self.authorize_key(ctx, &key, "ListGrants", &|_| {}, None)?;
        let items: Vec<(String, w::GrantListEntry)> = {
            let inner = self.state.read()?;
            inner
                .grants_of(&key.path())
                .filter(|g| req.grant_id.as_ref().is_none_or(|id| *id == g.grant_id))
                .filter(|g| {
                    req.grantee_principal
                        .as_ref()
                        .is_none_or(|p| *p == g.grantee)
                })
                .map(|g| (g.grant_id.clone(), entry(g)))
                .collect()
        };
        let limit = usize::try_from(req.limit.unwrap_or(50))
            .unwrap_or(50)
            .min(100);
        let (grants, next) = page(&items, req.marker.as_deref(), limit)?;
        Ok((
            w::ListGrantsResponse {
                grants: Some(grants),
                truncated: Some(next.is_some()),
                next_marker: next,
            },
            key_resource(&key),
        ))
    }

    pub(crate) fn list_retirable_grants(
        &self,
        ctx: &RequestContext,
        req: w::ListRetirableGrantsRequest,
    ) -> Out<w::ListGrantsResponse> {
        let principal = req.retiring_principal.clone().unwrap_or_default();
        let context = ctx.condition_context(None);
        ctx.authorize(&crate::context::AuthzCheck {
            action: "kms:ListRetirableGrants",
            resource: "*",
            resource_account: None,
            resource_policy: None,
            mandatory: false,
            context: &context,
            granted: false,
        })?;
        let items: Vec<(String, w::GrantListEntry)> = {
            let inner = self.state.read()?;
            inner
                .all_grants()
                .filter(|g| g.retiring.as_ref() == Some(&principal))
                .map(|g| (g.grant_id.clone(), entry(g)))
                .collect()
        };
        let limit = usize::try_from(req.limit.unwrap_or(50))
            .unwrap_or(50)
            .min(100);
        let (grants, next) = page(&items, req.marker.as_deref(), limit)?;
        Ok((
            w::ListGrantsResponse {
                grants: Some(grants),
                truncated: Some(next.is_some()),
                next_marker: next,
            },
            AuditInfo::default(),
        ))
    }

    fn remove_grant(&self, grant: &Grant) -> Result<(), ApiError> {
        self.commit(
            |tx| {
                tx.delete(kinds::GRANT, &grant.grant_id)
                    .map(|_| ())
                    .map_err(ApiError::from)
            },
            |inner| {
                inner.remove_grant(&grant.grant_id);
            },
        )
    }

    pub(crate) fn retire_grant(&self, ctx: &RequestContext, req: w::RetireGrantRequest) -> Out<()> {
        let grant = {
            let inner = self.state.read()?;
            match (&req.grant_token, &req.key_id, &req.grant_id) {
                (Some(token), _, _) => inner.grant_by_token(token).cloned().ok_or_else(|| {
                    ApiError::bad_request("InvalidGrantTokenException", "Grant token is not valid.")
                })?,
                (None, Some(key_id), Some(grant_id)) => {
                    let key = super::common::resolve_in(
                        &inner,
                        &ctx.caller.account_id,
                        &ctx.region,
                        key_id,
                        Naming::KeyOnly,
                    )?;
                    inner
                        .grant(grant_id)
                        .filter(|g| g.key_id == key.id)
                        .cloned()
                        .ok_or_else(|| {
                            ApiError::bad_request(
                                "InvalidGrantIdException",
                                "Grant ID is not valid.",
                            )
                        })?
                }
                _ => {
                    return Err(ApiError::validation(
                        "Either GrantToken, or both KeyId and GrantId, must be specified.",
                    ));
                }
            }
        };
        // Who may retire: the retiring principal, the grantee (with RetireGrant in the
        // grant), or the account that issued the grant (its root).
        let caller = &ctx.caller;
        let allowed = grant.retiring.as_deref() == Some(caller.arn.as_str())
            || (grant.grantee == caller.arn && grant.operations.iter().any(|o| o == "RetireGrant"))
            || caller.arn == format!("arn:aws:iam::{}:root", grant.issuing_account);
        if !allowed {
            let key_arn = format!(
                "arn:aws:kms:{}:{}:key/{}",
                grant.key_region, grant.key_account, grant.key_id
            );
            return Err(ApiError::new(
                400,
                "AccessDeniedException",
                format!(
                    "User: {} is not authorized to perform: kms:RetireGrant on resource: {key_arn}",
                    caller.arn
                ),
            ));
        }
        if req.dry_run == Some(true) {
            return Err(dry_run());
        }
        self.remove_grant(&grant)?;
        Ok(((), grant_audit(&grant)))
    }

    pub(crate) fn revoke_grant(&self, ctx: &RequestContext, req: w::RevokeGrantRequest) -> Out<()> {
        let key = self.resolve(
            ctx,
            req.key_id.as_deref().unwrap_or_default(),
            Naming::KeyOnly,
        )?;
        self.authorize_key(ctx, &key, "RevokeGrant", &|_| {}, None)?;
        let grant_id = req.grant_id.clone().unwrap_or_default();
        let grant = {
            let inner = self.state.read()?;
            inner
                .grant(&grant_id)
                .filter(|g| g.key_id == key.id && g.key_account == key.account)
                .cloned()
                .ok_or_else(|| {
                    ApiError::bad_request("InvalidGrantIdException", "Grant ID is not valid.")
                })?
        };
        if req.dry_run == Some(true) {
            return Err(dry_run());
        }
        self.remove_grant(&grant)?;
        Ok(((), key_resource(&key)))
    }
}

fn grant_audit(grant: &Grant) -> AuditInfo {
    AuditInfo {
        response_elements: None,
        resources: vec![(
            format!(
                "arn:aws:kms:{}:{}:key/{}",
                grant.key_region, grant.key_account, grant.key_id
            ),
            "AWS::KMS::Key",
            grant.key_account.clone(),
        )],
    }
}
