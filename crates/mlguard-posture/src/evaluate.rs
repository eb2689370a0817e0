//! Running the checks over a scope.

use std::collections::BTreeMap;

use serde_json::Value;

use mlguard_policy::{
    Context, ContextValue, Decision, Policy, PolicyKind, PolicySet, Principal, Request, authorize,
};

use crate::checks::{self, Check};
use crate::iam;
use crate::intrinsics::UNKNOWN;
use crate::model::{Field, Origin, Role, Scope};

/// One failed check on one resource.
#[derive(Debug, Clone)]
pub struct Finding {
    pub check: &'static Check,
    pub resource: String,
    pub origin: Origin,
    pub message: String,
    /// The reason from the configuration file, when suppressed.
    pub suppressed: Option<String>,
}

/// A check that could not be decided for a resource, and why.
#[derive(Debug, Clone)]
pub struct Undetermined {
    pub check: &'static Check,
    pub resource: String,
    pub origin: Origin,
    pub reason: String,
}

/// What the checks found.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub undetermined: Vec<Undetermined>,
    /// Resources judged, by check id (passes and failures).
    pub evaluated: BTreeMap<&'static str, usize>,
}

struct Run<'s> {
    enabled: &'s dyn Fn(&Check) -> bool,
    out: Outcome,
}

impl Run<'_> {
    /// Records the result of `check` on a resource: `Some(false)` failed
    /// with `message`, `Some(true)` passed, `None` undetermined.
    fn judge(
        &mut self,
        check: &'static Check,
        resource: &str,
        origin: &Origin,
        result: Option<bool>,
        message: String,
    ) {
        if !(self.enabled)(check) {
            return;
        }
        *self.out.evaluated.entry(check.id).or_default() += 1;
        match result {
            Some(true) => {}
            Some(false) => self.out.findings.push(Finding {
                check,
                resource: resource.to_owned(),
                origin: origin.clone(),
                message,
                suppressed: None,
            }),
            None => self.out.undetermined.push(Undetermined {
                check,
                resource: resource.to_owned(),
                origin: origin.clone(),
                reason: message,
            }),
        }
    }
}

/// A boolean setting that must be true (`default` when absent).
fn must_be_true(f: &Field, default: bool) -> Option<bool> {
    match f {
        Field::Absent => Some(default),
        Field::Unknown => None,
        f => Some(f.as_bool() == Some(true)),
    }
}

/// An `Enabled`/`Disabled` setting that must be `Disabled`.
fn must_be_disabled(f: &Field, default_enabled: bool) -> Option<bool> {
    match f {
        Field::Absent => Some(!default_enabled),
        Field::Unknown => None,
        f => Some(
            f.as_str()
                .is_some_and(|s| s.eq_ignore_ascii_case("Disabled")),
        ),
    }
}

fn unknown_msg(what: &str) -> String {
    format!("{what} is known only after deployment")
}

/// Runs every enabled check.
pub fn run(scope: &Scope, enabled: &dyn Fn(&Check) -> bool) -> Outcome {
    let mut r = Run {
        enabled,
        out: Outcome::default(),
    };
    sagemaker(scope, &mut r);
    roles(scope, &mut r);
    buckets(scope, &mut r);
    keys(scope, &mut r);
    for s in &scope.secrets {
        let result = must_be_true(&s.rotation, false);
        r.judge(
            checks::SECRET_ROTATION,
            &s.name,
            &s.origin,
            result,
            if result.is_none() {
                unknown_msg("RotationEnabled")
            } else {
                "rotation is not enabled".into()
            },
        );
    }
    monitoring(scope, &mut r);
    r.out
}

fn sagemaker(scope: &Scope, r: &mut Run<'_>) {
    for j in &scope.jobs {
        let what = if j.processing {
            "processing job"
        } else {
            "training job"
        };
        let in_vpc = j.subnets.is_set() && j.security_groups.is_set();
        r.judge(checks::JOB_VPC, &j.name, &j.origin, Some(in_vpc),
            format!("{what} has no VpcConfig: its containers run in SageMaker's network, with internet access"));
        let iso = must_be_true(&j.network_isolation, false);
        r.judge(
            checks::JOB_ISOLATION,
            &j.name,
            &j.origin,
            iso,
            if iso.is_none() {
                unknown_msg("EnableNetworkIsolation")
            } else {
                format!("{what} runs without network isolation: its code can call out")
            },
        );
        // One instance has no inter-container traffic to encrypt.
        let count = j.instance_count.unwrap_or(1);
        if count > 1 {
            let ice = must_be_true(&j.inter_container_encryption, false);
            r.judge(
                checks::JOB_ICE,
                &j.name,
                &j.origin,
                ice,
                if ice.is_none() {
                    unknown_msg("EnableInterContainerTrafficEncryption")
                } else {
                    format!("{what} on {count} instances sends traffic between them unencrypted")
                },
            );
        }
        r.judge(
            checks::JOB_VOLUME_KMS,
            &j.name,
            &j.origin,
            Some(j.volume_kms_key.is_set()),
            format!("{what}'s storage volumes are not encrypted with a KMS key (VolumeKmsKeyId)"),
        );
        r.judge(
            checks::JOB_OUTPUT_KMS,
            &j.name,
            &j.origin,
            Some(j.output_kms_key.is_set()),
            format!("{what}'s output is not encrypted with a KMS key (output KmsKeyId)"),
        );
        if in_vpc {
            reachability(scope, j, r);
        }
    }
    for m in &scope.models {
        r.judge(
            checks::MODEL_VPC,
            &m.name,
            &m.origin,
            Some(m.subnets.is_set()),
            "model has no VpcConfig: its containers run in SageMaker's network".into(),
        );
        let iso = must_be_true(&m.network_isolation, false);
        r.judge(
            checks::MODEL_ISOLATION,
            &m.name,
            &m.origin,
            iso,
            if iso.is_none() {
                unknown_msg("EnableNetworkIsolation")
            } else {
                "model runs without network isolation".into()
            },
        );
    }
    for e in &scope.endpoint_configs {
        r.judge(
            checks::ENDPOINT_KMS,
            &e.name,
            &e.origin,
            Some(e.kms_key.is_set()),
            "endpoint config has no KmsKeyId: its instances' storage volumes use AWS's key".into(),
        );
    }
    for n in &scope.notebooks {
        let d = must_be_disabled(&n.direct_internet_access, true);
        r.judge(checks::NOTEBOOK_INTERNET, &n.name, &n.origin, d,
            if d.is_none() { unknown_msg("DirectInternetAccess") } else { "notebook instance has direct internet access (DirectInternetAccess is Enabled, AWS's default)".into() });
        let root = must_be_disabled(&n.root_access, true);
        r.judge(
            checks::NOTEBOOK_ROOT,
            &n.name,
            &n.origin,
            root,
            if root.is_none() {
                unknown_msg("RootAccess")
            } else {
                "notebook instance users have root access (RootAccess is Enabled, AWS's default)"
                    .into()
            },
        );
        let imds = match &n.imds_version {
            Field::Absent => Some(false),
            Field::Unknown => None,
            f => Some(f.as_str() == Some("2") || f == &Field::Known(Value::from(2))),
        };
        r.judge(
            checks::NOTEBOOK_IMDS,
            &n.name,
            &n.origin,
            imds,
            if imds.is_none() {
                unknown_msg("MinimumInstanceMetadataServiceVersion")
            } else {
                "notebook instance serves instance metadata over IMDSv1 (AWS's default)".into()
            },
        );
        r.judge(
            checks::NOTEBOOK_VPC,
            &n.name,
            &n.origin,
            Some(n.subnet.is_set()),
            "notebook instance has no SubnetId: it is not in a VPC".into(),
        );
        r.judge(
            checks::NOTEBOOK_KMS,
            &n.name,
            &n.origin,
            Some(n.kms_key.is_set()),
            "notebook instance has no KmsKeyId: its storage volume uses AWS's key".into(),
        );
    }
    for d in &scope.domains {
        let vpc_only = match &d.app_network_access {
            Field::Absent => Some(false),
            Field::Unknown => None,
            f => Some(f.as_str() == Some("VpcOnly")),
        };
        r.judge(checks::DOMAIN_VPC, &d.name, &d.origin, vpc_only,
            if vpc_only.is_none() { unknown_msg("AppNetworkAccessType") } else { "Studio domain sends traffic to the internet (AppNetworkAccessType PublicInternetOnly, AWS's default)".into() });
        r.judge(
            checks::DOMAIN_KMS,
            &d.name,
            &d.origin,
            Some(d.kms_key.is_set()),
            "Studio domain has no KmsKeyId: its EFS volume uses an AWS managed key".into(),
        );
    }
}

/// The network analyzer on the job's subnets and groups, in the topology
/// that holds them.
fn reachability(scope: &Scope, j: &crate::model::Job, r: &mut Run<'_>) {
    let subnets = j.subnets.strings();
    let groups = j.security_groups.strings();
    let Some(first) = subnets.first() else {
        return;
    };
    let Some(net) = scope.networks.iter().find(|n| {
        n.topology.subnets.iter().any(|s| &s.id == first)
            || n.topology.ipv6_only_subnets.contains(first)
    }) else {
        if !scope.networks.is_empty() {
            r.judge(
                checks::JOB_REACH,
                &j.name,
                &j.origin,
                None,
                format!("no topology given holds subnet {first}"),
            );
        }
        return;
    };
    let distributed = j.instance_count.unwrap_or(1) > 1;
    match mlguard_net::sagemaker::check(&net.topology, &subnets, &groups, &[], distributed) {
        Err(e) => r.judge(
            checks::JOB_REACH,
            &j.name,
            &j.origin,
            None,
            format!("{}: {}", net.origin.file, e.0),
        ),
        Ok(report) => {
            let isolated = j.network_isolation.as_bool() == Some(true);
            let mut problems: Vec<String> = Vec::new();
            let mut optional: Vec<String> = Vec::new();
            for req in report.requirements.iter().filter(|q| !q.reachable) {
                if req.required {
                    let symptom = req.symptom.as_deref().unwrap_or_default();
                    problems.push(format!(
                        "{} from {}: {symptom}",
                        req.requirement, req.subnet
                    ));
                } else if !isolated {
                    // Needed only if the job's code calls the service; an
                    // isolated container calls nothing.
                    optional.push(format!("{} from {}", req.requirement, req.subnet));
                }
            }
            problems.extend(report.findings.iter().cloned());
            if problems.is_empty() && !optional.is_empty() {
                r.judge(checks::JOB_REACH, &j.name, &j.origin, None, format!(
                    "in topology {}: S3 is reachable; the job's code cannot reach {} (a failure only if it calls them)",
                    net.origin.file, optional.join(", ")));
            } else {
                r.judge(
                    checks::JOB_REACH,
                    &j.name,
                    &j.origin,
                    Some(problems.is_empty()),
                    format!("in topology {}: {}", net.origin.file, problems.join("; ")),
                );
            }
        }
    }
}

fn role_name(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// Access Analyzer's codes for wildcard grants.
const WILDCARD_CODES: &[&str] = &[
    "FULL_ADMIN_ACCESS",
    "WILDCARD_ACTION_ON_SENSITIVE_SERVICE",
    "WILDCARD_IN_SERVICE_NAME",
];

fn first_sentence(s: &str) -> &str {
    s.split_once(". ").map_or(s, |(a, _)| a)
}

/// Template roles (CloudFormation, Terraform) of one file as
/// `GetAccountAuthorizationDetails` output, so escalation analysis judges
/// them as it judges an account's.
fn synthetic_account(roles: &[&Role]) -> String {
    let list: Vec<Value> = roles
        .iter()
        .map(|role| {
            let policies: Vec<Value> = role
                .policies
                .iter()
                .map(|(n, d)| {
                    let doc: Value = serde_json::from_str(&concrete(&d.to_string()).replace(UNKNOWN, "*"))
                        .unwrap_or(Value::Null);
                    serde_json::json!({"PolicyName": n, "PolicyDocument": doc})
                })
                .collect();
            let trust: Value = role
                .trust
                .as_ref()
                .and_then(|t| serde_json::from_str(&concrete(&t.to_string()).replace(UNKNOWN, "*")).ok())
                .unwrap_or(Value::Null);
            serde_json::json!({
                "RoleName": role.name,
                "Arn": concrete(&role.arn),
                "Path": "/",
                "AssumeRolePolicyDocument": trust,
                "RolePolicyList": policies,
                "AttachedManagedPolicies": role.managed_arns.iter().map(|a| serde_json::json!({"PolicyArn": a, "PolicyName": a.rsplit('/').next().unwrap_or(a)})).collect::<Vec<_>>(),
            })
        })
        .collect();
    serde_json::json!({"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": list, "Policies": []}).to_string()
}

fn roles(scope: &Scope, r: &mut Run<'_>) {
    let mut all: Vec<Role> = scope.roles.clone();
    let mut accounts = Vec::new();
    for a in &scope.accounts {
        match iam::Account::parse(&a.text) {
            Ok(acct) => {
                all.extend(acct.roles(&a.origin));
                accounts.push((acct, a));
            }
            Err(e) => r.judge(checks::ROLE_WILDCARD, &a.origin.file, &a.origin, None, e),
        }
    }
    // AWS managed policies attached by ARN: their published documents where
    // mlguard embeds them (AdministratorAccess, IAMFullAccess,
    // PowerUserAccess); any other leaves the role's grants unknown.
    for role in &mut all {
        let mut unknown_managed = Vec::new();
        for arn in std::mem::take(&mut role.managed_arns) {
            match mlguard_analyzer::aws_managed::EMBEDDED
                .iter()
                .find(|(a, _)| *a == arn)
                .and_then(|(_, text)| serde_json::from_str::<Value>(text).ok())
            {
                Some(doc) => role.policies.push((arn, doc)),
                None => unknown_managed.push(arn),
            }
        }
        role.managed_arns = unknown_managed;
    }
    let catalog = mlguard_analyzer::Catalog::builtin();
    for role in all
        .iter()
        .filter(|x| x.trust.as_ref().is_some_and(iam::trusts_sagemaker))
    {
        // A grant found fails; none found with documents missing is undetermined.
        let verdict = |found: bool| {
            if found {
                Some(false)
            } else if role.managed_arns.is_empty() {
                Some(true)
            } else {
                None
            }
        };
        let missing = format!(
            "managed policies not in the input: {} (add get-account-authorization-details output)",
            role.managed_arns.join(", ")
        );
        let mut grants = Vec::new();
        for (name, doc) in &role.policies {
            let mut found = iam::wildcards(doc);
            let text = doc.to_string().replace(UNKNOWN, "*");
            for f in
                mlguard_analyzer::validate(&text, mlguard_analyzer::PolicyType::Identity, catalog)
            {
                // The analyzer's judgement of broad grants ours does not
                // already name (`"*"` and `"service:*"`): sensitive services'
                // wildcards such as `iam:Put*`.
                if WILDCARD_CODES.contains(&f.issue_code.as_str())
                    && !found
                        .iter()
                        .any(|x| f.finding_details.contains(x.trim_matches('"')))
                {
                    found.push(format!(
                        "{} ({})",
                        first_sentence(&f.finding_details),
                        f.issue_code
                    ));
                }
            }
            if !found.is_empty() {
                grants.push(format!("{name}: {}", found.join(", ")));
            }
        }
        let unscoped: Vec<String> = role
            .policies
            .iter()
            .flat_map(|(_, doc)| iam::unscoped(doc, catalog))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let shown: Vec<&str> = unscoped.iter().take(8).map(String::as_str).collect();
        let result = verdict(!unscoped.is_empty());
        r.judge(
            checks::ROLE_UNSCOPED,
            &role.name,
            &role.origin,
            result,
            if result.is_none() { missing.clone() } else { format!(
                "execution role {} allows {}{} on every resource (\"Resource\": \"*\", no condition), though they can be scoped to ARNs",
                role.name,
                shown.join(", "),
                if unscoped.len() > shown.len() { format!(" and {} more", unscoped.len() - shown.len()) } else { String::new() }
            ) },
        );
        let result = verdict(!grants.is_empty());
        let message = if result.is_none() {
            missing
        } else {
            format!("execution role {} allows {}", role.name, grants.join("; "))
        };
        r.judge(
            checks::ROLE_WILDCARD,
            &role.name,
            &role.origin,
            result,
            message,
        );
    }
    // Uses of each role by name, across every configuration in scope.
    let mut uses: BTreeMap<String, (Vec<&'static str>, Origin)> = BTreeMap::new();
    let mut note = |f: &Field, what: &'static str, origin: &Origin| {
        if let Some(arn) = f.as_str() {
            let e = uses
                .entry(role_name(arn).to_owned())
                .or_insert_with(|| (Vec::new(), origin.clone()));
            if !e.0.contains(&what) {
                e.0.push(what);
            }
        }
    };
    for j in &scope.jobs {
        note(&j.role, "training", &j.origin);
    }
    for m in &scope.models {
        note(&m.role, "inference", &m.origin);
    }
    for n in &scope.notebooks {
        note(&n.role, "user (notebook)", &n.origin);
    }
    for d in &scope.domains {
        note(&d.role, "user (Studio)", &d.origin);
    }
    for (name, (what, origin)) in &uses {
        r.judge(
            checks::ROLE_SEPARATION,
            name,
            origin,
            Some(what.len() < 2),
            format!("role {name} is used for {}", what.join(" and ")),
        );
    }
    // Escalation: each account's details, and each template's roles as an
    // account of their own.
    let mut escalation_scopes: Vec<(String, Origin)> = accounts
        .iter()
        .map(|(_, a)| (a.text.clone(), a.origin.clone()))
        .collect();
    let mut files: Vec<&str> = scope.roles.iter().map(|x| x.origin.file.as_str()).collect();
    files.sort_unstable();
    files.dedup();
    for file in files {
        let mine: Vec<&Role> = scope
            .roles
            .iter()
            .filter(|x| x.origin.file == file)
            .collect();
        if let Some(first) = mine.first() {
            escalation_scopes.push((
                synthetic_account(&mine),
                Origin {
                    path: String::new(),
                    ..first.origin.clone()
                },
            ));
        }
    }
    for (text, origin) in &escalation_scopes {
        let exec: Vec<&Role> = all
            .iter()
            .filter(|x| {
                x.origin.file == origin.file && x.trust.as_ref().is_some_and(iam::trusts_sagemaker)
            })
            .collect();
        if !exec.is_empty() && (r.enabled)(checks::ROLE_ESCALATION) {
            match mlguard_analyzer::escalation::analyze(text) {
                Ok(report) => {
                    for role in &exec {
                        let arn = concrete(&role.arn);
                        let mut paths: Vec<String> = report
                            .findings
                            .iter()
                            .filter(|f| f.principal == arn && f.kind == "PRIVILEGE_ESCALATION")
                            .map(|f| {
                                f.path
                                    .iter()
                                    .map(|s| format!("{} ({})", s.technique, s.actions.join(" + ")))
                                    .collect::<Vec<_>>()
                                    .join(" -> ")
                                    + &format!(" gains {}", f.gains.join(", "))
                            })
                            .collect();
                        // Nothing to escalate to: it holds everything already.
                        if report.administrators.contains(&arn) {
                            paths.insert(0, "it is an administrator already".into());
                        }
                        r.judge(
                            checks::ROLE_ESCALATION,
                            &role.name,
                            &role.origin,
                            Some(paths.is_empty()),
                            format!(
                                "code running as {} can escalate: {}",
                                role.arn,
                                paths.join("; ")
                            ),
                        );
                    }
                }
                Err(e) => r.judge(checks::ROLE_ESCALATION, &origin.file, origin, None, e),
            }
        }
    }
    for (acct, a) in &accounts {
        if (r.enabled)(checks::USER_MFA) {
            for (user, actions) in acct.privileged_users() {
                r.judge(
                    checks::USER_MFA,
                    &user,
                    &a.origin,
                    Some(actions.is_empty()),
                    format!(
                        "privileged user {user} may {} without MFA",
                        actions.join(", ")
                    ),
                );
            }
        }
    }
}

/// A principal outside every account the configuration names.
const OUTSIDER: &str = "arn:aws:iam::999988887777:user/mlguard-outsider";

/// Evaluates `action` on `resource` by an outsider who allows itself
/// everything, against a resource policy alone.
/// The outsider's own identity policy: it allows itself everything, so only
/// the resource policy decides.
static ALLOW_ALL: std::sync::LazyLock<Option<Policy>> = std::sync::LazyLock::new(|| {
    Policy::parse(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
        PolicyKind::Managed,
    )
    .ok()
});

fn outsider_decision(
    policy: &Policy,
    action: &str,
    resource: &str,
    context: &Context,
    anonymous: bool,
) -> Decision {
    let Some(all) = ALLOW_ALL.as_ref() else {
        return Decision::ImplicitDeny;
    };
    let principal = if anonymous {
        Principal::anonymous()
    } else {
        match Principal::from_arn(OUTSIDER) {
            Ok(p) => p,
            Err(_) => return Decision::ImplicitDeny,
        }
    };
    let identity = [all];
    let set = PolicySet {
        identity: if anonymous { &[] } else { &identity },
        resource: Some(policy),
        resource_policy_mandatory: true,
        ..PolicySet::default()
    };
    authorize(
        &set,
        &Request {
            principal: &principal,
            action,
            resource,
            resource_account: Some(OWN_ACCOUNT),
            context,
        },
    )
    .decision
}

/// The account a template's resources live in, for evaluation: templates
/// say `${AWS::AccountId}` (see [`crate::intrinsics`]).
const OWN_ACCOUNT: &str = "111122223333";

/// A template's pseudo parameters replaced by the stand-ins evaluation uses.
fn concrete(s: &str) -> String {
    s.replace("${AWS::AccountId}", OWN_ACCOUNT)
        .replace("${AWS::Region}", "us-east-1")
}

fn parse_resource_policy(doc: &Value, kind: PolicyKind) -> Result<Policy, String> {
    let text = concrete(&doc.to_string()).replace(UNKNOWN, "*");
    Policy::parse(&text, kind).map_err(|e| format!("the policy cannot be read: {e}"))
}

fn buckets(scope: &Scope, r: &mut Run<'_>) {
    for b in &scope.buckets {
        if let Some(e) = &b.encryption {
            let alg = match &e.algorithm {
                Field::Unknown => None,
                Field::Absent => Some("AES256".to_owned()),
                f => Some(f.as_str().unwrap_or_default().to_owned()),
            };
            let kms = alg.as_deref().map(|a| a.starts_with("aws:kms"));
            r.judge(
                checks::BUCKET_KMS,
                &b.name,
                &b.origin,
                kms,
                match &alg {
                    None => unknown_msg("SSEAlgorithm"),
                    Some(a) => format!("default encryption is {a} (SSE-S3), not SSE-KMS"),
                },
            );
            let cmk = match (kms, &e.kms_key) {
                (None, _) => None,
                (Some(false), _) => Some(false),
                (Some(true), Field::Absent) => Some(false),
                (Some(true), Field::Unknown) => Some(true),
                (Some(true), k) => Some(!k.as_str().is_some_and(|s| s.ends_with("alias/aws/s3"))),
            };
            r.judge(checks::BUCKET_CMK, &b.name, &b.origin, cmk,
                if cmk.is_none() { unknown_msg("SSEAlgorithm") } else { "default encryption does not use a customer managed key (no KMSMasterKeyID, or aws/s3)".into() });
        }
        if let Some(policy) = &b.policy {
            let (result, message) = match policy {
                None => (
                    Some(false),
                    "the bucket has no policy, so requests over plain HTTP are not denied"
                        .to_owned(),
                ),
                Some(doc) => match parse_resource_policy(doc, PolicyKind::BucketPolicy) {
                    Err(e) => (None, e),
                    Ok(p) => {
                        let mut ctx = Context::new();
                        ctx.insert("aws:SecureTransport", ContextValue::boolean(false));
                        let object = format!("arn:aws:s3:::{}/mlguard-probe", concrete(&b.name));
                        let bucket = format!("arn:aws:s3:::{}", concrete(&b.name));
                        let open: Vec<&str> = [
                            ("s3:GetObject", &object),
                            ("s3:PutObject", &object),
                            ("s3:ListBucket", &bucket),
                        ]
                        .into_iter()
                        .filter(|(a, res)| {
                            [false, true].iter().any(|anon| {
                                outsider_decision(&p, a, res, &ctx, *anon) != Decision::ExplicitDeny
                            })
                        })
                        .map(|(a, _)| a)
                        .collect();
                        (
                            Some(open.is_empty()),
                            format!(
                                "the policy does not deny {} over plain HTTP (aws:SecureTransport false) to every principal",
                                open.join(", ")
                            ),
                        )
                    }
                },
            };
            r.judge(checks::BUCKET_TLS, &b.name, &b.origin, result, message);
        }
        for (check, setting, what) in [
            (
                checks::BUCKET_VERSIONING,
                &b.versioning,
                "versioning is not enabled",
            ),
            (
                checks::BUCKET_LOGGING,
                &b.access_logging,
                "server access logging is not enabled",
            ),
        ] {
            if let Some(f) = setting {
                let result = must_be_true(f, false);
                r.judge(
                    check,
                    &b.name,
                    &b.origin,
                    result,
                    if result.is_none() {
                        unknown_msg(what)
                    } else {
                        what.to_owned()
                    },
                );
            }
        }
        if let Some(pab) = &b.public_access_block {
            let names = [
                "BlockPublicAcls",
                "IgnorePublicAcls",
                "BlockPublicPolicy",
                "RestrictPublicBuckets",
            ];
            let off: Vec<&str> = names
                .iter()
                .zip(pab)
                .filter(|(_, f)| matches!(f, Field::Absent) || f.as_bool() == Some(false))
                .map(|(n, _)| *n)
                .collect();
            let unknown = pab.contains(&Field::Unknown);
            let result = if !off.is_empty() {
                Some(false)
            } else if unknown {
                None
            } else {
                Some(true)
            };
            r.judge(
                checks::BUCKET_PUBLIC,
                &b.name,
                &b.origin,
                result,
                if result.is_none() {
                    unknown_msg("the public access block")
                } else {
                    format!("public access is not blocked: {} off", off.join(", "))
                },
            );
        }
    }
}

fn keys(scope: &Scope, r: &mut Run<'_>) {
    for k in &scope.keys {
        let customer = !matches!(k.manager.as_str(), Some("AWS"));
        let symmetric = k.spec.as_str().is_none_or(|s| s == "SYMMETRIC_DEFAULT");
        let kms_origin = k.key_origin.as_str().is_none_or(|s| s == "AWS_KMS");
        // AWS managed keys rotate every year on their own; only symmetric
        // keys with key material from KMS can rotate automatically.
        if customer && symmetric && kms_origin && k.rotation != Field::Absent {
            let result = must_be_true(&k.rotation, false);
            r.judge(
                checks::KEY_ROTATION,
                &k.id,
                &k.origin,
                result,
                if result.is_none() {
                    unknown_msg("EnableKeyRotation")
                } else {
                    "automatic key rotation is not enabled".into()
                },
            );
        }
        if let Some(doc) = &k.policy {
            let (result, message) = match parse_resource_policy(doc, PolicyKind::KeyPolicy) {
                Err(e) => (None, e),
                Ok(p) => {
                    let ctx = Context::new();
                    let arn = format!("arn:aws:kms:us-east-1:{OWN_ACCOUNT}:key/mlguard-probe");
                    let open: Vec<&str> = PUBLIC_KEY_ACTIONS
                        .iter()
                        .copied()
                        .filter(|a| {
                            [false, true].iter().any(|anon| {
                                outsider_decision(&p, a, &arn, &ctx, *anon) == Decision::Allowed
                            })
                        })
                        .collect();
                    (
                        Some(open.is_empty()),
                        format!(
                            "the key policy lets any AWS principal outside the account call {}",
                            open.join(", ")
                        ),
                    )
                }
            };
            r.judge(checks::KEY_PUBLIC, &k.id, &k.origin, result, message);
        }
    }
}

const PUBLIC_KEY_ACTIONS: &[&str] = &[
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:ReEncryptFrom",
    "kms:CreateGrant",
    "kms:PutKeyPolicy",
    "kms:ScheduleKeyDeletion",
    "kms:DescribeKey",
];

fn monitoring(scope: &Scope, r: &mut Run<'_>) {
    if let Some(listed) = &scope.trails_listed {
        // describe-trails does not say whether a trail is logging
        // (get-trail-status does): such a trail is neither a pass nor a failure.
        let yes = |f: &Field| f.as_bool() == Some(true);
        let maybe = |f: &Field| f.as_bool() != Some(false);
        let pass = scope
            .trails
            .iter()
            .any(|t| yes(&t.logging) && yes(&t.multi_region));
        let possible = scope
            .trails
            .iter()
            .any(|t| maybe(&t.logging) && maybe(&t.multi_region));
        let logging = scope.trails.iter().any(|t| maybe(&t.logging));
        let (result, message) = if pass {
            (Some(true), String::new())
        } else if possible {
            (
                None,
                "whether a multi-Region trail is logging is not in the input (add `aws cloudtrail get-trail-status` output, or IsLogging)".to_owned(),
            )
        } else if scope.trails.is_empty() {
            (Some(false), "no CloudTrail trail".to_owned())
        } else if !logging {
            (Some(false), "no trail is logging".to_owned())
        } else {
            (
                Some(false),
                "no logging trail is multi-Region: API calls in other Regions are not recorded"
                    .to_owned(),
            )
        };
        r.judge(checks::CLOUDTRAIL, "account", listed, result, message);
        for t in &scope.trails {
            let v = must_be_true(&t.log_validation, false);
            r.judge(
                checks::TRAIL_VALIDATION,
                &t.name,
                &t.origin,
                v,
                if v.is_none() {
                    unknown_msg("EnableLogFileValidation")
                } else {
                    "log file validation is off: an edited or deleted log file goes unnoticed"
                        .into()
                },
            );
            r.judge(
                checks::TRAIL_KMS,
                &t.name,
                &t.origin,
                Some(t.kms_key.is_set()),
                "the trail's logs are not encrypted with a KMS key (SSE-S3 only)".into(),
            );
        }
    }
    for v in &scope.vpcs {
        // A template's VPC against its own template's flow logs; a listed one
        // against describe-flow-logs, when that was read.
        let source = v.template.then(|| v.origin.file.clone());
        if !v.template && !scope.cli_flow_logs_listed {
            continue;
        }
        let has = scope
            .flow_logs
            .iter()
            .any(|(id, file)| *id == v.id && *file == source);
        r.judge(
            checks::FLOW_LOGS,
            &v.id,
            &v.origin,
            Some(has),
            format!("VPC {} has no active flow log", v.id),
        );
    }
}
