//! Tamper-evident, CloudTrail-format audit log for mlguard.
//!
//! Every API request mlguard serves produces exactly one [`Event`], shaped like
//! an AWS CloudTrail record so that existing CloudTrail tooling and habits
//! apply. Events are appended by an [`AuditLog`] to JSON-lines files under one
//! directory; each line carries a SHA-256 hash chained to the previous line,
//! and every sealed file is listed, with its SHA-256, in an ECDSA P-256 signed
//! digest file. Digests chain to each other the way CloudTrail digest files do.
//!
//! [`validate`] recomputes everything from the files alone plus the public key
//! and reports what was modified, deleted, inserted or reordered. [`lookup`]
//! streams events back out, filtered.
//!
//! # Layout
//!
//! ```text
//! <dir>/events-20261126T100000Z-000000000000.jsonl    one record per line
//! <dir>/events-20261126T100500Z-000000004711.jsonl    (name carries the first seq)
//! <dir>/digests/digest-20261126T100500Z-000000000000.json
//! ```
//!
//! # Formats
//!
//! A log line (event shortened):
//!
//! ```text
//! {"seq":2,"prevHash":"4d8d…8525","hash":"50f2…f3b2","event":{"eventVersion":"1.11",
//!  "userIdentity":{"type":"IAMUser",…,"userName":"carol"},"eventTime":"2026-11-26T10:00:02Z",
//!  "eventSource":"kms.amazonaws.com","eventName":"GenerateDataKey",…,
//!  "requestParameters":{…,"plaintext":"HIDDEN_DUE_TO_SECURITY_REASONS"},"responseElements":null,…}}
//! ```
//!
//! `hash = SHA-256(prevHash as 32 bytes ‖ the event JSON exactly as written)`;
//! `seq` starts at 1 and the first `prevHash` of a new log is 64 zeros. The
//! chain runs across file boundaries and across reopenings.
//!
//! A digest (pretty-printed JSON; `digestSignature` is a hex DER ECDSA P-256
//! SHA-256 signature over the compact JSON of all the other members, in this
//! order):
//!
//! ```text
//! { "digestSeq": 0, "digestStartTime": "…Z", "digestEndTime": "…Z",
//!   "digestPublicKeyFingerprint": "<hex SHA-256 of the SPKI DER>",
//!   "digestSignatureAlgorithm": "SHA256withECDSA",
//!   "newestEventTime": "…Z", "oldestEventTime": "…Z",
//!   "previousDigestFileName": null, "previousDigestHashValue": null,
//!   "previousDigestHashAlgorithm": null, "previousDigestSignature": null,
//!   "chainHeadSeq": 2, "chainHeadHash": "50f2…f3b2",
//!   "logFiles": [ { "fileName": "events-…-000000000001.jsonl", "hashValue": "<file hash>",
//!                   "hashAlgorithm": "SHA-256-RECORDS", "oldestEventTime": "…Z", "newestEventTime": "…Z",
//!                   "firstSeq": 1, "lastSeq": 2, "lastRecordHash": "50f2…f3b2" } ],
//!   "digestSignature": "3045…" }
//! ```
//!
//! A file's `hashValue` is SHA-256 over its records' seqs (8 bytes,
//! big-endian) and hashes, in order. Every line must be exactly the form
//! above, each record hash covers its prevHash and event, and this covers seq
//! and the hash, so it binds every byte of the file without the writer hashing
//! each byte twice. Digests that say `"hashAlgorithm": "SHA-256"` (written
//! before this) hash the file's bytes, and still validate.
//!
//! # Trust model
//!
//! [`validate`] needs only the directory and the public key. For every file
//! a validly signed digest lists, it proves that no record was edited,
//! deleted, inserted or reordered and that no file was altered, removed or
//! slipped in; the digest chain proves no digest in the middle was removed or
//! replaced. Records written after the newest digest are checked for internal
//! consistency only and reported as [`FindingKind::NotYetCovered`].
//!
//! It cannot prove: that the newest digests (and everything after them) were
//! not deleted wholesale — keep [`ValidationReport::latest_digest`] somewhere
//! the log host cannot write and compare next time; that the unsigned tail
//! was not truncated; or anything at all against an attacker who holds the
//! signing key, who can re-sign a rewritten history. Keep the key sealed and
//! off the log volume, and ship digests elsewhere if that threat matters.
//!
//! # Secrets
//!
//! Request and response bodies can only enter an [`Event`] through
//! [`RedactedJson::new`], which always replaces [`DEFAULT_SENSITIVE_KEYS`] (plus
//! any keys the server names) with CloudTrail's own marker
//! [`REDACTED`] before the value is stored in the event, so values of those keys
//! never reach disk.

mod digest;
mod event;
mod hex;
mod json;
mod lookup;
mod record;
mod signer;
mod validate;
mod writer;

pub use event::{
    DEFAULT_SENSITIVE_KEYS, EVENT_VERSION, Event, IdentityType, REDACTED, RedactedJson, Resource,
    SessionAttributes, SessionContext, SessionIssuer, TlsDetails, UserIdentity, format_time,
    redact,
};
pub use lookup::{Lookup, Query, lookup};
pub use signer::DigestSigner;
pub use time::OffsetDateTime;
pub use validate::{DigestAnchor, Finding, FindingKind, ValidationReport, validate};
pub use writer::{AuditLog, AuditOptions, OpenReport, TornTail};

use std::path::PathBuf;

/// Everything that can go wrong while writing or reading an audit log.
///
/// Validation problems are not errors: [`validate`] reports them as
/// [`Finding`]s so one bad file does not hide the state of the others.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or directory operation failed.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// An event could not be serialized or a stored record could not be parsed.
    #[error("JSON error in {context}: {source}")]
    Json {
        /// Where the JSON was being read or written.
        context: String,
        /// The underlying error.
        #[source]
        source: serde_json::Error,
    },
    /// The signing key was rejected or signing failed.
    #[error("signing key error: {0}")]
    Key(String),
    /// The existing log cannot be resumed safely; the writer refuses to append
    /// rather than destroy evidence.
    #[error("cannot resume audit log: {0}")]
    Corrupt(String),
    /// A previous write failed part-way; the in-memory state no longer
    /// matches the file, so the log must be reopened (which truncates any torn
    /// line) before appending again.
    #[error("audit log is unusable after an earlier write failure; reopen it")]
    Poisoned,
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn json(context: impl Into<String>, source: serde_json::Error) -> Self {
        Error::Json {
            context: context.into(),
            source,
        }
    }
}
