//! Labeled account (`tests/data/auth-details.json`): every escalation path is
//! found, and the look-alikes (a PassRole restricted to one role and service,
//! an explicit deny, a PassRole only to EC2) are not.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use mlguard_analyzer::escalation::{Report, analyze};

fn report() -> Report {
    analyze(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/auth-details.json"
        ))
        .unwrap(),
    )
    .unwrap()
}

fn user(name: &str) -> String {
    format!("arn:aws:iam::111122223333:user/{name}")
}

fn escalations<'a>(r: &'a Report, who: &str) -> Vec<&'a mlguard_analyzer::escalation::Finding> {
    r.findings
        .iter()
        .filter(|f| f.kind == "PRIVILEGE_ESCALATION" && f.principal == user(who))
        .collect()
}

#[test]
fn administrators_are_recognized() {
    let r = report();
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    assert!(r.administrators.contains(&user("admin-user")));
    assert!(r.administrators.iter().any(|a| a.ends_with("role/Admin")));
    assert!(!r.administrators.contains(&user("alice")));
}

#[test]
fn passrole_to_a_training_job_is_escalation() {
    let r = report();
    let f = escalations(&r, "alice");
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].gains, ["administrator"]);
    assert_eq!(f[0].severity, "HIGH");
    assert!(
        f[0].path[0]
            .actions
            .contains(&"sagemaker:CreateTrainingJob".to_owned()),
        "{:?}",
        f[0].path
    );
    assert!(
        f[0].path[0].to.ends_with("role/SageMakerExecution")
            || f[0].path[0].to.ends_with("role/Admin"),
        "{:?}",
        f[0].path
    );
}

#[test]
fn every_known_path_is_found() {
    let r = report();
    for (who, technique) in [
        ("carol", "CreatePolicyVersion"),
        ("dave", "AttachUserPolicy on itself"),
        ("frank", "AssumeRole"),
        ("ivan", "UpdateAssumeRolePolicy"),
        ("judy", "lambda.amazonaws.com"),
        ("mike", "PutRolePolicy on it"),
        // Rewriting the trust to name oneself is enough within the account.
        ("oscar", "UpdateAssumeRolePolicy"),
        // Grants scoped to ARN patterns still let one create a training job.
        ("quinn", "sagemaker.amazonaws.com"),
        // A region guardrail (a negated operator) does not hide the path.
        ("rita", "sagemaker.amazonaws.com"),
        ("tess", "AddUserToGroup"),
    ] {
        let f = escalations(&r, who);
        assert_eq!(f.len(), 1, "{who}: {f:?}");
        assert!(
            f[0].path.iter().any(|s| s.technique.contains(technique)),
            "{who}: {:?}",
            f[0].path
        );
        assert_eq!(f[0].gains, ["administrator"], "{who}");
    }
    // Two steps: an access key for frank, then frank's AssumeRole.
    let g = escalations(&r, "gina");
    assert_eq!(g.len(), 1, "{g:?}");
    assert_eq!(g[0].path.len(), 2, "{:?}", g[0].path);
    assert!(g[0].path[0].technique.contains("CreateAccessKey"));
}

#[test]
fn look_alikes_are_not_flagged() {
    let r = report();
    // nora can assume Helper but not change it, and Helper holds nothing she lacks
    // on every resource.
    // pat can write its own policy, but a permissions boundary caps it.
    // sam can join only a read-only group.
    for who in ["bob", "erin", "kate", "harry", "nora", "pat", "sam"] {
        assert!(
            escalations(&r, who).is_empty(),
            "{who}: {:?}",
            escalations(&r, who)
        );
    }
}

#[test]
fn exfiltration_and_credential_exposure() {
    let r = report();
    let harry: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.principal == user("harry"))
        .collect();
    assert!(
        harry
            .iter()
            .any(|f| f.kind == "DATA_EXFILTRATION" && f.gains == ["s3:GetObject"]),
        "{harry:?}"
    );
    // leo's policy is URL-encoded, as the API (not the CLI) returns it.
    let leo: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.principal == user("leo"))
        .collect();
    assert!(
        leo.iter().any(|f| f.kind == "CREDENTIALS_EXPOSURE"),
        "{leo:?}"
    );
    // Administrators are not listed again for what any administrator can do.
    assert!(!r.findings.iter().any(|f| f.principal == user("admin-user")));
}

#[test]
fn bad_input_is_an_error() {
    assert!(analyze("not json").is_err());
    assert!(analyze("[1,2]").is_err());
    // Any other JSON document would read as an empty account.
    for other in [
        "{}",
        r#"{"Records": []}"#,
        r#"{"Version": "2012-10-17", "Statement": []}"#,
    ] {
        assert!(analyze(other).is_err(), "{other}");
    }
    assert!(analyze(r#"{"RoleDetailList": []}"#).is_ok());
    let r = analyze(r#"{"UserDetailList": [{"UserName": "x", "Arn": "arn:aws:iam::111122223333:user/x", "UserPolicyList": [{"PolicyName": "p", "PolicyDocument": "%ZZ"}]}]}"#).unwrap();
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
}

// ---- Small accounts, built here, for the review's findings ----

fn doc(statements: serde_json::Value) -> serde_json::Value {
    serde_json::json!({"Version": "2012-10-17", "Statement": statements})
}

fn user_json(
    name: &str,
    policy: serde_json::Value,
    attached: &[&str],
    tags: &[(&str, &str)],
) -> serde_json::Value {
    serde_json::json!({
        "UserName": name,
        "Arn": user(name),
        "GroupList": [],
        "UserPolicyList": if policy.is_null() { serde_json::json!([]) } else { serde_json::json!([{"PolicyName": "p", "PolicyDocument": policy}]) },
        "AttachedManagedPolicies": attached.iter().map(|a| serde_json::json!({"PolicyName": a.rsplit('/').next().unwrap(), "PolicyArn": a})).collect::<Vec<_>>(),
        "Tags": tags.iter().map(|(k, v)| serde_json::json!({"Key": k, "Value": v})).collect::<Vec<_>>(),
    })
}

fn admin_role(name: &str, trust: serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "RoleName": name,
        "Arn": format!("arn:aws:iam::111122223333:role/{name}"),
        "AssumeRolePolicyDocument": trust,
        "RolePolicyList": [{"PolicyName": "admin", "PolicyDocument": doc(serde_json::json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}]))}],
        "AttachedManagedPolicies": [],
    })
}

fn account(
    users: Vec<serde_json::Value>,
    roles: Vec<serde_json::Value>,
    policies: serde_json::Value,
) -> Report {
    analyze(
        &serde_json::json!({"UserDetailList": users, "GroupDetailList": [], "RoleDetailList": roles, "Policies": policies})
            .to_string(),
    )
    .unwrap()
}

#[test]
fn an_unreadable_default_version_grants_nothing_and_is_reported() {
    let arn = "arn:aws:iam::111122223333:policy/p";
    let policies = serde_json::json!([{
        "PolicyName": "p", "Arn": arn, "DefaultVersionId": "v1",
        "PolicyVersionList": [
            {"VersionId": "v1", "IsDefaultVersion": true, "Document": "%ZZ"},
            {"VersionId": "v2", "IsDefaultVersion": false,
             "Document": doc(serde_json::json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}]))},
        ],
    }]);
    let r = account(
        vec![user_json("x", serde_json::Value::Null, &[arn], &[])],
        vec![],
        policies,
    );
    // Another version is not what the policy grants.
    assert!(r.administrators.is_empty(), "{:?}", r.administrators);
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains(arn) && w.contains("v1") && w.contains("default version")),
        "{:?}",
        r.warnings
    );
}

#[test]
fn an_attached_policy_missing_from_policies_is_reported() {
    let gone = "arn:aws:iam::111122223333:policy/gone";
    let admin = "arn:aws:iam::aws:policy/AdministratorAccess";
    let r = account(
        vec![
            user_json("y", serde_json::Value::Null, &[gone], &[]),
            user_json("z", serde_json::Value::Null, &[admin], &[]),
        ],
        vec![],
        serde_json::json!([]),
    );
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains(&user("y")) && w.contains(gone)),
        "{:?}",
        r.warnings
    );
    // AdministratorAccess is Allow *:* wherever it is attached.
    assert_eq!(r.administrators, [user("z")]);
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains(&user("z")) && w.contains(admin)),
        "{:?}",
        r.warnings
    );
}

#[test]
fn iam_full_access_from_aws_is_an_escalation_when_missing_from_policies() {
    let r = account(
        vec![user_json(
            "w",
            serde_json::Value::Null,
            &["arn:aws:iam::aws:policy/IAMFullAccess"],
            &[],
        )],
        vec![],
        serde_json::json!([]),
    );
    let f = escalations(&r, "w");
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].gains, ["administrator"]);
}

/// A trust policy naming `n` accounts and then `who`: padded past the default
/// 2,048-character quota.
fn long_trust(n: usize, who: &str) -> serde_json::Value {
    let mut principals: Vec<String> = (0..n)
        .map(|i| format!("arn:aws:iam::{:012}:root", 100_000_000_000u64 + i as u64))
        .collect();
    principals.push(who.to_owned());
    doc(
        serde_json::json!([{"Effect": "Allow", "Principal": {"AWS": principals}, "Action": "sts:AssumeRole"}]),
    )
}

#[test]
fn trust_policies_up_to_the_raised_quota_are_read() {
    let assume =
        doc(serde_json::json!([{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]));
    // About 3,000 characters: over the default quota, under the raised one.
    let trust = long_trust(95, &user("u"));
    let size = trust
        .to_string()
        .chars()
        .filter(|c| !c.is_whitespace())
        .count();
    assert!((2_049..=4_096).contains(&size), "{size}");
    let r = account(
        vec![user_json("u", assume.clone(), &[], &[])],
        vec![admin_role("Big", trust)],
        serde_json::json!([]),
    );
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    let f = escalations(&r, "u");
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(
        f[0].path[0].technique.contains("AssumeRole"),
        "{:?}",
        f[0].path
    );
    // Over 4,096 characters no account holds it: refused, with a warning.
    let too_long = long_trust(140, &user("u"));
    let r = account(
        vec![user_json("u", assume, &[], &[])],
        vec![admin_role("Huge", too_long)],
        serde_json::json!([]),
    );
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains("role/Huge trust policy")),
        "{:?}",
        r.warnings
    );
    assert!(escalations(&r, "u").is_empty());
}

#[test]
fn principal_tags_decide_tag_conditions() {
    let train = doc(serde_json::json!([
        {"Effect": "Allow", "Action": ["iam:PassRole", "sagemaker:CreateTrainingJob"], "Resource": "*",
         "Condition": {"StringEquals": {"aws:PrincipalTag/team": "ml"}}}
    ]));
    let sm_trust = doc(
        serde_json::json!([{"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}]),
    );
    let r = account(
        vec![
            user_json("ml-user", train.clone(), &[], &[("team", "ml")]),
            user_json("web-user", train.clone(), &[], &[("team", "web")]),
            user_json("no-tags", train, &[], &[]),
        ],
        vec![admin_role("SageMakerAdmin", sm_trust)],
        serde_json::json!([]),
    );
    assert_eq!(escalations(&r, "ml-user").len(), 1, "{:?}", r.findings);
    assert!(
        escalations(&r, "web-user").is_empty(),
        "{:?}",
        escalations(&r, "web-user")
    );
    assert!(escalations(&r, "no-tags").is_empty());
}

#[test]
fn resource_tags_of_the_target_decide_tag_conditions() {
    let keys = doc(serde_json::json!([
        {"Effect": "Allow", "Action": "iam:CreateAccessKey", "Resource": "*",
         "Condition": {"StringEquals": {"iam:ResourceTag/tier": "sandbox"}}}
    ]));
    let admin = doc(serde_json::json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}]));
    let prod = account(
        vec![
            user_json("keymaker", keys.clone(), &[], &[]),
            user_json("boss", admin.clone(), &[], &[("tier", "prod")]),
        ],
        vec![],
        serde_json::json!([]),
    );
    assert!(
        escalations(&prod, "keymaker").is_empty(),
        "{:?}",
        prod.findings
    );
    let sandbox = account(
        vec![
            user_json("keymaker", keys, &[], &[]),
            user_json("sandbox-admin", admin, &[], &[("tier", "sandbox")]),
        ],
        vec![],
        serde_json::json!([]),
    );
    let f = escalations(&sandbox, "keymaker");
    assert_eq!(f.len(), 1, "{:?}", sandbox.findings);
    assert!(f[0].path[0].technique.contains("CreateAccessKey"));
}

#[test]
fn an_account_trust_needs_the_identity_allow_and_a_named_one_does_not() {
    // A trust policy naming an account (its root ARN or its id) delegates to
    // the account: the caller's own policies must allow sts:AssumeRole. One
    // naming the user admits it on its own.
    let trust = |who: &str| {
        doc(
            serde_json::json!([{"Effect": "Allow", "Principal": {"AWS": who}, "Action": "sts:AssumeRole"}]),
        )
    };
    let assume = |role: &str| {
        doc(
            serde_json::json!([{"Effect": "Allow", "Action": "sts:AssumeRole",
            "Resource": format!("arn:aws:iam::111122223333:role/{role}")}]),
        )
    };
    let reads =
        doc(serde_json::json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]));
    let r = account(
        vec![
            user_json("no-sts", reads, &[], &[]),
            user_json("by-root", assume("RootTrust"), &[], &[]),
            user_json("by-id", assume("IdTrust"), &[], &[]),
            // Its policy allows the role, whose trust names someone else.
            user_json("not-named", assume("NamedTrust"), &[], &[]),
            user_json("named", serde_json::Value::Null, &[], &[]),
        ],
        vec![
            admin_role("RootTrust", trust("arn:aws:iam::111122223333:root")),
            admin_role("IdTrust", trust("111122223333")),
            admin_role("NamedTrust", trust(&user("named"))),
        ],
        serde_json::json!([]),
    );
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    let reached = |who: &str| -> Vec<String> {
        escalations(&r, who)
            .iter()
            .map(|f| {
                f.path
                    .last()
                    .unwrap()
                    .to
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_owned()
            })
            .collect()
    };
    assert!(reached("no-sts").is_empty(), "{:?}", r.findings);
    assert_eq!(reached("by-root"), ["RootTrust"]);
    assert_eq!(reached("by-id"), ["IdTrust"]);
    assert!(reached("not-named").is_empty(), "{:?}", r.findings);
    assert_eq!(reached("named"), ["NamedTrust"]);
}
