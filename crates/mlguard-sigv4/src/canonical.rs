//! The canonical request and string to sign, rebuilt from the request exactly as the client built them.

use std::borrow::Cow;

use aws_lc_rs::digest;

use crate::encode::{canonical_component, encode_into, hex32};
use crate::error::{AuthLocation, SigV4Error};
use crate::parse::{ALGORITHM, ParsedAuth, TERMINATOR};
use crate::request::HttpRequest;

/// The payload hash line of the canonical request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PayloadHash<'a> {
    /// The server hashed the body (SHA-256); written as lower-case hex.
    Computed([u8; 32]),
    /// The client declared `x-amz-content-sha256: UNSIGNED-PAYLOAD` (and S3 presigned URLs,
    /// which sign `UNSIGNED-PAYLOAD` unless `X-Amz-Content-Sha256` says otherwise).
    Unsigned,
    /// Whatever the client declared in `x-amz-content-sha256`, used verbatim (S3, including
    /// the `STREAMING-*` values). The caller must still check the body against it.
    Declared(&'a str),
}

/// The `x-amz-content-sha256` header, or for a presigned URL the `X-Amz-Content-Sha256`
/// query parameter, as declared by the client; the usual input of [`PayloadHash::Declared`]
/// for S3.
pub fn declared_payload_hash<'a>(req: &HttpRequest<'a>) -> Option<&'a str> {
    if let Some(v) = req.values("x-amz-content-sha256").next() {
        return std::str::from_utf8(v).ok().map(str::trim);
    }
    req.query.split('&').find_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        name.eq_ignore_ascii_case("X-Amz-Content-Sha256")
            .then_some(value)
    })
}

/// Appends the canonical URI. Outside S3 the path is normalised (empty and `.` segments
/// dropped, `..` resolved) and encoded once more as it stands, so `%` becomes `%25`: this is
/// SigV4's "encode twice", since clients sign the already-encoded path. S3 is not normalised
/// and is encoded once: each segment is decoded and re-encoded canonically, so that an
/// encoded `/` stays encoded and `+` is a plus sign.
fn write_uri(out: &mut Vec<u8>, path: &str, s3: bool) {
    let path = path.as_bytes();
    if path.is_empty() {
        out.push(b'/');
        return;
    }
    if s3 {
        for (i, segment) in path.split(|b| *b == b'/').enumerate() {
            if i > 0 {
                out.push(b'/');
            }
            out.extend_from_slice(&canonical_component(segment, false));
        }
        return;
    }
    let needs_normalizing =
        !path.starts_with(b"/") || path.contains(&b'.') || path.windows(2).any(|w| w == b"//");
    if !needs_normalizing {
        encode_into(out, path, true);
        return;
    }
    let mut segments: Vec<&[u8]> = Vec::new();
    for segment in path.split(|b| *b == b'/') {
        match segment {
            b"" | b"." => {}
            b".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    out.push(b'/');
    for (i, segment) in segments.iter().enumerate() {
        if i > 0 {
            out.push(b'/');
        }
        encode_into(out, segment, false);
    }
    // RFC 3986 5.2.4 keeps the trailing slash of "/a/", "/a/." and "/a/..".
    let trailing = path.ends_with(b"/") || path.ends_with(b"/.") || path.ends_with(b"/..");
    if trailing && !segments.is_empty() {
        out.push(b'/');
    }
}

/// A canonical query `name=value` pair, borrowed when the request already had it canonical.
type Pair<'a> = (Cow<'a, [u8]>, Cow<'a, [u8]>);

/// Appends the canonical query string: every `name=value` pair decoded (`+` as a space) and
/// re-encoded, sorted by name then value, a missing value as `name=`, and for a presigned URL
/// without `X-Amz-Signature`.
fn write_query(out: &mut Vec<u8>, query: &str, skip_signature: bool) {
    if query.is_empty() {
        return;
    }
    let bytes = query.as_bytes();
    let count = bytes.iter().filter(|b| **b == b'&').count() + 1;
    let mut pairs: Vec<Pair<'_>> = Vec::with_capacity(count);
    for piece in bytes.split(|b| *b == b'&') {
        if piece.is_empty() {
            continue;
        }
        let (name, value) = match piece.iter().position(|b| *b == b'=') {
            Some(at) => (
                piece.get(..at).unwrap_or_default(),
                piece.get(at + 1..).unwrap_or_default(),
            ),
            None => (piece, &b""[..]),
        };
        let name = canonical_component(name, true);
        if skip_signature && name.eq_ignore_ascii_case(b"X-Amz-Signature") {
            continue;
        }
        pairs.push((name, canonical_component(value, true)));
    }
    pairs.sort_unstable();
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push(b'&');
        }
        out.extend_from_slice(name);
        out.push(b'=');
        out.extend_from_slice(value);
    }
}

/// Appends a header value trimmed, with each run of spaces and tabs as one space (S3 and
/// botocore fold tabs too).
fn write_header_value(out: &mut Vec<u8>, value: &[u8]) {
    // Fast path: no tab, nothing to trim and no double space, the usual case.
    let plain = !value.contains(&b'\t')
        && value.first() != Some(&b' ')
        && value.last() != Some(&b' ')
        && !value.windows(2).any(|w| w == b"  ");
    if plain {
        out.extend_from_slice(value);
        return;
    }
    let mut started = false;
    let mut pending_space = false;
    for &b in value {
        if b == b' ' || b == b'\t' {
            pending_space = started;
        } else {
            if pending_space {
                out.push(b' ');
                pending_space = false;
            }
            out.push(b);
            started = true;
        }
    }
}

/// Appends `name:value1,value2` for one signed header. A signed `host` that the request
/// lacks falls back to HTTP/2's `:authority`; an absent header gives an empty value, as AWS
/// does (the signature then fails unless the client signed it empty).
fn write_header(out: &mut Vec<u8>, req: &HttpRequest<'_>, name: &str) {
    if name.bytes().any(|b| b.is_ascii_uppercase()) {
        out.extend(name.bytes().map(|b| b.to_ascii_lowercase()));
    } else {
        out.extend_from_slice(name.as_bytes());
    }
    out.push(b':');
    let lookup = if name.eq_ignore_ascii_case("host") && !req.has("host") {
        ":authority"
    } else {
        name
    };
    for (i, value) in req.values(lookup).enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_header_value(out, value);
    }
    out.push(b'\n');
}

/// Builds the canonical request as bytes, the exact input of the hash.
pub(crate) fn canonical_request_bytes(
    req: &HttpRequest<'_>,
    auth: &ParsedAuth,
    payload: PayloadHash<'_>,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(
        256 + req.path.len() * 2 + req.query.len() * 2 + auth.signed_headers.len() * 48,
    );
    out.extend_from_slice(req.method.as_bytes());
    out.push(b'\n');
    write_uri(&mut out, req.path, auth.service == "s3");
    out.push(b'\n');
    write_query(
        &mut out,
        req.query,
        auth.location == AuthLocation::QueryString,
    );
    out.push(b'\n');
    for name in &auth.signed_headers {
        write_header(&mut out, req, name);
    }
    out.push(b'\n');
    for (i, name) in auth.signed_headers.iter().enumerate() {
        if i > 0 {
            out.push(b';');
        }
        out.extend_from_slice(name.as_bytes());
    }
    out.push(b'\n');
    match payload {
        PayloadHash::Computed(hash) => out.extend_from_slice(&hex32(&hash)),
        PayloadHash::Unsigned => out.extend_from_slice(b"UNSIGNED-PAYLOAD"),
        PayloadHash::Declared(declared) => out.extend_from_slice(declared.as_bytes()),
    }
    out
}

/// The canonical request the client must have signed, for tests and debugging. Bytes that are
/// not UTF-8 (possible in header values) show as U+FFFD here; [`crate::verify`] hashes the exact
/// bytes.
///
/// # Errors
/// None today; the `Result` leaves room for inputs that cannot be canonicalised.
pub fn canonical_request(
    req: &HttpRequest<'_>,
    auth: &ParsedAuth,
    payload: PayloadHash<'_>,
) -> Result<String, SigV4Error> {
    let bytes = canonical_request_bytes(req, auth, payload);
    Ok(match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

/// SHA-256 of the canonical request as lower-case hex.
pub(crate) fn hashed_canonical_request(creq: &[u8]) -> [u8; 64] {
    let d = digest::digest(&digest::SHA256, creq);
    let bytes: [u8; 32] = d.as_ref().try_into().unwrap_or([0; 32]);
    hex32(&bytes)
}

/// The string to sign: `AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{hex(sha256(canonical_request))}`.
pub fn string_to_sign(auth: &ParsedAuth, canonical_request: &str) -> String {
    let hash = hashed_canonical_request(canonical_request.as_bytes());
    let mut s = String::with_capacity(160);
    s.push_str(ALGORITHM);
    s.push('\n');
    s.push_str(&auth.amz_date);
    s.push('\n');
    push_scope(&mut s, auth);
    s.push('\n');
    s.extend(hash.iter().map(|b| char::from(*b)));
    s
}

/// Appends `{date}/{region}/{service}/aws4_request`.
pub(crate) fn push_scope(s: &mut String, auth: &ParsedAuth) {
    s.push_str(&auth.scope_date);
    s.push('/');
    s.push_str(&auth.region);
    s.push('/');
    s.push_str(&auth.service);
    s.push('/');
    s.push_str(TERMINATOR);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon_path(path: &str, s3: bool) -> String {
        let mut out = Vec::new();
        write_uri(&mut out, path, s3);
        String::from_utf8(out).unwrap()
    }

    fn query(q: &str, presigned: bool) -> String {
        let mut out = Vec::new();
        write_query(&mut out, q, presigned);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn paths_outside_s3() {
        assert_eq!(canon_path("", false), "/");
        assert_eq!(canon_path("/", false), "/");
        assert_eq!(canon_path("//example//", false), "/example/");
        assert_eq!(canon_path("/example/..", false), "/");
        assert_eq!(canon_path("/a/b/..", false), "/a/");
        assert_eq!(canon_path("/a/b/.", false), "/a/b/");
        assert_eq!(canon_path("/./example", false), "/example");
        assert_eq!(canon_path("/../../x", false), "/x");
        assert_eq!(canon_path("/a%20b", false), "/a%2520b");
        assert_eq!(canon_path("/ሴ", false), "/%E1%88%B4");
        assert_eq!(canon_path("/a+b=c", false), "/a%2Bb%3Dc");
        assert_eq!(canon_path("a/b", false), "/a/b");
    }

    #[test]
    fn paths_in_s3() {
        // Expectations from S3's behaviour as recorded by emulator test suites.
        assert_eq!(
            canon_path("/test-bucket/a%20b/a+b", true),
            "/test-bucket/a%20b/a%2Bb"
        );
        assert_eq!(
            canon_path("/test-bucket/%c3%bc/%E4%B8%AD", true),
            "/test-bucket/%C3%BC/%E4%B8%AD"
        );
        assert_eq!(
            canon_path("/test-bucket/!*'()~=&:@$,;", true),
            "/test-bucket/%21%2A%27%28%29~%3D%26%3A%40%24%2C%3B"
        );
        assert_eq!(
            canon_path("/test-bucket/%21%2A%27%28%29%7E%3D%26%3A", true),
            "/test-bucket/%21%2A%27%28%29~%3D%26%3A"
        );
        assert_eq!(
            canon_path("/test-bucket/100%25/100%", true),
            "/test-bucket/100%25/100%25"
        );
        assert_eq!(
            canon_path("/test-bucket//a//b/", true),
            "/test-bucket//a//b/"
        );
        assert_eq!(canon_path("/b/a/../c", true), "/b/a/../c");
        assert_eq!(canon_path("/b/a%2Fc", true), "/b/a%2Fc");
    }

    #[test]
    fn queries() {
        assert_eq!(query("b=2&a=1", false), "a=1&b=2");
        assert_eq!(query("a=2&a=1&a=&A=3", false), "A=3&a=&a=1&a=2");
        assert_eq!(query("acl&b=", false), "acl=&b=");
        assert_eq!(query("a=b+c&d=e%2Bf&g=%20", false), "a=b%20c&d=e%2Bf&g=%20");
        assert_eq!(query("k=1&k-x=2&k.y=3&k0=4", false), "k=1&k-x=2&k.y=3&k0=4");
        assert_eq!(
            query("k=%c3%bc~!*'()&l=a=b&m=a:b/c", false),
            "k=%C3%BC~%21%2A%27%28%29&l=a%3Db&m=a%3Ab%2Fc"
        );
        assert_eq!(query("a=1&&b=2&", false), "a=1&b=2");
        assert_eq!(
            query("X-Amz-Signature=ab&a=1&x-amz-SIGNATURE=cd", true),
            "a=1"
        );
        assert_eq!(
            query("X-Amz-Signature=ab&a=1", false),
            "X-Amz-Signature=ab&a=1"
        );
    }

    #[test]
    fn header_values() {
        let mut out = Vec::new();
        write_header_value(&mut out, b"  a   b \t c  ");
        assert_eq!(out, b"a b c");
        out.clear();
        write_header_value(&mut out, b"\"a   b   c\"");
        assert_eq!(out, b"\"a b c\"");
        out.clear();
        write_header_value(&mut out, b"   ");
        assert_eq!(out, b"");
    }
}
