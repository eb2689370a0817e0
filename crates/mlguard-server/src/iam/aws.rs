//! AWS managed policies (`arn:aws:iam::aws:policy/...`): read-only, the same in
//! every account, shipped with mlguard as data (`data/aws-managed-policies.json`,
//! taken from AWS's Managed Policy Reference Guide; its header says which
//! policies, from where and when). They can be read, listed, attached and used as
//! permissions boundaries; creating versions of them, deleting or tagging them
//! is refused as AWS refuses it: the caller's account does not own them.

use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

use mlguard_policy::{Policy, PolicyKind};
use serde::Deserialize;

use super::model::{Doc, ManagedPolicy, PolicyVersion};

/// The ARN prefix of every AWS managed policy.
pub const ARN_PREFIX: &str = "arn:aws:iam::aws:policy/";

const DATA: &str = include_str!("../../data/aws-managed-policies.json");

#[derive(Deserialize)]
struct File {
    policies: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Entry {
    policy_name: String,
    path: String,
    arn: String,
    default_version_id: String,
    create_date: String,
    update_date: String,
    description: Option<String>,
    document: serde_json::Value,
}

/// The AWS managed policies by ARN.
static POLICIES: LazyLock<BTreeMap<String, Arc<ManagedPolicy>>> = LazyLock::new(|| {
    let file: File = match serde_json::from_str(DATA) {
        Ok(f) => f,
        Err(e) => {
            tracing::error!("the embedded AWS managed policies do not parse: {e}");
            return BTreeMap::new();
        }
    };
    file.policies
        .into_iter()
        .filter_map(|entry| match compile(entry) {
            Ok(p) => Some((p.arn.clone(), Arc::new(p))),
            Err(e) => {
                tracing::error!("embedded AWS managed policy skipped: {e}");
                None
            }
        })
        .collect()
});

fn compile(entry: Entry) -> Result<ManagedPolicy, String> {
    let text = serde_json::to_string_pretty(&entry.document).map_err(|e| e.to_string())?;
    let policy = Policy::parse(&text, PolicyKind::Managed)
        .map_err(|e| format!("{}: {e}", entry.policy_name))?;
    let time = |s: &str| {
        mlguard_wire::query::parse_iso8601(s)
            .ok_or_else(|| format!("{}: bad date {s}", entry.policy_name))
    };
    let created = time(&entry.create_date)?;
    let updated = time(&entry.update_date)?;
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, entry.arn.as_bytes());
    let mut seed = [0u8; 17];
    for (dst, src) in seed.iter_mut().zip(digest.as_ref()) {
        *dst = *src;
    }
    let next = entry
        .default_version_id
        .strip_prefix('v')
        .and_then(|n| n.parse::<u32>().ok())
        .map_or(2, |n| n + 1);
    Ok(ManagedPolicy {
        name: entry.policy_name,
        id: super::encode_id("ANPA", &seed),
        arn: entry.arn,
        path: entry.path,
        description: entry.description,
        created,
        updated,
        default_version: entry.default_version_id.clone(),
        versions: vec![PolicyVersion {
            id: entry.default_version_id,
            doc: Doc::new(text, policy),
            created: updated,
        }],
        next_version: next,
        tags: Vec::new(),
    })
}

/// True for an ARN in AWS's managed-policy namespace.
pub fn is_aws(arn: &str) -> bool {
    arn.starts_with(ARN_PREFIX)
}

/// An AWS managed policy by ARN.
pub fn get(arn: &str) -> Option<&'static Arc<ManagedPolicy>> {
    POLICIES.get(arn)
}

/// Every AWS managed policy, by ARN.
pub fn all() -> &'static BTreeMap<String, Arc<ManagedPolicy>> {
    &POLICIES
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_policy_compiles_with_its_path_in_the_arn() {
        let file: File = serde_json::from_str(DATA).expect("data parses");
        let count = file.policies.len();
        assert!(count >= 10);
        assert_eq!(all().len(), count, "a shipped policy failed to compile");
        for (arn, p) in all() {
            assert!(is_aws(arn));
            assert_eq!(
                *arn,
                format!("{ARN_PREFIX}{}{}", p.path.trim_start_matches('/'), p.name)
            );
            assert!(p.id.starts_with("ANPA") && p.id.len() == 21);
            assert!(p.default_policy().is_some());
        }
        let admin = get("arn:aws:iam::aws:policy/AdministratorAccess").expect("shipped");
        assert_eq!(admin.default_version, "v1");
        assert!(get("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole").is_some());
    }
}
