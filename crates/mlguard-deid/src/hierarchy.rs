//! Generalization hierarchies (ARX's `;`-separated files: one row per value,
//! from the most specific level to the most general).
