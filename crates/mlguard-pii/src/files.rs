//! Scanning files: text, CSV, JSON Lines and their gzip forms, one report per
//! file with findings grouped by type and column (or JSON field), masked
//! samples and locations. A file that cannot be read or parsed is reported
//! with its error and does not stop the scan.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

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
    for p in paths {
        walk(p, &mut out);
    }
    out
}

fn walk(path: &Path, out: &mut Vec<Result<PathBuf, (PathBuf, String)>>) {
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => match std::fs::read_dir(path) {
            Ok(entries) => {
                let mut children: Vec<PathBuf> =
                    entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
                children.sort();
                for c in children {
                    walk(&c, out);
                }
            }
            Err(e) => out.push(Err((path.to_path_buf(), e.to_string()))),
        },
        Ok(m) if m.is_file() => out.push(Ok(path.to_path_buf())),
        Ok(_) => {}
        Err(e) => out.push(Err((path.to_path_buf(), e.to_string()))),
    }
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

/// Scans one file.
#[must_use]
pub fn scan_file(detector: &Detector, path: &Path, options: &ScanOptions) -> FileReport {
    let (format, gzip) = Format::of(path);
    let mut report = FileReport {
        path: path.to_path_buf(),
        format,
        gzip,
        bytes: 0,
        records: 0,
        malformed: 0,
        error: None,
        findings: Vec::new(),
    };
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
            if let Err(e) = scan_parquet(&mut groups, file, options, &mut report) {
                report.error = Some(e);
            }
            report.findings = groups.groups;
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
        Format::Text => scan_text(&mut groups, reader, options, &mut report),
        Format::Csv => scan_csv(&mut groups, reader, options, &mut report, path),
        Format::Jsonl => scan_jsonl(&mut groups, reader, options, &mut report),
        // Read above, from the file itself (Parquet's footer comes first).
        Format::Parquet => Ok(()),
    };
    if let Err(e) = result {
        report.error = Some(e);
    }
    report.findings = groups.groups;
    report
}

/// A file's lines, numbered from 1, each with the byte offset it starts at;
/// reading one counts it into the report's bytes and the scan's progress.
struct Lines {
    reader: BufReader<Box<dyn Read>>,
    raw: Vec<u8>,
    number: u64,
}

impl Lines {
    fn new(reader: BufReader<Box<dyn Read>>) -> Lines {
        Lines {
            reader,
            raw: Vec::new(),
            number: 0,
        }
    }

    /// Reads the next line into `raw` (with its newline); its number and offset.
    fn next(
        &mut self,
        report: &mut FileReport,
        options: &ScanOptions,
    ) -> Result<Option<(u64, u64)>, String> {
        self.raw.clear();
        let n = self
            .reader
            .read_until(b'\n', &mut self.raw)
            .map_err(|e| format!("read: {e}"))? as u64;
        if n == 0 {
            return Ok(None);
        }
        self.number += 1;
        let start = report.bytes;
        report.bytes += n;
        options.advance(n);
        Ok(Some((self.number, start)))
    }
}

fn scan_text(
    groups: &mut Groups<'_>,
    reader: Box<dyn Read>,
    options: &ScanOptions,
    report: &mut FileReport,
) -> Result<(), String> {
    let mut lines = Lines::new(BufReader::with_capacity(PIECE, reader));
    let mut piece = String::with_capacity(PIECE * 2);
    let mut piece_first_line = 1;
    let mut piece_offset = 0;
    let flush = |groups: &mut Groups<'_>, piece: &str, first_line: u64, base: u64| {
        let found = groups.detector.detect(piece);
        let mut line = first_line;
        let mut at = 0;
        for f in &found {
            line += piece
                .as_bytes()
                .get(at..f.start)
                .map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count() as u64);
            at = f.start;
            let value = piece.get(f.start..f.end).unwrap_or_default();
            groups.add(f.label, None, f, value, line, Some(base + f.start as u64));
        }
    };
    while let Some((line_no, start)) = lines.next(report, options)? {
        let raw = &lines.raw;
        if !sampled(line_no, options.sample_rate) {
            // A skipped line ends the piece, so line numbers stay exact.
            if !piece.is_empty() {
                flush(groups, &piece, piece_first_line, piece_offset);
                piece.clear();
            }
            continue;
        }
        report.records += 1;
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
            flush(groups, &piece, piece_first_line, piece_offset);
            piece.clear();
        }
    }
    if !piece.is_empty() {
        flush(groups, &piece, piece_first_line, piece_offset);
    }
    Ok(())
}

fn scan_csv(
    groups: &mut Groups<'_>,
    reader: Box<dyn Read>,
    options: &ScanOptions,
    report: &mut FileReport,
    path: &Path,
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
    let contexts: Vec<ColumnContext> = headers.iter().map(|h| groups.detector.column(h)).collect();
    let mut record = csv::StringRecord::new();
    let mut row: u64 = 1;
    let mut found = Vec::new();
    loop {
        match csv.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                // A malformed row (bad quoting, invalid UTF-8) is skipped.
                report.malformed += 1;
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    return Err(format!("read: {e}"));
                }
                continue;
            }
        }
        row += 1;
        let position = record.position().map_or(0, csv::Position::byte);
        let read = position + record.as_slice().len() as u64;
        options.advance(read.saturating_sub(report.bytes));
        report.bytes = read;
        if !sampled(row, options.sample_rate) {
            continue;
        }
        report.records += 1;
        for (col, value) in record.iter().enumerate() {
            if value.is_empty() {
                continue;
            }
            let context = contexts.get(col).copied().unwrap_or_default();
            let field = headers.get(col).map(String::as_str);
            found.clear();
            groups.detector.detect_into(value, context, &mut found);
            for f in &found {
                let text = value.get(f.start..f.end).unwrap_or_default();
                groups.add(f.label, field, f, text, row, Some(position));
            }
        }
    }
    Ok(())
}

fn scan_jsonl(
    groups: &mut Groups<'_>,
    reader: Box<dyn Read>,
    options: &ScanOptions,
    report: &mut FileReport,
) -> Result<(), String> {
    let mut lines = Lines::new(BufReader::new(reader));
    while let Some((line, start)) = lines.next(report, options)? {
        let raw = &lines.raw;
        if raw.iter().all(u8::is_ascii_whitespace) || !sampled(line, options.sample_rate) {
            continue;
        }
        let value: serde_json::Value = match serde_json::from_slice(raw) {
            Ok(v) => v,
            Err(_) => {
                report.malformed += 1;
                continue;
            }
        };
        report.records += 1;
        let mut path = String::new();
        visit(groups, &value, &mut path, line, Some(start), 0);
    }
    Ok(())
}

/// Scans one value of a record; the last part of its field path (`user.email`
/// → `email`) is its context.
fn scan_value(groups: &mut Groups<'_>, text: &str, path: &str, line: u64, offset: Option<u64>) {
    let key = path.rsplit('.').next().unwrap_or(path);
    let context = groups.detector.column(key);
    for f in groups.detector.detect_in(text, context) {
        let v = text.get(f.start..f.end).unwrap_or_default();
        let field = (!path.is_empty()).then_some(path);
        groups.add(f.label, field, &f, v, line, offset);
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
    groups: &mut Groups<'_>,
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
        Value::String(s) => scan_value(groups, s, path, line, offset),
        Value::Number(n) => scan_value(groups, &n.to_string(), path, line, offset),
        Value::Array(items) => {
            for item in items {
                visit(groups, item, path, line, offset, depth + 1);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                let len = push_key(path, k);
                visit(groups, v, path, line, offset, depth + 1);
                path.truncate(len);
            }
        }
        Value::Bool(_) | Value::Null => {}
    }
}

#[cfg(feature = "parquet")]
fn scan_parquet(
    groups: &mut Groups<'_>,
    file: std::fs::File,
    options: &ScanOptions,
    report: &mut FileReport,
) -> Result<(), String> {
    use parquet::file::reader::{FileReader as _, SerializedFileReader};
    report.bytes = file.metadata().map_or(0, |m| m.len());
    options.advance(report.bytes);
    let reader = SerializedFileReader::new(file).map_err(|e| format!("not a Parquet file: {e}"))?;
    let rows = reader
        .get_row_iter(None)
        .map_err(|e| format!("reading rows: {e}"))?;
    let mut path = String::new();
    for (index, row) in rows.enumerate() {
        let line = index as u64 + 1;
        let row = row.map_err(|e| format!("row {line}: {e}"))?;
        if !sampled(line, options.sample_rate) {
            continue;
        }
        report.records += 1;
        for (name, field) in row.get_column_iter() {
            let len = push_key(&mut path, name);
            visit_parquet(groups, field, &mut path, line, 0);
            path.truncate(len);
        }
    }
    Ok(())
}

/// Scans the strings and numbers of a Parquet cell (groups, lists and maps too).
#[cfg(feature = "parquet")]
fn visit_parquet(
    groups: &mut Groups<'_>,
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
        Field::Str(s) => scan_value(groups, s, path, line, None),
        Field::Bytes(b) => {
            if let Ok(s) = std::str::from_utf8(b.data()) {
                scan_value(groups, s, path, line, None);
            }
        }
        Field::Int(_) | Field::Long(_) | Field::UInt(_) | Field::ULong(_) | Field::Decimal(_) => {
            scan_value(groups, &field.to_string(), path, line, None);
        }
        Field::Group(row) => {
            for (name, f) in row.get_column_iter() {
                let len = push_key(path, name);
                visit_parquet(groups, f, path, line, depth + 1);
                path.truncate(len);
            }
        }
        Field::ListInternal(list) => {
            for f in list.elements() {
                visit_parquet(groups, f, path, line, depth + 1);
            }
        }
        Field::MapInternal(map) => {
            for (k, v) in map.entries() {
                visit_parquet(groups, k, path, line, depth + 1);
                visit_parquet(groups, v, path, line, depth + 1);
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
        use parquet::data_type::{ByteArray, ByteArrayType, Int64Type};
        use parquet::file::properties::WriterProperties;
        use parquet::file::writer::SerializedFileWriter;
        use parquet::schema::parser::parse_message_type;
        use std::sync::Arc;

        let schema = parse_message_type(
            "message customers {
                REQUIRED BYTE_ARRAY name (UTF8);
                REQUIRED BYTE_ARRAY email (UTF8);
                REQUIRED INT64 ssn;
                REQUIRED GROUP address { REQUIRED BYTE_ARRAY street (UTF8); }
                REQUIRED BYTE_ARRAY notes (UTF8);
            }",
        )?;
        let props = WriterProperties::builder()
            .set_compression(parquet::basic::Compression::SNAPPY)
            .build();
        let file = std::fs::File::create(path)?;
        let mut writer = SerializedFileWriter::new(file, Arc::new(schema), Arc::new(props))?;
        let text = |v: &[&str]| v.iter().map(|s| ByteArray::from(*s)).collect::<Vec<_>>();
        let columns: Vec<Vec<ByteArray>> = vec![
            text(&["John Smith", "Jane Roe", "n/a"]),
            text(&["john@example.com", "jane@example.org", "none"]),
            Vec::new(),
            text(&["742 Evergreen Terrace, Springfield, IL 62704", "n/a", "n/a"]),
            text(&[
                "card 4111 1111 1111 1111",
                "nothing here",
                "version 1.2.3.4 deployed",
            ]),
        ];
        let ssns = [536_228_451_i64, 987_654_321, 123];
        let mut group = writer.next_row_group()?;
        let mut index = 0;
        while let Some(mut column) = group.next_column()? {
            if index == 2 {
                column.typed::<Int64Type>().write_batch(&ssns, None, None)?;
            } else {
                let values = columns.get(index).cloned().unwrap_or_default();
                column
                    .typed::<ByteArrayType>()
                    .write_batch(&values, None, None)?;
            }
            column.close()?;
            index += 1;
        }
        group.close()?;
        writer.close()?;
        Ok(())
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
