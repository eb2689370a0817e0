//! Inline policies, customer managed policies and their versions, attachments,
//! and permissions boundaries.

use std::sync::Arc;

use mlguard_policy::{ContextValue, Policy, PolicyKind, SizeLimit};
use mlguard_wire::Timestamp;
use mlguard_wire::iam as w;

use super::entities::policy_error;
use super::model::{Doc, Entity, Kind, ManagedPolicy, PolicyVersion};
use super::{
    Iam, Inner, Out, already_exists, delete_conflict, encode_document, internal, limit_exceeded,
    new_id, no_such_entity, page, request_tags, wire_tags,
};
use crate::audit::AuditInfo;
use crate::context::RequestContext;
use crate::error::ApiError;

/// Versions a managed policy may keep.
const MAX_VERSIONS: usize = 5;
/// Managed policies attached to one user, group or role (AWS's default quota).
const ATTACHED_QUOTA: usize = 10;

fn audit_policy(p: &ManagedPolicy) -> AuditInfo {
    AuditInfo {
        response_elements: None,
        resources: vec![(p.arn.clone(), "AWS::IAM::Policy", String::new())],
    }
}

fn parse(text: &str, kind: PolicyKind) -> Result<Doc, ApiError> {
    Policy::parse(text, kind)
        .map(|p| Doc::new(text.to_string(), p))
        .map_err(|e| policy_error(&e))
}

/// AWS managed policies belong to AWS, not to the caller's account: changing one
/// is denied as any request on another account's resource without a resource
/// policy is.
fn owned_by_account(ctx: &RequestContext, action: &str, arn: &str) -> Result<(), ApiError> {
    if !super::aws::is_aws(arn) {
        return Ok(());
    }
    Err(ApiError::new(
        403,
        "AccessDenied",
        format!(
            "User: {} is not authorized to perform: {action} on resource: policy {arn} \
             because no resource-based policy allows the {action} action",
            ctx.caller.arn
        ),
    ))
}

fn not_attachable(arn: &str) -> ApiError {
    no_such_entity(format!("Policy {arn} does not exist or is not attachable."))
}

/// The action names per kind of entity.
fn verb(kind: Kind, what: &str) -> String {
    let noun = match kind {
        Kind::User => "User",
        Kind::Group => "Group",
        Kind::Role => "Role",
    };
    format!("iam:{what}{noun}Policy")
}

impl Iam {
    /// A managed policy usable as a permissions boundary.
    pub(crate) fn boundary_policy(
        &self,
        inner: &Inner,
        arn: &str,
    ) -> Result<Arc<ManagedPolicy>, ApiError> {
        inner
            .policy_by_arn(arn)
            .cloned()
            .ok_or_else(|| invalid_boundary(arn))
    }

    pub(crate) fn wire_policy(inner: &Inner, p: &ManagedPolicy, full: bool) -> w::Policy {
        let attachments = [Kind::User, Kind::Group, Kind::Role]
            .iter()
            .flat_map(|k| inner.entities(*k).values())
            .filter(|e| e.attached.contains(&p.arn))
            .count();
        let boundaries = [Kind::User, Kind::Role]
            .iter()
            .flat_map(|k| inner.entities(*k).values())
            .filter(|e| e.boundary.as_deref() == Some(p.arn.as_str()))
            .count();
        w::Policy {
            policy_name: Some(p.name.clone()),
            policy_id: Some(p.id.clone()),
            arn: Some(p.arn.clone()),
            path: Some(p.path.clone()),
            default_version_id: Some(p.default_version.clone()),
            attachment_count: Some(i32::try_from(attachments).unwrap_or(i32::MAX)),
            permissions_boundary_usage_count: Some(i32::try_from(boundaries).unwrap_or(i32::MAX)),
            is_attachable: Some(true),
            description: if full { p.description.clone() } else { None },
            create_date: Some(Timestamp::from_unix(p.created)),
            update_date: Some(Timestamp::from_unix(p.updated)),
            tags: (full && !p.tags.is_empty()).then(|| wire_tags(&p.tags)),
        }
    }

    fn managed(&self, arn: &str) -> Result<Arc<ManagedPolicy>, ApiError> {
        self.read()?
            .policy_by_arn(arn)
            .cloned()
            .ok_or_else(|| no_such_entity(format!("Policy {arn} was not found.")))
    }

    fn replace_policy(&self, policy: ManagedPolicy) -> Result<Arc<ManagedPolicy>, ApiError> {
        let policy = Arc::new(policy);
        self.commit(
            |tx| self.put_policy(tx, &policy),
            |inner| {
                inner
                    .policies
                    .insert(policy.name.to_ascii_lowercase(), Arc::clone(&policy));
            },
        )?;
        Ok(policy)
    }

    // ---- inline policies ----

    fn put_inline(
        &self,
        ctx: &RequestContext,
        kind: Kind,
        name: &str,
        policy_name: &str,
        text: &str,
    ) -> Result<Arc<Entity>, ApiError> {
        let e = Self::entity(&*self.read()?, kind, name)?;
        self.allow(ctx, &verb(kind, "Put"), &e.arn, &|_| {})?;
        let doc = parse(text, kind.inline_kind())?;
        self.update_entity(kind, name, |_, e| {
            let size = |t: &str| SizeLimit::NonWhitespaceChars(0).measure(t).0;
            let total: usize = e
                .inline
                .iter()
                .filter(|(n, _)| n.as_str() != policy_name)
                .map(|(_, d)| size(&d.text))
                .sum::<usize>()
                + size(text);
            if total > kind.inline_quota() {
                return Err(limit_exceeded(format!(
                    "Maximum policy size of {} bytes exceeded for {} {}",
                    kind.inline_quota(),
                    kind.noun(),
                    e.name
                )));
            }
            e.inline.insert(policy_name.to_string(), doc);
            Ok(())
        })
    }

    fn get_inline(
        &self,
        ctx: &RequestContext,
        kind: Kind,
        name: &str,
        policy_name: &str,
    ) -> Result<(Arc<Entity>, String), ApiError> {
        let e = Self::entity(&*self.read()?, kind, name)?;
        self.allow(ctx, &verb(kind, "Get"), &e.arn, &|_| {})?;
        let text = e
            .inline
            .get(policy_name)
            .map(|d| encode_document(&d.text))
            .ok_or_else(|| {
                no_such_entity(format!(
                    "The {} policy with name {policy_name} cannot be found.",
                    kind.noun()
                ))
            })?;
        Ok((e, text))
    }

    fn delete_inline(
        &self,
        ctx: &RequestContext,
        kind: Kind,
        name: &str,
        policy_name: &str,
    ) -> Result<Arc<Entity>, ApiError> {
        let e = Self::entity(&*self.read()?, kind, name)?;
        self.allow(ctx, &verb(kind, "Delete"), &e.arn, &|_| {})?;
        self.update_entity(kind, name, |_, e| {
            e.inline.remove(policy_name).map(|_| ()).ok_or_else(|| {
                no_such_entity(format!(
                    "The {} policy with name {policy_name} cannot be found.",
                    kind.noun()
                ))
            })
        })
    }

    fn list_inline(
        &self,
        ctx: &RequestContext,
        kind: Kind,
        name: &str,
        marker: Option<&str>,
        max_items: Option<i32>,
    ) -> Result<(Vec<String>, Option<String>), ApiError> {
        let e = Self::entity(&*self.read()?, kind, name)?;
        let action = match kind {
            Kind::User => "iam:ListUserPolicies",
            Kind::Group => "iam:ListGroupPolicies",
            Kind::Role => "iam:ListRolePolicies",
        };
        self.allow(ctx, action, &e.arn, &|_| {})?;
        let items: Vec<(String, String)> =
            e.inline.keys().map(|k| (k.clone(), k.clone())).collect();
        page(&items, marker, max_items)
    }

    pub(crate) fn put_user_policy(
        &self,
        ctx: &RequestContext,
        req: w::PutUserPolicyRequest,
    ) -> Out<()> {
        self.put_inline(
            ctx,
            Kind::User,
            req.user_name.as_deref().unwrap_or(""),
            req.policy_name.as_deref().unwrap_or(""),
            req.policy_document.as_deref().unwrap_or(""),
        )?;
        Ok(((), AuditInfo::default()))
    }

    pub(crate) fn put_group_policy(
        &self,
        ctx: &RequestContext,
        req: w::PutGroupPolicyRequest,
    ) -> Out<()> {
        self.put_inline(
            ctx,
            Kind::Group,
            req.group_name.as_deref().unwrap_or(""),
            req.policy_name.as_deref().unwrap_or(""),
            req.policy_document.as_deref().unwrap_or(""),
        )?;
        Ok(((), AuditInfo::default()))
    }

    pub(crate) fn put_role_policy(
        &self,
        ctx: &RequestContext,
        req: w::PutRolePolicyRequest,
    ) -> Out<()> {
        self.put_inline(
            ctx,
            Kind::Role,
            req.role_name.as_deref().unwrap_or(""),
            req.policy_name.as_deref().unwrap_or(""),
            req.policy_document.as_deref().unwrap_or(""),
        )?;
        Ok(((), AuditInfo::default()))
    }

    pub(crate) fn get_user_policy(
        &self,
        ctx: &RequestContext,
        req: w::GetUserPolicyRequest,
    ) -> Out<w::GetUserPolicyResponse> {
        let policy_name = req.policy_name.unwrap_or_default();
        let (e, doc) = self.get_inline(
            ctx,
            Kind::User,
            req.user_name.as_deref().unwrap_or(""),
            &policy_name,
        )?;
        Ok((
            w::GetUserPolicyResponse {
                user_name: Some(e.name.clone()),
                policy_name: Some(policy_name),
                policy_document: Some(doc),
            },
            AuditInfo::default(),
        ))
    }

    pub(crate) fn get_group_policy(
        &self,
        ctx: &RequestContext,
        req: w::GetGroupPolicyRequest,
    ) -> Out<w::GetGroupPolicyResponse> {
        let policy_name = req.policy_name.unwrap_or_default();
        let (e, doc) = self.get_inline(
            ctx,
            Kind::Group,
            req.group_name.as_deref().unwrap_or(""),
            &policy_name,
        )?;
        Ok((
            w::GetGroupPolicyResponse {
                group_name: Some(e.name.clone()),
                policy_name: Some(policy_name),
                policy_document: Some(doc),
            },
            AuditInfo::default(),
        ))
    }

    pub(crate) fn get_role_policy(
        &self,
        ctx: &RequestContext,
        req: w::GetRolePolicyRequest,
    ) -> Out<w::GetRolePolicyResponse> {
        let policy_name = req.policy_name.unwrap_or_default();
        let (e, doc) = self.get_inline(
            ctx,
            Kind::Role,
            req.role_name.as_deref().unwrap_or(""),
            &policy_name,
        )?;
        Ok((
            w::GetRolePolicyResponse {
                role_name: Some(e.name.clone()),
                policy_name: Some(policy_name),
                policy_document: Some(doc),
            },
            AuditInfo::default(),
        ))
    }

    pub(crate) fn delete_user_policy(
        &self,
        ctx: &RequestContext,
        req: w::DeleteUserPolicyRequest,
    ) -> Out<()> {
        self.delete_inline(
            ctx,
            Kind::User,
            req.user_name.as_deref().unwrap_or(""),
            req.policy_name.as_deref().unwrap_or(""),
        )?;
        Ok(((), AuditInfo::default()))
    }

    pub(crate) fn delete_group_policy(
        &self,
        ctx: &RequestContext,
        req: w::DeleteGroupPolicyRequest,
    ) -> Out<()> {
        self.delete_inline(
            ctx,
            Kind::Group,
            req.group_name.as_deref().unwrap_or(""),
            req.policy_name.as_deref().unwrap_or(""),
        )?;
        Ok(((), AuditInfo::default()))
    }

    pub(crate) fn delete_role_policy(
        &self,
        ctx: &RequestContext,
        req: w::DeleteRolePolicyRequest,
    ) -> Out<()> {
        self.delete_inline(
            ctx,
            Kind::Role,
            req.role_name.as_deref().unwrap_or(""),
            req.policy_name.as_deref().unwrap_or(""),
        )?;
        Ok(((), AuditInfo::default()))
    }

    pub(crate) fn list_user_policies(
        &self,
        ctx: &RequestContext,
        req: w::ListUserPoliciesRequest,
    ) -> Out<w::ListUserPoliciesResponse> {
        let (names, marker) = self.list_inline(
            ctx,
            Kind::User,
            req.user_name.as_deref().unwrap_or(""),
            req.marker.as_deref(),
            req.max_items,
        )?;
        Ok((
            w::ListUserPoliciesResponse {
                policy_names: Some(names),
                is_truncated: Some(marker.is_some()),
                marker,
            },
            AuditInfo::default(),
        ))
    }

    pub(crate) fn list_group_policies(
        &self,
        ctx: &RequestContext,
        req: w::ListGroupPoliciesRequest,
    ) -> Out<w::ListGroupPoliciesResponse> {
        let (names, marker) = self.list_inline(
            ctx,
            Kind::Group,
            req.group_name.as_deref().unwrap_or(""),
            req.marker.as_deref(),
            req.max_items,
        )?;
        Ok((
            w::ListGroupPoliciesResponse {
                policy_names: Some(names),
                is_truncated: Some(marker.is_some()),
                marker,
            },
            AuditInfo::default(),
        ))
    }

    pub(crate) fn list_role_policies(
        &self,
        ctx: &RequestContext,
        req: w::ListRolePoliciesRequest,
    ) -> Out<w::ListRolePoliciesResponse> {
        let (names, marker) = self.list_inline(
            ctx,
            Kind::Role,
            req.role_name.as_deref().unwrap_or(""),
            req.marker.as_deref(),
            req.max_items,
        )?;
        Ok((
            w::ListRolePoliciesResponse {
                policy_names: Some(names),
                is_truncated: Some(marker.is_some()),
                marker,
            },
            AuditInfo::default(),
        ))
    }

    // ---- managed policies ----

    pub(crate) fn create_policy(
        &self,
        ctx: &RequestContext,
        req: w::CreatePolicyRequest,
    ) -> Out<w::CreatePolicyResponse> {
        let name = req.policy_name.unwrap_or_default();
        let path = req.path.unwrap_or_else(|| "/".into());
        let arn = self.arn("policy", &path, &name);
        let tags = req.tags.unwrap_or_default();
        self.allow(ctx, "iam:CreatePolicy", &arn, &|c| request_tags(c, &tags))?;
        let doc = parse(
            req.policy_document.as_deref().unwrap_or(""),
            PolicyKind::Managed,
        )?;
        let now = self.clock.now();
        let policy = ManagedPolicy {
            name: name.clone(),
            id: new_id("ANPA")?,
            arn,
            path,
            description: req.description,
            created: now,
            updated: now,
            default_version: "v1".into(),
            versions: vec![PolicyVersion {
                id: "v1".into(),
                doc,
                created: now,
            }],
            next_version: 2,
            tags: tags
                .iter()
                .map(|t| super::model::Tag {
                    key: t.key.clone().unwrap_or_default(),
                    value: t.value.clone().unwrap_or_default(),
                })
                .collect(),
        };
        let policy = Arc::new(policy);
        let key = name.to_ascii_lowercase();
        {
            let mut inner = self.write_state()?;
            if inner.policies.contains_key(&key) {
                return Err(already_exists(format!(
                    "A policy called {name} already exists. Duplicate names are not allowed."
                )));
            }
            self.store.transaction(|tx| self.put_policy(tx, &policy))?;
            inner.policies.insert(key, Arc::clone(&policy));
        }
        let inner = self.read()?;
        Ok((
            w::CreatePolicyResponse {
                policy: Some(Self::wire_policy(&inner, &policy, true)),
            },
            audit_policy(&policy),
        ))
    }

    pub(crate) fn get_policy(
        &self,
        ctx: &RequestContext,
        req: w::GetPolicyRequest,
    ) -> Out<w::GetPolicyResponse> {
        let arn = req.policy_arn.unwrap_or_default();
        let policy = self.managed(&arn)?;
        self.allow(ctx, "iam:GetPolicy", &arn, &|_| {})?;
        let inner = self.read()?;
        Ok((
            w::GetPolicyResponse {
                policy: Some(Self::wire_policy(&inner, &policy, true)),
            },
            audit_policy(&policy),
        ))
    }

    pub(crate) fn list_policies(
        &self,
        ctx: &RequestContext,
        req: w::ListPoliciesRequest,
    ) -> Out<w::ListPoliciesResponse> {
        self.allow(
            ctx,
            "iam:ListPolicies",
            &self.arn("policy", "/", "*"),
            &|_| {},
        )?;
        let inner = self.read()?;
        let prefix = req.path_prefix.as_deref().unwrap_or("/");
        let only_attached = req.only_attached.unwrap_or(false);
        // Scope: `Local` (the account's), `AWS` (AWS managed), `All` (default).
        // AWS's are listed first, each kind in name order.
        let scope = req.scope.as_deref().unwrap_or("All");
        let aws = super::aws::all()
            .values()
            .filter(|_| scope != "Local")
            .map(|p| (format!("0/{}", p.name.to_ascii_lowercase()), p));
        let local = inner
            .policies
            .iter()
            .filter(|_| scope != "AWS")
            .map(|(k, p)| (format!("1/{k}"), p));
        let mut found: Vec<(String, &Arc<ManagedPolicy>)> = aws.chain(local).collect();
        found.sort_by(|a, b| a.0.cmp(&b.0));
        let items: Vec<(String, w::Policy)> = found
            .into_iter()
            .filter(|(_, p)| p.path.starts_with(prefix))
            .map(|(k, p)| (k, Self::wire_policy(&inner, p, false)))
            .filter(|(_, p)| {
                !only_attached
                    || p.attachment_count.unwrap_or(0) > 0
                    || p.permissions_boundary_usage_count.unwrap_or(0) > 0
            })
            .collect();
        let (policies, marker) = page(&items, req.marker.as_deref(), req.max_items)?;
        Ok((
            w::ListPoliciesResponse {
                policies: Some(policies),
                is_truncated: Some(marker.is_some()),
                marker,
            },
            AuditInfo::default(),
        ))
    }

    pub(crate) fn delete_policy(
        &self,
        ctx: &RequestContext,
        req: w::DeletePolicyRequest,
    ) -> Out<()> {
        let arn = req.policy_arn.unwrap_or_default();
        let policy = self.managed(&arn)?;
        self.allow(ctx, "iam:DeletePolicy", &arn, &|_| {})?;
        owned_by_account(ctx, "iam:DeletePolicy", &arn)?;
        let mut inner = self.write_state()?;
        let used = [Kind::User, Kind::Group, Kind::Role]
            .iter()
            .flat_map(|k| inner.entities(*k).values())
            .any(|e| e.attached.contains(&arn) || e.boundary.as_deref() == Some(arn.as_str()));
        if used {
            return Err(delete_conflict(
                "Cannot delete a policy attached to entities.",
            ));
        }
        if policy.versions.len() > 1 {
            return Err(delete_conflict(
                "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.",
            ));
        }
        let key = policy.name.to_ascii_lowercase();
        self.store.transaction(|tx| {
            tx.delete("iam.policy", &key).map_err(internal)?;
            Ok::<(), ApiError>(())
        })?;
        inner.policies.remove(&key);
        Ok(((), audit_policy(&policy)))
    }

    pub(crate) fn create_policy_version(
        &self,
        ctx: &RequestContext,
        req: w::CreatePolicyVersionRequest,
    ) -> Out<w::CreatePolicyVersionResponse> {
        let arn = req.policy_arn.unwrap_or_default();
        let current = self.managed(&arn)?;
        self.allow(ctx, "iam:CreatePolicyVersion", &arn, &|_| {})?;
        owned_by_account(ctx, "iam:CreatePolicyVersion", &arn)?;
        let doc = parse(
            req.policy_document.as_deref().unwrap_or(""),
            PolicyKind::Managed,
        )?;
        if current.versions.len() >= MAX_VERSIONS {
            return Err(limit_exceeded(format!(
                "A managed policy can have up to {MAX_VERSIONS} versions. Before you create a new version, you must delete an existing version."
            )));
        }
        let now = self.clock.now();
        let mut policy = (*current).clone();
        let id = format!("v{}", policy.next_version);
        policy.next_version += 1;
        policy.versions.push(PolicyVersion {
            id: id.clone(),
            doc,
            created: now,
        });
        let default = req.set_as_default.unwrap_or(false);
        if default {
            policy.default_version = id.clone();
            policy.updated = now;
        }
        let policy = self.replace_policy(policy)?;
        Ok((
            w::CreatePolicyVersionResponse {
                policy_version: Some(w::PolicyVersion {
                    document: None,
                    version_id: Some(id),
                    is_default_version: Some(default),
                    create_date: Some(Timestamp::from_unix(now)),
                }),
            },
            audit_policy(&policy),
        ))
    }

    fn version_of<'p>(
        policy: &'p ManagedPolicy,
        version: &str,
    ) -> Result<&'p PolicyVersion, ApiError> {
        policy
            .versions
            .iter()
            .find(|v| v.id == version)
            .ok_or_else(|| {
                no_such_entity(format!(
                    "Policy {} version {version} does not exist or is not attachable.",
                    policy.arn
                ))
            })
    }

    pub(crate) fn get_policy_version(
        &self,
        ctx: &RequestContext,
        req: w::GetPolicyVersionRequest,
    ) -> Out<w::GetPolicyVersionResponse> {
        let arn = req.policy_arn.unwrap_or_default();
        let policy = self.managed(&arn)?;
        self.allow(ctx, "iam:GetPolicyVersion", &arn, &|_| {})?;
        let v = Self::version_of(&policy, req.version_id.as_deref().unwrap_or(""))?;
        Ok((
            w::GetPolicyVersionResponse {
                policy_version: Some(w::PolicyVersion {
                    document: Some(encode_document(&v.doc.text)),
                    version_id: Some(v.id.clone()),
                    is_default_version: Some(v.id == policy.default_version),
                    create_date: Some(Timestamp::from_unix(v.created)),
                }),
            },
            audit_policy(&policy),
        ))
    }

    pub(crate) fn list_policy_versions(
        &self,
        ctx: &RequestContext,
        req: w::ListPolicyVersionsRequest,
    ) -> Out<w::ListPolicyVersionsResponse> {
        let arn = req.policy_arn.unwrap_or_default();
        let policy = self.managed(&arn)?;
        self.allow(ctx, "iam:ListPolicyVersions", &arn, &|_| {})?;
        // Newest first, as AWS lists them.
        let items: Vec<(String, w::PolicyVersion)> = policy
            .versions
            .iter()
            .rev()
            .enumerate()
            .map(|(i, v)| {
                (
                    format!("{i:03}"),
                    w::PolicyVersion {
                        document: None,
                        version_id: Some(v.id.clone()),
                        is_default_version: Some(v.id == policy.default_version),
                        create_date: Some(Timestamp::from_unix(v.created)),
                    },
                )
            })
            .collect();
        let (versions, marker) = page(&items, req.marker.as_deref(), req.max_items)?;
        Ok((
            w::ListPolicyVersionsResponse {
                versions: Some(versions),
                is_truncated: Some(marker.is_some()),
                marker,
            },
            audit_policy(&policy),
        ))
    }

    pub(crate) fn set_default_policy_version(
        &self,
        ctx: &RequestContext,
        req: w::SetDefaultPolicyVersionRequest,
    ) -> Out<()> {
        let arn = req.policy_arn.unwrap_or_default();
        let current = self.managed(&arn)?;
        self.allow(ctx, "iam:SetDefaultPolicyVersion", &arn, &|_| {})?;
        owned_by_account(ctx, "iam:SetDefaultPolicyVersion", &arn)?;
        let version = req.version_id.unwrap_or_default();
        Self::version_of(&current, &version)?;
        let mut policy = (*current).clone();
        policy.default_version = version;
        policy.updated = self.clock.now();
        let policy = self.replace_policy(policy)?;
        Ok(((), audit_policy(&policy)))
    }

    pub(crate) fn delete_policy_version(
        &self,
        ctx: &RequestContext,
        req: w::DeletePolicyVersionRequest,
    ) -> Out<()> {
        let arn = req.policy_arn.unwrap_or_default();
        let current = self.managed(&arn)?;
        self.allow(ctx, "iam:DeletePolicyVersion", &arn, &|_| {})?;
        owned_by_account(ctx, "iam:DeletePolicyVersion", &arn)?;
        let version = req.version_id.unwrap_or_default();
        Self::version_of(&current, &version)?;
        if version == current.default_version {
            return Err(delete_conflict(
                "Cannot delete the default version of a policy.",
            ));
        }
        let mut policy = (*current).clone();
        policy.versions.retain(|v| v.id != version);
        let policy = self.replace_policy(policy)?;
        Ok(((), audit_policy(&policy)))
    }

    pub(crate) fn list_entities_for_policy(
        &self,
        ctx: &RequestContext,
        req: w::ListEntitiesForPolicyRequest,
    ) -> Out<w::ListEntitiesForPolicyResponse> {
        let arn = req.policy_arn.unwrap_or_default();
        let policy = self.managed(&arn)?;
        self.allow(ctx, "iam:ListEntitiesForPolicy", &arn, &|_| {})?;
        let inner = self.read()?;
        let filter = req.entity_filter.as_deref();
        let prefix = req.path_prefix.as_deref().unwrap_or("/");
        let by_boundary = req.policy_usage_filter.as_deref() == Some("PermissionsBoundary");
        let by_policy = req.policy_usage_filter.as_deref() == Some("PermissionPolicy");
        let wanted = |e: &Entity| {
            let attached = e.attached.contains(&arn);
            let boundary = e.boundary.as_deref() == Some(arn.as_str());
            e.path.starts_with(prefix)
                && if by_boundary {
                    boundary
                } else if by_policy {
                    attached
                } else {
                    attached || boundary
                }
        };
        let mut items: Vec<(String, (Kind, String, String))> = Vec::new();
        for (kind, name) in [
            (Kind::Group, "Group"),
            (Kind::Role, "Role"),
            (Kind::User, "User"),
        ] {
            if filter.is_some_and(|f| f != name) && filter != Some("LocalManagedPolicy") {
                continue;
            }
            for (k, e) in inner.entities(kind) {
                if wanted(e) {
                    items.push((format!("{name}/{k}"), (kind, e.name.clone(), e.id.clone())));
                }
            }
        }
        let (found, marker) = page(&items, req.marker.as_deref(), req.max_items)?;
        let mut out = w::ListEntitiesForPolicyResponse {
            policy_groups: Some(Vec::new()),
            policy_users: Some(Vec::new()),
            policy_roles: Some(Vec::new()),
            is_truncated: Some(marker.is_some()),
            marker,
        };
        for (kind, name, id) in found {
            match kind {
                Kind::Group => out
                    .policy_groups
                    .get_or_insert_default()
                    .push(w::PolicyGroup {
                        group_name: Some(name),
                        group_id: Some(id),
                    }),
                Kind::User => out
                    .policy_users
                    .get_or_insert_default()
                    .push(w::PolicyUser {
                        user_name: Some(name),
                        user_id: Some(id),
                    }),
                Kind::Role => out
                    .policy_roles
                    .get_or_insert_default()
                    .push(w::PolicyRole {
                        role_name: Some(name),
                        role_id: Some(id),
                    }),
            }
        }
        Ok((out, audit_policy(&policy)))
    }

    // ---- attachments ----

    fn attach(
        &self,
        ctx: &RequestContext,
        kind: Kind,
        name: &str,
        arn: &str,
    ) -> Result<(), ApiError> {
        let e = Self::entity(&*self.read()?, kind, name)?;
        self.allow(ctx, &verb(kind, "Attach"), &e.arn, &|c| {
            c.insert("iam:PolicyARN", ContextValue::string(arn));
        })?;
        if self.read()?.policy_by_arn(arn).is_none() {
            return Err(not_attachable(arn));
        }
        self.update_entity(kind, name, |inner, e| {
            if inner.policy_by_arn(arn).is_none() {
                return Err(not_attachable(arn));
            }
            if !e.attached.contains(arn) && e.attached.len() >= ATTACHED_QUOTA {
                return Err(limit_exceeded(format!(
                    "Cannot exceed quota for {}: {ATTACHED_QUOTA}",
                    kind.attached_quota_name()
                )));
            }
            e.attached.insert(arn.to_string());
            Ok(())
        })?;
        Ok(())
    }

    fn detach(
        &self,
        ctx: &RequestContext,
        kind: Kind,
        name: &str,
        arn: &str,
    ) -> Result<(), ApiError> {
        let e = Self::entity(&*self.read()?, kind, name)?;
        self.allow(ctx, &verb(kind, "Detach"), &e.arn, &|c| {
            c.insert("iam:PolicyARN", ContextValue::string(arn));
        })?;
        self.update_entity(kind, name, |_, e| {
            if e.attached.remove(arn) {
                Ok(())
            } else {
                Err(no_such_entity(format!("Policy {arn} was not found.")))
            }
        })?;
        Ok(())
    }

    fn list_attached(
        &self,
        ctx: &RequestContext,
        kind: Kind,
        name: &str,
        prefix: Option<&str>,
        marker: Option<&str>,
        max_items: Option<i32>,
    ) -> Result<(Vec<w::AttachedPolicy>, Option<String>), ApiError> {
        let inner = self.read()?;
        let e = Self::entity(&inner, kind, name)?;
        let action = match kind {
            Kind::User => "iam:ListAttachedUserPolicies",
            Kind::Group => "iam:ListAttachedGroupPolicies",
            Kind::Role => "iam:ListAttachedRolePolicies",
        };
        self.allow(ctx, action, &e.arn, &|_| {})?;
        let prefix = prefix.unwrap_or("/");
        let items: Vec<(String, w::AttachedPolicy)> = e
            .attached
            .iter()
            .filter_map(|arn| inner.policy_by_arn(arn))
            .filter(|p| p.path.starts_with(prefix))
            .map(|p| {
                (
                    p.arn.clone(),
                    w::AttachedPolicy {
                        policy_name: Some(p.name.clone()),
                        policy_arn: Some(p.arn.clone()),
                    },
                )
            })
            .collect();
        page(&items, marker, max_items)
    }

    pub(crate) fn attach_user_policy(
        &self,
        ctx: &RequestContext,
        req: w::AttachUserPolicyRequest,
    ) -> Out<()> {
        self.attach(
            ctx,
            Kind::User,
            req.user_name.as_deref().unwrap_or(""),
            req.policy_arn.as_deref().unwrap_or(""),
        )?;
        Ok(((), AuditInfo::default()))
    }

    pub(crate) fn attach_group_policy(
        &self,
        ctx: &RequestContext,
        req: w::AttachGroupPolicyRequest,
    ) -> Out<()> {
        self.attach(
            ctx,
            Kind::Group,
            req.group_name.as_deref().unwrap_or(""),
            req.policy_arn.as_deref().unwrap_or(""),
        )?;
        Ok(((), AuditInfo::default()))
    }

    pub(crate) fn attach_role_policy(
        &self,
        ctx: &RequestContext,
        req: w::AttachRolePolicyRequest,
    ) -> Out<()> {
        self.attach(
            ctx,
            Kind::Role,
            req.role_name.as_deref().unwrap_or(""),
            req.policy_arn.as_deref().unwrap_or(""),
        )?;
        Ok(((), AuditInfo::default()))
    }

    pub(crate) fn detach_user_policy(
        &self,
        ctx: &RequestContext,
        req: w::DetachUserPolicyRequest,
    ) -> Out<()> {
        self.detach(
            ctx,
            Kind::User,
            req.user_name.as_deref().unwrap_or(""),
            req.policy_arn.as_deref().unwrap_or(""),
        )?;
        Ok(((), AuditInfo::default()))
    }

    pub(crate) fn detach_group_policy(
        &self,
        ctx: &RequestContext,
        req: w::DetachGroupPolicyRequest,
    ) -> Out<()> {
        self.detach(
            ctx,
            Kind::Group,
            req.group_name.as_deref().unwrap_or(""),
            req.policy_arn.as_deref().unwrap_or(""),
        )?;
        Ok(((), AuditInfo::default()))
    }

    pub(crate) fn detach_role_policy(
        &self,
        ctx: &RequestContext,
        req: w::DetachRolePolicyRequest,
    ) -> Out<()> {
        self.detach(
            ctx,
            Kind::Role,
            req.role_name.as_deref().unwrap_or(""),
            req.policy_arn.as_deref().unwrap_or(""),
        )?;
        Ok(((), AuditInfo::default()))
    }

    pub(crate) fn list_attached_user_policies(
        &self,
        ctx: &RequestContext,
        req: w::ListAttachedUserPoliciesRequest,
    ) -> Out<w::ListAttachedUserPoliciesResponse> {
        let (policies, marker) = self.list_attached(
            ctx,
            Kind::User,
            req.user_name.as_deref().unwrap_or(""),
            req.path_prefix.as_deref(),
            req.marker.as_deref(),
            req.max_items,
        )?;
        Ok((
            w::ListAttachedUserPoliciesResponse {
                attached_policies: Some(policies),
                is_truncated: Some(marker.is_some()),
                marker,
            },
            AuditInfo::default(),
        ))
    }

    pub(crate) fn list_attached_group_policies(
        &self,
        ctx: &RequestContext,
        req: w::ListAttachedGroupPoliciesRequest,
    ) -> Out<w::ListAttachedGroupPoliciesResponse> {
        let (policies, marker) = self.list_attached(
            ctx,
            Kind::Group,
            req.group_name.as_deref().unwrap_or(""),
            req.path_prefix.as_deref(),
            req.marker.as_deref(),
            req.max_items,
        )?;
        Ok((
            w::ListAttachedGroupPoliciesResponse {
                attached_policies: Some(policies),
                is_truncated: Some(marker.is_some()),
                marker,
            },
            AuditInfo::default(),
        ))
    }

    pub(crate) fn list_attached_role_policies(
        &self,
        ctx: &RequestContext,
        req: w::ListAttachedRolePoliciesRequest,
    ) -> Out<w::ListAttachedRolePoliciesResponse> {
        let (policies, marker) = self.list_attached(
            ctx,
            Kind::Role,
            req.role_name.as_deref().unwrap_or(""),
            req.path_prefix.as_deref(),
            req.marker.as_deref(),
            req.max_items,
        )?;
        Ok((
            w::ListAttachedRolePoliciesResponse {
                attached_policies: Some(policies),
                is_truncated: Some(marker.is_some()),
                marker,
            },
            AuditInfo::default(),
        ))
    }

    // ---- permissions boundaries ----

    fn put_boundary(
        &self,
        ctx: &RequestContext,
        kind: Kind,
        name: &str,
        arn: &str,
    ) -> Result<(), ApiError> {
        let e = Self::entity(&*self.read()?, kind, name)?;
        let action = if kind == Kind::User {
            "iam:PutUserPermissionsBoundary"
        } else {
            "iam:PutRolePermissionsBoundary"
        };
        self.allow(ctx, action, &e.arn, &|c| {
            c.insert("iam:PermissionsBoundary", ContextValue::string(arn));
        })?;
        self.update_entity(kind, name, |inner, e| {
            self.boundary_policy(inner, arn)?;
            e.boundary = Some(arn.to_string());
            Ok(())
        })?;
        Ok(())
    }

    fn delete_boundary(
        &self,
        ctx: &RequestContext,
        kind: Kind,
        name: &str,
    ) -> Result<(), ApiError> {
        let e = Self::entity(&*self.read()?, kind, name)?;
        let action = if kind == Kind::User {
            "iam:DeleteUserPermissionsBoundary"
        } else {
            "iam:DeleteRolePermissionsBoundary"
        };
        self.allow(ctx, action, &e.arn, &|_| {})?;
        self.update_entity(kind, name, |_, e| {
            e.boundary = None;
            Ok(())
        })?;
        Ok(())
    }

    pub(crate) fn put_user_permissions_boundary(
        &self,
        ctx: &RequestContext,
        req: w::PutUserPermissionsBoundaryRequest,
    ) -> Out<()> {
        self.put_boundary(
            ctx,
            Kind::User,
            req.user_name.as_deref().unwrap_or(""),
            req.permissions_boundary.as_deref().unwrap_or(""),
        )?;
        Ok(((), AuditInfo::default()))
    }

    pub(crate) fn put_role_permissions_boundary(
        &self,
        ctx: &RequestContext,
        req: w::PutRolePermissionsBoundaryRequest,
    ) -> Out<()> {
        self.put_boundary(
            ctx,
            Kind::Role,
            req.role_name.as_deref().unwrap_or(""),
            req.permissions_boundary.as_deref().unwrap_or(""),
        )?;
        Ok(((), AuditInfo::default()))
    }

    pub(crate) fn delete_user_permissions_boundary(
        &self,
        ctx: &RequestContext,
        req: w::DeleteUserPermissionsBoundaryRequest,
    ) -> Out<()> {
        self.delete_boundary(ctx, Kind::User, req.user_name.as_deref().unwrap_or(""))?;
        Ok(((), AuditInfo::default()))
    }

    pub(crate) fn delete_role_permissions_boundary(
        &self,
        ctx: &RequestContext,
        req: w::DeleteRolePermissionsBoundaryRequest,
    ) -> Out<()> {
        self.delete_boundary(ctx, Kind::Role, req.role_name.as_deref().unwrap_or(""))?;
        Ok(((), AuditInfo::default()))
    }
}

/// AWS's error for a boundary that names no usable managed policy.
fn invalid_boundary(arn: &str) -> ApiError {
    no_such_entity(format!(
        "Scope ARN: {arn} does not exist or is not attachable."
    ))
}
