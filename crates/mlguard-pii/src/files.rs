//! Scanning files: text, CSV, JSON Lines and their gzip forms, one report per
//! file with findings grouped by type and column (or JSON field), masked
//! samples and locations. A file that cannot be read or parsed is reported
//! with its error and does not stop the scan.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, mpsc};

use serde::Serialize;

use crate::detect::{ColumnContext, Detector};
use crate::types::{Finding, Label, Severity};

/// How many masked samples and locations a group keeps.
const MAX_SAMPLES: usize = 3;
const MAX_LOCATIONS: usize = 20;

/// Text pieces handed to the detector at once (cut at line ends).
const PIECE: usize = 64 * 1024;

/// What to scan and how.
#[derive(Clone, Debug)]
pub struct ScanOptions {
    /// Fraction of records (lines, rows) to scan, in `(0, 1]`; records are
    /// picked deterministically, so two runs report the same.
    pub sample_rate: f64,
    /// Bytes read so far, across files and threads, for a progress display.
    pub progress: Option<std::sync::Arc<std::sync::atomic::AtomicU64>>,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            sample_rate: 1.0,
            progress: None,
        }
    }
}

impl ScanOptions {
    fn advance(&self, bytes: u64) {
        if let Some(p) = &self.progress {
            p.fetch_add(bytes, std::sync::atomic::Ordering::Relaxed);
        }
    }
}

/// A file's format, from its name (a `.gz` suffix is looked through).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Plain text, line by line.
    Text,
    /// Comma-separated values with a header row.
    Csv,
    /// One JSON document per line.
    Jsonl,
    /// Apache Parquet (the `parquet` feature): every string and number cell,
    /// nested groups, lists and maps included.
    Parquet,
}

impl Format {
    fn of(path: &Path) -> (Format, bool) {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        let gz = name.ends_with(".gz");
        let inner = name.trim_end_matches(".gz");
        let format = if inner.ends_with(".parquet") || inner.ends_with(".parq") {
            Format::Parquet
        } else if inner.ends_with(".csv") || inner.ends_with(".tsv") {
            Format::Csv
        } else if inner.ends_with(".jsonl")
            || inner.ends_with(".ndjson")
            || inner.ends_with(".json")
        {
            Format::Jsonl
        } else {
            Format::Text
        };
        (format, gz)
    }
}

/// Where one finding is.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    /// Line (text, JSON Lines) or row (CSV, the header is row 1), from 1.
    pub line: u64,
    /// Column name (CSV) or field path (JSON), when the file has them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Byte offset of the finding in the (decompressed) file, where known
    /// exactly (text); for CSV and JSON Lines, of its record; none for Parquet,
    /// whose rows are not stored contiguously.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub byte_offset: Option<u64>,
}

/// Findings of one type in one column or field (or in the whole text).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    /// The type (Comprehend's name) or custom identifier's name.
    #[serde(rename = "type")]
    pub kind: String,
    /// Macie's severity for one occurrence.
    pub severity: Severity,
    /// Column or field, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Occurrences.
    pub count: u64,
    /// Highest score seen.
    pub max_score: f32,
    /// Masked values (never the raw value).
    pub samples: Vec<String>,
    /// The first locations.
    pub locations: Vec<Location>,
}

/// One file's results.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileReport {
    /// The file.
    pub path: PathBuf,
    /// How it was read.
    pub format: Format,
    /// Compressed with gzip.
    pub gzip: bool,
    /// Bytes scanned (decompressed).
    pub bytes: u64,
    /// Records (lines or rows) scanned.
    pub records: u64,
    /// Records that could not be parsed (skipped).
    pub malformed: u64,
    /// Why the file could not be scanned, if it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Findings by type and field.
    pub findings: Vec<Group>,
}

impl FileReport {
    /// A report of nothing scanned yet.
    fn new(path: PathBuf, format: Format, gzip: bool) -> FileReport {
        FileReport {
            path,
            format,
            gzip,
            bytes: 0,
            records: 0,
            malformed: 0,
            error: None,
            findings: Vec::new(),
        }
    }

    /// The most severe finding's severity.
    #[must_use]
    pub fn max_severity(&self) -> Option<Severity> {
        self.findings.iter().map(|g| g.severity).max()
    }
}

/// Every regular file under `paths` (directories walked recursively, in name
/// order); unreadable directories are returned as errors.
pub fn collect(paths: &[PathBuf]) -> Vec<Result<PathBuf, (PathBuf, String)>> {
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for p in paths {
        walk(p, &mut out, &mut seen);
    }
    out
}

/// `seen`: the directories walked so far, resolved, so a symbolic link back up
/// the tree (or two links to one directory) is walked once, not forever.
fn walk(
    path: &Path,
    out: &mut Vec<Result<PathBuf, (PathBuf, String)>>,
    seen: &mut std::collections::HashSet<PathBuf>,
) {
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => {
            if let Ok(resolved) = std::fs::canonicalize(path)
                && !seen.insert(resolved)
            {
                return;
            }
            match std::fs::read_dir(path) {
                Ok(entries) => {
                    let mut children: Vec<PathBuf> =
                        entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
                    children.sort();
                    for c in children {
                        walk(&c, out, seen);
                    }
                }
                Err(e) => out.push(Err((path.to_path_buf(), e.to_string()))),
            }
        }
        Ok(m) if m.is_file() => out.push(Ok(path.to_path_buf())),
        Ok(_) => {}
        Err(e) => out.push(Err((path.to_path_buf(), e.to_string()))),
    }
}

/// Groups with the PII in their field names masked: a CSV file without a
/// header row has its first row as column names, and JSON keys can be
/// values (`{"users": {"zoe@example.com": …}}`); a report shows no raw value,
/// in a field name either.
fn masked_fields(detector: &Detector, mut groups: Vec<Group>) -> Vec<Group> {
    let mut masked: Vec<(String, String)> = Vec::new();
    for g in &mut groups {
        let Some(field) = g.field.as_deref() else {
            continue;
        };
        let safe = match masked.iter().find(|(raw, _)| raw == field) {
            Some((_, safe)) => safe.clone(),
            None => {
                let mut safe = field.to_owned();
                let mut found = detector.detect(field);
                found.sort_by_key(|f| std::cmp::Reverse(f.start));
                for f in found {
                    if let Some(span) = field.get(f.start..f.end) {
                        safe.replace_range(f.start..f.end, &crate::mask(span));
                    }
                }
                masked.push((field.to_owned(), safe.clone()));
                safe
            }
        };
        if safe != field {
            for l in &mut g.locations {
                l.field = Some(safe.clone());
            }
            g.field = Some(safe);
        }
    }
    groups
}

/// Accumulates findings into groups.
struct Groups<'d> {
    detector: &'d Detector,
    groups: Vec<Group>,
}

impl Groups<'_> {
    fn add(
        &mut self,
        label: Label,
        field: Option<&str>,
        finding: &Finding,
        value: &str,
        line: u64,
        byte_offset: Option<u64>,
    ) {
        let kind = self.detector.label_name(label);
        let group = match self
            .groups
            .iter_mut()
            .position(|g| g.kind == kind && g.field.as_deref() == field)
        {
            Some(i) => self.groups.get_mut(i),
            None => {
                self.groups.push(Group {
                    kind: kind.to_owned(),
                    severity: self.detector.severity(label),
                    field: field.map(str::to_owned),
                    count: 0,
                    max_score: 0.0,
                    samples: Vec::new(),
                    locations: Vec::new(),
                });
                self.groups.last_mut()
            }
        };
        let Some(group) = group else { return };
        group.count += 1;
        group.max_score = group.max_score.max(finding.score);
        if group.samples.len() < MAX_SAMPLES {
            let masked = crate::mask(value);
            if !group.samples.contains(&masked) {
                group.samples.push(masked);
            }
        }
        // (The location's field is copied only while locations are kept.)
        if group.locations.len() < MAX_LOCATIONS {
            group.locations.push(Location {
                line,
                field: field.map(str::to_owned),
                byte_offset,
            });
        }
    }

    /// [`Groups::add`] of each finding of a batch.
    fn add_owned(&mut self, found: &[Owned]) {
        for o in found {
            self.add(
                o.label,
                o.field.as_deref(),
                &o.finding,
                &o.value,
                o.line,
                o.offset,
            );
        }
    }
}

/// Whether record `index` is in a sample of `rate` (deterministic).
fn sampled(index: u64, rate: f64) -> bool {
    if rate >= 1.0 {
        return true;
    }
    // SplitMix64 of the index, as a fraction.
    let mut z = index.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    #[expect(clippy::cast_precision_loss, reason = "a fraction; 53 bits are plenty")]
    let fraction = (z >> 11) as f64 / (1u64 << 53) as f64;
    fraction < rate
}

/// Scans one file on the calling thread.
#[must_use]
pub fn scan_file(detector: &Detector, path: &Path, options: &ScanOptions) -> FileReport {
    scan_file_in(detector, path, options, None)
}

/// Scans every target on `threads` threads (0: every core); reports come
/// back in the targets' order, and are the same for any number of threads.
///
/// Files are read one per reader thread (as many as threads, at most one per
/// file); each reader cuts its file into batches (64 KiB of text, about as
/// much of CSV rows or JSON lines, 1,024 Parquet rows) that a pool of
/// `threads` workers detects, and merges their findings back in file order.
/// So one large file uses every core, and a fast core takes more batches
/// than a slow one.
#[must_use]
pub fn scan_all<'d>(
    detector: &'d Detector,
    targets: &[Result<PathBuf, (PathBuf, String)>],
    options: &ScanOptions,
    threads: usize,
) -> Vec<FileReport> {
    let threads = match threads {
        0 => std::thread::available_parallelism().map_or(1, usize::from),
        n => n,
    };
    let report = |target: &Result<PathBuf, (PathBuf, String)>, pool: Option<&Pool<'d>>| match target
    {
        Ok(path) => scan_file_in(detector, path, options, pool),
        Err((path, error)) => FileReport {
            error: Some(error.clone()),
            ..FileReport::new(path.clone(), Format::Text, false)
        },
    };
    if threads <= 1 {
        return targets.iter().map(|t| report(t, None)).collect();
    }
    let (jobs, queue) = mpsc::channel::<Job<'d>>();
    let queue = Mutex::new(queue);
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<FileReport>>> = Mutex::new(vec![None; targets.len()]);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| work(&queue));
        }
        let readers = threads.min(targets.len()).max(1);
        // About two batches per worker out at once, over all files.
        let pool = Pool {
            jobs,
            window: (2 * threads).div_ceil(readers).max(2),
        };
        std::thread::scope(|r| {
            for _ in 0..readers.min(targets.len()) {
                r.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(target) = targets.get(i) else { break };
                        let done = report(target, Some(&pool));
                        if let Ok(mut all) = results.lock()
                            && let Some(slot) = all.get_mut(i)
                        {
                            *slot = Some(done);
                        }
                    }
                });
            }
        });
        // Dropping the pool closes the queue: the workers return.
        drop(pool);
    });
    results
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .flatten()
        .collect()
}

/// A detection job: runs on a pool worker and sends its result back.
type Job<'d> = Box<dyn FnOnce() + Send + 'd>;

/// The workers' side of [`scan_all`]'s pool: jobs until the queue closes.
fn work(queue: &Mutex<mpsc::Receiver<Job<'_>>>) {
    loop {
        // (The lock is held only to take a job.)
        let job = match queue.lock() {
            Ok(q) => q.recv(),
            Err(_) => return,
        };
        match job {
            Ok(job) => job(),
            Err(_) => return,
        }
    }
}

/// Where readers send batches to be detected.
struct Pool<'d> {
    jobs: mpsc::Sender<Job<'d>>,
    /// Batches one file may have out at once.
    window: usize,
}

/// One file's batches: run on the pool (or at once, without one) and merged
/// in the order they were cut.
struct Batches<'p, 'd, R> {
    pool: Option<&'p Pool<'d>>,
    done: mpsc::Sender<(u64, Option<R>)>,
    results: mpsc::Receiver<(u64, Option<R>)>,
    sent: u64,
    merged: u64,
    early: BTreeMap<u64, Option<R>>,
    /// A batch whose detection failed (a bug): the file's error.
    failed: bool,
}

impl<'p, 'd, R: Send + 'd> Batches<'p, 'd, R> {
    fn new(pool: Option<&'p Pool<'d>>) -> Self {
        let (done, results) = mpsc::channel();
        Batches {
            pool,
            done,
            results,
            sent: 0,
            merged: 0,
            early: BTreeMap::new(),
            failed: false,
        }
    }

    /// Detects a batch with `detect`; `merge` gets each batch's result in
    /// order (perhaps later, from a later call).
    fn submit(&mut self, detect: impl FnOnce() -> R + Send + 'd, merge: &mut impl FnMut(R)) {
        let Some(pool) = self.pool else {
            merge(detect());
            return;
        };
        let seq = self.sent;
        self.sent += 1;
        let done = self.done.clone();
        let job: Job<'d> = Box::new(move || {
            // A panic is a bug; the reader reports it for the file and the
            // worker lives on.
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(detect)).ok();
            let _ = done.send((seq, result));
        });
        if let Err(mpsc::SendError(job)) = pool.jobs.send(job) {
            // No workers (they cannot be gone while readers run): here.
            job();
        }
        while self.sent - self.merged > pool.window as u64 {
            self.wait(merge);
        }
    }

    /// Waits for one result and merges what is then in order.
    fn wait(&mut self, merge: &mut impl FnMut(R)) {
        let Ok((seq, result)) = self.results.recv() else {
            // Unreachable: `self.done` keeps the channel open.
            self.merged = self.sent;
            return;
        };
        self.early.insert(seq, result);
        while let Some(result) = self.early.remove(&self.merged) {
            match result {
                Some(r) => merge(r),
                None => self.failed = true,
            }
            self.merged += 1;
        }
    }

    /// Merges every batch still out; the file's result: its read error, else
    /// a failed batch's, else none.
    fn close(mut self, merge: &mut impl FnMut(R), read: Result<(), String>) -> Result<(), String> {
        while self.merged < self.sent {
            self.wait(merge);
        }
        read?;
        if self.failed {
            return Err(DETECTION_FAILED.to_owned());
        }
        Ok(())
    }
}

/// Buffers a file's reader fills and batches bring back, to be filled again.
struct Spare<T>(std::cell::RefCell<Vec<T>>);

impl<T> Spare<T> {
    fn new() -> Self {
        Spare(std::cell::RefCell::new(Vec::new()))
    }

    /// A buffer back from a batch, else `make()`.
    fn take(&self, make: impl FnOnce() -> T) -> T {
        self.0
            .try_borrow_mut()
            .ok()
            .and_then(|mut s| s.pop())
            .unwrap_or_else(make)
    }

    /// Keeps `buffers` for [`Spare::take`].
    fn give(&self, buffers: impl IntoIterator<Item = T>) {
        if let Ok(mut s) = self.0.try_borrow_mut() {
            s.extend(buffers);
        }
    }
}

/// Records gathered into a batch: about [`PIECE`] bytes, at most
/// [`BATCH_ROWS`] records.
struct Gather<T> {
    items: Vec<T>,
    bytes: usize,
}

impl<T> Gather<T> {
    fn new() -> Self {
        Gather {
            items: Vec::new(),
            bytes: 0,
        }
    }

    /// Adds a record of `bytes` bytes; the batch, when it is full.
    fn push(&mut self, item: T, bytes: usize) -> Option<Vec<T>> {
        self.items.push(item);
        self.bytes += bytes;
        if self.bytes < PIECE && self.items.len() < BATCH_ROWS {
            return None;
        }
        self.bytes = 0;
        Some(std::mem::take(&mut self.items))
    }

    /// What is left, if anything.
    fn rest(self) -> Option<Vec<T>> {
        (!self.items.is_empty()).then_some(self.items)
    }
}

/// Scans one file, its batches detected on `pool` if there is one.
fn scan_file_in<'d>(
    detector: &'d Detector,
    path: &Path,
    options: &ScanOptions,
    pool: Option<&Pool<'d>>,
) -> FileReport {
    let (format, gzip) = Format::of(path);
    let mut report = FileReport::new(path.to_path_buf(), format, gzip);
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => {
            report.error = Some(e.to_string());
            return report;
        }
    };
    if format == Format::Parquet {
        #[cfg(feature = "parquet")]
        {
            let mut groups = Groups {
                detector,
                groups: Vec::new(),
            };
            // The parquet crate can panic on a corrupt file (an `unwrap` in
            // its Thrift decoder, an index out of bounds in a decoder): the
            // file is reported unreadable and the scan goes on.
            let scanned = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                scan_parquet(&mut groups, file, options, &mut report, pool)
            }));
            match scanned {
                Ok(Ok(())) => {}
                Ok(Err(e)) => report.error = Some(e),
                Err(_) => {
                    report.error = Some(
                        "not a Parquet file mlguard can read: its parser failed on corrupt data"
                            .to_owned(),
                    );
                }
            }
            report.findings = masked_fields(detector, groups.groups);
        }
        #[cfg(not(feature = "parquet"))]
        {
            drop(file);
            report.error = Some("this mlguard was built without the `parquet` feature".to_owned());
        }
        return report;
    }
    let reader: Box<dyn Read> = if gzip {
        Box::new(flate2::read::MultiGzDecoder::new(file))
    } else {
        Box::new(file)
    };
    let mut groups = Groups {
        detector,
        groups: Vec::new(),
    };
    let result = match format {
        Format::Text => scan_text(&mut groups, reader, options, &mut report, pool),
        Format::Csv => scan_csv(&mut groups, reader, options, &mut report, path, pool),
        Format::Jsonl => scan_jsonl(&mut groups, reader, options, &mut report, pool),
        // Read above, from the file itself (Parquet's footer comes first).
        Format::Parquet => Ok(()),
    };
    if let Err(e) = result {
        report.error = Some(e);
    }
    report.findings = masked_fields(detector, groups.groups);
    report
}

/// A file's lines, numbered from 1, each with the byte offset it starts at;
/// reading one counts it into the report's bytes and the scan's progress.
struct Lines {
    reader: BufReader<Box<dyn Read>>,
    raw: Vec<u8>,
    number: u64,
    /// The last part read did not end its line.
    continues: bool,
    /// The last part read starts a line (is a record, not a line's rest).
    starts_line: bool,
}

/// The longest part of a line held at once (see [`Lines::next`]).
const MAX_LINE: u64 = 16 << 20;

impl Lines {
    fn new(reader: BufReader<Box<dyn Read>>) -> Lines {
        Lines {
            reader,
            raw: Vec::new(),
            number: 0,
            continues: false,
            starts_line: false,
        }
    }

    /// Reads the next line into `raw` (with its newline); its number and offset.
    /// A line longer than [`MAX_LINE`] comes in parts of that size, numbered as
    /// the line they belong to, so no input (a gzip bomb of one endless line)
    /// holds more than that in memory.
    fn next(
        &mut self,
        report: &mut FileReport,
        options: &ScanOptions,
    ) -> Result<Option<(u64, u64)>, String> {
        self.raw.clear();
        let n = (&mut self.reader)
            .take(MAX_LINE)
            .read_until(b'\n', &mut self.raw)
            .map_err(|e| format!("read: {e}"))? as u64;
        if n == 0 {
            return Ok(None);
        }
        self.starts_line = !self.continues;
        if self.starts_line {
            self.number += 1;
        }
        self.continues = self.raw.last() != Some(&b'\n');
        let start = report.bytes;
        report.bytes += n;
        options.advance(n);
        Ok(Some((self.number, start)))
    }
}

/// Failure of a batch's detection (a bug, caught): the file's error.
const DETECTION_FAILED: &str = "internal error: detection failed on part of the file";

fn scan_text<'d>(
    groups: &mut Groups<'d>,
    reader: Box<dyn Read>,
    options: &ScanOptions,
    report: &mut FileReport,
    pool: Option<&Pool<'d>>,
) -> Result<(), String> {
    let detector = groups.detector;
    let mut lines = Lines::new(BufReader::with_capacity(PIECE, reader));
    let mut batches = Batches::new(pool);
    // Pieces come back with their findings and are filled again.
    let spare = Spare::new();
    let fresh = || spare.take(|| String::with_capacity(PIECE * 2));
    // A piece's text, its first byte's offset in the file, and each finding
    // with its line.
    let mut merge = |(mut piece, base, found): (String, u64, Vec<(Finding, u64)>)| {
        for (f, line) in &found {
            let value = piece.get(f.start..f.end).unwrap_or_default();
            groups.add(f.label, None, f, value, *line, Some(base + f.start as u64));
        }
        piece.clear();
        spare.give([piece]);
    };
    let detect = move |piece: String, first_line: u64, base: u64| {
        move || {
            let found = detector.detect(&piece);
            let mut line = first_line;
            let mut at = 0;
            let found = found
                .into_iter()
                .map(|f| {
                    line += piece
                        .as_bytes()
                        .get(at..f.start)
                        .map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count() as u64);
                    at = f.start;
                    (f, line)
                })
                .collect();
            (piece, base, found)
        }
    };
    let mut piece = fresh();
    let mut piece_first_line = 1;
    let mut piece_offset = 0;
    // (A read error ends the file: what was read before it is reported.)
    let read = loop {
        let (line_no, start) = match lines.next(report, options) {
            Ok(Some(line)) => line,
            Ok(None) => break Ok(()),
            Err(e) => break Err(e),
        };
        let raw = &lines.raw;
        if !sampled(line_no, options.sample_rate) {
            // A skipped line ends the piece, so line numbers stay exact.
            if !piece.is_empty() {
                let full = std::mem::replace(&mut piece, fresh());
                batches.submit(detect(full, piece_first_line, piece_offset), &mut merge);
            }
            continue;
        }
        report.records += u64::from(lines.starts_line);
        if piece.is_empty() {
            piece_first_line = line_no;
            piece_offset = start;
        }
        match std::str::from_utf8(raw) {
            Ok(s) => piece.push_str(s),
            Err(_) => {
                report.malformed += 1;
                // Keep the line's place: replace it with spaces of its length.
                piece.push_str(&" ".repeat(raw.len().saturating_sub(1)));
                piece.push('\n');
            }
        }
        if piece.len() >= PIECE {
            let full = std::mem::replace(&mut piece, fresh());
            batches.submit(detect(full, piece_first_line, piece_offset), &mut merge);
        }
    };
    if read.is_ok() && !piece.is_empty() {
        batches.submit(detect(piece, piece_first_line, piece_offset), &mut merge);
    }
    batches.close(&mut merge, read)
}

/// CSV rows handed to the detector at once: about [`PIECE`] bytes, at most
/// this many rows.
const BATCH_ROWS: usize = 1024;

/// Rows of a CSV batch: number, byte offset, cells.
type Rows = Vec<(u64, u64, csv::StringRecord)>;

fn scan_csv<'d>(
    groups: &mut Groups<'d>,
    reader: Box<dyn Read>,
    options: &ScanOptions,
    report: &mut FileReport,
    path: &Path,
    pool: Option<&Pool<'d>>,
) -> Result<(), String> {
    let tsv = path
        .to_string_lossy()
        .to_ascii_lowercase()
        .trim_end_matches(".gz")
        .ends_with(".tsv");
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .delimiter(if tsv { b'\t' } else { b',' })
        .from_reader(reader);
    let headers: Vec<String> = csv
        .headers()
        .map_err(|e| format!("header row: {e}"))?
        .iter()
        .map(str::to_owned)
        .collect();
    let detector = groups.detector;
    let contexts: std::sync::Arc<[ColumnContext]> =
        headers.iter().map(|h| detector.column(h)).collect();
    // Records come back with their batch's findings and are read into again.
    let spare = Spare::new();
    let mut batches = Batches::new(pool);
    // A batch's rows and its findings: row in the batch, column, finding.
    let mut merge = |(rows, found): (Rows, Vec<(usize, usize, Finding)>)| {
        for (k, col, f) in &found {
            let Some((row, position, record)) = rows.get(*k) else {
                continue;
            };
            let value = record.get(*col).unwrap_or_default();
            let text = value.get(f.start..f.end).unwrap_or_default();
            let field = headers.get(*col).map(String::as_str);
            groups.add(f.label, field, f, text, *row, Some(*position));
        }
        spare.give(rows.into_iter().map(|(_, _, record)| record));
    };
    let detect = |rows: Rows| {
        let contexts = std::sync::Arc::clone(&contexts);
        move || {
            let mut found = Vec::new();
            let mut cell = Vec::new();
            for (k, (_, _, record)) in rows.iter().enumerate() {
                for (col, value) in record.iter().enumerate() {
                    if value.is_empty() {
                        continue;
                    }
                    let context = contexts.get(col).copied().unwrap_or_default();
                    cell.clear();
                    detector.detect_into(value, context, &mut cell);
                    found.extend(cell.drain(..).map(|f| (k, col, f)));
                }
            }
            (rows, found)
        }
    };
    let fresh = || spare.take(csv::StringRecord::new);
    let mut rows = Gather::new();
    let mut row: u64 = 1;
    let mut record = fresh();
    // (A read error ends the file: what was read before it is reported.)
    let read = loop {
        match csv.read_record(&mut record) {
            Ok(false) => break Ok(()),
            Ok(true) => {}
            Err(e) => {
                // A malformed row (bad quoting, invalid UTF-8) is skipped.
                report.malformed += 1;
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    break Err(format!("read: {e}"));
                }
                continue;
            }
        }
        row += 1;
        let position = record.position().map_or(0, csv::Position::byte);
        let read_to = position + record.as_slice().len() as u64;
        options.advance(read_to.saturating_sub(report.bytes));
        report.bytes = read_to;
        if !sampled(row, options.sample_rate) {
            continue;
        }
        report.records += 1;
        let bytes = record.as_slice().len();
        // Locations name the line the record starts on in the file (a quoted
        // field can span lines; a malformed row is skipped), not its count.
        let line = record.position().map_or(row, csv::Position::line);
        if let Some(full) = rows.push(
            (line, position, std::mem::replace(&mut record, fresh())),
            bytes,
        ) {
            batches.submit(detect(full), &mut merge);
        }
    };
    // Rows read before an error are reported too.
    if let Some(rest) = rows.rest() {
        batches.submit(detect(rest), &mut merge);
    }
    batches.close(&mut merge, read)
}

/// A finding of a JSON Lines or Parquet batch, owned until it is merged.
struct Owned {
    label: Label,
    field: Option<String>,
    finding: Finding,
    value: String,
    line: u64,
    offset: Option<u64>,
}

fn scan_jsonl<'d>(
    groups: &mut Groups<'d>,
    reader: Box<dyn Read>,
    options: &ScanOptions,
    report: &mut FileReport,
    pool: Option<&Pool<'d>>,
) -> Result<(), String> {
    let detector = groups.detector;
    let mut lines = Lines::new(BufReader::new(reader));
    let mut batches = Batches::new(pool);
    // Records parsed and lines that did not parse, counted as batches merge.
    let (parsed, malformed) = (std::cell::Cell::new(0), std::cell::Cell::new(0));
    let mut merge = |(found, ok, bad): (Vec<Owned>, u64, u64)| {
        groups.add_owned(&found);
        parsed.set(parsed.get() + ok);
        malformed.set(malformed.get() + bad);
    };
    // Lines of a batch: number, byte offset, bytes.
    let detect = |batch: Vec<(u64, u64, Vec<u8>)>| {
        move || {
            let mut found = Vec::new();
            let (mut ok, mut bad) = (0, 0);
            let mut path = String::new();
            for (line, start, raw) in &batch {
                let value: serde_json::Value = match serde_json::from_slice(raw) {
                    Ok(v) => v,
                    Err(_) => {
                        bad += 1;
                        continue;
                    }
                };
                ok += 1;
                path.clear();
                visit(
                    detector,
                    &mut found,
                    &value,
                    &mut path,
                    *line,
                    Some(*start),
                    0,
                );
            }
            (found, ok, bad)
        }
    };
    let mut batch = Gather::new();
    // (A read error ends the file: what was read before it is reported.)
    let read = loop {
        let (line, start) = match lines.next(report, options) {
            Ok(Some(line)) => line,
            Ok(None) => break Ok(()),
            Err(e) => break Err(e),
        };
        let raw = &lines.raw;
        if raw.iter().all(u8::is_ascii_whitespace) || !sampled(line, options.sample_rate) {
            continue;
        }
        if let Some(full) = batch.push((line, start, raw.clone()), raw.len()) {
            batches.submit(detect(full), &mut merge);
        }
    };
    // Lines read before an error are reported too.
    if let Some(rest) = batch.rest() {
        batches.submit(detect(rest), &mut merge);
    }
    let result = batches.close(&mut merge, read);
    report.records += parsed.get();
    report.malformed += malformed.get();
    result
}

/// Scans one value of a record; the last part of its field path (`user.email`
/// → `email`) is its context.
fn scan_value(
    detector: &Detector,
    found: &mut Vec<Owned>,
    text: &str,
    path: &str,
    line: u64,
    offset: Option<u64>,
) {
    let key = path.rsplit('.').next().unwrap_or(path);
    let context = detector.column(key);
    for f in detector.detect_in(text, context) {
        let v = text.get(f.start..f.end).unwrap_or_default();
        let field = (!path.is_empty()).then_some(path);
        found.push(Owned {
            label: f.label,
            field: field.map(str::to_owned),
            finding: f,
            value: v.to_owned(),
            line,
            offset,
        });
    }
}

/// Appends `key` to a dotted field path; returns the length to truncate back to.
fn push_key(path: &mut String, key: &str) -> usize {
    let len = path.len();
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(key);
    len
}

/// Scans the strings (and numbers) of a JSON value.
fn visit(
    detector: &Detector,
    found: &mut Vec<Owned>,
    value: &serde_json::Value,
    path: &mut String,
    line: u64,
    offset: Option<u64>,
    depth: usize,
) {
    use serde_json::Value;
    if depth > 64 {
        return;
    }
    match value {
        Value::String(s) => scan_value(detector, found, s, path, line, offset),
        Value::Number(n) => scan_value(detector, found, &n.to_string(), path, line, offset),
        Value::Array(items) => {
            for item in items {
                visit(detector, found, item, path, line, offset, depth + 1);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                let len = push_key(path, k);
                visit(detector, found, v, path, line, offset, depth + 1);
                path.truncate(len);
            }
        }
        Value::Bool(_) | Value::Null => {}
    }
}

#[cfg(feature = "parquet")]
fn scan_parquet<'d>(
    groups: &mut Groups<'d>,
    file: std::fs::File,
    options: &ScanOptions,
    report: &mut FileReport,
    pool: Option<&Pool<'d>>,
) -> Result<(), String> {
    use parquet::file::reader::{FileReader as _, SerializedFileReader};
    report.bytes = file.metadata().map_or(0, |m| m.len());
    options.advance(report.bytes);
    let reader = SerializedFileReader::new(file).map_err(|e| format!("not a Parquet file: {e}"))?;
    let rows = reader
        .get_row_iter(None)
        .map_err(|e| format!("reading rows: {e}"))?;
    let detector = groups.detector;
    let mut batches = Batches::new(pool);
    let mut merge = |found: Vec<Owned>| groups.add_owned(&found);
    // Rows of a batch, each with its number.
    let detect = |batch: Vec<(u64, parquet::record::Row)>| {
        move || {
            let mut found = Vec::new();
            let mut path = String::new();
            for (line, row) in &batch {
                for (name, field) in row.get_column_iter() {
                    let len = push_key(&mut path, name);
                    visit_parquet(detector, &mut found, field, &mut path, *line, 0);
                    path.truncate(len);
                }
            }
            found
        }
    };
    let mut batch = Gather::new();
    // (A row that cannot be read ends the file: the rows before it are
    // reported.)
    let mut read = Ok(());
    for (index, row) in rows.enumerate() {
        let line = index as u64 + 1;
        let row = match row {
            Ok(row) => row,
            Err(e) => {
                read = Err(format!("row {line}: {e}"));
                break;
            }
        };
        if !sampled(line, options.sample_rate) {
            continue;
        }
        report.records += 1;
        // (Rows are batched by count: a row's size is not known.)
        if let Some(full) = batch.push((line, row), 0) {
            batches.submit(detect(full), &mut merge);
        }
    }
    if let Some(rest) = batch.rest() {
        batches.submit(detect(rest), &mut merge);
    }
    batches.close(&mut merge, read)
}

/// Scans the strings and numbers of a Parquet cell (groups, lists and maps too).
#[cfg(feature = "parquet")]
fn visit_parquet(
    detector: &Detector,
    found: &mut Vec<Owned>,
    field: &parquet::record::Field,
    path: &mut String,
    line: u64,
    depth: usize,
) {
    use parquet::record::Field;
    if depth > 64 {
        return;
    }
    match field {
        Field::Str(s) => scan_value(detector, found, s, path, line, None),
        Field::Bytes(b) => {
            if let Ok(s) = std::str::from_utf8(b.data()) {
                scan_value(detector, found, s, path, line, None);
            }
        }
        Field::Int(_) | Field::Long(_) | Field::UInt(_) | Field::ULong(_) | Field::Decimal(_) => {
            scan_value(detector, found, &field.to_string(), path, line, None);
        }
        Field::Group(row) => {
            for (name, f) in row.get_column_iter() {
                let len = push_key(path, name);
                visit_parquet(detector, found, f, path, line, depth + 1);
                path.truncate(len);
            }
        }
        Field::ListInternal(list) => {
            for f in list.elements() {
                visit_parquet(detector, found, f, path, line, depth + 1);
            }
        }
        Field::MapInternal(map) => {
            for (k, v) in map.entries() {
                visit_parquet(detector, found, k, path, line, depth + 1);
                visit_parquet(detector, found, v, path, line, depth + 1);
            }
        }
        // Booleans, small integers, floats, dates and times carry no PII a
        // detector can tell from the number alone.
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sampling_is_deterministic_and_near_the_rate() {
        let picked = (0..100_000).filter(|&i| sampled(i, 0.1)).count();
        assert!((9_000..11_000).contains(&picked), "{picked}");
        assert!((0..1000).all(|i| sampled(i, 1.0)));
        assert_eq!(
            (0..100).filter(|&i| sampled(i, 0.5)).collect::<Vec<_>>(),
            (0..100).filter(|&i| sampled(i, 0.5)).collect::<Vec<_>>()
        );
    }

    /// Files of every format, each several batches long, with findings
    /// throughout and a malformed record here and there.
    fn write_corpus(dir: &Path) -> Vec<Result<PathBuf, (PathBuf, String)>> {
        use std::fmt::Write as _;
        let (mut text, mut csv, mut jsonl) = (String::new(), String::new(), String::new());
        csv.push_str("id,name,email,notes\n");
        for i in 0..6000 {
            let _ = writeln!(
                text,
                "ticket {i}: Maria Garcia wrote from maria{i}@example.com, SSN 536-22-{:04}, \
                 card 4111 1111 1111 1111 on 2024-03-05 at 10:30",
                i % 10000
            );
            let _ = writeln!(
                csv,
                "{i},Jane Doe {i},jane{i}@example.org,call 555-010-{:04} or see 10.0.{}.7",
                i % 10000,
                i % 250
            );
            let _ = writeln!(
                jsonl,
                r#"{{"id":{i},"user":{{"name":"John Smith","email":"john{i}@example.net"}},"note":"IP 192.168.1.{} token AKIAIOSFODNN7EXAMPLE"}}"#,
                i % 250
            );
            if i % 1000 == 999 {
                jsonl.push_str("{not json\n");
            }
        }
        let mut targets = Vec::new();
        for (name, body) in [
            ("notes.txt", &text),
            ("people.csv", &csv),
            ("events.jsonl", &jsonl),
        ] {
            let path = dir.join(name);
            std::fs::write(&path, body).unwrap();
            targets.push(Ok(path));
        }
        #[cfg(feature = "parquet")]
        {
            let path = dir.join("people.parquet");
            write_people(&path, 3000).unwrap();
            targets.push(Ok(path));
        }
        targets.push(Err((dir.join("gone"), "no such file".to_owned())));
        targets
    }

    /// A Parquet column's values.
    #[cfg(feature = "parquet")]
    enum Column {
        Text(Vec<&'static str>),
        Owned(Vec<String>),
        Long(Vec<i64>),
    }

    /// Writes one row group of `columns` (in `schema`'s leaf order).
    #[cfg(feature = "parquet")]
    fn write_parquet(
        path: &Path,
        schema: &str,
        compression: parquet::basic::Compression,
        columns: &[Column],
    ) -> parquet::errors::Result<()> {
        use parquet::data_type::{ByteArray, ByteArrayType, Int64Type};
        use parquet::file::properties::WriterProperties;
        use parquet::file::writer::SerializedFileWriter;
        use parquet::schema::parser::parse_message_type;
        use std::sync::Arc;

        let props = WriterProperties::builder()
            .set_compression(compression)
            .build();
        let file = std::fs::File::create(path)?;
        let mut writer = SerializedFileWriter::new(
            file,
            Arc::new(parse_message_type(schema)?),
            Arc::new(props),
        )?;
        let mut group = writer.next_row_group()?;
        let mut index = 0;
        while let Some(mut column) = group.next_column()? {
            match columns.get(index) {
                Some(Column::Long(v)) => {
                    column.typed::<Int64Type>().write_batch(v, None, None)?;
                }
                Some(Column::Text(v)) => {
                    let v: Vec<ByteArray> = v.iter().map(|s| ByteArray::from(*s)).collect();
                    column
                        .typed::<ByteArrayType>()
                        .write_batch(&v, None, None)?;
                }
                Some(Column::Owned(v)) => {
                    let v: Vec<ByteArray> = v.iter().map(|s| ByteArray::from(s.as_str())).collect();
                    column
                        .typed::<ByteArrayType>()
                        .write_batch(&v, None, None)?;
                }
                None => {}
            }
            column.close()?;
            index += 1;
        }
        group.close()?;
        writer.close()?;
        Ok(())
    }

    /// A Parquet file of `rows` people: name, email and notes.
    #[cfg(feature = "parquet")]
    fn write_people(path: &Path, rows: usize) -> parquet::errors::Result<()> {
        write_parquet(
            path,
            "message people {
                REQUIRED BYTE_ARRAY name (UTF8);
                REQUIRED BYTE_ARRAY email (UTF8);
                REQUIRED BYTE_ARRAY notes (UTF8);
            }",
            parquet::basic::Compression::UNCOMPRESSED,
            &[
                Column::Owned((0..rows).map(|i| format!("Maria Garcia {i}")).collect()),
                Column::Owned((0..rows).map(|i| format!("maria{i}@example.com")).collect()),
                Column::Owned(
                    (0..rows)
                        .map(|i| format!("SSN 536-22-{:04} from 10.0.0.{}", i % 10000, i % 250))
                        .collect(),
                ),
            ],
        )
    }

    #[test]
    fn reports_are_the_same_on_any_number_of_threads() {
        let dir = tempfile::tempdir().unwrap();
        let targets = write_corpus(dir.path());
        let d = Detector::with_defaults();
        for rate in [1.0, 0.5] {
            let options = ScanOptions {
                sample_rate: rate,
                progress: None,
            };
            let one = serde_json::to_string(&scan_all(&d, &targets, &options, 1)).unwrap();
            // The sequential scan of each file, as a library user calls it.
            let files: Vec<FileReport> = targets
                .iter()
                .filter_map(|t| t.as_ref().ok())
                .map(|p| scan_file(&d, p, &options))
                .collect();
            assert!(one.contains(&serde_json::to_string(&files[0]).unwrap()));
            assert!(files.iter().all(|f| f.error.is_none() && f.records > 0));
            if rate >= 1.0 {
                let records: Vec<u64> = files.iter().map(|f| f.records).take(3).collect();
                assert_eq!(records, [6000, 6000, 6000]);
                assert_eq!(files[2].malformed, 6);
                #[cfg(feature = "parquet")]
                assert_eq!(files[3].records, 3000);
            }
            assert!(
                files
                    .iter()
                    .all(|f| f.findings.iter().map(|g| g.count).sum::<u64>() > 1000)
            );
            for threads in [2, 3, 8] {
                let many =
                    serde_json::to_string(&scan_all(&d, &targets, &options, threads)).unwrap();
                assert_eq!(one, many, "{threads} threads, sample rate {rate}");
            }
            // One large file alone on several threads.
            let csv = &targets[1..2];
            assert_eq!(
                serde_json::to_string(&scan_all(&d, csv, &options, 1)).unwrap(),
                serde_json::to_string(&scan_all(&d, csv, &options, 4)).unwrap()
            );
        }
    }

    #[test]
    fn formats_from_names() {
        assert_eq!(Format::of(Path::new("a/b.csv.gz")), (Format::Csv, true));
        assert_eq!(Format::of(Path::new("x.JSONL")), (Format::Jsonl, false));
        assert_eq!(Format::of(Path::new("notes")), (Format::Text, false));
    }

    /// Writes a small Parquet file: customers with a name, an email, an SSN
    /// stored as a number, a nested address group and free-text notes.
    #[cfg(feature = "parquet")]
    pub(crate) fn write_customers(path: &Path) -> parquet::errors::Result<()> {
        write_parquet(
            path,
            "message customers {
                REQUIRED BYTE_ARRAY name (UTF8);
                REQUIRED BYTE_ARRAY email (UTF8);
                REQUIRED INT64 ssn;
                REQUIRED GROUP address { REQUIRED BYTE_ARRAY street (UTF8); }
                REQUIRED BYTE_ARRAY notes (UTF8);
            }",
            parquet::basic::Compression::SNAPPY,
            &[
                Column::Text(vec!["John Smith", "Jane Roe", "n/a"]),
                Column::Text(vec!["john@example.com", "jane@example.org", "none"]),
                Column::Long(vec![536_228_451, 987_654_321, 123]),
                Column::Text(vec![
                    "742 Evergreen Terrace, Springfield, IL 62704",
                    "n/a",
                    "n/a",
                ]),
                Column::Text(vec![
                    "card 4111 1111 1111 1111",
                    "nothing here",
                    "version 1.2.3.4 deployed",
                ]),
            ],
        )
    }

    #[cfg(feature = "parquet")]
    #[test]
    fn parquet_cells_nested_groups_and_numbers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("customers.parquet");
        write_customers(&path).unwrap();
        let d = Detector::with_defaults();
        let report = scan_file(&d, &path, &ScanOptions::default());
        assert_eq!(report.error, None);
        assert_eq!((report.format, report.records), (Format::Parquet, 3));
        let mut got: Vec<(String, Option<String>, u64)> = report
            .findings
            .iter()
            .map(|g| (g.kind.clone(), g.field.clone(), g.count))
            .collect();
        got.sort();
        let want = [
            ("ADDRESS", "address.street", 1),
            ("CREDIT_DEBIT_NUMBER", "notes", 1),
            ("EMAIL", "email", 2),
            ("NAME", "name", 2),
            ("SSN", "ssn", 1),
        ];
        let want: Vec<(String, Option<String>, u64)> = want
            .iter()
            .map(|(k, f, n)| ((*k).to_owned(), Some((*f).to_owned()), *n))
            .collect();
        assert_eq!(got, want);
        let ssn = report.findings.iter().find(|g| g.kind == "SSN").unwrap();
        assert_eq!(ssn.locations[0].line, 1);
        assert_eq!(ssn.locations[0].byte_offset, None);
        // Not Parquet at all: reported, not fatal.
        let bogus = dir.path().join("bogus.parquet");
        std::fs::write(&bogus, b"PAR1 not really").unwrap();
        let report = scan_file(&d, &bogus, &ScanOptions::default());
        assert!(report.error.unwrap().contains("not a Parquet file"));
    }

    /// `MLGUARD_WRITE_FIXTURE=e2e/data/customers.parquet cargo test -p mlguard-pii
    /// write_parquet_fixture -- --ignored` refreshes the end-to-end fixture.
    #[cfg(feature = "parquet")]
    #[test]
    #[ignore = "writes the e2e fixture on request"]
    fn write_parquet_fixture() {
        if let Ok(path) = std::env::var("MLGUARD_WRITE_FIXTURE") {
            write_customers(Path::new(&path)).unwrap();
        }
    }
}
