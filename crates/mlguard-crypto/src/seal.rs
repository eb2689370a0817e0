//! The root key: 32 random bytes that seal every piece of key material before it
//! reaches storage, so the database never holds a usable key.
//!
//! ```text
//! sealed = 0x01 | nonce (12) | AES-256-GCM(root key, nonce, AAD = purpose)(material) | tag (16)
//! ```
//! The purpose (for example `kms:key:<key id>:v<version>`) is authenticated, so a
//! sealed value copied to another row does not open there.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use zeroize::Zeroizing;

use crate::{CryptoError, Result, random};

const SEAL_VERSION: u8 = 1;

/// The root key. Wiped on drop; never printed.
pub struct RootKey {
    bytes: Zeroizing<[u8; 32]>,
    aead: LessSafeKey,
}

impl std::fmt::Debug for RootKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RootKey(<redacted>)")
    }
}

impl RootKey {
    /// A new random root key.
    pub fn generate() -> Result<RootKey> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        random::fill(&mut *bytes)?;
        Self::build(bytes)
    }

    /// A root key from its 32 bytes.
    pub fn from_bytes(raw: &[u8]) -> Result<RootKey> {
        let bytes: [u8; 32] = raw
            .try_into()
            .map_err(|_| CryptoError::InvalidKeyMaterial("root key (32 bytes)"))?;
        Self::build(Zeroizing::new(bytes))
    }

    fn build(bytes: Zeroizing<[u8; 32]>) -> Result<RootKey> {
        let aead = LessSafeKey::new(
            UnboundKey::new(&AES_256_GCM, &*bytes).map_err(|_| CryptoError::Internal)?,
        );
        Ok(RootKey { bytes, aead })
    }

    /// The raw bytes, to write the key file once.
    pub fn expose_bytes(&self) -> &[u8; 32] {
        &self.bytes
    }

    /// Seals `plaintext` for `purpose`.
    pub fn seal(&self, purpose: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
        let nonce: [u8; NONCE_LEN] = random::array()?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + plaintext.len() + 16);
        out.push(SEAL_VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(plaintext);
        let body = out.get_mut(1 + NONCE_LEN..).ok_or(CryptoError::Internal)?;
        let tag = self.aead.seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(purpose),
            body,
        )?;
        out.extend_from_slice(tag.as_ref());
        Ok(out)
    }

    /// Opens a sealed value for `purpose`.
    pub fn open(&self, purpose: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        if sealed.first() != Some(&SEAL_VERSION) || sealed.len() < 1 + NONCE_LEN + 16 {
            return Err(CryptoError::Unseal);
        }
        let nonce: [u8; NONCE_LEN] = sealed
            .get(1..1 + NONCE_LEN)
            .and_then(|n| n.try_into().ok())
            .ok_or(CryptoError::Unseal)?;
        let mut buf = Zeroizing::new(
            sealed
                .get(1 + NONCE_LEN..)
                .ok_or(CryptoError::Unseal)?
                .to_vec(),
        );
        let len = self
            .aead
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(purpose),
                &mut buf,
            )
            .map_err(|_| CryptoError::Unseal)?
            .len();
        buf.truncate(len);
        Ok(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_and_purpose_binding() {
        let root = RootKey::generate().unwrap();
        let sealed = root.seal(b"kms:key:abc:v1", b"material").unwrap();
        assert_eq!(
            &*root.open(b"kms:key:abc:v1", &sealed).unwrap(),
            b"material"
        );
        assert_eq!(
            root.open(b"kms:key:abc:v2", &sealed),
            Err(CryptoError::Unseal)
        );
        assert_eq!(
            RootKey::generate()
                .unwrap()
                .open(b"kms:key:abc:v1", &sealed),
            Err(CryptoError::Unseal)
        );
        let again = RootKey::from_bytes(root.expose_bytes()).unwrap();
        assert_eq!(
            &*again.open(b"kms:key:abc:v1", &sealed).unwrap(),
            b"material"
        );
        assert!(!sealed.windows(8).any(|w| w == b"material"));
        assert!(RootKey::from_bytes(&[0; 31]).is_err());
        assert_eq!(format!("{root:?}"), "RootKey(<redacted>)");
    }
}
