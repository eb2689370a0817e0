//! Each fixture directory checked whole: exactly these (check, resource)
//! failures, so a passing configuration that starts failing, or a failing
//! one that stops, both break the test.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::BTreeSet;
use std::path::PathBuf;

use mlguard_posture::{Config, Options, check_paths};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn failures(path: &str, options: &Options) -> BTreeSet<(String, String)> {
    let report = check_paths(&[fixture(path)], options).unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    report
        .findings
        .iter()
        .filter(|f| f.suppressed.is_none())
        .map(|f| (f.check.id.to_owned(), f.resource.clone()))
        .collect()
}

fn set(items: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    items
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

#[test]
fn sagemaker_api_and_sdk_json() {
    let got = failures("sagemaker", &Options::default());
    let want = set(&[
        ("sagemaker-domain-vpc-only", "research"),
        ("sagemaker-domain-kms", "research"),
        ("sagemaker-endpoint-config-kms", "churn-config"),
        ("sagemaker-notebook-direct-internet", "data-science-scratch"),
        ("sagemaker-notebook-root-access", "data-science-scratch"),
        ("sagemaker-notebook-vpc", "data-science-scratch"),
        ("sagemaker-notebook-kms", "data-science-scratch"),
        ("sagemaker-notebook-imdsv2", "data-science-scratch"),
        ("sagemaker-job-vpc", "churn-xgb-quick"),
        ("sagemaker-job-network-isolation", "churn-xgb-quick"),
        ("sagemaker-job-intercontainer-encryption", "churn-xgb-quick"),
        ("sagemaker-job-volume-kms", "churn-xgb-quick"),
        ("sagemaker-job-output-kms", "churn-xgb-quick"),
        // describe-processing-job output: one instance, so no inter-container check.
        (
            "sagemaker-job-network-isolation",
            "feature-build-2026-11-20",
        ),
        ("sagemaker-job-volume-kms", "feature-build-2026-11-20"),
        ("sagemaker-job-output-kms", "feature-build-2026-11-20"),
        // The SDK's Processor arguments, named by their file.
        ("sagemaker-job-intercontainer-encryption", "processor-sdk"),
        ("sagemaker-job-volume-kms", "processor-sdk"),
        ("sagemaker-job-output-kms", "processor-sdk"),
        ("sagemaker-model-vpc", "churn-model"),
        ("sagemaker-model-network-isolation", "churn-model"),
        // ml-shared runs a training job, a model and a notebook.
        ("iam-execution-role-separation", "ml-shared"),
    ]);
    assert_eq!(got, want);
}

#[test]
fn aws_cli_output_joined_by_resource() {
    let got = failures("awscli", &Options::default());
    let want = set(&[
        ("kms-key-public-principal", "key-open"),
        (
            "kms-key-rotation",
            "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        ),
        ("cloudtrail-enabled", "account"),
        // Log file validation on, but no KMS key.
        ("cloudtrail-kms", "management-events"),
        ("s3-bucket-public-access-block", "model-artifacts"),
        // The seed's own policy covers objects only: ListBucket over HTTP is allowed.
        ("s3-bucket-secure-transport", "model-artifacts"),
        ("s3-bucket-encryption-cmk", "model-artifacts"),
        // Denies HTTPS instead of HTTP.
        ("s3-bucket-secure-transport", "scratch"),
        ("s3-bucket-encryption-kms", "scratch"),
        ("s3-bucket-encryption-cmk", "scratch"),
        ("secretsmanager-rotation", "dev/api-token"),
    ]);
    assert_eq!(got, want);
}

#[test]
fn iam_authorization_details() {
    let got = failures("iam", &Options::default());
    let want = set(&[
        // PassRole on * with CreateTrainingJob reaches ml-admin-pipeline.
        ("iam-execution-role-escalation", "ml-training"),
        // An administrator already: its code can do anything.
        ("iam-execution-role-escalation", "ml-admin-pipeline"),
        ("iam-execution-role-wildcard", "ml-training"),
        ("iam-execution-role-wildcard", "ml-admin-pipeline"),
        // sagemaker:InvokeEndpoint, logs:PutLogEvents, iam:PassRole ... on "*".
        ("iam-execution-role-unscoped", "ml-training"),
        ("iam-execution-role-unscoped", "ml-notebook"),
        ("iam-execution-role-unscoped", "ml-admin-pipeline"),
        // No MFA condition at all.
        (
            "iam-privileged-user-mfa",
            "arn:aws:iam::111122223333:user/admin-alice",
        ),
        // `Bool` instead of `BoolIfExists`: requests signed with access keys
        // carry no aws:MultiFactorAuthPresent and are not denied.
        (
            "iam-privileged-user-mfa",
            "arn:aws:iam::111122223333:user/admin-carol",
        ),
    ]);
    assert_eq!(got, want);
}

#[test]
fn profiles_narrow_the_checks() {
    let hipaa = Options {
        profile: Some("hipaa".into()),
        ..Options::default()
    };
    let got = failures("sagemaker", &hipaa);
    assert!(got.iter().all(
        |(c, _)| c != "sagemaker-notebook-root-access" && c != "iam-execution-role-separation"
    ));
    assert!(got.contains(&("sagemaker-job-vpc".into(), "churn-xgb-quick".into())));
    let err = check_paths(
        &[fixture("sagemaker")],
        &Options {
            profile: Some("sox".into()),
            ..Options::default()
        },
    );
    assert!(err.unwrap_err().contains("unknown profile sox"));
}

#[test]
fn suppressions_need_a_reason_and_a_known_check() {
    let config = Config::parse(
        "c.yaml",
        "suppressions:\n  - check: sagemaker-notebook-root-access\n    resource: data-science-*\n    reason: sandbox notebooks install packages (SEC-142)\n",
    )
    .unwrap();
    let report = check_paths(
        &[fixture("sagemaker")],
        &Options {
            profile: None,
            config,
        },
    )
    .unwrap();
    let root: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.check.id == "sagemaker-notebook-root-access")
        .collect();
    assert_eq!(root.len(), 1);
    assert_eq!(
        root[0].suppressed.as_deref(),
        Some("sandbox notebooks install packages (SEC-142)")
    );
    assert!(
        Config::parse(
            "c.yaml",
            "suppressions:\n  - check: no-such-check\n    reason: x\n"
        )
        .unwrap_err()
        .contains("unknown check")
    );
    assert!(
        Config::parse(
            "c.yaml",
            "suppressions:\n  - check: kms-key-rotation\n    reason: ' '\n"
        )
        .unwrap_err()
        .contains("reason is required")
    );
    assert!(Config::parse("c.yaml", "suppressions:\n  - check: kms-key-rotation\n").is_err());
    assert!(Config::parse("c.json", "{\"suppresions\": []}").is_err());
}

#[test]
fn unreadable_inputs_are_named_and_the_rest_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("package.json"),
        r#"{"name": "web", "version": "1.0.0"}"#,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("broken.json"),
        "{\"NotebookInstanceName\": ",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("nb.json"),
        r#"{"NotebookInstanceName": "nb", "InstanceType": "ml.t3.medium", "RoleArn": "arn:aws:iam::111122223333:role/x"}"#,
    )
    .unwrap();
    // In a directory, what is not a configuration is skipped and listed.
    let report = check_paths(&[dir.path().to_path_buf()], &Options::default()).unwrap();
    assert!(report.errors.is_empty());
    assert_eq!(report.skipped.len(), 2);
    assert_eq!(report.files, 1);
    assert!(report.findings.iter().any(|f| f.resource == "nb"));
    // Named explicitly, it is an error naming the file; the others still run.
    let report = check_paths(
        &[
            dir.path().join("broken.json"),
            dir.path().join("package.json"),
            dir.path().join("nb.json"),
            dir.path().join("missing.json"),
        ],
        &Options::default(),
    )
    .unwrap();
    assert_eq!(report.errors.len(), 3, "{:?}", report.errors);
    assert!(
        report.errors[0].file.ends_with("broken.json")
            || report
                .errors
                .iter()
                .any(|e| e.file.ends_with("broken.json"))
    );
    assert!(report.findings.iter().any(|f| f.resource == "nb"));
}

#[test]
fn reachability_through_the_network_analyzer_and_flow_logs() {
    let got = failures("network", &Options::default());
    let want = set(&[
        // subnet-0nos3's route table has neither the S3 endpoint nor a NAT.
        ("sagemaker-job-reachability", "no-route-to-s3"),
        // describe-flow-logs lists none for the VPC describe-vpcs lists.
        ("vpc-flow-logs", "vpc-0ml"),
    ]);
    assert_eq!(got, want);
    let report = check_paths(&[fixture("network")], &Options::default()).unwrap();
    let f = report
        .findings
        .iter()
        .find(|f| f.resource == "no-route-to-s3")
        .unwrap();
    assert!(f.message.contains("Data download failed"), "{}", f.message);
}

/// Every check fails on some fixture and passes on another: no check is
/// untested in either direction.
#[test]
fn every_check_has_a_failing_and_a_passing_fixture() {
    let dirs: Vec<PathBuf> = ["sagemaker", "awscli", "iam", "network", "peers"]
        .iter()
        .map(|d| fixture(d))
        .collect();
    let mut failed = std::collections::HashMap::<&str, usize>::new();
    let mut passed = std::collections::HashMap::<&str, usize>::new();
    // Each directory on its own, as the tests above read them (a role's uses
    // and an account's trails are judged within what is read together).
    for d in &dirs {
        let report = check_paths(std::slice::from_ref(d), &Options::default()).unwrap();
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        for c in mlguard_posture::checks::ALL {
            let n = report.evaluated.get(c.id).copied().unwrap_or(0);
            let f = report
                .findings
                .iter()
                .filter(|x| x.check.id == c.id)
                .count();
            let u = report
                .undetermined
                .iter()
                .filter(|x| x.check.id == c.id)
                .count();
            *failed.entry(c.id).or_default() += f;
            *passed.entry(c.id).or_default() += n - f - u;
        }
    }
    for c in mlguard_posture::checks::ALL {
        assert!(failed[c.id] > 0, "no fixture fails {}", c.id);
        assert!(passed[c.id] > 0, "no fixture passes {}", c.id);
    }
}
