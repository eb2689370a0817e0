//! Posture checks over ML workload configurations (design: docs/posture.md):
//! the seed document's best-practice checklist run offline against SageMaker
//! API and SDK JSON, CloudFormation, Terraform plans, aws CLI output of S3,
//! KMS, Secrets Manager, CloudTrail and EC2, and IAM authorization details —
//! with the policy engine, the policy analyzer and the network analyzer
//! deciding what they can decide.
//!
//! ```
//! use mlguard_posture::{Options, check_scope, read_text};
//!
//! let scope = read_text("nb.json", r#"{"NotebookInstanceName": "nb", "InstanceType": "ml.t3.medium",
//!     "RoleArn": "arn:aws:iam::111122223333:role/nb"}"#, false).unwrap();
//! let report = check_scope(&scope, &Options::default()).unwrap();
//! assert!(report.findings.iter().any(|f| f.check.id == "sagemaker-notebook-direct-internet"));
//! ```

pub mod awscli;
pub mod cfn;
pub mod checks;
pub mod config;
pub mod evaluate;
pub mod iam;
pub mod intrinsics;
pub mod model;
pub mod profiles;
pub mod read;
pub mod sagemaker;
pub mod terraform;

use std::path::PathBuf;

pub use checks::{Check, Severity};
pub use config::Config;
pub use evaluate::{Finding, Outcome, Undetermined};
pub use read::{InputError, read_text};

/// What to run.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// A profile name (`None`: every check).
    pub profile: Option<String>,
    pub config: Config,
}

/// The result of a run.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub findings: Vec<Finding>,
    pub undetermined: Vec<Undetermined>,
    pub evaluated: std::collections::BTreeMap<&'static str, usize>,
    /// The checks that ran.
    pub checks: Vec<&'static Check>,
    pub files: usize,
    pub skipped: Vec<String>,
    pub errors: Vec<InputError>,
}

/// How a run's results divide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    /// Resources judged, over all checks.
    pub results: usize,
    pub passed: usize,
    /// Unsuppressed findings.
    pub failed: usize,
    pub suppressed: usize,
    pub undetermined: usize,
}

impl Report {
    /// The results counted.
    #[must_use]
    pub fn counts(&self) -> Counts {
        let results: usize = self.evaluated.values().sum();
        let failed = self
            .findings
            .iter()
            .filter(|f| f.suppressed.is_none())
            .count();
        Counts {
            results,
            passed: results.saturating_sub(self.findings.len() + self.undetermined.len()),
            failed,
            suppressed: self.findings.len() - failed,
            undetermined: self.undetermined.len(),
        }
    }

    /// Unsuppressed findings at or above `severity`.
    #[must_use]
    pub fn failing(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.suppressed.is_none() && f.check.severity >= severity)
            .count()
    }
}

/// Runs the checks of `options` over a scope.
pub fn check_scope(scope: &model::Scope, options: &Options) -> Result<Report, String> {
    let checks = profiles::checks(options.profile.as_deref())?;
    let enabled = |c: &Check| checks.iter().any(|x| x.id == c.id);
    let mut out = evaluate::run(scope, &enabled);
    for f in &mut out.findings {
        f.suppressed = options.config.suppression(f);
    }
    out.findings.sort_by(|a, b| {
        b.check
            .severity
            .cmp(&a.check.severity)
            .then_with(|| a.origin.file.cmp(&b.origin.file))
            .then_with(|| a.origin.line.cmp(&b.origin.line))
            .then_with(|| a.check.id.cmp(b.check.id))
            .then_with(|| a.resource.cmp(&b.resource))
    });
    Ok(Report {
        findings: out.findings,
        undetermined: out.undetermined,
        evaluated: out.evaluated,
        checks,
        ..Report::default()
    })
}

/// Reads `paths` and runs the checks. Input errors are in the report (the
/// rest is still checked); an unknown profile is an error.
pub fn check_paths(paths: &[PathBuf], options: &Options) -> Result<Report, String> {
    let (inputs, errors) = read::read_paths(paths);
    let mut report = check_scope(&inputs.scope, options)?;
    report.files = inputs.files;
    report.skipped = inputs.skipped;
    report.errors = errors;
    Ok(report)
}
