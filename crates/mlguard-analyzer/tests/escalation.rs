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
    let r = analyze(r#"{"UserDetailList": [{"UserName": "x", "Arn": "arn:aws:iam::111122223333:user/x", "UserPolicyList": [{"PolicyName": "p", "PolicyDocument": "%ZZ"}]}]}"#).unwrap();
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
}
