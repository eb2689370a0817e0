//! De-identification of training data (design: docs/deid.md). No network:
//! keys and files come from the caller (the CLI fetches secrets and talks
//! to KMS).
//!
//! [`recipe`] parses recipes (DataBrew's step names); [`transform`]
//! compiles them against a schema and applies them to Arrow record batches
//! ([`table`], [`io`] for CSV, JSON Lines and Parquet); [`mask`] and
//! [`fake`] mask and substitute; [`token`] and [`vault`] encrypt
//! deterministically and tokenize; [`dp`] draws exact discrete noise;
//! [`hierarchy`] and [`kanon`] enforce k-anonymity; [`risk`] measures
//! re-identification risk.

pub mod dp;
pub mod fake;
pub mod hierarchy;
pub mod io;
pub mod kanon;
pub mod mask;
pub mod recipe;
pub mod risk;
pub mod table;
pub mod token;
pub mod transform;
pub mod vault;

/// An input the engine cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeidError {
    #[error("{0}")]
    Input(String),
}
