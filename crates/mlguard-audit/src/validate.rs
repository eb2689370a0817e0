//! Offline validation: everything is recomputed from the files and the
//! public key alone; nothing written by the writer is trusted.
//!
//! Order of work: parse and verify every digest and its link to the previous
//! one; build the list of log files the digests vouch for; then walk every
//! record of every file (present or vouched-for) in seq order, checking each
//! record's hash and its link to the one before.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::Path;
use std::rc::Rc;

use crate::digest::{self, DigestFile, LogFileEntry};
use crate::record::{self, DIGEST_DIR, ZERO_HASH};
use crate::signer::Verifier;
use crate::{Event, hex};

/// What kind of problem (or, for [`FindingKind::NotYetCovered`], fact) a
/// [`Finding`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FindingKind {
    /// A record's stored hash does not match its event: the event was edited.
    EventModified,
    /// Records are missing: the seq jumps ahead.
    EventDeleted,
    /// A record does not belong to the chain (fabricated, duplicated or
    /// copied from elsewhere).
    EventInserted,
    /// Two adjacent records are in swapped order.
    EventReordered,
    /// A record's `prevHash` does not match the record before it, and the
    /// damage cannot be narrowed down further (e.g. an earlier record was
    /// rewritten with a recomputed hash).
    ChainBroken,
    /// A line that is not a well-formed record.
    MalformedRecord,
    /// A file ends in a partial line (torn write, or truncation mid-line).
    TruncatedRecord,
    /// A log file's SHA-256 differs from the one its digest recorded.
    LogFileModified,
    /// A log file listed in a digest is missing.
    LogFileDeleted,
    /// A log file no digest lists, older than files that digests do list.
    LogFileAdded,
    /// A digest file's content differs from what was signed or what the next
    /// digest recorded, or it cannot be parsed.
    DigestModified,
    /// Digest files are missing from the digest chain.
    DigestDeleted,
    /// A digest's signature does not verify and the content cannot be shown
    /// intact: the signature was replaced (or the content edited, for the
    /// newest digest, which has no successor to tell which).
    DigestSignatureInvalid,
    /// The digest names a key other than the one validation was given, or
    /// the given key is unusable.
    DigestKeyMismatch,
    /// Records written after the newest digest. Not an error: they are
    /// chained but not yet signed, so their deletion would go unnoticed.
    NotYetCovered,
    /// A file or directory could not be read.
    Unreadable,
}

impl FindingKind {
    /// Whether this finding means the log cannot be trusted as-is.
    #[must_use]
    pub fn is_error(self) -> bool {
        self != FindingKind::NotYetCovered
    }
}

/// One validation result, tied to a file and, where known, a record seq.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// What was found.
    pub kind: FindingKind,
    /// File, relative to the log directory (`digests/…` for digests).
    pub file: String,
    /// The record seq concerned, for record-level findings.
    pub seq: Option<u64>,
    /// Human-readable explanation.
    pub detail: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} {}", self.kind, self.file)?;
        if let Some(seq) = self.seq {
            write!(f, " seq {seq}")?;
        }
        write!(f, ": {}", self.detail)
    }
}

/// The newest digest seen, so a verifier can remember it and notice next
/// time if the newest digests were deleted (which the files alone cannot show).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestAnchor {
    /// Digest file, relative to the log directory.
    pub file: String,
    /// Its digest seq.
    pub seq: u64,
    /// Hex SHA-256 of its bytes.
    pub hash: String,
}

/// Outcome of [`validate`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidationReport {
    /// Log files read.
    pub files_checked: usize,
    /// Records whose hash was recomputed.
    pub events_checked: u64,
    /// Digest files read.
    pub digests_checked: usize,
    /// Everything found, in walk order.
    pub findings: Vec<Finding>,
    /// The newest digest, if any.
    pub latest_digest: Option<DigestAnchor>,
}

impl ValidationReport {
    /// True when no finding is an error (an uncovered tail is allowed).
    #[must_use]
    pub fn ok(&self) -> bool {
        self.findings.iter().all(|f| !f.kind.is_error())
    }

    /// Findings that are errors.
    pub fn errors(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.kind.is_error())
    }

    fn push(&mut self, kind: FindingKind, file: &str, seq: Option<u64>, detail: String) {
        self.findings.push(Finding {
            kind,
            file: file.to_owned(),
            seq,
            detail,
        });
    }
}

/// Validates the audit log in `dir` against `public_key` (SPKI DER or a raw
/// SEC1 P-256 point).
///
/// Proves, for everything a validly signed digest covers, that no record was
/// modified, deleted, inserted or reordered and no file was altered, added or
/// removed; and that records after the newest digest are internally chained.
/// Never panics, whatever the files contain.
#[must_use]
pub fn validate(dir: &Path, public_key: &[u8]) -> ValidationReport {
    let mut report = ValidationReport::default();
    if !dir.is_dir() {
        // An absent log must not read as an intact one.
        report.push(
            FindingKind::Unreadable,
            ".",
            None,
            format!("{} is not a readable directory", dir.display()),
        );
        return report;
    }
    let verifier = match Verifier::new(public_key) {
        Ok(v) => Some(v),
        Err(e) => {
            report.push(FindingKind::DigestKeyMismatch, "", None, e);
            None
        }
    };
    let covered = check_digests(dir, verifier.as_ref(), &mut report);
    check_logs(dir, &covered, &mut report);
    report
}

/// A parsed digest awaiting cross-checks with its neighbours.
struct Parsed {
    seq: u64,
    path: String,
    file_hash: String,
    file: DigestFile,
    signature_ok: bool,
}

/// Verifies digests and their chain; returns what they vouch for, keyed by
/// log file name.
fn check_digests(
    dir: &Path,
    verifier: Option<&Verifier>,
    report: &mut ValidationReport,
) -> BTreeMap<String, LogFileEntry> {
    let digest_dir = dir.join(DIGEST_DIR);
    let listed = match record::list(&digest_dir, "digest-", record::parse_digest_file_name) {
        Ok(l) => l,
        Err(e) => {
            report.push(FindingKind::Unreadable, DIGEST_DIR, None, e.to_string());
            return BTreeMap::new();
        }
    };
    let mut parsed: Vec<Parsed> = Vec::new();
    for l in listed {
        let path = format!("{DIGEST_DIR}/{}", l.name);
        report.digests_checked = report.digests_checked.saturating_add(1);
        let Some(seq) = l.seq else {
            report.push(
                FindingKind::DigestModified,
                &path,
                None,
                "unrecognized digest file name".into(),
            );
            continue;
        };
        let bytes = match std::fs::read(digest_dir.join(&l.name)) {
            Ok(b) => b,
            Err(e) => {
                report.push(FindingKind::Unreadable, &path, None, e.to_string());
                continue;
            }
        };
        let (file, canonical) = match digest::parse(&bytes) {
            Ok(p) => p,
            Err(e) => {
                report.push(FindingKind::DigestModified, &path, None, e);
                continue;
            }
        };
        if !canonical {
            report.push(
                FindingKind::DigestModified,
                &path,
                None,
                "bytes differ from the canonical form the writer produces (file was edited)".into(),
            );
        }
        if file.body.digest_seq != seq {
            report.push(
                FindingKind::DigestModified,
                &path,
                None,
                format!(
                    "file name says digest {seq}, content says {}",
                    file.body.digest_seq
                ),
            );
        }
        let mut signature_ok = false;
        if let Some(v) = verifier {
            if file.body.digest_public_key_fingerprint != v.fingerprint() {
                report.push(
                    FindingKind::DigestKeyMismatch,
                    &path,
                    None,
                    format!(
                        "signed with key {}, validating with {}",
                        file.body.digest_public_key_fingerprint,
                        v.fingerprint()
                    ),
                );
            }
            signature_ok = match (
                hex::decode(&file.digest_signature),
                digest::signed_bytes(&file.body),
            ) {
                (Some(sig), Ok(msg)) => v.verify(&msg, &sig),
                _ => false,
            };
        }
        parsed.push(Parsed {
            seq,
            path,
            file_hash: hex::encode(&record::sha256(&bytes)),
            file,
            signature_ok,
        });
    }

    // Chain checks between neighbours, and signature verdicts (which need the
    // successor to tell an edited body from a replaced signature).
    let mut expected_seq = 0u64;
    for (i, d) in parsed.iter().enumerate() {
        let prev = i.checked_sub(1).and_then(|j| parsed.get(j));
        let next = parsed.get(i.saturating_add(1));
        let body = &d.file.body;
        if d.seq > expected_seq {
            report.push(
                FindingKind::DigestDeleted,
                &d.path,
                None,
                format!(
                    "digest(s) {expected_seq}..={} missing before this one",
                    d.seq.saturating_sub(1)
                ),
            );
        } else if d.seq < expected_seq {
            report.push(
                FindingKind::DigestModified,
                &d.path,
                None,
                format!("digest seq {} repeats", d.seq),
            );
        }
        expected_seq = d.seq.saturating_add(1);
        if d.seq == 0 && body.previous_digest_hash_value.is_some() {
            report.push(
                FindingKind::DigestModified,
                &d.path,
                None,
                "first digest claims a predecessor".into(),
            );
        }
        if let Some(p) = prev.filter(|p| p.seq.saturating_add(1) == d.seq)
            && body.previous_digest_file_name.as_deref()
                != p.path.strip_prefix(&format!("{DIGEST_DIR}/"))
        {
            report.push(
                FindingKind::DigestModified,
                &d.path,
                None,
                "previousDigestFileName does not name the previous digest".into(),
            );
        }
        if verifier.is_none() {
            continue;
        }
        // What the successor recorded about this digest, if it is the
        // immediate successor.
        let successor = next.filter(|n| n.seq == d.seq.saturating_add(1));
        let sig_as_recorded = successor.map(|n| {
            n.file.body.previous_digest_signature.as_deref()
                == Some(d.file.digest_signature.as_str())
        });
        let hash_as_recorded = successor.map(|n| {
            n.file.body.previous_digest_hash_value.as_deref() == Some(d.file_hash.as_str())
        });
        match (d.signature_ok, sig_as_recorded, hash_as_recorded) {
            (false, Some(true), _) => report.push(
                FindingKind::DigestModified,
                &d.path,
                None,
                "content edited: the original signature no longer verifies".into(),
            ),
            (false, Some(false), _) => report.push(
                FindingKind::DigestSignatureInvalid,
                &d.path,
                None,
                "signature replaced: it neither verifies nor matches the one the next digest recorded"
                    .into(),
            ),
            (false, None, _) => report.push(
                FindingKind::DigestSignatureInvalid,
                &d.path,
                None,
                "signature does not verify (content or signature altered)".into(),
            ),
            (true, Some(false), _) | (true, _, Some(false)) => report.push(
                FindingKind::DigestModified,
                &d.path,
                None,
                "validly signed, but not the digest the next digest chained to (replaced)".into(),
            ),
            (true, _, _) => {}
        }
    }

    if let Some(last) = parsed.last() {
        report.latest_digest = Some(DigestAnchor {
            file: last.path.clone(),
            seq: last.seq,
            hash: last.file_hash.clone(),
        });
    }

    let mut covered = BTreeMap::new();
    for d in &parsed {
        for entry in &d.file.body.log_files {
            if record::parse_log_file_name(&entry.file_name).is_none() {
                report.push(
                    FindingKind::DigestModified,
                    &d.path,
                    None,
                    format!("lists an impossible log file name {:?}", entry.file_name),
                );
            } else if covered
                .insert(entry.file_name.clone(), entry.clone())
                .is_some()
            {
                report.push(
                    FindingKind::DigestModified,
                    &d.path,
                    None,
                    format!("{} is listed by more than one digest", entry.file_name),
                );
            }
        }
    }
    covered
}

/// One record as read from disk.
struct Rec {
    file: Rc<str>,
    seq: u64,
    prev_hash: [u8; 32],
    hash: [u8; 32],
}

/// Walks records in order with one record of lookahead, which is what it
/// takes to tell an inserted record from a deleted one and to spot a swap.
struct Chain {
    head: [u8; 32],
    expected: u64,
    pending: Option<Rec>,
    /// File of the record (or vouched-for file) that set `head`: where a gap
    /// begins, which is where deleted records were.
    head_file: Option<Rc<str>>,
}

impl Chain {
    fn push(&mut self, rec: Rec, report: &mut ValidationReport) {
        if let Some(p) = self.pending.take()
            && self.step(&p, Some(&rec), report)
        {
            return; // `rec` was consumed with `p` (a swap)
        }
        self.pending = Some(rec);
    }

    fn finish(&mut self, report: &mut ValidationReport) {
        if let Some(p) = self.pending.take() {
            self.step(&p, None, report);
        }
    }

    /// Continues the chain after records vouched for by a digest but whose
    /// file is gone (already reported as deleted).
    fn skip_to(
        &mut self,
        file: &str,
        last_seq: u64,
        last_hash: [u8; 32],
        report: &mut ValidationReport,
    ) {
        self.finish(report);
        self.head = last_hash;
        self.expected = last_seq.saturating_add(1);
        self.head_file = Some(Rc::from(file));
    }

    fn advance(&mut self, r: &Rec) {
        self.head = r.hash;
        self.expected = r.seq.saturating_add(1);
        self.head_file = Some(Rc::clone(&r.file));
    }

    /// Judges `p`; returns true if `next` was consumed too.
    fn step(&mut self, p: &Rec, next: Option<&Rec>, report: &mut ValidationReport) -> bool {
        let expected = self.expected;
        if p.prev_hash == self.head {
            if p.seq != expected {
                report.push(
                    FindingKind::EventModified,
                    &p.file,
                    Some(p.seq),
                    format!("seq field altered: the chain puts this record at seq {expected}"),
                );
            }
            self.head = p.hash;
            self.expected = expected.saturating_add(1);
            self.head_file = Some(Rc::clone(&p.file));
            return false;
        }
        if let Some(n) = next {
            let swapped = n.prev_hash == self.head
                && n.seq == expected
                && p.prev_hash == n.hash
                && p.seq == expected.saturating_add(1);
            if swapped {
                report.push(
                    FindingKind::EventReordered,
                    &p.file,
                    Some(expected),
                    format!(
                        "records {expected} and {} are in swapped order",
                        expected.saturating_add(1)
                    ),
                );
                self.advance(p);
                return true;
            }
            if n.prev_hash == self.head {
                report.push(
                    FindingKind::EventInserted,
                    &p.file,
                    Some(p.seq),
                    "record is not part of the chain (the next record links past it)".into(),
                );
                return false;
            }
        }
        if p.seq > expected {
            let last_missing = p.seq.saturating_sub(1);
            let file = self.head_file.clone().unwrap_or_else(|| Rc::clone(&p.file));
            report.push(
                FindingKind::EventDeleted,
                &file,
                Some(expected),
                format!(
                    "record(s) {expected}..={last_missing} missing ({} record(s)); the chain resumes at seq {} in {}",
                    p.seq.saturating_sub(expected),
                    p.seq,
                    p.file
                ),
            );
        } else if p.seq < expected {
            report.push(
                FindingKind::EventInserted,
                &p.file,
                Some(p.seq),
                format!(
                    "seq {} repeats or goes backwards (expected {expected})",
                    p.seq
                ),
            );
        } else {
            report.push(
                FindingKind::ChainBroken,
                &p.file,
                Some(p.seq),
                format!(
                    "prevHash does not match record {}: an earlier record was rewritten with a recomputed hash, or replaced",
                    expected.saturating_sub(1)
                ),
            );
        }
        // Follow the file as written so later damage is still located.
        self.advance(p);
        false
    }
}

/// A log file position in seq order: present on disk, vouched for, or both.
struct Slot {
    seq: u64,
    name: String,
    present: bool,
}

fn check_logs(dir: &Path, covered: &BTreeMap<String, LogFileEntry>, report: &mut ValidationReport) {
    let listed = match record::list(dir, "events-", record::parse_log_file_name) {
        Ok(l) => l,
        Err(e) => {
            report.push(FindingKind::Unreadable, ".", None, e.to_string());
            Vec::new()
        }
    };
    let mut slots: Vec<Slot> = Vec::new();
    let mut present: HashSet<String> = HashSet::new();
    for l in listed {
        match l.seq {
            Some(seq) => {
                present.insert(l.name.clone());
                slots.push(Slot {
                    seq,
                    name: l.name,
                    present: true,
                });
            }
            None => report.push(
                FindingKind::LogFileAdded,
                &l.name,
                None,
                "unrecognized log file name".into(),
            ),
        }
    }
    for (name, entry) in covered {
        if !present.contains(name) {
            slots.push(Slot {
                seq: record::parse_log_file_name(name).unwrap_or(entry.first_seq),
                name: name.clone(),
                present: false,
            });
        }
    }
    slots.sort_by(|a, b| (a.seq, &a.name).cmp(&(b.seq, &b.name)));
    let last_covered = slots.iter().rposition(|s| covered.contains_key(&s.name));

    let mut chain = Chain {
        head: ZERO_HASH,
        expected: 1,
        pending: None,
        head_file: None,
    };
    for (i, slot) in slots.iter().enumerate() {
        let entry = covered.get(&slot.name);
        if !slot.present {
            if let Some(e) = entry {
                report.push(
                    FindingKind::LogFileDeleted,
                    &slot.name,
                    Some(e.first_seq),
                    format!(
                        "listed in a digest with records {}..={}",
                        e.first_seq, e.last_seq
                    ),
                );
                let hash = hex::decode32(&e.last_record_hash).unwrap_or(ZERO_HASH);
                chain.skip_to(&slot.name, e.last_seq, hash, report);
            }
            continue;
        }
        let after_digests = last_covered.is_none_or(|lc| i > lc);
        check_file(dir, slot, entry, after_digests, &mut chain, report);
    }
    chain.finish(report);
}

/// Reads one log file, checks it against its digest entry, and feeds its
/// records to the chain.
fn check_file(
    dir: &Path,
    slot: &Slot,
    entry: Option<&LogFileEntry>,
    after_digests: bool,
    chain: &mut Chain,
    report: &mut ValidationReport,
) {
    let bytes = match std::fs::read(dir.join(&slot.name)) {
        Ok(b) => b,
        Err(e) => {
            report.push(FindingKind::Unreadable, &slot.name, None, e.to_string());
            return;
        }
    };
    report.files_checked = report.files_checked.saturating_add(1);
    let file: Rc<str> = Rc::from(slot.name.as_str());

    let mut lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
    // The piece after the final newline: empty for a whole file.
    let tail = lines.pop().map_or(0, <[u8]>::len);
    if tail > 0 {
        report.push(
            FindingKind::TruncatedRecord,
            &slot.name,
            None,
            format!("ends in a partial line of {tail} bytes (torn write or truncation)"),
        );
    }
    let mut first_last: Option<(u64, u64)> = None;
    // The digest's hashValue covers the records' seqs and hashes (see
    // record::FileHash); a line that is not a record in the writer's form, an
    // event that does not match its hash, or a partial last line means the
    // file is not what was sealed.
    let mut file_hash = record::FileHash::new();
    let mut unhashable = tail > 0;
    for (n, line) in lines.iter().enumerate() {
        let line_no = n.saturating_add(1);
        let rec = match record::parse_line(line) {
            Ok(r) => r,
            Err(e) => {
                unhashable = true;
                report.push(
                    FindingKind::MalformedRecord,
                    &slot.name,
                    None,
                    format!("line {line_no}: {e}"),
                );
                continue;
            }
        };
        report.events_checked = report.events_checked.saturating_add(1);
        file_hash.add(rec.seq, &rec.hash);
        if !rec.hash_ok() {
            unhashable = true;
            report.push(
                FindingKind::EventModified,
                &slot.name,
                Some(rec.seq),
                format!("line {line_no}: event does not match its hash"),
            );
        } else if let Err(e) = serde_json::from_str::<Event>(rec.event_json) {
            // Hash intact but not an event: written that way, so report it.
            report.push(
                FindingKind::MalformedRecord,
                &slot.name,
                Some(rec.seq),
                format!("line {line_no}: not a CloudTrail record: {e}"),
            );
        }
        first_last = Some(match first_last {
            None => (rec.seq, rec.seq),
            Some((f, _)) => (f, rec.seq),
        });
        chain.push(
            Rec {
                file: Rc::clone(&file),
                seq: rec.seq,
                prev_hash: rec.prev_hash,
                hash: rec.hash,
            },
            report,
        );
    }

    if let Some(e) = entry {
        let (actual, unhashable) = if e.hash_algorithm == digest::HASH_ALGORITHM {
            // Digests from before record hashing: the file's bytes.
            (hex::encode(&record::sha256(&bytes)), false)
        } else {
            (hex::encode(&file_hash.finish()), unhashable)
        };
        if unhashable || actual != e.hash_value {
            report.push(
                FindingKind::LogFileModified,
                &slot.name,
                None,
                format!(
                    "records hash to {actual}, digest recorded {} (records {}..={}){}",
                    e.hash_value,
                    e.first_seq,
                    e.last_seq,
                    if unhashable {
                        "; and some lines are not the records they claim to be"
                    } else {
                        ""
                    }
                ),
            );
        }
    }
    if let Some((first, _)) = first_last
        && first != slot.seq
    {
        report.push(
            FindingKind::LogFileModified,
            &slot.name,
            Some(first),
            format!(
                "file name says it starts at seq {}, first record is {first}",
                slot.seq
            ),
        );
    }
    if entry.is_none() {
        let range = first_last.map_or_else(
            || "no records".to_owned(),
            |(f, l)| format!("records {f}..={l}"),
        );
        if after_digests {
            report.push(
                FindingKind::NotYetCovered,
                &slot.name,
                first_last.map(|(f, _)| f),
                format!("{range} not yet covered by a digest"),
            );
        } else {
            report.push(
                FindingKind::LogFileAdded,
                &slot.name,
                first_last.map(|(f, _)| f),
                format!("{range}: no digest lists this file, yet digests cover later files"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;
    use crate::{AuditLog, AuditOptions, DigestSigner, IdentityType, UserIdentity};

    /// A log sealed by a digest in the format written before record hashing
    /// (`hashAlgorithm: "SHA-256"`, the file's bytes) still validates, and an
    /// edit to it is still found.
    #[test]
    fn digests_that_hash_file_bytes_still_validate() {
        let dir = tempfile::tempdir().unwrap();
        let (signer, pkcs8) = DigestSigner::generate().unwrap();
        let public = signer.public_key_der().to_vec();
        let mut log = AuditLog::open(dir.path(), signer, AuditOptions::default()).unwrap();
        for _ in 0..5 {
            let id = UserIdentity::new(IdentityType::Root);
            log.append(&Event::new("kms.amazonaws.com", "Encrypt", "us-east-1", id))
                .unwrap();
        }
        log.close().unwrap();
        assert!(validate(dir.path(), &public).ok());

        let digest_path = std::fs::read_dir(dir.path().join(DIGEST_DIR))
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        let (mut file, _) = digest::parse(&std::fs::read(&digest_path).unwrap()).unwrap();
        let log_name = file.body.log_files[0].file_name.clone();
        let log_path = dir.path().join(&log_name);
        let entry = &mut file.body.log_files[0];
        entry.hash_algorithm = digest::HASH_ALGORITHM.to_owned();
        entry.hash_value = hex::encode(&record::sha256(&std::fs::read(&log_path).unwrap()));
        let signer = DigestSigner::from_pkcs8(&pkcs8).unwrap();
        let signature = signer
            .sign(&digest::signed_bytes(&file.body).unwrap())
            .unwrap();
        file.digest_signature = hex::encode(&signature);
        std::fs::write(&digest_path, digest::file_bytes(&file).unwrap()).unwrap();
        let r = validate(dir.path(), &public);
        assert!(r.ok() && r.findings.is_empty(), "{r:?}");

        // Renumbering a record keeps every record hash and the canonical form:
        // only the hash of the file's bytes notices.
        let text = std::fs::read_to_string(&log_path).unwrap();
        std::fs::write(&log_path, text.replacen("{\"seq\":3,", "{\"seq\":9,", 1)).unwrap();
        let r = validate(dir.path(), &public);
        assert!(
            r.findings
                .iter()
                .any(|f| f.kind == FindingKind::LogFileModified),
            "{r:?}"
        );
    }
}
