//! Lower-case hex, hand-written because the crate needs only two functions.

const DIGITS: &[u8; 16] = b"0123456789abcdef";

/// Lower-case hex of `bytes`.
pub(crate) fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        // Both indices are < 16 by construction; `get` keeps the no-indexing lint happy.
        if let (Some(hi), Some(lo)) = (
            DIGITS.get(usize::from(b >> 4)),
            DIGITS.get(usize::from(b & 0x0f)),
        ) {
            out.push(char::from(*hi));
            out.push(char::from(*lo));
        }
    }
    out
}

fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        // Upper case is refused: stored hashes are written lower-case, and
        // accepting both would let two different files claim the same value.
        _ => None,
    }
}

/// Decodes lower-case hex; `None` on odd length or any other character.
pub(crate) fn decode(s: &str) -> Option<Vec<u8>> {
    let bytes = s.as_bytes();
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    bytes
        .chunks_exact(2)
        .map(|pair| match pair {
            [hi, lo] => Some(nibble(*hi)? << 4 | nibble(*lo)?),
            _ => None,
        })
        .collect()
}

/// Decodes exactly 32 bytes of lower-case hex (a SHA-256 value).
pub(crate) fn decode32(s: &str) -> Option<[u8; 32]> {
    decode(s)?.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let data = [0u8, 1, 0x7f, 0x80, 0xff];
        assert_eq!(encode(&data), "00017f80ff");
        assert_eq!(decode("00017f80ff").unwrap(), data);
        assert!(decode("0").is_none());
        assert!(decode("zz").is_none());
        assert!(decode("AB").is_none());
        assert!(decode32(&"00".repeat(32)).is_some());
        assert!(decode32(&"00".repeat(31)).is_none());
    }
}
