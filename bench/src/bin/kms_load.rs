//! A compiled, concurrent load generator for awsJson endpoints (KMS and Secrets
//! Manager): every request is signed (SigV4) and sent over keep-alive connections;
//! it reports completed requests per second. Used by `bench/kms_vs_moto.py` and
//! `bench/secrets_vs_moto.py` against mlguard and moto in the same run.
//!
//! kms_load --endpoint URL --key-id KEY [--operation encrypt|generate-data-key]
//! kms_load --endpoint URL --key-id SECRET --operation get-secret-value|put-secret-value
//!          [--concurrency 64] [--seconds 10] [--threads 1] [--ca-bundle FILE]
//! Credentials come from the environment or the shared credentials file, as the
//! aws CLI finds them.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use base64::Engine as _;

/// The same allocator as the server: the generator should spend its share of the
/// two cores on requests, not on malloc.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use mlguard_client::{ClientConfig, JsonClient, RawIo, resolve};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

struct Args {
    endpoint: String,
    key_id: String,
    operation: String,
    concurrency: usize,
    seconds: u64,
    threads: usize,
    ca_bundle: Option<std::path::PathBuf>,
    region: String,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        endpoint: String::new(),
        key_id: String::new(),
        operation: "encrypt".into(),
        concurrency: 64,
        seconds: 10,
        threads: 1,
        ca_bundle: std::env::var_os("AWS_CA_BUNDLE").map(Into::into),
        region: "us-east-1".into(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--endpoint" => args.endpoint = value()?,
            "--key-id" => args.key_id = value()?,
            "--operation" => args.operation = value()?,
            "--concurrency" => {
                args.concurrency = value()?
                    .parse()
                    .map_err(|e| format!("--concurrency: {e}"))?
            }
            "--seconds" => {
                args.seconds = value()?.parse().map_err(|e| format!("--seconds: {e}"))?
            }
            "--threads" => {
                args.threads = value()?.parse().map_err(|e| format!("--threads: {e}"))?
            }
            "--ca-bundle" => args.ca_bundle = Some(value()?.into()),
            "--region" => args.region = value()?,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if args.endpoint.is_empty() || args.key_id.is_empty() {
        return Err("--endpoint and --key-id are required".into());
    }
    Ok(args)
}

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kms_load: {e}");
            std::process::ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), String> {
    let args = parse_args()?;
    let profile = resolve(None).map_err(|e| e.to_string())?;
    let (service, target) = match args.operation.as_str() {
        "get-secret-value" | "put-secret-value" => ("secretsmanager", "secretsmanager"),
        _ => ("kms", "TrentService"),
    };
    let client = JsonClient::new(
        ClientConfig {
            endpoint: args.endpoint.clone(),
            region: args.region.clone(),
            credentials: profile.credentials,
            ca_bundle: args.ca_bundle.clone(),
        },
        service,
        target,
    )
    .map_err(|e| e.to_string())?;
    let (operation, body) = match args.operation.as_str() {
        "encrypt" => {
            let plaintext = base64::engine::general_purpose::STANDARD.encode([0x5au8; 1024]);
            (
                "Encrypt",
                serde_json::json!({ "KeyId": args.key_id, "Plaintext": plaintext }),
            )
        }
        "generate-data-key" => (
            "GenerateDataKey",
            serde_json::json!({ "KeyId": args.key_id, "KeySpec": "AES_256" }),
        ),
        "get-secret-value" => (
            "GetSecretValue",
            serde_json::json!({ "SecretId": args.key_id }),
        ),
        // The same value under the same token: after the first, each request is an
        // idempotent retry (decrypt and compare), which stores nothing new.
        "put-secret-value" => (
            "PutSecretValue",
            serde_json::json!({
                "SecretId": args.key_id,
                "SecretString": "x".repeat(1024),
                "ClientRequestToken": "00000000-0000-4000-8000-000000000001",
            }),
        ),
        other => return Err(format!("unknown operation {other}")),
    };
    let body = serde_json::to_vec(&body).map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads.max(1))
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let done = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let first_error = Arc::new(std::sync::Mutex::new(None::<String>));
    let elapsed = runtime.block_on(async {
        // One keep-alive connection per task, opened and warmed up before timing.
        let mut connections = Vec::new();
        for _ in 0..args.concurrency {
            let mut connection = RawConnection::open(&client, operation, &body).await?;
            connection
                .call()
                .await
                .map_err(|e| format!("warm-up request failed: {e}"))?;
            connections.push(connection);
        }
        let start = Instant::now();
        let deadline = start + Duration::from_secs(args.seconds);
        let mut tasks = Vec::new();
        for mut connection in connections {
            let (done, failed, stop, first_error) = (
                Arc::clone(&done),
                Arc::clone(&failed),
                Arc::clone(&stop),
                Arc::clone(&first_error),
            );
            tasks.push(tokio::spawn(async move {
                // The deadline is checked here too: a task that fails at once, over and
                // over, must not keep the runtime from firing the stop timer.
                while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
                    match connection.call().await {
                        Ok(()) => {
                            done.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(e) => {
                            if let Ok(mut slot) = first_error.lock() {
                                slot.get_or_insert(e);
                            }
                            failed.fetch_add(1, Ordering::Relaxed);
                            tokio::task::yield_now().await;
                        }
                    }
                }
            }));
        }
        tokio::time::sleep(Duration::from_secs(args.seconds)).await;
        stop.store(true, Ordering::Relaxed);
        let elapsed = start.elapsed();
        for t in tasks {
            let _ = t.await;
        }
        Ok::<_, String>(elapsed)
    })?;
    let ok = done.load(Ordering::Relaxed);
    let bad = failed.load(Ordering::Relaxed);
    let rate = ok as f64 / elapsed.as_secs_f64();
    println!(
        "{{\"operation\":\"{operation}\",\"endpoint\":\"{}\",\"concurrency\":{},\"seconds\":{:.2},\"ok\":{ok},\"failed\":{bad},\"per_second\":{rate:.0}}}",
        args.endpoint,
        args.concurrency,
        elapsed.as_secs_f64()
    );
    if let Ok(Some(e)) = first_error.lock().map(|g| g.clone()) {
        eprintln!("first failure: {e}");
    }
    Ok(())
}

/// One connection that sends the same signed request over and over, one at a
/// time, as wrk does: the request bytes are built and signed once per second
/// (SigV4 signatures carry the second and stay valid for five minutes; the
/// server verifies every request from scratch). Responses are read by their
/// Content-Length; a server that closes the connection after a response (moto's
/// HTTP/1.0 server does) gets a new connection for the next request.
struct RawConnection {
    client: JsonClient,
    operation: &'static str,
    body: Vec<u8>,
    io: Option<RawIo>,
    request: Vec<u8>,
    signed_at: i64,
    buf: Vec<u8>,
}

impl RawConnection {
    async fn open(
        client: &JsonClient,
        operation: &'static str,
        body: &[u8],
    ) -> Result<Self, String> {
        let io = client.connect_io().await.map_err(|e| e.to_string())?;
        Ok(RawConnection {
            client: client.clone(),
            operation,
            body: body.to_vec(),
            io: Some(io),
            request: Vec::new(),
            signed_at: i64::MIN,
            buf: Vec::with_capacity(16 * 1024),
        })
    }

    /// Sends the request and reads the whole response; an error status is an error.
    async fn call(&mut self) -> Result<(), String> {
        let now = unix_now();
        if now != self.signed_at {
            self.request = self
                .client
                .signed_request_bytes(self.operation, self.body.clone(), now)
                .map_err(|e| e.to_string())?;
            self.signed_at = now;
        }
        let mut io = match self.io.take() {
            Some(io) => io,
            None => self.client.connect_io().await.map_err(|e| e.to_string())?,
        };
        io.write_all(&self.request)
            .await
            .map_err(|e| format!("write: {e}"))?;
        let response = read_response(&mut io, &mut self.buf).await?;
        if response.keep_alive {
            self.io = Some(io);
        }
        if response.status >= 300 {
            let body = self.buf.get(response.body_start..).unwrap_or_default();
            return Err(format!(
                "HTTP {}: {}",
                response.status,
                String::from_utf8_lossy(body)
            ));
        }
        Ok(())
    }
}

struct Response {
    status: u16,
    keep_alive: bool,
    body_start: usize,
}

/// Reads one HTTP/1.x response into `buf` (head and body).
async fn read_response(io: &mut RawIo, buf: &mut Vec<u8>) -> Result<Response, String> {
    buf.clear();
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if read_more(io, buf).await? == 0 {
            return Err("connection closed before a response".into());
        }
    };
    let head = std::str::from_utf8(buf.get(..head_end).unwrap_or_default())
        .map_err(|_| "response head is not UTF-8".to_string())?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let mut parts = status_line.split(' ');
    let version = parts.next().unwrap_or_default();
    let status: u16 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("bad status line {status_line:?}"))?;
    let mut keep_alive = version == "HTTP/1.1";
    let mut length = None;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            length = Some(
                value
                    .parse::<usize>()
                    .map_err(|e| format!("content-length: {e}"))?,
            );
        } else if name.eq_ignore_ascii_case("connection") {
            keep_alive = value.eq_ignore_ascii_case("keep-alive");
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            return Err(format!("transfer-encoding {value} is not supported"));
        }
    }
    match length {
        Some(n) => {
            while buf.len() < head_end + n {
                if read_more(io, buf).await? == 0 {
                    return Err("connection closed inside a response body".into());
                }
            }
        }
        // No length: the body runs to the end of the connection.
        None => {
            while read_more(io, buf).await? != 0 {}
            keep_alive = false;
        }
    }
    Ok(Response {
        status,
        keep_alive,
        body_start: head_end,
    })
}

async fn read_more(io: &mut RawIo, buf: &mut Vec<u8>) -> Result<usize, String> {
    let mut chunk = [0u8; 8192];
    let n = io
        .read(&mut chunk)
        .await
        .map_err(|e| format!("read: {e}"))?;
    buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
    Ok(n)
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(0))
        .unwrap_or(0)
}
