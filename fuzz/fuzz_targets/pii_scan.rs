//! The file scanners (`mlguard scan`): any bytes, read as a text, CSV, TSV, JSON
//! Lines, Parquet or gzip file, give a report (or the file's error) without a
//! panic or a hang, and the same report on one thread and on three, where the
//! file's batches are detected on a pool and merged back in file order.
//!
//! The first byte picks the file's name (so its format); with its high bit set,
//! the rest is repeated to more than 200 kB, so a file spans several batches.
#![no_main]

use std::io::Write as _;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use libfuzzer_sys::fuzz_target;
use mlguard_pii::Detector;
use mlguard_pii::files::{ScanOptions, scan_all};

fn detector() -> &'static Detector {
    static D: OnceLock<Detector> = OnceLock::new();
    D.get_or_init(Detector::with_defaults)
}

const NAMES: [&str; 8] = [
    "f.txt",
    "f.csv",
    "f.tsv",
    "f.jsonl",
    "f.parquet",
    "f.csv.gz",
    "f.jsonl.gz",
    "f.txt.gz",
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let name = NAMES[usize::from(pick & 0x7f) % NAMES.len()];
    let mut bytes = body.to_vec();
    if pick & 0x80 != 0 && !body.is_empty() && !name.contains("parquet") {
        while bytes.len() < 200_000 {
            bytes.extend_from_slice(body);
        }
    }
    if name.ends_with(".gz") && pick & 0x40 != 0 {
        // Well-formed gzip of the bytes (else the bytes themselves, mostly
        // not gzip: the decoder's error path).
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let _ = gz.write_all(&bytes);
        bytes = gz.finish().unwrap_or_default();
    }
    static N: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "pii_scan_fuzz_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, &bytes).unwrap();
    let targets = vec![Ok(path)];
    let d = detector();
    for rate in [1.0, 0.5] {
        let options = ScanOptions {
            sample_rate: rate,
            progress: None,
        };
        let one = serde_json::to_string(&scan_all(d, &targets, &options, 1)).unwrap();
        let three = serde_json::to_string(&scan_all(d, &targets, &options, 3)).unwrap();
        assert_eq!(one, three);
    }
    let _ = std::fs::remove_dir_all(&dir);
});
