//! What `mlguard serve` is told.

use std::net::SocketAddr;
use std::path::PathBuf;

/// The server's configuration, as the command line gives it.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Where state, keys, certificates and the audit log live.
    pub data_dir: PathBuf,
    /// Where to listen.
    pub listen: SocketAddr,
    /// Serve plain HTTP instead of HTTPS (requests then carry `aws:SecureTransport = false`).
    pub http: bool,
    /// The region this server is.
    pub region: String,
    /// Drop-in mode for test suites that used moto or LocalStack.
    pub emulate: bool,
    /// The test controls of emulation (`/_mlguard/clock`, `/_mlguard/scheduler/run`,
    /// `/_mlguard/reset`) with real authentication, so a suite can expire sessions
    /// and deletion windows while every request is still signed and authorized.
    pub test_controls: bool,
    /// Account id for a new data directory (emulation defaults to moto's `123456789012`).
    pub account_id: Option<String>,
    /// Allow a non-loopback listen address in emulation.
    pub allow_remote: bool,
    /// How often background jobs (rotation, deletion) run.
    pub scheduler_interval: std::time::Duration,
    /// Extra names for the server certificate.
    pub tls_names: Vec<String>,
    /// Secrets Manager rotation functions: `NAME=python:FILE[:HANDLER][,role=ROLE]`
    /// or `NAME=exec:PROGRAM[,role=ROLE]`.
    pub rotation_functions: Vec<String>,
}

impl ServeConfig {
    /// The defaults `mlguard serve` runs with.
    pub fn new(data_dir: PathBuf) -> ServeConfig {
        ServeConfig {
            data_dir,
            listen: SocketAddr::from(([127, 0, 0, 1], 4566)),
            http: false,
            region: "us-east-1".to_string(),
            emulate: false,
            test_controls: false,
            account_id: None,
            allow_remote: false,
            scheduler_interval: std::time::Duration::from_secs(30),
            tls_names: Vec::new(),
            rotation_functions: Vec::new(),
        }
    }
}

/// Whether `name` can be a region: what ARNs and credential scopes can carry
/// (`us-east-1`, `us-gov-west-1`, a test suite's `local`): 1 to 32 lowercase
/// letters, digits and inner hyphens, from a letter. A `:` or `/` would break
/// every ARN made in it.
pub fn valid_region(name: &str) -> bool {
    let b = name.as_bytes();
    (1..=32).contains(&b.len())
        && b.first().is_some_and(u8::is_ascii_lowercase)
        && b.last() != Some(&b'-')
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}
