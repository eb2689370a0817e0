//! `mlguard policy simulate` as a user runs it: real binary, real files.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn mlguard(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mlguard"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("mlguard runs")
}

fn workdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mlguard-cli-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const TRAINING: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "ReadTrainingData", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
     "Resource": ["arn:aws:s3:::my-training-data/*", "arn:aws:s3:::my-models/*"]},
    {"Sid": "NoDeleteWithoutMfa", "Effect": "Deny", "Action": "s3:Delete*", "Resource": "*",
     "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}
  ]
}"#;

fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

#[test]
fn decisions_in_text_and_json() {
    let dir = workdir("decisions");
    std::fs::write(dir.join("train.json"), TRAINING).unwrap();
    let out = mlguard(
        &[
            "policy",
            "simulate",
            "--policy",
            "train.json",
            "--action",
            "s3:GetObject",
            "--resource",
            "arn:aws:s3:::my-training-data/x.csv",
        ],
        &dir,
    );
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("decision: allowed"), "{text}");
    assert!(text.contains("ReadTrainingData"), "{text}");

    let deny = json(&mlguard(
        &[
            "policy",
            "simulate",
            "--policy",
            "train.json",
            "--action",
            "s3:DeleteObject",
            "--resource",
            "arn:aws:s3:::my-models/m",
            "--context",
            "aws:MultiFactorAuthPresent=boolean:false",
            "--json",
        ],
        &dir,
    ));
    assert_eq!(deny["decision"], "explicitDeny");
    assert_eq!(deny["matchedStatements"][0]["sid"], "NoDeleteWithoutMfa");
    assert_eq!(deny["matchedStatements"][0]["line"], 6);

    let with_mfa = json(&mlguard(
        &[
            "policy",
            "simulate",
            "--policy",
            "train.json",
            "--action",
            "s3:DeleteObject",
            "--resource",
            "arn:aws:s3:::my-models/m",
            "--context",
            "aws:MultiFactorAuthPresent=boolean:true",
            "--json",
        ],
        &dir,
    ));
    assert_eq!(with_mfa["decision"], "implicitDeny");
    assert_eq!(with_mfa["matchedStatements"].as_array().unwrap().len(), 0);
}

#[test]
fn boundary_session_and_key_policy() {
    let dir = workdir("kinds");
    std::fs::write(dir.join("train.json"), TRAINING).unwrap();
    std::fs::write(
        dir.join("boundary.json"),
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}]}"#,
    )
    .unwrap();
    let bounded = json(&mlguard(
        &[
            "policy",
            "simulate",
            "--policy",
            "train.json",
            "--boundary",
            "boundary.json",
            "--action",
            "s3:GetObject",
            "--resource",
            "arn:aws:s3:::my-models/m",
            "--json",
        ],
        &dir,
    ));
    assert_eq!(bounded["decision"], "implicitDeny");
    assert_eq!(bounded["details"]["boundaryAllows"], false);

    std::fs::write(
        dir.join("key.json"),
        r#"{"Version": "2012-10-17", "Statement": [{"Sid": "Enable IAM policies", "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "kms:*", "Resource": "*"}]}"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("kms-user.json"),
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}"#,
    )
    .unwrap();
    let via_account = json(&mlguard(
        &[
            "policy",
            "simulate",
            "--policy",
            "kms-user.json",
            "--resource-policy",
            "key.json",
            "--resource-policy-kind",
            "key",
            "--action",
            "kms:Decrypt",
            "--resource",
            "arn:aws:kms:us-east-1:123456789012:key/k",
            "--json",
        ],
        &dir,
    ));
    assert_eq!(via_account["decision"], "allowed");
    // Without the key policy's account grant, IAM policies are not enough.
    std::fs::write(
        dir.join("closed-key.json"),
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:user/admin"}, "Action": "kms:*", "Resource": "*"}]}"#,
    )
    .unwrap();
    let closed = json(&mlguard(
        &[
            "policy",
            "simulate",
            "--policy",
            "kms-user.json",
            "--resource-policy",
            "closed-key.json",
            "--resource-policy-kind",
            "key",
            "--action",
            "kms:Decrypt",
            "--resource",
            "arn:aws:kms:us-east-1:123456789012:key/k",
            "--json",
        ],
        &dir,
    ));
    assert_eq!(closed["decision"], "implicitDeny");
}

#[test]
fn unusable_input_exits_2_with_the_reason() {
    let dir = workdir("errors");
    std::fs::write(dir.join("bad.json"), "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": {\"Effect\": \"Allow\", \"Action\": \"s3:Get\", \"Resourse\": \"*\"}\n}").unwrap();
    let cases: [(&[&str], &str); 5] = [
        (
            &[
                "policy",
                "simulate",
                "--policy",
                "missing.json",
                "--action",
                "s3:GetObject",
            ],
            "cannot read missing.json",
        ),
        (
            &[
                "policy",
                "simulate",
                "--policy",
                "bad.json",
                "--action",
                "s3:GetObject",
            ],
            "bad.json:3:56: unknown statement element `Resourse`",
        ),
        (
            &["policy", "simulate", "--action", "GetObject"],
            "must be service:Action",
        ),
        (
            &[
                "policy",
                "simulate",
                "--action",
                "s3:GetObject",
                "--context",
                "aws:SourceIp=ip:not-an-ip",
            ],
            "`not-an-ip` is not a valid ip value",
        ),
        (
            &[
                "policy",
                "simulate",
                "--action",
                "s3:GetObject",
                "--principal",
                "bob",
            ],
            "--principal",
        ),
    ];
    for (args, reason) in cases {
        let out = mlguard(args, &dir);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(reason), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty());
    }
}
