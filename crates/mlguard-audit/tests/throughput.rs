//! Append throughput, printed (not asserted: timing depends on the machine).
//! Run with `cargo test --release --test throughput -- --nocapture`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice
)]

mod common;

use std::time::Instant;

use common::*;
use mlguard_audit::{AuditLog, AuditOptions, DigestSigner};

#[test]
fn append_rate() {
    let n: u64 = if cfg!(debug_assertions) {
        20_000
    } else {
        200_000
    };
    let events: Vec<_> = (1..=n).map(event).collect();
    let dir = tempfile::tempdir().unwrap();
    let (signer, _) = DigestSigner::generate().unwrap();
    let mut log = AuditLog::open(dir.path(), signer, AuditOptions::default()).unwrap();
    let start = Instant::now();
    for e in &events {
        log.append(e).unwrap();
    }
    let appended = start.elapsed();
    log.flush().unwrap();
    let flushed = start.elapsed();
    log.close().unwrap();
    let bytes: u64 = log_files(dir.path())
        .iter()
        .map(|f| std::fs::metadata(f).unwrap().len())
        .sum();
    println!(
        "appended {n} events ({} bytes/event avg) in {:.3}s: {:.0} events/s; with final flush+fsync {:.0} events/s",
        bytes / n,
        appended.as_secs_f64(),
        n as f64 / appended.as_secs_f64(),
        n as f64 / flushed.as_secs_f64(),
    );
}
