//! `mlguard posture` over many configuration files: copies the repository's
//! posture fixtures (SageMaker API and SDK JSON, CloudFormation JSON/YAML,
//! Terraform plans, aws CLI output) into a directory tree until it holds
//! `--files` files, then times reading and checking all of them as
//! `mlguard posture check DIR` does (`check_paths`, every check).
//!
//! With `--checkov PATH`, also runs Checkov and `mlguard posture check` (the
//! release binary, `--mlguard PATH`) on the same sample of `--sample`
//! CloudFormation and Terraform files — the formats Checkov reads — and
//! reports both wall times and their ratio.
//!
//! Usage: posture_files [--files 10000] [--checkov PATH] [--mlguard target/release/mlguard]
//!                      [--sample 200] [--keep DIR]
//! Prints one JSON object.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use serde_json::json;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn fixtures() -> Vec<PathBuf> {
    let root =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/mlguard-posture/tests/fixtures");
    let mut out = Vec::new();
    for dir in ["sagemaker", "awscli", "peers"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            let ext = p.extension().and_then(|e| e.to_str()).unwrap_or_default();
            if matches!(ext, "json" | "yaml" | "yml") && !p.to_string_lossy().contains("expected") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn is_iac(p: &Path) -> bool {
    let name = p.file_name().unwrap().to_string_lossy();
    name.starts_with("cfn-") || name.starts_with("tf-")
}

/// Copies `sources` round-robin into `dir`, 100 files per subdirectory.
fn populate(dir: &Path, sources: &[PathBuf], n: usize) -> u64 {
    let mut bytes = 0;
    for i in 0..n {
        let src = &sources[i % sources.len()];
        let sub = dir.join(format!("d{:03}", i / 100));
        std::fs::create_dir_all(&sub).unwrap();
        let name = src.file_name().unwrap().to_string_lossy();
        // Keep the part after the first dot: aws CLI files are named by
        // their resource up to it (`training-data.policy.json`).
        let (stem, rest) = name.split_once('.').unwrap();
        let dest = sub.join(format!("{stem}-{i}.{rest}"));
        bytes += std::fs::copy(src, &dest).unwrap();
    }
    bytes
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let files: usize = mlguard_bench::generated_input::arg(&args, "--files", 10_000).unwrap();
    let sample: usize = mlguard_bench::generated_input::arg(&args, "--sample", 200).unwrap();
    let keep = arg("--keep");
    let tmp = std::env::temp_dir().join(format!("mlguard-posture-bench-{}", std::process::id()));
    let dir = keep.as_ref().map_or(tmp.clone(), PathBuf::from);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let sources = fixtures();
    assert!(!sources.is_empty(), "no fixtures found");
    let bytes = populate(&dir.join("all"), &sources, files);

    let options = mlguard_posture::Options::default();
    // One warm-up pass (page cache), then the measured one.
    mlguard_posture::check_paths(&[dir.join("all")], &options).unwrap();
    let start = Instant::now();
    let report = mlguard_posture::check_paths(&[dir.join("all")], &options).unwrap();
    let secs = start.elapsed().as_secs_f64();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let mut out = json!({
        "files": report.files,
        "bytes": bytes,
        "skipped": report.skipped.len(),
        "findings": report.findings.len(),
        "seconds": secs,
        "files_per_second": report.files as f64 / secs,
        "threads": std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
    });

    if let Some(checkov) = arg("--checkov") {
        let iac: Vec<PathBuf> = sources.iter().filter(|p| is_iac(p)).cloned().collect();
        assert!(!iac.is_empty(), "no CloudFormation or Terraform fixtures");
        let sample_dir = dir.join("sample");
        populate(&sample_dir, &iac, sample);
        let mlguard = arg("--mlguard").unwrap_or_else(|| "target/release/mlguard".into());
        let time = |cmd: &mut Command| {
            let start = Instant::now();
            let o = cmd.output().unwrap();
            (start.elapsed().as_secs_f64(), o)
        };
        let (m_secs, m_out) = time(
            Command::new(&mlguard)
                .args(["posture", "check", "--format", "json", "--fail-on", "none"])
                .arg(&sample_dir),
        );
        assert!(
            m_out.status.success(),
            "{}",
            String::from_utf8_lossy(&m_out.stderr)
        );
        let (c_secs, c_out) = time(
            Command::new(&checkov)
                .args([
                    "--framework",
                    "cloudformation",
                    "terraform_plan",
                    "-o",
                    "json",
                    "--quiet",
                    "--skip-download",
                    "-d",
                ])
                .arg(&sample_dir),
        );
        let checkov_ok = c_out.status.code().is_some_and(|c| c <= 1);
        out["checkov_sample"] = json!({
            "files": sample,
            "mlguard_seconds": m_secs,
            "checkov_seconds": c_secs,
            "checkov_exit_ok": checkov_ok,
            "ratio": c_secs / m_secs,
        });
    }
    if keep.is_none() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    println!("{}", serde_json::to_string_pretty(&out).unwrap());
}
