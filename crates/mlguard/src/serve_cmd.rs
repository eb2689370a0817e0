//! `mlguard serve`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use mlguard_server::ServeConfig;

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Where keys, state, certificates and the audit log live
    /// [default: $MLGUARD_DATA_DIR, else $XDG_DATA_HOME/mlguard, else ~/.local/share/mlguard].
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Address to listen on.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:4566")]
    listen: SocketAddr,
    /// Serve plain HTTP instead of HTTPS (requests then carry aws:SecureTransport = false).
    #[arg(long)]
    http: bool,
    /// The region this server is.
    #[arg(long, default_value = "us-east-1")]
    region: String,
    /// Drop-in mode for test suites that used moto or LocalStack: any well-formed
    /// credentials act as the account's root, no clock-skew check, resettable state.
    /// Loopback only unless --allow-remote. Never for production.
    #[arg(long)]
    emulate: bool,
    /// The test controls of --emulate (POST /_mlguard/clock?advance=SECONDS,
    /// /_mlguard/scheduler/run, /_mlguard/reset) while the AWS APIs keep real
    /// authentication; the controls themselves take no signature. Loopback only
    /// unless --allow-remote. Never for production.
    #[arg(long)]
    test_controls: bool,
    /// The account id of a new data directory (emulation defaults to 123456789012).
    #[arg(long, value_name = "ID")]
    account_id: Option<String>,
    /// Allow --emulate or --test-controls on a non-loopback address.
    #[arg(long)]
    allow_remote: bool,
    /// An extra DNS name or IP address for the server certificate (repeatable).
    #[arg(long = "tls-name", value_name = "NAME")]
    tls_names: Vec<String>,
    /// A Secrets Manager rotation function (repeatable), invoked by RotateSecret
    /// through the ARN arn:aws:lambda:REGION:ACCOUNT:function:NAME:
    /// NAME=python:FILE[:HANDLER] runs an AWS Lambda Python file unchanged,
    /// NAME=exec:PROGRAM any program (the event on stdin); ,role=ROLE gives either
    /// that role's temporary credentials. NAME=https://URL[,ca=PEM] is a webhook.
    /// Built in: mlguard-rotate-random-password, mlguard-rotate-postgresql-single-user.
    #[arg(long = "rotation-function", value_name = "NAME=SPEC")]
    rotation_functions: Vec<String>,
    /// Seconds between runs of background jobs (key rotation, deletion).
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    scheduler_interval: u64,
}

/// The default data directory.
pub(crate) fn default_data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("MLGUARD_DATA_DIR") {
        return PathBuf::from(dir);
    }
    if let Some(xdg) = std::env::var_os("XDG_DATA_HOME") {
        return PathBuf::from(xdg).join("mlguard");
    }
    match std::env::var_os("HOME") {
        Some(home) => PathBuf::from(home).join(".local/share/mlguard"),
        None => PathBuf::from("mlguard-data"),
    }
}

pub(crate) fn run(args: ServeArgs) -> Result<ExitCode, String> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let mut config = ServeConfig::new(args.data_dir.unwrap_or_else(default_data_dir));
    config.listen = args.listen;
    config.http = args.http;
    config.region = args.region;
    config.emulate = args.emulate;
    config.test_controls = args.test_controls;
    config.account_id = args.account_id;
    config.allow_remote = args.allow_remote;
    config.tls_names = args.tls_names;
    config.rotation_functions = args.rotation_functions;
    config.scheduler_interval = std::time::Duration::from_secs(args.scheduler_interval.max(1));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime
        .block_on(mlguard_server::serve(config))
        .map_err(|e| e.to_string())?;
    Ok(ExitCode::SUCCESS)
}
