//! Property: validation never panics, whatever bytes the files hold.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice
)]

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::*;
use mlguard_audit::{AuditLog, DigestSigner, Query, lookup, validate};
use proptest::prelude::*;

/// One valid log (3 files, 3 digests) built once and copied per case.
fn template() -> &'static (tempfile::TempDir, Vec<u8>) {
    &full_template().0
}

/// (log directory, public key), signing key PKCS#8.
type Template = ((tempfile::TempDir, Vec<u8>), Vec<u8>);

/// The template plus its signing key (PKCS#8).
fn full_template() -> &'static Template {
    static T: OnceLock<Template> = OnceLock::new();
    T.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let (pkcs8, public) = write_log(dir.path(), 24, 8 * 1400);
        // An unsealed tail too, so reopening has something to re-verify.
        let signer = DigestSigner::from_pkcs8(&pkcs8).unwrap();
        let mut log = AuditLog::open(dir.path(), signer, options(1 << 20)).unwrap();
        for i in 25..=30 {
            log.append(&event(i)).unwrap();
        }
        log.flush().unwrap();
        drop(log);
        ((dir, public), pkcs8)
    })
}

fn copy_template() -> (tempfile::TempDir, Vec<PathBuf>) {
    let (src, _) = template();
    let dst = tempfile::tempdir().unwrap();
    std::fs::create_dir(dst.path().join("digests")).unwrap();
    let mut files = Vec::new();
    for p in log_files(src.path())
        .into_iter()
        .chain(digest_files(src.path()))
    {
        let rel = p.strip_prefix(src.path()).unwrap();
        let to = dst.path().join(rel);
        std::fs::copy(&p, &to).unwrap();
        files.push(to);
    }
    (dst, files)
}

fn check(dir: &Path) {
    let (_, public) = template();
    let r = validate(dir, public);
    let _ = r.ok();
    for f in &r.findings {
        let _ = f.to_string();
    }
    let _ = lookup(dir, &Query::default()).count();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any file replaced by arbitrary bytes.
    #[test]
    fn arbitrary_file_contents(which in 0usize..6, bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let (dir, files) = copy_template();
        let target = &files[which % files.len()];
        std::fs::write(target, &bytes).unwrap();
        check(dir.path());
    }

    /// Small edits to real files: these reach the deep parsing paths.
    #[test]
    fn byte_edits(which in 0usize..6, edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8), cut in any::<Option<prop::sample::Index>>()) {
        let (dir, files) = copy_template();
        let target = &files[which % files.len()];
        let mut bytes = std::fs::read(target).unwrap();
        for (at, b) in edits {
            if !bytes.is_empty() {
                let i = at.index(bytes.len());
                bytes[i] = b;
            }
        }
        if let Some(c) = cut {
            bytes.truncate(c.index(bytes.len()));
        }
        std::fs::write(target, &bytes).unwrap();
        check(dir.path());
    }

    /// Reopening for writing never panics on damaged files: it resumes or
    /// refuses with an error.
    #[test]
    fn open_never_panics(which in 0usize..7, edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4), cut in any::<Option<prop::sample::Index>>()) {
        let (dir, files) = copy_template();
        let target = &files[which % files.len()];
        let mut bytes = std::fs::read(target).unwrap();
        for (at, b) in edits {
            if !bytes.is_empty() {
                let i = at.index(bytes.len());
                bytes[i] = b;
            }
        }
        if let Some(c) = cut {
            bytes.truncate(c.index(bytes.len()));
        }
        std::fs::write(target, &bytes).unwrap();
        let signer = DigestSigner::from_pkcs8(&full_template().1).unwrap();
        if let Ok(mut log) = AuditLog::open(dir.path(), signer, options(1 << 20)) {
            log.append(&event(99)).unwrap();
            log.close().unwrap();
        }
        check(dir.path());
    }

    /// Plausible-looking but hostile JSON where a record or digest belongs.
    #[test]
    fn hostile_json(which in 0usize..6, seq in any::<u64>(), n in any::<i64>(), s in "\\PC{0,40}") {
        let (dir, files) = copy_template();
        let target = &files[which % files.len()];
        let hostile = serde_json::json!({
            "seq": seq, "prevHash": "0".repeat(64), "hash": s, "event": {"eventTime": "9999-12-31T23:59:59-23:59", "n": n},
            "digestSeq": seq, "logFiles": [{"fileName": "../../etc/passwd", "firstSeq": seq, "lastSeq": 0}],
            "chainHeadSeq": u64::MAX, "digestSignature": s,
        });
        let mut text = serde_json::to_string(&hostile).unwrap();
        text.push('\n');
        std::fs::write(target, text).unwrap();
        check(dir.path());
    }
}

#[test]
fn deeply_nested_json_does_not_overflow() {
    let (dir, files) = copy_template();
    let deep = format!("{}{}\n", "[".repeat(100_000), "]".repeat(100_000));
    std::fs::write(&files[0], &deep).unwrap();
    std::fs::write(files.last().unwrap(), &deep).unwrap();
    check(dir.path());
}

#[test]
fn extreme_seq_values() {
    let (dir, files) = copy_template();
    let lines = read_lines(&files[0]);
    let max = lines[0].replacen("\"seq\":1,", &format!("\"seq\":{},", u64::MAX), 1);
    let mut v = lines.clone();
    v[0] = max;
    v[1] = v[1].replacen("\"seq\":2,", "\"seq\":0,", 1);
    write_lines(&files[0], &v);
    check(dir.path());
}
