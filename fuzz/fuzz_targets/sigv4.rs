//! Arbitrary Authorization headers, query strings, paths and dates: parsing and
//! verification return errors, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mlguard_sigv4::{HttpRequest, PayloadHash, VerifyOptions, parse_auth, signing_key, verify};

fuzz_target!(|data: &[u8]| {
    // Split the input into fields on 0xff bytes.
    let mut fields = data.split(|b| *b == 0xff);
    let authorization = fields.next().unwrap_or_default();
    let query = std::str::from_utf8(fields.next().unwrap_or_default()).unwrap_or("");
    let path = std::str::from_utf8(fields.next().unwrap_or_default()).unwrap_or("/");
    let date = fields.next().unwrap_or(b"20261126T100000Z");
    let extra = fields.next().unwrap_or_default();
    let headers: Vec<(&str, &[u8])> = vec![
        ("host", b"127.0.0.1:4566"),
        ("x-amz-date", date),
        ("authorization", authorization),
        ("x-amz-security-token", extra),
        ("x-amz-content-sha256", extra),
    ];
    let req = HttpRequest { method: "POST", path, query, headers: &headers };
    if let Ok(auth) = parse_auth(&req) {
        let key = signing_key("secret", &auth.scope_date, &auth.region, &auth.service);
        let _ = verify(&req, &auth, PayloadHash::Computed([0; 32]), &key, &VerifyOptions::aws_defaults(1_795_687_200));
        let _ = verify(&req, &auth, PayloadHash::Declared("UNSIGNED-PAYLOAD"), &key, &VerifyOptions::aws_defaults(0));
    }
});
