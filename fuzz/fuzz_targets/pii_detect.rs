//! The PII detectors' input path: any text (and any column name) gives findings
//! whose offsets lie on character boundaries inside the text, in order and not
//! overlapping; the Comprehend entity conversion and the file scanners' masking
//! never panic. Custom identifier files parse or fail with an error.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use mlguard_pii::{CustomIdentifier, Detector};

fn detector() -> &'static Detector {
    static D: OnceLock<Detector> = OnceLock::new();
    D.get_or_init(Detector::with_defaults)
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let d = detector();
    let split = text.find('\u{1}').unwrap_or(0);
    let (column, value) = text.split_at(split);
    for (found, body) in [
        (d.detect(&text), &*text),
        (d.detect_in(value, d.column(column)), value),
    ] {
        let mut last_end = 0;
        for f in &found {
            assert!(f.start < f.end && f.end <= body.len(), "{f:?}");
            assert!(body.is_char_boundary(f.start) && body.is_char_boundary(f.end), "{f:?}");
            assert!(f.start >= last_end, "overlap {f:?}");
            assert!((0.0..=1.0).contains(&f.score));
            last_end = f.end;
            let _ = mlguard_pii::mask(&body[f.start..f.end]);
        }
    }
    if let Ok(json) = std::str::from_utf8(data) {
        let _ = CustomIdentifier::parse_file(json);
    }
});
