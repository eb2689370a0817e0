//! IAM policy analysis over the policy engine (design: docs/policy-analyzer.md):
//! the action catalog of the services an ML platform uses, and validation with
//! IAM Access Analyzer's finding types.

pub mod account;
pub mod aws_managed;
pub mod catalog;
pub mod escalation;
pub mod generate;
pub mod validate;

pub use catalog::{AccessLevel, Catalog};
pub use validate::{Finding, FindingType, PolicyType, validate};
