//! The ECDSA P-256 key that signs digest files, and the matching verifier.
//!
//! The caller owns key storage (mlguard keeps it sealed); this crate only
//! sees PKCS#8 bytes and never writes them anywhere.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_ASN1, ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair, ParsedPublicKey,
};

use crate::{Error, Result, hex};

/// Signs digest files with an ECDSA P-256 key (SHA-256, ASN.1 DER signatures).
pub struct DigestSigner {
    key: EcdsaKeyPair,
    rng: SystemRandom,
    spki_der: Vec<u8>,
    fingerprint: String,
}

impl std::fmt::Debug for DigestSigner {
    // Only the public half is printed: a Debug line in a log must never carry
    // the private key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DigestSigner")
            .field("fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

impl DigestSigner {
    /// Loads a P-256 private key from PKCS#8 DER.
    pub fn from_pkcs8(pkcs8: &[u8]) -> Result<Self> {
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8)
            .map_err(|e| Error::Key(format!("not a P-256 PKCS#8 key: {e}")))?;
        Self::wrap(key)
    }

    /// Generates a fresh key; returns the signer and its PKCS#8 DER, which
    /// the caller must store (sealed) to reopen the log with the same key.
    pub fn generate() -> Result<(Self, Vec<u8>)> {
        let rng = SystemRandom::new();
        let doc = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng)
            .map_err(|_| Error::Key("key generation failed".into()))?;
        let pkcs8 = doc.as_ref().to_vec();
        Ok((Self::from_pkcs8(&pkcs8)?, pkcs8))
    }

    fn wrap(key: EcdsaKeyPair) -> Result<Self> {
        let spki_der = key
            .public_key()
            .as_der()
            .map_err(|_| Error::Key("cannot encode public key".into()))?
            .as_ref()
            .to_vec();
        let fingerprint = fingerprint_of(&spki_der);
        Ok(DigestSigner {
            key,
            rng: SystemRandom::new(),
            spki_der,
            fingerprint,
        })
    }

    /// The public key as X.509 SubjectPublicKeyInfo DER, for [`crate::validate`].
    #[must_use]
    pub fn public_key_der(&self) -> &[u8] {
        &self.spki_der
    }

    /// Hex SHA-256 of [`Self::public_key_der`]; written into every digest as
    /// `digestPublicKeyFingerprint` so a verifier can tell which key to use.
    #[must_use]
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// DER-encoded ECDSA signature over `message`.
    pub(crate) fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        self.key
            .sign(&self.rng, message)
            .map(|s| s.as_ref().to_vec())
            .map_err(|_| Error::Key("signing failed".into()))
    }
}

/// Hex SHA-256 of an SPKI DER public key.
fn fingerprint_of(spki_der: &[u8]) -> String {
    hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, spki_der).as_ref())
}

/// Verifies digest signatures against one public key.
pub(crate) struct Verifier {
    key: ParsedPublicKey,
    fingerprint: String,
}

impl Verifier {
    /// Accepts SPKI DER or an uncompressed/compressed SEC1 point.
    pub(crate) fn new(public_key: &[u8]) -> std::result::Result<Self, String> {
        let key = ParsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, public_key)
            .map_err(|e| format!("public key is not a P-256 key: {e}"))?;
        let der = key
            .as_der()
            .map_err(|_| "cannot re-encode public key".to_owned())?;
        let fingerprint = fingerprint_of(der.as_ref());
        Ok(Verifier { key, fingerprint })
    }

    pub(crate) fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        self.key.verify_sig(message, signature).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_verify_both_key_encodings() {
        let (signer, pkcs8) = DigestSigner::generate().unwrap();
        let again = DigestSigner::from_pkcs8(&pkcs8).unwrap();
        assert_eq!(signer.fingerprint(), again.fingerprint());
        let sig = signer.sign(b"hello").unwrap();
        let v = Verifier::new(signer.public_key_der()).unwrap();
        assert!(v.verify(b"hello", &sig));
        assert!(!v.verify(b"hellO", &sig));
        assert_eq!(v.fingerprint(), signer.fingerprint());
        // Raw uncompressed point: the last 65 bytes of a P-256 SPKI.
        let der = signer.public_key_der();
        let raw = &der[der.len() - 65..];
        let v2 = Verifier::new(raw).unwrap();
        assert!(v2.verify(b"hello", &sig));
        assert_eq!(v2.fingerprint(), signer.fingerprint());
        assert!(DigestSigner::from_pkcs8(b"junk").is_err());
        assert!(Verifier::new(b"junk").is_err());
        assert!(!format!("{signer:?}").contains("private"));
    }
}
