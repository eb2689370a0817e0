//! SARIF 2.1.0 documents, the one shape every command's `--format sarif` writes.

use serde_json::{Value, json};

/// A rule: its id and a one-line description.
pub(crate) fn rule(id: &str, description: &str) -> Value {
    json!({"id": id, "name": id, "shortDescription": {"text": description}})
}

/// A SARIF log of one run of mlguard with these rules and results, and the
/// notifications of its invocation (files that could not be read, ...).
pub(crate) fn document(rules: Vec<Value>, results: Vec<Value>, notifications: Vec<Value>) -> Value {
    let mut run = json!({
        "tool": {"driver": {
            "name": "mlguard",
            "informationUri": "https://github.com/mlguard/mlguard",
            "version": env!("CARGO_PKG_VERSION"),
            "rules": rules,
        }},
        "results": results,
    });
    if !notifications.is_empty()
        && let Some(o) = run.as_object_mut()
    {
        o.insert(
            "invocations".into(),
            json!([{"executionSuccessful": true, "toolExecutionNotifications": notifications}]),
        );
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [run],
    })
}
