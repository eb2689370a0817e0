//! Privilege escalation, data exfiltration and credential exposure over a
//! whole account's authorization details (`aws iam
//! get-account-authorization-details`, from mlguard's IAM or a real account).
//!
//! Every question is asked of the real policy engine: identity policies
//! (inline, attached, the groups'), permissions boundaries and, for
//! `sts:AssumeRole`, the role's trust policy — so conditions and denies count,
//! and a `Resource` or `iam:PassedToService` restriction is honoured. The
//! request context holds what the technique implies (`iam:PassedToService`
//! for the compute service a role is passed to) and nothing else: a statement
//! whose condition needs an unknown key does not apply.
//!
//! Techniques (Rhino Security Labs' IAM escalation list and the ML ones):
//! a principal that can change its own permissions (CreatePolicyVersion or
//! SetDefaultPolicyVersion on an attached policy, Attach/Put policies on
//! itself or its groups, AddUserToGroup, deleting its permissions boundary)
//! can become an administrator; one that can act as another principal
//! (AssumeRole where the trust policy agrees, UpdateAssumeRolePolicy then
//! AssumeRole, CreateAccessKey or Create/UpdateLoginProfile on another user,
//! PassRole to a compute service that runs its code — SageMaker training,
//! processing and notebooks, Lambda, Glue, EC2, CloudFormation) gains that
//! principal's permissions.

use std::collections::{HashMap, HashSet, VecDeque};

use serde::Serialize;

use crate::account::{Boundary, Details, Inline, Tag, document_text};
use serde_json::Value;

use mlguard_policy::{
    Context, ContextValue, Decision, Effect, Policy, PolicyKind, PolicySet, Principal,
    PrincipalType, Request, authorize,
};

/// Whether a principal is a user or a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    User,
    Role,
}

/// One principal with its policies, parsed.
struct Entity {
    kind: Kind,
    arn: String,
    principal: Principal,
    policies: Vec<Policy>,
    boundary: Vec<Policy>,
    trust: Option<Policy>,
    /// Managed policies attached to it directly or through its groups.
    attached: Vec<String>,
    groups: Vec<String>,
    /// Its tags (`Tags` of the user or role; a user's groups have none).
    tags: Vec<(String, String)>,
    /// Whom its trust policy can let in (`Nobody` for a user).
    admits: Admits,
    /// Bit `k`: its trust policy lets the service of `PASS_ROLE_COMPUTE[k]`
    /// assume it.
    services: u16,
    /// Per action, whether some Allow statement of its policies names it at
    /// all: the cheap test that spares the evaluator most questions (an
    /// account of 1,000 principals asks millions).
    named: std::cell::RefCell<HashMap<String, bool>>,
}

impl Entity {
    fn may_allow(&self, action: &str) -> bool {
        if let Some(v) = self.named.borrow().get(action) {
            return *v;
        }
        let v = self.policies.iter().flat_map(|p| &p.statements).any(|s| {
            s.effect.value == Effect::Allow
                && s.action.negated != s.action.items.iter().any(|a| a.matches(action))
        });
        self.named.borrow_mut().insert(action.to_owned(), v);
        v
    }
}

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    pub from: String,
    pub technique: String,
    /// The actions the step needs, all allowed to `from`.
    pub actions: Vec<String>,
    pub to: String,
}

/// A finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    /// `PRIVILEGE_ESCALATION`, `DATA_EXFILTRATION` or `CREDENTIALS_EXPOSURE`.
    pub kind: String,
    pub severity: String,
    pub principal: String,
    pub principal_type: Kind,
    /// From the principal to what it gains.
    pub path: Vec<Step>,
    /// `administrator`, or the sensitive actions gained.
    pub gains: Vec<String>,
    pub details: String,
}

/// How one principal acts as another: an edge of the search, kept small
/// (an account of thousands of principals has millions of them); a [`Step`]
/// is written out only for the paths reported.
#[derive(Debug, Clone, Copy)]
struct Edge {
    /// The principal acted as.
    to: usize,
    way: Way,
    /// An action by which the principal can also rewrite `to`'s permissions.
    modify: Option<&'static str>,
}

#[derive(Debug, Clone, Copy)]
enum Way {
    /// sts:AssumeRole, which the trust policy allows.
    Assume,
    /// iam:UpdateAssumeRolePolicy to name itself, then sts:AssumeRole.
    UpdateTrust,
    /// iam:PassRole to the compute way `PASS_ROLE_COMPUTE[k]`.
    PassRole(usize),
    /// The user takeover `USER_TAKEOVER[k]`.
    TakeOver(usize),
}

impl Edge {
    /// The step as reported, from `from` (an ARN) to `to`.
    fn step(&self, from: &str, to: &str) -> Step {
        let (mut technique, mut actions): (String, Vec<String>) = match self.way {
            Way::Assume => (
                "AssumeRole (the trust policy allows it)".into(),
                vec!["sts:AssumeRole".into()],
            ),
            Way::UpdateTrust => (
                "UpdateAssumeRolePolicy to name itself, then AssumeRole".into(),
                vec!["iam:UpdateAssumeRolePolicy".into()],
            ),
            Way::PassRole(k) => {
                let (service, started) = PASS_ROLE_COMPUTE.get(k).copied().unwrap_or_default();
                (
                    format!(
                        "PassRole to {service} with {}: the code it runs acts as the role",
                        started.join(" + ")
                    ),
                    std::iter::once("iam:PassRole")
                        .chain(started.iter().copied())
                        .map(str::to_owned)
                        .collect(),
                )
            }
            Way::TakeOver(k) => {
                let (action, what) = USER_TAKEOVER.get(k).copied().unwrap_or_default();
                (what.into(), vec![action.into()])
            }
        };
        if let Some(action) = self.modify {
            technique = format!(
                "{technique}, and {} on it",
                action.trim_start_matches("iam:")
            );
            actions.push(action.to_owned());
        }
        Step {
            from: from.to_owned(),
            technique,
            actions,
            to: to.to_owned(),
        }
    }
}

/// The report.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub principals: usize,
    pub administrators: Vec<String>,
    pub findings: Vec<Finding>,
    /// Policies that could not be read (skipped, so the analysis is a lower bound).
    pub warnings: Vec<String>,
}

/// Compute services that run code as a role passed to them, and the actions
/// that start that code (each list is one way).
pub const PASS_ROLE_COMPUTE: &[(&str, &[&str])] = &[
    ("sagemaker.amazonaws.com", &["sagemaker:CreateTrainingJob"]),
    (
        "sagemaker.amazonaws.com",
        &["sagemaker:CreateProcessingJob"],
    ),
    (
        "sagemaker.amazonaws.com",
        &[
            "sagemaker:CreateNotebookInstance",
            "sagemaker:CreatePresignedNotebookInstanceUrl",
        ],
    ),
    (
        "lambda.amazonaws.com",
        &["lambda:CreateFunction", "lambda:InvokeFunction"],
    ),
    (
        "lambda.amazonaws.com",
        &["lambda:CreateFunction", "lambda:CreateEventSourceMapping"],
    ),
    ("glue.amazonaws.com", &["glue:CreateDevEndpoint"]),
    (
        "glue.amazonaws.com",
        &["glue:CreateJob", "glue:StartJobRun"],
    ),
    ("ec2.amazonaws.com", &["ec2:RunInstances"]),
    (
        "cloudformation.amazonaws.com",
        &["cloudformation:CreateStack"],
    ),
];

// (`Entity::services` has a bit per way.)
const _: () = assert!(PASS_ROLE_COMPUTE.len() <= 16);

/// The context key PassRole questions carry.
const PASSED_TO_SERVICE: &str = "iam:PassedToService";

/// Actions by which a principal takes over another user, in the order they
/// are reported.
const USER_TAKEOVER: &[(&str, &str)] = &[
    ("iam:CreateAccessKey", "CreateAccessKey for the user"),
    (
        "iam:CreateLoginProfile",
        "CreateLoginProfile (a console password) for the user",
    ),
    (
        "iam:UpdateLoginProfile",
        "UpdateLoginProfile (resets the user's console password)",
    ),
];

/// Which users and roles a role's trust policy can let in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Admits {
    /// None: no Allow statement names an AWS principal (services only, or no
    /// trust policy).
    Nobody,
    /// Only whole accounts (`arn:aws:iam::123456789012:root`, `123456789012`),
    /// which delegate to the account: the caller's identity policies must
    /// allow `sts:AssumeRole` too.
    Accounts,
    /// Principals by name, `*` or `NotPrincipal`: the policy engine decides.
    Named,
}

impl Admits {
    fn of(trust: Option<&Policy>) -> Admits {
        let mut admits = Admits::Nobody;
        for s in trust.iter().flat_map(|t| &t.statements) {
            if s.effect.value != Effect::Allow {
                continue;
            }
            let Some(p) = &s.principal else { continue };
            if p.negated {
                return Admits::Named;
            }
            for entry in p.entries.iter().filter(|e| e.kind == PrincipalType::Aws) {
                if !is_account(&entry.text) {
                    return Admits::Named;
                }
                admits = Admits::Accounts;
            }
        }
        admits
    }
}

/// Whether an AWS principal names a whole account: `123456789012` or
/// `arn:aws:iam::123456789012:root`.
fn is_account(text: &str) -> bool {
    let id = text
        .strip_suffix(":root")
        .and_then(|arn| arn.strip_prefix("arn:"))
        .and_then(|arn| arn.split_once(":iam::"))
        .map_or(text, |(_, id)| id);
    id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit())
}

/// Actions that read data when granted on every resource.
pub const EXFILTRATION: &[&str] = &[
    "s3:GetObject",
    "secretsmanager:GetSecretValue",
    "ssm:GetParameter",
    "ssm:GetParameters",
    "kms:Decrypt",
    "dynamodb:Scan",
    "rds:CopyDBSnapshot",
    "sagemaker:CreatePresignedDomainUrl",
];

/// Actions that hand out credentials when granted on every resource.
pub const CREDENTIALS: &[&str] = &[
    "iam:CreateAccessKey",
    "iam:UpdateAccessKey",
    "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile",
    "iam:CreateServiceSpecificCredential",
    "ecr:GetAuthorizationToken",
    "sts:GetFederationToken",
    "sts:GetSessionToken",
    "redshift:GetClusterCredentials",
    "sso:GetRoleCredentials",
];

/// Sensitive actions whose gain a path reports.
const PROBES: &[&str] = &[
    "s3:GetObject",
    "s3:PutObject",
    "kms:Decrypt",
    "secretsmanager:GetSecretValue",
    "iam:PassRole",
    "iam:CreateAccessKey",
    "iam:AttachRolePolicy",
    "sagemaker:CreateTrainingJob",
    "sts:AssumeRole",
];

/// A managed policy's versions: the default one decides what it grants; the
/// others matter only to SetDefaultPolicyVersion.
#[derive(Default)]
struct Managed {
    /// `None` when the default version is missing or cannot be read: the
    /// policy then grants nothing here (a warning says so).
    default: Option<Policy>,
    others: Vec<Policy>,
}

struct Account {
    entities: Vec<Entity>,
    managed: HashMap<String, Managed>,
    group_arns: HashMap<String, String>,
    /// Group ARN → the group's policies.
    group_grants: HashMap<String, Vec<Policy>>,
    warnings: Vec<String>,
}

/// Reads one policy document of `kind`.
fn read_policy(v: &Value, kind: PolicyKind) -> Result<Policy, String> {
    let text = document_text(v).ok_or_else(|| "the policy document cannot be read".to_owned())?;
    match Policy::parse(&text, kind) {
        Ok(p) => Ok(p),
        Err(e) => Err(e.to_string()),
    }
}

/// The largest trust policy IAM stores: 2,048 characters by default, a quota
/// that can be raised to 4,096 (IAM and STS quotas, "Role trust policy length").
pub const TRUST_POLICY_MAX: usize = 4_096;

/// Reads a role's trust policy. Over the default 2,048-character quota (up to
/// the raised 4,096) the policy engine's trust kind refuses it, so each
/// statement gets the resource it implies (the role: `"Resource": "*"` on a
/// policy only ever asked about its own role) and the document is read as a
/// resource policy — after refusing what IAM refuses in a trust policy
/// (`Resource`, `NotResource`, `NotPrincipal`, a `Principal` that is not an
/// object). The server's IAM API keeps enforcing the default quota.
fn read_trust(v: &Value) -> Result<Policy, String> {
    let text = document_text(v).ok_or_else(|| "the policy document cannot be read".to_owned())?;
    let err = match Policy::parse(&text, PolicyKind::RoleTrust) {
        Ok(p) => return Ok(p),
        Err(e) => e,
    };
    let mlguard_policy::ParseErrorKind::TooLarge { size, .. } = err.kind else {
        return Err(err.to_string());
    };
    if size > TRUST_POLICY_MAX {
        return Err(format!(
            "trust policy of {size} characters exceeds the {TRUST_POLICY_MAX}-character maximum of the raised quota"
        ));
    }
    let mut doc: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let statements: Vec<&mut Value> = match doc.get_mut("Statement") {
        Some(Value::Array(items)) => items.iter_mut().collect(),
        Some(one) => vec![one],
        None => Vec::new(),
    };
    for s in statements {
        let Value::Object(fields) = s else {
            return Err("a statement is not an object".to_owned());
        };
        for refused in ["Resource", "NotResource", "NotPrincipal"] {
            if fields.contains_key(refused) {
                return Err(format!("`{refused}` is not allowed in a role trust policy"));
            }
        }
        if !fields.get("Principal").is_some_and(Value::is_object) {
            return Err("a role trust policy must name its principals in an object".to_owned());
        }
        fields.insert("Resource".to_owned(), Value::String("*".to_owned()));
    }
    let rewritten = serde_json::to_string(&doc).map_err(|e| e.to_string())?;
    Policy::parse(&rewritten, PolicyKind::Resource).map_err(|e| e.to_string())
}

impl Account {
    fn parse(json: &str) -> Result<Account, String> {
        let value: Value = serde_json::from_str(json)
            .map_err(|e| format!("not GetAccountAuthorizationDetails output: {e}"))?;
        // Any JSON object would read as an empty account ("0 findings"): the
        // document must hold at least one of the output's lists.
        const LISTS: [&str; 4] = [
            "UserDetailList",
            "GroupDetailList",
            "RoleDetailList",
            "Policies",
        ];
        if !value
            .as_object()
            .is_some_and(|o| LISTS.iter().any(|k| o.contains_key(*k)))
        {
            return Err(format!(
                "not GetAccountAuthorizationDetails output: none of {} is in it",
                LISTS.join(", ")
            ));
        }
        let d = serde_json::from_value::<Details>(value)
            .map_err(|e| format!("not GetAccountAuthorizationDetails output: {e}"))?;
        let warnings = std::cell::RefCell::new(Vec::new());
        let warn = |w: String| warnings.borrow_mut().push(w);
        // Inline policies: one that cannot be read grants nothing here.
        let inline = |owner: &str, i: &Inline| -> Option<Policy> {
            read_policy(&i.policy_document, PolicyKind::AwsManaged)
                .map_err(|e| warn(format!("{owner} {}: {e}", i.policy_name)))
                .ok()
        };
        let mut managed: HashMap<String, Managed> = HashMap::new();
        for m in &d.policies {
            let entry = managed.entry(m.arn.clone()).or_default();
            let mut found_default = false;
            for v in &m.policy_version_list {
                let is_default = m.is_default(v);
                match read_policy(&v.document, PolicyKind::AwsManaged) {
                    Ok(p) if is_default && !found_default => entry.default = Some(p),
                    Ok(p) => entry.others.push(p),
                    Err(e) if is_default => warn(format!(
                        "{} {}: {e}; the default version cannot be read, so the policy is treated as granting nothing",
                        m.arn, v.version_id
                    )),
                    Err(e) => warn(format!("{} {}: {e}", m.arn, v.version_id)),
                }
                found_default |= is_default;
            }
            if !found_default {
                warn(format!(
                    "{}: no default version in PolicyVersionList; the policy is treated as granting nothing",
                    m.arn
                ));
            }
        }
        // An attached policy's default version; one missing from `Policies`
        // is named in a warning, and AWS's published document stands in for
        // the few AWS managed policies whose meaning is certain.
        let attached_policy = |owner: &str, arn: &str| -> Option<Policy> {
            if let Some(m) = managed.get(arn) {
                return m.default.clone();
            }
            if let Some(p) = crate::aws_managed::document(arn) {
                warn(format!(
                    "{owner}: attached policy {arn} is not in Policies; AWS's published document of it is used"
                ));
                return Some(p);
            }
            warn(format!(
                "{owner}: attached policy {arn} is not in Policies; it is treated as granting nothing"
            ));
            None
        };
        // A permissions boundary that cannot be read is left out (the
        // principal is judged without it: paths are over-reported, not hidden).
        let boundary_of = |owner: &str, b: Option<&Boundary>| -> Vec<Policy> {
            let Some(arn) = b.map(|b| b.permissions_boundary_arn.as_str()) else {
                return Vec::new();
            };
            if let Some(p) = managed
                .get(arn)
                .and_then(|m| m.default.clone())
                .or_else(|| crate::aws_managed::document(arn))
            {
                return vec![p];
            }
            warn(format!(
                "{owner}: permissions boundary {arn} is not in Policies or cannot be read; the principal is judged without it"
            ));
            Vec::new()
        };
        let mut group_policies: HashMap<String, (Vec<Policy>, Vec<String>)> = HashMap::new();
        let mut group_arns = HashMap::new();
        let mut group_grants = HashMap::new();
        for g in &d.group_detail_list {
            let mut ps: Vec<Policy> = g
                .group_policy_list
                .iter()
                .filter_map(|i| inline(&g.arn, i))
                .collect();
            let attached: Vec<String> = g
                .attached_managed_policies
                .iter()
                .map(|a| a.policy_arn.clone())
                .collect();
            ps.extend(attached.iter().filter_map(|a| attached_policy(&g.arn, a)));
            group_grants.insert(g.arn.clone(), ps.clone());
            group_policies.insert(g.group_name.clone(), (ps, attached));
            group_arns.insert(g.group_name.clone(), g.arn.clone());
        }
        let tags = |t: &[Tag]| -> Vec<(String, String)> {
            t.iter().map(|t| (t.key.clone(), t.value.clone())).collect()
        };
        let mut entities = Vec::new();
        for u in &d.user_detail_list {
            let Ok(principal) = Principal::from_arn(&u.arn) else {
                warn(format!("{}: not a user ARN", u.arn));
                continue;
            };
            let mut policies: Vec<Policy> = u
                .user_policy_list
                .iter()
                .filter_map(|i| inline(&u.arn, i))
                .collect();
            let mut attached: Vec<String> = u
                .attached_managed_policies
                .iter()
                .map(|a| a.policy_arn.clone())
                .collect();
            policies.extend(attached.iter().filter_map(|a| attached_policy(&u.arn, a)));
            for g in &u.group_list {
                if let Some((ps, at)) = group_policies.get(g) {
                    policies.extend(ps.iter().cloned());
                    attached.extend(at.iter().cloned());
                }
            }
            entities.push(Entity {
                kind: Kind::User,
                arn: u.arn.clone(),
                principal,
                policies,
                boundary: boundary_of(&u.arn, u.permissions_boundary.as_ref()),
                trust: None,
                attached,
                groups: u.group_list.clone(),
                tags: tags(&u.tags),
                admits: Admits::Nobody,
                services: 0,
                named: std::cell::RefCell::default(),
            });
        }
        for r in &d.role_detail_list {
            let Ok(principal) = Principal::from_arn(&r.arn) else {
                warn(format!("{}: not a role ARN", r.arn));
                continue;
            };
            let mut policies: Vec<Policy> = r
                .role_policy_list
                .iter()
                .filter_map(|i| inline(&r.arn, i))
                .collect();
            let attached: Vec<String> = r
                .attached_managed_policies
                .iter()
                .map(|a| a.policy_arn.clone())
                .collect();
            policies.extend(attached.iter().filter_map(|a| attached_policy(&r.arn, a)));
            let trust = read_trust(&r.assume_role_policy_document)
                .map_err(|e| warn(format!("{} trust policy: {e}", r.arn)))
                .ok();
            let services = PASS_ROLE_COMPUTE
                .iter()
                .enumerate()
                .filter(|(_, (service, _))| Self::trusts_service(trust.as_ref(), service))
                .fold(0, |bits, (k, _)| bits | 1 << k);
            entities.push(Entity {
                admits: Admits::of(trust.as_ref()),
                services,
                kind: Kind::Role,
                arn: r.arn.clone(),
                principal,
                policies,
                boundary: boundary_of(&r.arn, r.permissions_boundary.as_ref()),
                trust,
                attached,
                groups: Vec::new(),
                tags: tags(&r.tags),
                named: std::cell::RefCell::default(),
            });
        }
        Ok(Account {
            entities,
            managed,
            group_arns,
            group_grants,
            warnings: warnings.into_inner(),
        })
    }

    /// What every real request of `e` carries, so guardrails written with
    /// negated operators (`StringNotEquals` on `aws:RequestedRegion`,
    /// `ArnNotLike` on `aws:PrincipalArn`) judge it as IAM would, and its tags
    /// (`aws:PrincipalTag/<key>`; a user's groups lend it none).
    fn base(e: &Entity) -> Context {
        let mut ctx = Context::new();
        for (k, v) in &e.tags {
            ctx.insert(
                &format!("aws:PrincipalTag/{k}"),
                ContextValue::string(v.as_str()),
            );
        }
        let account = e.arn.split(':').nth(4).unwrap_or_default().to_owned();
        ctx.insert("aws:RequestedRegion", ContextValue::string("us-east-1"));
        ctx.insert("aws:PrincipalArn", ContextValue::string(e.arn.as_str()));
        ctx.insert("aws:PrincipalAccount", ContextValue::string(account));
        ctx.insert("aws:SecureTransport", ContextValue::boolean(true));
        if e.kind == Kind::User {
            let name = e.arn.rsplit('/').next().unwrap_or_default().to_owned();
            ctx.insert("aws:username", ContextValue::string(name));
            ctx.insert("aws:PrincipalType", ContextValue::string("User"));
        } else {
            ctx.insert("aws:PrincipalType", ContextValue::string("AssumedRole"));
        }
        ctx
    }

    /// [`Account::base`] for a request of `e` acting on the user or role `t`:
    /// with `t`'s tags as `iam:ResourceTag/<key>` and `aws:ResourceTag/<key>`.
    fn on(e: &Entity, t: &Entity) -> Context {
        Self::on_base(Self::base(e), t)
    }

    /// [`Account::on`] from `e`'s [`Account::base`].
    fn on_base(mut ctx: Context, t: &Entity) -> Context {
        for (k, v) in &t.tags {
            for prefix in ["iam:ResourceTag", "aws:ResourceTag"] {
                ctx.insert(&format!("{prefix}/{k}"), ContextValue::string(v.as_str()));
            }
        }
        ctx
    }

    /// Whether `e` may do `action` on a resource of its choosing: on `*`, or
    /// on a resource of each type the action acts on, named as an attacker
    /// would name it (a policy scoped to `training-job/*` still lets one
    /// create a training job).
    fn allowed_anywhere(&self, e: &Entity, action: &str, context: &Context) -> bool {
        if self.allowed(e, action, "*", context) {
            return true;
        }
        let Some((svc, a)) = crate::Catalog::builtin().action(action) else {
            return false;
        };
        let account = e.arn.split(':').nth(4).unwrap_or_default();
        a.resources
            .iter()
            .filter_map(|r| svc.resources.get(&r.name))
            .any(|t| {
                let mut arn = String::new();
                let mut rest = t.arn.as_str();
                while let Some((before, after)) = rest.split_once("${") {
                    arn.push_str(before);
                    let (var, tail) = after.split_once('}').unwrap_or((after, ""));
                    arn.push_str(match var {
                        "Partition" => "aws",
                        "Region" => "us-east-1",
                        "Account" => account,
                        _ => "mlguard-probe",
                    });
                    rest = tail;
                }
                arn.push_str(rest);
                self.allowed(e, action, &arn, context)
            })
    }

    fn allowed(&self, e: &Entity, action: &str, resource: &str, context: &Context) -> bool {
        if !e.may_allow(action) {
            return false;
        }
        let identity: Vec<&Policy> = e.policies.iter().collect();
        let boundary: Vec<&Policy> = e.boundary.iter().collect();
        let set = PolicySet {
            identity: &identity,
            boundary: (!boundary.is_empty()).then_some(boundary.as_slice()),
            ..PolicySet::default()
        };
        let request = Request {
            principal: &e.principal,
            action,
            resource,
            resource_account: None,
            context,
        };
        authorize(&set, &request).decision == Decision::Allowed
    }

    /// Whether `who` may assume `role`: its identity policies allow
    /// sts:AssumeRole on the role and the role's trust policy names it.
    /// `ctx` is [`Account::on`] of the two.
    fn can_assume(&self, who: &Entity, role: &Entity, ctx: &Context) -> bool {
        let Some(trust) = &role.trust else {
            return false;
        };
        match role.admits {
            Admits::Nobody => return false,
            // An account's trust needs the identity's allow too.
            Admits::Accounts if !who.may_allow("sts:AssumeRole") => return false,
            Admits::Accounts | Admits::Named => {}
        }
        let identity: Vec<&Policy> = who.policies.iter().collect();
        let boundary: Vec<&Policy> = who.boundary.iter().collect();
        let set = PolicySet {
            identity: &identity,
            boundary: (!boundary.is_empty()).then_some(boundary.as_slice()),
            resource: Some(trust),
            resource_policy_mandatory: true,
            ..PolicySet::default()
        };
        let request = Request {
            principal: &who.principal,
            action: "sts:AssumeRole",
            resource: &role.arn,
            resource_account: None,
            context: ctx,
        };
        authorize(&set, &request).decision == Decision::Allowed
    }

    /// Whether `e` would be an administrator with `extra` policies added.
    fn admin_with(&self, e: &Entity, extra: &[Policy]) -> bool {
        let mut policies = e.policies.clone();
        policies.extend(extra.iter().cloned());
        let probe = Entity {
            kind: e.kind,
            arn: e.arn.clone(),
            principal: e.principal.clone(),
            policies,
            boundary: e.boundary.clone(),
            trust: None,
            attached: Vec::new(),
            groups: Vec::new(),
            tags: e.tags.clone(),
            admits: Admits::Nobody,
            services: 0,
            named: std::cell::RefCell::default(),
        };
        self.is_admin(&probe)
    }

    fn is_admin(&self, e: &Entity) -> bool {
        // Only a statement that grants every action (`"Action": "*"`, or a
        // NotAction) on every resource allows an action no service has; with
        // IAM's permissions management too, the principal is an administrator
        // (`"NotAction": "iam:*"` is not).
        let ctx = Self::base(e);
        self.allowed(e, "mlguard-probe:Administrator", "*", &ctx)
            && self.allowed(e, "iam:PutRolePolicy", "*", &ctx)
            && self.allowed(e, "iam:AttachUserPolicy", "*", &ctx)
    }

    /// Whether a role's trust policy lets a service assume it.
    fn trusts_service(role: Option<&Policy>, service: &str) -> bool {
        role.is_some_and(|t| {
            t.statements.iter().any(|s| {
                s.effect.value == Effect::Allow
                    && s.action.items.iter().any(|a| a.matches("sts:AssumeRole"))
                    && s.principal.as_ref().is_some_and(|p| {
                        !p.negated
                            && p.entries.iter().any(|en| {
                                en.kind == PrincipalType::Service
                                    && en.text.eq_ignore_ascii_case(service)
                            })
                    })
            })
        })
    }

    /// Ways `e` can change its own permissions.
    fn self_escalations(&self, e: &Entity) -> Vec<Step> {
        // Policies and groups carry no tags here; the principal itself does.
        let ctx = Self::base(e);
        let own = Self::on(e, e);
        let mut out = Vec::new();
        let mut step = |technique: &str, actions: &[&str]| {
            out.push(Step {
                from: e.arn.clone(),
                technique: technique.into(),
                actions: actions.iter().map(|a| (*a).to_owned()).collect(),
                to: e.arn.clone(),
            });
        };
        for p in &e.attached {
            if self.allowed(e, "iam:CreatePolicyVersion", p, &ctx) {
                step(
                    &format!("CreatePolicyVersion on its attached policy {p}"),
                    &["iam:CreatePolicyVersion"],
                );
            }
            let stronger = self.managed.get(p).is_some_and(|m| {
                m.others
                    .iter()
                    .any(|v| self.admin_with(e, std::slice::from_ref(v)))
            });
            if stronger && self.allowed(e, "iam:SetDefaultPolicyVersion", p, &ctx) {
                step(
                    &format!("SetDefaultPolicyVersion on its attached policy {p}"),
                    &["iam:SetDefaultPolicyVersion"],
                );
            }
        }
        let (attach, put, delete_boundary) = match e.kind {
            Kind::User => (
                "iam:AttachUserPolicy",
                "iam:PutUserPolicy",
                "iam:DeleteUserPermissionsBoundary",
            ),
            Kind::Role => (
                "iam:AttachRolePolicy",
                "iam:PutRolePolicy",
                "iam:DeleteRolePermissionsBoundary",
            ),
        };
        // A permissions boundary caps what a policy it writes can grant.
        let capped = !e.boundary.is_empty();
        if !capped && self.allowed(e, attach, &e.arn, &own) {
            step(
                &format!("{} on itself", attach.trim_start_matches("iam:")),
                &[attach],
            );
        }
        if !capped && self.allowed(e, put, &e.arn, &own) {
            step(
                &format!("{} on itself", put.trim_start_matches("iam:")),
                &[put],
            );
        }
        if !e.boundary.is_empty() && self.allowed(e, delete_boundary, &e.arn, &own) {
            step("removes its permissions boundary", &[delete_boundary]);
        }
        if e.kind == Kind::User {
            for g in &e.groups {
                let Some(arn) = self.group_arns.get(g) else {
                    continue;
                };
                for a in ["iam:AttachGroupPolicy", "iam:PutGroupPolicy"] {
                    if self.allowed(e, a, arn, &ctx) {
                        step(
                            &format!("{} on its group {g}", a.trim_start_matches("iam:")),
                            &[a],
                        );
                    }
                }
            }
            for arn in self.group_arns.values() {
                let grants = self.group_grants.get(arn).map_or(&[][..], Vec::as_slice);
                if self.allowed(e, "iam:AddUserToGroup", arn, &ctx) && self.admin_with(e, grants) {
                    step(
                        &format!("AddUserToGroup into {arn}"),
                        &["iam:AddUserToGroup"],
                    );
                    break;
                }
            }
        }
        out
    }

    /// An action by which `e` can rewrite `t`'s permissions.
    fn can_modify(&self, e: &Entity, t: &Entity) -> Option<&'static str> {
        let ctx = Self::on(e, t);
        let policy_ctx = Self::base(e);
        let direct: &[&'static str] = match t.kind {
            Kind::Role => &["iam:PutRolePolicy", "iam:AttachRolePolicy"],
            Kind::User => &["iam:PutUserPolicy", "iam:AttachUserPolicy"],
        };
        direct
            .iter()
            .copied()
            .find(|a| self.allowed(e, a, &t.arn, &ctx))
            .or_else(|| {
                t.attached
                    .iter()
                    .any(|p| self.allowed(e, "iam:CreatePolicyVersion", p, &policy_ctx))
                    .then_some("iam:CreatePolicyVersion")
            })
    }

    /// Ways `e` can act as another principal.
    fn edges(&self, i: usize) -> Vec<Edge> {
        let Some(e) = self.entities.get(i) else {
            return Vec::new();
        };
        let base = Self::base(e);
        // What `e` may do at all is asked once, not for every other principal:
        // most principals can do none of it, and their search costs a few
        // comparisons per pair.
        let update_trust = e.may_allow("iam:UpdateAssumeRolePolicy");
        let pass = e.may_allow("iam:PassRole");
        let user_takeover: Vec<usize> = (0..USER_TAKEOVER.len())
            .filter(|&k| USER_TAKEOVER.get(k).is_some_and(|(a, _)| e.may_allow(a)))
            .collect();
        // Per compute way, whether `e` can start the code (asked on first need).
        let mut starts: Vec<Option<bool>> = vec![None; PASS_ROLE_COMPUTE.len()];
        // The request context of `e` on a target, per set of target tags:
        // principals share a few tag sets, and building a context is most of
        // the cost of a question.
        let mut contexts: HashMap<&[(String, String)], Context> = HashMap::new();
        let mut out = Vec::new();
        for (j, t) in self.entities.iter().enumerate() {
            if j == i {
                continue;
            }
            let mut add = |way| {
                out.push(Edge {
                    to: j,
                    way,
                    modify: None,
                });
            };
            match t.kind {
                Kind::Role => {
                    let assume = t.admits != Admits::Nobody;
                    if !(assume || update_trust || (pass && t.services != 0)) {
                        continue;
                    }
                    let on_t = contexts
                        .entry(&t.tags)
                        .or_insert_with(|| Self::on_base(base.clone(), t));
                    if assume && self.can_assume(e, t, on_t) {
                        add(Way::Assume);
                    } else if update_trust
                        && self.allowed(e, "iam:UpdateAssumeRolePolicy", &t.arn, on_t)
                    {
                        // Within the account a trust policy naming the caller
                        // admits it on its own: no identity allow is needed.
                        add(Way::UpdateTrust);
                    }
                    if !pass {
                        continue;
                    }
                    for (k, ((service, actions), start)) in
                        PASS_ROLE_COMPUTE.iter().zip(&mut starts).enumerate()
                    {
                        if t.services & (1 << k) == 0 {
                            continue;
                        }
                        // (Taken out again below: only PassRole carries it.)
                        on_t.insert(PASSED_TO_SERVICE, ContextValue::string(*service));
                        if !self.allowed(e, "iam:PassRole", &t.arn, on_t) {
                            continue;
                        }
                        let can_start = *start.get_or_insert_with(|| {
                            actions.iter().all(|a| self.allowed_anywhere(e, a, &base))
                        });
                        if can_start {
                            add(Way::PassRole(k));
                            break;
                        }
                    }
                    on_t.remove(PASSED_TO_SERVICE);
                }
                Kind::User => {
                    if user_takeover.is_empty() {
                        continue;
                    }
                    let on_t = contexts
                        .entry(&t.tags)
                        .or_insert_with(|| Self::on_base(base.clone(), t));
                    if let Some(&k) = user_takeover.iter().find(|&&k| {
                        USER_TAKEOVER
                            .get(k)
                            .is_some_and(|(a, _)| self.allowed(e, a, &t.arn, on_t))
                    }) {
                        add(Way::TakeOver(k));
                    }
                }
            }
        }
        out
    }

    fn probes(&self, e: &Entity) -> HashSet<&'static str> {
        PROBES
            .iter()
            .copied()
            .filter(|a| self.allowed_anywhere(e, a, &Self::base(e)))
            .collect()
    }
}

/// Analyzes `GetAccountAuthorizationDetails` output.
pub fn analyze(json: &str) -> Result<Report, String> {
    let account = Account::parse(json)?;
    let n = account.entities.len();
    let admin: Vec<bool> = account
        .entities
        .iter()
        .map(|e| account.is_admin(e))
        .collect();
    // Each edge once: whether the principal can also rewrite the one it acts
    // as (an administrator in the making), and each principal's ways to change
    // its own permissions — every search reads them.
    let edges: Vec<Vec<Edge>> = (0..n)
        .map(|i| {
            let mut out = account.edges(i);
            for edge in &mut out {
                edge.modify = account
                    .entities
                    .get(i)
                    .zip(account.entities.get(edge.to))
                    .and_then(|(from, to)| account.can_modify(from, to));
            }
            out
        })
        .collect();
    let arn = |k: usize| account.entities.get(k).map_or("", |e| e.arn.as_str());
    // (An administrator needs none: it already has everything.)
    let self_escalations: Vec<Vec<Step>> = account
        .entities
        .iter()
        .zip(&admin)
        .map(|(e, a)| {
            if *a {
                Vec::new()
            } else {
                account.self_escalations(e)
            }
        })
        .collect();
    let probes: Vec<HashSet<&'static str>> =
        account.entities.iter().map(|e| account.probes(e)).collect();
    let mut report = Report {
        principals: n,
        administrators: account
            .entities
            .iter()
            .zip(&admin)
            .filter(|(_, a)| **a)
            .map(|(e, _)| e.arn.clone())
            .collect(),
        findings: Vec::new(),
        warnings: account.warnings.clone(),
    };
    for (i, e) in account.entities.iter().enumerate() {
        if admin.get(i).copied().unwrap_or(false) {
            continue;
        }
        // Changing its own permissions: administrator in one step.
        if let Some(step) = self_escalations.get(i).and_then(|v| v.first()).cloned() {
            report.findings.push(Finding {
                kind: "PRIVILEGE_ESCALATION".into(),
                severity: "HIGH".into(),
                principal: e.arn.clone(),
                principal_type: e.kind,
                details: format!(
                    "{} can change its own permissions: {}",
                    e.arn, step.technique
                ),
                path: vec![step],
                gains: vec!["administrator".into()],
            });
            continue;
        }
        // Breadth-first over principals it can act as: the shortest path to
        // an administrator, else every direct gain of sensitive actions.
        // (Each reached principal keeps the edge it was reached by; steps are
        // cloned for the path found alone.)
        let mut prev: HashMap<usize, (usize, &Edge)> = HashMap::new();
        let mut queue = VecDeque::from([i]);
        let mut seen = HashSet::from([i]);
        let mut found_admin = None;
        while let Some(k) = queue.pop_front() {
            for edge in edges.get(k).into_iter().flatten() {
                let j = edge.to;
                if !seen.insert(j) {
                    continue;
                }
                prev.insert(j, (k, edge));
                let escalates = edge.modify.is_some()
                    || admin.get(j).copied().unwrap_or(false)
                    || self_escalations.get(j).is_some_and(|v| !v.is_empty());
                if escalates {
                    found_admin = Some(j);
                    break;
                }
                queue.push_back(j);
            }
            if found_admin.is_some() {
                break;
            }
        }
        if let Some(target) = found_admin {
            let mut path = Vec::new();
            let mut at = target;
            while let Some(&(from, edge)) = prev.get(&at) {
                path.push(edge.step(arn(from), arn(at)));
                at = from;
            }
            path.reverse();
            let ml = path
                .iter()
                .any(|s| s.actions.iter().any(|a| a.starts_with("sagemaker:")));
            report.findings.push(Finding {
                kind: "PRIVILEGE_ESCALATION".into(),
                severity: if ml || path.len() == 1 {
                    "HIGH"
                } else {
                    "MEDIUM"
                }
                .into(),
                principal: e.arn.clone(),
                principal_type: e.kind,
                details: format!(
                    "{} reaches administrator in {} step(s): {}",
                    e.arn,
                    path.len(),
                    path.iter()
                        .map(|s| format!("{} → {}", s.technique, s.to))
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
                path,
                gains: vec!["administrator".into()],
            });
            continue;
        }
        let mine = probes.get(i).cloned().unwrap_or_default();
        for edge in edges.get(i).into_iter().flatten() {
            let mut gained: Vec<String> = probes
                .get(edge.to)
                .into_iter()
                .flatten()
                .filter(|a| !mine.contains(**a))
                .map(|a| (*a).to_owned())
                .collect();
            gained.sort();
            if gained.is_empty() {
                continue;
            }
            let step = edge.step(&e.arn, arn(edge.to));
            report.findings.push(Finding {
                kind: "PRIVILEGE_ESCALATION".into(),
                severity: "MEDIUM".into(),
                principal: e.arn.clone(),
                principal_type: e.kind,
                details: format!(
                    "{} gains {} through {}",
                    e.arn,
                    gained.join(", "),
                    step.technique
                ),
                path: vec![step],
                gains: gained,
            });
        }
    }
    for (i, e) in account.entities.iter().enumerate() {
        if admin.get(i).copied().unwrap_or(false) {
            continue;
        }
        for (kind, actions, what) in [
            (
                "DATA_EXFILTRATION",
                EXFILTRATION,
                "reads data on every resource",
            ),
            (
                "CREDENTIALS_EXPOSURE",
                CREDENTIALS,
                "obtains credentials for any principal or resource",
            ),
        ] {
            let hits: Vec<String> = actions
                .iter()
                .filter(|a| account.allowed_anywhere(e, a, &Account::base(e)))
                .map(|a| (*a).to_owned())
                .collect();
            if !hits.is_empty() {
                report.findings.push(Finding {
                    kind: kind.into(),
                    severity: "MEDIUM".into(),
                    principal: e.arn.clone(),
                    principal_type: e.kind,
                    details: format!(
                        "{} {what} with {} unrestricted by resource",
                        e.arn,
                        hits.join(", ")
                    ),
                    path: Vec::new(),
                    gains: hits,
                });
            }
        }
    }
    Ok(report)
}
