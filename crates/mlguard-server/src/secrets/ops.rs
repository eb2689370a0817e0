//! The operations.

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine as _;
use mlguard_crypto::{RootKey, Zeroizing};
use mlguard_policy::{Context, ContextValue, Policy, PolicyKind};
use mlguard_wire::secretsmanager as w;
use mlguard_wire::{SensitiveBlob, SensitiveString, Timestamp};

use super::filters::{self, Filter, Subject};
use super::model::{Secret, StoredValue, Tag};
use super::stages::{self, PENDING, Version};
use super::{
    Out, Secrets, check_secret_id, internal, invalid_parameter, invalid_request,
    marked_for_deletion, not_found, valid_name, value_id,
};
use crate::audit::AuditInfo;
use crate::context::RequestContext;
use crate::error::ApiError;

const DAY: i64 = 86_400;
const MAX_TAGS: usize = 50;
const SECRET_TYPE: &str = "AWS::SecretsManager::Secret";

/// A value to store: `SecretBinary` or not, and its bytes.
pub(super) type Value = (bool, Zeroizing<Vec<u8>>);

pub(super) fn audit(secret: &Secret) -> AuditInfo {
    AuditInfo {
        response_elements: None,
        resources: vec![(secret.arn.clone(), SECRET_TYPE, secret.account.clone())],
    }
}

pub(super) fn ts(secs: i64) -> Option<Timestamp> {
    Some(Timestamp::from_unix(secs))
}

/// The value of a request: exactly one of SecretString and SecretBinary, or none.
pub(super) fn value_of(
    string: Option<&SensitiveString>,
    binary: Option<&SensitiveBlob>,
) -> Result<Option<Value>, ApiError> {
    match (string, binary) {
        (Some(_), Some(_)) => Err(invalid_parameter(
            "You can't specify both a binary secret value and a string secret value in the same secret.",
        )),
        (Some(s), None) => Ok(Some((false, Zeroizing::new(s.0.as_bytes().to_vec())))),
        (None, Some(b)) => Ok(Some((true, Zeroizing::new(b.0.to_vec())))),
        (None, None) => Ok(None),
    }
}

pub(super) fn require_token(token: Option<&String>, code: &str) -> Result<String, ApiError> {
    token.cloned().ok_or_else(|| {
        ApiError::bad_request(
            code,
            "You must provide a ClientRequestToken value. We recommend a UUID-type value.",
        )
    })
}

fn token_in_use(token: &str, arn: &str) -> ApiError {
    ApiError::bad_request(
        "ResourceExistsException",
        format!(
            "You can't use ClientRequestToken {token} because that value is already in use for a version of secret {arn}."
        ),
    )
}

/// Tags of a request, refusing AWS's reserved `aws:` keys.
fn request_tags(tags: Option<&Vec<w::Tag>>) -> Result<Vec<Tag>, ApiError> {
    let mut out: Vec<Tag> = Vec::new();
    for t in tags.into_iter().flatten() {
        let key = t.key.clone().unwrap_or_default();
        if key.to_ascii_lowercase().starts_with("aws:") {
            return Err(invalid_parameter(format!(
                "You can't modify system tags. Tag key: '{key}'."
            )));
        }
        let value = t.value.clone().unwrap_or_default();
        out.retain(|x| x.key != key);
        out.push(Tag { key, value });
    }
    Ok(out)
}

fn tag_context(c: &mut Context, tags: &[Tag]) {
    crate::context::insert_request_tags(c, tags.iter().map(|t| (t.key.as_str(), t.value.as_str())));
}

fn wire_tags(tags: &[Tag]) -> Vec<w::Tag> {
    tags.iter()
        .map(|t| w::Tag {
            key: Some(t.key.clone()),
            value: Some(t.value.clone()),
        })
        .collect()
}

/// Constant-time equality of two values.
fn same_value(a: &Value, b: &Value) -> bool {
    a.0 == b.0 && aws_lc_rs::constant_time::verify_slices_are_equal(&a.1, &b.1).is_ok()
}

/// KMS's answer, as Secrets Manager reports it.
fn kms_failure(e: ApiError, encrypting: bool) -> ApiError {
    match e.code.as_str() {
        "AccessDeniedException" => {
            ApiError::bad_request("AccessDeniedException", "Access to KMS is not allowed")
        }
        "KMSInternalException" | "InternalFailure" => internal(e.code),
        _ if encrypting => ApiError::bad_request(
            "EncryptionFailure",
            "Secrets Manager can't encrypt the protected secret text using the provided KMS key. Check that the KMS key is available, enabled, and not in an invalid state.",
        ),
        _ => ApiError::bad_request(
            "DecryptionFailure",
            "Secrets Manager can't decrypt the protected secret text using the provided KMS key.",
        ),
    }
}

fn date_of(secs: i64) -> i64 {
    secs - secs.rem_euclid(DAY)
}

/// The label a value was asked for by, for "can't find" messages.
enum Asked<'a> {
    Id(&'a str),
    Stage(&'a str),
}

fn no_value(asked: &Asked<'_>) -> ApiError {
    let message = match asked {
        Asked::Id(id) => {
            format!("Secrets Manager can't find the specified secret value for VersionId: {id}")
        }
        Asked::Stage(stage) => format!(
            "Secrets Manager can't find the specified secret value for staging label: {stage}"
        ),
    };
    ApiError::bad_request("ResourceNotFoundException", message)
}

/// The version a read names (VersionId and/or VersionStage, AWSCURRENT by default).
fn select_version<'s>(
    secret: &'s Secret,
    version_id: Option<&'s str>,
    stage: Option<&'s str>,
) -> Result<(&'s str, &'s Version), ApiError> {
    let (id, asked) = match (version_id, stage) {
        (Some(id), stage) => {
            let v = secret
                .versions
                .get(id)
                .ok_or_else(|| no_value(&Asked::Id(id)))?;
            if let Some(stage) = stage
                && !v.stages.iter().any(|s| s == stage)
            {
                return Err(invalid_request(
                    "You provided a VersionStage that is not associated to the provided VersionId.",
                ));
            }
            (id, Asked::Id(id))
        }
        (None, stage) => {
            let stage = stage.unwrap_or(stages::CURRENT);
            let id = stages::holder(&secret.versions, stage)
                .ok_or_else(|| no_value(&Asked::Stage(stage)))?;
            (id, Asked::Stage(stage))
        }
    };
    let version = secret
        .versions
        .get(id)
        .filter(|v| v.key_arn.is_some())
        .ok_or_else(|| no_value(&asked))?;
    Ok((id, version))
}

impl Secrets {
    fn via(region: &str) -> String {
        format!("secretsmanager.{region}.amazonaws.com")
    }

    fn encryption_context(arn: &str, version: &str) -> BTreeMap<String, String> {
        BTreeMap::from([
            ("SecretARN".to_string(), arn.to_string()),
            ("SecretVersionId".to_string(), version.to_string()),
        ])
    }

    /// Encrypts a version's value under the secret's key (the account's
    /// `aws/secretsmanager` key, created on first use, when it names none).
    pub(super) fn encrypt(
        &self,
        ctx: &RequestContext,
        secret: &Secret,
        version: &str,
        value: &Value,
    ) -> Result<(String, StoredValue, Vec<u8>), ApiError> {
        let key_id = match &secret.kms_key_id {
            Some(id) => id.clone(),
            None => self
                .kms
                .aws_managed_key(&secret.account, &secret.region, "secretsmanager")?
                .arn
                .clone(),
        };
        let context = Self::encryption_context(&secret.arn, version);
        let (key_arn, data_key, blob) = self
            .kms
            .data_key_via(ctx, &key_id, &context, &Self::via(&secret.region))
            .map_err(|e| kms_failure(e, true))?;
        self.audit_kms(ctx, "GenerateDataKey", &key_arn, &context);
        let sealer = RootKey::from_bytes(&data_key).map_err(internal)?;
        let sealed = sealer
            .seal(value_id(&secret.arn, version).as_bytes(), &value.1)
            .map_err(internal)?;
        let stored = StoredValue {
            binary: value.0,
            data_key: base64::engine::general_purpose::STANDARD.encode(blob),
        };
        Ok((key_arn, stored, sealed))
    }

    /// The KMS call Secrets Manager made for the caller, as CloudTrail records it:
    /// a KMS event of the caller's, invoked by secretsmanager.amazonaws.com.
    fn audit_kms(
        &self,
        ctx: &RequestContext,
        operation: &str,
        key_arn: &str,
        context: &BTreeMap<String, String>,
    ) {
        let Some(hook) = self.audit.get() else { return };
        let mut identity = crate::http::identity_of(ctx);
        identity.invoked_by = Some("secretsmanager.amazonaws.com".into());
        let mut event =
            mlguard_audit::Event::new("kms.amazonaws.com", operation, &ctx.region, identity);
        event.event_time = crate::http::event_time(ctx.now);
        event.source_ip_address = "secretsmanager.amazonaws.com".into();
        event.user_agent = "secretsmanager.amazonaws.com".into();
        event.read_only = true;
        event.recipient_account_id = self.account_id.clone();
        let mut parameters = serde_json::json!({
            "encryptionContext": context,
            "encryptionAlgorithm": "SYMMETRIC_DEFAULT",
        });
        if operation == "GenerateDataKey" {
            parameters = serde_json::json!({
                "keyId": key_arn,
                "encryptionContext": context,
                "keySpec": "AES_256",
            });
        }
        event.request_parameters = Some(mlguard_audit::RedactedJson::new(parameters, &[]));
        event.resources = Some(vec![mlguard_audit::Resource {
            arn: key_arn.to_string(),
            account_id: Some(self.account_id.clone()),
            resource_type: Some("AWS::KMS::Key".into()),
        }]);
        hook(event);
    }

    /// Decrypts a version's value (the caller needs kms:Decrypt on its key).
    pub(super) fn decrypt(
        &self,
        ctx: &RequestContext,
        secret: &Secret,
        version: &str,
    ) -> Result<Value, ApiError> {
        let sealed_value = self.sealed_value(&secret.arn, version)?;
        let (stored, sealed) = &*sealed_value;
        let blob = base64::engine::general_purpose::STANDARD
            .decode(&stored.data_key)
            .map_err(internal)?;
        let context = Self::encryption_context(&secret.arn, version);
        let (key_arn, data_key) = self
            .kms
            .decrypt_via(ctx, &blob, &context, &Self::via(&secret.region))
            .map_err(|e| kms_failure(e, false))?;
        self.audit_kms(ctx, "Decrypt", &key_arn, &context);
        let opener = RootKey::from_bytes(&data_key).map_err(internal)?;
        let plain = opener
            .open(value_id(&secret.arn, version).as_bytes(), sealed)
            .map_err(|_| kms_failure(ApiError::bare("InvalidCiphertextException"), false))?;
        Ok((stored.binary, plain))
    }

    /// The secret a request names, once the caller may `action` it and unless it is
    /// marked for deletion.
    fn live_secret(
        &self,
        ctx: &RequestContext,
        id: Option<&str>,
        action: &str,
    ) -> Result<Arc<Secret>, ApiError> {
        let secret = self.secret(ctx, id.unwrap_or_default(), action)?;
        self.allow(ctx, action, Some(&secret), &secret.arn, &|_| {})?;
        if secret.deleted.is_some() {
            return Err(marked_for_deletion());
        }
        Ok(secret)
    }

    /// Changes a secret's metadata: under the write lock, `change` edits its latest
    /// state, which is then saved.
    pub(super) fn modify(
        &self,
        secret: &Secret,
        change: impl FnOnce(&mut Secret) -> Result<(), ApiError>,
    ) -> Result<Arc<Secret>, ApiError> {
        let _guard = self.write.lock().map_err(internal)?;
        let mut latest = self.latest(secret)?;
        change(&mut latest)?;
        self.save(latest, &[], &[])
    }

    /// A version's sealed value, from the cache or the store.
    fn sealed_value(&self, arn: &str, version: &str) -> Result<Arc<super::SealedValue>, ApiError> {
        let id = value_id(arn, version);
        if let Some(hit) = self.sealed.lock().ok().and_then(|c| c.get(&id).cloned()) {
            return Ok(hit);
        }
        let record = self
            .store
            .get(super::VALUE_KIND, &id)
            .map_err(internal)?
            .ok_or_else(|| internal("a version without its value"))?;
        let stored: StoredValue = serde_json::from_str(&record.doc).map_err(internal)?;
        let sealed = record
            .sealed
            .ok_or_else(|| internal("a value without its ciphertext"))?;
        let entry = Arc::new((stored, sealed));
        if let Ok(mut cache) = self.sealed.lock() {
            if cache.len() >= super::SEALED_CACHE_MAX {
                cache.clear();
            }
            cache.insert(id, Arc::clone(&entry));
        }
        Ok(entry)
    }

    /// The latest state of a secret, under the write lock.
    pub(super) fn latest(&self, secret: &Secret) -> Result<Secret, ApiError> {
        let state = self.state.read().map_err(internal)?;
        state
            .get(&super::state_key(
                &secret.account,
                &secret.region,
                &secret.name,
            ))
            .filter(|s| s.arn == secret.arn)
            .map(|s| (**s).clone())
            .ok_or_else(not_found)
    }

    /// Adds (or fills) version `id` with `value`, labels it, prunes; returns the
    /// values to write and remove.
    #[expect(clippy::type_complexity, reason = "the store rows of one change")]
    pub(super) fn add_version(
        &self,
        ctx: &RequestContext,
        secret: &mut Secret,
        id: &str,
        value: &Value,
        labels: Option<&[String]>,
    ) -> Result<(Vec<(String, StoredValue, Vec<u8>)>, Vec<String>), ApiError> {
        let (key_arn, stored, sealed) = self.encrypt(ctx, secret, id, value)?;
        let now = self.clock.now();
        match secret.versions.get_mut(id) {
            Some(v) => v.key_arn = Some(key_arn),
            None => {
                secret.versions.insert(
                    id.to_string(),
                    Version {
                        stages: Vec::new(),
                        created: now,
                        seq: secret.next_seq,
                        last_accessed: None,
                        key_arn: Some(key_arn),
                    },
                );
                secret.next_seq += 1;
            }
        }
        stages::label_new(&mut secret.versions, id, labels);
        let pruned = stages::prunable(&secret.versions, now);
        for p in &pruned {
            secret.versions.remove(p);
        }
        secret.last_changed = now;
        Ok((vec![(id.to_string(), stored, sealed)], pruned))
    }

    /// A token already used by a version: the same value again is a retry.
    fn retry_of(
        &self,
        ctx: &RequestContext,
        secret: &Secret,
        token: &str,
        value: &Value,
    ) -> Result<bool, ApiError> {
        match secret.versions.get(token) {
            None => Ok(false),
            Some(v) if v.key_arn.is_none() => Ok(false),
            Some(_) => {
                let existing = self.decrypt(ctx, secret, token)?;
                if same_value(&existing, value) {
                    Ok(true)
                } else {
                    Err(token_in_use(token, &secret.arn))
                }
            }
        }
    }

    pub(crate) fn create_secret(
        &self,
        ctx: &RequestContext,
        req: w::CreateSecretRequest,
    ) -> Out<w::CreateSecretResponse> {
        let name = req.name.clone().unwrap_or_default();
        if name.starts_with("arn:") || !valid_name(&name) {
            return Err(ApiError::validation(
                "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!",
            ));
        }
        let value = value_of(req.secret_string.as_ref(), req.secret_binary.as_ref())?;
        if req
            .add_replica_regions
            .as_ref()
            .is_some_and(|r| !r.is_empty())
        {
            return Err(invalid_request(
                "Replicating secrets to other Regions is not supported by this server.",
            ));
        }
        let tags = request_tags(req.tags.as_ref())?;
        if tags.len() > MAX_TAGS {
            return Err(invalid_parameter(format!(
                "A secret can have at most {MAX_TAGS} tags."
            )));
        }
        let token = match &value {
            Some(_) => Some(require_token(
                req.client_request_token.as_ref(),
                "InvalidRequestException",
            )?),
            None => None,
        };
        let region = ctx.region.clone();
        let suffix = random_suffix()?;
        let arn = format!("{}{name}-{suffix}", self.arn_prefix(&region));
        let kms_key_id = req.kms_key_id.clone().filter(|k| !k.is_empty());
        self.allow(ctx, "CreateSecret", None, &arn, &|c| {
            tag_context(c, &tags);
            c.insert("secretsmanager:Name", ContextValue::string(name.as_str()));
            if let Some(k) = &kms_key_id {
                c.insert("secretsmanager:KmsKeyId", ContextValue::string(k.as_str()));
            }
            if let Some(d) = &req.description {
                c.insert(
                    "secretsmanager:Description",
                    ContextValue::string(d.as_str()),
                );
            }
        })?;
        let _guard = self.write.lock().map_err(internal)?;
        if let Some(existing) = self.find(ctx, &name)? {
            if existing.deleted.is_some() {
                return Err(invalid_request(
                    "You can't create this secret because a secret with this name is already scheduled for deletion.",
                ));
            }
            if let (Some(token), Some(value)) = (&token, &value)
                && self.retry_of(ctx, &existing, token, value)?
            {
                return Ok((
                    w::CreateSecretResponse {
                        arn: Some(existing.arn.clone()),
                        name: Some(existing.name.clone()),
                        version_id: Some(token.clone()),
                        replication_status: None,
                    },
                    audit(&existing),
                ));
            }
            return Err(ApiError::bad_request(
                "ResourceExistsException",
                format!("The operation failed because the secret {name} already exists."),
            ));
        }
        let now = self.clock.now();
        let mut secret = Secret {
            name: name.clone(),
            arn: arn.clone(),
            account: self.account_id.clone(),
            region,
            description: req.description.clone().filter(|d| !d.is_empty()),
            kms_key_id,
            created: now,
            order: self
                .next_order
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            last_changed: now,
            last_accessed: None,
            deleted: None,
            deletion_date: None,
            tags: (!tags.is_empty()).then_some(tags),
            policy: None,
            compiled_policy: None,
            rotation: None,
            versions: BTreeMap::new(),
            next_seq: 0,
        };
        let (values, _) = match (&token, &value) {
            (Some(token), Some(value)) => self.add_version(ctx, &mut secret, token, value, None)?,
            _ => (Vec::new(), Vec::new()),
        };
        let secret = self.save(secret, &values, &[])?;
        Ok((
            w::CreateSecretResponse {
                arn: Some(secret.arn.clone()),
                name: Some(secret.name.clone()),
                version_id: token,
                replication_status: None,
            },
            audit(&secret),
        ))
    }

    /// Reads a value and notes the access (a date: written once a day).
    fn read_value(
        &self,
        ctx: &RequestContext,
        secret: &Arc<Secret>,
        version_id: Option<&str>,
        stage: Option<&str>,
    ) -> Result<(String, Version, Value), ApiError> {
        if secret.deleted.is_some() {
            return Err(marked_for_deletion());
        }
        let (id, version) = select_version(secret, version_id, stage)?;
        let value = self.decrypt(ctx, secret, id)?;
        let (id, version) = (id.to_string(), version.clone());
        let today = date_of(self.clock.now());
        if secret.last_accessed != Some(today) || version.last_accessed != Some(today) {
            self.modify(secret, |latest| {
                latest.last_accessed = Some(today);
                if let Some(v) = latest.versions.get_mut(&id) {
                    v.last_accessed = Some(today);
                }
                Ok(())
            })?;
        }
        Ok((id, version, value))
    }

    pub(crate) fn get_secret_value(
        &self,
        ctx: &RequestContext,
        req: w::GetSecretValueRequest,
    ) -> Out<w::GetSecretValueResponse> {
        let secret = self.secret(
            ctx,
            req.secret_id.as_deref().unwrap_or_default(),
            "GetSecretValue",
        )?;
        let version_id = req.version_id.as_deref();
        let stage = req.version_stage.as_deref();
        self.allow(ctx, "GetSecretValue", Some(&secret), &secret.arn, &|c| {
            if let Some(v) = version_id {
                c.insert("secretsmanager:VersionId", ContextValue::string(v));
            }
            c.insert(
                "secretsmanager:VersionStage",
                ContextValue::string(stage.unwrap_or(stages::CURRENT)),
            );
        })?;
        let (id, version, (binary, bytes)) = self.read_value(ctx, &secret, version_id, stage)?;
        Ok((
            w::GetSecretValueResponse {
                arn: Some(secret.arn.clone()),
                name: Some(secret.name.clone()),
                version_id: Some(id),
                version_stages: Some(version.stages.clone()),
                created_date: ts(version.created),
                ..value_fields(binary, bytes)
            },
            audit(&secret),
        ))
    }

    pub(crate) fn batch_get_secret_value(
        &self,
        ctx: &RequestContext,
        req: w::BatchGetSecretValueRequest,
    ) -> Out<w::BatchGetSecretValueResponse> {
        let ids = req.secret_id_list.clone().filter(|l| !l.is_empty());
        let filters = req.filters.clone().filter(|f| !f.is_empty());
        if ids.is_some() == filters.is_some() {
            return Err(invalid_parameter(
                "Either 'SecretIdList' or 'Filters' must be provided, but not both.",
            ));
        }
        if req.max_results.is_some() && filters.is_none() {
            return Err(invalid_parameter(
                "'Filters' not specified. 'Filters' must also be specified when 'MaxResults' is provided.",
            ));
        }
        self.allow(ctx, "BatchGetSecretValue", None, "*", &|_| {})?;
        let mut out = w::BatchGetSecretValueResponse {
            secret_values: Some(Vec::new()),
            errors: Some(Vec::new()),
            next_token: None,
        };
        let targets: Vec<(String, Result<Arc<Secret>, ApiError>)> = match (&ids, &filters) {
            (Some(ids), _) => ids
                .iter()
                .map(|id| (id.clone(), self.secret(ctx, id, "GetSecretValue")))
                .collect(),
            (None, Some(filters)) => {
                let (page, next) = self.listed(
                    ctx,
                    filters,
                    false,
                    None,
                    None,
                    req.next_token.as_deref(),
                    usize::try_from(req.max_results.unwrap_or(20)).unwrap_or(20),
                )?;
                out.next_token = next;
                page.into_iter().map(|s| (s.arn.clone(), Ok(s))).collect()
            }
            (None, None) => Vec::new(),
        };
        for (id, found) in targets {
            let entry = found.and_then(|secret| {
                self.allow(ctx, "GetSecretValue", Some(&secret), &secret.arn, &|c| {
                    c.insert(
                        "secretsmanager:VersionStage",
                        ContextValue::string(stages::CURRENT),
                    );
                })?;
                let (vid, version, (binary, bytes)) = self.read_value(ctx, &secret, None, None)?;
                let fields = value_fields(binary, bytes);
                Ok(w::SecretValueEntry {
                    arn: Some(secret.arn.clone()),
                    name: Some(secret.name.clone()),
                    version_id: Some(vid),
                    version_stages: Some(version.stages.clone()),
                    created_date: ts(version.created),
                    secret_string: fields.secret_string,
                    secret_binary: fields.secret_binary,
                })
            });
            match entry {
                Ok(e) => out.secret_values.get_or_insert_default().push(e),
                Err(e) => out.errors.get_or_insert_default().push(w::APIErrorType {
                    secret_id: Some(id),
                    error_code: Some(e.code.clone()),
                    message: e.message.clone(),
                }),
            }
        }
        Ok((out, AuditInfo::default()))
    }

    pub(crate) fn put_secret_value(
        &self,
        ctx: &RequestContext,
        req: w::PutSecretValueRequest,
    ) -> Out<w::PutSecretValueResponse> {
        let token = require_token(req.client_request_token.as_ref(), "InvalidRequestException")?;
        let secret = self.secret(
            ctx,
            req.secret_id.as_deref().unwrap_or_default(),
            "PutSecretValue",
        )?;
        let labels = req.version_stages.clone();
        self.allow(ctx, "PutSecretValue", Some(&secret), &secret.arn, &|c| {
            if let Some(l) = &labels {
                c.insert(
                    "secretsmanager:VersionStage",
                    ContextValue::string_list(l.iter().map(String::as_str)),
                );
            }
        })?;
        if secret.deleted.is_some() {
            return Err(marked_for_deletion());
        }
        let value =
            value_of(req.secret_string.as_ref(), req.secret_binary.as_ref())?.ok_or_else(|| {
                invalid_request("You must provide either SecretString or SecretBinary.")
            })?;
        let _guard = self.write.lock().map_err(internal)?;
        let mut latest = self.latest(&secret)?;
        if self.retry_of(ctx, &latest, &token, &value)? {
            let stages = latest
                .versions
                .get(&token)
                .map(|v| v.stages.clone())
                .unwrap_or_default();
            return Ok((
                w::PutSecretValueResponse {
                    arn: Some(latest.arn.clone()),
                    name: Some(latest.name.clone()),
                    version_id: Some(token),
                    version_stages: Some(stages),
                },
                audit(&latest),
            ));
        }
        let (values, pruned) =
            self.add_version(ctx, &mut latest, &token, &value, labels.as_deref())?;
        let saved = self.save(latest, &values, &pruned)?;
        let stages = saved
            .versions
            .get(&token)
            .map(|v| v.stages.clone())
            .unwrap_or_default();
        Ok((
            w::PutSecretValueResponse {
                arn: Some(saved.arn.clone()),
                name: Some(saved.name.clone()),
                version_id: Some(token),
                version_stages: Some(stages),
            },
            audit(&saved),
        ))
    }

    pub(crate) fn update_secret(
        &self,
        ctx: &RequestContext,
        req: w::UpdateSecretRequest,
    ) -> Out<w::UpdateSecretResponse> {
        let value = value_of(req.secret_string.as_ref(), req.secret_binary.as_ref())?;
        let token = match &value {
            Some(_) => Some(require_token(
                req.client_request_token.as_ref(),
                "InvalidRequestException",
            )?),
            None => None,
        };
        let secret = self.secret(
            ctx,
            req.secret_id.as_deref().unwrap_or_default(),
            "UpdateSecret",
        )?;
        self.allow(ctx, "UpdateSecret", Some(&secret), &secret.arn, &|c| {
            if let Some(k) = &req.kms_key_id {
                c.insert("secretsmanager:KmsKeyId", ContextValue::string(k.as_str()));
            }
            if let Some(d) = &req.description {
                c.insert(
                    "secretsmanager:Description",
                    ContextValue::string(d.as_str()),
                );
            }
        })?;
        if secret.deleted.is_some() {
            return Err(marked_for_deletion());
        }
        let _guard = self.write.lock().map_err(internal)?;
        let mut latest = self.latest(&secret)?;
        if let (Some(token), Some(value)) = (&token, &value)
            && self.retry_of(ctx, &latest, token, value)?
        {
            return Ok((
                w::UpdateSecretResponse {
                    arn: Some(latest.arn.clone()),
                    name: Some(latest.name.clone()),
                    version_id: Some(token.clone()),
                },
                audit(&latest),
            ));
        }
        let now = self.clock.now();
        if let Some(d) = &req.description {
            latest.description = (!d.is_empty()).then(|| d.clone());
            latest.last_changed = now;
        }
        let mut values = Vec::new();
        let mut removed = Vec::new();
        if let Some(k) = &req.kms_key_id {
            let new_key = (!k.is_empty()).then(|| k.clone());
            if new_key != latest.kms_key_id {
                // AWS re-encrypts the labelled values under the new key.
                let old = latest.clone();
                latest.kms_key_id = new_key;
                let labelled: Vec<String> = old
                    .versions
                    .iter()
                    .filter(|(_, v)| {
                        v.key_arn.is_some()
                            && v.stages.iter().any(|s| {
                                [stages::CURRENT, stages::PREVIOUS, PENDING].contains(&s.as_str())
                            })
                    })
                    .map(|(id, _)| id.clone())
                    .collect();
                for id in labelled {
                    let plain = self.decrypt(ctx, &old, &id)?;
                    let (key_arn, stored, sealed) = self.encrypt(ctx, &latest, &id, &plain)?;
                    if let Some(v) = latest.versions.get_mut(&id) {
                        v.key_arn = Some(key_arn);
                    }
                    values.push((id, stored, sealed));
                }
                latest.last_changed = now;
            }
        }
        if let (Some(token), Some(value)) = (&token, &value) {
            let (v, p) = self.add_version(ctx, &mut latest, token, value, None)?;
            values.extend(v);
            removed = p;
        }
        let saved = self.save(latest, &values, &removed)?;
        Ok((
            w::UpdateSecretResponse {
                arn: Some(saved.arn.clone()),
                name: Some(saved.name.clone()),
                version_id: token,
            },
            audit(&saved),
        ))
    }

    pub(crate) fn update_secret_version_stage(
        &self,
        ctx: &RequestContext,
        req: w::UpdateSecretVersionStageRequest,
    ) -> Out<w::UpdateSecretVersionStageResponse> {
        let secret = self.secret(
            ctx,
            req.secret_id.as_deref().unwrap_or_default(),
            "UpdateSecretVersionStage",
        )?;
        let label = req.version_stage.clone().unwrap_or_default();
        self.allow(
            ctx,
            "UpdateSecretVersionStage",
            Some(&secret),
            &secret.arn,
            &|c| {
                c.insert(
                    "secretsmanager:VersionStage",
                    ContextValue::string(label.as_str()),
                );
            },
        )?;
        if secret.deleted.is_some() {
            return Err(marked_for_deletion());
        }
        let _guard = self.write.lock().map_err(internal)?;
        let mut latest = self.latest(&secret)?;
        stages::move_label(
            &mut latest.versions,
            &label,
            req.move_to_version_id.as_deref(),
            req.remove_from_version_id.as_deref(),
        )?;
        let now = self.clock.now();
        let pruned = stages::prunable(&latest.versions, now);
        for p in &pruned {
            latest.versions.remove(p);
        }
        latest.last_changed = now;
        let saved = self.save(latest, &[], &pruned)?;
        Ok((
            w::UpdateSecretVersionStageResponse {
                arn: Some(saved.arn.clone()),
                name: Some(saved.name.clone()),
            },
            audit(&saved),
        ))
    }

    pub(crate) fn describe_secret(
        &self,
        ctx: &RequestContext,
        req: w::DescribeSecretRequest,
    ) -> Out<w::DescribeSecretResponse> {
        let secret = self.secret(
            ctx,
            req.secret_id.as_deref().unwrap_or_default(),
            "DescribeSecret",
        )?;
        self.allow(ctx, "DescribeSecret", Some(&secret), &secret.arn, &|_| {})?;
        let e = list_entry(&secret);
        Ok((
            w::DescribeSecretResponse {
                arn: e.arn,
                name: e.name,
                description: e.description,
                kms_key_id: e.kms_key_id,
                rotation_enabled: e.rotation_enabled,
                rotation_lambda_arn: e.rotation_lambda_arn,
                rotation_rules: e.rotation_rules,
                last_rotated_date: e.last_rotated_date,
                last_changed_date: e.last_changed_date,
                last_accessed_date: e.last_accessed_date,
                deleted_date: e.deleted_date,
                next_rotation_date: e.next_rotation_date,
                tags: e.tags,
                version_ids_to_stages: e.secret_versions_to_stages,
                created_date: e.created_date,
                ..w::DescribeSecretResponse::default()
            },
            audit(&secret),
        ))
    }

    /// The secrets of ListSecrets (and BatchGetSecretValue's filters): one page.
    #[expect(clippy::too_many_arguments, reason = "ListSecrets' members")]
    fn listed(
        &self,
        ctx: &RequestContext,
        filters: &[w::Filter],
        include_deleted: bool,
        sort_by: Option<&str>,
        sort_order: Option<&str>,
        next_token: Option<&str>,
        limit: usize,
    ) -> Result<(Vec<Arc<Secret>>, Option<String>), ApiError> {
        let prefix = format!("{}/{}/", self.account_id, ctx.region);
        let filters: Vec<Filter<'_>> = filters
            .iter()
            .map(|f| Filter {
                key: f.key.as_deref().unwrap_or_default(),
                values: f.values.as_deref().unwrap_or_default(),
            })
            .collect();
        let state = self.state.read().map_err(internal)?;
        let mut found: Vec<Arc<Secret>> = state
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(_, s)| s)
            .filter(|s| include_deleted || s.deleted.is_none())
            .filter(|s| {
                let tags = s.tag_pairs();
                filters::matches(
                    &Subject {
                        name: &s.name,
                        description: s.description.as_deref(),
                        tags: &tags,
                        primary_region: None,
                        owning_service: None,
                    },
                    &filters,
                )
            })
            .cloned()
            .collect();
        drop(state);
        match sort_by.unwrap_or("created-date") {
            "name" => found.sort_by(|a, b| a.name.cmp(&b.name)),
            "last-changed-date" => found.sort_by_key(|s| (s.last_changed, s.created, s.order)),
            "last-accessed-date" => found.sort_by_key(|s| (s.last_accessed, s.created, s.order)),
            _ => found.sort_by_key(|s| (s.created, s.order)),
        }
        if sort_order == Some("desc") {
            found.reverse();
        }
        // Positions are the page keys: the order is the one just computed.
        let items: Vec<(String, Arc<Secret>)> = found
            .into_iter()
            .enumerate()
            .map(|(i, s)| (format!("{i:012}"), s))
            .collect();
        crate::paging::page(&items, next_token, limit, || {
            ApiError::bad_request(
                "InvalidNextTokenException",
                "The NextToken value is invalid.",
            )
        })
    }

    pub(crate) fn list_secrets(
        &self,
        ctx: &RequestContext,
        req: w::ListSecretsRequest,
    ) -> Out<w::ListSecretsResponse> {
        self.allow(ctx, "ListSecrets", None, "*", &|_| {})?;
        let (page, next) = self.listed(
            ctx,
            req.filters.as_deref().unwrap_or_default(),
            req.include_planned_deletion.unwrap_or(false),
            req.sort_by.as_deref(),
            req.sort_order.as_deref(),
            req.next_token.as_deref(),
            usize::try_from(req.max_results.unwrap_or(100)).unwrap_or(100),
        )?;
        Ok((
            w::ListSecretsResponse {
                secret_list: Some(page.iter().map(|s| list_entry(s)).collect()),
                next_token: next,
            },
            AuditInfo::default(),
        ))
    }

    pub(crate) fn list_secret_version_ids(
        &self,
        ctx: &RequestContext,
        req: w::ListSecretVersionIdsRequest,
    ) -> Out<w::ListSecretVersionIdsResponse> {
        let secret = self.secret(
            ctx,
            req.secret_id.as_deref().unwrap_or_default(),
            "ListSecretVersionIds",
        )?;
        self.allow(
            ctx,
            "ListSecretVersionIds",
            Some(&secret),
            &secret.arn,
            &|_| {},
        )?;
        let deprecated = req.include_deprecated.unwrap_or(false);
        let mut versions: Vec<(&String, &Version)> = secret
            .versions
            .iter()
            .filter(|(_, v)| deprecated || !v.stages.is_empty())
            .collect();
        versions.sort_by_key(|(_, v)| std::cmp::Reverse(v.seq));
        let items: Vec<(String, w::SecretVersionsListEntry)> = versions
            .into_iter()
            .enumerate()
            .map(|(i, (id, v))| {
                let keys = match (&secret.kms_key_id, &v.key_arn) {
                    (_, None) => None,
                    (None, Some(_)) => Some(vec!["DefaultEncryptionKey".to_string()]),
                    (Some(_), Some(arn)) => Some(vec![arn.clone()]),
                };
                (
                    format!("{i:012}"),
                    w::SecretVersionsListEntry {
                        version_id: Some(id.clone()),
                        version_stages: (!v.stages.is_empty()).then(|| v.stages.clone()),
                        created_date: ts(v.created),
                        last_accessed_date: v.last_accessed.and_then(ts),
                        kms_key_ids: keys,
                    },
                )
            })
            .collect();
        let limit = usize::try_from(req.max_results.unwrap_or(100)).unwrap_or(100);
        let (page, next) = crate::paging::page(&items, req.next_token.as_deref(), limit, || {
            ApiError::bad_request(
                "InvalidNextTokenException",
                "The NextToken value is invalid.",
            )
        })?;
        Ok((
            w::ListSecretVersionIdsResponse {
                arn: Some(secret.arn.clone()),
                name: Some(secret.name.clone()),
                versions: Some(page),
                next_token: next,
            },
            audit(&secret),
        ))
    }

    pub(crate) fn delete_secret(
        &self,
        ctx: &RequestContext,
        req: w::DeleteSecretRequest,
    ) -> Out<w::DeleteSecretResponse> {
        let id = req.secret_id.clone().unwrap_or_default();
        let force = req.force_delete_without_recovery == Some(true);
        if force && req.recovery_window_in_days.is_some() {
            return Err(invalid_parameter(
                "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
            ));
        }
        let window = req.recovery_window_in_days.unwrap_or(30);
        if !(7..=30).contains(&window) {
            return Err(invalid_parameter(
                "RecoveryWindowInDays value must be between 7 and 30 days (inclusive).",
            ));
        }
        check_secret_id(&id)?;
        let extra = |c: &mut Context| {
            c.insert(
                "secretsmanager:ForceDeleteWithoutRecovery",
                ContextValue::string(if force { "true" } else { "false" }),
            );
            if !force {
                c.insert(
                    "secretsmanager:RecoveryWindowInDays",
                    ContextValue::string(window.to_string()),
                );
            }
        };
        let now = self.clock.now();
        let Some(secret) = self.find(ctx, &id)? else {
            // Forcing the deletion of a secret that does not exist succeeds.
            if !force {
                return Err(not_found());
            }
            let arn = if id.starts_with("arn:") {
                id.clone()
            } else {
                format!("{}{id}-{}", self.arn_prefix(&ctx.region), random_suffix()?)
            };
            self.allow(ctx, "DeleteSecret", None, &arn, &extra)?;
            let name = id.rsplit(':').next().unwrap_or(&id).to_string();
            return Ok((
                w::DeleteSecretResponse {
                    arn: Some(arn),
                    name: Some(name),
                    deletion_date: ts(now),
                },
                AuditInfo::default(),
            ));
        };
        self.allow(ctx, "DeleteSecret", Some(&secret), &secret.arn, &extra)?;
        if force {
            self.purge(&secret)?;
            return Ok((
                w::DeleteSecretResponse {
                    arn: Some(secret.arn.clone()),
                    name: Some(secret.name.clone()),
                    deletion_date: ts(now),
                },
                audit(&secret),
            ));
        }
        if secret.deleted.is_some() {
            return Err(marked_for_deletion());
        }
        let saved = self.modify(&secret, |latest| {
            latest.deleted = Some(now);
            latest.deletion_date = Some(now + window * DAY);
            Ok(())
        })?;
        Ok((
            w::DeleteSecretResponse {
                arn: Some(saved.arn.clone()),
                name: Some(saved.name.clone()),
                deletion_date: saved.deletion_date.and_then(ts),
            },
            audit(&saved),
        ))
    }

    pub(crate) fn restore_secret(
        &self,
        ctx: &RequestContext,
        req: w::RestoreSecretRequest,
    ) -> Out<w::RestoreSecretResponse> {
        let secret = self.secret(
            ctx,
            req.secret_id.as_deref().unwrap_or_default(),
            "RestoreSecret",
        )?;
        self.allow(ctx, "RestoreSecret", Some(&secret), &secret.arn, &|_| {})?;
        let saved = if secret.deleted.is_some() {
            self.modify(&secret, |latest| {
                latest.deleted = None;
                latest.deletion_date = None;
                Ok(())
            })?
        } else {
            secret
        };
        Ok((
            w::RestoreSecretResponse {
                arn: Some(saved.arn.clone()),
                name: Some(saved.name.clone()),
            },
            audit(&saved),
        ))
    }

    pub(crate) fn cancel_rotate_secret(
        &self,
        ctx: &RequestContext,
        req: w::CancelRotateSecretRequest,
    ) -> Out<w::CancelRotateSecretResponse> {
        let secret = self.live_secret(ctx, req.secret_id.as_deref(), "CancelRotateSecret")?;
        let saved = match &secret.rotation {
            Some(r) if r.enabled => self.modify(&secret, |latest| {
                if let Some(r) = &mut latest.rotation {
                    r.enabled = false;
                    r.next_rotation = None;
                }
                Ok(())
            })?,
            _ => secret,
        };
        Ok((
            w::CancelRotateSecretResponse {
                arn: Some(saved.arn.clone()),
                name: Some(saved.name.clone()),
                version_id: stages::holder(&saved.versions, PENDING).map(str::to_string),
            },
            audit(&saved),
        ))
    }

    pub(crate) fn get_random_password(
        &self,
        ctx: &RequestContext,
        req: w::GetRandomPasswordRequest,
    ) -> Out<w::GetRandomPasswordResponse> {
        self.allow(ctx, "GetRandomPassword", None, "*", &|_| {})?;
        let defaults = super::password::Options::default();
        let options = super::password::Options {
            length: req
                .password_length
                .map_or(Ok(defaults.length), usize::try_from)
                .map_err(|_| invalid_parameter("PasswordLength is invalid."))?,
            exclude_characters: req.exclude_characters.clone().unwrap_or_default(),
            exclude_numbers: req.exclude_numbers.unwrap_or(false),
            exclude_punctuation: req.exclude_punctuation.unwrap_or(false),
            exclude_uppercase: req.exclude_uppercase.unwrap_or(false),
            exclude_lowercase: req.exclude_lowercase.unwrap_or(false),
            include_space: req.include_space.unwrap_or(false),
            require_each_included_type: req.require_each_included_type.unwrap_or(true),
        };
        let password = super::password::generate(&options)?;
        Ok((
            w::GetRandomPasswordResponse {
                random_password: Some(SensitiveString(password)),
            },
            AuditInfo::default(),
        ))
    }

    pub(crate) fn put_resource_policy(
        &self,
        ctx: &RequestContext,
        req: w::PutResourcePolicyRequest,
    ) -> Out<w::PutResourcePolicyResponse> {
        let secret = self.secret(
            ctx,
            req.secret_id.as_deref().unwrap_or_default(),
            "PutResourcePolicy",
        )?;
        let block = req.block_public_policy.unwrap_or(false);
        self.allow(ctx, "PutResourcePolicy", Some(&secret), &secret.arn, &|c| {
            c.insert(
                "secretsmanager:BlockPublicPolicy",
                ContextValue::string(if block { "true" } else { "false" }),
            );
        })?;
        if secret.deleted.is_some() {
            return Err(marked_for_deletion());
        }
        let text = req.resource_policy.clone().unwrap_or_default();
        let policy = parse_policy(&text)?;
        if self.sts.iam().unknown_principal(&policy)?.is_some() {
            return Err(ApiError::bad_request(
                "MalformedPolicyDocumentException",
                "This resource policy contains an unsupported principal.",
            ));
        }
        if block && is_public(&policy) {
            return Err(ApiError::bad_request(
                "PublicPolicyException",
                "The BlockPublicPolicy parameter is set to true, and the resource policy did not prevent broad access to the secret.",
            ));
        }
        let saved = self.modify(&secret, |latest| {
            latest.policy = Some(text);
            latest.compiled_policy = Some(Arc::new(policy));
            Ok(())
        })?;
        Ok((
            w::PutResourcePolicyResponse {
                arn: Some(saved.arn.clone()),
                name: Some(saved.name.clone()),
            },
            audit(&saved),
        ))
    }

    pub(crate) fn get_resource_policy(
        &self,
        ctx: &RequestContext,
        req: w::GetResourcePolicyRequest,
    ) -> Out<w::GetResourcePolicyResponse> {
        let secret = self.live_secret(ctx, req.secret_id.as_deref(), "GetResourcePolicy")?;
        Ok((
            w::GetResourcePolicyResponse {
                arn: Some(secret.arn.clone()),
                name: Some(secret.name.clone()),
                resource_policy: secret.policy.clone(),
            },
            audit(&secret),
        ))
    }

    pub(crate) fn delete_resource_policy(
        &self,
        ctx: &RequestContext,
        req: w::DeleteResourcePolicyRequest,
    ) -> Out<w::DeleteResourcePolicyResponse> {
        let secret = self.live_secret(ctx, req.secret_id.as_deref(), "DeleteResourcePolicy")?;
        let saved = self.modify(&secret, |latest| {
            latest.policy = None;
            latest.compiled_policy = None;
            Ok(())
        })?;
        Ok((
            w::DeleteResourcePolicyResponse {
                arn: Some(saved.arn.clone()),
                name: Some(saved.name.clone()),
            },
            audit(&saved),
        ))
    }

    pub(crate) fn validate_resource_policy(
        &self,
        ctx: &RequestContext,
        req: w::ValidateResourcePolicyRequest,
    ) -> Out<w::ValidateResourcePolicyResponse> {
        let secret = match req.secret_id.as_deref() {
            Some(id) => Some(self.secret(ctx, id, "ValidateResourcePolicy")?),
            None => None,
        };
        let resource = secret.as_ref().map_or("*", |s| s.arn.as_str());
        self.allow(
            ctx,
            "ValidateResourcePolicy",
            secret.as_deref(),
            resource,
            &|_| {},
        )?;
        let text = req.resource_policy.clone().unwrap_or_default();
        let mut errors = Vec::new();
        match Policy::parse(&text, PolicyKind::SecretPolicy) {
            Err(e) => errors.push(w::ValidationErrorsEntry {
                check_name: Some("SYNTAX_CHECKING".into()),
                error_message: Some(e.to_string()),
            }),
            Ok(policy) if is_public(&policy) => errors.push(w::ValidationErrorsEntry {
                check_name: Some("PUBLIC_POLICY_CHECKING".into()),
                error_message: Some(
                    "The resource policy grants broad access: a statement allows Principal \"*\" without a condition."
                        .into(),
                ),
            }),
            Ok(_) => {}
        }
        Ok((
            w::ValidateResourcePolicyResponse {
                policy_validation_passed: Some(errors.is_empty()),
                validation_errors: Some(errors),
            },
            AuditInfo::default(),
        ))
    }

    pub(crate) fn tag_resource(&self, ctx: &RequestContext, req: w::TagResourceRequest) -> Out<()> {
        let secret = self.secret(
            ctx,
            req.secret_id.as_deref().unwrap_or_default(),
            "TagResource",
        )?;
        let tags = request_tags(req.tags.as_ref())?;
        self.allow(ctx, "TagResource", Some(&secret), &secret.arn, &|c| {
            tag_context(c, &tags);
        })?;
        if secret.deleted.is_some() {
            return Err(marked_for_deletion());
        }
        let saved = self.modify(&secret, |latest| {
            let current = latest.tags.get_or_insert_default();
            for t in tags {
                current.retain(|x| x.key != t.key);
                current.push(t);
            }
            if current.len() > MAX_TAGS {
                return Err(invalid_parameter(format!(
                    "A secret can have at most {MAX_TAGS} tags."
                )));
            }
            Ok(())
        })?;
        Ok(((), audit(&saved)))
    }

    pub(crate) fn untag_resource(
        &self,
        ctx: &RequestContext,
        req: w::UntagResourceRequest,
    ) -> Out<()> {
        let secret = self.secret(
            ctx,
            req.secret_id.as_deref().unwrap_or_default(),
            "UntagResource",
        )?;
        let keys = req.tag_keys.clone().unwrap_or_default();
        for k in &keys {
            if k.to_ascii_lowercase().starts_with("aws:") {
                return Err(invalid_parameter(format!(
                    "You can't modify system tags. Tag key: '{k}'."
                )));
            }
        }
        self.allow(ctx, "UntagResource", Some(&secret), &secret.arn, &|c| {
            if !keys.is_empty() {
                c.insert(
                    "aws:TagKeys",
                    ContextValue::string_list(keys.iter().map(String::as_str)),
                );
            }
        })?;
        if secret.deleted.is_some() {
            return Err(marked_for_deletion());
        }
        let saved = self.modify(&secret, |latest| {
            if let Some(tags) = &mut latest.tags {
                tags.retain(|t| !keys.contains(&t.key));
            }
            Ok(())
        })?;
        Ok(((), audit(&saved)))
    }
}

/// The value members of a read.
fn value_fields(binary: bool, bytes: Zeroizing<Vec<u8>>) -> w::GetSecretValueResponse {
    if binary {
        w::GetSecretValueResponse {
            secret_binary: Some(SensitiveBlob(bytes)),
            ..w::GetSecretValueResponse::default()
        }
    } else {
        let text = String::from_utf8(bytes.to_vec()).unwrap_or_default();
        w::GetSecretValueResponse {
            secret_string: Some(SensitiveString(Zeroizing::new(text))),
            ..w::GetSecretValueResponse::default()
        }
    }
}

/// A secret as ListSecrets (and, renamed, DescribeSecret) shows it.
fn list_entry(s: &Secret) -> w::SecretListEntry {
    let stages: BTreeMap<String, Vec<String>> = s
        .versions
        .iter()
        .filter(|(_, v)| !v.stages.is_empty())
        .map(|(id, v)| (id.clone(), v.stages.clone()))
        .collect();
    let rotation = s.rotation.as_ref();
    w::SecretListEntry {
        arn: Some(s.arn.clone()),
        name: Some(s.name.clone()),
        description: s.description.clone(),
        kms_key_id: s.kms_key_id.clone(),
        rotation_enabled: rotation.map(|r| r.enabled),
        rotation_lambda_arn: rotation.map(|r| r.lambda_arn.clone()),
        rotation_rules: rotation.map(|r| w::RotationRulesType {
            automatically_after_days: r.after_days,
            schedule_expression: r.schedule.clone(),
            duration: r.duration.clone(),
        }),
        last_rotated_date: rotation.and_then(|r| r.last_rotated).and_then(ts),
        next_rotation_date: rotation.and_then(|r| r.next_rotation).and_then(ts),
        last_changed_date: ts(s.last_changed),
        last_accessed_date: s.last_accessed.and_then(ts),
        deleted_date: s.deleted.and_then(ts),
        tags: s.tags.as_deref().map(wire_tags),
        secret_versions_to_stages: (!stages.is_empty()).then_some(stages),
        created_date: ts(s.created),
        ..w::SecretListEntry::default()
    }
}

/// Parses a secret's resource policy with AWS's answer for a bad one.
fn parse_policy(text: &str) -> Result<Policy, ApiError> {
    Policy::parse(text, PolicyKind::SecretPolicy).map_err(|_| {
        ApiError::bad_request(
            "MalformedPolicyDocumentException",
            "This policy has invalid syntax.",
        )
    })
}

/// A policy that allows everyone (`Principal: "*"`) without any condition.
fn is_public(policy: &Policy) -> bool {
    policy.statements.iter().any(|s| {
        s.effect.value == mlguard_policy::Effect::Allow
            && s.conditions.is_empty()
            && s.principal
                .as_ref()
                .is_some_and(|p| !p.negated && p.entries.iter().any(|e| e.is_everyone()))
    })
}

/// The six characters AWS appends to a secret's name in its ARN.
fn random_suffix() -> Result<String, ApiError> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let bytes: [u8; 6] = mlguard_crypto::random::array().map_err(internal)?;
    Ok(bytes
        .iter()
        .filter_map(|b| ALPHABET.get(usize::from(*b) % ALPHABET.len()))
        .map(|c| char::from(*c))
        .collect())
}
