//! Percent-encoding as SigV4 defines it: RFC 3986 unreserved bytes stay, every other byte is `%XX`.

use std::borrow::Cow;

/// RFC 3986 unreserved characters, the only ones SigV4 leaves unencoded.
pub(crate) const fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// Upper-case hex digit of the low nibble; SigV4 requires upper case in escapes.
const fn hex_upper(nibble: u8) -> u8 {
    let n = nibble & 0x0f;
    if n < 10 { b'0' + n } else { b'A' + (n - 10) }
}

/// Lower-case hex digit of the low nibble; hashes and signatures are lower case.
const fn hex_lower(nibble: u8) -> u8 {
    let n = nibble & 0x0f;
    if n < 10 { b'0' + n } else { b'a' + (n - 10) }
}

/// Value of one hex digit in either case.
pub(crate) const fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Value of one upper-case hex digit; a lower-case escape is not canonical.
const fn upper_hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Appends `b` as `%XX`.
fn push_escaped(out: &mut Vec<u8>, b: u8) {
    out.push(b'%');
    out.push(hex_upper(b >> 4));
    out.push(hex_upper(b));
}

/// Appends one byte in its canonical form: unreserved as is, `/` as is when `keep_slash`.
pub(crate) fn push_canonical_byte(out: &mut Vec<u8>, b: u8, keep_slash: bool) {
    if is_unreserved(b) || (keep_slash && b == b'/') {
        out.push(b);
    } else {
        push_escaped(out, b);
    }
}

/// Encodes every byte of `input` (no decoding first), keeping `/` when `keep_slash`.
pub(crate) fn encode_into(out: &mut Vec<u8>, input: &[u8], keep_slash: bool) {
    // Copy runs that need no escaping in one go: most input is plain.
    let mut rest = input;
    while !rest.is_empty() {
        let plain = rest
            .iter()
            .position(|&b| !(is_unreserved(b) || (keep_slash && b == b'/')))
            .unwrap_or(rest.len());
        let (run, tail) = rest.split_at_checked(plain).unwrap_or((rest, &[]));
        out.extend_from_slice(run);
        let Some((&b, after)) = tail.split_first() else {
            break;
        };
        push_escaped(out, b);
        rest = after;
    }
}

/// Decodes `%XX` escapes (an invalid escape stays literal, as AWS treats it) and, when
/// `plus_as_space`, `+` as a space, handing each decoded byte to `f`.
pub(crate) fn decode_each(input: &[u8], plus_as_space: bool, mut f: impl FnMut(u8)) {
    let mut rest = input;
    while let Some((&b, tail)) = rest.split_first() {
        if b == b'%' {
            if let [h, l, after @ ..] = tail
                && let (Some(h), Some(l)) = (hex_val(*h), hex_val(*l))
            {
                f((h << 4) | l);
                rest = after;
                continue;
            }
            f(b'%');
        } else if b == b'+' && plus_as_space {
            f(b' ');
        } else {
            f(b);
        }
        rest = tail;
    }
}

/// Whether `input` is already in canonical form, so that decoding and re-encoding it would give
/// the same bytes; the common case for SDK clients, checked to avoid an allocation.
pub(crate) fn is_canonical_component(input: &[u8]) -> bool {
    let mut rest = input;
    while let Some((&b, tail)) = rest.split_first() {
        if b == b'%' {
            let [h, l, after @ ..] = tail else {
                return false;
            };
            let (Some(hv), Some(lv)) = (upper_hex_val(*h), upper_hex_val(*l)) else {
                return false;
            };
            if is_unreserved((hv << 4) | lv) {
                return false;
            }
            rest = after;
        } else if is_unreserved(b) {
            rest = tail;
        } else {
            return false;
        }
    }
    true
}

/// Decodes then re-encodes one URI component (path segment, query key or value) into its
/// canonical form; borrows when it is canonical already.
pub(crate) fn canonical_component(input: &[u8], plus_as_space: bool) -> Cow<'_, [u8]> {
    if is_canonical_component(input) {
        return Cow::Borrowed(input);
    }
    let mut out = Vec::with_capacity(input.len() + input.len() / 2 + 8);
    decode_each(input, plus_as_space, |b| {
        push_canonical_byte(&mut out, b, false)
    });
    Cow::Owned(out)
}

/// Lower-case hex of a 32-byte digest, on the stack.
pub(crate) fn hex32(bytes: &[u8; 32]) -> [u8; 64] {
    let mut out = [0u8; 64];
    for (pair, &b) in out.chunks_exact_mut(2).zip(bytes.iter()) {
        if let [hi, lo] = pair {
            *hi = hex_lower(b >> 4);
            *lo = hex_lower(b);
        }
    }
    out
}

/// Parses 64 hex digits (either case, as S3 accepts) into 32 bytes.
pub(crate) fn parse_hex32(s: &str) -> Option<[u8; 32]> {
    let bytes = s.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (slot, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        match pair {
            [h, l] => *slot = (hex_val(*h)? << 4) | hex_val(*l)?,
            _ => return None,
        }
    }
    Some(out)
}

/// Bytes as space-separated lower-case hex pairs, the form of S3's `StringToSignBytes`.
pub(crate) fn spaced_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for (i, &b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push(char::from(hex_lower(b >> 4)));
        out.push(char::from(hex_lower(b)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(s: &str, plus: bool) -> String {
        String::from_utf8(canonical_component(s.as_bytes(), plus).into_owned()).unwrap()
    }

    #[test]
    fn canonical_components() {
        assert_eq!(canon("abc-._~", false), "abc-._~");
        assert_eq!(canon("a b", false), "a%20b");
        assert_eq!(canon("a+b", true), "a%20b");
        assert_eq!(canon("a+b", false), "a%2Bb");
        assert_eq!(canon("%c3%bc", false), "%C3%BC");
        assert_eq!(canon("%7E", false), "~");
        assert_eq!(canon("100%", false), "100%25");
        assert_eq!(canon("%zz", false), "%25zz");
        assert_eq!(canon("ሴ", false), "%E1%88%B4");
        assert!(is_canonical_component(b"%2F"));
        assert!(!is_canonical_component(b"%2f"));
        assert!(!is_canonical_component(b"%41"));
    }

    #[test]
    fn hex_round_trip() {
        let bytes = [0xabu8; 32];
        let hex = hex32(&bytes);
        assert_eq!(parse_hex32(std::str::from_utf8(&hex).unwrap()), Some(bytes));
        assert_eq!(parse_hex32(&"AB".repeat(32)), Some(bytes));
        assert_eq!(parse_hex32("zz"), None);
        assert_eq!(spaced_hex(b"AW"), "41 57");
    }
}
