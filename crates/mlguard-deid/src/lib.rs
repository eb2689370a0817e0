//! De-identification of training data (design: docs/deid.md). Pure: no I/O.
//!
//! So far: [`dp`], differential privacy's noise from exact discrete samplers.

pub mod dp;
