//! IAM authorization details (`aws iam get-account-authorization-details`)
//! as the checks need them: roles with their documents, and users' effective
//! policies evaluated by the policy engine for MFA enforcement.

use serde_json::Value;

use mlguard_analyzer::account::{Details, document_text};

use mlguard_policy::{
    Context, ContextValue, Decision, Policy, PolicyKind, PolicySet, Principal, Request, authorize,
};

use crate::model::{Origin, Role};

/// A policy document as the API returns it (URL-encoded JSON) or as the CLI
/// prints it (an object).
fn document(v: &Value) -> Option<Value> {
    serde_json::from_str(&document_text(v)?).ok()
}

/// One account's details, parsed.
pub struct Account {
    details: Details,
}

impl Account {
    pub fn parse(text: &str) -> Result<Account, String> {
        serde_json::from_str(text)
            .map(|details| Account { details })
            .map_err(|e| format!("not GetAccountAuthorizationDetails output: {e}"))
    }

    /// A managed policy's default version document.
    fn managed(&self, arn: &str) -> Option<Value> {
        let p = self.details.policies.iter().find(|p| p.arn == arn)?;
        document(&p.default_version()?.document)
    }

    /// The roles, with inline and managed documents.
    pub fn roles(&self, origin: &Origin) -> Vec<Role> {
        self.details
            .role_detail_list
            .iter()
            .map(|r| {
                let mut policies: Vec<(String, Value)> = r
                    .role_policy_list
                    .iter()
                    .filter_map(|p| Some((p.policy_name.clone(), document(&p.policy_document)?)))
                    .collect();
                let mut missing = Vec::new();
                for a in &r.attached_managed_policies {
                    match self.managed(&a.policy_arn) {
                        Some(doc) => policies.push((a.policy_arn.clone(), doc)),
                        None => missing.push(a.policy_arn.clone()),
                    }
                }
                Role {
                    arn: r.arn.clone(),
                    name: r.role_name.clone(),
                    trust: document(&r.assume_role_policy_document),
                    policies,
                    managed_arns: missing,
                    origin: Origin {
                        path: format!("RoleDetailList.{}", r.role_name),
                        ..origin.clone()
                    },
                }
            })
            .collect()
    }

    /// Users who may perform privileged actions with MFA, each with those
    /// it may still perform without (empty when MFA is enforced).
    pub fn privileged_users(&self) -> Vec<(String, Vec<&'static str>)> {
        let parse = |d: &Value| Policy::parse(&d.to_string(), PolicyKind::AwsManaged).ok();
        // Each managed policy parsed once, however many users it reaches.
        let managed: std::collections::HashMap<&str, Policy> = self
            .details
            .policies
            .iter()
            .filter_map(|p| Some((p.arn.as_str(), parse(&self.managed(&p.arn)?)?)))
            .collect();
        let mut out = Vec::new();
        for u in &self.details.user_detail_list {
            let inline: Vec<Policy> = u
                .user_policy_list
                .iter()
                .filter_map(|p| parse(&document(&p.policy_document)?))
                .collect();
            let mut refs: Vec<&Policy> = inline.iter().collect();
            refs.extend(
                u.attached_managed_policies
                    .iter()
                    .filter_map(|a| managed.get(a.policy_arn.as_str())),
            );
            let groups: Vec<_> = self
                .details
                .group_detail_list
                .iter()
                .filter(|g| u.group_list.contains(&g.group_name))
                .collect();
            let group_inline: Vec<Policy> = groups
                .iter()
                .flat_map(|g| &g.group_policy_list)
                .filter_map(|p| parse(&document(&p.policy_document)?))
                .collect();
            refs.extend(group_inline.iter());
            refs.extend(
                groups
                    .iter()
                    .flat_map(|g| &g.attached_managed_policies)
                    .filter_map(|a| managed.get(a.policy_arn.as_str())),
            );
            let brefs: Vec<&Policy> = u
                .permissions_boundary
                .as_ref()
                .and_then(|b| managed.get(b.permissions_boundary_arn.as_str()))
                .into_iter()
                .collect();
            let Ok(principal) = Principal::from_arn(&u.arn) else {
                continue;
            };
            let account = u.arn.split(':').nth(4).unwrap_or_default();
            let set = PolicySet {
                identity: &refs,
                boundary: (!brefs.is_empty()).then_some(brefs.as_slice()),
                ..PolicySet::default()
            };
            let base = |mfa: Option<bool>| {
                let mut c = Context::new();
                c.insert("aws:username", ContextValue::string(u.user_name.as_str()));
                c.insert("aws:PrincipalArn", ContextValue::string(u.arn.as_str()));
                c.insert("aws:PrincipalAccount", ContextValue::string(account));
                c.insert("aws:PrincipalType", ContextValue::string("User"));
                c.insert("aws:SecureTransport", ContextValue::boolean(true));
                c.insert("aws:RequestedRegion", ContextValue::string("us-east-1"));
                if let Some(m) = mfa {
                    c.insert("aws:MultiFactorAuthPresent", ContextValue::boolean(m));
                    if m {
                        c.insert("aws:MultiFactorAuthAge", ContextValue::string("60"));
                    }
                }
                c
            };
            let (with, without, keys) = (base(Some(true)), base(Some(false)), base(None));
            let allowed = |action: &str, resource: &str, ctx: &Context| {
                authorize(
                    &set,
                    &Request {
                        principal: &principal,
                        action,
                        resource,
                        resource_account: None,
                        context: ctx,
                    },
                )
                .decision
                    == Decision::Allowed
            };
            let (mut privileged, mut open) = (false, Vec::new());
            for (action, resource) in PRIVILEGED {
                let resource = resource.replace("ACCOUNT", account);
                if !allowed(action, &resource, &with) {
                    continue;
                }
                privileged = true;
                if allowed(action, &resource, &without) || allowed(action, &resource, &keys) {
                    open.push(*action);
                }
            }
            if privileged {
                out.push((u.arn.clone(), open));
            }
        }
        out
    }
}

/// Actions that make a user privileged (administration, production
/// changes), each on a resource it acts on.
const PRIVILEGED: &[(&str, &str)] = &[
    ("iam:CreateUser", "arn:aws:iam::ACCOUNT:user/mlguard-probe"),
    (
        "iam:AttachUserPolicy",
        "arn:aws:iam::ACCOUNT:user/mlguard-probe",
    ),
    (
        "iam:CreateAccessKey",
        "arn:aws:iam::ACCOUNT:user/mlguard-probe",
    ),
    (
        "iam:PutRolePolicy",
        "arn:aws:iam::ACCOUNT:role/mlguard-probe",
    ),
    (
        "iam:UpdateAssumeRolePolicy",
        "arn:aws:iam::ACCOUNT:role/mlguard-probe",
    ),
    (
        "iam:CreatePolicyVersion",
        "arn:aws:iam::ACCOUNT:policy/mlguard-probe",
    ),
    (
        "kms:ScheduleKeyDeletion",
        "arn:aws:kms:us-east-1:ACCOUNT:key/mlguard-probe",
    ),
    (
        "kms:PutKeyPolicy",
        "arn:aws:kms:us-east-1:ACCOUNT:key/mlguard-probe",
    ),
    ("s3:DeleteBucket", "arn:aws:s3:::mlguard-probe"),
    ("s3:PutBucketPolicy", "arn:aws:s3:::mlguard-probe"),
    (
        "sagemaker:DeleteModel",
        "arn:aws:sagemaker:us-east-1:ACCOUNT:model/mlguard-probe",
    ),
    (
        "sagemaker:DeleteEndpoint",
        "arn:aws:sagemaker:us-east-1:ACCOUNT:endpoint/mlguard-probe",
    ),
    (
        "secretsmanager:DeleteSecret",
        "arn:aws:secretsmanager:us-east-1:ACCOUNT:secret:mlguard-probe-AbCdEf",
    ),
];

/// A document's statements (`Statement` may be one object).
pub fn statements(doc: &Value) -> Vec<&Value> {
    match doc.get("Statement") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(s) => vec![s],
        None => Vec::new(),
    }
}

/// A policy element's strings (`Action`, `Resource`: one string or a list).
pub fn strings(v: Option<&Value>) -> Vec<&str> {
    match v {
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        Some(Value::String(x)) => vec![x.as_str()],
        _ => Vec::new(),
    }
}

/// Whether a trust policy lets SageMaker assume the role.
pub fn trusts_sagemaker(trust: &Value) -> bool {
    let statements = statements(trust);
    statements.iter().any(|s| {
        s.get("Effect").and_then(Value::as_str) == Some("Allow")
            && match s.pointer("/Principal/Service") {
                Some(Value::String(x)) => x == "sagemaker.amazonaws.com",
                Some(Value::Array(a)) => a
                    .iter()
                    .any(|x| x.as_str() == Some("sagemaker.amazonaws.com")),
                _ => false,
            }
    })
}

/// What SageMaker does with the execution role to put a job, model or
/// notebook in the customer's VPC: AWS documents these on `"Resource": "*"`
/// (the network interfaces do not exist before the job), so they are not
/// counted as unscoped.
const VPC_MODE_ENI: &[&str] = &[
    "ec2:CreateNetworkInterface",
    "ec2:CreateNetworkInterfacePermission",
    "ec2:DeleteNetworkInterface",
    "ec2:DeleteNetworkInterfacePermission",
];

/// Actions a policy document allows on `"Resource": "*"` without a
/// condition although they support resource-level permissions (the catalog
/// lists resource types for them): what least privilege would scope to ARNs.
/// `"*"` and `"service:*"` are named as written; a pattern such as
/// `s3:Put*` is expanded through the catalog.
pub fn unscoped(doc: &Value, catalog: &mlguard_analyzer::Catalog) -> Vec<String> {
    let statements = statements(doc);
    let mut out: Vec<String> = Vec::new();
    for s in statements {
        if s.get("Effect").and_then(Value::as_str) != Some("Allow") || s.get("Condition").is_some()
        {
            continue;
        }
        let star = match s.get("Resource") {
            Some(Value::String(r)) => r == "*",
            Some(Value::Array(a)) => a.iter().any(|r| r.as_str() == Some("*")),
            _ => false,
        };
        if !star {
            continue;
        }
        let actions = strings(s.get("Action"));
        for a in actions {
            // `*` and `service:*` on every resource: named as written (the
            // wildcard check names the action wildcard itself).
            if a == "*" || a.ends_with(":*") {
                if !out.iter().any(|x| x == a) {
                    out.push(a.to_owned());
                }
                continue;
            }
            let Some((prefix, name)) = a.split_once(':') else {
                continue;
            };
            let Some(svc) = catalog.service(&prefix.to_ascii_lowercase()) else {
                continue;
            };
            for action in catalog.expand(svc, name) {
                if action.resources.is_empty()
                    || action.access == mlguard_analyzer::AccessLevel::List
                {
                    continue;
                }
                let full = format!("{}:{}", svc.prefix, action.name);
                if VPC_MODE_ENI.contains(&full.as_str()) {
                    continue;
                }
                if !out.contains(&full) {
                    out.push(full);
                }
            }
        }
    }
    out.sort();
    out
}

/// The wildcard grants of a policy document: `*`, `service:*`, and Allow
/// with NotAction.
pub fn wildcards(doc: &Value) -> Vec<String> {
    let statements = statements(doc);
    let mut out = Vec::new();
    for s in statements {
        if s.get("Effect").and_then(Value::as_str) != Some("Allow") {
            continue;
        }
        if s.get("NotAction").is_some() {
            out.push("Allow with NotAction (every other action)".to_owned());
        }
        let actions = strings(s.get("Action"));
        for a in actions {
            if a == "*" || a.ends_with(":*") {
                let a = format!("\"{a}\"");
                if !out.contains(&a) {
                    out.push(a);
                }
            }
        }
    }
    out
}
