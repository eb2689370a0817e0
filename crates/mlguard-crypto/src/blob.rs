//! KMS ciphertext blobs for symmetric keys: self-describing (format version, key
//! id, key version, nonce, tag) so Decrypt needs no key id, and bound to the
//! encryption context as additional authenticated data.
//!
//! ```text
//! version(1) = 0x01 | key id (16, UUID bytes) | key version (4, big-endian)
//!   | nonce (12) | ciphertext (n) | tag (16)
//! AAD = the 21 header bytes || canonical encryption context
//! ```
//! Any change to header, nonce, ciphertext, tag or context fails authentication
//! and reads as `InvalidCiphertext`.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use zeroize::Zeroizing;

use crate::{CryptoError, EncryptionContext, Result, random};

/// The blob format version this code writes.
pub const FORMAT_VERSION: u8 = 1;
/// Header length: version, key id, key version.
pub const HEADER_LEN: usize = 1 + 16 + 4;
/// AES-GCM tag length.
pub const TAG_LEN: usize = 16;
/// Bytes a blob adds to its plaintext.
pub const OVERHEAD: usize = HEADER_LEN + NONCE_LEN + TAG_LEN;

/// Which key version encrypted a blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BlobHeader {
    /// The KMS key id (UUID bytes).
    pub key_id: [u8; 16],
    /// The key version (rotation number, from 1).
    pub key_version: u32,
}

impl BlobHeader {
    fn bytes(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[0] = FORMAT_VERSION;
        out[1..17].copy_from_slice(&self.key_id);
        out[17..21].copy_from_slice(&self.key_version.to_be_bytes());
        out
    }
}

/// An AES-256-GCM key ready for use; build it once per key version and reuse it.
pub struct SymmetricKey {
    aead: LessSafeKey,
}

impl SymmetricKey {
    /// From 32 bytes of key material.
    pub fn new(material: &[u8]) -> Result<SymmetricKey> {
        let unbound = UnboundKey::new(&AES_256_GCM, material)
            .map_err(|_| CryptoError::InvalidKeyMaterial("SYMMETRIC_DEFAULT"))?;
        Ok(SymmetricKey {
            aead: LessSafeKey::new(unbound),
        })
    }

    /// Encrypts `plaintext` into a blob for `header`, bound to `context`.
    pub fn encrypt(
        &self,
        header: BlobHeader,
        context: &EncryptionContext,
        plaintext: &[u8],
    ) -> Result<Vec<u8>> {
        let header_bytes = header.bytes();
        let nonce_bytes: [u8; NONCE_LEN] = random::array()?;
        let mut aad = Vec::with_capacity(HEADER_LEN + 64);
        aad.extend_from_slice(&header_bytes);
        aad.extend_from_slice(&context.canonical_bytes());
        let mut out = Vec::with_capacity(plaintext.len() + OVERHEAD);
        out.extend_from_slice(&header_bytes);
        out.extend_from_slice(&nonce_bytes);
        out.extend_from_slice(plaintext);
        let body = out
            .get_mut(HEADER_LEN + NONCE_LEN..)
            .ok_or(CryptoError::Internal)?;
        let tag = self.aead.seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(nonce_bytes),
            Aad::from(&aad),
            body,
        )?;
        out.extend_from_slice(tag.as_ref());
        Ok(out)
    }

    /// Decrypts a parsed blob bound to `context`.
    pub fn decrypt(
        &self,
        blob: &SymmetricBlob<'_>,
        context: &EncryptionContext,
    ) -> Result<Zeroizing<Vec<u8>>> {
        let mut aad = Vec::with_capacity(HEADER_LEN + 64);
        aad.extend_from_slice(blob.header_bytes);
        aad.extend_from_slice(&context.canonical_bytes());
        let mut buf = Zeroizing::new(blob.sealed.to_vec());
        let plain_len = self
            .aead
            .open_in_place(
                Nonce::assume_unique_for_key(blob.nonce),
                Aad::from(&aad),
                &mut buf,
            )
            .map_err(|_| CryptoError::InvalidCiphertext)?
            .len();
        buf.truncate(plain_len);
        Ok(buf)
    }
}

/// A parsed symmetric ciphertext blob, borrowing the caller's bytes.
#[derive(Debug, Clone, Copy)]
pub struct SymmetricBlob<'a> {
    /// Which key version to decrypt with.
    pub header: BlobHeader,
    header_bytes: &'a [u8],
    nonce: [u8; NONCE_LEN],
    sealed: &'a [u8],
}

impl<'a> SymmetricBlob<'a> {
    /// Parses a blob; `InvalidCiphertext` when it cannot be one of ours.
    pub fn parse(bytes: &'a [u8]) -> Result<SymmetricBlob<'a>> {
        if bytes.len() < OVERHEAD || bytes.first() != Some(&FORMAT_VERSION) {
            return Err(CryptoError::InvalidCiphertext);
        }
        let header_bytes = bytes
            .get(..HEADER_LEN)
            .ok_or(CryptoError::InvalidCiphertext)?;
        let key_id: [u8; 16] = bytes
            .get(1..17)
            .and_then(|s| s.try_into().ok())
            .ok_or(CryptoError::InvalidCiphertext)?;
        let key_version = bytes
            .get(17..21)
            .and_then(|s| s.try_into().ok())
            .map(u32::from_be_bytes)
            .ok_or(CryptoError::InvalidCiphertext)?;
        let nonce: [u8; NONCE_LEN] = bytes
            .get(HEADER_LEN..HEADER_LEN + NONCE_LEN)
            .and_then(|s| s.try_into().ok())
            .ok_or(CryptoError::InvalidCiphertext)?;
        let sealed = bytes
            .get(HEADER_LEN + NONCE_LEN..)
            .ok_or(CryptoError::InvalidCiphertext)?;
        Ok(SymmetricBlob {
            header: BlobHeader {
                key_id,
                key_version,
            },
            header_bytes,
            nonce,
            sealed,
        })
    }

    /// Length of the plaintext inside.
    pub fn plaintext_len(&self) -> usize {
        self.sealed.len().saturating_sub(TAG_LEN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SymmetricKey {
        SymmetricKey::new(&random::secret_bytes(32).unwrap()).unwrap()
    }

    #[test]
    fn round_trip_and_binding() {
        let k = key();
        let header = BlobHeader {
            key_id: [7; 16],
            key_version: 3,
        };
        let ctx: EncryptionContext = [("purpose", "training")].into_iter().collect();
        let blob = k.encrypt(header, &ctx, b"sensitive data").unwrap();
        assert_eq!(blob.len(), 14 + OVERHEAD);
        let parsed = SymmetricBlob::parse(&blob).unwrap();
        assert_eq!(parsed.header, header);
        assert_eq!(&*k.decrypt(&parsed, &ctx).unwrap(), b"sensitive data");
        // Wrong context, no context, another key: all InvalidCiphertext.
        let other: EncryptionContext = [("purpose", "inference")].into_iter().collect();
        assert_eq!(
            k.decrypt(&parsed, &other),
            Err(CryptoError::InvalidCiphertext)
        );
        assert_eq!(
            k.decrypt(&parsed, &EncryptionContext::new()),
            Err(CryptoError::InvalidCiphertext)
        );
        assert_eq!(
            key().decrypt(&parsed, &ctx),
            Err(CryptoError::InvalidCiphertext)
        );
        // Every single-byte change is caught, header included.
        for i in 0..blob.len() {
            let mut bad = blob.clone();
            bad[i] ^= 0x01;
            let result = SymmetricBlob::parse(&bad).and_then(|p| k.decrypt(&p, &ctx));
            assert_eq!(result, Err(CryptoError::InvalidCiphertext), "byte {i}");
        }
        for len in 0..OVERHEAD {
            assert!(SymmetricBlob::parse(&blob[..len]).is_err());
        }
    }

    #[test]
    fn empty_plaintext_is_fine() {
        let k = key();
        let header = BlobHeader {
            key_id: [1; 16],
            key_version: 1,
        };
        let blob = k.encrypt(header, &EncryptionContext::new(), b"").unwrap();
        let parsed = SymmetricBlob::parse(&blob).unwrap();
        assert_eq!(
            k.decrypt(&parsed, &EncryptionContext::new()).unwrap().len(),
            0
        );
    }
}
