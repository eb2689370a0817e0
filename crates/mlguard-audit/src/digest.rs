//! Digest files, modelled on CloudTrail's: the log files sealed since the
//! previous digest with their SHA-256, a link (hash and signature) to the
//! previous digest, and an ECDSA signature over the rest.
//!
//! CloudTrail keeps the signature in S3 object metadata; a plain directory
//! has no metadata, so here it is the last member, `digestSignature`, and is
//! computed over the compact JSON of every other member in the fixed order
//! below. The file itself is that same structure pretty-printed; a validator
//! re-serializes what it parsed and demands identical bytes, so no edit —
//! not even whitespace — goes unnoticed.

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Algorithm names written into digests, as CloudTrail spells its own.
pub(crate) const HASH_ALGORITHM: &str = "SHA-256";
/// `hashAlgorithm` of a log file whose `hashValue` is [`crate::record::FileHash`]
/// (SHA-256 over its records' seqs and hashes). Digests written before it
/// hash the file's bytes and say [`HASH_ALGORITHM`]; the validator accepts both.
pub(crate) const FILE_HASH_ALGORITHM: &str = "SHA-256-RECORDS";
pub(crate) const SIGNATURE_ALGORITHM: &str = "SHA256withECDSA";

/// One sealed log file as recorded in a digest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LogFileEntry {
    pub(crate) file_name: String,
    /// Hex hash of the file by `hash_algorithm`: [`FILE_HASH_ALGORITHM`], or
    /// [`HASH_ALGORITHM`] (the bytes of the whole file) in older digests.
    pub(crate) hash_value: String,
    pub(crate) hash_algorithm: String,
    pub(crate) oldest_event_time: Option<String>,
    pub(crate) newest_event_time: Option<String>,
    pub(crate) first_seq: u64,
    pub(crate) last_seq: u64,
    /// Hex hash of the file's last record: where the chain stands at its end.
    pub(crate) last_record_hash: String,
}

/// Every digest member except the signature: exactly what is signed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DigestBody {
    pub(crate) digest_seq: u64,
    pub(crate) digest_start_time: String,
    pub(crate) digest_end_time: String,
    pub(crate) digest_public_key_fingerprint: String,
    pub(crate) digest_signature_algorithm: String,
    pub(crate) newest_event_time: Option<String>,
    pub(crate) oldest_event_time: Option<String>,
    pub(crate) previous_digest_file_name: Option<String>,
    /// Hex SHA-256 of the previous digest file's bytes.
    pub(crate) previous_digest_hash_value: Option<String>,
    pub(crate) previous_digest_hash_algorithm: Option<String>,
    pub(crate) previous_digest_signature: Option<String>,
    /// Seq of the newest record written before this digest (`None`: none yet).
    pub(crate) chain_head_seq: Option<u64>,
    /// Hex hash of that record (zeros when none): the next record's prevHash.
    pub(crate) chain_head_hash: String,
    pub(crate) log_files: Vec<LogFileEntry>,
}

/// A digest file as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct DigestFile {
    #[serde(flatten)]
    pub(crate) body: DigestBody,
    /// Hex DER ECDSA P-256 signature over [`signed_bytes`] of `body`.
    #[serde(rename = "digestSignature")]
    pub(crate) digest_signature: String,
}

/// The bytes the signature covers.
pub(crate) fn signed_bytes(body: &DigestBody) -> Result<Vec<u8>> {
    serde_json::to_vec(body).map_err(|e| Error::json("digest body", e))
}

/// The exact bytes of a digest file.
pub(crate) fn file_bytes(file: &DigestFile) -> Result<Vec<u8>> {
    let mut out = serde_json::to_vec_pretty(file).map_err(|e| Error::json("digest file", e))?;
    out.push(b'\n');
    Ok(out)
}

/// Parses a digest file and says whether its bytes are exactly what the
/// writer would have produced.
pub(crate) fn parse(bytes: &[u8]) -> std::result::Result<(DigestFile, bool), String> {
    let file: DigestFile =
        serde_json::from_slice(bytes).map_err(|e| format!("not a digest file: {e}"))?;
    let canonical = file_bytes(&file).map(|b| b == bytes).unwrap_or(false);
    Ok((file, canonical))
}
