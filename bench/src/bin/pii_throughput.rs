//! PII detection throughput over one file, with every default detector, in
//! 64 KiB pieces (`Detector::detect_parallel`):
//! `pii_throughput FILE [--threads N] [--rounds R]`. Prints one JSON line per
//! thread count: bytes, findings, seconds (best of the rounds) and MB/s
//! (10⁶ bytes/s). Used by `bench/pii_throughput.py`.

use std::time::Instant;

use mlguard_pii::Detector;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pii_throughput: {e}");
            std::process::ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let mut file = None;
    let mut threads: Vec<usize> = Vec::new();
    let mut rounds = 3;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--threads" => {
                let v = args.next().ok_or("--threads needs a value")?;
                threads = v
                    .split(',')
                    .map(|t| t.parse().map_err(|e| format!("--threads: {e}")))
                    .collect::<Result<_, _>>()?;
            }
            "--rounds" => {
                rounds = args
                    .next()
                    .ok_or("--rounds needs a value")?
                    .parse()
                    .map_err(|e| format!("--rounds: {e}"))?;
            }
            other => file = Some(other.to_owned()),
        }
    }
    let file = file.ok_or("usage: pii_throughput FILE [--threads 1,2] [--rounds 3]")?;
    let text = std::fs::read_to_string(&file).map_err(|e| format!("{file}: {e}"))?;
    if threads.is_empty() {
        threads = vec![
            1,
            std::thread::available_parallelism().map_or(1, usize::from),
        ];
    }
    let detector = Detector::with_defaults();
    for t in threads {
        let mut best = f64::MAX;
        let mut findings = 0;
        for _ in 0..rounds.max(1) {
            let start = Instant::now();
            findings = detector.detect_parallel(&text, 64 << 10, t).len();
            best = best.min(start.elapsed().as_secs_f64());
        }
        let mb = text.len() as f64 / 1e6;
        println!(
            "{{\"file\":\"{file}\",\"threads\":{t},\"bytes\":{},\"findings\":{findings},\"seconds\":{best:.3},\"mb_per_s\":{:.1}}}",
            text.len(),
            mb / best
        );
    }
    Ok(())
}
