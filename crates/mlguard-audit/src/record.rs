//! One log line, the hash chain, and the file names, shared by the writer,
//! the validator and lookup so all three agree byte for byte.
//!
//! A line is `{"seq":n,"prevHash":"<hex>","hash":"<hex>","event":{...}}\n`
//! with `hash = SHA-256(prevHash bytes || event JSON bytes as written)`.

use std::path::Path;

use aws_lc_rs::digest::{Context, SHA256};
use serde::Deserialize;
use serde_json::value::RawValue;
use time::OffsetDateTime;

use crate::hex;

/// `prevHash` of the very first record of a new log.
pub(crate) const ZERO_HASH: [u8; 32] = [0; 32];

/// Directory (under the log directory) that holds digest files.
pub(crate) const DIGEST_DIR: &str = "digests";

/// Chain hash of one record.
pub(crate) fn record_hash(prev: &[u8; 32], event_json: &[u8]) -> [u8; 32] {
    let mut ctx = Context::new(&SHA256);
    ctx.update(prev);
    ctx.update(event_json);
    sha_array(ctx)
}

/// SHA-256 of a whole byte string.
pub(crate) fn sha256(bytes: &[u8]) -> [u8; 32] {
    let mut ctx = Context::new(&SHA256);
    ctx.update(bytes);
    sha_array(ctx)
}

/// The `hashValue` a digest records for a log file: SHA-256 over each record's
/// seq (8 bytes, big-endian) and hash, in file order.
///
/// This binds every byte of the file without hashing it a second time: a line
/// must be exactly [`encode_line`]`(seq, prevHash, hash, event)` (the
/// validator rejects any other form), the record hash covers prevHash and the
/// event, and this hash covers seq and the record hash. Editing, inserting,
/// removing or reordering a record, or changing a seq, changes it.
pub(crate) struct FileHash(Context);

impl FileHash {
    pub(crate) fn new() -> Self {
        FileHash(Context::new(&SHA256))
    }

    /// Adds the next record of the file.
    pub(crate) fn add(&mut self, seq: u64, hash: &[u8; 32]) {
        self.0.update(&seq.to_be_bytes());
        self.0.update(hash);
    }

    pub(crate) fn finish(self) -> [u8; 32] {
        sha_array(self.0)
    }
}

/// Finishes a SHA-256 context into a fixed array.
pub(crate) fn sha_array(ctx: Context) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (dst, src) in out.iter_mut().zip(ctx.finish().as_ref()) {
        *dst = *src;
    }
    out
}

/// Appends one complete line (with its newline) to `out`.
pub(crate) fn encode_line(
    out: &mut Vec<u8>,
    seq: u64,
    prev: &[u8; 32],
    hash: &[u8; 32],
    event_json: &[u8],
) {
    out.extend_from_slice(b"{\"seq\":");
    out.extend_from_slice(seq.to_string().as_bytes());
    out.extend_from_slice(b",\"prevHash\":\"");
    out.extend_from_slice(hex::encode(prev).as_bytes());
    out.extend_from_slice(b"\",\"hash\":\"");
    out.extend_from_slice(hex::encode(hash).as_bytes());
    out.extend_from_slice(b"\",\"event\":");
    out.extend_from_slice(event_json);
    out.extend_from_slice(b"}\n");
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLine<'a> {
    seq: u64,
    #[serde(rename = "prevHash")]
    prev_hash: String,
    hash: String,
    #[serde(borrow)]
    event: &'a RawValue,
}

/// A line parsed without trusting anything in it.
pub(crate) struct ParsedLine<'a> {
    pub(crate) seq: u64,
    pub(crate) prev_hash: [u8; 32],
    pub(crate) hash: [u8; 32],
    /// The event JSON exactly as stored (what the hash covers).
    pub(crate) event_json: &'a str,
}

impl ParsedLine<'_> {
    /// Whether the stored hash matches the stored event and prevHash.
    pub(crate) fn hash_ok(&self) -> bool {
        record_hash(&self.prev_hash, self.event_json.as_bytes()) == self.hash
    }
}

/// Parses one line (without its newline). The line must be in exactly the
/// form the writer produces; anything else is reported, because the parts
/// outside `event` are not covered by the record hash and a lenient parser
/// would let them change silently.
pub(crate) fn parse_line(line: &[u8]) -> Result<ParsedLine<'_>, String> {
    let text = std::str::from_utf8(line).map_err(|_| "not UTF-8".to_owned())?;
    let raw: RawLine<'_> =
        serde_json::from_str(text).map_err(|e| format!("not a log record: {e}"))?;
    let prev_hash = hex::decode32(&raw.prev_hash).ok_or("prevHash is not 64 hex digits")?;
    let hash = hex::decode32(&raw.hash).ok_or("hash is not 64 hex digits")?;
    let parsed = ParsedLine {
        seq: raw.seq,
        prev_hash,
        hash,
        event_json: raw.event.get(),
    };
    let mut canonical = Vec::with_capacity(line.len().saturating_add(1));
    encode_line(
        &mut canonical,
        parsed.seq,
        &parsed.prev_hash,
        &parsed.hash,
        parsed.event_json.as_bytes(),
    );
    if canonical.strip_suffix(b"\n") != Some(line) {
        return Err("record is not in the form the writer produces".into());
    }
    Ok(parsed)
}

/// `20261126T100000Z`: sortable, and safe in a file name.
pub(crate) fn compact_time(t: OffsetDateTime) -> String {
    let t = t.checked_to_offset(time::UtcOffset::UTC).unwrap_or(t);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// `events-<time>-<first seq>.jsonl`.
pub(crate) fn log_file_name(t: OffsetDateTime, first_seq: u64) -> String {
    format!("events-{}-{first_seq:012}.jsonl", compact_time(t))
}

/// `digest-<time>-<digest seq>.json`.
pub(crate) fn digest_file_name(t: OffsetDateTime, digest_seq: u64) -> String {
    format!("digest-{}-{digest_seq:012}.json", compact_time(t))
}

/// The sequence number in a name built by [`log_file_name`]/[`digest_file_name`].
///
/// Strict on purpose: names come from disk and from digests, and only names
/// of exactly this shape (no separators, no `..`) are ever opened.
fn parse_name(name: &str, prefix: &str, suffix: &str) -> Option<u64> {
    let middle = name.strip_prefix(prefix)?.strip_suffix(suffix)?;
    let (stamp, seq) = middle.split_once('-')?;
    let stamp_ok = stamp.len() == 16
        && stamp.bytes().enumerate().all(|(i, b)| match i {
            8 => b == b'T',
            15 => b == b'Z',
            _ => b.is_ascii_digit(),
        });
    if !stamp_ok || seq.is_empty() || !seq.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    seq.parse().ok()
}

/// First seq of a log file, from its name.
pub(crate) fn parse_log_file_name(name: &str) -> Option<u64> {
    parse_name(name, "events-", ".jsonl")
}

/// Digest seq, from a digest file name.
pub(crate) fn parse_digest_file_name(name: &str) -> Option<u64> {
    parse_name(name, "digest-", ".json")
}

/// A directory entry: its parsed seq (if the name is well-formed) and name.
pub(crate) struct Listed {
    pub(crate) seq: Option<u64>,
    pub(crate) name: String,
}

/// Names in `dir` starting with `prefix`, well-formed ones sorted by seq then
/// name, malformed ones last. A missing directory lists as empty.
pub(crate) fn list(
    dir: &Path,
    prefix: &str,
    parse: fn(&str) -> Option<u64>,
) -> std::io::Result<Vec<Listed>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry?;
        if !entry.file_type()?.is_file() {
            continue;
        }
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if name.starts_with(prefix) {
            out.push(Listed {
                seq: parse(&name),
                name,
            });
        }
    }
    out.sort_by(|a, b| (a.seq.is_none(), a.seq, &a.name).cmp(&(b.seq.is_none(), b.seq, &b.name)));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_round_trip_and_strictness() {
        let prev = [7u8; 32];
        let ev = br#"{"eventName":"Encrypt"}"#;
        let h = record_hash(&prev, ev);
        let mut buf = Vec::new();
        encode_line(&mut buf, 42, &prev, &h, ev);
        let line = buf.strip_suffix(b"\n").unwrap();
        let p = parse_line(line).unwrap();
        assert_eq!(p.seq, 42);
        assert!(p.hash_ok());
        assert_eq!(p.event_json.as_bytes(), ev);
        let spaced = String::from_utf8(line.to_vec())
            .unwrap()
            .replace("\"seq\":42", "\"seq\": 42");
        assert!(parse_line(spaced.as_bytes()).is_err());
        assert!(parse_line(b"{}").is_err());
        assert!(parse_line(&[0xff, 0xfe]).is_err());
    }

    #[test]
    fn names() {
        let t = crate::event::parse_time("2026-11-26T10:00:00Z").unwrap();
        let n = log_file_name(t, 5);
        assert_eq!(n, "events-20261126T100000Z-000000000005.jsonl");
        assert_eq!(parse_log_file_name(&n), Some(5));
        assert_eq!(parse_digest_file_name(&digest_file_name(t, 9)), Some(9));
        assert_eq!(parse_log_file_name("events-../../x-1.jsonl"), None);
        assert_eq!(parse_log_file_name("events-20261126T100000Z-.jsonl"), None);
        assert_eq!(
            parse_log_file_name("events-20261126T100000Z-99999999999999999999999.jsonl"),
            None
        );
    }
}
