//! A rough timing of parse_auth + verify, ignored by default: `cargo test --release --test timing -- --ignored --nocapture`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::Instant;

use aws_lc_rs::hmac;
use mlguard_sigv4::{
    HttpRequest, PayloadHash, VerifyOptions, canonical_request, parse_auth, signing_key,
    string_to_sign, verify,
};

#[test]
#[ignore = "timing, not a check; run in release"]
fn verify_takes_microseconds() {
    // A KMS-like request: host, content-type, x-amz-target, x-amz-date, session token.
    let template = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/kms/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";
    let token: &[u8] = b"IQoJb3JpZ2luX2VjEH0aCXVzLWVhc3QtMSJHMEUCIQD/token+with=chars";
    let ua: &[u8] =
        b"Boto3/1.35.0 md/Botocore#1.35.0 ua/2.0 os/linux#6.1 md/arch#x86_64 lang/python#3.12.3";
    let key = signing_key("secret", "20150830", "us-east-1", "kms");
    // Sign it first, so that the timed path is the successful one.
    let auth = {
        let headers: &[(&str, &[u8])] = &[
            ("Host", b"kms.us-east-1.amazonaws.com"),
            ("Content-Type", b"application/x-amz-json-1.1"),
            ("X-Amz-Target", b"TrentService.Encrypt"),
            ("X-Amz-Date", b"20150830T123600Z"),
            ("X-Amz-Security-Token", token),
            ("Authorization", template.as_bytes()),
        ];
        let req = HttpRequest {
            method: "POST",
            path: "/",
            query: "",
            headers,
        };
        let parsed = parse_auth(&req).unwrap();
        let creq = canonical_request(&req, &parsed, PayloadHash::Computed([1; 32])).unwrap();
        let tag = hmac::sign(
            &hmac::Key::new(hmac::HMAC_SHA256, &key),
            string_to_sign(&parsed, &creq).as_bytes(),
        );
        let hex: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
        template.replace(
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
            &hex,
        )
    };
    let headers: &[(&str, &[u8])] = &[
        ("Host", b"kms.us-east-1.amazonaws.com"),
        ("Content-Type", b"application/x-amz-json-1.1"),
        ("X-Amz-Target", b"TrentService.Encrypt"),
        ("X-Amz-Date", b"20150830T123600Z"),
        ("X-Amz-Security-Token", token),
        ("User-Agent", ua),
        ("Authorization", auth.as_bytes()),
    ];
    let req = HttpRequest {
        method: "POST",
        path: "/",
        query: "",
        headers,
    };
    let opts = VerifyOptions::aws_defaults(1_440_938_160);
    let n = 200_000;
    let parsed = parse_auth(&req).unwrap();
    verify(&req, &parsed, PayloadHash::Computed([1; 32]), &key, &opts).unwrap();
    let start = Instant::now();
    for _ in 0..n {
        std::hint::black_box(parse_auth(std::hint::black_box(&req)).unwrap());
    }
    let parse = start.elapsed() / n;
    let start = Instant::now();
    for _ in 0..n {
        verify(
            std::hint::black_box(&req),
            &parsed,
            PayloadHash::Computed([1; 32]),
            &key,
            &opts,
        )
        .unwrap();
    }
    let check = start.elapsed() / n;
    let start = Instant::now();
    for _ in 0..n {
        std::hint::black_box(
            canonical_request(
                std::hint::black_box(&req),
                &parsed,
                PayloadHash::Computed([1; 32]),
            )
            .unwrap(),
        );
    }
    println!("canonical_request: {:?}", start.elapsed() / n);
    println!("parse_auth: {parse:?}, verify: {check:?} per request");
}

#[test]
#[ignore = "timing, not a check; run in release"]
fn machine_baseline() {
    let n = 200_000u32;
    let data = [7u8; 300];
    let start = Instant::now();
    for _ in 0..n {
        std::hint::black_box(aws_lc_rs::digest::digest(
            &aws_lc_rs::digest::SHA256,
            std::hint::black_box(&data),
        ));
    }
    println!("sha256(300 B): {:?}", start.elapsed() / n);
    let key = hmac::Key::new(hmac::HMAC_SHA256, &[1; 32]);
    let start = Instant::now();
    for _ in 0..n {
        std::hint::black_box(hmac::sign(std::hint::black_box(&key), &data[..150]));
    }
    println!("hmac(150 B): {:?}", start.elapsed() / n);
    let start = Instant::now();
    for _ in 0..n {
        std::hint::black_box(hmac::Key::new(
            hmac::HMAC_SHA256,
            std::hint::black_box(&[1; 32]),
        ));
    }
    println!("hmac key setup: {:?}", start.elapsed() / n);
    let start = Instant::now();
    for i in 0..n {
        std::hint::black_box(format!("{i}-abcdefghijklmnop"));
    }
    println!("small String alloc+format: {:?}", start.elapsed() / n);
}
