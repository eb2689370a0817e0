//! The checks: the seed document's best-practice checklist and scenario
//! table, each over the configurations of [`crate::model`].
//!
//! A check fails on a value that is known and wrong, or absent where AWS's
//! default is wrong (a notebook's `DirectInternetAccess` defaults to
//! `Enabled`). A value that exists only after deployment is *undetermined*,
//! reported apart from findings, never a pass and never a failure.

use serde::Serialize;

/// How bad a failure is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// From its name (`--fail-on`).
    #[must_use]
    pub fn parse(s: &str) -> Option<Severity> {
        match s.to_ascii_lowercase().as_str() {
            "low" => Some(Severity::Low),
            "medium" => Some(Severity::Medium),
            "high" => Some(Severity::High),
            "critical" => Some(Severity::Critical),
            _ => None,
        }
    }
}

/// A check's definition.
#[derive(Debug)]
pub struct Check {
    pub id: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    /// The kind of configuration it judges.
    pub resource: &'static str,
    /// Why, in the seed document's words.
    pub rationale: &'static str,
    /// The exact change that fixes it.
    pub fix: &'static str,
}

macro_rules! checks {
    ($($name:ident = $id:literal, $sev:ident, $res:literal, $title:literal, $why:literal, $fix:literal;)*) => {
        $(pub const $name: &Check = &Check {
            id: $id,
            title: $title,
            severity: Severity::$sev,
            resource: $res,
            rationale: $why,
            fix: $fix,
        };)*
        /// Every check, in report order.
        pub const ALL: &[&Check] = &[$($name),*];
    };
}

checks! {
    JOB_VPC = "sagemaker-job-vpc", High, "training/processing job",
        "Training and processing jobs run in VPC mode",
        "VPC mode - Private subnets for sensitive workloads (HIPAA, PCI compliance, network isolation requirements).",
        "Set VpcConfig {Subnets: [private subnets, 2+ for availability], SecurityGroupIds: [...]} (SDK: subnets=, security_group_ids=; processing: NetworkConfig.VpcConfig).";
    JOB_ISOLATION = "sagemaker-job-network-isolation", Medium, "training/processing job",
        "Training and processing jobs run with network isolation",
        "Network isolation requirements: the container makes no outbound calls; SageMaker moves data in and out.",
        "Set EnableNetworkIsolation: true (SDK: enable_network_isolation=True; processing: NetworkConfig.EnableNetworkIsolation).";
    JOB_ICE = "sagemaker-job-intercontainer-encryption", Medium, "training/processing job",
        "Distributed jobs encrypt inter-container traffic",
        "Enable inter-container encryption - Distributed training (\"Encrypt distributed training communication\").",
        "Set EnableInterContainerTrafficEncryption: true (SDK: encrypt_inter_container_traffic=True).";
    JOB_VOLUME_KMS = "sagemaker-job-volume-kms", Medium, "training/processing job",
        "Training and processing volumes are encrypted with a KMS key",
        "EBS Volumes (Training): EBS Encryption with a KMS customer-managed key (volume_kms_key).",
        "Set ResourceConfig.VolumeKmsKeyId (processing: ProcessingResources.ClusterConfig.VolumeKmsKeyId; SDK: volume_kms_key=) to a customer managed key.";
    JOB_OUTPUT_KMS = "sagemaker-job-output-kms", Medium, "training/processing job",
        "Model artifacts and job outputs are encrypted with a KMS key",
        "\"Encrypt model artifacts\" -> SageMaker output_kms_key parameter.",
        "Set OutputDataConfig.KmsKeyId (processing: ProcessingOutputConfig.KmsKeyId; SDK: output_kms_key=) to a customer managed key.";
    JOB_REACH = "sagemaker-job-reachability", High, "training/processing job",
        "The job's subnets reach what the job needs (S3; ECR, CloudWatch Logs, KMS from the container)",
        "\"Training job can't access S3 in VPC\" -> Add S3 VPC Gateway Endpoint; \"Training fails in VPC: Connection timeout\" -> Missing NAT Gateway or VPC Endpoints.",
        "Add the missing route or endpoint named in the finding (S3 gateway endpoint on the subnets' route tables; interface endpoints for ECR api/dkr, Logs, KMS with private DNS; or a NAT gateway), and allow HTTPS (443) outbound in the security groups and network ACLs.";
    MODEL_VPC = "sagemaker-model-vpc", Medium, "model",
        "Models (their endpoints' containers) run in a VPC",
        "No public endpoints - Keep inference endpoints private; VPC configuration - Private subnets + VPC Endpoints.",
        "Set VpcConfig {Subnets, SecurityGroupIds} on CreateModel (CloudFormation AWS::SageMaker::Model VpcConfig; Terraform vpc_config).";
    MODEL_ISOLATION = "sagemaker-model-network-isolation", Medium, "model",
        "Models run with network isolation",
        "Network isolation requirements: inference containers make no outbound calls.",
        "Set EnableNetworkIsolation: true on CreateModel (Terraform enable_network_isolation = true).";
    ENDPOINT_KMS = "sagemaker-endpoint-config-kms", High, "endpoint config",
        "Endpoint storage volumes are encrypted with a KMS key",
        "Endpoints (EBS): EBS Encryption with a KMS customer-managed key.",
        "Set KmsKeyId on CreateEndpointConfig (Terraform kms_key_arn).";
    NOTEBOOK_INTERNET = "sagemaker-notebook-direct-internet", High, "notebook instance",
        "Notebook instances have no direct internet access",
        "Network Security: VPC mode with private subnets; no public endpoints.",
        "Set DirectInternetAccess: Disabled with a SubnetId and SecurityGroupIds (AWS's default is Enabled).";
    NOTEBOOK_ROOT = "sagemaker-notebook-root-access", Medium, "notebook instance",
        "Notebook instance users have no root access",
        "Least privilege - Minimum permissions (a notebook's root user can change its own environment and tooling).",
        "Set RootAccess: Disabled (AWS's default is Enabled).";
    NOTEBOOK_VPC = "sagemaker-notebook-vpc", Medium, "notebook instance",
        "Notebook instances are placed in a VPC",
        "VPC mode - Private subnets for sensitive workloads.",
        "Set SubnetId and SecurityGroupIds on CreateNotebookInstance.";
    NOTEBOOK_KMS = "sagemaker-notebook-kms", Medium, "notebook instance",
        "Notebook storage volumes are encrypted with a KMS key",
        "\"Encrypt notebook instance storage\"; Key management - Use customer-managed KMS keys for compliance.",
        "Set KmsKeyId on CreateNotebookInstance.";
    NOTEBOOK_IMDS = "sagemaker-notebook-imdsv2", Medium, "notebook instance",
        "Notebook instances serve instance metadata over IMDSv2 only",
        "IAM execution roles: the notebook's role credentials are served by the instance metadata service; IMDSv1 hands them to any request a server-side request forgery can make.",
        "Set InstanceMetadataServiceConfiguration.MinimumInstanceMetadataServiceVersion: \"2\" (AWS's default is 1).";
    DOMAIN_VPC = "sagemaker-domain-vpc-only", High, "Studio domain",
        "Studio domains send traffic through the VPC only",
        "VPC Endpoints - SageMaker Interface Endpoints; no internet egress for sensitive workloads.",
        "Set AppNetworkAccessType: VpcOnly (AWS's default is PublicInternetOnly) with SubnetIds, and interface endpoints or a NAT gateway.";
    DOMAIN_KMS = "sagemaker-domain-kms", Medium, "Studio domain",
        "Studio's EFS volume is encrypted with a customer managed key",
        "SageMaker Studio EFS: EFS Encryption with a KMS customer-managed key (\"Encrypt notebook instance storage\" -> SageMaker Studio with KMS key for EFS).",
        "Set KmsKeyId on CreateDomain.";
    ROLE_WILDCARD = "iam-execution-role-wildcard", High, "execution role",
        "SageMaker execution roles allow no wildcard actions",
        "Avoid wildcard permissions (s3:* is bad, s3:GetObject is good); Least privilege - Minimum permissions for IAM roles.",
        "Replace \"*\" and \"service:*\" with the actions the job calls (mlguard policy generate writes them from the audit log).";
    ROLE_UNSCOPED = "iam-execution-role-unscoped", Medium, "execution role",
        "SageMaker execution roles scope their actions to resources",
        "Least privilege - Minimum permissions for IAM roles: the training role needs s3:GetObject on its training data, not on every bucket.",
        "Replace \"Resource\": \"*\" with the ARNs the job uses (buckets, keys, log groups, repositories) for every action that supports resource-level permissions, or add a condition.";
    ROLE_SEPARATION = "iam-execution-role-separation", Medium, "execution role",
        "Training, inference and user roles are separate",
        "Separate roles - Training role != Inference role != User role; IAM execution roles - Separate per use case.",
        "Give training/processing jobs, models (endpoints) and notebooks/Studio users a role each.";
    ROLE_ESCALATION = "iam-execution-role-escalation", Critical, "execution role",
        "Code running as a SageMaker execution role cannot escalate its privileges",
        "Least privilege - Minimum permissions for IAM roles (a training job runs arbitrary code as its role).",
        "Remove the permissions the path uses (shown in the finding), or bound the role with a permissions boundary.";
    USER_MFA = "iam-privileged-user-mfa", High, "IAM user",
        "Privileged users must use MFA",
        "MFA for privileged users - Admins, production access; Enforce MFA with IAM policy (deny actions if MFA not present).",
        "Attach a Deny of \"*\" with Condition BoolIfExists aws:MultiFactorAuthPresent false (except the MFA self-service actions).";
    BUCKET_KMS = "s3-bucket-encryption-kms", Medium, "S3 bucket",
        "Buckets encrypt by default with SSE-KMS",
        "\"Encrypt training data in S3\" -> SSE-KMS with customer-managed key.",
        "Set the bucket's default encryption to SSEAlgorithm aws:kms (put-bucket-encryption; CloudFormation BucketEncryption).";
    BUCKET_CMK = "s3-bucket-encryption-cmk", Medium, "S3 bucket",
        "Buckets encrypt by default with a customer managed key",
        "\"Comply with regulation requiring customer-managed keys\" -> KMS with customer-managed CMK (not AWS-managed).",
        "Set KMSMasterKeyID to a customer managed key (not aws/s3) in the bucket's default encryption.";
    BUCKET_TLS = "s3-bucket-secure-transport", High, "S3 bucket",
        "Bucket policies deny requests without TLS",
        "\"Enforce HTTPS for S3 access\" -> S3 bucket policy requiring aws:SecureTransport=true.",
        "Add {\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:*\",\"Resource\":[\"arn:aws:s3:::BUCKET\",\"arn:aws:s3:::BUCKET/*\"],\"Condition\":{\"Bool\":{\"aws:SecureTransport\":\"false\"}}} to the bucket policy.";
    BUCKET_PUBLIC = "s3-bucket-public-access-block", High, "S3 bucket",
        "Buckets block public access",
        "No public endpoints; protect training data (\"Find PII before training\").",
        "Set all four public access block settings to true (put-public-access-block; CloudFormation PublicAccessBlockConfiguration).";
    BUCKET_VERSIONING = "s3-bucket-versioning", Low, "S3 bucket",
        "Buckets keep object versions",
        "Data security: training data and model artifacts must survive an overwrite or deletion (and stay reproducible).",
        "aws s3api put-bucket-versioning --bucket B --versioning-configuration Status=Enabled (CloudFormation VersioningConfiguration).";
    BUCKET_LOGGING = "s3-bucket-access-logging", Low, "S3 bucket",
        "Buckets log server access",
        "Monitoring & Compliance - audit who read the training data.",
        "aws s3api put-bucket-logging --bucket B --bucket-logging-status '{\"LoggingEnabled\":{\"TargetBucket\":\"LOGS\",\"TargetPrefix\":\"B/\"}}' (CloudFormation LoggingConfiguration).";
    KEY_ROTATION = "kms-key-rotation", Medium, "KMS key",
        "Customer managed keys rotate automatically",
        "\"Rotate encryption keys annually\" -> Enable KMS automatic rotation.",
        "aws kms enable-key-rotation --key-id KEY (CloudFormation EnableKeyRotation: true).";
    KEY_PUBLIC = "kms-key-public-principal", Critical, "KMS key",
        "Key policies allow no one outside the account",
        "Key policies: who may use a key is the key policy's decision.",
        "Replace Principal \"*\" with the account's principals, or add a condition (aws:PrincipalOrgID, kms:CallerAccount, kms:ViaService).";
    SECRET_ROTATION = "secretsmanager-rotation", Medium, "secret",
        "Secrets rotate automatically",
        "Secrets Manager - Never hardcode credentials; automatic rotation.",
        "aws secretsmanager rotate-secret --secret-id S --rotation-lambda-arn ... --rotation-rules AutomaticallyAfterDays=30 (CloudFormation AWS::SecretsManager::RotationSchedule).";
    CLOUDTRAIL = "cloudtrail-enabled", High, "account",
        "A multi-Region CloudTrail trail is logging",
        "CloudTrail - Audit all API calls; \"Comply with HIPAA\" -> VPC + Encryption + Audit logging (CloudTrail).",
        "Create a trail with IsMultiRegionTrail: true and start logging it (aws cloudtrail start-logging).";
    TRAIL_VALIDATION = "cloudtrail-log-file-validation", Medium, "CloudTrail trail",
        "Trails validate their log files",
        "CloudTrail - Audit all API calls: an audit log is evidence only if tampering shows (digest files).",
        "aws cloudtrail update-trail --name T --enable-log-file-validation (CloudFormation EnableLogFileValidation: true).";
    TRAIL_KMS = "cloudtrail-kms", Medium, "CloudTrail trail",
        "Trails encrypt their logs with a KMS key",
        "Encryption at rest - Enable for S3 (use KMS); the audit log names every principal and resource.",
        "aws cloudtrail update-trail --name T --kms-key-id KEY (CloudFormation KMSKeyId).";
    FLOW_LOGS = "vpc-flow-logs", Medium, "VPC",
        "VPCs have flow logs",
        "VPC Flow Logs - Network traffic monitoring.",
        "aws ec2 create-flow-logs --resource-type VPC --resource-ids VPC --traffic-type ALL --log-destination-type cloud-watch-logs ...";
}

/// A check by id.
#[must_use]
pub fn by_id(id: &str) -> Option<&'static Check> {
    ALL.iter().copied().find(|c| c.id == id)
}

/// The equivalent Checkov and Prowler check ids of each check, from
/// `data/peer-ids.json` (its `_source` says where they were read).
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct Peers {
    #[serde(default)]
    pub checkov: Vec<String>,
    #[serde(default)]
    pub prowler: Vec<String>,
}

const PEER_IDS: &str = include_str!("../data/peer-ids.json");

/// The peers' ids for a check (empty when they have none).
#[must_use]
pub fn peers(id: &str) -> &'static Peers {
    static TABLE: std::sync::LazyLock<std::collections::HashMap<String, Peers>> =
        std::sync::LazyLock::new(|| {
            let raw: std::collections::HashMap<String, serde_json::Value> =
                serde_json::from_str(PEER_IDS).unwrap_or_default();
            raw.into_iter()
                .filter(|(k, _)| !k.starts_with('_'))
                .filter_map(|(k, v)| Some((k, serde_json::from_value(v).ok()?)))
                .collect()
        });
    static NONE: Peers = Peers {
        checkov: Vec::new(),
        prowler: Vec::new(),
    };
    TABLE.get(id).unwrap_or(&NONE)
}
