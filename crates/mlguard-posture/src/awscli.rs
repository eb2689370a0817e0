//! Output of the aws CLI (the API's response shapes) for S3, KMS, Secrets
//! Manager, CloudTrail, VPC flow logs and IAM.
//!
//! Several responses do not name their resource (`get-bucket-policy`,
//! `get-bucket-encryption`, `get-public-access-block`, `get-key-policy`,
//! `get-trail-status`): the resource is then named by the file, up to its
//! first dot (`training-data.policy.json` is bucket `training-data`), as
//! `aws ... > NAME.policy.json` leaves it. A combined object such as
//! `{"Bucket": "training-data", "Policy": ..., "ServerSideEncryptionConfiguration": ...}`
//! names it explicitly.

use serde_json::Value;

use crate::model::{
    AccountDetails, Bucket, Encryption, Field, KmsKey, Origin, Scope, Secret, Trail, Vpc,
};

/// What a response is, by its top-level members.
pub fn recognize(v: &Value) -> Option<&'static str> {
    let has = |k: &str| v.get(k).is_some();
    if has("UserDetailList") || has("RoleDetailList") || has("GroupDetailList") {
        Some("account")
    } else if has("KeyMetadata")
        || has("KeyRotationEnabled")
        || (has("Policy") && has("PolicyName"))
    {
        Some("kms")
    } else if has("ServerSideEncryptionConfiguration")
        || has("PublicAccessBlockConfiguration")
        || has("Policy")
    {
        Some("s3")
    } else if has("SecretList")
        || (has("ARN")
            && v.get("ARN")
                .and_then(Value::as_str)
                .is_some_and(|a| a.contains(":secretsmanager:")))
    {
        Some("secrets")
    } else if has("trailList") || has("Trail") || has("IsLogging") {
        Some("cloudtrail")
    } else if has("LoggingEnabled")
        || (has("Status")
            && v.as_object()
                .is_some_and(|o| o.keys().all(|k| k == "Status" || k == "MFADelete")))
    {
        // get-bucket-logging, get-bucket-versioning.
        Some("s3")
    } else if has("FlowLogs") {
        Some("flow-logs")
    } else if has("Statement")
        && crate::iam::statements(v)
            .iter()
            .any(|s| s.get("Principal").is_some() || s.get("NotPrincipal").is_some())
    {
        // A resource policy names principals; an identity policy (a role's
        // policy file in the same directory) does not, and is not read here.
        Some("policy")
    } else {
        None
    }
}

/// The resource a response names, else the file's stem up to its first dot.
fn subject(v: &Value, keys: &[&str], file: &str) -> String {
    for k in keys {
        if let Some(s) = v.get(*k).and_then(Value::as_str) {
            return s.to_owned();
        }
    }
    let base = std::path::Path::new(file)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(file);
    base.split('.').next().unwrap_or(base).to_owned()
}

/// A policy given as a JSON string (as the API returns it) or as an object.
fn policy_doc(v: Option<&Value>) -> Option<Value> {
    match v? {
        Value::String(s) => serde_json::from_str(s).ok(),
        o @ Value::Object(_) => Some(o.clone()),
        _ => None,
    }
}

/// A bucket's default encryption from `ServerSideEncryptionConfiguration`
/// (the API's and CloudFormation's shape).
pub fn encryption(sse: &Value) -> Encryption {
    let rules = sse
        .get("Rules")
        .or_else(|| sse.get("ServerSideEncryptionConfiguration"))
        .or(Some(sse));
    let first = match rules {
        Some(Value::Array(a)) => a.first(),
        other => other,
    };
    // The API (and the aws CLI) call it ApplyServerSideEncryptionByDefault;
    // CloudFormation's property is ServerSideEncryptionByDefault.
    let by_default = first.and_then(|r| {
        r.get("ApplyServerSideEncryptionByDefault")
            .filter(|v| !v.is_null())
            .or_else(|| r.get("ServerSideEncryptionByDefault"))
    });
    Encryption {
        algorithm: Field::of(by_default.and_then(|d| d.get("SSEAlgorithm"))),
        kms_key: Field::of(by_default.and_then(|d| d.get("KMSMasterKeyID"))),
    }
}

/// The four public access block settings.
pub fn public_access_block(p: &Value) -> [Field; 4] {
    [
        "BlockPublicAcls",
        "IgnorePublicAcls",
        "BlockPublicPolicy",
        "RestrictPublicBuckets",
    ]
    .map(|k| Field::of(p.get(k)))
}

/// The bucket a bucket policy's resources name, if exactly one.
fn bucket_of_policy(doc: &Value) -> Option<String> {
    let mut names: Vec<String> = Vec::new();
    for s in crate::iam::statements(doc) {
        for r in crate::iam::strings(s.get("Resource")) {
            if let Some(rest) = r.strip_prefix("arn:aws:s3:::") {
                let b = rest.split('/').next().unwrap_or(rest);
                if !b.contains('*') && !names.iter().any(|n| n == b) {
                    names.push(b.to_owned());
                }
            }
        }
    }
    match names.as_slice() {
        [one] => Some(one.clone()),
        _ => None,
    }
}

fn is_kms_policy(doc: &Value) -> bool {
    doc.to_string().contains("\"kms:")
}

/// Reads a response of the kind [`recognize`] named.
pub fn read(kind: &str, v: &Value, origin: &Origin, scope: &mut Scope) {
    let file = origin.file.as_str();
    match kind {
        "account" => scope.accounts.push(AccountDetails {
            text: v.to_string(),
            origin: origin.clone(),
        }),
        "kms" => {
            let meta = v.get("KeyMetadata");
            let id = match meta {
                Some(m) => subject(m, &["Arn", "KeyId"], file),
                None => subject(v, &["KeyId"], file),
            };
            let m = meta.unwrap_or(&Value::Null);
            scope.add_key(KmsKey {
                id,
                join: String::new(),
                manager: Field::of(m.get("KeyManager")),
                spec: Field::of(m.get("KeySpec").or_else(|| m.get("CustomerMasterKeySpec"))),
                key_origin: Field::of(m.get("Origin")),
                rotation: Field::of(v.get("KeyRotationEnabled")),
                policy: policy_doc(v.get("Policy")),
                origin: origin.clone(),
            });
        }
        "s3" => {
            let policy = policy_doc(v.get("Policy"));
            let named = v
                .get("Bucket")
                .or_else(|| v.get("Name"))
                .and_then(Value::as_str)
                .map(str::to_owned);
            let name = named
                .or_else(|| policy.as_ref().and_then(bucket_of_policy))
                .unwrap_or_else(|| subject(v, &[], file));
            scope.add_bucket(Bucket {
                name,
                join: String::new(),
                encryption: v.get("ServerSideEncryptionConfiguration").map(encryption),
                policy: v.get("Policy").map(|_| policy),
                public_access_block: v
                    .get("PublicAccessBlockConfiguration")
                    .map(public_access_block),
                versioning: v
                    .get("Status")
                    .map(|s| Field::Known(Value::Bool(s.as_str() == Some("Enabled")))),
                access_logging: v
                    .get("LoggingEnabled")
                    .map(|l| Field::Known(Value::Bool(l.is_object()))),
                origin: origin.clone(),
            });
        }
        "policy" => {
            if is_kms_policy(v) {
                scope.add_key(KmsKey {
                    id: subject(v, &[], file),
                    policy: Some(v.clone()),
                    origin: origin.clone(),
                    ..KmsKey::default()
                });
            } else {
                let name = bucket_of_policy(v).unwrap_or_else(|| subject(v, &[], file));
                scope.add_bucket(Bucket {
                    name,
                    policy: Some(Some(v.clone())),
                    origin: origin.clone(),
                    ..Bucket::default()
                });
            }
        }
        "secrets" => {
            let list = match v.get("SecretList") {
                Some(Value::Array(a)) => a.clone(),
                _ => vec![v.clone()],
            };
            for s in &list {
                scope.secrets.push(Secret {
                    name: subject(s, &["Name", "ARN"], file),
                    // describe-secret omits RotationEnabled until rotation was configured.
                    rotation: match Field::of(s.get("RotationEnabled")) {
                        Field::Absent => Field::Known(Value::Bool(false)),
                        f => f,
                    },
                    origin: origin.clone(),
                });
            }
        }
        "cloudtrail" => {
            scope.trails_listed.get_or_insert_with(|| origin.clone());
            let list = match (v.get("trailList"), v.get("Trail")) {
                (Some(Value::Array(a)), _) => a.clone(),
                (_, Some(t)) => vec![t.clone()],
                _ => vec![v.clone()],
            };
            for t in &list {
                let name = subject(t, &["Name", "TrailARN"], file);
                let trail = Trail {
                    name: name.clone(),
                    join: String::new(),
                    logging: Field::of(t.get("IsLogging")),
                    multi_region: Field::of(t.get("IsMultiRegionTrail")),
                    log_validation: Field::of(t.get("LogFileValidationEnabled")),
                    kms_key: Field::of(t.get("KmsKeyId")),
                    origin: origin.clone(),
                };
                // get-trail-status adds IsLogging to a trail listed elsewhere.
                scope.add_trail(trail);
            }
        }
        "flow-logs" => {
            scope.cli_flow_logs_listed = true;
            for f in v
                .get("FlowLogs")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let active = f
                    .get("FlowLogStatus")
                    .and_then(Value::as_str)
                    .is_none_or(|s| s.eq_ignore_ascii_case("ACTIVE"));
                if let (true, Some(id)) = (active, f.get("ResourceId").and_then(Value::as_str)) {
                    scope.flow_logs.push((id.to_owned(), None));
                }
            }
        }
        _ => {}
    }
}

/// The VPCs of a `describe-vpcs` response, for the flow log check.
pub fn vpcs(v: &Value, origin: &Origin, scope: &mut Scope) {
    for vpc in v
        .get("Vpcs")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(id) = vpc.get("VpcId").and_then(Value::as_str) {
            scope.vpcs.push(Vpc {
                id: id.to_owned(),
                origin: origin.clone(),
                template: false,
            });
        }
    }
}
