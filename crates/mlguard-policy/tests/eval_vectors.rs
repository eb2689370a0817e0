//! Runs every evaluation test vector in `tests/data/eval/*.json`: policies, a request
//! and the decision AWS documents for it. Each case names the documentation it
//! comes from. All mismatches are reported together.

#![allow(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::path::Path;

use mlguard_policy::{
    Context, ContextType, ContextValue, Decision, Policy, PolicyKind, PolicySet, Principal,
    Request, authorize,
};
use serde_json::Value;

fn parse_policy(doc: &Value, kind: PolicyKind) -> Result<Policy, String> {
    let text = serde_json::to_string_pretty(doc).map_err(|e| e.to_string())?;
    Policy::parse(&text, kind).map_err(|e| format!("{kind:?} policy rejected: {e}\n{text}"))
}

fn policies(case: &Value, key: &str, kind: PolicyKind) -> Result<Option<Vec<Policy>>, String> {
    match case["policies"].get(key) {
        None => Ok(None),
        Some(Value::Array(docs)) => docs
            .iter()
            .map(|d| parse_policy(d, kind))
            .collect::<Result<_, _>>()
            .map(Some),
        Some(other) => Err(format!("policies.{key} must be an array, got {other}")),
    }
}

fn resource_kind(doc: &Value) -> PolicyKind {
    let statements = match &doc["Statement"] {
        Value::Array(s) => s.clone(),
        other => vec![other.clone()],
    };
    let has_resource = statements
        .iter()
        .any(|s| s.get("Resource").is_some() || s.get("NotResource").is_some());
    if has_resource {
        PolicyKind::Resource
    } else {
        PolicyKind::RoleTrust
    }
}

fn principal(request: &Value) -> Result<Principal, String> {
    let p = match &request["principal"] {
        Value::String(s) if s == "anonymous" => Principal::anonymous(),
        Value::String(arn) => Principal::from_arn(arn).map_err(|e| e.to_string())?,
        Value::Object(o) => match (o.get("service"), o.get("federated")) {
            (Some(Value::String(s)), _) => Principal::service(s),
            (_, Some(Value::String(f))) => Principal::web_identity(f),
            _ => return Err(format!("unknown principal object {o:?}")),
        },
        other => return Err(format!("bad principal {other}")),
    };
    let p = match request.get("role_arn").and_then(Value::as_str) {
        Some(role) => p.with_role_arn(role),
        None => p,
    };
    Ok(
        match request.get("federated_user_arn").and_then(Value::as_str) {
            Some(user) => p.with_federating_user(user),
            None => p,
        },
    )
}

fn context(request: &Value) -> Result<Context, String> {
    let mut ctx = Context::new();
    let Some(entries) = request.get("context").and_then(Value::as_object) else {
        return Ok(ctx);
    };
    for (key, entry) in entries {
        let kind: ContextType = entry["type"]
            .as_str()
            .ok_or_else(|| format!("context {key}: missing type"))?
            .parse()
            .map_err(|e| format!("context {key}: {e}"))?;
        let values: Vec<String> = match &entry["value"] {
            Value::Array(items) => items
                .iter()
                .map(|v| v.as_str().unwrap_or_default().to_string())
                .collect(),
            Value::String(s) => vec![s.clone()],
            other => vec![other.to_string()],
        };
        let value = ContextValue::typed(kind, values).map_err(|e| format!("context {key}: {e}"))?;
        ctx.insert(key, value);
    }
    Ok(ctx)
}

fn run_case(case: &Value) -> Result<(), String> {
    // Inline role policies: the largest identity quota, and no Version requirement,
    // so the documentation's Version-less examples parse as AWS would take them.
    let identity = policies(case, "identity", PolicyKind::RoleInline)?.unwrap_or_default();
    let boundary = policies(case, "boundary", PolicyKind::Boundary)?;
    let session = policies(case, "session", PolicyKind::Session)?;
    let scp = policies(case, "scp", PolicyKind::ServiceControl)?;
    let resource = match case["policies"].get("resource") {
        None | Some(Value::Null) => None,
        Some(doc) => Some(parse_policy(doc, resource_kind(doc))?),
    };
    let identity_refs: Vec<&Policy> = identity.iter().collect();
    let boundary_refs: Option<Vec<&Policy>> = boundary.as_ref().map(|b| b.iter().collect());
    let session_refs: Option<Vec<&Policy>> = session.as_ref().map(|b| b.iter().collect());
    // Each SCP of a case is its own organization level.
    let scp_levels: Option<Vec<[&Policy; 1]>> =
        scp.as_ref().map(|b| b.iter().map(|p| [p]).collect());
    let scp_refs: Option<Vec<&[&Policy]>> = scp_levels
        .as_ref()
        .map(|l| l.iter().map(|x| &x[..]).collect());
    let set = PolicySet {
        identity: &identity_refs,
        boundary: boundary_refs.as_deref(),
        session: session_refs.as_deref(),
        service_control: scp_refs.as_deref(),
        resource: resource.as_ref(),
        resource_policy_mandatory: case["resource_policy_mandatory"].as_bool().unwrap_or(false),
    };
    let request = &case["request"];
    let principal = principal(request)?;
    let context = context(request)?;
    let req = Request {
        principal: &principal,
        action: request["action"].as_str().ok_or("request.action missing")?,
        resource: request["resource"].as_str().unwrap_or("*"),
        resource_account: request["resource_account"].as_str(),
        context: &context,
    };
    let evaluation = authorize(&set, &req);
    let expected = case["expect"].as_str().ok_or("expect missing")?;
    if evaluation.decision.as_str() != expected {
        return Err(format!(
            "expected {expected}, got {} (votes {:?})",
            evaluation.decision, evaluation.votes
        ));
    }
    // Policy::reads_context's promise: when no policy reads the context, an empty
    // one gives the same decision and the same matches.
    let all = identity
        .iter()
        .chain(boundary.iter().flatten())
        .chain(session.iter().flatten())
        .chain(scp.iter().flatten())
        .chain(resource.iter());
    if !all.clone().any(Policy::reads_context) {
        let empty = Context::new();
        let without = authorize(
            &set,
            &Request {
                context: &empty,
                ..req
            },
        );
        if without.decision != evaluation.decision || without.matched != evaluation.matched {
            return Err("reads_context() is false, yet the context changed the decision".into());
        }
    }
    // Policy::read_keys's promise: a context holding only the keys the policies
    // read gives the same decision and the same matches.
    let read: Vec<&str> = all
        .clone()
        .flat_map(|p| p.read_keys().iter().map(AsRef::as_ref))
        .collect();
    let mut narrowed = Context::new();
    for (key, value) in req.context.iter() {
        if read.iter().any(|r| r.eq_ignore_ascii_case(key)) {
            narrowed.insert(key, value.clone());
        }
    }
    let with_read_keys = authorize(
        &set,
        &Request {
            context: &narrowed,
            ..req
        },
    );
    if with_read_keys.decision != evaluation.decision
        || with_read_keys.matched != evaluation.matched
    {
        return Err(format!(
            "a context of read_keys() {read:?} changed the decision to {}",
            with_read_keys.decision
        ));
    }
    if let Some(Value::Array(sids)) = case.get("matched") {
        let mut got: Vec<String> = evaluation
            .matched
            .iter()
            .filter_map(|m| {
                let policy = match m.source {
                    mlguard_policy::PolicySource::Identity => identity.get(m.policy),
                    mlguard_policy::PolicySource::Boundary => {
                        boundary.as_ref().and_then(|b| b.get(m.policy))
                    }
                    mlguard_policy::PolicySource::Session => {
                        session.as_ref().and_then(|b| b.get(m.policy))
                    }
                    mlguard_policy::PolicySource::ServiceControl => {
                        scp.as_ref().and_then(|b| b.get(m.policy))
                    }
                    mlguard_policy::PolicySource::Resource => resource.as_ref(),
                }?;
                policy.statements[m.statement]
                    .sid
                    .as_ref()
                    .map(|s| s.value.clone())
            })
            .collect();
        let mut want: Vec<String> = sids
            .iter()
            .filter_map(|s| s.as_str().map(String::from))
            .collect();
        got.sort();
        got.dedup();
        want.sort();
        want.dedup();
        if expected != Decision::ImplicitDeny.as_str() && got != want {
            return Err(format!("matched statements {got:?}, expected {want:?}"));
        }
    }
    Ok(())
}

#[test]
fn evaluation_vectors() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/eval");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/data/eval exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut total = 0;
    let mut failures = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let doc: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let cases = doc["cases"]
            .as_array()
            .unwrap_or_else(|| panic!("{}: no cases", file.display()));
        for case in cases {
            total += 1;
            if let Err(e) = run_case(case) {
                failures.push(format!(
                    "{} :: {}\n    source: {}\n    {e}",
                    file.file_name().unwrap().to_string_lossy(),
                    case["name"].as_str().unwrap_or("?"),
                    case["source"].as_str().unwrap_or("?"),
                ));
            }
        }
    }
    assert!(
        total > 0,
        "no evaluation vectors found in {}",
        dir.display()
    );
    assert!(
        failures.is_empty(),
        "{} of {total} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("{total} evaluation vectors passed");
}
