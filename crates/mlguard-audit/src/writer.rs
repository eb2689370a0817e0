//! The append-only writer.
//!
//! Appends go to a buffered file; `flush` (called periodically by the server)
//! and rotation are the only places that fsync, which is what keeps appends
//! cheap. A digest seals every file it lists: after a digest, the next append
//! starts a new file, so a listed file never changes again and its hash in the
//! digest stays true.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use time::OffsetDateTime;

use crate::digest::{
    self, DigestBody, DigestFile, FILE_HASH_ALGORITHM, HASH_ALGORITHM, LogFileEntry,
    SIGNATURE_ALGORITHM,
};
use crate::event::{format_time, now_seconds};
use crate::record::{self, DIGEST_DIR, ZERO_HASH};
use crate::{DigestSigner, Error, Event, Result, hex};

/// When to rotate log files (each rotation also writes a digest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditOptions {
    /// Rotate before a file would grow past this many bytes. A single record
    /// larger than this still gets a file of its own.
    pub max_file_bytes: u64,
    /// Rotate once the current file is this old (checked on `append` and
    /// `flush`), so an idle server still seals and signs its recent events.
    pub max_file_age: Duration,
}

impl Default for AuditOptions {
    /// 32 MiB or 5 minutes, CloudTrail's own delivery cadence.
    fn default() -> Self {
        AuditOptions {
            max_file_bytes: 32 * 1024 * 1024,
            max_file_age: Duration::from_secs(300),
        }
    }
}

/// A torn (crash-interrupted) last line removed when the log was reopened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TornTail {
    /// Log file name, relative to the log directory.
    pub file: String,
    /// File length after truncation: where the partial line began.
    pub offset: u64,
    /// How many bytes of partial line were removed.
    pub removed_bytes: u64,
}

/// What [`AuditLog::open`] found and repaired.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpenReport {
    /// Partial last lines truncated away (only ever in files no digest covers).
    pub torn_tails: Vec<TornTail>,
    /// Files left empty by that truncation, removed so no digest lists a file
    /// without records.
    pub removed_empty_files: Vec<String>,
    /// Seq of the newest record found, if any.
    pub last_seq: Option<u64>,
    /// Number of digest files found.
    pub digests_found: usize,
    /// Log files written after the last digest; the next digest covers them.
    pub uncovered_files: Vec<String>,
}

/// The file currently being appended to.
struct Current {
    name: String,
    writer: BufWriter<File>,
    opened: Instant,
    bytes: u64,
    hasher: record::FileHash,
    /// Set by the first append (files are created by the append that fills them).
    meta: Option<FileMeta>,
}

/// What a digest needs to know about a file's records.
#[derive(Clone)]
struct FileMeta {
    first_seq: u64,
    last_seq: u64,
    oldest: OffsetDateTime,
    newest: OffsetDateTime,
    last_hash: [u8; 32],
}

impl FileMeta {
    fn new(seq: u64, t: OffsetDateTime, hash: [u8; 32]) -> Self {
        FileMeta {
            first_seq: seq,
            last_seq: seq,
            oldest: t,
            newest: t,
            last_hash: hash,
        }
    }

    fn add(&mut self, seq: u64, t: OffsetDateTime, hash: [u8; 32]) {
        self.last_seq = seq;
        self.oldest = self.oldest.min(t);
        self.newest = self.newest.max(t);
        self.last_hash = hash;
    }

    fn entry(&self, file_name: String, file_hash: &[u8; 32]) -> LogFileEntry {
        LogFileEntry {
            file_name,
            hash_value: hex::encode(file_hash),
            hash_algorithm: FILE_HASH_ALGORITHM.to_owned(),
            oldest_event_time: Some(format_time(self.oldest)),
            newest_event_time: Some(format_time(self.newest)),
            first_seq: self.first_seq,
            last_seq: self.last_seq,
            last_record_hash: hex::encode(&self.last_hash),
        }
    }
}

/// The previous digest, which the next one links to.
struct DigestLink {
    name: String,
    file_hash: [u8; 32],
    signature: String,
    end_time: String,
}

/// An open, append-only audit log. One writer per directory (enforced with a
/// lock file on `<dir>/.lock`).
///
/// Dropping it without [`AuditLog::close`] writes out buffered lines (without
/// fsync) but no digest; the next `open` re-verifies those unsealed files and
/// the next digest covers them.
pub struct AuditLog {
    dir: PathBuf,
    digest_dir: PathBuf,
    signer: DigestSigner,
    options: AuditOptions,
    /// Seq the next record gets.
    next_seq: u64,
    /// Hash of the newest record (the next record's prevHash).
    head: [u8; 32],
    current: Option<Current>,
    /// Sealed files not yet in a digest.
    pending: Vec<LogFileEntry>,
    last_digest: Option<DigestLink>,
    next_digest_seq: u64,
    opened_at: String,
    /// When `open` ran: files left unsealed by an earlier run count their age
    /// from here.
    opened: Instant,
    dir_needs_sync: bool,
    poisoned: bool,
    report: OpenReport,
    event_buf: Vec<u8>,
    line_buf: Vec<u8>,
    _lock: File,
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditLog")
            .field("dir", &self.dir)
            .field("next_seq", &self.next_seq)
            .field("current", &self.current.as_ref().map(|c| &c.name))
            .finish_non_exhaustive()
    }
}

impl AuditLog {
    /// Opens (creating if needed) the log in `dir` and resumes its chain.
    ///
    /// Any files written after the last digest are re-read and their chain
    /// verified; a partial last line left by a crash is truncated away and
    /// listed in [`AuditLog::open_report`]. If that unsealed tail does not
    /// verify, or the last digest cannot be read, or it was signed by a
    /// different key, `open` refuses with [`Error::Corrupt`] instead of
    /// building on a chain it cannot vouch for: run [`crate::validate`] and
    /// move the damaged files aside.
    pub fn open(dir: &Path, signer: DigestSigner, options: AuditOptions) -> Result<AuditLog> {
        let digest_dir = dir.join(DIGEST_DIR);
        std::fs::create_dir_all(&digest_dir).map_err(|e| Error::io(&digest_dir, e))?;
        let lock = lock_dir(dir)?;
        let mut report = OpenReport::default();

        let digests = record::list(&digest_dir, "digest-", record::parse_digest_file_name)
            .map_err(|e| Error::io(&digest_dir, e))?;
        report.digests_found = digests.len();
        // Badly named files are left for `validate` to report; they are not
        // part of the chain the writer continues.
        let newest = digests.iter().rev().find(|d| d.seq.is_some());
        let (mut next_seq, mut head, last_digest, next_digest_seq) = match newest {
            None => (1, ZERO_HASH, None, 0),
            Some(last) => resume_digest(&digest_dir, &last.name, &signer)?,
        };
        let covered_upto = next_seq.saturating_sub(1);

        let logs = record::list(dir, "events-", record::parse_log_file_name)
            .map_err(|e| Error::io(dir, e))?;
        let mut pending = Vec::new();
        for listed in logs {
            let Some(first) = listed.seq else {
                continue;
            };
            if last_digest.is_some() && first <= covered_upto {
                continue; // sealed by a digest: never touched again
            }
            let path = dir.join(&listed.name);
            match resume_file(&path, &listed.name, next_seq, head, &mut report)? {
                Some((entry, meta)) => {
                    next_seq = meta.last_seq.saturating_add(1);
                    head = meta.last_hash;
                    report.uncovered_files.push(listed.name);
                    pending.push(entry);
                }
                None => {
                    std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
                    report.removed_empty_files.push(listed.name);
                }
            }
        }
        report.last_seq = next_seq.checked_sub(1).filter(|s| *s > 0);
        let dir_needs_sync =
            !report.torn_tails.is_empty() || !report.removed_empty_files.is_empty();

        let mut log = AuditLog {
            dir: dir.to_path_buf(),
            digest_dir,
            signer,
            options,
            next_seq,
            head,
            current: None,
            pending,
            last_digest,
            next_digest_seq,
            opened_at: format_time(now_seconds()),
            opened: Instant::now(),
            dir_needs_sync,
            poisoned: false,
            report,
            event_buf: Vec::with_capacity(4096),
            line_buf: Vec::with_capacity(4096),
            _lock: lock,
        };
        if log.dir_needs_sync {
            log.sync_dir()?;
        }
        Ok(log)
    }

    /// What `open` found and repaired.
    #[must_use]
    pub fn open_report(&self) -> &OpenReport {
        &self.report
    }

    /// Seq the next appended event will get.
    #[must_use]
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// Appends one event. Buffered: durable after the next [`Self::flush`],
    /// rotation or [`Self::close`].
    pub fn append(&mut self, event: &Event) -> Result<()> {
        if self.poisoned {
            return Err(Error::Poisoned);
        }
        self.event_buf.clear();
        crate::json::event(&mut self.event_buf, event);
        let seq = self.next_seq;
        let hash = record::record_hash(&self.head, &self.event_buf);
        self.line_buf.clear();
        record::encode_line(&mut self.line_buf, seq, &self.head, &hash, &self.event_buf);
        let line_len = u64::try_from(self.line_buf.len()).unwrap_or(u64::MAX);

        if let Some(cur) = &self.current {
            let too_big = cur.bytes.saturating_add(line_len) > self.options.max_file_bytes;
            let too_old = cur.opened.elapsed() >= self.options.max_file_age;
            if cur.bytes > 0 && (too_big || too_old) {
                self.write_digest()?;
            }
        }
        if self.current.is_none() {
            self.start_file(seq)?;
        }
        let Some(cur) = self.current.as_mut() else {
            return Err(Error::Poisoned);
        };
        if let Err(e) = cur.writer.write_all(&self.line_buf) {
            // Part of the line may be in the file: only a reopen (which
            // truncates the torn tail) restores a known state.
            self.poisoned = true;
            return Err(Error::io(self.dir.join(&cur.name), e));
        }
        cur.hasher.add(seq, &hash);
        cur.bytes = cur.bytes.saturating_add(line_len);
        match cur.meta.as_mut() {
            None => cur.meta = Some(FileMeta::new(seq, event.event_time, hash)),
            Some(m) => m.add(seq, event.event_time, hash),
        }
        self.head = hash;
        self.next_seq = seq.saturating_add(1);
        Ok(())
    }

    /// Writes buffered records to disk and fsyncs them. Also rotates (and
    /// writes a digest) if the current file has reached `max_file_age` (or
    /// files left unsealed by a previous run have been waiting that long), so
    /// a server that calls this periodically gets signed digests even when
    /// idle.
    pub fn flush(&mut self) -> Result<()> {
        if self.poisoned {
            return Err(Error::Poisoned);
        }
        let max_age = self.options.max_file_age;
        let too_old = self
            .current
            .as_ref()
            .is_some_and(|c| c.opened.elapsed() >= max_age)
            || (!self.pending.is_empty() && self.opened.elapsed() >= max_age);
        if too_old {
            return self.write_digest();
        }
        if let Some(cur) = self.current.as_mut() {
            let path = self.dir.join(&cur.name);
            let res = cur
                .writer
                .flush()
                .and_then(|()| cur.writer.get_ref().sync_data());
            if let Err(e) = res {
                self.poisoned = true;
                return Err(Error::io(path, e));
            }
        }
        if self.dir_needs_sync {
            self.sync_dir()?;
        }
        Ok(())
    }

    /// Seals the current file (if any) and writes a signed digest covering
    /// every file sealed since the previous digest. Written even when nothing
    /// was logged, so the digest chain also vouches for quiet periods.
    pub fn write_digest(&mut self) -> Result<()> {
        if self.poisoned {
            return Err(Error::Poisoned);
        }
        self.seal_current()?;
        let body = DigestBody {
            digest_seq: self.next_digest_seq,
            digest_start_time: self
                .last_digest
                .as_ref()
                .map_or_else(|| self.opened_at.clone(), |d| d.end_time.clone()),
            digest_end_time: format_time(now_seconds()),
            digest_public_key_fingerprint: self.signer.fingerprint().to_owned(),
            digest_signature_algorithm: SIGNATURE_ALGORITHM.to_owned(),
            newest_event_time: self
                .pending
                .iter()
                .filter_map(|e| e.newest_event_time.clone())
                .max(),
            oldest_event_time: self
                .pending
                .iter()
                .filter_map(|e| e.oldest_event_time.clone())
                .min(),
            previous_digest_file_name: self.last_digest.as_ref().map(|d| d.name.clone()),
            previous_digest_hash_value: self
                .last_digest
                .as_ref()
                .map(|d| hex::encode(&d.file_hash)),
            previous_digest_hash_algorithm: self
                .last_digest
                .as_ref()
                .map(|_| HASH_ALGORITHM.to_owned()),
            previous_digest_signature: self.last_digest.as_ref().map(|d| d.signature.clone()),
            chain_head_seq: self.next_seq.checked_sub(1).filter(|s| *s > 0),
            chain_head_hash: hex::encode(&self.head),
            log_files: self.pending.clone(),
        };
        let signature = hex::encode(&self.signer.sign(&digest::signed_bytes(&body)?)?);
        let end_time = body.digest_end_time.clone();
        let file = DigestFile {
            body,
            digest_signature: signature.clone(),
        };
        let bytes = digest::file_bytes(&file)?;
        let name = record::digest_file_name(now_seconds(), self.next_digest_seq);
        self.write_atomically(&name, &bytes)?;
        self.last_digest = Some(DigestLink {
            name,
            file_hash: record::sha256(&bytes),
            signature,
            end_time,
        });
        self.next_digest_seq = self.next_digest_seq.saturating_add(1);
        self.pending.clear();
        Ok(())
    }

    /// Seals the current file, writes a final digest and releases the
    /// directory lock.
    pub fn close(mut self) -> Result<()> {
        self.write_digest()
    }

    /// Creates the next log file, named after the seq of its first record.
    fn start_file(&mut self, first_seq: u64) -> Result<()> {
        let name = record::log_file_name(now_seconds(), first_seq);
        let path = self.dir.join(&name);
        let file = OpenOptions::new()
            .append(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        self.current = Some(Current {
            name,
            writer: BufWriter::with_capacity(256 * 1024, file),
            opened: Instant::now(),
            bytes: 0,
            hasher: record::FileHash::new(),
            meta: None,
        });
        self.dir_needs_sync = true;
        Ok(())
    }

    /// Flushes and fsyncs the current file and moves it to `pending`.
    fn seal_current(&mut self) -> Result<()> {
        let Some(mut cur) = self.current.take() else {
            return Ok(());
        };
        let path = self.dir.join(&cur.name);
        let res = cur
            .writer
            .flush()
            .and_then(|()| cur.writer.get_ref().sync_all());
        if let Err(e) = res {
            self.poisoned = true;
            return Err(Error::io(path, e));
        }
        if self.dir_needs_sync {
            self.sync_dir()?;
        }
        // A file without records is never listed (and never created: files
        // are opened by the append that fills them).
        if let Some(meta) = cur.meta.take() {
            let file_hash = cur.hasher.finish();
            self.pending.push(meta.entry(cur.name, &file_hash));
        }
        Ok(())
    }

    /// Writes a digest via a temporary file and rename, so a crash never
    /// leaves a half-written digest under a digest name.
    fn write_atomically(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        let path = self.digest_dir.join(name);
        if path.exists() {
            return Err(Error::Corrupt(format!("digest {name} already exists")));
        }
        let tmp = self.digest_dir.join(format!(".{name}.tmp"));
        let write = || -> std::io::Result<()> {
            let mut f = File::create(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
            std::fs::rename(&tmp, &path)?;
            File::open(&self.digest_dir)?.sync_all()
        };
        write().map_err(|e| Error::io(&path, e))
    }

    fn sync_dir(&mut self) -> Result<()> {
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| Error::io(&self.dir, e))?;
        self.dir_needs_sync = false;
        Ok(())
    }
}

/// Takes an exclusive lock on `<dir>/.lock` so two writers never interleave
/// lines in one chain.
fn lock_dir(dir: &Path) -> Result<File> {
    let path = dir.join(".lock");
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| Error::io(&path, e))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(Error::Corrupt(format!(
            "{} is locked by another writer",
            dir.display()
        ))),
        Err(std::fs::TryLockError::Error(e)) => Err(Error::io(&path, e)),
    }
}

type Resumed = (u64, [u8; 32], Option<DigestLink>, u64);

/// Reads the newest digest: where the chain stood and how to link to it.
fn resume_digest(digest_dir: &Path, name: &str, signer: &DigestSigner) -> Result<Resumed> {
    let path = digest_dir.join(name);
    let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
    let (file, _) =
        digest::parse(&bytes).map_err(|e| Error::Corrupt(format!("last digest {name}: {e}")))?;
    let body = &file.body;
    if body.digest_public_key_fingerprint != signer.fingerprint() {
        return Err(Error::Corrupt(format!(
            "last digest {name} was signed by key {}, not this signer's {}",
            body.digest_public_key_fingerprint,
            signer.fingerprint()
        )));
    }
    if record::parse_digest_file_name(name) != Some(body.digest_seq) {
        return Err(Error::Corrupt(format!(
            "last digest {name} claims digestSeq {}",
            body.digest_seq
        )));
    }
    let head = hex::decode32(&body.chain_head_hash)
        .ok_or_else(|| Error::Corrupt(format!("last digest {name}: bad chainHeadHash")))?;
    let next_seq = body.chain_head_seq.map_or(1, |s| s.saturating_add(1));
    let link = DigestLink {
        name: name.to_owned(),
        file_hash: record::sha256(&bytes),
        signature: file.digest_signature.clone(),
        end_time: body.digest_end_time.clone(),
    };
    Ok((
        next_seq,
        head,
        Some(link),
        body.digest_seq.saturating_add(1),
    ))
}

/// Re-reads a file no digest covers yet: checks the chain continues from
/// (`next_seq`, `head`), then truncates a torn last line, and returns its
/// digest entry (`None` if the file holds no complete record).
///
/// Verification comes first so that a file `open` refuses is left exactly as
/// found.
fn resume_file(
    path: &Path,
    name: &str,
    next_seq: u64,
    head: [u8; 32],
    report: &mut OpenReport,
) -> Result<Option<(LogFileEntry, FileMeta)>> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    // Everything up to and including the last newline is complete lines; a
    // crash can only leave a partial line after it.
    let complete = bytes
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i.saturating_add(1));
    let mut meta: Option<FileMeta> = None;
    let mut file_hash = record::FileHash::new();
    let (mut expect_seq, mut prev) = (next_seq, head);
    let whole = bytes.get(..complete).unwrap_or_default();
    for (i, line) in whole.split(|b| *b == b'\n').enumerate() {
        if line.is_empty() {
            continue; // only the empty piece after the final newline
        }
        let corrupt = |what: String| {
            Error::Corrupt(format!(
                "{name} line {}: {what}; run validate",
                i.saturating_add(1)
            ))
        };
        let rec = record::parse_line(line).map_err(corrupt)?;
        if rec.seq != expect_seq || rec.prev_hash != prev || !rec.hash_ok() {
            return Err(corrupt(format!(
                "record {} does not continue the chain at seq {expect_seq}",
                rec.seq
            )));
        }
        let event: Event =
            serde_json::from_str(rec.event_json).map_err(|e| corrupt(e.to_string()))?;
        match meta.as_mut() {
            None => meta = Some(FileMeta::new(rec.seq, event.event_time, rec.hash)),
            Some(m) => m.add(rec.seq, event.event_time, rec.hash),
        }
        file_hash.add(rec.seq, &rec.hash);
        expect_seq = rec.seq.saturating_add(1);
        prev = rec.hash;
    }
    if complete < bytes.len() {
        let removed = bytes.len().saturating_sub(complete);
        let offset = u64::try_from(complete).unwrap_or(u64::MAX);
        OpenOptions::new()
            .write(true)
            .open(path)
            .and_then(|f| f.set_len(offset).and_then(|()| f.sync_all()))
            .map_err(|e| Error::io(path, e))?;
        report.torn_tails.push(TornTail {
            file: name.to_owned(),
            offset,
            removed_bytes: u64::try_from(removed).unwrap_or(u64::MAX),
        });
    }
    let file_hash = file_hash.finish();
    Ok(meta.map(|m| (m.entry(name.to_owned(), &file_hash), m)))
}
