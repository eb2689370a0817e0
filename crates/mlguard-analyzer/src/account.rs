//! The `GetAccountAuthorizationDetails` document (`aws iam
//! get-account-authorization-details`, from mlguard's IAM or a real account),
//! as the escalation analysis and the posture checks read it. Members absent
//! from a dump take their defaults.

use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub struct Details {
    pub user_detail_list: Vec<UserDetail>,
    pub group_detail_list: Vec<GroupDetail>,
    pub role_detail_list: Vec<RoleDetail>,
    pub policies: Vec<ManagedPolicy>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub struct Inline {
    pub policy_name: String,
    pub policy_document: Value,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub struct Attached {
    pub policy_arn: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub struct Boundary {
    pub permissions_boundary_arn: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub struct UserDetail {
    pub user_name: String,
    pub arn: String,
    pub group_list: Vec<String>,
    pub user_policy_list: Vec<Inline>,
    pub attached_managed_policies: Vec<Attached>,
    pub permissions_boundary: Option<Boundary>,
    pub tags: Vec<Tag>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub struct GroupDetail {
    pub group_name: String,
    pub arn: String,
    pub group_policy_list: Vec<Inline>,
    pub attached_managed_policies: Vec<Attached>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub struct RoleDetail {
    pub role_name: String,
    pub arn: String,
    pub assume_role_policy_document: Value,
    pub role_policy_list: Vec<Inline>,
    pub attached_managed_policies: Vec<Attached>,
    pub permissions_boundary: Option<Boundary>,
    pub tags: Vec<Tag>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub struct PolicyVersion {
    pub document: Value,
    pub is_default_version: bool,
    pub version_id: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub struct ManagedPolicy {
    pub arn: String,
    pub default_version_id: String,
    pub policy_version_list: Vec<PolicyVersion>,
}

impl ManagedPolicy {
    /// The version that decides what the policy grants: the one marked
    /// `IsDefaultVersion`, or named by `DefaultVersionId`.
    #[must_use]
    pub fn default_version(&self) -> Option<&PolicyVersion> {
        self.policy_version_list.iter().find(|v| self.is_default(v))
    }

    /// Whether `v` is the default version.
    #[must_use]
    pub fn is_default(&self, v: &PolicyVersion) -> bool {
        v.is_default_version
            || (!self.default_version_id.is_empty() && v.version_id == self.default_version_id)
    }
}

/// Reads a policy document that may be an object or a URL-encoded string (the
/// raw API returns it encoded; the CLI decodes it).
pub fn document_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => {
            if s.trim_start().starts_with('{') {
                return Some(s.clone());
            }
            percent_decode(s)
        }
        Value::Object(_) => serde_json::to_string(v).ok(),
        _ => None,
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'%' {
            let hex = b.get(i.saturating_add(1)..i.saturating_add(3))?;
            let v = u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
            out.push(v);
            i = i.saturating_add(3);
        } else {
            out.push(if c == b'+' { b' ' } else { c });
            i = i.saturating_add(1);
        }
    }
    String::from_utf8(out).ok()
}
