//! The configurations the checks read, whatever file format they came from.
//!
//! Every reader (SageMaker API JSON, the Python SDK's arguments, CloudFormation,
//! Terraform plans, aws CLI output, IAM authorization details) produces these
//! records; the checks never see a file format. A setting is [`Field::Absent`]
//! when the configuration does not give it (AWS's default applies),
//! [`Field::Unknown`] when it is given but cannot be known offline (a
//! CloudFormation parameter without a default, a Terraform value known only
//! after apply, a reference to a resource created by the same template), and
//! [`Field::Known`] otherwise.

use serde_json::Value;

/// One setting of a configuration.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Field {
    #[default]
    Absent,
    /// Set, to a value that exists only once the resources are deployed.
    Unknown,
    Known(Value),
}

impl Field {
    /// From a JSON value (null is absent; the readers' unknown marker is unknown).
    pub fn of(v: Option<&Value>) -> Field {
        match v {
            None | Some(Value::Null) => Field::Absent,
            Some(Value::String(s)) if crate::intrinsics::is_unknown(s) => Field::Unknown,
            Some(v) => Field::Known(v.clone()),
        }
    }

    /// Whether the setting is given a non-empty value (known or not).
    pub fn is_set(&self) -> bool {
        match self {
            Field::Absent => false,
            Field::Unknown => true,
            Field::Known(Value::String(s)) => !s.trim().is_empty(),
            Field::Known(Value::Array(a)) => !a.is_empty(),
            Field::Known(Value::Null) => false,
            Field::Known(_) => true,
        }
    }

    /// The setting as a boolean: `Some(b)` when known (JSON booleans and the
    /// strings "true"/"false", as CloudFormation and the CLI accept them).
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Field::Known(Value::Bool(b)) => Some(*b),
            Field::Known(Value::String(s)) if s.eq_ignore_ascii_case("true") => Some(true),
            Field::Known(Value::String(s)) if s.eq_ignore_ascii_case("false") => Some(false),
            _ => None,
        }
    }

    /// The known string value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Field::Known(Value::String(s)) => Some(s),
            _ => None,
        }
    }

    /// Known strings of a string or list setting.
    pub fn strings(&self) -> Vec<String> {
        match self {
            Field::Known(Value::String(s)) if !is_unknown_str(s) => vec![s.clone()],
            Field::Known(Value::Array(a)) => a
                .iter()
                .filter_map(Value::as_str)
                .filter(|s| !is_unknown_str(s))
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        }
    }
}

fn is_unknown_str(s: &str) -> bool {
    crate::intrinsics::is_unknown(s)
}

/// Where a configuration was read: the file, the path of the object within it
/// (`Resources.Notebook.Properties`, `planned_values...aws_s3_bucket.data`),
/// and the 1-based line where it starts (0 when unknown).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Origin {
    pub file: String,
    pub path: String,
    pub line: usize,
}

/// A SageMaker training or processing job (API request, describe output, the
/// Python SDK's Estimator or Processor arguments).
#[derive(Debug, Clone, Default)]
pub struct Job {
    pub processing: bool,
    pub name: String,
    pub role: Field,
    pub subnets: Field,
    pub security_groups: Field,
    pub network_isolation: Field,
    pub inter_container_encryption: Field,
    pub volume_kms_key: Field,
    pub output_kms_key: Field,
    /// Instances (1 when absent).
    pub instance_count: Option<u64>,
    pub origin: Origin,
}

/// A SageMaker model.
#[derive(Debug, Clone, Default)]
pub struct Model {
    pub name: String,
    pub role: Field,
    pub subnets: Field,
    pub network_isolation: Field,
    pub origin: Origin,
}

/// A SageMaker endpoint configuration.
#[derive(Debug, Clone, Default)]
pub struct EndpointConfig {
    pub name: String,
    pub kms_key: Field,
    pub origin: Origin,
}

/// A SageMaker notebook instance.
#[derive(Debug, Clone, Default)]
pub struct Notebook {
    pub name: String,
    pub role: Field,
    /// `Enabled` (AWS's default) or `Disabled`.
    pub direct_internet_access: Field,
    /// `Enabled` (AWS's default) or `Disabled`.
    pub root_access: Field,
    pub subnet: Field,
    pub kms_key: Field,
    /// `1` (AWS's default) or `2`: the lowest instance metadata service version served.
    pub imds_version: Field,
    pub origin: Origin,
}

/// A SageMaker domain (Studio).
#[derive(Debug, Clone, Default)]
pub struct Domain {
    pub name: String,
    /// `PublicInternetOnly` (AWS's default) or `VpcOnly`.
    pub app_network_access: Field,
    pub kms_key: Field,
    pub role: Field,
    pub origin: Origin,
}

/// An S3 bucket's configuration, from whichever files describe it.
#[derive(Debug, Clone, Default)]
pub struct Bucket {
    /// The bucket name, or the template's logical id when it has none.
    pub name: String,
    /// What joins this record with others about the same resource from
    /// other files: empty for a physical name (aws CLI output, a template's
    /// explicit name), `file#logical-id` for a template resource without one
    /// (two templates' `DataBucket`s are different buckets).
    pub join: String,
    /// The default encryption rule: `None` when no file describes it.
    pub encryption: Option<Encryption>,
    /// The bucket policy document: `None` when no file describes the bucket's
    /// policy, `Some(None)` when it is known to have none.
    pub policy: Option<Option<Value>>,
    /// BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets.
    pub public_access_block: Option<[Field; 4]>,
    /// Whether versioning is enabled (`None`: no file says).
    pub versioning: Option<Field>,
    /// Whether server access logging is enabled (`None`: no file says).
    pub access_logging: Option<Field>,
    pub origin: Origin,
}

/// A bucket's default encryption.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Encryption {
    /// `AES256`, `aws:kms`, `aws:kms:dsse`; absent when no rule is configured.
    pub algorithm: Field,
    pub kms_key: Field,
}

/// A KMS key.
#[derive(Debug, Clone, Default)]
pub struct KmsKey {
    pub id: String,
    /// What joins this record with others about the same resource from
    /// other files: empty for a physical name (aws CLI output, a template's
    /// explicit name), `file#logical-id` for a template resource without one
    /// (two templates' `DataBucket`s are different buckets).
    pub join: String,
    /// `CUSTOMER` or `AWS`.
    pub manager: Field,
    /// `SYMMETRIC_DEFAULT`, `RSA_2048`, ...
    pub spec: Field,
    /// `AWS_KMS`, `EXTERNAL`, `AWS_CLOUDHSM`, `EXTERNAL_KEY_STORE`.
    pub key_origin: Field,
    pub rotation: Field,
    pub policy: Option<Value>,
    pub origin: Origin,
}

/// A Secrets Manager secret.
#[derive(Debug, Clone, Default)]
pub struct Secret {
    pub name: String,
    pub rotation: Field,
    pub origin: Origin,
}

/// A CloudTrail trail.
#[derive(Debug, Clone, Default)]
pub struct Trail {
    pub name: String,
    /// What joins this record with others about the same resource from
    /// other files: empty for a physical name (aws CLI output, a template's
    /// explicit name), `file#logical-id` for a template resource without one
    /// (two templates' `DataBucket`s are different buckets).
    pub join: String,
    /// Whether it is logging (`get-trail-status`, CloudFormation's IsLogging).
    pub logging: Field,
    pub multi_region: Field,
    pub log_validation: Field,
    pub kms_key: Field,
    pub origin: Origin,
}

/// A VPC declared by a template or listed by `describe-vpcs`.
#[derive(Debug, Clone, Default)]
pub struct Vpc {
    pub id: String,
    pub origin: Origin,
    /// Declared by a template or plan: judged against that file's flow logs.
    /// Otherwise listed by `describe-vpcs`: judged against `describe-flow-logs`.
    pub template: bool,
}

/// An IAM role with its trust policy and permissions.
#[derive(Debug, Clone, Default)]
pub struct Role {
    /// The role's ARN where known, else its name.
    pub arn: String,
    pub name: String,
    pub trust: Option<Value>,
    /// Inline and managed policy documents: (name, document).
    pub policies: Vec<(String, Value)>,
    /// Managed policies attached by ARN whose documents are not in scope.
    pub managed_arns: Vec<String>,
    pub origin: Origin,
}

/// IAM authorization details (`aws iam get-account-authorization-details`).
#[derive(Debug, Clone)]
pub struct AccountDetails {
    pub text: String,
    pub origin: Origin,
}

/// A VPC topology for the network analyzer, with the directory it came from.
pub struct Network {
    pub topology: mlguard_net::Topology,
    pub origin: Origin,
}

/// Everything read from the inputs.
#[derive(Default)]
pub struct Scope {
    pub jobs: Vec<Job>,
    pub models: Vec<Model>,
    pub endpoint_configs: Vec<EndpointConfig>,
    pub notebooks: Vec<Notebook>,
    pub domains: Vec<Domain>,
    pub buckets: Vec<Bucket>,
    pub keys: Vec<KmsKey>,
    pub secrets: Vec<Secret>,
    pub trails: Vec<Trail>,
    /// Whether some input lists trails (so "no trail" can be judged).
    /// Where trails were first listed (so "no trail" can be judged, and located).
    pub trails_listed: Option<Origin>,
    pub vpcs: Vec<Vpc>,
    /// VPCs with a flow log: the id, and the template or plan that declares
    /// the flow log (`None` for `describe-flow-logs` output).
    pub flow_logs: Vec<(String, Option<String>)>,
    /// Whether `describe-flow-logs` output was read (so a listed VPC without
    /// one can be judged).
    pub cli_flow_logs_listed: bool,
    pub roles: Vec<Role>,
    pub accounts: Vec<AccountDetails>,
    pub networks: Vec<Network>,
}

impl Scope {
    /// Adds what another file's reading found.
    pub fn merge(&mut self, other: Scope) {
        self.jobs.extend(other.jobs);
        self.models.extend(other.models);
        self.endpoint_configs.extend(other.endpoint_configs);
        self.notebooks.extend(other.notebooks);
        self.domains.extend(other.domains);
        for b in other.buckets {
            self.add_bucket(b);
        }
        for k in other.keys {
            self.add_key(k);
        }
        self.secrets.extend(other.secrets);
        for t in other.trails {
            self.add_trail(t);
        }
        if self.trails_listed.is_none() {
            self.trails_listed = other.trails_listed;
        }
        self.vpcs.extend(other.vpcs);
        self.flow_logs.extend(other.flow_logs);
        self.cli_flow_logs_listed |= other.cli_flow_logs_listed;
        self.roles.extend(other.roles);
        self.accounts.extend(other.accounts);
        self.networks.extend(other.networks);
    }

    /// Adds a bucket, joining what separate files (`get-bucket-policy`,
    /// `get-bucket-encryption`, ...) say about the same bucket.
    pub fn add_bucket(&mut self, b: Bucket) {
        if let Some(have) = self
            .buckets
            .iter_mut()
            .find(|x| x.join == b.join && x.name == b.name)
        {
            if have.encryption.is_none() {
                have.encryption = b.encryption;
            }
            if have.policy.is_none() {
                have.policy = b.policy;
            }
            if have.public_access_block.is_none() {
                have.public_access_block = b.public_access_block;
            }
            if have.versioning.is_none() {
                have.versioning = b.versioning;
            }
            if have.access_logging.is_none() {
                have.access_logging = b.access_logging;
            }
            if have.origin.file.is_empty() {
                have.origin = b.origin;
            }
        } else {
            self.buckets.push(b);
        }
    }

    /// Adds a trail, joining `describe-trails` and `get-trail-status` output
    /// for the same trail.
    pub fn add_trail(&mut self, t: Trail) {
        if let Some(have) = self
            .trails
            .iter_mut()
            .find(|x| x.join == t.join && x.name == t.name)
        {
            if have.logging == Field::Absent {
                have.logging = t.logging;
            }
            if have.multi_region == Field::Absent {
                have.multi_region = t.multi_region;
            }
            if have.log_validation == Field::Absent {
                have.log_validation = t.log_validation;
            }
            if have.kms_key == Field::Absent {
                have.kms_key = t.kms_key;
            }
            if have.origin.path.is_empty() && !t.origin.path.is_empty() {
                have.origin = t.origin;
            }
        } else {
            self.trails.push(t);
        }
    }

    /// Adds a key, joining `describe-key`, `get-key-rotation-status` and
    /// `get-key-policy` output for the same key.
    pub fn add_key(&mut self, k: KmsKey) {
        if let Some(have) = self
            .keys
            .iter_mut()
            .find(|x| x.join == k.join && same_key(&x.id, &k.id))
        {
            for (mine, theirs) in [
                (&mut have.manager, k.manager),
                (&mut have.spec, k.spec),
                (&mut have.key_origin, k.key_origin),
                (&mut have.rotation, k.rotation),
            ] {
                if *mine == Field::Absent {
                    *mine = theirs;
                }
            }
            if have.policy.is_none() {
                have.policy = k.policy;
            }
            if k.id.starts_with("arn:") {
                have.id = k.id;
            }
        } else {
            self.keys.push(k);
        }
    }
}

/// Whether two key identifiers (id or ARN) name the same key.
pub fn same_key(a: &str, b: &str) -> bool {
    let tail = |s: &str| s.rsplit_once("key/").map_or(s, |(_, t)| t).to_owned();
    a == b || tail(a) == tail(b)
}
