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
use mlguard_client::{ClientConfig, JsonClient, resolve};

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
            let mut connection = client.connect().await.map_err(|e| e.to_string())?;
            connection
                .call_raw(operation, body.clone())
                .await
                .map_err(|e| format!("warm-up request failed: {e}"))?;
            connections.push(connection);
        }
        let start = Instant::now();
        let deadline = start + Duration::from_secs(args.seconds);
        let mut tasks = Vec::new();
        for mut connection in connections {
            let (b, done, failed, stop, first_error) = (
                body.clone(),
                Arc::clone(&done),
                Arc::clone(&failed),
                Arc::clone(&stop),
                Arc::clone(&first_error),
            );
            tasks.push(tokio::spawn(async move {
                // The deadline is checked here too: a task that fails at once, over and
                // over, must not keep the runtime from firing the stop timer.
                while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
                    match connection.call_raw(operation, b.clone()).await {
                        Ok(_) => {
                            done.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(e) => {
                            if let Ok(mut slot) = first_error.lock() {
                                slot.get_or_insert_with(|| e.to_string());
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
