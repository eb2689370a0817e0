//! Randomness from aws-lc-rs's CSPRNG: bytes, data keys, UUIDs.

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroizing;

use crate::Result;

/// Fills `out` with random bytes.
pub fn fill(out: &mut [u8]) -> Result<()> {
    SystemRandom::new().fill(out)?;
    Ok(())
}

/// `n` random bytes in a buffer wiped on drop (data keys, generated randomness).
pub fn secret_bytes(n: usize) -> Result<Zeroizing<Vec<u8>>> {
    let mut out = Zeroizing::new(vec![0u8; n]);
    fill(&mut out)?;
    Ok(out)
}

/// A random array.
pub fn array<const N: usize>() -> Result<[u8; N]> {
    let mut out = [0u8; N];
    fill(&mut out)?;
    Ok(out)
}

/// A random (version 4) UUID, as KMS key ids are.
pub fn uuid_v4() -> Result<[u8; 16]> {
    let mut b: [u8; 16] = array()?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    Ok(b)
}

/// Formats 16 bytes as `8-4-4-4-12` lowercase hex.
pub fn format_uuid(b: &[u8; 16]) -> String {
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    let part = |r: std::ops::Range<usize>| hex.get(r).unwrap_or_default().to_string();
    format!(
        "{}-{}-{}-{}-{}",
        part(0..8),
        part(8..12),
        part(12..16),
        part(16..20),
        part(20..32)
    )
}

/// Parses `8-4-4-4-12` hex (any case).
pub fn parse_uuid(s: &str) -> Option<[u8; 16]> {
    if s.len() != 36 {
        return None;
    }
    let mut out = [0u8; 16];
    let mut digits = s.bytes().enumerate().filter_map(|(i, c)| {
        if matches!(i, 8 | 13 | 18 | 23) {
            if c == b'-' { None } else { Some(None) }
        } else {
            Some((c as char).to_digit(16))
        }
    });
    for byte in &mut out {
        let hi = digits.next()??;
        let lo = digits.next()??;
        *byte = u8::try_from(hi * 16 + lo).ok()?;
    }
    if digits.next().is_some() {
        return None;
    }
    // Dashes must be where they belong.
    let bytes = s.as_bytes();
    if [8, 13, 18, 23].iter().any(|&i| bytes.get(i) != Some(&b'-')) {
        return None;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_round_trip() {
        let u = uuid_v4().unwrap();
        let s = format_uuid(&u);
        assert_eq!(s.len(), 36);
        assert_eq!(s.as_bytes()[14], b'4');
        assert_eq!(parse_uuid(&s), Some(u));
        assert_eq!(parse_uuid(&s.to_uppercase()), Some(u));
        assert_eq!(
            parse_uuid("1234abcd-12ab-34cd-56ef-1234567890ab")
                .map(|u| format_uuid(&u))
                .as_deref(),
            Some("1234abcd-12ab-34cd-56ef-1234567890ab")
        );
        for bad in [
            "",
            "1234abcd12ab34cd56ef1234567890ab",
            "1234abcd-12ab-34cd-56ef-1234567890a",
            "1234abcd-12ab-34cd-56ef-1234567890ag",
            "1234abcd_12ab-34cd-56ef-1234567890ab",
            "é234abcd-12ab-34cd-56ef-1234567890a",
        ] {
            assert_eq!(parse_uuid(bad), None, "{bad}");
        }
    }
}
