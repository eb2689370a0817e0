//! Access keys: at most two per user, secrets sealed under the root key and
//! returned once, Active/Inactive, last use.

use std::sync::Arc;

use mlguard_wire::iam as w;
use mlguard_wire::{SensitiveString, Timestamp};

use super::model::{AccessKey, Entity, Kind};
use super::{Iam, Out, internal, limit_exceeded, no_such_entity, page};
use crate::audit::AuditInfo;
use crate::context::RequestContext;
use crate::error::ApiError;

/// Access keys per user (AWS's quota).
const KEYS_PER_USER: usize = 2;

impl Iam {
    /// Writes an access key record; `sealed` is the sealed secret (kept when `None`
    /// would lose it, so callers pass the current one).
    pub(crate) fn put_key_record(
        &self,
        tx: &mlguard_store::Tx<'_>,
        key: &AccessKey,
        sealed: Option<&[u8]>,
    ) -> Result<(), ApiError> {
        let doc = serde_json::to_string(key).map_err(internal)?;
        tx.put(
            "iam.accesskey",
            &key.id,
            &self.account_id,
            &doc,
            sealed,
            self.clock.now(),
        )
        .map_err(internal)
    }

    /// Re-registers a user's active keys (after a rename: the caller's ARN changed).
    pub(crate) fn refresh_user_credentials(&self, user: &Entity) -> Result<(), ApiError> {
        let ids: Vec<AccessKey> = self
            .read()?
            .access_keys
            .values()
            .filter(|k| k.user.eq_ignore_ascii_case(&user.name) && k.status == "Active")
            .cloned()
            .collect();
        for key in ids {
            if let Some(record) = self.store.get("iam.accesskey", &key.id).map_err(internal)?
                && let Some(sealed) = record.sealed
            {
                let secret = self.unseal_secret(&key.id, &sealed)?;
                self.credentials
                    .insert(self.user_credential(user, &key.id, secret));
            }
        }
        Ok(())
    }

    /// The user a key operation names, or the caller when it is a user.
    fn key_user(&self, ctx: &RequestContext, name: Option<&str>) -> Result<Arc<Entity>, ApiError> {
        let name = match (name, &ctx.caller.username) {
            (Some(n), _) => n.to_string(),
            (None, Some(n)) => n.clone(),
            (None, None) => {
                return Err(ApiError::bad_request(
                    "ValidationError",
                    "Must specify userName when calling with non-User credentials",
                ));
            }
        };
        Self::entity(&*self.read()?, Kind::User, &name)
    }

    fn key_of(&self, user: &Entity, id: &str) -> Result<AccessKey, ApiError> {
        self.read()?
            .access_keys
            .get(id)
            .filter(|k| k.user.eq_ignore_ascii_case(&user.name))
            .cloned()
            .ok_or_else(|| no_such_entity(format!("The Access Key with id {id} cannot be found.")))
    }

    pub(crate) fn create_access_key(
        &self,
        ctx: &RequestContext,
        req: w::CreateAccessKeyRequest,
    ) -> Out<w::CreateAccessKeyResponse> {
        let user = self.key_user(ctx, req.user_name.as_deref())?;
        self.allow(ctx, "iam:CreateAccessKey", &user.arn, &|_| {})?;
        let id = crate::datadir::new_access_key_id("AKIA").map_err(internal)?;
        let secret = crate::datadir::new_secret_key().map_err(internal)?;
        let sealed = self
            .root_key
            .seal(
                Self::seal_purpose("accesskey", &id).as_bytes(),
                secret.as_bytes(),
            )
            .map_err(internal)?;
        let key = AccessKey {
            id: id.clone(),
            user: user.name.clone(),
            status: "Active".into(),
            created: self.clock.now(),
        };
        {
            let mut inner = self.write_state()?;
            let count = inner
                .access_keys
                .values()
                .filter(|k| k.user.eq_ignore_ascii_case(&user.name))
                .count();
            if count >= KEYS_PER_USER {
                return Err(limit_exceeded(format!(
                    "Cannot exceed quota for AccessKeysPerUser: {KEYS_PER_USER}"
                )));
            }
            self.store
                .transaction(|tx| self.put_key_record(tx, &key, Some(&sealed)))?;
            inner.access_keys.insert(id.clone(), key.clone());
        }
        self.credentials
            .insert(self.user_credential(&user, &id, secret.clone()));
        Ok((
            w::CreateAccessKeyResponse {
                access_key: Some(w::AccessKey {
                    user_name: Some(user.name.clone()),
                    access_key_id: Some(id),
                    status: Some(key.status),
                    secret_access_key: Some(SensitiveString(secret)),
                    create_date: Some(Timestamp::from_unix(key.created)),
                }),
            },
            AuditInfo::default(),
        ))
    }

    pub(crate) fn list_access_keys(
        &self,
        ctx: &RequestContext,
        req: w::ListAccessKeysRequest,
    ) -> Out<w::ListAccessKeysResponse> {
        let user = self.key_user(ctx, req.user_name.as_deref())?;
        self.allow(ctx, "iam:ListAccessKeys", &user.arn, &|_| {})?;
        let items: Vec<(String, w::AccessKeyMetadata)> = self
            .read()?
            .access_keys
            .values()
            .filter(|k| k.user.eq_ignore_ascii_case(&user.name))
            .map(|k| {
                (
                    k.id.clone(),
                    w::AccessKeyMetadata {
                        user_name: Some(user.name.clone()),
                        access_key_id: Some(k.id.clone()),
                        status: Some(k.status.clone()),
                        create_date: Some(Timestamp::from_unix(k.created)),
                    },
                )
            })
            .collect();
        let (keys, marker) = page(&items, req.marker.as_deref(), req.max_items)?;
        Ok((
            w::ListAccessKeysResponse {
                access_key_metadata: Some(keys),
                is_truncated: Some(marker.is_some()),
                marker,
            },
            AuditInfo::default(),
        ))
    }

    pub(crate) fn update_access_key(
        &self,
        ctx: &RequestContext,
        req: w::UpdateAccessKeyRequest,
    ) -> Out<()> {
        let user = self.key_user(ctx, req.user_name.as_deref())?;
        self.allow(ctx, "iam:UpdateAccessKey", &user.arn, &|_| {})?;
        let id = req.access_key_id.unwrap_or_default();
        let mut key = self.key_of(&user, &id)?;
        key.status = req.status.unwrap_or_default();
        let record = self.store.get("iam.accesskey", &id).map_err(internal)?;
        let sealed = record.and_then(|r| r.sealed);
        {
            let mut inner = self.write_state()?;
            self.store
                .transaction(|tx| self.put_key_record(tx, &key, sealed.as_deref()))?;
            inner.access_keys.insert(id.clone(), key.clone());
        }
        if key.status == "Active" {
            if let Some(sealed) = sealed {
                let secret = self.unseal_secret(&id, &sealed)?;
                self.credentials
                    .insert(self.user_credential(&user, &id, secret));
            }
        } else {
            self.credentials.remove(&id);
        }
        Ok(((), AuditInfo::default()))
    }

    pub(crate) fn delete_access_key(
        &self,
        ctx: &RequestContext,
        req: w::DeleteAccessKeyRequest,
    ) -> Out<()> {
        let user = self.key_user(ctx, req.user_name.as_deref())?;
        self.allow(ctx, "iam:DeleteAccessKey", &user.arn, &|_| {})?;
        let id = req.access_key_id.unwrap_or_default();
        self.key_of(&user, &id)?;
        {
            let mut inner = self.write_state()?;
            self.store.transaction(|tx| {
                tx.delete("iam.accesskey", &id).map_err(internal)?;
                self.forget_key_use(tx, &id)
            })?;
            inner.access_keys.remove(&id);
        }
        self.credentials.remove(&id);
        Ok(((), AuditInfo::default()))
    }

    pub(crate) fn get_access_key_last_used(
        &self,
        ctx: &RequestContext,
        req: w::GetAccessKeyLastUsedRequest,
    ) -> Out<w::GetAccessKeyLastUsedResponse> {
        let id = req.access_key_id.unwrap_or_default();
        let key = self.read()?.access_keys.get(&id).cloned().ok_or_else(|| {
            no_such_entity(format!("The Access Key with id {id} cannot be found."))
        })?;
        let user = Self::entity(&*self.read()?, Kind::User, &key.user)?;
        self.allow(ctx, "iam:GetAccessKeyLastUsed", &user.arn, &|_| {})?;
        let used = self.key_last_used(&id);
        let last = match used {
            Some(u) => w::AccessKeyLastUsed {
                last_used_date: Some(Timestamp::from_unix(u.at)),
                service_name: Some(u.service),
                region: Some(u.region),
            },
            None => w::AccessKeyLastUsed {
                last_used_date: None,
                service_name: Some("N/A".into()),
                region: Some("N/A".into()),
            },
        };
        Ok((
            w::GetAccessKeyLastUsedResponse {
                user_name: Some(user.name.clone()),
                access_key_last_used: Some(last),
            },
            AuditInfo::default(),
        ))
    }
}
