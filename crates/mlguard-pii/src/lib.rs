//! PII and credential detection for mlguard: the entity types of Amazon
//! Comprehend's `DetectPiiEntities`, Macie's credential identifiers, and
//! Macie-style custom data identifiers.
//!
//! One [`Detector`] is built once (keyword automaton, name dictionaries,
//! custom identifiers) and shared across threads; [`Detector::detect`] makes a
//! single pass over the text:
//!
//! 1. one Aho-Corasick pass finds every context keyword (ASCII
//!    case-insensitive, whole words), remembered by position;
//! 2. one pass splits the text into whitespace-separated words and classifies
//!    each by its shape (digits and separators, letters and digits, `@`,
//!    `://`, hex and colons, capitalization), joining neighbouring words where
//!    an identifier is written in groups (`4111 1111 1111 1111`,
//!    `DE89 3704 …`, `(555) 010-0199`, `January 5, 2024`, names and street
//!    addresses); a shape becomes a finding only when its validator accepts it
//!    (Luhn, mod-97, ABA, VIN, Verhoeff, NHS mod-11, SSN area rules, …) and,
//!    for types without a checksum, when a keyword is near enough;
//! 3. overlapping candidates are resolved by score.
//!
//! No regex runs over the text for built-in types; custom identifiers, which
//! are regexes by definition, run through one [`regex::RegexSet`] pre-check.
//! Offsets are byte offsets into the UTF-8 text, `end` exclusive; the
//! Comprehend API converts them to characters.

mod checks;
mod context;
mod custom;
mod detect;
pub mod files;
mod lexicon;
mod names;
mod types;

pub use custom::{CustomIdentifier, CustomIdentifierError};
pub use detect::{ColumnContext, Detector, DetectorOptions};
pub use types::{Finding, Label, PiiType, Severity};

/// Masks a matched value for display: keeps at most the last four characters
/// of values longer than eight characters, stars the rest, so reports never
/// carry the raw value.
#[must_use]
pub fn mask(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    let keep = if chars.len() > 8 { 4 } else { 0 };
    let cut = chars.len().saturating_sub(keep);
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if i >= cut || c.is_whitespace() || matches!(c, '-' | '.' | '@' | '/' | ':') {
                *c
            } else {
                '*'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_keeps_shape_and_at_most_four_characters() {
        assert_eq!(mask("4111 1111 1111 1111"), "**** **** **** 1111");
        assert_eq!(mask("jo@x.io"), "**@*.**");
        assert_eq!(mask("536-22-8451"), "***-**-8451");
    }
}
