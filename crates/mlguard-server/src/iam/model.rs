//! IAM's entities as stored: users, groups and roles (one shape, by kind, so
//! inline policies, attachments, boundaries and tags are written once), managed
//! policies with their versions, access keys and virtual MFA devices.
//!
//! Documents are stored as the caller wrote them and compiled when loaded; a
//! secret (an access key's, an MFA seed) never appears here: it is sealed under
//! the root key in the record's `sealed` column.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use mlguard_policy::{Policy, PolicyKind};
use serde::{Deserialize, Serialize};

/// Users, groups and roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    /// An IAM user.
    User,
    /// An IAM group.
    Group,
    /// An IAM role.
    Role,
}

impl Kind {
    /// The store kind of its records.
    pub fn store_kind(self) -> &'static str {
        match self {
            Kind::User => "iam.user",
            Kind::Group => "iam.group",
            Kind::Role => "iam.role",
        }
    }

    /// `user`, `group`, `role`: in ARNs and messages.
    pub fn noun(self) -> &'static str {
        match self {
            Kind::User => "user",
            Kind::Group => "group",
            Kind::Role => "role",
        }
    }

    /// The id prefix AWS uses (`AIDA…`, `AGPA…`, `AROA…`).
    pub fn id_prefix(self) -> &'static str {
        match self {
            Kind::User => "AIDA",
            Kind::Group => "AGPA",
            Kind::Role => "AROA",
        }
    }

    /// The kind an inline policy of this entity is parsed as (its size quota).
    pub fn inline_kind(self) -> PolicyKind {
        match self {
            Kind::User => PolicyKind::UserInline,
            Kind::Group => PolicyKind::GroupInline,
            Kind::Role => PolicyKind::RoleInline,
        }
    }

    /// AWS's quota on the total size of an entity's inline policies.
    pub fn inline_quota(self) -> usize {
        match self {
            Kind::User => 2_048,
            Kind::Group => 5_120,
            Kind::Role => 10_240,
        }
    }

    /// `PoliciesPerUser` and friends: attached managed policies (AWS's default quota).
    pub fn attached_quota_name(self) -> &'static str {
        match self {
            Kind::User => "PoliciesPerUser",
            Kind::Group => "PoliciesPerGroup",
            Kind::Role => "PoliciesPerRole",
        }
    }
}

/// A policy document: the text as written, and its compiled form.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Doc {
    /// The JSON as the caller sent it.
    pub text: String,
    /// Compiled (after parsing on write, or on load).
    #[serde(skip)]
    pub policy: Option<Arc<Policy>>,
}

impl Doc {
    /// A document already parsed.
    pub fn new(text: String, policy: Policy) -> Doc {
        Doc {
            text,
            policy: Some(Arc::new(policy)),
        }
    }

    /// Compiles a loaded document.
    pub fn compile(&mut self, kind: PolicyKind) -> Result<(), String> {
        let policy = Policy::parse(&self.text, kind).map_err(|e| e.to_string())?;
        self.policy = Some(Arc::new(policy));
        Ok(())
    }
}

/// A tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    /// Key (unique per entity, case-insensitively).
    pub key: String,
    /// Value.
    pub value: String,
}

/// A user, group or role.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entity {
    /// What it is.
    pub kind: Kind,
    /// Its name, as created (names are unique case-insensitively).
    pub name: String,
    /// `AIDA…`, `AGPA…`, `AROA…`.
    pub id: String,
    /// Its ARN.
    pub arn: String,
    /// Its path (`/` by default).
    pub path: String,
    /// Creation time, epoch seconds.
    pub created: i64,
    /// Tags, in the order added.
    #[serde(default)]
    pub tags: Vec<Tag>,
    /// Inline policies by name.
    #[serde(default)]
    pub inline: BTreeMap<String, Doc>,
    /// Attached managed policies, by ARN.
    #[serde(default)]
    pub attached: BTreeSet<String>,
    /// The permissions boundary's policy ARN (users and roles).
    #[serde(default)]
    pub boundary: Option<String>,
    /// The groups of a user (lower-cased group names).
    #[serde(default)]
    pub groups: BTreeSet<String>,
    /// A role's trust policy.
    #[serde(default)]
    pub trust: Option<Doc>,
    /// A role's description.
    #[serde(default)]
    pub description: Option<String>,
    /// A role's maximum session duration, seconds.
    #[serde(default)]
    pub max_session_duration: Option<i32>,
}

impl Entity {
    /// Compiles the documents after loading.
    pub fn compile(&mut self) -> Result<(), String> {
        let kind = self.kind.inline_kind();
        for doc in self.inline.values_mut() {
            doc.compile(kind)?;
        }
        if let Some(trust) = &mut self.trust {
            trust.compile(PolicyKind::RoleTrust)?;
        }
        Ok(())
    }

    /// The record id: the lower-cased name.
    pub fn key(&self) -> String {
        self.name.to_ascii_lowercase()
    }
}

/// A managed policy version.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PolicyVersion {
    /// `v1`, `v2`, …
    pub id: String,
    /// The document.
    pub doc: Doc,
    /// Creation time.
    pub created: i64,
}

/// A customer managed policy.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ManagedPolicy {
    /// Name (unique case-insensitively).
    pub name: String,
    /// `ANPA…`.
    pub id: String,
    /// ARN.
    pub arn: String,
    /// Path.
    pub path: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Creation time.
    pub created: i64,
    /// Last update (a version added or made default).
    pub updated: i64,
    /// The default version's id.
    pub default_version: String,
    /// Versions, oldest first.
    pub versions: Vec<PolicyVersion>,
    /// The number the next version gets.
    pub next_version: u32,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<Tag>,
}

impl ManagedPolicy {
    /// The default version's compiled document.
    pub fn default_policy(&self) -> Option<&Arc<Policy>> {
        self.versions
            .iter()
            .find(|v| v.id == self.default_version)
            .and_then(|v| v.doc.policy.as_ref())
    }

    /// Compiles the documents after loading.
    pub fn compile(&mut self) -> Result<(), String> {
        for v in &mut self.versions {
            v.doc.compile(PolicyKind::Managed)?;
        }
        Ok(())
    }
}

/// Where an access key was last used.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LastUsed {
    /// When.
    pub at: i64,
    /// The service's endpoint prefix (`kms`).
    pub service: String,
    /// The region.
    pub region: String,
}

/// An IAM user's access key (its secret is sealed in the record).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessKey {
    /// `AKIA…`.
    pub id: String,
    /// The user's name, as created.
    pub user: String,
    /// `Active` or `Inactive`.
    pub status: String,
    /// Creation time.
    pub created: i64,
}

/// A virtual MFA device (its seed is sealed in the record).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MfaDevice {
    /// `arn:aws:iam::ACCOUNT:mfa/PATH/NAME`: the serial number.
    pub serial: String,
    /// The user it is enabled for (name as created).
    #[serde(default)]
    pub user: Option<String>,
    /// When it was enabled.
    #[serde(default)]
    pub enabled: Option<i64>,
    /// Creation time.
    pub created: i64,
    /// The last TOTP time step accepted: a code is never accepted twice.
    #[serde(default)]
    pub last_step: Option<i64>,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<Tag>,
}
