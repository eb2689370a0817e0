//! `mlguard posture`: the best-practice checks of ML workload configurations
//! (see the mlguard-posture crate and docs/posture.md).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use mlguard_posture::checks::{self, peers};
use mlguard_posture::{Config, Options, Report, Severity, profiles};
use mlguard_wire::query::escape as xml_escape;
use serde_json::{Value, json};

/// Exit status when findings at or above `--fail-on` remain.
const EXIT_FINDINGS: u8 = 1;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum OutputFormat {
    Table,
    Json,
    Sarif,
    Junit,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum FailOn {
    Low,
    Medium,
    High,
    Critical,
    /// Never fail on findings (exit 1 is then never returned).
    None,
}

#[derive(Debug, Subcommand)]
pub(crate) enum PostureCommand {
    /// Check configuration files and directories (SageMaker JSON, Estimator arguments, CloudFormation, Terraform plans, aws CLI output, IAM authorization details, VPC topologies).
    Check(CheckArgs),
    /// List the checks and the profiles.
    List(ListArgs),
}

#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// Files and directories (read recursively; files posture does not read are skipped in directories).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Run only this profile's checks: all, sensitive-data-training, hipaa, pci.
    #[arg(long)]
    profile: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: OutputFormat,
    /// Exit 1 when an unsuppressed finding has this severity or higher.
    #[arg(long, value_enum, default_value = "low")]
    fail_on: FailOn,
    /// A YAML or JSON file of suppressions, each with a reason.
    #[arg(long)]
    config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    /// Output format (table or json).
    #[arg(long, value_enum, default_value = "table")]
    format: OutputFormat,
}

pub(crate) fn run(cmd: PostureCommand) -> Result<ExitCode, String> {
    match cmd {
        PostureCommand::Check(args) => check(args),
        PostureCommand::List(args) => list(&args),
    }
}

fn check(args: CheckArgs) -> Result<ExitCode, String> {
    let config = match &args.config {
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
            Config::parse(&p.display().to_string(), &text)?
        }
        None => Config::default(),
    };
    let options = Options {
        profile: args.profile.clone(),
        config,
    };
    let report = mlguard_posture::check_paths(&args.paths, &options)?;
    let out = match args.format {
        OutputFormat::Table => table(&report),
        OutputFormat::Json => pretty(&to_json(&report)),
        OutputFormat::Sarif => pretty(&sarif(&report)),
        OutputFormat::Junit => junit(&report),
    };
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(out.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|e| crate::report_write_error(&e))?;
    for e in &report.errors {
        eprintln!("mlguard: {e}");
    }
    if !report.errors.is_empty() {
        return Ok(ExitCode::from(crate::EXIT_UNUSABLE));
    }
    let threshold = match args.fail_on {
        FailOn::Low => Some(Severity::Low),
        FailOn::Medium => Some(Severity::Medium),
        FailOn::High => Some(Severity::High),
        FailOn::Critical => Some(Severity::Critical),
        FailOn::None => None,
    };
    Ok(match threshold {
        Some(s) if report.failing(s) > 0 => ExitCode::from(EXIT_FINDINGS),
        _ => ExitCode::SUCCESS,
    })
}

fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

fn location(f: &mlguard_posture::Finding) -> String {
    match (f.origin.line, f.origin.path.is_empty()) {
        (0, true) => f.origin.file.clone(),
        (0, false) => format!("{} ({})", f.origin.file, f.origin.path),
        (l, _) => format!("{}:{l}", f.origin.file),
    }
}

fn table(report: &Report) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let mark = if f.suppressed.is_some() {
            "SUPPRESSED"
        } else {
            "FAIL"
        };
        out.push_str(&format!(
            "{mark:<10} {:<8} {:<40} {}\n           {}\n           at {}\n           fix: {}\n",
            f.check.severity.as_str(),
            f.check.id,
            f.resource,
            f.message,
            location(f),
            f.check.fix
        ));
        if let Some(r) = &f.suppressed {
            out.push_str(&format!("           suppressed: {r}\n"));
        }
    }
    for u in &report.undetermined {
        out.push_str(&format!(
            "{:<10} {:<8} {:<40} {}\n           at {}\n",
            "UNKNOWN", "", u.check.id, u.resource, u.origin.file
        ));
        out.push_str(&format!("           {}\n", u.reason));
    }
    let c = report.counts();
    out.push_str(&format!(
        "{} files, {} checks run, {} results: {} passed, {} failed, {} suppressed, {} undetermined{}\n",
        report.files,
        report.checks.len(),
        c.results,
        c.passed,
        c.failed,
        c.suppressed,
        c.undetermined,
        if report.skipped.is_empty() {
            String::new()
        } else {
            format!("; {} files skipped (not configurations)", report.skipped.len())
        }
    ));
    out
}

fn to_json(report: &Report) -> Value {
    let findings: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let p = peers(f.check.id);
            json!({
                "check": f.check.id,
                "title": f.check.title,
                "severity": f.check.severity.as_str(),
                "status": "fail",
                "resource": f.resource,
                "kind": f.check.resource,
                "file": f.origin.file,
                "path": f.origin.path,
                "line": f.origin.line,
                "message": f.message,
                "rationale": f.check.rationale,
                "fix": f.check.fix,
                "checkov": p.checkov,
                "prowler": p.prowler,
                "suppressed": f.suppressed.as_ref().map(|r| json!({"reason": r})),
            })
        })
        .collect();
    let undetermined: Vec<Value> = report
        .undetermined
        .iter()
        .map(|u| {
            json!({
                "check": u.check.id,
                "resource": u.resource,
                "file": u.origin.file,
                "path": u.origin.path,
                "reason": u.reason,
            })
        })
        .collect();
    let c = report.counts();
    let by_severity: serde_json::Map<String, Value> = ["critical", "high", "medium", "low"]
        .iter()
        .map(|s| {
            let n = report
                .findings
                .iter()
                .filter(|f| f.suppressed.is_none() && f.check.severity.as_str() == *s)
                .count();
            ((*s).to_owned(), json!(n))
        })
        .collect();
    json!({
        "findings": findings,
        "undetermined": undetermined,
        "summary": {
            "files": report.files,
            "skipped": report.skipped,
            "errors": report.errors.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "checks": report.checks.iter().map(|c| c.id).collect::<Vec<_>>(),
            "results": c.results,
            "passed": c.passed,
            "failed": c.failed,
            "suppressed": c.suppressed,
            "undetermined": c.undetermined,
            "bySeverity": by_severity,
        },
    })
}

fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

fn sarif(report: &Report) -> Value {
    let rules: Vec<Value> = report
        .checks
        .iter()
        .map(|c| {
            let mut r = crate::sarif::rule(c.id, c.title);
            if let Some(o) = r.as_object_mut() {
                o.insert("fullDescription".into(), json!({"text": c.rationale}));
                o.insert("help".into(), json!({"text": c.fix}));
                o.insert(
                    "defaultConfiguration".into(),
                    json!({"level": sarif_level(c.severity)}),
                );
                o.insert(
                    "properties".into(),
                    json!({"security-severity": match c.severity {
                        Severity::Critical => "9.5", Severity::High => "8.0",
                        Severity::Medium => "5.5", Severity::Low => "3.0"},
                        "checkov": peers(c.id).checkov, "prowler": peers(c.id).prowler}),
                );
            }
            r
        })
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let mut physical = json!({"artifactLocation": {"uri": uri(&f.origin.file)}});
            if f.origin.line > 0
                && let Some(o) = physical.as_object_mut()
            {
                o.insert("region".into(), json!({"startLine": f.origin.line}));
            }
            let mut location = json!({"physicalLocation": physical});
            if !f.origin.path.is_empty()
                && let Some(o) = location.as_object_mut()
            {
                o.insert(
                    "logicalLocations".into(),
                    json!([{"fullyQualifiedName": f.origin.path}]),
                );
            }
            let mut r = json!({
                "ruleId": f.check.id,
                "level": sarif_level(f.check.severity),
                "message": {"text": format!("{}: {}", f.resource, f.message)},
                "locations": [location],
            });
            if let (Some(reason), Some(o)) = (&f.suppressed, r.as_object_mut()) {
                o.insert(
                    "suppressions".into(),
                    json!([{"kind": "external", "justification": reason}]),
                );
            }
            r
        })
        .collect();
    let notifications: Vec<Value> = report
        .errors
        .iter()
        .map(|e| json!({"level": "error", "message": {"text": e.to_string()}}))
        .collect();
    crate::sarif::document(rules, results, notifications)
}

/// A file path as a SARIF URI reference: relative paths stay relative, and
/// what a URI cannot hold (spaces, `%`, `#`, `?`, non-ASCII) is percent-encoded.
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/:@!$&'()*+,;=".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// JUnit XML: one test suite per check, one failing test case per finding
/// (suppressed ones skipped), and a passing case for the resources it judged
/// and passed, so CI dashboards count them.
fn junit(report: &Report) -> String {
    let mut suites = String::new();
    let (mut total, mut total_failed, mut total_skipped) = (0usize, 0usize, 0usize);
    for c in &report.checks {
        let judged = report.evaluated.get(c.id).copied().unwrap_or(0);
        let mine: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.check.id == c.id)
            .collect();
        let unknown = report
            .undetermined
            .iter()
            .filter(|u| u.check.id == c.id)
            .count();
        let passed = judged.saturating_sub(mine.len() + unknown);
        let failed = mine.iter().filter(|f| f.suppressed.is_none()).count();
        let skipped = mine.len() - failed + unknown;
        let tests = passed + mine.len() + unknown;
        total += tests;
        total_failed += failed;
        total_skipped += skipped;
        suites.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{failed}\" skipped=\"{skipped}\">\n",
            xml_escape(c.id)
        ));
        for f in &mine {
            suites.push_str(&format!(
                "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\">\n",
                xml_escape(c.id),
                xml_escape(&f.resource),
                xml_escape(&f.origin.file)
            ));
            match &f.suppressed {
                Some(r) => suites.push_str(&format!(
                    "      <skipped message=\"suppressed: {}\"/>\n",
                    xml_escape(r)
                )),
                None => suites.push_str(&format!(
                    "      <failure type=\"{}\" message=\"{}\">{}&#10;at {}&#10;fix: {}</failure>\n",
                    c.severity.as_str(),
                    xml_escape(&f.message),
                    xml_escape(c.title),
                    xml_escape(&location(f)),
                    xml_escape(c.fix)
                )),
            }
            suites.push_str("    </testcase>\n");
        }
        for u in report.undetermined.iter().filter(|u| u.check.id == c.id) {
            suites.push_str(&format!(
                "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\">\n      <skipped message=\"{}\"/>\n    </testcase>\n",
                xml_escape(c.id),
                xml_escape(&u.resource),
                xml_escape(&u.origin.file),
                xml_escape(&u.reason)
            ));
        }
        if passed > 0 {
            suites.push_str(&format!(
                "    <testcase classname=\"{}\" name=\"{passed} resources passed\"/>\n",
                xml_escape(c.id)
            ));
        }
        suites.push_str("  </testsuite>\n");
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"mlguard posture\" tests=\"{total}\" failures=\"{total_failed}\" skipped=\"{total_skipped}\">\n{suites}</testsuites>\n"
    )
}

fn list(args: &ListArgs) -> Result<ExitCode, String> {
    let out = match args.format {
        OutputFormat::Json => pretty(&json!({
            "checks": checks::ALL.iter().map(|c| json!({
                "id": c.id, "title": c.title, "severity": c.severity.as_str(),
                "resource": c.resource, "rationale": c.rationale, "fix": c.fix,
                "checkov": peers(c.id).checkov, "prowler": peers(c.id).prowler,
            })).collect::<Vec<_>>(),
            "profiles": profiles::PROFILES.iter().map(|p| json!({
                "name": p.name, "description": p.description,
                "checks": p.checks.iter().map(|c| c.id).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        })),
        _ => {
            let mut s = String::new();
            for c in checks::ALL {
                s.push_str(&format!(
                    "{:<42} {:<8} {:<24} {}\n",
                    c.id,
                    c.severity.as_str(),
                    c.resource,
                    c.title
                ));
            }
            s.push('\n');
            for p in profiles::PROFILES {
                s.push_str(&format!(
                    "profile {:<24} {} checks: {}\n",
                    p.name,
                    p.checks.len(),
                    p.description
                ));
            }
            s
        }
    };
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}
