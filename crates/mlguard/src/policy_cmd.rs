//! `mlguard policy ...`: the IAM policy engine on the command line.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use mlguard_policy::{
    Context, ContextType, ContextValue, Evaluation, Policy, PolicyKind, PolicySet, PolicySource,
    Principal, Request, authorize,
};
use serde_json::json;

#[derive(Debug, Subcommand)]
pub(crate) enum PolicyCommand {
    /// Evaluate one request against policies, as IAM would, and print the decision.
    ///
    /// Exit status 0 for any decision (allowed, explicitDeny, implicitDeny), 2 when
    /// the input cannot be used.
    Simulate(Box<SimulateArgs>),
    /// Check policies as IAM Access Analyzer's ValidatePolicy does: errors,
    /// security warnings, warnings and suggestions with their locations.
    ///
    /// Exit status 1 when a finding reaches --fail-on (default: error), 2 when
    /// a file cannot be read.
    Validate(ValidateArgs),
    /// Find privilege escalation paths, data exfiltration and credential
    /// exposure in `aws iam get-account-authorization-details` output.
    ///
    /// Exit status 1 when a finding reaches --fail-on (default: high), 2 when
    /// the file cannot be used.
    Escalation(EscalationArgs),
    /// Generate a least-privilege policy from a principal's recorded activity
    /// (mlguard's audit log or a CloudTrail export), and list the access it
    /// has and never used.
    Generate(GenerateArgs),
}

#[derive(Debug, Args)]
pub(crate) struct GenerateArgs {
    /// mlguard's audit log directory (or its data directory), or a CloudTrail log file (`{"Records": [...]}`, optionally .gz).
    #[arg(long)]
    audit: PathBuf,
    /// The user or role ARN (a role's sessions count as the role).
    #[arg(long)]
    principal: String,
    /// Records at or after this time (RFC 3339).
    #[arg(long)]
    since: Option<String>,
    /// Records before this time (RFC 3339).
    #[arg(long)]
    until: Option<String>,
    /// The principal's current identity policies, to list unused access (repeatable).
    #[arg(long = "current-policy", value_name = "FILE")]
    current: Vec<PathBuf>,
    /// Print the whole report as JSON instead of the policy.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum EscalationFailOn {
    High,
    Medium,
    Never,
}

#[derive(Debug, Args)]
pub(crate) struct EscalationArgs {
    /// The JSON of `aws iam get-account-authorization-details` (CLI or API form).
    file: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: ValidateFormat,
    /// Exit 1 when a finding of this severity or higher is found.
    #[arg(long, value_enum, default_value = "high")]
    fail_on: EscalationFailOn,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum ValidateType {
    Identity,
    Resource,
    Boundary,
    Scp,
    /// An Organizations resource control policy.
    Rcp,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum ValidateFormat {
    Table,
    Json,
    Sarif,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum FailOn {
    Error,
    SecurityWarning,
    Warning,
    Suggestion,
    Never,
}

#[derive(Debug, Args)]
pub(crate) struct ValidateArgs {
    /// Policy documents (JSON).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// What the policies are.
    #[arg(long, value_enum, default_value = "identity")]
    policy_type: ValidateType,
    /// For resource policies, the resource type they are attached to, as
    /// Access Analyzer's validatePolicyResourceType names it
    /// (AWS::S3::Bucket, AWS::IAM::AssumeRolePolicyDocument, ...).
    #[arg(long, value_name = "TYPE")]
    resource_type: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: ValidateFormat,
    /// Exit 1 when a finding of this type or a more severe one is found.
    #[arg(long, value_enum, default_value = "error")]
    fail_on: FailOn,
}

#[derive(Debug, Args)]
pub(crate) struct SimulateArgs {
    /// An identity-based policy of the principal (repeatable).
    #[arg(long = "policy", value_name = "FILE")]
    policies: Vec<PathBuf>,
    /// How the --policy files are attached, which sets their size quota:
    /// managed, user, group or role.
    #[arg(long = "policy-kind", value_name = "KIND", default_value = "managed")]
    policy_kind: PolicyKind,
    /// A permissions boundary (repeatable; all together form the boundary).
    #[arg(long = "boundary", value_name = "FILE")]
    boundaries: Vec<PathBuf>,
    /// A session policy (repeatable).
    #[arg(long = "session-policy", value_name = "FILE")]
    session_policies: Vec<PathBuf>,
    /// A service control policy (repeatable). Each one is its own level of the
    /// organization (root, OU, account): every level must allow.
    #[arg(long = "scp", value_name = "FILE")]
    scps: Vec<PathBuf>,
    /// The resource-based policy of the requested resource.
    #[arg(long = "resource-policy", value_name = "FILE")]
    resource_policy: Option<PathBuf>,
    /// The kind of the resource policy: resource, bucket, key, secret or trust.
    /// `key` and `trust` make the resource policy mandatory, as KMS and STS do.
    #[arg(
        long = "resource-policy-kind",
        value_name = "KIND",
        default_value = "resource"
    )]
    resource_policy_kind: PolicyKind,
    /// The action, e.g. `s3:GetObject`.
    #[arg(long)]
    action: String,
    /// The resource ARN, or `*`.
    #[arg(long, default_value = "*")]
    resource: String,
    /// The caller: a root, user, role, assumed-role or federated-user ARN.
    #[arg(long, default_value = "arn:aws:iam::123456789012:user/simulated-user")]
    principal: String,
    /// The account that owns the resource, when it is not the caller's.
    #[arg(long = "resource-account", value_name = "ACCOUNT")]
    resource_account: Option<String>,
    /// A condition key: KEY=TYPE:VALUE with AWS's ContextKeyType names (string,
    /// stringList, numeric, boolean, date, ip, binary, ...); list values are
    /// comma-separated. Repeatable.
    #[arg(long = "context", value_name = "KEY=TYPE:VALUE")]
    context: Vec<String>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(cmd: PolicyCommand) -> Result<ExitCode, String> {
    match cmd {
        PolicyCommand::Simulate(args) => simulate(&args),
        PolicyCommand::Validate(args) => validate(&args),
        PolicyCommand::Escalation(args) => escalation(&args),
        PolicyCommand::Generate(args) => generate(&args),
    }
}

fn generate(args: &GenerateArgs) -> Result<ExitCode, String> {
    use std::io::Read;
    let since = args
        .since
        .as_deref()
        .map(crate::audit_cmd::parse_time)
        .transpose()?;
    let until = args
        .until
        .as_deref()
        .map(crate::audit_cmd::parse_time)
        .transpose()?;
    let mut records: Vec<serde_json::Value> = Vec::new();
    if args.audit.is_dir() {
        let query = mlguard_audit::Query {
            arn: Some(args.principal.clone()),
            since,
            until,
            ..mlguard_audit::Query::default()
        };
        let dir = crate::audit_cmd::audit_dir(args.audit.clone());
        for event in mlguard_audit::lookup(&dir, &query) {
            let event = event.map_err(|e| e.to_string())?;
            records.push(serde_json::to_value(&event).map_err(|e| e.to_string())?);
        }
    } else {
        let file = std::fs::File::open(&args.audit)
            .map_err(|e| format!("{}: {e}", args.audit.display()))?;
        let mut text = String::new();
        let read = if args.audit.extension().is_some_and(|e| e == "gz") {
            flate2::read::GzDecoder::new(file).read_to_string(&mut text)
        } else {
            std::io::BufReader::new(file).read_to_string(&mut text)
        };
        read.map_err(|e| format!("{}: {e}", args.audit.display()))?;
        let doc: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| format!("{}: not a CloudTrail log file: {e}", args.audit.display()))?;
        let list = doc
            .get("Records")
            .and_then(serde_json::Value::as_array)
            .ok_or_else(|| {
                format!(
                    "{}: no Records array (a CloudTrail log file holds one)",
                    args.audit.display()
                )
            })?;
        for r in list {
            let t = r
                .get("eventTime")
                .and_then(serde_json::Value::as_str)
                .and_then(|t| crate::audit_cmd::parse_time(t).ok());
            let inside = match t {
                Some(t) => since.is_none_or(|s| t >= s) && until.is_none_or(|u| t < u),
                None => since.is_none() && until.is_none(),
            };
            if inside {
                records.push(r.clone());
            }
        }
    }
    let mut current = Vec::new();
    for f in &args.current {
        let loaded = load(f, PolicyKind::AwsManaged)?;
        current.push(loaded.policy);
    }
    let g = mlguard_analyzer::generate::generate(
        &records,
        &args.principal,
        &current,
        mlguard_analyzer::Catalog::builtin(),
    );
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&g).map_err(|e| e.to_string())?
        );
    } else {
        println!(
            "{}",
            serde_json::to_string_pretty(&g.policy).map_err(|e| e.to_string())?
        );
        eprintln!("mlguard: {} records of {}", g.records, g.principal);
        if !g.denied.is_empty() {
            eprintln!(
                "mlguard: denied (tried, not allowed): {}",
                g.denied.join(", ")
            );
        }
        if !g.unused_services.is_empty() {
            eprintln!("mlguard: unused services: {}", g.unused_services.join(", "));
        }
        if !g.unused_actions.is_empty() {
            eprintln!(
                "mlguard: {} allowed actions never used (--json lists them)",
                g.unused_actions.len()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn escalation(args: &EscalationArgs) -> Result<ExitCode, String> {
    let text =
        std::fs::read_to_string(&args.file).map_err(|e| format!("{}: {e}", args.file.display()))?;
    let r = mlguard_analyzer::escalation::analyze(&text)
        .map_err(|e| format!("{}: {e}", args.file.display()))?;
    // The table lists the warnings; JSON carries them in `warnings`.
    if !matches!(args.format, ValidateFormat::Table) {
        for w in &r.warnings {
            eprintln!("mlguard: warning: {w}");
        }
    }
    match args.format {
        ValidateFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&r).map_err(|e| e.to_string())?
        ),
        ValidateFormat::Table => {
            println!(
                "{} principals, {} administrators, {} findings, {} warnings",
                r.principals,
                r.administrators.len(),
                r.findings.len(),
                r.warnings.len()
            );
            for w in &r.warnings {
                println!("WARNING {w}");
            }
            for f in &r.findings {
                println!("{:<6} {:<22} {}", f.severity, f.kind, f.details);
                for s in &f.path {
                    println!(
                        "         {} --[{}: {}]--> {}",
                        s.from,
                        s.technique,
                        s.actions.join(", "),
                        s.to
                    );
                }
            }
        }
        ValidateFormat::Sarif => {
            let results: Vec<_> = r
                .findings
                .iter()
                .map(|f| {
                    json!({
                        "ruleId": f.kind,
                        "level": if f.severity == "HIGH" { "error" } else { "warning" },
                        "message": {"text": f.details},
                        "locations": [{"physicalLocation": {"artifactLocation": {"uri": args.file.to_string_lossy()}},
                                       "logicalLocations": [{"name": f.principal, "kind": "principal"}]}],
                        "properties": {"path": f.path, "gains": f.gains},
                    })
                })
                .collect();
            let rules = vec![
                crate::sarif::rule(
                    "PRIVILEGE_ESCALATION",
                    "a path from a principal to more permissions",
                ),
                crate::sarif::rule("DATA_EXFILTRATION", "reads data on every resource"),
                crate::sarif::rule(
                    "CREDENTIALS_EXPOSURE",
                    "obtains credentials on every resource",
                ),
            ];
            let doc = crate::sarif::document(rules, results, Vec::new());
            println!(
                "{}",
                serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?
            );
        }
    }
    let failed = match args.fail_on {
        EscalationFailOn::High => r.findings.iter().any(|f| f.severity == "HIGH"),
        EscalationFailOn::Medium => !r.findings.is_empty(),
        EscalationFailOn::Never => false,
    };
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn validate(args: &ValidateArgs) -> Result<ExitCode, String> {
    use mlguard_analyzer::validate::{FindingType, PolicyType, ResourceType};
    let resource_type = match args.resource_type.as_deref() {
        None => None,
        Some(name) => Some(ResourceType::from_aws_name(name).ok_or_else(|| {
            let names: Vec<&str> = ResourceType::ALL.iter().map(|t| t.aws_name()).collect();
            format!(
                "unknown resource type `{name}`; expected one of {}",
                names.join(", ")
            )
        })?),
    };
    let policy_type = match (args.policy_type, resource_type) {
        (ValidateType::Resource, Some(t)) => PolicyType::ResourceOf(t),
        (_, Some(_)) => {
            return Err("--resource-type applies to --policy-type resource only".to_owned());
        }
        (ValidateType::Identity, None) => PolicyType::Identity,
        (ValidateType::Resource, None) => PolicyType::Resource,
        (ValidateType::Boundary, None) => PolicyType::Boundary,
        (ValidateType::Scp, None) => PolicyType::ServiceControl,
        (ValidateType::Rcp, None) => PolicyType::ResourceControl,
    };
    let catalog = mlguard_analyzer::Catalog::builtin();
    let mut results = Vec::new();
    for f in &args.files {
        let text = std::fs::read_to_string(f).map_err(|e| format!("{}: {e}", f.display()))?;
        results.push((f, mlguard_analyzer::validate(&text, policy_type, catalog)));
    }
    let threshold = match args.fail_on {
        FailOn::Error => Some(FindingType::Error),
        FailOn::SecurityWarning => Some(FindingType::SecurityWarning),
        FailOn::Warning => Some(FindingType::Warning),
        FailOn::Suggestion => Some(FindingType::Suggestion),
        FailOn::Never => None,
    };
    match args.format {
        ValidateFormat::Json => {
            let doc: Vec<_> = results
                .iter()
                .map(|(f, findings)| json!({"file": f.to_string_lossy(), "findings": findings}))
                .collect();
            println!(
                "{}",
                serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?
            );
        }
        ValidateFormat::Table => {
            for (f, findings) in &results {
                if findings.is_empty() {
                    println!("{}: no findings", f.display());
                }
                for x in findings {
                    let at = x.locations.first().map_or(String::new(), |l| {
                        format!(
                            "{}:{}",
                            l.span.start.line,
                            l.span.start.column.saturating_add(1)
                        )
                    });
                    println!(
                        "{}:{at}  {:<16} {:<40} {}",
                        f.display(),
                        x.finding_type.as_str(),
                        x.issue_code,
                        x.finding_details
                    );
                }
            }
        }
        ValidateFormat::Sarif => {
            let mut rules: Vec<&str> = Vec::new();
            let mut out = Vec::new();
            for (f, findings) in &results {
                for x in findings {
                    if !rules.contains(&x.issue_code.as_str()) {
                        rules.push(&x.issue_code);
                    }
                    let level = match x.finding_type {
                        FindingType::Error | FindingType::SecurityWarning => "error",
                        FindingType::Warning => "warning",
                        FindingType::Suggestion => "note",
                    };
                    let region = x.locations.first().map(|l| {
                        json!({"startLine": l.span.start.line, "startColumn": l.span.start.column.saturating_add(1),
                               "endLine": l.span.end.line, "endColumn": l.span.end.column.saturating_add(1)})
                    });
                    out.push(json!({
                        "ruleId": x.issue_code,
                        "level": level,
                        "message": {"text": x.finding_details},
                        "locations": [{"physicalLocation": {"artifactLocation": {"uri": f.to_string_lossy()}, "region": region}}],
                        "properties": {"findingType": x.finding_type},
                    }));
                }
            }
            let rules = rules
                .iter()
                .map(|r| crate::sarif::rule(r, "IAM Access Analyzer policy check"))
                .collect();
            let doc = crate::sarif::document(rules, out, Vec::new());
            println!(
                "{}",
                serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?
            );
        }
    }
    let failed = threshold.is_some_and(|t| {
        results
            .iter()
            .any(|(_, fs)| fs.iter().any(|x| x.finding_type <= t))
    });
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

struct Loaded {
    path: PathBuf,
    policy: Policy,
}

fn load(path: &Path, kind: PolicyKind) -> Result<Loaded, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let policy = Policy::parse(&text, kind).map_err(|e| match e.location {
        Some(at) => format!(
            "{}:{}:{}: {}",
            path.display(),
            at.line,
            at.column,
            e.message
        ),
        None => format!("{}: {}", path.display(), e.message),
    })?;
    Ok(Loaded {
        path: path.to_path_buf(),
        policy,
    })
}

fn refs(loaded: &[Loaded]) -> Vec<&Policy> {
    loaded.iter().map(|l| &l.policy).collect()
}

fn load_all(paths: &[PathBuf], kind: PolicyKind) -> Result<Vec<Loaded>, String> {
    paths.iter().map(|p| load(p, kind)).collect()
}

/// Parses `KEY=TYPE:VALUE`.
fn parse_context(entries: &[String]) -> Result<Context, String> {
    let mut context = Context::new();
    for entry in entries {
        let (key, typed) = entry
            .split_once('=')
            .ok_or_else(|| format!("--context `{entry}` must look like KEY=TYPE:VALUE"))?;
        let (kind, value) = typed
            .split_once(':')
            .ok_or_else(|| format!("--context `{entry}` must look like KEY=TYPE:VALUE"))?;
        let kind: ContextType = kind
            .parse()
            .map_err(|e| format!("--context `{entry}`: {e}"))?;
        let values: Vec<&str> = if kind.is_list() {
            if value.is_empty() {
                Vec::new()
            } else {
                value.split(',').collect()
            }
        } else {
            vec![value]
        };
        let value =
            ContextValue::typed(kind, values).map_err(|e| format!("--context `{entry}`: {e}"))?;
        context.insert(key, value);
    }
    Ok(context)
}

fn simulate(args: &SimulateArgs) -> Result<ExitCode, String> {
    if !matches!(
        args.policy_kind,
        PolicyKind::Managed
            | PolicyKind::UserInline
            | PolicyKind::GroupInline
            | PolicyKind::RoleInline
    ) {
        return Err("--policy-kind must be managed, user, group or role".into());
    }
    let mandatory = matches!(
        args.resource_policy_kind,
        PolicyKind::KeyPolicy | PolicyKind::RoleTrust
    );
    if !matches!(
        args.resource_policy_kind,
        PolicyKind::Resource
            | PolicyKind::BucketPolicy
            | PolicyKind::KeyPolicy
            | PolicyKind::SecretPolicy
            | PolicyKind::RoleTrust
    ) {
        return Err("--resource-policy-kind must be resource, bucket, key, secret or trust".into());
    }
    if !args.action.contains(':') {
        return Err(format!(
            "--action `{}` must be service:Action, e.g. s3:GetObject",
            args.action
        ));
    }
    let identity = load_all(&args.policies, args.policy_kind)?;
    let boundary = load_all(&args.boundaries, PolicyKind::Boundary)?;
    let session = load_all(&args.session_policies, PolicyKind::Session)?;
    let scps = load_all(&args.scps, PolicyKind::ServiceControl)?;
    let resource = args
        .resource_policy
        .as_deref()
        .map(|p| load(p, args.resource_policy_kind))
        .transpose()?;
    let principal =
        Principal::from_arn(&args.principal).map_err(|e| format!("--principal: {e}"))?;
    let context = parse_context(&args.context)?;

    let (identity_refs, boundary_refs, session_refs) =
        (refs(&identity), refs(&boundary), refs(&session));
    let scp_levels: Vec<[&Policy; 1]> = scps.iter().map(|l| [&l.policy]).collect();
    let scp_refs: Vec<&[&Policy]> = scp_levels.iter().map(|l| &l[..]).collect();
    let set = PolicySet {
        identity: &identity_refs,
        boundary: (!boundary.is_empty()).then_some(&boundary_refs[..]),
        session: (!session.is_empty()).then_some(&session_refs[..]),
        service_control: (!scps.is_empty()).then_some(&scp_refs[..]),
        resource: resource.as_ref().map(|l| &l.policy),
        resource_policy_mandatory: mandatory,
    };
    let request = Request {
        principal: &principal,
        action: &args.action,
        resource: &args.resource,
        resource_account: args.resource_account.as_deref(),
        context: &context,
    };
    let evaluation = authorize(&set, &request);
    let sources = Sources {
        identity: &identity,
        boundary: &boundary,
        session: &session,
        scps: &scps,
        resource: resource.as_ref(),
    };
    if args.json {
        println!("{}", report_json(args, &evaluation, &sources));
    } else {
        print!("{}", report_text(args, &evaluation, &sources));
    }
    Ok(ExitCode::SUCCESS)
}

struct Sources<'a> {
    identity: &'a [Loaded],
    boundary: &'a [Loaded],
    session: &'a [Loaded],
    scps: &'a [Loaded],
    resource: Option<&'a Loaded>,
}

impl Sources<'_> {
    fn get(&self, source: PolicySource, index: usize) -> Option<&Loaded> {
        match source {
            PolicySource::Identity => self.identity.get(index),
            PolicySource::Boundary => self.boundary.get(index),
            PolicySource::Session => self.session.get(index),
            PolicySource::ServiceControl => self.scps.get(index),
            PolicySource::Resource => self.resource,
        }
    }
}

struct Matched<'a> {
    source: PolicySource,
    file: &'a Path,
    statement_index: usize,
    sid: Option<&'a str>,
    effect: String,
    line: u32,
    column: u32,
}

fn matched<'a>(evaluation: &Evaluation, sources: &'a Sources<'a>) -> Vec<Matched<'a>> {
    evaluation
        .matched
        .iter()
        .filter_map(|m| {
            let loaded = sources.get(m.source, m.policy)?;
            let statement = loaded.policy.statements.get(m.statement)?;
            let at = loaded.policy.line_col(statement.span);
            Some(Matched {
                source: m.source,
                file: &loaded.path,
                statement_index: m.statement,
                sid: statement.sid.as_ref().map(|s| s.value.as_str()),
                effect: m.effect.to_string(),
                line: at.line,
                column: at.column,
            })
        })
        .collect()
}

fn report_json(
    args: &SimulateArgs,
    evaluation: &Evaluation,
    sources: &Sources<'_>,
) -> serde_json::Value {
    let v = &evaluation.votes;
    json!({
        "decision": evaluation.decision.as_str(),
        "action": args.action,
        "resource": args.resource,
        "principal": args.principal,
        "matchedStatements": matched(evaluation, sources).iter().map(|m| json!({
            "source": m.source.as_str(),
            "file": m.file.display().to_string(),
            "statementIndex": m.statement_index,
            "sid": m.sid,
            "effect": m.effect,
            "line": m.line,
            "column": m.column,
        })).collect::<Vec<_>>(),
        "details": {
            "identityAllows": v.identity_allows,
            "boundaryAllows": v.boundary_allows,
            "sessionAllows": v.session_allows,
            "serviceControlAllows": v.service_control_allows,
            "resourceAllows": v.resource_allows.map(|l| format!("{l:?}")),
            "crossAccount": v.cross_account,
        },
    })
}

fn report_text(args: &SimulateArgs, evaluation: &Evaluation, sources: &Sources<'_>) -> String {
    let mut out = format!(
        "decision: {}\n  {} on {} by {}\n",
        evaluation.decision, args.action, args.resource, args.principal
    );
    let matched = matched(evaluation, sources);
    if matched.is_empty() {
        out.push_str("no statement decided it: nothing allows the request\n");
    } else {
        out.push_str("matched statements:\n");
        for m in matched {
            let sid = m.sid.map(|s| format!(" ({s})")).unwrap_or_default();
            out.push_str(&format!(
                "  {} statement {}{} of {} policy {} (line {}, column {})\n",
                m.effect,
                m.statement_index + 1,
                sid,
                m.source.as_str(),
                m.file.display(),
                m.line,
                m.column
            ));
        }
    }
    let v = &evaluation.votes;
    let vote = |allows: Option<bool>| match allows {
        None => "none",
        Some(true) => "allows",
        Some(false) => "does not allow",
    };
    out.push_str(&format!(
        "identity policies: {}; boundary: {}; session policies: {}; SCPs: {}; resource policy: {}\n",
        if v.identity_allows { "allow" } else { "do not allow" },
        vote(v.boundary_allows),
        vote(v.session_allows),
        vote(v.service_control_allows),
        match v.resource_allows {
            None if sources.resource.is_none() => "none".to_string(),
            None => "does not allow".to_string(),
            Some(link) => format!("allows ({link:?} grant)"),
        }
    ));
    out
}
