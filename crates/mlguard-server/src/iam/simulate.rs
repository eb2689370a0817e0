//! The policy simulator (SimulateCustomPolicy, SimulatePrincipalPolicy) over the
//! same engine that authorizes every request, and GetAccountAuthorizationDetails
//! (the input of Parliament, cloudsplaining and `mlguard`'s own analyzers).

use std::sync::Arc;

use mlguard_policy::{
    Context, ContextType, ContextValue, Decision, Policy, PolicyKind, PolicySet, PolicySource,
    Principal, Request, authorize,
};
use mlguard_wire::Timestamp;
use mlguard_wire::iam as w;

use super::entities::{policy_error, wire_group};
use super::model::{Entity, Kind};
use super::{Iam, Out, encode_document, invalid_input, page, wire_tags};
use crate::audit::AuditInfo;
use crate::context::RequestContext;
use crate::error::ApiError;

/// A policy taking part in a simulation, with how AWS names its source.
struct Source {
    policy: Arc<Policy>,
    id: String,
    kind: &'static str,
}

/// Everything one simulation evaluates.
struct Simulation {
    identity: Vec<Source>,
    boundary: Vec<Source>,
    resource: Option<Source>,
    resource_owner: Option<String>,
    principal: Principal,
    context: Context,
}

fn parse_inputs(
    texts: &[String],
    kind: PolicyKind,
    id_prefix: &str,
    source_kind: &'static str,
) -> Result<Vec<Source>, ApiError> {
    texts
        .iter()
        .enumerate()
        .map(|(i, text)| {
            Policy::parse(text, kind)
                .map(|p| Source {
                    policy: Arc::new(p),
                    id: format!("{id_prefix}.{}", i + 1),
                    kind: source_kind,
                })
                .map_err(|e| policy_error(&e))
        })
        .collect()
}

/// The identity-based policies of the user, group or role `arn` (a user's include
/// its groups'), as the simulator and `GetContextKeysForPrincipalPolicy` read them.
fn entity_policies(
    inner: &super::Inner,
    arn: &str,
) -> Result<(Arc<Entity>, Vec<Source>), ApiError> {
    let entity = [Kind::User, Kind::Group, Kind::Role]
        .iter()
        .flat_map(|k| inner.entities(*k).values())
        .find(|e| e.arn == arn)
        .cloned()
        .ok_or_else(|| super::no_such_entity(format!("Could not find entity {arn}.")))?;
    let mut sources = Vec::new();
    let mut add = |e: &Entity| {
        for (name, doc) in &e.inline {
            if let Some(p) = &doc.policy {
                sources.push(Source {
                    policy: Arc::clone(p),
                    id: name.clone(),
                    kind: e.kind.noun(),
                });
            }
        }
        for policy_arn in &e.attached {
            if let Some(p) = inner.policy_by_arn(policy_arn)
                && let Some(policy) = p.default_policy()
            {
                sources.push(Source {
                    policy: Arc::clone(policy),
                    id: p.name.clone(),
                    kind: "user-managed",
                });
            }
        }
    };
    add(&entity);
    for g in &entity.groups {
        if let Some(group) = inner.groups.get(g) {
            add(group);
        }
    }
    Ok((entity, sources))
}

/// Every context key the policies refer to, each once, in the order met.
fn context_keys(sources: &[Source]) -> w::GetContextKeysForPolicyResponse {
    let mut keys: Vec<String> = Vec::new();
    for source in sources {
        for key in source.policy.context_keys() {
            if !keys.iter().any(|k| k.eq_ignore_ascii_case(key)) {
                keys.push(key.to_string());
            }
        }
    }
    w::GetContextKeysForPolicyResponse {
        context_key_names: Some(keys),
    }
}

fn context_from(entries: &[w::ContextEntry]) -> Result<Context, ApiError> {
    let mut context = Context::new();
    for entry in entries {
        let name = entry.context_key_name.clone().unwrap_or_default();
        let kind: ContextType = entry
            .context_key_type
            .as_deref()
            .unwrap_or("string")
            .parse()
            .map_err(|_| invalid_input(format!("Invalid context key type for {name}.")))?;
        let values = entry.context_key_values.clone().unwrap_or_default();
        let value = ContextValue::typed(kind, values)
            .map_err(|e| invalid_input(format!("Invalid value for context key {name}: {e}")))?;
        context.insert(&name, value);
    }
    Ok(context)
}

fn position(policy: &Policy, offset: u32) -> w::Position {
    let at = policy.line_col(mlguard_policy::Span {
        start: offset,
        end: offset,
    });
    w::Position {
        line: i32::try_from(at.line).ok(),
        column: i32::try_from(at.column).ok(),
    }
}

impl Simulation {
    fn run(&self, action: &str, resource: &str) -> w::EvaluationResult {
        let identity: Vec<&Policy> = self.identity.iter().map(|s| s.policy.as_ref()).collect();
        let boundary: Vec<&Policy> = self.boundary.iter().map(|s| s.policy.as_ref()).collect();
        let set = PolicySet {
            identity: &identity,
            boundary: (!boundary.is_empty()).then_some(boundary.as_slice()),
            resource: self.resource.as_ref().map(|s| s.policy.as_ref()),
            ..PolicySet::default()
        };
        let request = Request {
            principal: &self.principal,
            action,
            resource,
            resource_account: self
                .resource_owner
                .as_deref()
                .and_then(|o| o.split(':').nth(4)),
            context: &self.context,
        };
        let evaluation = authorize(&set, &request);
        let matched = evaluation
            .matched
            .iter()
            .filter_map(|m| {
                let source = match m.source {
                    PolicySource::Identity => self.identity.get(m.policy),
                    PolicySource::Boundary => self.boundary.get(m.policy),
                    PolicySource::Resource => self.resource.as_ref(),
                    _ => None,
                }?;
                let statement = source.policy.statements.get(m.statement)?;
                Some(w::Statement {
                    source_policy_id: Some(source.id.clone()),
                    source_policy_type: Some(source.kind.to_string()),
                    start_position: Some(position(&source.policy, statement.span.start)),
                    end_position: Some(position(&source.policy, statement.span.end)),
                })
            })
            .collect();
        let decision = match evaluation.decision {
            Decision::Allowed => "allowed",
            Decision::ExplicitDeny => "explicitDeny",
            Decision::ImplicitDeny => "implicitDeny",
        };
        // Keys the policies read that the simulation did not supply.
        let mut missing: Vec<String> = self
            .identity
            .iter()
            .chain(&self.boundary)
            .chain(self.resource.iter())
            .flat_map(|s| s.policy.statements.iter())
            .flat_map(|st| st.conditions.iter())
            .map(|c| c.key.to_string())
            .filter(|k| self.context.get(k).is_none())
            .collect();
        missing.sort_by_key(|k| k.to_ascii_lowercase());
        missing.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
        w::EvaluationResult {
            eval_action_name: Some(action.to_string()),
            eval_resource_name: Some(resource.to_string()),
            eval_decision: Some(decision.to_string()),
            matched_statements: Some(matched),
            missing_context_values: Some(missing),
            organizations_decision_detail: None,
            permissions_boundary_decision_detail: (!self.boundary.is_empty()).then_some(
                w::PermissionsBoundaryDecisionDetail {
                    allowed_by_permissions_boundary: evaluation.votes.boundary_allows,
                },
            ),
            eval_decision_details: None,
            resource_specific_results: None,
        }
    }
}

impl Iam {
    fn simulate(
        &self,
        sim: &Simulation,
        actions: &[String],
        resources: Option<&Vec<String>>,
        marker: Option<&str>,
        max_items: Option<i32>,
    ) -> Result<w::SimulatePolicyResponse, ApiError> {
        let star = vec!["*".to_string()];
        let resources = resources.filter(|r| !r.is_empty()).unwrap_or(&star);
        let mut items = Vec::new();
        for (i, action) in actions.iter().enumerate() {
            for (j, resource) in resources.iter().enumerate() {
                items.push((format!("{i:05}{j:05}"), sim.run(action, resource)));
            }
        }
        let (results, marker) = page(&items, marker, max_items)?;
        Ok(w::SimulatePolicyResponse {
            evaluation_results: Some(results),
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }

    fn resource_policy(text: Option<&String>) -> Result<Option<Source>, ApiError> {
        text.map(|t| {
            Policy::parse(t, PolicyKind::Resource)
                .map(|p| Source {
                    policy: Arc::new(p),
                    id: "ResourcePolicy".into(),
                    kind: "Resource Policy",
                })
                .map_err(|e| policy_error(&e))
        })
        .transpose()
    }

    fn simulation_principal(&self, caller_arn: Option<&str>) -> Result<Principal, ApiError> {
        let arn =
            caller_arn.map_or_else(|| self.arn("user", "/", "SimulatedCaller"), str::to_string);
        Principal::from_arn(&arn).map_err(|_| invalid_input(format!("Invalid CallerArn: {arn}")))
    }

    pub(crate) fn simulate_custom_policy(
        &self,
        ctx: &RequestContext,
        req: w::SimulateCustomPolicyRequest,
    ) -> Out<w::SimulatePolicyResponse> {
        self.allow(ctx, "iam:SimulateCustomPolicy", "*", &|_| {})?;
        let sim = Simulation {
            // Inputs are identity policies of any kind: the largest quota applies.
            identity: parse_inputs(
                req.policy_input_list.as_deref().unwrap_or_default(),
                PolicyKind::RoleInline,
                "PolicyInputList",
                "IAM Policy",
            )?,
            boundary: parse_inputs(
                req.permissions_boundary_policy_input_list
                    .as_deref()
                    .unwrap_or_default(),
                PolicyKind::Boundary,
                "PermissionsBoundaryPolicyInputList",
                "IAM Policy",
            )?,
            resource: Self::resource_policy(req.resource_policy.as_ref())?,
            resource_owner: req.resource_owner.clone(),
            principal: self.simulation_principal(req.caller_arn.as_deref())?,
            context: context_from(req.context_entries.as_deref().unwrap_or_default())?,
        };
        let out = self.simulate(
            &sim,
            req.action_names.as_deref().unwrap_or_default(),
            req.resource_arns.as_ref(),
            req.marker.as_deref(),
            req.max_items,
        )?;
        Ok((out, AuditInfo::default()))
    }

    pub(crate) fn simulate_principal_policy(
        &self,
        ctx: &RequestContext,
        req: w::SimulatePrincipalPolicyRequest,
    ) -> Out<w::SimulatePolicyResponse> {
        let source_arn = req.policy_source_arn.clone().unwrap_or_default();
        self.allow(ctx, "iam:SimulatePrincipalPolicy", &source_arn, &|_| {})?;
        let inner = self.read()?;
        let (entity, mut identity) = entity_policies(&inner, &source_arn)?;
        identity.extend(parse_inputs(
            req.policy_input_list.as_deref().unwrap_or_default(),
            PolicyKind::RoleInline,
            "PolicyInputList",
            "IAM Policy",
        )?);
        let boundary = match req.permissions_boundary_policy_input_list.as_deref() {
            Some(list) if !list.is_empty() => parse_inputs(
                list,
                PolicyKind::Boundary,
                "PermissionsBoundaryPolicyInputList",
                "IAM Policy",
            )?,
            _ => entity
                .boundary
                .as_deref()
                .and_then(|arn| inner.policy_by_arn(arn))
                .and_then(|p| {
                    p.default_policy().map(|policy| Source {
                        policy: Arc::clone(policy),
                        id: p.name.clone(),
                        kind: "user-managed",
                    })
                })
                .into_iter()
                .collect(),
        };
        drop(inner);
        let caller = req
            .caller_arn
            .clone()
            .or_else(|| (entity.kind != Kind::Group).then(|| entity.arn.clone()));
        let sim = Simulation {
            identity,
            boundary,
            resource: Self::resource_policy(req.resource_policy.as_ref())?,
            resource_owner: req.resource_owner.clone(),
            principal: self.simulation_principal(caller.as_deref())?,
            context: context_from(req.context_entries.as_deref().unwrap_or_default())?,
        };
        let out = self.simulate(
            &sim,
            req.action_names.as_deref().unwrap_or_default(),
            req.resource_arns.as_ref(),
            req.marker.as_deref(),
            req.max_items,
        )?;
        Ok((out, AuditInfo::default()))
    }

    pub(crate) fn get_context_keys_for_custom_policy(
        &self,
        ctx: &RequestContext,
        req: w::GetContextKeysForCustomPolicyRequest,
    ) -> Out<w::GetContextKeysForPolicyResponse> {
        self.allow(ctx, "iam:GetContextKeysForCustomPolicy", "*", &|_| {})?;
        let inputs = parse_inputs(
            req.policy_input_list.as_deref().unwrap_or_default(),
            PolicyKind::RoleInline,
            "PolicyInputList",
            "IAM Policy",
        )?;
        Ok((context_keys(&inputs), AuditInfo::default()))
    }

    pub(crate) fn get_context_keys_for_principal_policy(
        &self,
        ctx: &RequestContext,
        req: w::GetContextKeysForPrincipalPolicyRequest,
    ) -> Out<w::GetContextKeysForPolicyResponse> {
        let source_arn = req.policy_source_arn.clone().unwrap_or_default();
        self.allow(
            ctx,
            "iam:GetContextKeysForPrincipalPolicy",
            &source_arn,
            &|_| {},
        )?;
        let (_, mut sources) = entity_policies(&*self.read()?, &source_arn)?;
        sources.extend(parse_inputs(
            req.policy_input_list.as_deref().unwrap_or_default(),
            PolicyKind::RoleInline,
            "PolicyInputList",
            "IAM Policy",
        )?);
        Ok((context_keys(&sources), AuditInfo::default()))
    }

    pub(crate) fn get_account_authorization_details(
        &self,
        ctx: &RequestContext,
        req: w::GetAccountAuthorizationDetailsRequest,
    ) -> Out<w::GetAccountAuthorizationDetailsResponse> {
        self.allow(ctx, "iam:GetAccountAuthorizationDetails", "*", &|_| {})?;
        let filter = req.filter.unwrap_or_default();
        let wants = |f: &str| filter.is_empty() || filter.iter().any(|x| x == f);
        let inner = self.read()?;
        let attached = |e: &Entity| -> Vec<w::AttachedPolicy> {
            e.attached
                .iter()
                .filter_map(|arn| inner.policy_by_arn(arn))
                .map(|p| w::AttachedPolicy {
                    policy_name: Some(p.name.clone()),
                    policy_arn: Some(p.arn.clone()),
                })
                .collect()
        };
        let inline = |e: &Entity| -> Vec<w::PolicyDetail> {
            e.inline
                .iter()
                .map(|(name, doc)| w::PolicyDetail {
                    policy_name: Some(name.clone()),
                    policy_document: Some(encode_document(&doc.text)),
                })
                .collect()
        };
        let boundary = |e: &Entity| {
            e.boundary
                .as_ref()
                .map(|arn| w::AttachedPermissionsBoundary {
                    permissions_boundary_arn: Some(arn.clone()),
                    permissions_boundary_type: Some("Policy".into()),
                })
        };
        // One page holds every kind; the marker pages over all of them in order.
        #[derive(Clone)]
        enum Item {
            User(w::UserDetail),
            Group(w::GroupDetail),
            Role(Box<w::RoleDetail>),
            Policy(Box<w::ManagedPolicyDetail>),
        }
        let mut items: Vec<(String, Item)> = Vec::new();
        if wants("User") {
            for (k, u) in &inner.users {
                items.push((
                    format!("1/{k}"),
                    Item::User(w::UserDetail {
                        path: Some(u.path.clone()),
                        user_name: Some(u.name.clone()),
                        user_id: Some(u.id.clone()),
                        arn: Some(u.arn.clone()),
                        create_date: Some(Timestamp::from_unix(u.created)),
                        user_policy_list: Some(inline(u)),
                        group_list: Some(
                            u.groups
                                .iter()
                                .filter_map(|g| inner.groups.get(g).map(|g| g.name.clone()))
                                .collect(),
                        ),
                        attached_managed_policies: Some(attached(u)),
                        permissions_boundary: boundary(u),
                        tags: Some(wire_tags(&u.tags)),
                    }),
                ));
            }
        }
        if wants("Group") {
            for (k, g) in &inner.groups {
                let base = wire_group(g);
                items.push((
                    format!("2/{k}"),
                    Item::Group(w::GroupDetail {
                        path: base.path,
                        group_name: base.group_name,
                        group_id: base.group_id,
                        arn: base.arn,
                        create_date: base.create_date,
                        group_policy_list: Some(inline(g)),
                        attached_managed_policies: Some(attached(g)),
                    }),
                ));
            }
        }
        if wants("Role") {
            for (k, r) in &inner.roles {
                items.push((
                    format!("3/{k}"),
                    Item::Role(Box::new(w::RoleDetail {
                        path: Some(r.path.clone()),
                        role_name: Some(r.name.clone()),
                        role_id: Some(r.id.clone()),
                        arn: Some(r.arn.clone()),
                        create_date: Some(Timestamp::from_unix(r.created)),
                        assume_role_policy_document: r
                            .trust
                            .as_ref()
                            .map(|d| encode_document(&d.text)),
                        instance_profile_list: Some(Vec::new()),
                        role_policy_list: Some(inline(r)),
                        attached_managed_policies: Some(attached(r)),
                        permissions_boundary: boundary(r),
                        tags: Some(wire_tags(&r.tags)),
                        role_last_used: Some(w::RoleLastUsed::default()),
                    })),
                ));
            }
        }
        // The account's managed policies, and the AWS managed ones in use (AWS
        // lists those, not its whole catalog).
        let mut managed: Vec<(String, &Arc<super::model::ManagedPolicy>)> = Vec::new();
        if wants("LocalManagedPolicy") {
            managed.extend(inner.policies.iter().map(|(k, p)| (format!("4/{k}"), p)));
        }
        if wants("AWSManagedPolicy") {
            let in_use = |arn: &str| {
                [Kind::User, Kind::Group, Kind::Role]
                    .iter()
                    .flat_map(|k| inner.entities(*k).values())
                    .any(|e| e.attached.contains(arn) || e.boundary.as_deref() == Some(arn))
            };
            managed.extend(
                super::aws::all()
                    .values()
                    .filter(|p| in_use(&p.arn))
                    .map(|p| (format!("5/{}", p.name.to_ascii_lowercase()), p)),
            );
        }
        for (k, p) in managed {
            let summary = Self::wire_policy(&inner, p, true);
            items.push((
                k,
                Item::Policy(Box::new(w::ManagedPolicyDetail {
                    policy_name: summary.policy_name,
                    policy_id: summary.policy_id,
                    arn: summary.arn,
                    path: summary.path,
                    default_version_id: summary.default_version_id,
                    attachment_count: summary.attachment_count,
                    permissions_boundary_usage_count: summary.permissions_boundary_usage_count,
                    is_attachable: summary.is_attachable,
                    description: summary.description,
                    create_date: summary.create_date,
                    update_date: summary.update_date,
                    policy_version_list: Some(
                        p.versions
                            .iter()
                            .map(|v| w::PolicyVersion {
                                document: Some(encode_document(&v.doc.text)),
                                version_id: Some(v.id.clone()),
                                is_default_version: Some(v.id == p.default_version),
                                create_date: Some(Timestamp::from_unix(v.created)),
                            })
                            .collect(),
                    ),
                })),
            ));
        }
        drop(inner);
        let (found, marker) = page(&items, req.marker.as_deref(), req.max_items)?;
        let mut out = w::GetAccountAuthorizationDetailsResponse {
            user_detail_list: Some(Vec::new()),
            group_detail_list: Some(Vec::new()),
            role_detail_list: Some(Vec::new()),
            policies: Some(Vec::new()),
            is_truncated: Some(marker.is_some()),
            marker,
        };
        for item in found {
            match item {
                Item::User(u) => out.user_detail_list.get_or_insert_default().push(u),
                Item::Group(g) => out.group_detail_list.get_or_insert_default().push(g),
                Item::Role(r) => out.role_detail_list.get_or_insert_default().push(*r),
                Item::Policy(p) => out.policies.get_or_insert_default().push(*p),
            }
        }
        Ok((out, AuditInfo::default()))
    }
}
