//! Runs every parse test vector in `tests/data/parse/*.json`: a policy document, the
//! kind of policy it is submitted as, and what AWS answers (accepted, or the error
//! code and exact message). All mismatches are reported together.

#![allow(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::path::Path;

use mlguard_policy::{ParseErrorKind, Policy, PolicyKind};
use serde_json::Value;

fn run_case(case: &Value) -> Result<(), String> {
    let kind: PolicyKind = case["kind"].as_str().ok_or("kind missing")?.parse()?;
    let text = match &case["policy"] {
        Value::String(s) => s.clone(),
        other => serde_json::to_string(other).map_err(|e| e.to_string())?,
    };
    let result = Policy::parse(&text, kind);
    match (&case["expect"], result) {
        (Value::String(ok), Ok(_)) if ok == "ok" => Ok(()),
        (Value::String(_), Err(e)) => Err(format!("rejected with {:?}: {e}", e.aws_message)),
        (Value::Object(want), Ok(_)) => Err(format!("accepted, expected {want:?}")),
        (Value::Object(want), Err(e)) => {
            let code = match e.kind {
                ParseErrorKind::TooLarge { .. } => "LimitExceeded",
                _ => "MalformedPolicyDocument",
            };
            let want_code = want
                .get("code")
                .and_then(Value::as_str)
                .unwrap_or("MalformedPolicyDocument");
            let want_message = want.get("message").and_then(Value::as_str);
            if code != want_code || want_message.is_some_and(|m| m != e.aws_message) {
                return Err(format!(
                    "got {code} {:?} ({e}), expected {want_code} {:?}",
                    e.aws_message,
                    want_message.unwrap_or("")
                ));
            }
            // Every error must point somewhere useful unless it is about the whole document.
            if e.location.is_none() && !matches!(e.kind, ParseErrorKind::TooLarge { .. }) {
                return Err(format!("error without a location: {e}"));
            }
            Ok(())
        }
        (other, _) => Err(format!("bad expect {other}")),
    }
}

#[test]
fn parse_vectors() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/parse");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/data/parse exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut total = 0;
    let mut failures = Vec::new();
    for file in &files {
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        for case in doc["cases"].as_array().unwrap() {
            total += 1;
            if let Err(e) = run_case(case) {
                failures.push(format!(
                    "{} :: {}: {e}\n    policy: {}",
                    file.file_name().unwrap().to_string_lossy(),
                    case["name"].as_str().unwrap_or("?"),
                    case["policy"]
                        .as_str()
                        .map(|s| s.chars().take(300).collect::<String>())
                        .unwrap_or_default()
                ));
            }
        }
    }
    assert!(total > 0);
    assert!(
        failures.is_empty(),
        "{} of {total} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("{total} parse vectors passed");
}
