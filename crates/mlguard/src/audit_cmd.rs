//! `mlguard audit validate` and `mlguard audit lookup`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use mlguard_audit::{OffsetDateTime, Query};

#[derive(Debug, Subcommand)]
pub(crate) enum AuditCommand {
    /// Check the audit log for modified, deleted or inserted events and files.
    ///
    /// Exit status 0 when the log is intact, 1 when anything was found, 2 when the
    /// directory cannot be read.
    Validate(ValidateArgs),
    /// Print events (one JSON record per line), filtered.
    Lookup(LookupArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ValidateArgs {
    /// The data directory (its audit/ is checked) or the audit directory itself.
    dir: PathBuf,
    /// The digest public key (DER), if not the one beside the log. Pass a copy kept
    /// elsewhere to detect a log re-signed with a stolen key.
    #[arg(long, value_name = "FILE")]
    public_key: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct LookupArgs {
    /// The data directory or the audit directory.
    dir: PathBuf,
    /// Only events with this name (e.g. `Decrypt`).
    #[arg(long, value_name = "NAME")]
    event_name: Option<String>,
    /// Only events at or after this time (RFC 3339, e.g. 2026-11-26T10:00:00Z).
    #[arg(long, value_name = "TIME")]
    since: Option<String>,
    /// Only events before this time.
    #[arg(long, value_name = "TIME")]
    until: Option<String>,
    /// Only events from this source (e.g. `kms.amazonaws.com`).
    #[arg(long, value_name = "SOURCE")]
    event_source: Option<String>,
    /// Only events by this principal ARN.
    #[arg(long, value_name = "ARN")]
    principal: Option<String>,
    /// At most this many events.
    #[arg(long)]
    limit: Option<usize>,
}

pub(crate) fn audit_dir(dir: PathBuf) -> PathBuf {
    let nested = dir.join("audit");
    if nested.is_dir() { nested } else { dir }
}

pub(crate) fn parse_time(s: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map_err(|e| format!("`{s}` is not an RFC 3339 time: {e}"))
}

pub(crate) fn run(cmd: AuditCommand) -> Result<ExitCode, String> {
    match cmd {
        AuditCommand::Validate(args) => validate(args),
        AuditCommand::Lookup(args) => lookup(args),
    }
}

fn validate(args: ValidateArgs) -> Result<ExitCode, String> {
    let dir = audit_dir(args.dir);
    let key_path = args
        .public_key
        .unwrap_or_else(|| dir.join("signing-key.der"));
    let key =
        std::fs::read(&key_path).map_err(|e| format!("cannot read {}: {e}", key_path.display()))?;
    let report = mlguard_audit::validate(&dir, &key);
    // Events no signed digest covers prove nothing: a fresh log has a tail
    // like that (digests come every five minutes and at shutdown), but a log
    // whose digests were deleted and events rewritten looks the same. With
    // no digest at all, the verdict cannot be "intact".
    let unverified = report.digests_checked == 0 && report.events_checked > 0;
    let ok = report.ok() && !unverified;
    if args.json {
        let findings: Vec<serde_json::Value> = report
            .findings
            .iter()
            .map(|f| {
                serde_json::json!({
                    "kind": format!("{:?}", f.kind),
                    "error": f.kind.is_error(),
                    "file": f.file,
                    "seq": f.seq,
                    "detail": f.detail,
                })
            })
            .collect();
        println!(
            "{}",
            serde_json::json!({
                "ok": ok,
                "verified": !unverified,
                "filesChecked": report.files_checked,
                "eventsChecked": report.events_checked,
                "digestsChecked": report.digests_checked,
                "findings": findings,
            })
        );
    } else {
        println!(
            "{} files, {} events, {} digests checked",
            report.files_checked, report.events_checked, report.digests_checked
        );
        for f in &report.findings {
            let seq = f.seq.map(|s| format!(" seq {s}")).unwrap_or_default();
            let level = if f.kind.is_error() { "ERROR" } else { "note" };
            println!("{level}: {:?} in {}{seq}: {}", f.kind, f.file, f.detail);
        }
        println!(
            "{}",
            if !report.ok() {
                "log has been tampered with or damaged".to_owned()
            } else if unverified {
                format!(
                    "log cannot be verified: no signed digest covers its {} events (a digest is written every 5 minutes and when the server stops)",
                    report.events_checked
                )
            } else {
                "log is intact".to_owned()
            }
        );
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn lookup(args: LookupArgs) -> Result<ExitCode, String> {
    let dir = audit_dir(args.dir);
    // (A mistyped directory must not read as "no events".)
    if !dir.is_dir() {
        return Err(format!("{}: no audit log there", dir.display()));
    }
    let query = Query {
        event_name: args.event_name,
        since: args.since.as_deref().map(parse_time).transpose()?,
        until: args.until.as_deref().map(parse_time).transpose()?,
        event_source: args.event_source,
        arn: args.principal,
        username: None,
        limit: args.limit,
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for event in mlguard_audit::lookup(&dir, &query) {
        let event = event.map_err(|e| format!("reading the audit log: {e}"))?;
        let line = serde_json::to_string(&event).map_err(|e| e.to_string())?;
        if writeln!(out, "{line}").is_err() {
            break;
        }
    }
    Ok(ExitCode::SUCCESS)
}
