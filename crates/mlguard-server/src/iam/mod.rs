//! AWS IAM over awsQuery: users, groups, roles, inline and managed policies,
//! permissions boundaries, access keys, virtual MFA devices and tags — stored
//! through the store before memory changes, and the source of every caller's
//! identity policies (`policies_for`).

pub mod aws;
mod entities;
mod keys;
mod mfa;
pub mod model;
mod policies;
mod qr;
mod simulate;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};

use bytes::Bytes;
use http::Response;
use http_body_util::Full;
use mlguard_crypto::RootKey;
use mlguard_policy::{Context, Policy};
use mlguard_store::Store;
use mlguard_wire::iam as w;
use mlguard_wire::query::{QueryParams, ToXml};

use crate::audit::AuditInfo;
use crate::clock::Clock;
use crate::context::{PrincipalPolicies, RequestContext};
use crate::error::ApiError;
use crate::identity::{Caller, Credentials, Entity as EntityRef};
use crate::protocol::xml;

use model::{AccessKey, Entity, Kind, LastUsed, ManagedPolicy, MfaDevice, Tag};

/// IAM's state in memory (a cache of the store).
#[derive(Default)]
pub struct Inner {
    /// Users by lower-cased name.
    pub users: BTreeMap<String, Arc<Entity>>,
    /// Groups by lower-cased name.
    pub groups: BTreeMap<String, Arc<Entity>>,
    /// Roles by lower-cased name.
    pub roles: BTreeMap<String, Arc<Entity>>,
    /// Customer managed policies by lower-cased name.
    pub policies: BTreeMap<String, Arc<ManagedPolicy>>,
    /// Access keys by id.
    pub access_keys: BTreeMap<String, AccessKey>,
    /// Virtual MFA devices by serial number.
    pub mfa: BTreeMap<String, MfaDevice>,
}

impl Inner {
    /// The users, groups or roles.
    pub fn entities(&self, kind: Kind) -> &BTreeMap<String, Arc<Entity>> {
        match kind {
            Kind::User => &self.users,
            Kind::Group => &self.groups,
            Kind::Role => &self.roles,
        }
    }

    fn entities_mut(&mut self, kind: Kind) -> &mut BTreeMap<String, Arc<Entity>> {
        match kind {
            Kind::User => &mut self.users,
            Kind::Group => &mut self.groups,
            Kind::Role => &mut self.roles,
        }
    }

    /// A managed policy by ARN: the account's own, or one of AWS's.
    pub fn policy_by_arn(&self, arn: &str) -> Option<&Arc<ManagedPolicy>> {
        if aws::is_aws(arn) {
            return aws::get(arn);
        }
        let name = arn.rsplit('/').next()?;
        self.policies
            .get(&name.to_ascii_lowercase())
            .filter(|p| p.arn == arn)
    }
}

/// The IAM service.
pub struct Iam {
    state: RwLock<Inner>,
    store: Arc<Store>,
    root_key: Arc<RootKey>,
    clock: Arc<Clock>,
    account_id: String,
    credentials: Arc<Credentials>,
    /// Access keys' last use (updated at most once a minute per key; written to
    /// the store by the scheduler and at stop, not on the request path).
    last_used: Mutex<KeyUse>,
    /// Bumped whenever the state may change: cached policies of an older
    /// generation are stale.
    generation: AtomicU64,
    /// The policies of each credential's caller, by access key id, with the
    /// generation they were read at.
    policy_cache: Mutex<HashMap<String, (u64, Arc<PrincipalPolicies>)>>,
}

/// Cached callers at most (the cache is emptied when full).
const POLICY_CACHE_MAX: usize = 10_000;

/// Access keys' last use, and which of them the store has not seen yet.
#[derive(Default)]
struct KeyUse {
    by_key: HashMap<String, LastUsed>,
    dirty: std::collections::HashSet<String>,
}

/// The store kind of access keys' last use (by access key id).
const KEY_USE_KIND: &str = "iam.keyuse";

/// The store kinds IAM writes.
pub const STORE_KINDS: &[&str] = &[
    "iam.user",
    "iam.group",
    "iam.role",
    "iam.policy",
    "iam.accesskey",
    "iam.mfa",
    KEY_USE_KIND,
];

fn internal(e: impl std::fmt::Display) -> ApiError {
    tracing::error!("iam: {e}");
    ApiError::new(500, "ServiceFailure", "The request processing has failed.")
}

/// `NoSuchEntity` (404).
pub fn no_such_entity(message: impl Into<String>) -> ApiError {
    ApiError::new(404, "NoSuchEntity", message)
}

/// `EntityAlreadyExists` (409).
pub fn already_exists(message: impl Into<String>) -> ApiError {
    ApiError::new(409, "EntityAlreadyExists", message)
}

/// `DeleteConflict` (409).
pub fn delete_conflict(message: impl Into<String>) -> ApiError {
    ApiError::new(409, "DeleteConflict", message)
}

/// `LimitExceeded` (409).
pub fn limit_exceeded(message: impl Into<String>) -> ApiError {
    ApiError::new(409, "LimitExceeded", message)
}

/// `InvalidInput` (400).
pub fn invalid_input(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("InvalidInput", message)
}

/// `MalformedPolicyDocument` (400).
pub fn malformed_policy(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("MalformedPolicyDocument", message)
}

/// A document as IAM returns it: URL-encoded JSON (botocore decodes it).
pub fn encode_document(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3 / 2);
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A new IAM id: the kind's prefix and 17 characters of AWS's alphabet.
pub fn new_id(prefix: &str) -> Result<String, ApiError> {
    let bytes: [u8; 17] = mlguard_crypto::random::array().map_err(internal)?;
    Ok(encode_id(prefix, &bytes))
}

/// `prefix` and 17 characters of AWS's id alphabet drawn from `bytes`.
pub fn encode_id(prefix: &str, bytes: &[u8; 17]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let chars: String = bytes
        .iter()
        .filter_map(|b| ALPHABET.get(usize::from(b % 32)).map(|c| char::from(*c)))
        .collect();
    format!("{prefix}{chars}")
}

/// Tags to the wire.
pub fn wire_tags(tags: &[Tag]) -> Vec<w::Tag> {
    tags.iter()
        .map(|t| w::Tag {
            key: Some(t.key.clone()),
            value: Some(t.value.clone()),
        })
        .collect()
}

/// `MaxItems` and `Marker` over an ordered list, as IAM pages.
pub fn page<T: Clone>(
    items: &[(String, T)],
    marker: Option<&str>,
    max_items: Option<i32>,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    let limit = usize::try_from(max_items.unwrap_or(100)).unwrap_or(100);
    crate::paging::page(items, marker, limit, || {
        ApiError::bad_request("ValidationError", "Invalid Marker.")
    })
}

/// What an IAM operation answers: its result and what to audit.
pub type Out<T> = Result<(T, AuditInfo), ApiError>;

/// Read-only IAM operations (CloudTrail's `readOnly`).
pub fn is_read_only(operation: &str) -> bool {
    operation.starts_with("Get")
        || operation.starts_with("List")
        || operation.starts_with("Simulate")
}

impl Iam {
    /// Loads IAM state from the store and makes its access keys usable.
    pub fn load(
        store: Arc<Store>,
        root_key: Arc<RootKey>,
        clock: Arc<Clock>,
        account_id: String,
        credentials: Arc<Credentials>,
    ) -> Result<Iam, ApiError> {
        let iam = Iam {
            state: RwLock::new(Inner::default()),
            store,
            root_key,
            clock,
            account_id,
            credentials,
            last_used: Mutex::new(KeyUse::default()),
            generation: AtomicU64::new(0),
            policy_cache: Mutex::new(HashMap::new()),
        };
        iam.reload()?;
        Ok(iam)
    }

    fn reload(&self) -> Result<(), ApiError> {
        let mut inner = Inner::default();
        for kind in [Kind::User, Kind::Group, Kind::Role] {
            for record in self.store.load_all(kind.store_kind()).map_err(internal)? {
                let mut entity: Entity = serde_json::from_str(&record.doc).map_err(internal)?;
                entity.compile().map_err(internal)?;
                inner.entities_mut(kind).insert(record.id, Arc::new(entity));
            }
        }
        for record in self.store.load_all("iam.policy").map_err(internal)? {
            let mut policy: ManagedPolicy = serde_json::from_str(&record.doc).map_err(internal)?;
            policy.compile().map_err(internal)?;
            inner.policies.insert(record.id, Arc::new(policy));
        }
        for record in self.store.load_all("iam.mfa").map_err(internal)? {
            let device: MfaDevice = serde_json::from_str(&record.doc).map_err(internal)?;
            inner.mfa.insert(record.id, device);
        }
        for record in self.store.load_all("iam.accesskey").map_err(internal)? {
            let key: AccessKey = serde_json::from_str(&record.doc).map_err(internal)?;
            if key.status == "Active" {
                let sealed = record
                    .sealed
                    .ok_or_else(|| internal("access key without a secret"))?;
                let secret = self.unseal_secret(&key.id, &sealed)?;
                if let Some(user) = inner.users.get(&key.user.to_ascii_lowercase()) {
                    self.credentials
                        .insert(self.user_credential(user, &key.id, secret));
                }
            }
            inner.access_keys.insert(record.id, key);
        }
        let mut key_use = KeyUse::default();
        for record in self.store.load_all(KEY_USE_KIND).map_err(internal)? {
            if inner.access_keys.contains_key(&record.id) {
                let used: LastUsed = serde_json::from_str(&record.doc).map_err(internal)?;
                key_use.by_key.insert(record.id, used);
            }
        }
        *self.last_used.lock().map_err(internal)? = key_use;
        *self.write_state()? = inner;
        Ok(())
    }

    /// Forgets everything (emulation's reset; the store is wiped by the caller).
    pub fn reset(&self) {
        if let Ok(mut inner) = self.write_state() {
            *inner = Inner::default();
        }
        if let Ok(mut used) = self.last_used.lock() {
            *used = KeyUse::default();
        }
    }

    /// The state, for a change: cached policies are stale from now on.
    pub(crate) fn write_state(&self) -> Result<RwLockWriteGuard<'_, Inner>, ApiError> {
        let guard = self.state.write().map_err(internal)?;
        self.generation.fetch_add(1, Ordering::AcqRel);
        Ok(guard)
    }

    pub(crate) fn read(&self) -> Result<RwLockReadGuard<'_, Inner>, ApiError> {
        self.state.read().map_err(internal)
    }

    /// Runs `write` in one store transaction, then `apply` to memory, under the
    /// write lock (so memory and disk change in the same order).
    fn commit<T>(
        &self,
        write: impl FnOnce(&mlguard_store::Tx<'_>) -> Result<(), ApiError>,
        apply: impl FnOnce(&mut Inner) -> T,
    ) -> Result<T, ApiError> {
        let mut inner: RwLockWriteGuard<'_, Inner> = self.write_state()?;
        self.store.transaction(|tx| write(tx))?;
        Ok(apply(&mut inner))
    }

    /// Stores an entity (insert or replace).
    fn put_entity(&self, tx: &mlguard_store::Tx<'_>, entity: &Entity) -> Result<(), ApiError> {
        let doc = serde_json::to_string(entity).map_err(internal)?;
        tx.put(
            entity.kind.store_kind(),
            &entity.key(),
            &self.account_id,
            &doc,
            None,
            self.clock.now(),
        )
        .map_err(internal)
    }

    fn put_policy(
        &self,
        tx: &mlguard_store::Tx<'_>,
        policy: &ManagedPolicy,
    ) -> Result<(), ApiError> {
        let doc = serde_json::to_string(policy).map_err(internal)?;
        tx.put(
            "iam.policy",
            &policy.name.to_ascii_lowercase(),
            &self.account_id,
            &doc,
            None,
            self.clock.now(),
        )
        .map_err(internal)
    }

    fn seal_purpose(kind: &str, id: &str) -> String {
        format!("iam:{kind}:{id}")
    }

    fn unseal_secret(
        &self,
        access_key_id: &str,
        sealed: &[u8],
    ) -> Result<zeroize::Zeroizing<String>, ApiError> {
        let bytes = self
            .root_key
            .open(
                Self::seal_purpose("accesskey", access_key_id).as_bytes(),
                sealed,
            )
            .map_err(internal)?;
        String::from_utf8(bytes.to_vec())
            .map(zeroize::Zeroizing::new)
            .map_err(internal)
    }

    /// The credential an access key of `user` makes.
    fn user_credential(
        &self,
        user: &Entity,
        access_key_id: &str,
        secret: zeroize::Zeroizing<String>,
    ) -> crate::identity::Credential {
        crate::identity::Credential {
            access_key_id: access_key_id.to_string(),
            secret,
            caller: Arc::new(Caller::user(
                &self.account_id,
                &user.arn,
                &user.id,
                &user.name,
            )),
        }
    }

    /// The policies that apply to the caller of `access_key_id` now (see
    /// [`Iam::read_policies`]), from a cache that any change to IAM's state
    /// invalidates.
    pub fn policies_for(&self, access_key_id: &str, caller: &Caller) -> Arc<PrincipalPolicies> {
        let generation = self.generation.load(Ordering::Acquire);
        if let Ok(cache) = self.policy_cache.lock()
            && let Some((g, policies)) = cache.get(access_key_id)
            && *g == generation
        {
            return Arc::clone(policies);
        }
        let Ok(inner) = self.state.read() else {
            return Arc::new(PrincipalPolicies::default());
        };
        // Read under the lock: no change can come between the two.
        let generation = self.generation.load(Ordering::Acquire);
        let policies = Arc::new(Self::read_policies(&inner, caller));
        drop(inner);
        if let Ok(mut cache) = self.policy_cache.lock() {
            if cache.len() >= POLICY_CACHE_MAX {
                cache.clear();
            }
            cache.insert(
                access_key_id.to_string(),
                (generation, Arc::clone(&policies)),
            );
        }
        policies
    }

    /// The policies that apply to a caller: for a user its inline and attached
    /// policies and its groups'; for a role session the role's and the session's;
    /// the permissions boundary; and the principal's tags.
    fn read_policies(inner: &Inner, caller: &Caller) -> PrincipalPolicies {
        let mut out = PrincipalPolicies::default();
        let Some(entity) = &caller.entity else {
            return out;
        };
        let (kind, name) = match entity {
            EntityRef::User(n) => (Kind::User, n),
            EntityRef::Role(n) => (Kind::Role, n),
        };
        let Some(e) = inner.entities(kind).get(&name.to_ascii_lowercase()) else {
            // Deleted since the credentials were issued: nothing is allowed.
            return out;
        };
        collect_policies(inner, e, &mut out.identity);
        for group in &e.groups {
            if let Some(g) = inner.groups.get(group) {
                collect_policies(inner, g, &mut out.identity);
            }
        }
        out.boundary = e
            .boundary
            .as_deref()
            .and_then(|arn| inner.policy_by_arn(arn))
            .and_then(|p| p.default_policy().cloned());
        out.tags = e
            .tags
            .iter()
            .map(|t| (t.key.clone(), t.value.clone()))
            .collect();
        if let Some(session) = &caller.session {
            out.session = session.policies.clone();
            for (k, v) in &session.tags {
                out.tags.retain(|(key, _)| !key.eq_ignore_ascii_case(k));
                out.tags.push((k.clone(), v.clone()));
            }
        }
        out
    }

    /// Notes that an access key was used (GetAccessKeyLastUsed).
    pub fn note_key_use(&self, access_key_id: &str, service: &str, region: &str, now: i64) {
        if !access_key_id.starts_with("AKIA") {
            return;
        }
        if let Ok(mut used) = self.last_used.lock() {
            let stale = used
                .by_key
                .get(access_key_id)
                .is_none_or(|u| now - u.at >= 60 || u.service != service);
            if stale {
                used.by_key.insert(
                    access_key_id.to_string(),
                    LastUsed {
                        at: now,
                        service: service.to_string(),
                        region: region.to_string(),
                    },
                );
                used.dirty.insert(access_key_id.to_string());
            }
        }
    }

    /// An access key's last use.
    pub(crate) fn key_last_used(&self, access_key_id: &str) -> Option<LastUsed> {
        let used = self.last_used.lock().ok()?;
        used.by_key.get(access_key_id).cloned()
    }

    /// Forgets a deleted access key's last use (its record goes with the key's).
    pub(crate) fn forget_key_use(
        &self,
        tx: &mlguard_store::Tx<'_>,
        access_key_id: &str,
    ) -> Result<(), ApiError> {
        if let Ok(mut used) = self.last_used.lock() {
            used.by_key.remove(access_key_id);
            used.dirty.remove(access_key_id);
        }
        tx.delete(KEY_USE_KIND, access_key_id).map_err(internal)?;
        Ok(())
    }

    /// Writes the access keys' last use noted since the previous call (the
    /// scheduler calls this, and the server at stop). Returns how many.
    pub fn persist_key_use(&self) -> Result<usize, ApiError> {
        let pending: Vec<(String, LastUsed)> = {
            let mut used = self.last_used.lock().map_err(internal)?;
            let dirty = std::mem::take(&mut used.dirty);
            dirty
                .into_iter()
                .filter_map(|id| used.by_key.get(&id).cloned().map(|u| (id, u)))
                .collect()
        };
        if pending.is_empty() {
            return Ok(0);
        }
        // Under the state lock, so a key deleted meanwhile is not written back.
        let inner = self.read()?;
        let result = self.store.transaction(|tx| {
            for (id, used) in &pending {
                if inner.access_keys.contains_key(id) {
                    let doc = serde_json::to_string(used).map_err(internal)?;
                    tx.put(KEY_USE_KIND, id, &self.account_id, &doc, None, used.at)
                        .map_err(internal)?;
                }
            }
            Ok::<(), ApiError>(())
        });
        if result.is_err()
            && let Ok(mut used) = self.last_used.lock()
        {
            used.dirty.extend(pending.iter().map(|(id, _)| id.clone()));
        }
        result.map(|()| pending.len())
    }

    /// Authorizes an IAM action on an IAM resource (identity policies only: IAM
    /// resources have no resource policies). `extra` adds request keys.
    pub(crate) fn allow(
        &self,
        ctx: &RequestContext,
        action: &str,
        resource: &str,
        extra: &dyn Fn(&mut Context),
    ) -> Result<(), ApiError> {
        ctx.authorize_identity(action, resource, extra)
    }

    /// The ARN of an IAM resource of this account.
    pub fn arn(&self, noun: &str, path: &str, name: &str) -> String {
        format!("arn:aws:iam::{}:{noun}{path}{name}", self.account_id)
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
        // IAM writes are durable SQLite transactions: off the async workers.
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
                Ok((ok(id, operation, &response), audit))
            }};
        }
        match operation {
            "CreateUser" => op!(w::CreateUserRequest, create_user),
            "GetUser" => op!(w::GetUserRequest, get_user),
            "ListUsers" => op!(w::ListUsersRequest, list_users),
            "UpdateUser" => op!(w::UpdateUserRequest, update_user),
            "DeleteUser" => op!(w::DeleteUserRequest, delete_user),
            "CreateGroup" => op!(w::CreateGroupRequest, create_group),
            "GetGroup" => op!(w::GetGroupRequest, get_group),
            "ListGroups" => op!(w::ListGroupsRequest, list_groups),
            "UpdateGroup" => op!(w::UpdateGroupRequest, update_group),
            "DeleteGroup" => op!(w::DeleteGroupRequest, delete_group),
            "AddUserToGroup" => op!(w::AddUserToGroupRequest, add_user_to_group),
            "RemoveUserFromGroup" => op!(w::RemoveUserFromGroupRequest, remove_user_from_group),
            "ListGroupsForUser" => op!(w::ListGroupsForUserRequest, list_groups_for_user),
            "CreateRole" => op!(w::CreateRoleRequest, create_role),
            "GetRole" => op!(w::GetRoleRequest, get_role),
            "ListRoles" => op!(w::ListRolesRequest, list_roles),
            "UpdateRole" => op!(w::UpdateRoleRequest, update_role),
            "UpdateRoleDescription" => {
                op!(w::UpdateRoleDescriptionRequest, update_role_description)
            }
            "UpdateAssumeRolePolicy" => {
                op!(w::UpdateAssumeRolePolicyRequest, update_assume_role_policy)
            }
            "DeleteRole" => op!(w::DeleteRoleRequest, delete_role),
            "TagUser" => op!(w::TagUserRequest, tag_user),
            "UntagUser" => op!(w::UntagUserRequest, untag_user),
            "ListUserTags" => op!(w::ListUserTagsRequest, list_user_tags),
            "TagRole" => op!(w::TagRoleRequest, tag_role),
            "UntagRole" => op!(w::UntagRoleRequest, untag_role),
            "ListRoleTags" => op!(w::ListRoleTagsRequest, list_role_tags),
            "PutUserPolicy" => op!(w::PutUserPolicyRequest, put_user_policy),
            "GetUserPolicy" => op!(w::GetUserPolicyRequest, get_user_policy),
            "DeleteUserPolicy" => op!(w::DeleteUserPolicyRequest, delete_user_policy),
            "ListUserPolicies" => op!(w::ListUserPoliciesRequest, list_user_policies),
            "PutGroupPolicy" => op!(w::PutGroupPolicyRequest, put_group_policy),
            "GetGroupPolicy" => op!(w::GetGroupPolicyRequest, get_group_policy),
            "DeleteGroupPolicy" => op!(w::DeleteGroupPolicyRequest, delete_group_policy),
            "ListGroupPolicies" => op!(w::ListGroupPoliciesRequest, list_group_policies),
            "PutRolePolicy" => op!(w::PutRolePolicyRequest, put_role_policy),
            "GetRolePolicy" => op!(w::GetRolePolicyRequest, get_role_policy),
            "DeleteRolePolicy" => op!(w::DeleteRolePolicyRequest, delete_role_policy),
            "ListRolePolicies" => op!(w::ListRolePoliciesRequest, list_role_policies),
            "CreatePolicy" => op!(w::CreatePolicyRequest, create_policy),
            "GetPolicy" => op!(w::GetPolicyRequest, get_policy),
            "ListPolicies" => op!(w::ListPoliciesRequest, list_policies),
            "DeletePolicy" => op!(w::DeletePolicyRequest, delete_policy),
            "CreatePolicyVersion" => op!(w::CreatePolicyVersionRequest, create_policy_version),
            "GetPolicyVersion" => op!(w::GetPolicyVersionRequest, get_policy_version),
            "ListPolicyVersions" => op!(w::ListPolicyVersionsRequest, list_policy_versions),
            "SetDefaultPolicyVersion" => {
                op!(
                    w::SetDefaultPolicyVersionRequest,
                    set_default_policy_version
                )
            }
            "DeletePolicyVersion" => op!(w::DeletePolicyVersionRequest, delete_policy_version),
            "ListEntitiesForPolicy" => {
                op!(w::ListEntitiesForPolicyRequest, list_entities_for_policy)
            }
            "AttachUserPolicy" => op!(w::AttachUserPolicyRequest, attach_user_policy),
            "DetachUserPolicy" => op!(w::DetachUserPolicyRequest, detach_user_policy),
            "ListAttachedUserPolicies" => {
                op!(
                    w::ListAttachedUserPoliciesRequest,
                    list_attached_user_policies
                )
            }
            "AttachGroupPolicy" => op!(w::AttachGroupPolicyRequest, attach_group_policy),
            "DetachGroupPolicy" => op!(w::DetachGroupPolicyRequest, detach_group_policy),
            "ListAttachedGroupPolicies" => {
                op!(
                    w::ListAttachedGroupPoliciesRequest,
                    list_attached_group_policies
                )
            }
            "AttachRolePolicy" => op!(w::AttachRolePolicyRequest, attach_role_policy),
            "DetachRolePolicy" => op!(w::DetachRolePolicyRequest, detach_role_policy),
            "ListAttachedRolePolicies" => {
                op!(
                    w::ListAttachedRolePoliciesRequest,
                    list_attached_role_policies
                )
            }
            "PutUserPermissionsBoundary" => {
                op!(
                    w::PutUserPermissionsBoundaryRequest,
                    put_user_permissions_boundary
                )
            }
            "DeleteUserPermissionsBoundary" => {
                op!(
                    w::DeleteUserPermissionsBoundaryRequest,
                    delete_user_permissions_boundary
                )
            }
            "PutRolePermissionsBoundary" => {
                op!(
                    w::PutRolePermissionsBoundaryRequest,
                    put_role_permissions_boundary
                )
            }
            "DeleteRolePermissionsBoundary" => {
                op!(
                    w::DeleteRolePermissionsBoundaryRequest,
                    delete_role_permissions_boundary
                )
            }
            "CreateAccessKey" => op!(w::CreateAccessKeyRequest, create_access_key),
            "ListAccessKeys" => op!(w::ListAccessKeysRequest, list_access_keys),
            "UpdateAccessKey" => op!(w::UpdateAccessKeyRequest, update_access_key),
            "DeleteAccessKey" => op!(w::DeleteAccessKeyRequest, delete_access_key),
            "GetAccessKeyLastUsed" => op!(w::GetAccessKeyLastUsedRequest, get_access_key_last_used),
            "CreateVirtualMFADevice" => {
                op!(w::CreateVirtualMFADeviceRequest, create_virtual_mfa_device)
            }
            "EnableMFADevice" => op!(w::EnableMFADeviceRequest, enable_mfa_device),
            "DeactivateMFADevice" => op!(w::DeactivateMFADeviceRequest, deactivate_mfa_device),
            "ListMFADevices" => op!(w::ListMFADevicesRequest, list_mfa_devices),
            "ListVirtualMFADevices" => {
                op!(w::ListVirtualMFADevicesRequest, list_virtual_mfa_devices)
            }
            "DeleteVirtualMFADevice" => {
                op!(w::DeleteVirtualMFADeviceRequest, delete_virtual_mfa_device)
            }
            "SimulateCustomPolicy" => op!(w::SimulateCustomPolicyRequest, simulate_custom_policy),
            "SimulatePrincipalPolicy" => {
                op!(w::SimulatePrincipalPolicyRequest, simulate_principal_policy)
            }
            "GetContextKeysForCustomPolicy" => op!(
                w::GetContextKeysForCustomPolicyRequest,
                get_context_keys_for_custom_policy
            ),
            "GetContextKeysForPrincipalPolicy" => op!(
                w::GetContextKeysForPrincipalPolicyRequest,
                get_context_keys_for_principal_policy
            ),
            "GetAccountAuthorizationDetails" => op!(
                w::GetAccountAuthorizationDetailsRequest,
                get_account_authorization_details
            ),
            other if w::MODEL_OPERATIONS.contains(&other) => Err(ApiError::bad_request(
                "NotImplemented",
                format!("{other} is not implemented by this mlguard yet."),
            )),
            // (IAM's and STS's common errors: MissingAction, 400.)
            "" => Err(ApiError::bad_request("MissingAction", "Missing Action")),
            other => Err(ApiError::bad_request(
                "InvalidAction",
                format!("Could not find operation {other} for version 2010-05-08"),
            )),
        }
    }

    /// An entity by kind and name, or AWS's `NoSuchEntity`.
    pub(crate) fn entity(inner: &Inner, kind: Kind, name: &str) -> Result<Arc<Entity>, ApiError> {
        inner
            .entities(kind)
            .get(&name.to_ascii_lowercase())
            .cloned()
            .ok_or_else(|| {
                no_such_entity(format!(
                    "The {} with name {name} cannot be found.",
                    kind.noun()
                ))
            })
    }

    /// The account this IAM serves.
    pub fn account_id(&self) -> &str {
        &self.account_id
    }
}

/// Adds an entity's inline and attached policies.
fn collect_policies(inner: &Inner, e: &Entity, out: &mut Vec<Arc<Policy>>) {
    out.extend(e.inline.values().filter_map(|d| d.policy.clone()));
    out.extend(
        e.attached
            .iter()
            .filter_map(|arn| inner.policy_by_arn(arn))
            .filter_map(|p| p.default_policy().cloned()),
    );
}

/// A successful awsQuery response.
pub fn ok<T: ToXml>(request_id: &str, operation: &str, result: &T) -> Response<Full<Bytes>> {
    xml::query_ok(
        request_id,
        operation,
        w::result_wrapper(operation),
        w::XML_NAMESPACE,
        result,
    )
}

impl Iam {
    /// The first principal `policy` names that is a user or role of this
    /// account and does not exist (by its exact ARN, path included): IAM, KMS
    /// and Secrets Manager refuse such a policy. Other accounts' principals,
    /// accounts, services and `*` are not checked.
    pub(crate) fn unknown_principal(
        &self,
        policy: &mlguard_policy::Policy,
    ) -> Result<Option<String>, ApiError> {
        let inner = self.read()?;
        let own = format!("arn:aws:iam::{}:", self.account_id);
        for s in &policy.statements {
            let entries = s.principal.iter().flat_map(|p| &p.entries);
            for entry in entries.filter(|e| e.kind == mlguard_policy::PrincipalType::Aws) {
                let Some(resource) = entry.text.strip_prefix(&own) else {
                    continue;
                };
                let kind = if resource.starts_with("user/") {
                    Kind::User
                } else if resource.starts_with("role/") {
                    Kind::Role
                } else {
                    continue;
                };
                let name = resource.rsplit('/').next().unwrap_or_default();
                let exists = inner
                    .entities(kind)
                    .get(&name.to_ascii_lowercase())
                    .is_some_and(|e| e.arn == entry.text);
                if !exists {
                    return Ok(Some(entry.text.clone()));
                }
            }
        }
        Ok(None)
    }
}

/// Adds `aws:RequestTag/*` and `aws:TagKeys` for tags in a request.
pub fn request_tags(context: &mut Context, tags: &[w::Tag]) {
    crate::context::insert_request_tags(
        context,
        tags.iter()
            .filter_map(|t| Some((t.key.as_deref()?, t.value.as_deref()?))),
    );
}
