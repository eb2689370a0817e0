//! Least-privilege policy generation from recorded activity, as IAM Access
//! Analyzer's policy generation does from CloudTrail: the actions a principal
//! called successfully, on the resources the records name, grouped into
//! statements; and the difference from what its current policies allow
//! ("unused access").
//!
//! Input is CloudTrail records (`serde_json::Value`s in CloudTrail's record
//! format): mlguard's own audit log, or a real CloudTrail export.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::{Value, json};

use mlguard_policy::{Context, Decision, Policy, PolicySet, Principal, Request, authorize};

use crate::catalog::Catalog;

/// IAM prefixes of services whose CloudTrail `eventSource` differs.
const SOURCE_PREFIX: &[(&str, &str)] = &[
    ("monitoring.amazonaws.com", "cloudwatch"),
    ("api.sagemaker.amazonaws.com", "sagemaker"),
    ("runtime.sagemaker.amazonaws.com", "sagemaker"),
    ("access-analyzer.amazonaws.com", "access-analyzer"),
];

/// CloudTrail event names whose IAM action is named differently (the
/// permission S3 data events and Lambda's versioned operations need).
const EVENT_ACTIONS: &[(&str, &str, &[&str])] = &[
    ("s3", "ListObjects", &["s3:ListBucket"]),
    ("s3", "ListObjectsV2", &["s3:ListBucket"]),
    ("s3", "HeadBucket", &["s3:ListBucket"]),
    ("s3", "HeadObject", &["s3:GetObject"]),
    ("s3", "ListBuckets", &["s3:ListAllMyBuckets"]),
    ("s3", "CreateMultipartUpload", &["s3:PutObject"]),
    ("s3", "UploadPart", &["s3:PutObject"]),
    ("s3", "UploadPartCopy", &["s3:PutObject"]),
    ("s3", "CompleteMultipartUpload", &["s3:PutObject"]),
    ("s3", "DeleteObjects", &["s3:DeleteObject"]),
    ("s3", "CopyObject", &["s3:GetObject", "s3:PutObject"]),
    ("lambda", "Invoke", &["lambda:InvokeFunction"]),
    (
        "kms",
        "ReEncrypt",
        &["kms:ReEncryptFrom", "kms:ReEncryptTo"],
    ),
];

/// The IAM actions a record needs (`kms.amazonaws.com` + `Decrypt` →
/// `kms:Decrypt`; `s3` + `HeadObject` → `s3:GetObject`; Lambda's
/// `CreateFunction20150331` → `lambda:CreateFunction`), in the catalog's
/// spelling when it knows the action.
#[must_use]
pub fn actions_of(record: &Value, catalog: &Catalog) -> Vec<String> {
    let Some(first) = action_of(record, catalog) else {
        return Vec::new();
    };
    let (prefix, name) = first.split_once(':').unwrap_or(("", ""));
    if let Some((_, _, mapped)) = EVENT_ACTIONS
        .iter()
        .find(|(p, n, _)| *p == prefix && *n == name)
    {
        return mapped.iter().map(|a| (*a).to_owned()).collect();
    }
    // Versioned operation names: `CreateFunction20150331`, `UpdateFunctionCode20150331v2`.
    let trimmed = name
        .trim_end_matches(|c: char| c.is_ascii_digit())
        .trim_end_matches('v');
    let trimmed = trimmed.trim_end_matches(|c: char| c.is_ascii_digit());
    if trimmed.len() < name.len()
        && let Some((svc, a)) = catalog.action(&format!("{prefix}:{trimmed}"))
    {
        return vec![format!("{}:{}", svc.prefix, a.name)];
    }
    vec![first]
}

/// The IAM action a record's event names (`kms.amazonaws.com` + `Decrypt` →
/// `kms:Decrypt`), in the catalog's spelling when it knows the action.
#[must_use]
pub fn action_of(record: &Value, catalog: &Catalog) -> Option<String> {
    let source = record.get("eventSource")?.as_str()?;
    let name = record.get("eventName")?.as_str()?;
    let prefix = SOURCE_PREFIX
        .iter()
        .find(|(s, _)| *s == source)
        .map(|(_, p)| (*p).to_owned())
        .or_else(|| source.strip_suffix(".amazonaws.com").map(str::to_owned))?;
    let full = format!("{prefix}:{name}");
    Some(
        catalog
            .action(&full)
            .map_or(full, |(svc, a)| format!("{}:{}", svc.prefix, a.name)),
    )
}

/// The role ARN a request hands to its service (`roleArn`, `RoleArn`,
/// `executionRoleArn`), if any.
fn passed_role(params: &Value) -> Option<String> {
    let obj = params.as_object()?;
    obj.iter().find_map(|(k, v)| {
        let k = k.to_ascii_lowercase();
        (k == "rolearn" || k == "executionrolearn" || k == "role")
            .then(|| v.as_str())
            .flatten()
            .filter(|s| s.starts_with("arn:") && s.contains(":role/"))
            .map(str::to_owned)
    })
}

/// Whether a record was made by `principal`: its `userIdentity.arn`, or for
/// role sessions the role (`sessionContext.sessionIssuer.arn`).
fn made_by(record: &Value, principal: &str) -> bool {
    let id = record.get("userIdentity");
    let arn = id.and_then(|i| i.get("arn")).and_then(Value::as_str);
    let issuer = id
        .and_then(|i| i.get("sessionContext"))
        .and_then(|s| s.get("sessionIssuer"))
        .and_then(|s| s.get("arn"))
        .and_then(Value::as_str);
    arn == Some(principal) || issuer == Some(principal)
}

/// What generation found.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Generated {
    pub principal: String,
    /// Records of the principal in the window.
    pub records: usize,
    /// The policy: actions used, on the resources used (`*` where the
    /// records name none or the action takes none).
    pub policy: Value,
    /// Calls the principal made that failed with an access error: what it
    /// tried and was not allowed.
    pub denied: Vec<String>,
    /// Actions its current policies allow on every resource and it never
    /// used (only when current policies are given; catalogued services).
    pub unused_actions: Vec<String>,
    /// Services it may use and never did.
    pub unused_services: Vec<String>,
}

/// Objects of one folder before they fold into `folder/*`, and folders of
/// one bucket before they fold into `bucket/*`.
const FOLD_OBJECTS: usize = 2;
const FOLD_FOLDERS: usize = 10;

/// S3 object ARNs folded by prefix: two or more objects in one folder become
/// `arn:aws:s3:::bucket/folder/*`, more than ten folders of one bucket become
/// `arn:aws:s3:::bucket/*`; a lone object stays exact. A job reading
/// `train/part-00000` … `part-09999` needs one resource, not ten thousand
/// (and a policy has a size quota). Other ARNs are kept as they are.
fn fold_objects(resources: BTreeSet<String>) -> BTreeSet<String> {
    // bucket → folder ("" at the top) → objects
    let mut objects: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    let mut out = BTreeSet::new();
    for r in resources {
        match r
            .strip_prefix("arn:aws:s3:::")
            .and_then(|rest| rest.split_once('/'))
        {
            Some((bucket, key)) if !key.is_empty() && !key.contains('*') => {
                let folder = key.rsplit_once('/').map_or("", |(f, _)| f);
                objects
                    .entry(bucket.to_owned())
                    .or_default()
                    .entry(folder.to_owned())
                    .or_default()
                    .push(r.clone());
            }
            _ => {
                out.insert(r);
            }
        }
    }
    for (bucket, folders) in objects {
        if folders.len() > FOLD_FOLDERS {
            out.insert(format!("arn:aws:s3:::{bucket}/*"));
            continue;
        }
        for (folder, arns) in folders {
            if arns.len() >= FOLD_OBJECTS {
                if folder.is_empty() {
                    out.insert(format!("arn:aws:s3:::{bucket}/*"));
                } else {
                    out.insert(format!("arn:aws:s3:::{bucket}/{folder}/*"));
                }
            } else {
                out.extend(arns);
            }
        }
    }
    // A folder's wildcard covers a deeper one's (`a/*` covers `a/b/*`).
    let wildcards: Vec<String> = out
        .iter()
        .filter_map(|r| r.strip_suffix('*').map(str::to_owned))
        .collect();
    out.into_iter()
        .filter(|r| {
            !wildcards
                .iter()
                .any(|w| r.len() > w.len() + 1 && r.starts_with(w.as_str()))
        })
        .collect()
}

/// Generates the policy for `principal` from `records` (already limited to
/// the time window by the caller); `current` are its identity policies, for
/// the unused-access difference.
#[must_use]
pub fn generate(
    records: &[Value],
    principal: &str,
    current: &[Policy],
    catalog: &Catalog,
) -> Generated {
    let mut used: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut denied = BTreeSet::new();
    let mut count = 0usize;
    for r in records.iter().filter(|r| made_by(r, principal)) {
        count = count.saturating_add(1);
        let actions = actions_of(r, catalog);
        let Some(action) = actions.first().cloned() else {
            continue;
        };
        let error = r.get("errorCode").and_then(Value::as_str);
        if let Some(code) = error {
            if code.contains("AccessDenied")
                || code.contains("Unauthorized")
                || code == "Client.UnauthorizedOperation"
            {
                denied.extend(actions);
            }
            continue;
        }
        // A role handed to the service (a training job's `roleArn`) needs
        // iam:PassRole on that role.
        if let Some(role) = r.get("requestParameters").and_then(passed_role) {
            used.entry("iam:PassRole".into()).or_default().insert(role);
        }
        for extra in actions.iter().skip(1) {
            used.entry(extra.clone()).or_default().insert("*".into());
        }
        let resources = used.entry(action.clone()).or_default();
        let listed: Vec<&str> = r
            .get("resources")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.get("ARN").and_then(Value::as_str))
                    .collect()
            })
            .unwrap_or_default();
        // Keep a resource only where the action acts on its type.
        let typed: Vec<&str> = match catalog.action(&action) {
            Some((svc, a)) => listed
                .into_iter()
                .filter(|arn| {
                    a.resources.iter().any(|rt| {
                        svc.resources
                            .get(&rt.name)
                            .is_some_and(|t| t.may_match(arn))
                    })
                })
                .collect(),
            None => listed,
        };
        if typed.is_empty() {
            resources.insert("*".into());
        } else {
            resources.extend(typed.into_iter().map(str::to_owned));
        }
    }
    for resources in used.values_mut() {
        *resources = fold_objects(std::mem::take(resources));
    }
    // One statement per service and resource set.
    let mut statements: BTreeMap<(String, Vec<String>), Vec<String>> = BTreeMap::new();
    for (action, resources) in &used {
        let service = action.split(':').next().unwrap_or_default().to_owned();
        let res: Vec<String> = if resources.contains("*") {
            vec!["*".into()]
        } else {
            resources.iter().cloned().collect()
        };
        statements
            .entry((service, res))
            .or_default()
            .push(action.clone());
    }
    let statement_json: Vec<Value> = statements
        .into_iter()
        .map(|((_, resources), actions)| {
            // One value as a string, several as a list, as IAM prints them.
            let one_or_list = |v: Vec<String>| match <[String; 1]>::try_from(v) {
                Ok([x]) => json!(x),
                Err(v) => json!(v),
            };
            let (r, a) = (one_or_list(resources), one_or_list(actions));
            json!({"Effect": "Allow", "Action": a, "Resource": r})
        })
        .collect();
    let policy = json!({"Version": "2012-10-17", "Statement": statement_json});

    let (mut unused_actions, mut unused_services) = (Vec::new(), Vec::new());
    if !current.is_empty()
        && let Ok(p) = Principal::from_arn(principal)
    {
        let identity: Vec<&Policy> = current.iter().collect();
        let set = PolicySet {
            identity: &identity,
            ..PolicySet::default()
        };
        let ctx = Context::new();
        let used_services: BTreeSet<&str> =
            used.keys().filter_map(|a| a.split(':').next()).collect();
        let mut services: Vec<_> = catalog.services().collect();
        services.sort_by(|a, b| a.prefix.cmp(&b.prefix));
        for svc in services {
            let mut names: Vec<&str> = svc.actions.values().map(|a| a.name.as_str()).collect();
            names.sort_unstable();
            let mut any = false;
            for name in names {
                let full = format!("{}:{name}", svc.prefix);
                let req = Request {
                    principal: &p,
                    action: &full,
                    resource: "*",
                    resource_account: None,
                    context: &ctx,
                };
                if authorize(&set, &req).decision == Decision::Allowed {
                    any = true;
                    if !used.contains_key(&full) {
                        unused_actions.push(full);
                    }
                }
            }
            if any && !used_services.contains(svc.prefix.as_str()) {
                unused_services.push(svc.prefix.clone());
            }
        }
    }
    Generated {
        principal: principal.to_owned(),
        records: count,
        policy,
        denied: denied.into_iter().collect(),
        unused_actions,
        unused_services,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;
    use mlguard_policy::PolicyKind;

    fn record(
        arn: &str,
        source: &str,
        name: &str,
        resources: &[&str],
        error: Option<&str>,
    ) -> Value {
        let mut r = json!({
            "eventSource": source, "eventName": name,
            "userIdentity": {"type": "AssumedRole", "arn": format!("{arn}/session"),
                             "sessionContext": {"sessionIssuer": {"arn": arn}}},
            "resources": resources.iter().map(|a| json!({"ARN": a})).collect::<Vec<_>>(),
        });
        if let Some(e) = error {
            r["errorCode"] = json!(e);
        }
        r
    }

    #[test]
    fn generates_from_records_and_finds_unused_access() {
        let role = "arn:aws:iam::111122223333:role/trainer";
        let key = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        let records = vec![
            record(role, "kms.amazonaws.com", "Decrypt", &[key], None),
            record(role, "kms.amazonaws.com", "GenerateDataKey", &[key], None),
            record(
                role,
                "secretsmanager.amazonaws.com",
                "GetSecretValue",
                &["arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf"],
                None,
            ),
            record(role, "sts.amazonaws.com", "GetCallerIdentity", &[], None),
            record(
                role,
                "s3.amazonaws.com",
                "HeadObject",
                &["arn:aws:s3:::data/a.csv"],
                None,
            ),
            record(
                role,
                "lambda.amazonaws.com",
                "CreateFunction20150331",
                &[],
                None,
            ),
            record(
                role,
                "iam.amazonaws.com",
                "CreateUser",
                &[],
                Some("AccessDenied"),
            ),
            record(
                "arn:aws:iam::111122223333:role/other",
                "s3.amazonaws.com",
                "DeleteBucket",
                &[],
                None,
            ),
        ];
        let current = vec![
            Policy::parse(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kms:*","secretsmanager:GetSecretValue","s3:GetObject"],"Resource":"*"}]}"#, PolicyKind::Managed).unwrap(),
        ];
        let mut records = records;
        let mut job = record(
            role,
            "sagemaker.amazonaws.com",
            "CreateTrainingJob",
            &[],
            None,
        );
        job["requestParameters"] =
            json!({"trainingJobName": "j", "roleArn": "arn:aws:iam::111122223333:role/sm-exec"});
        records.push(job);
        let g = generate(&records, role, &current, Catalog::builtin());
        assert_eq!(g.records, 8);
        let st = g.policy["Statement"].as_array().unwrap();
        let text = serde_json::to_string(&g.policy).unwrap();
        assert!(
            text.contains("kms:Decrypt")
                && text.contains("kms:GenerateDataKey")
                && text.contains(key),
            "{text}"
        );
        assert!(text.contains("sts:GetCallerIdentity"));
        // Event names that are not action names.
        assert!(
            text.contains("s3:GetObject") && text.contains("arn:aws:s3:::data/a.csv"),
            "{text}"
        );
        assert!(
            text.contains("lambda:CreateFunction") && !text.contains("20150331"),
            "{text}"
        );
        assert!(!text.contains("DeleteBucket") && !text.contains("CreateUser"));
        // The role the job ran with is passed: iam:PassRole on it.
        assert!(text.contains(r#""Action":"iam:PassRole","Effect":"Allow","Resource":"arn:aws:iam::111122223333:role/sm-exec""#), "{text}");
        assert_eq!(st.len(), 7, "{text}");
        // The generated policy is itself clean.
        let findings = crate::validate(&text, crate::PolicyType::Identity, Catalog::builtin());
        assert!(
            findings
                .iter()
                .all(|f| f.finding_type != crate::FindingType::Error),
            "{findings:?}"
        );
        assert_eq!(g.denied, ["iam:CreateUser"]);
        assert!(
            g.unused_actions
                .contains(&"kms:ScheduleKeyDeletion".to_owned())
        );
        assert!(!g.unused_actions.contains(&"kms:Decrypt".to_owned()));
        assert!(!g.unused_actions.contains(&"s3:GetObject".to_owned()));
        assert!(g.unused_services.is_empty(), "{:?}", g.unused_services);
    }

    #[test]
    fn s3_objects_fold_by_folder() {
        let set = |v: &[&str]| {
            v.iter()
                .map(|s| (*s).to_owned())
                .collect::<BTreeSet<String>>()
        };
        let folded = super::fold_objects(set(&[
            "arn:aws:s3:::data/train/part-0",
            "arn:aws:s3:::data/train/part-1",
            "arn:aws:s3:::data/train/deep/x",
            "arn:aws:s3:::data/labels.csv",
            "arn:aws:s3:::data",
            "arn:aws:s3:::other/a/b",
        ]));
        assert_eq!(
            folded,
            set(&[
                "arn:aws:s3:::data",
                "arn:aws:s3:::data/labels.csv",
                "arn:aws:s3:::data/train/*",
                "arn:aws:s3:::other/a/b",
            ])
        );
        let many: Vec<String> = (0..11)
            .map(|i| format!("arn:aws:s3:::big/f{i}/o"))
            .collect();
        let folded = super::fold_objects(many.into_iter().collect());
        assert_eq!(folded, set(&["arn:aws:s3:::big/*"]));
        let top = super::fold_objects(set(&["arn:aws:s3:::b/x", "arn:aws:s3:::b/y"]));
        assert_eq!(top, set(&["arn:aws:s3:::b/*"]));
    }
}
