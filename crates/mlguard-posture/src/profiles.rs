//! Compliance profiles: named bundles of checks, after the seed's scenario
//! table ("Secure training on sensitive data" = VPC mode + KMS + IAM role
//! with least privilege; "Comply with HIPAA" = VPC + encryption + audit
//! logging; PCI adds customer managed keys, rotation and MFA).

use crate::checks::{self, ALL, Check};

/// A profile.
pub struct Profile {
    pub name: &'static str,
    pub description: &'static str,
    pub checks: &'static [&'static Check],
}

const SENSITIVE: &[&Check] = &[
    checks::NOTEBOOK_IMDS,
    checks::BUCKET_VERSIONING,
    checks::JOB_VPC,
    checks::JOB_ISOLATION,
    checks::JOB_ICE,
    checks::JOB_VOLUME_KMS,
    checks::JOB_OUTPUT_KMS,
    checks::JOB_REACH,
    checks::MODEL_VPC,
    checks::ENDPOINT_KMS,
    checks::NOTEBOOK_INTERNET,
    checks::NOTEBOOK_VPC,
    checks::NOTEBOOK_KMS,
    checks::DOMAIN_VPC,
    checks::DOMAIN_KMS,
    checks::ROLE_WILDCARD,
    checks::ROLE_UNSCOPED,
    checks::ROLE_SEPARATION,
    checks::ROLE_ESCALATION,
    checks::BUCKET_KMS,
    checks::BUCKET_TLS,
    checks::BUCKET_PUBLIC,
];

const HIPAA: &[&Check] = &[
    checks::TRAIL_VALIDATION,
    checks::TRAIL_KMS,
    checks::BUCKET_LOGGING,
    checks::JOB_VPC,
    checks::JOB_ICE,
    checks::JOB_VOLUME_KMS,
    checks::JOB_OUTPUT_KMS,
    checks::JOB_REACH,
    checks::MODEL_VPC,
    checks::ENDPOINT_KMS,
    checks::NOTEBOOK_INTERNET,
    checks::NOTEBOOK_VPC,
    checks::NOTEBOOK_KMS,
    checks::DOMAIN_VPC,
    checks::DOMAIN_KMS,
    checks::BUCKET_KMS,
    checks::BUCKET_TLS,
    checks::BUCKET_PUBLIC,
    checks::KEY_PUBLIC,
    checks::CLOUDTRAIL,
    checks::FLOW_LOGS,
];

const PCI: &[&Check] = &[
    checks::TRAIL_VALIDATION,
    checks::TRAIL_KMS,
    checks::BUCKET_LOGGING,
    checks::BUCKET_VERSIONING,
    checks::NOTEBOOK_IMDS,
    checks::JOB_VPC,
    checks::JOB_ISOLATION,
    checks::JOB_ICE,
    checks::JOB_VOLUME_KMS,
    checks::JOB_OUTPUT_KMS,
    checks::JOB_REACH,
    checks::MODEL_VPC,
    checks::MODEL_ISOLATION,
    checks::ENDPOINT_KMS,
    checks::NOTEBOOK_INTERNET,
    checks::NOTEBOOK_ROOT,
    checks::NOTEBOOK_VPC,
    checks::NOTEBOOK_KMS,
    checks::DOMAIN_VPC,
    checks::DOMAIN_KMS,
    checks::ROLE_WILDCARD,
    checks::ROLE_UNSCOPED,
    checks::ROLE_SEPARATION,
    checks::ROLE_ESCALATION,
    checks::USER_MFA,
    checks::BUCKET_KMS,
    checks::BUCKET_CMK,
    checks::BUCKET_TLS,
    checks::BUCKET_PUBLIC,
    checks::KEY_ROTATION,
    checks::KEY_PUBLIC,
    checks::SECRET_ROTATION,
    checks::CLOUDTRAIL,
    checks::FLOW_LOGS,
];

/// Every profile.
pub const PROFILES: &[Profile] = &[
    Profile {
        name: "all",
        description: "every check (the default)",
        checks: ALL,
    },
    Profile {
        name: "sensitive-data-training",
        description: "secure training on sensitive data: VPC mode + KMS encryption + least-privilege roles",
        checks: SENSITIVE,
    },
    Profile {
        name: "hipaa",
        description: "HIPAA-style: VPC + encryption at rest and in transit + audit logging (CloudTrail, flow logs)",
        checks: HIPAA,
    },
    Profile {
        name: "pci",
        description: "PCI-style: hipaa plus isolation, customer managed keys, rotation, MFA and least privilege",
        checks: PCI,
    },
];

/// The checks of a profile (`None`: all).
pub fn checks(name: Option<&str>) -> Result<Vec<&'static Check>, String> {
    let name = name.unwrap_or("all");
    PROFILES
        .iter()
        .find(|p| p.name == name)
        .map(|p| p.checks.to_vec())
        .ok_or_else(|| {
            format!(
                "unknown profile {name}; one of {}",
                PROFILES
                    .iter()
                    .map(|p| p.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
}
