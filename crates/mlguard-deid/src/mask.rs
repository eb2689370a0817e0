//! Value transforms that need no table: masking and keyed pseudonyms.
//!
//! Masks keep a value's shape — separators stay where they are, every masked
//! character becomes one mask character — so downstream parsers and column
//! widths still work (`123-45-6789` → `***-**-6789`). They work on characters,
//! not bytes: a name in any script masks to the same number of characters.

use aws_lc_rs::hmac;

/// Masks every letter and digit except the first `keep_first` and the last
/// `keep_last` (counted over letters and digits only); separators and
/// punctuation stay. DataBrew's MASK_CUSTOM with a keep range.
#[must_use]
pub fn mask_partial(value: &str, keep_first: usize, keep_last: usize, mask: char) -> String {
    let significant = value.chars().filter(|c| c.is_alphanumeric()).count();
    let mut seen = 0usize;
    value
        .chars()
        .map(|c| {
            if !c.is_alphanumeric() {
                return c;
            }
            seen += 1;
            if seen <= keep_first || seen > significant.saturating_sub(keep_last) {
                c
            } else {
                mask
            }
        })
        .collect()
}

/// Redaction that keeps the last `keep_last` letters and digits:
/// `123-45-6789` → `***-**-6789` with `keep_last` 4.
#[must_use]
pub fn redact(value: &str, keep_last: usize, mask: char) -> String {
    mask_partial(value, 0, keep_last, mask)
}

/// The email form: the first `keep` characters of the local part, then
/// `***`, then the domain as it is (`john.doe@email.com` → `joh***@email.com`).
/// A value without exactly one `@` with text on both sides is masked whole.
#[must_use]
pub fn mask_email(value: &str, keep: usize) -> String {
    match value.split_once('@') {
        Some((local, domain))
            if !local.is_empty() && !domain.is_empty() && !domain.contains('@') =>
        {
            let kept: String = local.chars().take(keep).collect();
            format!("{kept}***@{domain}")
        }
        _ => mask_partial(value, 0, 0, '*'),
    }
}

/// A keyed pseudonym: `prefix` and the first 16 hex digits (64 bits) of
/// HMAC-SHA-256(key, value). The same value under the same key gives the same
/// pseudonym in every dataset (joins survive); without the key it cannot be
/// recomputed or reversed.
#[must_use]
pub fn pseudonym(key: &[u8], value: &str, prefix: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    let tag = hmac::sign(&key, value.as_bytes());
    let mut out = String::with_capacity(prefix.len() + 16);
    out.push_str(prefix);
    out.push_str(&hex(tag.as_ref().get(..8).unwrap_or_default()));
    out
}

/// Lowercase hex of `bytes`.
#[must_use]
pub(crate) fn hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(
            HEX.get(usize::from(b >> 4)).copied().unwrap_or(b'0'),
        ));
        s.push(char::from(
            HEX.get(usize::from(b & 15)).copied().unwrap_or(b'0'),
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_issues_examples() {
        assert_eq!(redact("123-45-6789", 4, '*'), "***-**-6789");
        assert_eq!(mask_email("john.doe@email.com", 3), "joh***@email.com");
        assert_eq!(
            mask_partial("4111 1111 1111 1234", 4, 4, '#'),
            "4111 #### #### 1234"
        );
    }

    #[test]
    fn shapes_are_kept_and_characters_counted() {
        for v in [
            "",
            "-",
            "ab",
            "Zoë Ångström",
            "+1 (555) 010-9999",
            "日本語テキスト",
        ] {
            let m = mask_partial(v, 1, 1, '*');
            assert_eq!(m.chars().count(), v.chars().count(), "{v}");
            for (a, b) in v.chars().zip(m.chars()) {
                if !a.is_alphanumeric() {
                    assert_eq!(a, b, "{v}");
                }
            }
        }
        // Keeping more than there is keeps everything.
        assert_eq!(mask_partial("ab", 5, 5, '*'), "ab");
        assert_eq!(redact("ab", 0, '*'), "**");
        assert_eq!(mask_email("not-an-email", 3), "***-**-*****");
        assert_eq!(mask_email("a@b@c", 3), "*@*@*");
        assert_eq!(mask_email("@x.com", 3), "@*.***");
    }

    #[test]
    fn pseudonyms_are_keyed_and_consistent() {
        let a = pseudonym(b"key-1", "patient-42", "ID-");
        assert_eq!(a, pseudonym(b"key-1", "patient-42", "ID-"));
        assert_ne!(a, pseudonym(b"key-2", "patient-42", "ID-"));
        assert_ne!(a, pseudonym(b"key-1", "patient-43", "ID-"));
        assert!(a.starts_with("ID-") && a.len() == 19);
        // RFC 4231 test case 2: HMAC-SHA-256("Jefe", "what do ya want for nothing?").
        assert_eq!(
            pseudonym(b"Jefe", "what do ya want for nothing?", ""),
            "5bdcc146bf60754e"
        );
    }
}
