//! The `mlguard` command line: a thin adapter from arguments to the engines.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mimalloc: the server allocates and frees many small buffers per request on every
/// worker thread, where glibc's arenas contend (measured in docs/benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod audit_cmd;
mod envelope_cmd;
mod kanon_glue;
mod net_cmd;
mod policy_cmd;
mod posture_cmd;
mod protect_cmd;
mod risk_cmd;
mod sarif;
mod scan_cmd;
mod serve_cmd;

/// AWS machine-learning security, self-hosted and real.
#[derive(Debug, Parser)]
#[command(name = "mlguard", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve IAM-authorized, audited AWS APIs (IAM, STS, KMS, Secrets Manager, Comprehend) for boto3, the aws CLI and the SDKs.
    Serve(serve_cmd::ServeArgs),
    /// The audit trail: validate its integrity, look up events.
    #[command(subcommand)]
    Audit(audit_cmd::AuditCommand),
    /// IAM policies: simulate requests against them.
    #[command(subcommand)]
    Policy(policy_cmd::PolicyCommand),
    /// Encrypt a file under a data key from KMS (envelope encryption, streamed).
    Encrypt(envelope_cmd::EncryptArgs),
    /// Decrypt a file made by `mlguard encrypt`.
    Decrypt(envelope_cmd::DecryptArgs),
    /// Find PII and credentials in text, CSV, JSON Lines and Parquet files (and .gz).
    Scan(scan_cmd::ScanArgs),
    /// VPC network analysis over `aws ec2 describe-*` output: reachability, SageMaker VPC mode, exposure, flow logs.
    #[command(subcommand)]
    Net(net_cmd::NetCommand),
    /// Best-practice checks of ML workload configurations: SageMaker, S3, KMS, Secrets Manager, IAM, CloudTrail, VPC.
    #[command(subcommand)]
    Posture(posture_cmd::PostureCommand),
    /// Re-identification risk of a table: k-anonymity, prosecutor/journalist/marketer risk, l-diversity, t-closeness.
    Risk(risk_cmd::RiskArgs),
    /// De-identify a table with a recipe: masking, hashing, encryption, tokens, generalization, noise, k-anonymity.
    Protect(Box<protect_cmd::ProtectArgs>),
    /// Reverse a vault's tokens in a table (needs the vault's detokenize key).
    Detokenize(protect_cmd::DetokenizeArgs),
}

/// Exit status for a command line or input the command cannot use.
pub(crate) const EXIT_UNUSABLE: u8 = 2;

/// Exit status after the reader of standard output went away (`| head`), as
/// after SIGPIPE.
const EXIT_BROKEN_PIPE: i32 = 141;

/// The message for a failed write of a report to standard output; when the
/// reader went away (`mlguard scan ... | head`), stops quietly instead, as
/// [`main`] does for `println!`.
pub(crate) fn report_write_error(e: &std::io::Error) -> String {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(EXIT_BROKEN_PIPE);
    }
    format!("writing the report: {e}")
}

fn main() -> ExitCode {
    // `mlguard ... | head`: when the reader goes away, stop quietly as
    // command-line tools do (status 141, as after SIGPIPE), instead of
    // printing a panic for the failed write.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.contains("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(EXIT_BROKEN_PIPE);
        }
        default_hook(info);
    }));
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve_cmd::run(args),
        Command::Audit(cmd) => audit_cmd::run(cmd),
        Command::Policy(cmd) => policy_cmd::run(cmd),
        Command::Encrypt(args) => envelope_cmd::encrypt(args),
        Command::Decrypt(args) => envelope_cmd::decrypt(args),
        Command::Scan(args) => scan_cmd::run(args),
        Command::Net(cmd) => net_cmd::run(cmd),
        Command::Posture(cmd) => posture_cmd::run(cmd),
        Command::Risk(args) => risk_cmd::run(&args),
        Command::Protect(args) => protect_cmd::protect(*args),
        Command::Detokenize(args) => protect_cmd::detokenize(args),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("mlguard: {message}");
            ExitCode::from(EXIT_UNUSABLE)
        }
    }
}
