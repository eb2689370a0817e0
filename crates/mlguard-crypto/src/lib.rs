//! mlguard's cryptography: KMS key material of every key spec, self-describing KMS
//! ciphertext blobs bound to their encryption context, root-key sealing of material
//! at rest, and the framed envelope format for files. Pure: no I/O beyond the
//! `Read`/`Write` streams the envelope format is given.
//!
//! Every primitive comes from aws-lc-rs. Key material lives in [`Zeroizing`] buffers
//! and is wiped when dropped; nothing here logs or formats a key or a plaintext.

pub mod blob;
pub mod context;
pub mod envelope;
pub mod keys;
pub mod random;
pub mod seal;

pub use blob::{BlobHeader, SymmetricBlob};
pub use context::EncryptionContext;
pub use keys::{
    EncryptionAlgorithm, KeyMaterial, KeySpec, KeyUsage, MacAlgorithm, MessageType,
    SigningAlgorithm,
};
pub use seal::RootKey;
pub use zeroize::Zeroizing;

/// What can go wrong. Variants carry no secret data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// A ciphertext that is malformed, truncated, tampered with, or bound to another
    /// key or encryption context (KMS: `InvalidCiphertextException`).
    #[error(
        "the ciphertext is invalid, was tampered with, or was encrypted under another key or encryption context"
    )]
    InvalidCiphertext,
    /// Stored key material that does not parse for its spec.
    #[error("key material is invalid for key spec {0}")]
    InvalidKeyMaterial(&'static str),
    /// The key spec cannot do this (KMS: `InvalidKeyUsageException` / `UnsupportedOperationException`).
    #[error("{0}")]
    Unsupported(String),
    /// A digest of the wrong length for the signing algorithm (KMS: `ValidationException`).
    #[error("Digest is invalid length for algorithm {0}.")]
    InvalidDigestLength(&'static str),
    /// A plaintext too long for an RSA key and padding (KMS: `ValidationException`).
    #[error("plaintext is too long for the key and algorithm")]
    PlaintextTooLong,
    /// A signature that does not verify (KMS: `KMSInvalidSignatureException`).
    #[error("the signature is not valid")]
    InvalidSignature,
    /// A MAC that does not verify (KMS: `KMSInvalidMacException`).
    #[error("the MAC is not valid")]
    InvalidMac,
    /// The sealed material or root key is wrong or damaged.
    #[error("sealed data could not be opened: wrong root key or damaged data")]
    Unseal,
    /// The envelope stream is malformed, truncated, reordered or tampered with.
    #[error("envelope: {0}")]
    Envelope(String),
    /// Reading or writing the envelope stream failed.
    #[error("envelope I/O: {0}")]
    Io(String),
    /// The cryptographic library failed (out of randomness, internal error).
    #[error("cryptographic operation failed")]
    Internal,
}

impl From<aws_lc_rs::error::Unspecified> for CryptoError {
    fn from(_: aws_lc_rs::error::Unspecified) -> Self {
        CryptoError::Internal
    }
}

/// Result with [`CryptoError`].
pub type Result<T> = std::result::Result<T, CryptoError>;
