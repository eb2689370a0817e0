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

/// A random array straight from the operating system's CSPRNG (`getrandom(2)`).
///
/// For a short-lived process that needs a few unpredictable bytes and nothing
/// else from aws-lc's generator, whose first use in a process seeds it from CPU
/// jitter for tens of milliseconds: `mlguard encrypt`'s message ids, where that
/// seeding was a fifth of encrypting a 1 GiB file. Long-lived code uses [`array`].
pub fn os_array<const N: usize>() -> Result<[u8; N]> {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).map_err(|_| crate::CryptoError::Internal)?;
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
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(36);
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        for nibble in [byte >> 4, byte & 0x0f] {
            out.push(char::from(
                HEX.get(usize::from(nibble)).copied().unwrap_or(b'0'),
            ));
        }
    }
    out
}

/// A random version-4 UUID string for identifiers that are not secrets: request
/// ids, event ids. The bytes come from the same CSPRNG as [`uuid_v4`], drawn
/// 4 KiB at a time per thread, because every request needs two of these and
/// one call to the generator per id cost more than the rest of an id's life.
pub fn id_uuid() -> Result<String> {
    const POOL: usize = 4096;
    struct Pool {
        bytes: [u8; POOL],
        used: usize,
    }
    thread_local! {
        static IDS: std::cell::RefCell<Pool> =
            const { std::cell::RefCell::new(Pool { bytes: [0; POOL], used: POOL }) };
    }
    let mut b = [0u8; 16];
    IDS.with(|pool| -> Result<()> {
        let mut pool = pool.borrow_mut();
        if pool.used + 16 > POOL {
            fill(&mut pool.bytes)?;
            pool.used = 0;
        }
        let start = pool.used;
        b.copy_from_slice(pool.bytes.get(start..start + 16).unwrap_or(&[0; 16]));
        // Used bytes are not kept around.
        if let Some(used) = pool.bytes.get_mut(start..start + 16) {
            used.fill(0);
        }
        pool.used += 16;
        Ok(())
    })?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    Ok(format_uuid(&b))
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
    fn id_uuids_are_v4_and_distinct() {
        let mut seen = std::collections::HashSet::new();
        // More than one pool's worth, so the refill path runs.
        for _ in 0..1000 {
            let id = id_uuid().unwrap();
            let bytes = parse_uuid(&id).unwrap();
            assert_eq!(bytes[6] >> 4, 4, "{id}");
            assert_eq!(bytes[8] >> 6, 0b10, "{id}");
            assert!(seen.insert(id));
        }
    }

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
