//! Users, groups and roles: create, read, list, update, delete, group
//! membership, trust policies and tags.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use mlguard_policy::{Policy, PolicyKind};
use mlguard_wire::Timestamp;
use mlguard_wire::iam as w;

use super::model::{Doc, Entity, Kind, Tag};
use super::{
    Iam, Inner, Out, already_exists, delete_conflict, encode_document, limit_exceeded,
    malformed_policy, new_id, no_such_entity, page, request_tags, wire_tags,
};
use crate::audit::AuditInfo;
use crate::context::RequestContext;
use crate::error::ApiError;
use crate::identity::CallerKind;

/// A page of tags, the next marker, and the entity.
type TagPage = (Vec<w::Tag>, Option<String>, Arc<Entity>);

/// Tags per user, role or policy.
const MAX_TAGS: usize = 50;
/// Groups a user may be in (AWS's quota).
const GROUPS_PER_USER: usize = 10;

fn audit(entity: &Entity) -> AuditInfo {
    let kind = match entity.kind {
        Kind::User => "AWS::IAM::User",
        Kind::Group => "AWS::IAM::Group",
        Kind::Role => "AWS::IAM::Role",
    };
    AuditInfo {
        response_elements: None,
        resources: vec![(entity.arn.clone(), kind, String::new())],
    }
}

fn boundary(entity: &Entity) -> Option<w::AttachedPermissionsBoundary> {
    entity
        .boundary
        .as_ref()
        .map(|arn| w::AttachedPermissionsBoundary {
            permissions_boundary_arn: Some(arn.clone()),
            permissions_boundary_type: Some("Policy".into()),
        })
}

/// A user as the wire shows it (`full`: with boundary and tags, as GetUser).
pub fn wire_user(u: &Entity, full: bool) -> w::User {
    w::User {
        path: Some(u.path.clone()),
        user_name: Some(u.name.clone()),
        user_id: Some(u.id.clone()),
        arn: Some(u.arn.clone()),
        create_date: Some(Timestamp::from_unix(u.created)),
        password_last_used: None,
        permissions_boundary: if full { boundary(u) } else { None },
        tags: (full && !u.tags.is_empty()).then(|| wire_tags(&u.tags)),
    }
}

/// A group as the wire shows it.
pub fn wire_group(g: &Entity) -> w::Group {
    w::Group {
        path: Some(g.path.clone()),
        group_name: Some(g.name.clone()),
        group_id: Some(g.id.clone()),
        arn: Some(g.arn.clone()),
        create_date: Some(Timestamp::from_unix(g.created)),
    }
}

/// A role as the wire shows it.
pub fn wire_role(r: &Entity, full: bool) -> w::Role {
    w::Role {
        path: Some(r.path.clone()),
        role_name: Some(r.name.clone()),
        role_id: Some(r.id.clone()),
        arn: Some(r.arn.clone()),
        create_date: Some(Timestamp::from_unix(r.created)),
        assume_role_policy_document: r.trust.as_ref().map(|d| encode_document(&d.text)),
        description: r.description.clone(),
        max_session_duration: Some(r.max_session_duration.unwrap_or(3600)),
        permissions_boundary: if full { boundary(r) } else { None },
        tags: (full && !r.tags.is_empty()).then(|| wire_tags(&r.tags)),
        role_last_used: full.then(w::RoleLastUsed::default),
    }
}

/// Tags from the wire, checked: at most 50, keys unique case-insensitively and
/// not in the `aws:` prefix AWS reserves (in any case).
fn tags_from(wire: Option<&Vec<w::Tag>>) -> Result<Vec<Tag>, ApiError> {
    let mut out: Vec<Tag> = Vec::new();
    for t in wire.into_iter().flatten() {
        let key = t.key.clone().unwrap_or_default();
        if key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("aws:")) {
            return Err(super::invalid_input(
                "Tag keys starting with 'aws:' are reserved for AWS use.",
            ));
        }
        if out.iter().any(|o| o.key.eq_ignore_ascii_case(&key)) {
            return Err(super::invalid_input(
                "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
            ));
        }
        out.push(Tag {
            key,
            value: t.value.clone().unwrap_or_default(),
        });
    }
    if out.len() > MAX_TAGS {
        return Err(limit_exceeded(
            "The number of tags has reached the maximum limit.",
        ));
    }
    Ok(out)
}

impl Iam {
    /// A trust policy may name only users and roles of this account that
    /// exist: IAM refuses one that names another ("Invalid principal in
    /// policy").
    fn check_principals(&self, trust: &Doc) -> Result<(), ApiError> {
        let Some(policy) = &trust.policy else {
            return Ok(());
        };
        match self.unknown_principal(policy)? {
            Some(arn) => Err(super::malformed_policy(format!(
                "Invalid principal in policy: \"AWS\":\"{arn}\""
            ))),
            None => Ok(()),
        }
    }
}

/// Parses a trust policy with AWS's errors.
pub fn parse_trust(text: &str) -> Result<Doc, ApiError> {
    match Policy::parse(text, PolicyKind::RoleTrust) {
        Ok(p) => Ok(Doc::new(text.to_string(), p)),
        Err(e) => Err(policy_error(&e)),
    }
}

/// IAM's error for a rejected document: over the quota is `LimitExceeded`.
pub fn policy_error(e: &mlguard_policy::ParseError) -> ApiError {
    match e.kind {
        mlguard_policy::ParseErrorKind::TooLarge { .. } => limit_exceeded(e.aws_message.clone()),
        _ => malformed_policy(e.aws_message.clone()),
    }
}

fn path_or_root(path: Option<&String>) -> String {
    path.cloned().unwrap_or_else(|| "/".into())
}

fn entity_page<T: Clone>(
    inner: &Inner,
    kind: Kind,
    prefix: Option<&str>,
    marker: Option<&str>,
    max_items: Option<i32>,
    f: impl Fn(&Entity) -> T,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    let prefix = prefix.unwrap_or("/");
    let items: Vec<(String, T)> = inner
        .entities(kind)
        .iter()
        .filter(|(_, e)| e.path.starts_with(prefix))
        .map(|(k, e)| (k.clone(), f(e)))
        .collect();
    page(&items, marker, max_items)
}

impl Iam {
    /// Creates a user, group or role after the checks every kind shares.
    fn create_entity(&self, mut entity: Entity) -> Result<Arc<Entity>, ApiError> {
        entity.id = new_id(entity.kind.id_prefix())?;
        let key = entity.key();
        let kind = entity.kind;
        {
            let inner = self.read()?;
            if inner.entities(kind).contains_key(&key) {
                let noun = match kind {
                    Kind::User => "User",
                    Kind::Group => "Group",
                    Kind::Role => "Role",
                };
                return Err(already_exists(format!(
                    "{noun} with name {} already exists.",
                    entity.name
                )));
            }
            if let Some(arn) = &entity.boundary {
                self.boundary_policy(&inner, arn)?;
            }
        }
        let entity = Arc::new(entity);
        self.commit(
            |tx| self.put_entity(tx, &entity),
            |inner| {
                inner.entities_mut(kind).insert(key, Arc::clone(&entity));
            },
        )?;
        Ok(entity)
    }

    /// Replaces an entity after `change`, in the store and in memory.
    pub(crate) fn update_entity(
        &self,
        kind: Kind,
        name: &str,
        change: impl FnOnce(&Inner, &mut Entity) -> Result<(), ApiError>,
    ) -> Result<Arc<Entity>, ApiError> {
        let mut inner = self.write_state()?;
        let current = Self::entity(&inner, kind, name)?;
        let mut changed = (*current).clone();
        change(&inner, &mut changed)?;
        let changed = Arc::new(changed);
        self.store.transaction(|tx| self.put_entity(tx, &changed))?;
        inner
            .entities_mut(kind)
            .insert(changed.key(), Arc::clone(&changed));
        Ok(changed)
    }

    fn new_entity(&self, kind: Kind, name: &str, path: String) -> Entity {
        Entity {
            kind,
            name: name.to_string(),
            id: String::new(),
            arn: self.arn(kind.noun(), &path, name),
            path,
            created: self.clock.now(),
            tags: Vec::new(),
            inline: BTreeMap::new(),
            attached: BTreeSet::new(),
            boundary: None,
            groups: BTreeSet::new(),
            trust: None,
            description: None,
            max_session_duration: None,
        }
    }

    pub(crate) fn create_user(
        &self,
        ctx: &RequestContext,
        req: w::CreateUserRequest,
    ) -> Out<w::CreateUserResponse> {
        let name = req.user_name.unwrap_or_default();
        let path = path_or_root(req.path.as_ref());
        let mut user = self.new_entity(Kind::User, &name, path);
        let tags = req.tags.unwrap_or_default();
        self.allow(ctx, "iam:CreateUser", &user.arn, &|c| {
            request_tags(c, &tags)
        })?;
        user.tags = tags_from(Some(&tags))?;
        user.boundary = req.permissions_boundary;
        let user = self.create_entity(user)?;
        Ok((
            w::CreateUserResponse {
                user: Some(wire_user(&user, true)),
            },
            audit(&user),
        ))
    }

    pub(crate) fn get_user(
        &self,
        ctx: &RequestContext,
        req: w::GetUserRequest,
    ) -> Out<w::GetUserResponse> {
        let name = match (req.user_name, &ctx.caller.username) {
            (Some(n), _) => n,
            (None, Some(n)) => n.clone(),
            (None, None) if ctx.caller.kind == CallerKind::Root => {
                self.allow(ctx, "iam:GetUser", &ctx.caller.arn, &|_| {})?;
                return Ok((
                    w::GetUserResponse {
                        user: Some(w::User {
                            user_id: Some(self.account_id.clone()),
                            arn: Some(ctx.caller.arn.clone()),
                            create_date: Some(Timestamp::from_unix(0)),
                            ..w::User::default()
                        }),
                    },
                    AuditInfo::default(),
                ));
            }
            (None, None) => {
                return Err(ApiError::bad_request(
                    "ValidationError",
                    "Must specify userName when calling with non-User credentials",
                ));
            }
        };
        let user = Self::entity(&*self.read()?, Kind::User, &name)?;
        self.allow(ctx, "iam:GetUser", &user.arn, &|_| {})?;
        Ok((
            w::GetUserResponse {
                user: Some(wire_user(&user, true)),
            },
            audit(&user),
        ))
    }

    pub(crate) fn list_users(
        &self,
        ctx: &RequestContext,
        req: w::ListUsersRequest,
    ) -> Out<w::ListUsersResponse> {
        self.allow(ctx, "iam:ListUsers", &self.arn("user", "/", "*"), &|_| {})?;
        let inner = self.read()?;
        let (users, marker) = entity_page(
            &inner,
            Kind::User,
            req.path_prefix.as_deref(),
            req.marker.as_deref(),
            req.max_items,
            |u| wire_user(u, false),
        )?;
        Ok((
            w::ListUsersResponse {
                users: Some(users),
                is_truncated: Some(marker.is_some()),
                marker,
            },
            AuditInfo::default(),
        ))
    }

    /// Renames or moves a user, group (UpdateUser, UpdateGroup).
    fn rename(
        &self,
        ctx: &RequestContext,
        kind: Kind,
        name: &str,
        new_name: Option<String>,
        new_path: Option<String>,
    ) -> Result<Arc<Entity>, ApiError> {
        let current = Self::entity(&*self.read()?, kind, name)?;
        let action = match kind {
            Kind::User => "iam:UpdateUser",
            _ => "iam:UpdateGroup",
        };
        self.allow(ctx, action, &current.arn, &|_| {})?;
        let mut inner = self.write_state()?;
        let current = Self::entity(&inner, kind, name)?;
        let mut changed = (*current).clone();
        if let Some(n) = new_name {
            if !n.eq_ignore_ascii_case(&current.name)
                && inner.entities(kind).contains_key(&n.to_ascii_lowercase())
            {
                return Err(already_exists(format!(
                    "{} with name {n} already exists.",
                    if kind == Kind::User { "User" } else { "Group" }
                )));
            }
            changed.name = n;
        }
        if let Some(p) = new_path {
            changed.path = p;
        }
        changed.arn = self.arn(kind.noun(), &changed.path, &changed.name);
        let changed = Arc::new(changed);
        // Group memberships are stored on users by group key: follow a group rename.
        let mut members = Vec::new();
        if kind == Kind::Group && changed.key() != current.key() {
            for u in inner.users.values() {
                if u.groups.contains(&current.key()) {
                    let mut m = (**u).clone();
                    m.groups.remove(&current.key());
                    m.groups.insert(changed.key());
                    members.push(Arc::new(m));
                }
            }
        }
        // A user's access keys name the user: rewrite them with the new name.
        let mut keys = Vec::new();
        if kind == Kind::User {
            for k in inner
                .access_keys
                .values()
                .filter(|k| k.user.eq_ignore_ascii_case(name))
            {
                let sealed = self
                    .store
                    .get("iam.accesskey", &k.id)
                    .map_err(super::internal)?
                    .and_then(|r| r.sealed);
                let mut renamed = k.clone();
                renamed.user = changed.name.clone();
                keys.push((renamed, sealed));
            }
        }
        self.store.transaction(|tx| {
            tx.delete(kind.store_kind(), &current.key())
                .map_err(super::internal)?;
            self.put_entity(tx, &changed)?;
            for m in &members {
                self.put_entity(tx, m)?;
            }
            for (k, sealed) in &keys {
                self.put_key_record(tx, k, sealed.as_deref())?;
            }
            Ok::<(), ApiError>(())
        })?;
        let map = inner.entities_mut(kind);
        map.remove(&current.key());
        map.insert(changed.key(), Arc::clone(&changed));
        for m in members {
            inner.users.insert(m.key(), m);
        }
        if kind == Kind::User {
            for (k, _) in keys {
                inner.access_keys.insert(k.id.clone(), k);
            }
            drop(inner);
            self.refresh_user_credentials(&changed)?;
        }
        Ok(changed)
    }

    pub(crate) fn update_user(&self, ctx: &RequestContext, req: w::UpdateUserRequest) -> Out<()> {
        let name = req.user_name.unwrap_or_default();
        let user = self.rename(ctx, Kind::User, &name, req.new_user_name, req.new_path)?;
        Ok(((), audit(&user)))
    }

    pub(crate) fn delete_user(&self, ctx: &RequestContext, req: w::DeleteUserRequest) -> Out<()> {
        let name = req.user_name.unwrap_or_default();
        let user = Self::entity(&*self.read()?, Kind::User, &name)?;
        self.allow(ctx, "iam:DeleteUser", &user.arn, &|_| {})?;
        let user = self.remove_entity(Kind::User, &name)?;
        Ok(((), audit(&user)))
    }

    /// Deletes a user, group or role once nothing depends on it, as AWS requires.
    fn remove_entity(&self, kind: Kind, name: &str) -> Result<Arc<Entity>, ApiError> {
        let mut inner = self.write_state()?;
        let e = Self::entity(&inner, kind, name)?;
        let key = e.key();
        match kind {
            Kind::User => {
                if inner
                    .access_keys
                    .values()
                    .any(|k| k.user.eq_ignore_ascii_case(name))
                {
                    return Err(delete_conflict(
                        "Cannot delete entity, must delete access keys first.",
                    ));
                }
                if inner.mfa.values().any(|d| {
                    d.user
                        .as_deref()
                        .is_some_and(|u| u.eq_ignore_ascii_case(name))
                }) {
                    return Err(delete_conflict(
                        "Cannot delete entity, must delete MFA device first.",
                    ));
                }
            }
            Kind::Group => {
                if inner.users.values().any(|u| u.groups.contains(&key)) {
                    return Err(delete_conflict(
                        "Cannot delete entity, must remove users from group first.",
                    ));
                }
            }
            Kind::Role => {}
        }
        if !e.inline.is_empty() {
            return Err(delete_conflict(
                "Cannot delete entity, must delete policies first.",
            ));
        }
        if !e.attached.is_empty() {
            return Err(delete_conflict(
                "Cannot delete entity, must detach all policies first.",
            ));
        }
        if kind == Kind::User && !e.groups.is_empty() {
            return Err(delete_conflict(
                "Cannot delete entity, must remove user from all groups first.",
            ));
        }
        self.store.transaction(|tx| {
            tx.delete(kind.store_kind(), &key)
                .map_err(super::internal)?;
            Ok::<(), ApiError>(())
        })?;
        inner.entities_mut(kind).remove(&key);
        Ok(e)
    }

    pub(crate) fn create_group(
        &self,
        ctx: &RequestContext,
        req: w::CreateGroupRequest,
    ) -> Out<w::CreateGroupResponse> {
        let name = req.group_name.unwrap_or_default();
        let group = self.new_entity(Kind::Group, &name, path_or_root(req.path.as_ref()));
        self.allow(ctx, "iam:CreateGroup", &group.arn, &|_| {})?;
        let group = self.create_entity(group)?;
        Ok((
            w::CreateGroupResponse {
                group: Some(wire_group(&group)),
            },
            audit(&group),
        ))
    }

    pub(crate) fn get_group(
        &self,
        ctx: &RequestContext,
        req: w::GetGroupRequest,
    ) -> Out<w::GetGroupResponse> {
        let inner = self.read()?;
        let group = Self::entity(&inner, Kind::Group, req.group_name.as_deref().unwrap_or(""))?;
        self.allow(ctx, "iam:GetGroup", &group.arn, &|_| {})?;
        let key = group.key();
        let items: Vec<(String, w::User)> = inner
            .users
            .iter()
            .filter(|(_, u)| u.groups.contains(&key))
            .map(|(k, u)| (k.clone(), wire_user(u, false)))
            .collect();
        let (users, marker) = page(&items, req.marker.as_deref(), req.max_items)?;
        Ok((
            w::GetGroupResponse {
                group: Some(wire_group(&group)),
                users: Some(users),
                is_truncated: Some(marker.is_some()),
                marker,
            },
            audit(&group),
        ))
    }

    pub(crate) fn list_groups(
        &self,
        ctx: &RequestContext,
        req: w::ListGroupsRequest,
    ) -> Out<w::ListGroupsResponse> {
        self.allow(ctx, "iam:ListGroups", &self.arn("group", "/", "*"), &|_| {})?;
        let inner = self.read()?;
        let (groups, marker) = entity_page(
            &inner,
            Kind::Group,
            req.path_prefix.as_deref(),
            req.marker.as_deref(),
            req.max_items,
            wire_group,
        )?;
        Ok((
            w::ListGroupsResponse {
                groups: Some(groups),
                is_truncated: Some(marker.is_some()),
                marker,
            },
            AuditInfo::default(),
        ))
    }

    pub(crate) fn update_group(&self, ctx: &RequestContext, req: w::UpdateGroupRequest) -> Out<()> {
        let name = req.group_name.unwrap_or_default();
        let group = self.rename(ctx, Kind::Group, &name, req.new_group_name, req.new_path)?;
        Ok(((), audit(&group)))
    }

    pub(crate) fn delete_group(&self, ctx: &RequestContext, req: w::DeleteGroupRequest) -> Out<()> {
        let name = req.group_name.unwrap_or_default();
        let group = Self::entity(&*self.read()?, Kind::Group, &name)?;
        self.allow(ctx, "iam:DeleteGroup", &group.arn, &|_| {})?;
        let group = self.remove_entity(Kind::Group, &name)?;
        Ok(((), audit(&group)))
    }

    pub(crate) fn add_user_to_group(
        &self,
        ctx: &RequestContext,
        req: w::AddUserToGroupRequest,
    ) -> Out<()> {
        let group_name = req.group_name.unwrap_or_default();
        let group = Self::entity(&*self.read()?, Kind::Group, &group_name)?;
        self.allow(ctx, "iam:AddUserToGroup", &group.arn, &|_| {})?;
        let key = group.key();
        self.update_entity(
            Kind::User,
            req.user_name.as_deref().unwrap_or(""),
            |_, u| {
                if !u.groups.contains(&key) && u.groups.len() >= GROUPS_PER_USER {
                    return Err(limit_exceeded(format!(
                        "Cannot exceed quota for GroupsPerUser: {GROUPS_PER_USER}"
                    )));
                }
                u.groups.insert(key.clone());
                Ok(())
            },
        )?;
        Ok(((), audit(&group)))
    }

    pub(crate) fn remove_user_from_group(
        &self,
        ctx: &RequestContext,
        req: w::RemoveUserFromGroupRequest,
    ) -> Out<()> {
        let group_name = req.group_name.unwrap_or_default();
        let group = Self::entity(&*self.read()?, Kind::Group, &group_name)?;
        self.allow(ctx, "iam:RemoveUserFromGroup", &group.arn, &|_| {})?;
        let key = group.key();
        let user_name = req.user_name.unwrap_or_default();
        self.update_entity(Kind::User, &user_name, |_, u| {
            if u.groups.remove(&key) {
                Ok(())
            } else {
                Err(no_such_entity(format!(
                    "The user with name {user_name} cannot be found."
                )))
            }
        })?;
        Ok(((), audit(&group)))
    }

    pub(crate) fn list_groups_for_user(
        &self,
        ctx: &RequestContext,
        req: w::ListGroupsForUserRequest,
    ) -> Out<w::ListGroupsForUserResponse> {
        let inner = self.read()?;
        let user = Self::entity(&inner, Kind::User, req.user_name.as_deref().unwrap_or(""))?;
        self.allow(ctx, "iam:ListGroupsForUser", &user.arn, &|_| {})?;
        let items: Vec<(String, w::Group)> = user
            .groups
            .iter()
            .filter_map(|k| inner.groups.get(k).map(|g| (k.clone(), wire_group(g))))
            .collect();
        let (groups, marker) = page(&items, req.marker.as_deref(), req.max_items)?;
        Ok((
            w::ListGroupsForUserResponse {
                groups: Some(groups),
                is_truncated: Some(marker.is_some()),
                marker,
            },
            audit(&user),
        ))
    }

    pub(crate) fn create_role(
        &self,
        ctx: &RequestContext,
        req: w::CreateRoleRequest,
    ) -> Out<w::CreateRoleResponse> {
        let name = req.role_name.unwrap_or_default();
        let mut role = self.new_entity(Kind::Role, &name, path_or_root(req.path.as_ref()));
        let tags = req.tags.unwrap_or_default();
        self.allow(ctx, "iam:CreateRole", &role.arn, &|c| {
            request_tags(c, &tags)
        })?;
        let trust = parse_trust(req.assume_role_policy_document.as_deref().unwrap_or(""))?;
        self.check_principals(&trust)?;
        role.trust = Some(trust);
        role.tags = tags_from(Some(&tags))?;
        role.description = req.description;
        role.max_session_duration = req.max_session_duration;
        role.boundary = req.permissions_boundary;
        let role = self.create_entity(role)?;
        Ok((
            w::CreateRoleResponse {
                role: Some(wire_role(&role, false)),
            },
            audit(&role),
        ))
    }

    pub(crate) fn get_role(
        &self,
        ctx: &RequestContext,
        req: w::GetRoleRequest,
    ) -> Out<w::GetRoleResponse> {
        let role = Self::entity(
            &*self.read()?,
            Kind::Role,
            req.role_name.as_deref().unwrap_or(""),
        )?;
        self.allow(ctx, "iam:GetRole", &role.arn, &|_| {})?;
        Ok((
            w::GetRoleResponse {
                role: Some(wire_role(&role, true)),
            },
            audit(&role),
        ))
    }

    pub(crate) fn list_roles(
        &self,
        ctx: &RequestContext,
        req: w::ListRolesRequest,
    ) -> Out<w::ListRolesResponse> {
        self.allow(ctx, "iam:ListRoles", &self.arn("role", "/", "*"), &|_| {})?;
        let inner = self.read()?;
        let (roles, marker) = entity_page(
            &inner,
            Kind::Role,
            req.path_prefix.as_deref(),
            req.marker.as_deref(),
            req.max_items,
            |r| wire_role(r, false),
        )?;
        Ok((
            w::ListRolesResponse {
                roles: Some(roles),
                is_truncated: Some(marker.is_some()),
                marker,
            },
            AuditInfo::default(),
        ))
    }

    fn change_role(
        &self,
        ctx: &RequestContext,
        action: &str,
        name: &str,
        change: impl FnOnce(&mut Entity) -> Result<(), ApiError>,
    ) -> Result<Arc<Entity>, ApiError> {
        let role = Self::entity(&*self.read()?, Kind::Role, name)?;
        self.allow(ctx, action, &role.arn, &|_| {})?;
        self.update_entity(Kind::Role, name, |_, r| change(r))
    }

    pub(crate) fn update_role(
        &self,
        ctx: &RequestContext,
        req: w::UpdateRoleRequest,
    ) -> Out<w::UpdateRoleResponse> {
        let name = req.role_name.unwrap_or_default();
        let role = self.change_role(ctx, "iam:UpdateRole", &name, |r| {
            if let Some(d) = req.description {
                r.description = Some(d);
            }
            if let Some(m) = req.max_session_duration {
                r.max_session_duration = Some(m);
            }
            Ok(())
        })?;
        Ok((w::UpdateRoleResponse::default(), audit(&role)))
    }

    pub(crate) fn update_role_description(
        &self,
        ctx: &RequestContext,
        req: w::UpdateRoleDescriptionRequest,
    ) -> Out<w::UpdateRoleDescriptionResponse> {
        let name = req.role_name.unwrap_or_default();
        let role = self.change_role(ctx, "iam:UpdateRoleDescription", &name, |r| {
            r.description = req.description;
            Ok(())
        })?;
        Ok((
            w::UpdateRoleDescriptionResponse {
                role: Some(wire_role(&role, true)),
            },
            audit(&role),
        ))
    }

    pub(crate) fn update_assume_role_policy(
        &self,
        ctx: &RequestContext,
        req: w::UpdateAssumeRolePolicyRequest,
    ) -> Out<()> {
        let name = req.role_name.unwrap_or_default();
        let trust = parse_trust(req.policy_document.as_deref().unwrap_or(""))?;
        self.check_principals(&trust)?;
        let role = self.change_role(ctx, "iam:UpdateAssumeRolePolicy", &name, |r| {
            r.trust = Some(trust);
            Ok(())
        })?;
        Ok(((), audit(&role)))
    }

    pub(crate) fn delete_role(&self, ctx: &RequestContext, req: w::DeleteRoleRequest) -> Out<()> {
        let name = req.role_name.unwrap_or_default();
        let role = Self::entity(&*self.read()?, Kind::Role, &name)?;
        self.allow(ctx, "iam:DeleteRole", &role.arn, &|_| {})?;
        let role = self.remove_entity(Kind::Role, &name)?;
        Ok(((), audit(&role)))
    }

    fn tag(
        &self,
        ctx: &RequestContext,
        kind: Kind,
        name: &str,
        tags: &[w::Tag],
    ) -> Result<Arc<Entity>, ApiError> {
        let current = Self::entity(&*self.read()?, kind, name)?;
        let action = if kind == Kind::User {
            "iam:TagUser"
        } else {
            "iam:TagRole"
        };
        self.allow(ctx, action, &current.arn, &|c| request_tags(c, tags))?;
        let new = tags_from(Some(&tags.to_vec()))?;
        self.update_entity(kind, name, |_, e| {
            for t in new {
                if let Some(existing) = e
                    .tags
                    .iter_mut()
                    .find(|o| o.key.eq_ignore_ascii_case(&t.key))
                {
                    existing.value = t.value;
                } else {
                    e.tags.push(t);
                }
            }
            if e.tags.len() > MAX_TAGS {
                return Err(limit_exceeded(
                    "The number of tags has reached the maximum limit.",
                ));
            }
            Ok(())
        })
    }

    fn untag(
        &self,
        ctx: &RequestContext,
        kind: Kind,
        name: &str,
        keys: &[String],
    ) -> Result<Arc<Entity>, ApiError> {
        let current = Self::entity(&*self.read()?, kind, name)?;
        let action = if kind == Kind::User {
            "iam:UntagUser"
        } else {
            "iam:UntagRole"
        };
        self.allow(ctx, action, &current.arn, &|c| {
            c.insert(
                "aws:TagKeys",
                mlguard_policy::ContextValue::string_list(keys.to_vec()),
            );
        })?;
        self.update_entity(kind, name, |_, e| {
            e.tags
                .retain(|t| !keys.iter().any(|k| k.eq_ignore_ascii_case(&t.key)));
            Ok(())
        })
    }

    fn tag_page(
        &self,
        ctx: &RequestContext,
        kind: Kind,
        name: &str,
        marker: Option<&str>,
        max_items: Option<i32>,
    ) -> Result<TagPage, ApiError> {
        let e = Self::entity(&*self.read()?, kind, name)?;
        let action = if kind == Kind::User {
            "iam:ListUserTags"
        } else {
            "iam:ListRoleTags"
        };
        self.allow(ctx, action, &e.arn, &|_| {})?;
        let items: Vec<(String, w::Tag)> = e
            .tags
            .iter()
            .enumerate()
            .map(|(i, t)| {
                (
                    format!("{i:05}"),
                    w::Tag {
                        key: Some(t.key.clone()),
                        value: Some(t.value.clone()),
                    },
                )
            })
            .collect();
        let (tags, next) = page(&items, marker, max_items)?;
        Ok((tags, next, e))
    }

    pub(crate) fn tag_user(&self, ctx: &RequestContext, req: w::TagUserRequest) -> Out<()> {
        let u = self.tag(
            ctx,
            Kind::User,
            req.user_name.as_deref().unwrap_or(""),
            &req.tags.unwrap_or_default(),
        )?;
        Ok(((), audit(&u)))
    }

    pub(crate) fn untag_user(&self, ctx: &RequestContext, req: w::UntagUserRequest) -> Out<()> {
        let u = self.untag(
            ctx,
            Kind::User,
            req.user_name.as_deref().unwrap_or(""),
            &req.tag_keys.unwrap_or_default(),
        )?;
        Ok(((), audit(&u)))
    }

    pub(crate) fn list_user_tags(
        &self,
        ctx: &RequestContext,
        req: w::ListUserTagsRequest,
    ) -> Out<w::ListUserTagsResponse> {
        let (tags, marker, u) = self.tag_page(
            ctx,
            Kind::User,
            req.user_name.as_deref().unwrap_or(""),
            req.marker.as_deref(),
            req.max_items,
        )?;
        Ok((
            w::ListUserTagsResponse {
                tags: Some(tags),
                is_truncated: Some(marker.is_some()),
                marker,
            },
            audit(&u),
        ))
    }

    pub(crate) fn tag_role(&self, ctx: &RequestContext, req: w::TagRoleRequest) -> Out<()> {
        let r = self.tag(
            ctx,
            Kind::Role,
            req.role_name.as_deref().unwrap_or(""),
            &req.tags.unwrap_or_default(),
        )?;
        Ok(((), audit(&r)))
    }

    pub(crate) fn untag_role(&self, ctx: &RequestContext, req: w::UntagRoleRequest) -> Out<()> {
        let r = self.untag(
            ctx,
            Kind::Role,
            req.role_name.as_deref().unwrap_or(""),
            &req.tag_keys.unwrap_or_default(),
        )?;
        Ok(((), audit(&r)))
    }

    pub(crate) fn list_role_tags(
        &self,
        ctx: &RequestContext,
        req: w::ListRoleTagsRequest,
    ) -> Out<w::ListRoleTagsResponse> {
        let (tags, marker, r) = self.tag_page(
            ctx,
            Kind::Role,
            req.role_name.as_deref().unwrap_or(""),
            req.marker.as_deref(),
            req.max_items,
        )?;
        Ok((
            w::ListRoleTagsResponse {
                tags: Some(tags),
                is_truncated: Some(marker.is_some()),
                marker,
            },
            audit(&r),
        ))
    }
}
