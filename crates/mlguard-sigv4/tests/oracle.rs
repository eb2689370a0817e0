//! Signs many requests with AWS's own signer (`aws-sigv4`) and checks that the verifier accepts them and refuses their tampered forms.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_lc_rs::digest;
use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SignatureLocation,
    SigningSettings, UriPathNormalizationMode, sign,
};
use aws_sigv4::sign::v4;
use mlguard_sigv4::{
    AuthLocation, ExpiresProblem, HttpRequest, ParsedAuth, PayloadHash, SigV4Error, VerifyOptions,
    declared_payload_hash, parse_auth, signing_key, verify,
};

const AKID: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const TOKEN: &str = "IQoJb3JpZ2luX2VjEH0aCXVzLWVhc3QtMSJHMEUCIQD/token+with=chars&and/slashes==";
const HOST: &str = "example.amazonaws.com";

/// One request to sign.
#[derive(Clone)]
struct Case {
    method: &'static str,
    /// Path and query as they go on the wire (already percent-encoded, as SDKs send them).
    target: String,
    headers: Vec<(&'static str, &'static str)>,
    body: Vec<u8>,
    service: &'static str,
    region: &'static str,
    token: Option<&'static str>,
    presign: Option<u64>,
    time: u64,
}

/// A signed request as the server receives it.
#[derive(Clone, Debug)]
struct Signed {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
}

impl Signed {
    fn with<R>(&self, f: impl FnOnce(&HttpRequest<'_>) -> R) -> R {
        let headers: Vec<(&str, &[u8])> = self
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_slice()))
            .collect();
        f(&HttpRequest {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers: &headers,
        })
    }
}

/// Signs `case` with aws-sigv4 configured as the SDKs configure it for the service.
fn sign_case(case: &Case) -> Signed {
    let s3 = case.service == "s3";
    let identity =
        Credentials::new(AKID, SECRET, case.token.map(str::to_owned), None, "test").into();
    let mut settings = SigningSettings::default();
    if s3 {
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        if case.presign.is_none() {
            settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        }
    }
    if let Some(expires) = case.presign {
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(Duration::from_secs(expires));
    }
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(case.region)
        .name(case.service)
        .time(UNIX_EPOCH + Duration::from_secs(case.time))
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let uri = format!("https://{HOST}{}", case.target);
    let body = if s3 && case.presign.is_some() {
        SignableBody::UnsignedPayload
    } else {
        SignableBody::Bytes(&case.body)
    };
    let signable = SignableRequest::new(
        case.method,
        uri.as_str(),
        case.headers.iter().copied(),
        body,
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let mut builder = http::Request::builder()
        .method(case.method)
        .uri(uri.as_str());
    for (n, v) in &case.headers {
        builder = builder.header(*n, *v);
    }
    let mut req = builder.body(()).unwrap();
    instructions.apply_to_request_http1x(&mut req);
    Signed {
        method: case.method.to_owned(),
        path: req.uri().path().to_owned(),
        query: req.uri().query().unwrap_or("").to_owned(),
        headers: req
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str().to_owned(), v.as_bytes().to_vec()))
            .collect(),
        body: case.body.clone(),
    }
}

fn sha256(data: &[u8]) -> [u8; 32] {
    digest::digest(&digest::SHA256, data)
        .as_ref()
        .try_into()
        .unwrap()
}

/// The payload hash a server would use: the body's hash, or for S3 what the client declared.
fn payload_of<'a>(req: &HttpRequest<'a>, auth: &ParsedAuth, body: &[u8]) -> PayloadHash<'a> {
    match (auth.service == "s3", auth.location) {
        (true, AuthLocation::Header) => PayloadHash::Declared(declared_payload_hash(req).unwrap()),
        (true, AuthLocation::QueryString) => PayloadHash::Unsigned,
        (false, _) => PayloadHash::Computed(sha256(body)),
    }
}

fn opts_for(case: &Case, now: i64) -> VerifyOptions {
    VerifyOptions {
        now,
        max_skew_secs: Some(900),
        expected_region: Some(case.region.to_owned()),
        expected_service: Some(case.service.to_owned()),
    }
}

/// Parses and verifies a signed request at `now`.
fn check(signed: &Signed, case: &Case, now: i64) -> Result<ParsedAuth, SigV4Error> {
    signed.with(|req| {
        let auth = parse_auth(req)?;
        let key = signing_key(SECRET, &auth.scope_date, &auth.region, &auth.service);
        verify(
            req,
            &auth,
            payload_of(req, &auth, &signed.body),
            &key,
            &opts_for(case, now),
        )?;
        Ok(auth)
    })
}

fn cases() -> Vec<Case> {
    let plain_paths = [
        "/",
        "/a%20b/c",
        "/%C3%BC/%E4%B8%AD",
        "//double//slash/",
        "/a/../b/./c/",
        "/reserved+=;,:@!$'()*",
        "/x/%2F/y",
        "/-._~unreserved",
    ];
    let s3_paths = [
        "/bucket/key",
        "/bucket/a%20b",
        "/bucket/%C3%BC/%E4%B8%AD",
        "/bucket//double//",
        "/bucket/a/../b/./c",
        "/bucket/plus%2Bsign",
        "/bucket/%21%2A%27%28%29",
        "/bucket/dir%2Fkey~x",
    ];
    let queries = [
        "",
        "?a=1&b=2",
        "?b=2&a=1",
        "?a=2&a=1",
        "?empty=&flag",
        "?k=%E2%9C%93&sp=a%20b",
        "?plus=a+b",
        "?r=%21%2A%27%28%29%3D%26",
        "?list-type=2&prefix=a%2Fb%2F",
    ];
    let services = ["kms", "sts", "iam", "secretsmanager", "comprehend", "s3"];
    let mut out = Vec::new();
    let mut i: u64 = 0;
    for service in services {
        let paths = if service == "s3" {
            s3_paths
        } else {
            plain_paths
        };
        for path in paths {
            for query in queries {
                for presign in [None, Some(300)] {
                    for token in [None, Some(TOKEN)] {
                        i += 1;
                        let mut headers = vec![("host", HOST)];
                        match i % 4 {
                            0 => headers.extend([
                                ("x-amz-target", "TrentService.Encrypt"),
                                ("content-type", "application/x-amz-json-1.1"),
                            ]),
                            1 => headers.extend([
                                ("x-custom", "first"),
                                ("x-custom", "second"),
                                ("x-custom", "  third  "),
                            ]),
                            2 => headers.push(("x-spaced", "  a   b    c  ")),
                            _ => {}
                        }
                        if service == "s3" && i.is_multiple_of(3) {
                            headers.push(("x-amz-meta-color", "red"));
                        }
                        let (method, body) = match i % 3 {
                            0 => ("GET", Vec::new()),
                            1 => ("POST", b"Action=ListUsers&Version=2010-05-08".to_vec()),
                            _ => ("PUT", vec![0u8, 1, 2, 255, b'\n']),
                        };
                        out.push(Case {
                            method,
                            target: format!("{path}{query}"),
                            headers,
                            body,
                            service,
                            region: if i.is_multiple_of(2) {
                                "us-east-1"
                            } else {
                                "eu-west-1"
                            },
                            token,
                            presign,
                            // Spread over days and times of day, away from midnight for the
                            // date-tampering check below.
                            time: 1_700_000_000 + (i * 86_400 * 3 + i * 7_919) % (86_400 * 400),
                        });
                    }
                }
            }
        }
    }
    out
}

/// Replaces the first header named `name` (or adds it).
fn set_header(signed: &mut Signed, name: &str, value: &[u8]) {
    match signed
        .headers
        .iter_mut()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
    {
        Some((_, v)) => *v = value.to_vec(),
        None => signed.headers.push((name.to_owned(), value.to_vec())),
    }
}

/// Replaces the value of query parameter `name`.
fn set_query_param(signed: &mut Signed, name: &str, value: &str) {
    signed.query = signed
        .query
        .split('&')
        .map(|p| match p.split_once('=') {
            Some((n, _)) if n == name => format!("{n}={value}"),
            _ => p.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&");
}

fn is_mismatch(r: &Result<ParsedAuth, SigV4Error>) -> bool {
    matches!(r, Err(SigV4Error::SignatureMismatch(_)))
}

#[test]
fn signed_by_aws_sigv4_verifies_and_tampering_fails() {
    let all = cases();
    let mut verified = 0;
    let mut tampered = 0;
    for case in &all {
        let signed = sign_case(case);
        let t = i64::try_from(case.time).unwrap();
        let auth = check(&signed, case, t + 30)
            .unwrap_or_else(|e| panic!("{}: {e:?}\n{signed:?}", case.target));
        assert_eq!(auth.access_key_id, AKID);
        assert_eq!(auth.session_token.as_deref(), case.token);
        assert_eq!(auth.request_time, t);
        assert_eq!(auth.expires_in, case.presign);
        assert_eq!(
            auth.location,
            if case.presign.is_some() {
                AuthLocation::QueryString
            } else {
                AuthLocation::Header
            }
        );
        verified += 1;

        // One byte of the signature.
        let mut bad = auth.clone();
        bad.signature[7] ^= 0x10;
        signed.with(|req| {
            let key = signing_key(SECRET, &bad.scope_date, &bad.region, &bad.service);
            let r = verify(
                req,
                &bad,
                payload_of(req, &bad, &signed.body),
                &key,
                &opts_for(case, t),
            );
            assert!(
                matches!(r, Err(SigV4Error::SignatureMismatch(Some(_)))),
                "{r:?}"
            );
        });
        // One byte of the body hash.
        signed.with(|req| {
            let key = signing_key(SECRET, &auth.scope_date, &auth.region, &auth.service);
            let mut hash = match payload_of(req, &auth, &signed.body) {
                PayloadHash::Computed(h) => h,
                _ => sha256(&signed.body),
            };
            hash[0] ^= 1;
            let r = verify(
                req,
                &auth,
                PayloadHash::Computed(hash),
                &key,
                &opts_for(case, t),
            );
            assert!(matches!(r, Err(SigV4Error::SignatureMismatch(_))), "{r:?}");
        });
        // A signed header's value.
        let mut other = signed.clone();
        set_header(&mut other, "host", b"evil.example.com");
        assert!(is_mismatch(&check(&other, case, t)), "host");
        // The date, within the same day.
        let mut other = signed.clone();
        let later = mlguard_sigv4_test_format(t + 1);
        match case.presign {
            None => set_header(&mut other, "x-amz-date", later.as_bytes()),
            Some(_) => set_query_param(&mut other, "X-Amz-Date", &later),
        }
        assert!(is_mismatch(&check(&other, case, t)), "date");
        // The path and the query.
        let mut other = signed.clone();
        other.path.push('x');
        assert!(is_mismatch(&check(&other, case, t)), "path");
        let mut other = signed.clone();
        other.query = if other.query.is_empty() {
            "extra=1".into()
        } else {
            format!("{}&extra=1", other.query)
        };
        assert!(is_mismatch(&check(&other, case, t)), "query");
        // An x-amz-* header added after signing.
        let mut other = signed.clone();
        other
            .headers
            .push(("x-amz-acl".into(), b"public-read".to_vec()));
        match check(&other, case, t) {
            Err(SigV4Error::UnsignedHeaders { headers }) => assert_eq!(headers, ["x-amz-acl"]),
            r => panic!("{r:?}"),
        }
        // Scope region and service.
        signed.with(|req| {
            let key = signing_key(SECRET, &auth.scope_date, &auth.region, &auth.service);
            let payload = payload_of(req, &auth, &signed.body);
            let wrong_region = VerifyOptions {
                expected_region: Some("ap-south-2".into()),
                ..opts_for(case, t)
            };
            assert!(matches!(
                verify(req, &auth, payload, &key, &wrong_region),
                Err(SigV4Error::WrongRegion { .. })
            ));
            let wrong_service = VerifyOptions {
                expected_service: Some("ec2".into()),
                ..opts_for(case, t)
            };
            assert!(matches!(
                verify(req, &auth, payload, &key, &wrong_service),
                Err(SigV4Error::WrongService { .. })
            ));
        });
        // Time: an hour later.
        let r = check(&signed, case, t + 3600);
        match (case.presign, case.service) {
            (Some(_), "s3") => assert!(
                matches!(r, Err(SigV4Error::PresignedExpired { .. })),
                "{r:?}"
            ),
            _ => assert!(
                matches!(r, Err(SigV4Error::RequestTimeTooSkewed { .. })),
                "{r:?}"
            ),
        }
        // Presigned: valid to the last second, expired one second later.
        if let Some(expires) = case.presign {
            let expires = i64::try_from(expires).unwrap();
            assert!(check(&signed, case, t + expires).is_ok());
            assert!(matches!(
                check(&signed, case, t + expires + 1),
                Err(SigV4Error::PresignedExpired { .. })
            ));
        }
        tampered += 1;
    }
    assert_eq!(verified, all.len());
    println!("{verified} requests signed by aws-sigv4 verified, each tampered 10 ways");
    assert!(tampered > 1000);
}

/// Formats unix seconds as X-Amz-Date (the crate's formatter is private).
fn mlguard_sigv4_test_format(t: i64) -> String {
    let secs = u64::try_from(t).unwrap();
    let (y, m, d) = civil(i64::try_from(secs / 86_400).unwrap());
    let rem = secs % 86_400;
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn civil(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[test]
fn presigned_longer_than_a_week_is_refused() {
    let case = Case {
        method: "GET",
        target: "/bucket/key".into(),
        headers: vec![("host", HOST)],
        body: Vec::new(),
        service: "s3",
        region: "us-east-1",
        token: None,
        presign: Some(604_801),
        time: 1_700_000_000,
    };
    let signed = sign_case(&case);
    let r = signed.with(parse_auth);
    assert_eq!(
        r,
        Err(SigV4Error::InvalidExpires {
            problem: ExpiresProblem::TooLarge
        })
    );
    let mut week = case.clone();
    week.presign = Some(604_800);
    let signed = sign_case(&week);
    assert!(check(&signed, &week, 1_700_000_000 + 604_800).is_ok());
}

#[test]
fn now_is_a_system_time_in_the_caller() {
    // The verifier never reads the clock: the same request passes or fails with `now` alone.
    let case = cases().into_iter().next().unwrap();
    let signed = sign_case(&case);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let r = check(&signed, &case, i64::try_from(now).unwrap());
    assert!(matches!(r, Err(SigV4Error::RequestTimeTooSkewed { .. })));
}
