//! `mlguard scan`: PII and credentials in files and directory trees.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use clap::{Args, ValueEnum};
use mlguard_pii::files::{self, FileReport, Format, ScanOptions};
use mlguard_pii::{CustomIdentifier, Detector, DetectorOptions, Severity};

/// Exit status when findings reach `--fail-on`.
const EXIT_FINDINGS: u8 = 1;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum OutputFormat {
    Table,
    Json,
    Sarif,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum FailOn {
    Low,
    Medium,
    High,
}

/// Find PII and credentials in text, CSV, JSON Lines and Parquet files (and .gz).
#[derive(Debug, Args)]
pub(crate) struct ScanArgs {
    /// Files and directories (walked recursively).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: OutputFormat,
    /// Drop findings scoring below this (0–1).
    #[arg(long, default_value_t = 0.5)]
    min_score: f32,
    /// Fraction of records (lines, rows) to scan, picked deterministically.
    #[arg(long, default_value_t = 1.0)]
    sample_rate: f64,
    /// Macie custom data identifiers (JSON: one, an array, or {"customDataIdentifiers": [...]}).
    #[arg(long)]
    custom: Option<PathBuf>,
    /// Exit 1 when a finding of this severity or higher is found.
    #[arg(long, value_enum)]
    fail_on: Option<FailOn>,
    /// Detection threads (default: every core); a large file is spread over them too.
    #[arg(long)]
    threads: Option<usize>,
}

pub(crate) fn run(args: ScanArgs) -> Result<ExitCode, String> {
    if !(0.0..=1.0).contains(&args.min_score) {
        return Err(format!(
            "--min-score must be between 0 and 1, not {}",
            args.min_score
        ));
    }
    if !(args.sample_rate > 0.0 && args.sample_rate <= 1.0) {
        return Err(format!(
            "--sample-rate must be in (0, 1], not {}",
            args.sample_rate
        ));
    }
    let custom = match &args.custom {
        Some(path) => {
            let text =
                std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            CustomIdentifier::parse_file(&text).map_err(|e| format!("{}: {e}", path.display()))?
        }
        None => Vec::new(),
    };
    let detector = Detector::new(DetectorOptions {
        min_score: args.min_score,
        custom,
        ..DetectorOptions::default()
    })
    .map_err(|e| e.to_string())?;
    let targets = files::collect(&args.paths);
    let progress = std::io::stderr()
        .is_terminal()
        .then(|| Arc::new(AtomicU64::new(0)));
    let options = ScanOptions {
        sample_rate: args.sample_rate,
        progress: progress.clone(),
    };
    let reports = match progress {
        Some(read) => with_progress(&targets, &read, || {
            scan_all(&detector, &targets, &options, args.threads)
        }),
        None => scan_all(&detector, &targets, &options, args.threads),
    };

    let mut out = std::io::stdout().lock();
    let written = match args.format {
        OutputFormat::Table => write_table(&mut out, &reports),
        OutputFormat::Json => write_json(&mut out, &reports),
        OutputFormat::Sarif => write_sarif(&mut out, &detector, &reports),
    };
    written.map_err(|e| crate::report_write_error(&e))?;

    // A path named on the command line that does not exist is a mistake in
    // the command (a typo must not pass a CI gate): the report is written,
    // and the status says the input was unusable. (Unreadable or malformed
    // files inside are reported and skipped.)
    let missing: Vec<String> = args
        .paths
        .iter()
        .filter(|p| std::fs::symlink_metadata(p).is_err())
        .map(|p| p.display().to_string())
        .collect();
    if !missing.is_empty() {
        eprintln!("mlguard: not found: {}", missing.join(", "));
        return Ok(ExitCode::from(crate::EXIT_UNUSABLE));
    }

    let worst = reports.iter().filter_map(FileReport::max_severity).max();
    let threshold = args.fail_on.map(|f| match f {
        FailOn::Low => Severity::Low,
        FailOn::Medium => Severity::Medium,
        FailOn::High => Severity::High,
    });
    match (threshold, worst) {
        (Some(t), Some(w)) if w >= t => Ok(ExitCode::from(EXIT_FINDINGS)),
        _ => Ok(ExitCode::SUCCESS),
    }
}

/// Runs `scan`, drawing a progress line on stderr (bytes read of the files'
/// total) every quarter second until it returns.
fn with_progress<T>(
    targets: &[Result<PathBuf, (PathBuf, String)>],
    read: &AtomicU64,
    scan: impl FnOnce() -> T,
) -> T {
    let total: u64 = targets
        .iter()
        .filter_map(|t| t.as_ref().ok())
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    let finished = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut shown = false;
            while !finished.load(Ordering::Relaxed) {
                std::thread::sleep(std::time::Duration::from_millis(250));
                let done = read.load(Ordering::Relaxed);
                // Compressed files read more than their size: cap at 100 %.
                let pct = if total == 0 {
                    100.0
                } else {
                    (done as f64 / total as f64 * 100.0).min(100.0)
                };
                eprint!(
                    "\rscanning {} files: {:.1} MB read ({pct:.0} %)",
                    targets.len(),
                    done as f64 / 1e6
                );
                shown = true;
            }
            if shown {
                eprintln!();
            }
        });
        let out = scan();
        finished.store(true, Ordering::Relaxed);
        out
    })
}

/// Scans every target on `threads` workers (all cores by default); reports
/// come back in input order.
fn scan_all(
    detector: &Detector,
    targets: &[Result<PathBuf, (PathBuf, String)>],
    options: &ScanOptions,
    threads: Option<usize>,
) -> Vec<FileReport> {
    let threads = threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
        .clamp(1, 64);
    files::scan_all(detector, targets, options, threads)
}

fn write_table(out: &mut impl std::io::Write, reports: &[FileReport]) -> std::io::Result<()> {
    let mut total = 0u64;
    for r in reports {
        if let Some(e) = &r.error {
            if r.findings.is_empty() {
                writeln!(out, "{}: not scanned: {e}", r.path.display())?;
                continue;
            }
            // Read partway (a truncated gzip): what was read is reported, as
            // the JSON and SARIF reports do.
            writeln!(out, "{}: stopped partway: {e}", r.path.display())?;
        }
        let malformed = if r.malformed > 0 {
            format!(", {} malformed skipped", r.malformed)
        } else {
            String::new()
        };
        let format = match r.format {
            Format::Text => "text",
            Format::Csv => "CSV",
            Format::Jsonl => "JSON Lines",
            Format::Parquet => "Parquet",
        };
        writeln!(
            out,
            "{} ({format}{}, {} record{}{malformed})",
            r.path.display(),
            if r.gzip { ", gzip" } else { "" },
            r.records,
            if r.records == 1 { "" } else { "s" }
        )?;
        if r.findings.is_empty() {
            writeln!(out, "  no findings")?;
            continue;
        }
        writeln!(
            out,
            "  {:<40} {:<20} {:>7}  {:<8} {:<40} first at",
            "TYPE", "FIELD", "COUNT", "SEVERITY", "SAMPLES"
        )?;
        for g in &r.findings {
            total += g.count;
            let first = g
                .locations
                .first()
                .map_or(String::new(), |l| match l.byte_offset {
                    Some(b) => format!("line {}, byte {b}", l.line),
                    None => format!("row {}", l.line),
                });
            writeln!(
                out,
                "  {:<40} {:<20} {:>7}  {:<8} {:<40} {first}",
                g.kind,
                g.field.as_deref().unwrap_or("-"),
                g.count,
                g.severity.as_str(),
                g.samples.join(", ")
            )?;
        }
    }
    writeln!(out, "{} files, {total} findings", reports.len())
}

fn write_json(out: &mut impl std::io::Write, reports: &[FileReport]) -> std::io::Result<()> {
    let findings: u64 = reports
        .iter()
        .flat_map(|r| &r.findings)
        .map(|g| g.count)
        .sum();
    let doc = serde_json::json!({
        "files": reports,
        "summary": {
            "files": reports.len(),
            "notScanned": reports.iter().filter(|r| r.error.is_some()).count(),
            "findings": findings,
            "maxSeverity": reports.iter().filter_map(FileReport::max_severity).max(),
        },
    });
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

/// SARIF 2.1.0: one rule per type, one result per group and location.
fn write_sarif(
    out: &mut impl std::io::Write,
    detector: &Detector,
    reports: &[FileReport],
) -> std::io::Result<()> {
    use serde_json::{Value, json};
    let mut rule_ids: Vec<String> = Vec::new();
    let mut results: Vec<Value> = Vec::new();
    for r in reports {
        for g in &r.findings {
            if !rule_ids.contains(&g.kind) {
                rule_ids.push(g.kind.clone());
            }
            let level = match g.severity {
                Severity::High => "error",
                Severity::Medium => "warning",
                Severity::Low => "note",
            };
            let field = g
                .field
                .as_deref()
                .map_or(String::new(), |f| format!(" in {f}"));
            let locations: Vec<Value> = g
                .locations
                .iter()
                .map(|l| {
                    json!({"physicalLocation": {
                        "artifactLocation": {"uri": file_uri(&r.path)},
                        "region": match l.byte_offset {
                            Some(b) => json!({"startLine": l.line, "byteOffset": b}),
                            None => json!({"startLine": l.line}),
                        },
                    }})
                })
                .collect();
            results.push(json!({
                "ruleId": g.kind,
                "level": level,
                "message": {"text": format!("{} {}{field} ({} found; e.g. {})", g.count, g.kind, g.count, g.samples.join(", "))},
                "locations": locations,
                "properties": {"count": g.count, "severity": g.severity, "maxScore": g.max_score},
            }));
        }
    }
    let _ = detector;
    let rules: Vec<Value> = rule_ids
        .iter()
        .map(|id| crate::sarif::rule(id, &format!("{id} (personal or sensitive data)")))
        .collect();
    let notifications: Vec<Value> = reports
        .iter()
        .filter_map(|r| {
            r.error.as_ref().map(|e| {
                json!({"level": "warning", "message": {"text": format!("{}: not scanned: {e}", r.path.display())}})
            })
        })
        .collect();
    let doc = crate::sarif::document(rules, results, notifications);
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

/// A path as SARIF's `artifactLocation.uri` (a URI reference, §3.4.3): bytes
/// outside RFC 3986's unreserved set and `/` percent-encoded, so a space, `#`
/// or `%` in a file name does not change which file it names; an absolute
/// path as a `file://` URI.
fn file_uri(path: &std::path::Path) -> String {
    use std::fmt::Write as _;
    let text = path.to_string_lossy();
    let mut uri = String::with_capacity(text.len() + 8);
    if path.is_absolute() {
        uri.push_str("file://");
    }
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            uri.push(char::from(b));
        } else {
            let _ = write!(uri, "%{b:02X}");
        }
    }
    uri
}
