//! De-identification of training data (design: docs/deid.md). Pure: no I/O
//! beyond the readers given a `Read`.
//!
//! So far: [`dp`], differential privacy's noise from exact discrete
//! samplers; [`mask`], masking and keyed pseudonyms; [`table`], tables as
//! Arrow record batches; [`risk`], re-identification risk with k-anonymity,
//! l-diversity and t-closeness.

pub mod dp;
pub mod fake;
pub mod io;
pub mod hierarchy;
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
