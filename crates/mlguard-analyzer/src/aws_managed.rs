//! The few AWS managed policies whose documents escalation may stand in for
//! when an account dump names them as attached but leaves them out of
//! `Policies` (`get-account-authorization-details --filter User Role Group`).
//!
//! Kept small and exact: each document is AWS's published default version,
//! as the AWS Managed Policy Reference Guide prints it (IAMFullAccess v2,
//! PowerUserAccess v12, both checked 2026-11) or, for AdministratorAccess
//! (v1, unchanged since 2015), as `GetPolicyVersion` returns it. A policy
//! AWS edits later is still read as published here; the warning that names
//! the missing policy says so.

use mlguard_policy::{Policy, PolicyKind};

/// `arn:aws:iam::aws:policy/AdministratorAccess`, version v1.
const ADMINISTRATOR_ACCESS: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

/// `arn:aws:iam::aws:policy/IAMFullAccess`, version v2.
const IAM_FULL_ACCESS: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:*","organizations:DescribeAccount","organizations:DescribeOrganization","organizations:DescribeOrganizationalUnit","organizations:DescribePolicy","organizations:ListChildren","organizations:ListParents","organizations:ListPoliciesForTarget","organizations:ListRoots","organizations:ListPolicies","organizations:ListTargetsForPolicy"],"Resource":"*"}]}"#;

/// `arn:aws:iam::aws:policy/PowerUserAccess`, version v12.
const POWER_USER_ACCESS: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":["iam:*","organizations:*","account:*"],"Resource":"*"},{"Effect":"Allow","Action":["account:GetAccountInformation","account:GetGovCloudAccountInformation","account:GetPrimaryEmail","account:ListRegions","iam:CreateServiceLinkedRole","iam:DeleteServiceLinkedRole","iam:ListRoles","organizations:DescribeEffectivePolicy","organizations:DescribeOrganization"],"Resource":"*"}]}"#;

/// Every embedded policy: ARN and document.
pub const EMBEDDED: &[(&str, &str)] = &[
    (
        "arn:aws:iam::aws:policy/AdministratorAccess",
        ADMINISTRATOR_ACCESS,
    ),
    ("arn:aws:iam::aws:policy/IAMFullAccess", IAM_FULL_ACCESS),
    ("arn:aws:iam::aws:policy/PowerUserAccess", POWER_USER_ACCESS),
];

/// AWS's published document of the managed policy `arn`, parsed, if it is
/// one of [`EMBEDDED`].
#[must_use]
pub fn document(arn: &str) -> Option<Policy> {
    EMBEDDED
        .iter()
        .find(|(a, _)| *a == arn)
        .and_then(|(_, text)| Policy::parse(text, PolicyKind::AwsManaged).ok())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn every_embedded_document_parses_as_a_managed_policy() {
        for (arn, text) in EMBEDDED {
            Policy::parse(text, PolicyKind::Managed).unwrap();
            assert!(document(arn).is_some(), "{arn}");
        }
        assert!(document("arn:aws:iam::aws:policy/ReadOnlyAccess").is_none());
    }
}
