//! Shared fixtures for the integration tests.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    dead_code
)]

use std::path::{Path, PathBuf};

use mlguard_audit::{
    AuditLog, AuditOptions, DigestSigner, Event, FindingKind, IdentityType, OffsetDateTime,
    RedactedJson, Resource, SessionAttributes, SessionContext, SessionIssuer, TlsDetails,
    UserIdentity, ValidationReport,
};
use serde_json::json;

pub const NAMES: [&str; 4] = ["Encrypt", "Decrypt", "GenerateDataKey", "GetSecretValue"];
pub const USERS: [&str; 3] = ["alice", "bob", "carol"];

pub fn base_time() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_795_687_200).unwrap() // 2026-11-26T10:00:00Z
}

/// A realistic event; `i` decides name, user and time (base + i seconds).
pub fn event(i: u64) -> Event {
    let name = NAMES[(i % 4) as usize];
    let user = USERS[(i % 3) as usize];
    let source = if name == "GetSecretValue" {
        "secretsmanager.amazonaws.com"
    } else {
        "kms.amazonaws.com"
    };
    let mut id = if i.is_multiple_of(5) {
        let mut id = UserIdentity::new(IdentityType::AssumedRole);
        id.arn = Some(format!(
            "arn:aws:sts::111122223333:assumed-role/{user}-role/s{i}"
        ));
        id.principal_id = Some(format!("AROAEXAMPLE:s{i}"));
        id.session_context = Some(SessionContext {
            session_issuer: Some(SessionIssuer {
                issuer_type: "Role".into(),
                principal_id: "AROAEXAMPLE".into(),
                arn: format!("arn:aws:iam::111122223333:role/{user}-role"),
                account_id: "111122223333".into(),
                user_name: format!("{user}-role"),
            }),
            attributes: Some(SessionAttributes {
                creation_date: base_time(),
                mfa_authenticated: false,
            }),
        });
        id
    } else {
        let mut id = UserIdentity::new(IdentityType::IamUser);
        id.arn = Some(format!("arn:aws:iam::111122223333:user/{user}"));
        id.principal_id = Some("AIDAEXAMPLE".into());
        id.user_name = Some(user.into());
        id
    };
    id.account_id = Some("111122223333".into());
    id.access_key_id = Some("AKIAIOSFODNN7EXAMPLE".into());
    let mut e = Event::new(source, name, "us-east-1", id);
    e.event_time = base_time() + time::Duration::seconds(i as i64);
    e.source_ip_address = "192.0.2.10".into();
    e.user_agent = "aws-cli/2.17.0 Python/3.12 Linux/6.1 botocore/1.35".into();
    e.request_parameters = Some(RedactedJson::new(
        json!({
            "keyId": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "encryptionContext": {"Department": "Engineering", "n": i},
            "encryptionAlgorithm": "SYMMETRIC_DEFAULT",
            "plaintext": "VE9QLVNFQ1JFVA=="
        }),
        &[],
    ));
    e.read_only = name != "Encrypt";
    e.resources = Some(vec![Resource {
        arn: "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab".into(),
        account_id: Some("111122223333".into()),
        resource_type: Some("AWS::KMS::Key".into()),
    }]);
    e.tls_details = Some(TlsDetails {
        tls_version: "TLSv1.3".into(),
        cipher_suite: "TLS_AES_128_GCM_SHA384".into(),
        client_provided_host_header: Some("kms.us-east-1.amazonaws.com".into()),
    });
    e
}

pub fn options(max_file_bytes: u64) -> AuditOptions {
    AuditOptions {
        max_file_bytes,
        max_file_age: std::time::Duration::from_secs(3600),
    }
}

/// Writes `n` events (seq 1..=n) with the given rotation size and closes.
/// Returns the signer's PKCS#8 and public key.
pub fn write_log(dir: &Path, n: u64, max_file_bytes: u64) -> (Vec<u8>, Vec<u8>) {
    let (signer, pkcs8) = DigestSigner::generate().unwrap();
    let public = signer.public_key_der().to_vec();
    let mut log = AuditLog::open(dir, signer, options(max_file_bytes)).unwrap();
    for i in 1..=n {
        log.append(&event(i)).unwrap();
    }
    log.close().unwrap();
    (pkcs8, public)
}

pub fn log_files(dir: &Path) -> Vec<PathBuf> {
    sorted(dir, "events-")
}

pub fn digest_files(dir: &Path) -> Vec<PathBuf> {
    sorted(&dir.join("digests"), "digest-")
}

fn sorted(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_str().unwrap().starts_with(prefix))
        .collect();
    v.sort();
    v
}

pub fn read_lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

pub fn write_lines(path: &Path, lines: &[String]) {
    let mut s = lines.join("\n");
    s.push('\n');
    std::fs::write(path, s).unwrap();
}

pub fn seq_of(line: &str) -> u64 {
    serde_json::from_str::<serde_json::Value>(line).unwrap()["seq"]
        .as_u64()
        .unwrap()
}

pub fn kinds(r: &ValidationReport) -> Vec<FindingKind> {
    r.findings.iter().map(|f| f.kind).collect()
}

pub fn has(r: &ValidationReport, kind: FindingKind, seq: Option<u64>) -> bool {
    r.findings
        .iter()
        .any(|f| f.kind == kind && (seq.is_none() || f.seq == seq))
}

pub fn dump(r: &ValidationReport) -> String {
    r.findings
        .iter()
        .map(|f| f.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}
