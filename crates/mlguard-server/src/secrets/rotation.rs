//! Rotation: AWS's four-step protocol (`createSecret`, `setSecret`, `testSecret`,
//! `finishSecret`) run against a rotation function the operator registers
//! (`mlguard serve --rotation-function NAME=python:FILE[:HANDLER][,role=ROLE]` or
//! `NAME=exec:PROGRAM[,role=ROLE]`) and names by a Lambda-style ARN
//! (`arn:aws:lambda:REGION:ACCOUNT:function:NAME`), or the built-in
//! `mlguard-rotate-random-password`.
//!
//! A function runs as Lambda runs one: the event JSON (`Step`, `SecretId`,
//! `ClientRequestToken`, `RotationToken`) goes to the handler — for `python:`, an
//! AWS Lambda Python file unchanged, through a shim that imports it and calls
//! `handler(event, context)`; for `exec:`, on standard input — with
//! `SECRETS_MANAGER_ENDPOINT` set to this server (AWS's rotation templates read it),
//! the region, the CA bundle, and, with `role=`, temporary credentials of that role
//! (its trust policy must allow `lambda.amazonaws.com`, as for a Lambda execution
//! role). Nothing else of the server's environment is passed on. Exit status 0 is
//! success; a step that fails (or runs past five minutes) stops the rotation with
//! AWSPENDING left in place, as on AWS.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::error::ApiError;

/// The built-in function: a new random password (the whole value, or the
/// `password` member of a JSON value).
pub const BUILTIN_RANDOM_PASSWORD: &str = "mlguard-rotate-random-password";

/// How long a step may run.
const STEP_TIMEOUT: Duration = Duration::from_secs(300);

/// How a registered function runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Runner {
    /// An AWS Lambda Python file and its handler.
    Python { file: PathBuf, handler: String },
    /// Any program, the event on standard input.
    Exec { program: PathBuf },
    /// An HTTPS webhook: the event is POSTed as JSON; a 2xx answer is success.
    Webhook {
        url: String,
        ca_bundle: Option<PathBuf>,
    },
    /// [`BUILTIN_RANDOM_PASSWORD`], in the server.
    RandomPassword,
    /// The built-in PostgreSQL single-user function, in the server.
    Postgres,
}

/// A registered rotation function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Function {
    pub name: String,
    pub runner: Runner,
    /// The IAM role whose temporary credentials the function gets.
    pub role: Option<String>,
}

impl Function {
    /// The error (logged, without the event) of a step that `what`.
    fn failed(&self, what: &str) -> ApiError {
        tracing::warn!(function = %self.name, "rotation function {what}");
        ApiError::bad_request(
            "InternalServiceError",
            format!("The rotation function {} {what}.", self.name),
        )
    }
}

/// Parses `NAME=python:FILE[:HANDLER][,role=ROLE]`, `NAME=exec:PROGRAM[,role=ROLE]`
/// or `NAME=https://URL[,ca=CA_BUNDLE]`.
pub fn parse_spec(spec: &str) -> Result<Function, String> {
    let (name, rest) = spec.split_once('=').ok_or_else(|| {
        format!("{spec}: expected NAME=python:FILE, NAME=exec:PROGRAM or NAME=https://URL")
    })?;
    if name.is_empty()
        || name.len() > 64
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(format!(
            "{name}: a function name is 1-64 letters, digits, - and _"
        ));
    }
    let mut target = rest;
    let mut role = None;
    let mut ca = None;
    for _ in 0..2 {
        if let Some((t, r)) = target.rsplit_once(",role=") {
            role = Some(r.to_string());
            target = t;
        } else if let Some((t, c)) = target.rsplit_once(",ca=") {
            ca = Some(PathBuf::from(c));
            target = t;
        }
    }
    if role.as_deref() == Some("") {
        return Err(format!("{spec}: role= needs a role name"));
    }
    let webhook = target.starts_with("https://") || target.starts_with("http://");
    if webhook && role.is_some() {
        return Err(format!(
            "{spec}: a webhook runs elsewhere with its own credentials; role= is for python: and exec: functions"
        ));
    }
    if !webhook && ca.is_some() {
        return Err(format!("{spec}: ca= is for https:// webhooks"));
    }
    let runner = if webhook {
        let plain_loopback = [
            "http://127.0.0.1:",
            "http://127.0.0.1/",
            "http://localhost:",
            "http://[::1]:",
        ]
        .iter()
        .any(|p| target.starts_with(p));
        if target.starts_with("http://") && !plain_loopback {
            return Err(format!(
                "{spec}: a webhook must be https:// (plain http only on loopback)"
            ));
        }
        Runner::Webhook {
            url: target.to_string(),
            ca_bundle: ca,
        }
    } else if let Some(p) = target.strip_prefix("python:") {
        let (file, handler) = match p.rsplit_once(':') {
            Some((f, h)) if !h.contains('/') && !h.is_empty() => (f, h.to_string()),
            _ => (p, "lambda_handler".to_string()),
        };
        Runner::Python {
            file: PathBuf::from(file),
            handler,
        }
    } else if let Some(p) = target.strip_prefix("exec:") {
        Runner::Exec {
            program: PathBuf::from(p),
        }
    } else {
        return Err(format!(
            "{spec}: the target is python:FILE[:HANDLER] or exec:PROGRAM"
        ));
    };
    Ok(Function {
        name: name.to_string(),
        runner,
        role,
    })
}

/// The function name of a Lambda ARN of this account and region
/// (`arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]`).
pub fn function_name<'a>(arn: &'a str, region: &str, account: &str) -> Option<&'a str> {
    let rest = arn.strip_prefix(&format!("arn:aws:lambda:{region}:{account}:function:"))?;
    Some(rest.split(':').next().unwrap_or(rest))
}

/// POSTs a step's event to a webhook; any 2xx answer is success.
fn run_webhook(
    function: &Function,
    url: &str,
    ca_bundle: Option<&std::path::Path>,
    event: &serde_json::Value,
) -> Result<(), ApiError> {
    let failed = |what: String| function.failed(&what);
    let body = serde_json::to_vec(event).map_err(|e| failed(e.to_string()))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| failed(e.to_string()))?;
    let status = runtime
        .block_on(mlguard_client::post_json(
            url,
            body,
            ca_bundle,
            STEP_TIMEOUT,
        ))
        .map_err(|e| failed(format!("could not be called: {e}")))?;
    if (200..300).contains(&status) {
        Ok(())
    } else {
        Err(failed(format!("answered HTTP {status}")))
    }
}

/// Where functions reach the server.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub url: String,
    pub ca_bundle: Option<PathBuf>,
}

/// Temporary credentials for a function.
pub struct FunctionCredentials {
    pub access_key_id: String,
    pub secret: zeroize::Zeroizing<String>,
    pub token: zeroize::Zeroizing<String>,
}

/// The shim that runs an AWS Lambda Python handler: imports the file as Lambda
/// does (its directory on `sys.path`), reads the event from standard input, and
/// calls `handler(event, context)`.
const PYTHON_SHIM: &str = r#"
import importlib.util, json, os, sys, time, uuid
path, handler = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
spec = importlib.util.spec_from_file_location(os.path.splitext(os.path.basename(path))[0], path)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
event = json.load(sys.stdin)
deadline = time.time() + 300
class Context:
    function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
    function_version = "$LATEST"
    invoked_function_arn = os.environ.get("MLGUARD_FUNCTION_ARN", "")
    memory_limit_in_mb = 128
    aws_request_id = str(uuid.uuid4())
    log_group_name = "/aws/lambda/" + function_name
    log_stream_name = "mlguard"
    def get_remaining_time_in_millis(self):
        return max(0, int((deadline - time.time()) * 1000))
getattr(module, handler)(event, Context())
"#;

/// Runs one step of an external function. The event carries no secret value.
pub fn run_external(
    function: &Function,
    arn: &str,
    event: &serde_json::Value,
    region: &str,
    endpoint: &Endpoint,
    credentials: Option<&FunctionCredentials>,
) -> Result<(), ApiError> {
    let mut command = match &function.runner {
        Runner::Python { file, handler } => {
            let mut c = Command::new("python3");
            c.arg("-c").arg(PYTHON_SHIM).arg(file).arg(handler);
            c
        }
        Runner::Exec { program } => Command::new(program),
        Runner::Webhook { url, ca_bundle } => {
            return run_webhook(function, url, ca_bundle.as_deref(), event);
        }
        Runner::RandomPassword | Runner::Postgres => {
            return Err(ApiError::internal("InternalServiceError"));
        }
    };
    command.env_clear();
    for keep in ["PATH", "HOME", "LANG", "LC_ALL", "PYTHONPATH", "TMPDIR"] {
        if let Some(v) = std::env::var_os(keep) {
            command.env(keep, v);
        }
    }
    command
        .env("SECRETS_MANAGER_ENDPOINT", &endpoint.url)
        .env("AWS_REGION", region)
        .env("AWS_DEFAULT_REGION", region)
        .env("AWS_LAMBDA_FUNCTION_NAME", &function.name)
        .env("MLGUARD_FUNCTION_ARN", arn)
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
    if let Some(ca) = &endpoint.ca_bundle {
        command.env("AWS_CA_BUNDLE", ca);
    }
    if let Some(c) = credentials {
        command
            .env("AWS_ACCESS_KEY_ID", &c.access_key_id)
            .env("AWS_SECRET_ACCESS_KEY", c.secret.as_str())
            .env("AWS_SESSION_TOKEN", c.token.as_str());
    }
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let failed = |what: String| function.failed(&what);
    let mut child = command
        .spawn()
        .map_err(|e| failed(format!("could not start: {e}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        use std::io::Write as _;
        let body = serde_json::to_vec(event).map_err(|e| failed(e.to_string()))?;
        // A function that does not read its input still runs.
        let _ = stdin.write_all(&body);
    }
    let start = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => return Err(failed(format!("failed ({status})"))),
            Ok(None) if start.elapsed() > STEP_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(failed("timed out".into()));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(failed(e.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used, reason = "tests")]

    use super::*;

    #[test]
    fn specs() {
        assert_eq!(
            parse_spec("db=python:/opt/rot/lambda_function.py,role=rotator").expect("ok"),
            Function {
                name: "db".into(),
                runner: Runner::Python {
                    file: "/opt/rot/lambda_function.py".into(),
                    handler: "lambda_handler".into()
                },
                role: Some("rotator".into()),
            }
        );
        assert_eq!(
            parse_spec("x=python:/a/f.py:main").expect("ok").runner,
            Runner::Python {
                file: "/a/f.py".into(),
                handler: "main".into()
            }
        );
        assert_eq!(
            parse_spec("y=exec:/usr/local/bin/rotate")
                .expect("ok")
                .runner,
            Runner::Exec {
                program: "/usr/local/bin/rotate".into()
            }
        );
        assert_eq!(
            parse_spec("hook=https://rotate.internal/db,ca=/etc/ca.pem")
                .expect("ok")
                .runner,
            Runner::Webhook {
                url: "https://rotate.internal/db".into(),
                ca_bundle: Some("/etc/ca.pem".into())
            }
        );
        assert!(
            parse_spec("hook=http://rotate.internal/db").is_err(),
            "plain http off loopback"
        );
        assert!(parse_spec("hook=http://127.0.0.1:9000/db").is_ok());
        assert!(
            parse_spec("hook=https://x/y,role=r").is_err(),
            "webhooks bring their own credentials"
        );
        assert!(parse_spec("x=exec:/bin/true,ca=/c.pem").is_err());
        assert!(parse_spec("nope").is_err());
        assert!(parse_spec("bad name=exec:/x").is_err());
        assert!(parse_spec("z=ftp:/x").is_err());
    }

    #[test]
    fn lambda_arns() {
        let arn = "arn:aws:lambda:us-east-1:111122223333:function:db:$LATEST";
        assert_eq!(function_name(arn, "us-east-1", "111122223333"), Some("db"));
        assert_eq!(function_name(arn, "eu-west-1", "111122223333"), None);
    }
}
