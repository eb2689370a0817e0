//! Reversible protection: deterministic encryption and format-preserving
//! encryption.
//!
//! - [`Deterministic`]: AES-256-GCM-SIV (RFC 8452), as DataBrew's
//!   `DETERMINISTIC_ENCRYPT` uses, under a fixed nonce. GCM-SIV is
//!   nonce-misuse resistant: with a repeated nonce it leaks exactly whether
//!   two plaintexts are equal, which is what deterministic encryption is
//!   for (joins on the ciphertext), and nothing more. Output: base64 of
//!   ciphertext ‖ tag.
//! - [`Ff1`]: NIST SP 800-38G FF1 over AES-256, format preserving: a
//!   16-digit card number stays 16 digits. Arithmetic is `u128`, which
//!   bounds a value to 38 decimal digits (radix^n < 2^126); NIST's minimum
//!   domain of one million values is enforced.

use aws_lc_rs::aead::{AES_256_GCM_SIV, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::cipher::{AES_256, EncryptingKey, UnboundCipherKey};
use base64::Engine as _;
use zeroize::Zeroizing;

use crate::DeidError;

/// Length of every key this module takes.
pub const KEY_LEN: usize = 32;

/// A 32-byte key for one purpose from a caller's key (a key file, a
/// secret): HKDF-SHA-256 with a fixed salt, the purpose as info. The raw
/// key is only HKDF's input keying material, never an HMAC key over chosen
/// data here, so no step that HMACs values under the raw key (DataBrew's
/// CRYPTOGRAPHIC_HASH) can produce a derived key.
pub fn derive_key(raw: &[u8], purpose: &str) -> Result<Zeroizing<[u8; KEY_LEN]>, DeidError> {
    use aws_lc_rs::hkdf;
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, b"mlguard deid key derivation v1").extract(raw);
    let info = [purpose.as_bytes()];
    let okm = prk
        .expand(&info, hkdf::HKDF_SHA256)
        .map_err(|_| DeidError::Input("key derivation failed".into()))?;
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    okm.fill(key.as_mut())
        .map_err(|_| DeidError::Input("key derivation failed".into()))?;
    Ok(key)
}

fn key_error() -> DeidError {
    DeidError::Input(format!("a key must be {KEY_LEN} bytes"))
}

/// Deterministic authenticated encryption of cell values.
pub struct Deterministic {
    key: LessSafeKey,
}

impl std::fmt::Debug for Deterministic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Deterministic(..)")
    }
}

/// DataBrew's limit on one encrypted cell.
pub const MAX_CELL: usize = 400 * 1024;

impl Deterministic {
    pub fn new(key: &[u8]) -> Result<Deterministic, DeidError> {
        let key = UnboundKey::new(&AES_256_GCM_SIV, key).map_err(|_| key_error())?;
        Ok(Deterministic {
            key: LessSafeKey::new(key),
        })
    }

    /// The same value always encrypts to the same text.
    pub fn encrypt(&self, value: &str) -> Result<String, DeidError> {
        if value.len() > MAX_CELL {
            return Err(DeidError::Input(format!(
                "a value to encrypt is over {MAX_CELL} bytes"
            )));
        }
        let mut buffer = value.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key([0; 12]),
                Aad::empty(),
                &mut buffer,
            )
            .map_err(|_| DeidError::Input("encryption failed".into()))?;
        Ok(base64::engine::general_purpose::STANDARD.encode(buffer))
    }

    /// Reverses [`Deterministic::encrypt`]; a value that is not one of its
    /// outputs under this key is an error.
    pub fn decrypt(&self, text: &str) -> Result<String, DeidError> {
        let bad = || DeidError::Input("a value is not a ciphertext under this key".into());
        let mut buffer = Zeroizing::new(
            base64::engine::general_purpose::STANDARD
                .decode(text.trim())
                .map_err(|_| bad())?,
        );
        let plain = self
            .key
            .open_in_place(
                Nonce::assume_unique_for_key([0; 12]),
                Aad::empty(),
                &mut buffer,
            )
            .map_err(|_| bad())?;
        String::from_utf8(plain.to_vec()).map_err(|_| bad())
    }
}

/// The characters a format-preserving token keeps: its radix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alphabet {
    chars: Vec<char>,
}

impl Alphabet {
    pub const DIGITS: &'static str = "0123456789";
    pub const LOWER_ALPHANUMERIC: &'static str = "0123456789abcdefghijklmnopqrstuvwxyz";
    pub const ALPHANUMERIC: &'static str =
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /// An alphabet of 2 to 256 distinct characters.
    pub fn new(chars: &str) -> Result<Alphabet, DeidError> {
        let list: Vec<char> = chars.chars().collect();
        let mut sorted = list.clone();
        sorted.sort_unstable();
        sorted.dedup();
        if sorted.len() != list.len() || !(2..=256).contains(&list.len()) {
            return Err(DeidError::Input(
                "a token alphabet has 2 to 256 distinct characters".into(),
            ));
        }
        Ok(Alphabet { chars: list })
    }

    /// An alphabet by name: DIGITS, ALPHANUMERIC, LOWER_ALPHANUMERIC, or the
    /// characters themselves.
    pub fn named(name: &str) -> Result<Alphabet, DeidError> {
        match name {
            "DIGITS" => Alphabet::new(Self::DIGITS),
            "ALPHANUMERIC" => Alphabet::new(Self::ALPHANUMERIC),
            "LOWER_ALPHANUMERIC" => Alphabet::new(Self::LOWER_ALPHANUMERIC),
            other => Alphabet::new(other),
        }
    }

    fn radix(&self) -> u128 {
        self.chars.len() as u128
    }

    fn index(&self, c: char) -> Option<u32> {
        self.chars
            .iter()
            .position(|&x| x == c)
            .and_then(|i| u32::try_from(i).ok())
    }
}

/// FF1 under one key and alphabet.
pub struct Ff1 {
    key: EncryptingKey,
    alphabet: Alphabet,
}

impl std::fmt::Debug for Ff1 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Ff1(..)")
    }
}

impl Ff1 {
    pub fn new(key: &[u8], alphabet: Alphabet) -> Result<Ff1, DeidError> {
        if key.len() != KEY_LEN {
            return Err(key_error());
        }
        let key = UnboundCipherKey::new(&AES_256, key).map_err(|_| key_error())?;
        let key = EncryptingKey::ecb(key).map_err(|_| key_error())?;
        Ok(Ff1 { key, alphabet })
    }

    /// Encrypts the characters of `value` that belong to the alphabet,
    /// leaving the others (separators) where they are: `4111-1111-…`
    /// keeps its dashes.
    pub fn encrypt(&self, value: &str, tweak: &[u8]) -> Result<String, DeidError> {
        self.map(value, tweak, true)
    }

    /// Reverses [`Ff1::encrypt`].
    pub fn decrypt(&self, value: &str, tweak: &[u8]) -> Result<String, DeidError> {
        self.map(value, tweak, false)
    }

    fn map(&self, value: &str, tweak: &[u8], encrypt: bool) -> Result<String, DeidError> {
        let chars: Vec<char> = value.chars().collect();
        let numerals: Vec<u32> = chars
            .iter()
            .filter_map(|&c| self.alphabet.index(c))
            .collect();
        let out = if encrypt {
            self.ff1(&numerals, tweak, true)?
        } else {
            self.ff1(&numerals, tweak, false)?
        };
        let mut next = out.into_iter();
        let mut result = String::with_capacity(value.len());
        for c in chars {
            if self.alphabet.index(c).is_some() {
                let n = next
                    .next()
                    .ok_or_else(|| DeidError::Input("FF1 length".into()))?;
                let mapped = usize::try_from(n)
                    .ok()
                    .and_then(|i| self.alphabet.chars.get(i))
                    .ok_or_else(|| DeidError::Input("FF1 numeral".into()))?;
                result.push(*mapped);
            } else {
                result.push(c);
            }
        }
        Ok(result)
    }

    fn block(&self, block: &mut [u8; 16]) -> Result<(), DeidError> {
        self.key
            .encrypt(block)
            .map(|_| ())
            .map_err(|_| DeidError::Input("AES failed".into()))
    }

    /// CBC-MAC of `data` (a multiple of 16 bytes) with a zero IV.
    fn prf(&self, data: &[u8]) -> Result<[u8; 16], DeidError> {
        let mut y = [0u8; 16];
        for chunk in data.chunks(16) {
            for (a, b) in y.iter_mut().zip(chunk) {
                *a ^= b;
            }
            self.block(&mut y)?;
        }
        Ok(y)
    }

    /// FF1.Encrypt / FF1.Decrypt (SP 800-38G, algorithms 7 and 8).
    #[expect(
        clippy::indexing_slicing,
        reason = "u = n/2 ≤ n; radix^v < 2^63 makes b ≤ 8 and d ≤ 16, checked above"
    )]
    fn ff1(&self, x: &[u32], tweak: &[u8], encrypt: bool) -> Result<Vec<u32>, DeidError> {
        let radix = self.alphabet.radix();
        let n = x.len();
        let too_short = || {
            DeidError::Input(format!(
                "a value needs at least a million possible tokens: {n} characters from an alphabet of {radix} is too few"
            ))
        };
        let domain = (0..n).try_fold(1u128, |acc, _| acc.checked_mul(radix));
        match domain {
            Some(d) if d < 1_000_000 => return Err(too_short()),
            Some(d) if d < 1u128 << 126 => {}
            _ => {
                return Err(DeidError::Input(format!(
                    "a value of {n} characters is too long for format-preserving tokens (at most {} from this alphabet)",
                    (1..)
                        .take_while(|k| radix.checked_pow(*k).is_some_and(|d| d < 1u128 << 126))
                        .count()
                )));
            }
        }
        let t = tweak.len();
        let u = n / 2;
        let v = n - u;
        let pow = |m: usize| -> u128 { (0..m).fold(1u128, |acc, _| acc * radix) };
        // b = ceil(ceil(v·log2(radix)) / 8): bytes holding radix^v − 1.
        let bits = 128 - (pow(v) - 1).leading_zeros() as usize;
        let b = bits.div_ceil(8);
        let d = 4 * b.div_ceil(4) + 4;
        if d > 16 {
            return Err(DeidError::Input("FF1 value too long".into()));
        }
        let n32 = u32::try_from(n).map_err(|_| too_short())?;
        let t32 = u32::try_from(t).map_err(|_| DeidError::Input("tweak too long".into()))?;
        let radix24 = u32::try_from(radix).unwrap_or(256).to_be_bytes();
        let mut p = [0u8; 16];
        p[..3].copy_from_slice(&[1, 2, 1]);
        p[3..6].copy_from_slice(&radix24[1..4]);
        p[6] = 10;
        p[7] = (u % 256) as u8;
        p[8..12].copy_from_slice(&n32.to_be_bytes());
        p[12..16].copy_from_slice(&t32.to_be_bytes());
        let num = |s: &[u32]| s.iter().fold(0u128, |acc, &c| acc * radix + u128::from(c));
        let str_m = |mut value: u128, m: usize| {
            let mut out = vec![0u32; m];
            for slot in out.iter_mut().rev() {
                *slot = (value % radix) as u32;
                value /= radix;
            }
            out
        };
        let (mut a, mut bb) = (x[..u].to_vec(), x[u..].to_vec());
        let pad = (16 - (t + b + 1) % 16) % 16;
        let mut q = Vec::with_capacity(t + pad + 1 + b);
        let mut round = |i: u8, source: &[u32]| -> Result<u128, DeidError> {
            q.clear();
            q.extend_from_slice(tweak);
            q.resize(t + pad, 0);
            q.push(i);
            let value = num(source).to_be_bytes();
            q.extend_from_slice(&value[16 - b..]);
            let mut message = Vec::with_capacity(16 + q.len());
            message.extend_from_slice(&p);
            message.extend_from_slice(&q);
            let r = self.prf(&message)?;
            Ok(r[..d]
                .iter()
                .fold(0u128, |acc, &byte| (acc << 8) | u128::from(byte)))
        };
        if encrypt {
            for i in 0..10u8 {
                let y = round(i, &bb)?;
                let m = if i % 2 == 0 { u } else { v };
                let modulus = pow(m);
                let c = (num(&a) % modulus + y % modulus) % modulus;
                a = std::mem::replace(&mut bb, str_m(c, m));
            }
        } else {
            for i in (0..10u8).rev() {
                let y = round(i, &a)?;
                let m = if i % 2 == 0 { u } else { v };
                let modulus = pow(m);
                let c = (num(&bb) % modulus + modulus - y % modulus) % modulus;
                bb = std::mem::replace(&mut a, str_m(c, m));
            }
        }
        a.extend_from_slice(&bb);
        Ok(a)
    }
}
