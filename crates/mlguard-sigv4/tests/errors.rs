//! End-to-end checks that each failure cause yields AWS's code, status and message in every protocol family.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use mlguard_sigv4::{
    HttpRequest, PayloadHash, ProtocolFamily, SigV4Error, VerifyOptions, parse_auth, signing_key,
    verify,
};

use ProtocolFamily::{Json, Query, RestXml};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const GOOD: &str = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";
const T: i64 = 1_440_938_160;
const EMPTY: [u8; 32] = [
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
];

/// Parses and verifies a GET / with these headers and query at `now`.
fn run(
    headers: &[(&str, &str)],
    query: &str,
    now: i64,
    opts: impl FnOnce(&mut VerifyOptions),
) -> SigV4Error {
    let headers: Vec<(&str, &[u8])> = headers.iter().map(|(n, v)| (*n, v.as_bytes())).collect();
    let req = HttpRequest {
        method: "GET",
        path: "/",
        query,
        headers: &headers,
    };
    let auth = match parse_auth(&req) {
        Ok(a) => a,
        Err(e) => return e,
    };
    let key = signing_key(SECRET, &auth.scope_date, &auth.region, &auth.service);
    let mut o = VerifyOptions::aws_defaults(now);
    opts(&mut o);
    verify(&req, &auth, PayloadHash::Computed(EMPTY), &key, &o).unwrap_err()
}

fn answer(e: &SigV4Error, f: ProtocolFamily) -> (&'static str, u16, String) {
    (e.aws_code(f), e.http_status(f), e.aws_message(f))
}

fn host_date(auth: &str) -> Vec<(&'static str, String)> {
    vec![
        ("Host", "example.amazonaws.com".into()),
        ("X-Amz-Date", "20150830T123600Z".into()),
        ("Authorization", auth.into()),
    ]
}

fn run_auth(auth: &str, now: i64) -> SigV4Error {
    let h = host_date(auth);
    let h: Vec<(&str, &str)> = h.iter().map(|(n, v)| (*n, v.as_str())).collect();
    run(&h, "", now, |_| {})
}

#[test]
fn missing_authentication() {
    let e = run(&[("Host", "example.amazonaws.com")], "", T, |_| {});
    assert_eq!(
        answer(&e, Json),
        (
            "MissingAuthenticationTokenException",
            400,
            "Request is missing Authentication Token".into()
        )
    );
    assert_eq!(
        answer(&e, Query),
        (
            "MissingAuthenticationToken",
            403,
            "Request is missing Authentication Token".into()
        )
    );
    assert_eq!(
        answer(&e, RestXml),
        ("AccessDenied", 403, "Access Denied".into())
    );
}

#[test]
fn incomplete_header() {
    let e = run_auth("AWS4-HMAC-SHA256 Credential=ABCDEF", T);
    assert_eq!(
        answer(&e, Query),
        (
            "IncompleteSignature",
            400,
            "Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256 Credential=ABCDEF".into()
        )
    );
    assert_eq!(e.aws_code(Json), "IncompleteSignatureException");
    assert_eq!(
        answer(&e, RestXml),
        ("AuthorizationHeaderMalformed", 400, "The authorization header is malformed; the authorization header requires three components: Credential, SignedHeaders, and Signature.".into())
    );
    let e = run_auth(
        "AWS4-HMAC-SHA256 Credential=AKID /20150830/us-east-1/service/aws4_request, SignedHeaders=host, Signature=00",
        T,
    );
    assert!(
        matches!(e, SigV4Error::MalformedAuthorizationParameter { .. }),
        "{e:?}"
    );
    assert!(e.aws_message(Json).starts_with("'/20150830/us-east-1/service/aws4_request' not a valid key=value pair (missing equal-sign) in Authorization header: 'AWS4-HMAC-SHA256 Credential="));
}

#[test]
fn algorithms() {
    let e = run_auth(
        "AWS4-HMAC-SHA512 Credential=a/b/c/d/aws4_request, SignedHeaders=host, Signature=00",
        T,
    );
    assert_eq!(
        answer(&e, Json),
        (
            "IncompleteSignatureException",
            400,
            "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512'.".into()
        )
    );
    let e = run_auth(
        "AWS4-ECDSA-P256-SHA256 Credential=a/b/c/aws4_request, SignedHeaders=host, Signature=00",
        T,
    );
    assert!(matches!(e, SigV4Error::UnsupportedSigV4a { .. }));
    let e = run_auth("AWS AKIDEXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=", T);
    assert_eq!(answer(&e, RestXml).0, "InvalidRequest");
    assert_eq!(answer(&e, Json).0, "MissingAuthenticationTokenException");
}

#[test]
fn scope_errors() {
    let e = run_auth(&GOOD.replace("aws4_request", "aws4_reques"), T);
    assert_eq!(
        e.aws_message(Json),
        "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws4_reques'. "
    );
    assert_eq!(
        e.aws_message(RestXml),
        "The authorization header is malformed; incorrect terminal \"aws4_reques\". This endpoint uses \"aws4_request\"."
    );
    let e = run_auth(&GOOD.replace("/20150830/", "/20150829/"), T);
    assert_eq!(
        e.aws_message(Json),
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20150829' != '20150830', from '20150830T123600Z'."
    );
    assert_eq!(
        e.aws_message(RestXml),
        "The authorization header is malformed; Invalid credential date \"20150829\". This date is not the same as X-Amz-Date: \"20150830\"."
    );
    let e = run_auth(&GOOD.replace("us-east-1/", ""), T);
    assert_eq!(
        e.aws_message(Json),
        "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKIDEXAMPLE/20150830/service/aws4_request'"
    );
    let h = host_date(GOOD);
    let h: Vec<(&str, &str)> = h.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let e = run(&h, "", T, |o| {
        o.expected_region = Some("eu-central-1".into())
    });
    assert_eq!(
        answer(&e, Query),
        (
            "SignatureDoesNotMatch",
            403,
            "Credential should be scoped to a valid region, not 'us-east-1'. ".into()
        )
    );
    assert_eq!(
        e.aws_message(RestXml),
        "The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'eu-central-1'"
    );
    assert_eq!(
        e.aws_extra_fields(RestXml),
        [("Region", "eu-central-1".to_owned())]
    );
    let e = run(&h, "", T, |o| o.expected_service = Some("kms".into()));
    assert_eq!(
        answer(&e, Json),
        (
            "InvalidSignatureException",
            400,
            "Credential should be scoped to correct service: 'kms'. ".into()
        )
    );
}

#[test]
fn host_and_unsigned_headers() {
    let e = run_auth(&GOOD.replace("host;", ""), T);
    assert_eq!(
        e.aws_message(Json),
        "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
    );
    assert_eq!(
        answer(&e, RestXml),
        (
            "AccessDenied",
            403,
            "There were headers present in the request which were not signed".into()
        )
    );
    assert_eq!(
        e.aws_extra_fields(RestXml),
        [("HeadersNotSigned", "host".to_owned())]
    );
    let mut h = host_date(GOOD);
    h.push(("X-Amz-Target", "TrentService.Decrypt".into()));
    let h: Vec<(&str, &str)> = h.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let e = run(&h, "", T, |_| {});
    assert_eq!(
        e,
        SigV4Error::UnsignedHeaders {
            headers: vec!["x-amz-target".into()]
        }
    );
    assert_eq!(
        e.aws_extra_fields(RestXml),
        [("HeadersNotSigned", "x-amz-target".to_owned())]
    );
}

#[test]
fn dates_and_time() {
    let e = run(&[("Host", "h"), ("Authorization", GOOD)], "", T, |_| {});
    assert!(matches!(e, SigV4Error::MissingDate { .. }));
    assert_eq!(
        e.aws_message(Json),
        format!(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization={GOOD}"
        )
    );
    assert_eq!(
        answer(&e, RestXml),
        (
            "AccessDenied",
            403,
            "AWS authentication requires a valid Date or x-amz-date header".into()
        )
    );
    let e = run(
        &[
            ("Host", "h"),
            ("X-Amz-Date", "201"),
            ("Authorization", GOOD),
        ],
        "",
        T,
        |_| {},
    );
    assert_eq!(
        e.aws_message(Json),
        "Date must be in ISO-8601 'basic format'. Got '201'. See http://en.wikipedia.org/wiki/ISO_8601"
    );
    let e = run_auth(GOOD, T + 16 * 60);
    assert_eq!(
        answer(&e, Query),
        ("SignatureDoesNotMatch", 403, "Signature expired: 20150830T123600Z is now earlier than 20150830T123700Z (20150830T125200Z - 15 min.)".into())
    );
    assert_eq!(answer(&e, RestXml).0, "RequestTimeTooSkewed");
    assert_eq!(
        e.aws_extra_fields(RestXml),
        [
            ("RequestTime", "20150830T123600Z".to_owned()),
            ("ServerTime", "2015-08-30T12:52:00Z".to_owned()),
            ("MaxAllowedSkewMilliseconds", "900000".to_owned())
        ]
    );
    let e = run_auth(GOOD, T - 16 * 60);
    assert!(e.aws_message(Json).starts_with("Signature not yet current: 20150830T123600Z is still later than 20150830T123500Z (20150830T122000Z + 15 min.)"));
    // 15 minutes either way are still fine; emulate mode ignores the clock.
    let h = host_date(GOOD);
    let h: Vec<(&str, &[u8])> = h.iter().map(|(n, v)| (*n, v.as_bytes())).collect();
    let req = HttpRequest {
        method: "GET",
        path: "/",
        query: "",
        headers: &h,
    };
    let auth = parse_auth(&req).unwrap();
    let key = signing_key(SECRET, &auth.scope_date, &auth.region, &auth.service);
    for now in [T - 900, T + 900] {
        verify(
            &req,
            &auth,
            PayloadHash::Computed(EMPTY),
            &key,
            &VerifyOptions::aws_defaults(now),
        )
        .unwrap();
    }
    let emulate = VerifyOptions {
        max_skew_secs: None,
        ..VerifyOptions::aws_defaults(0)
    };
    verify(&req, &auth, PayloadHash::Computed(EMPTY), &key, &emulate).unwrap();
}

#[test]
fn signature_mismatch() {
    let e = run_auth(&GOOD.replace("5fa00f", "5fa00e"), T);
    assert_eq!(
        answer(&e, Json),
        ("InvalidSignatureException", 400, "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.".into())
    );
    assert_eq!(
        answer(&e, RestXml),
        ("SignatureDoesNotMatch", 403, "The request signature we calculated does not match the signature you provided. Check your key and signing method.".into())
    );
    let fields = e.aws_extra_fields(RestXml);
    let names: Vec<&str> = fields.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        names,
        [
            "AWSAccessKeyId",
            "StringToSign",
            "SignatureProvided",
            "StringToSignBytes",
            "CanonicalRequest",
            "CanonicalRequestBytes"
        ]
    );
    assert_eq!(
        fields[1].1,
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"
    );
    assert!(fields[3].1.starts_with("41 57 53 34 2d 48 4d 41 43"));
    assert_eq!(
        fields[2].1,
        "5fa00ea31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
    );
    let e = run_auth(&GOOD.replace("5fa00f", "zz"), T);
    assert_eq!(e, SigV4Error::SignatureMismatch(None));
}

#[test]
fn presigned_errors() {
    let base = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20150830%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";
    let e = run(&[("Host", "h")], base, T, |_| {});
    assert_eq!(
        answer(&e, RestXml),
        ("AuthorizationQueryParametersError", 400, "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.".into())
    );
    let e = run(
        &[("Host", "h")],
        &base.replace("X-Amz-Date=20150830T123600Z&", ""),
        T,
        |_| {},
    );
    assert_eq!(
        e.aws_message(Query),
        "AWS query-string parameters must include 'X-Amz-Date'. Re-examine the query-string parameters."
    );
    let e = run(
        &[("Host", "h")],
        &format!("{base}&X-Amz-Expires=604801"),
        T,
        |_| {},
    );
    assert_eq!(
        e.aws_message(RestXml),
        "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds"
    );
    let e = run(
        &[("Host", "h")],
        &format!("{base}&X-Amz-Expires=-1"),
        T,
        |_| {},
    );
    assert_eq!(e.aws_message(RestXml), "X-Amz-Expires must be non-negative");
    let e = run(
        &[("Host", "h")],
        &format!(
            "{}&X-Amz-Expires=60",
            base.replace("us-east-1%2Fs3", "us-east-1%2Fec2")
        ),
        T,
        |o| o.expected_service = Some("s3".into()),
    );
    assert_eq!(
        e.aws_message(RestXml),
        "Error parsing the X-Amz-Credential parameter; incorrect service \"ec2\". This endpoint belongs to \"s3\"."
    );
    // Expired: S3 answers after the signature check, so use a good one.
    let e = run(
        &[("Host", "h"), ("Authorization", GOOD)],
        &format!("{base}&X-Amz-Expires=60"),
        T,
        |_| {},
    );
    assert_eq!(answer(&e, RestXml), ("InvalidArgument", 400, "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified".into()));
    let expired = SigV4Error::PresignedExpired {
        amz_date: "20150830T123600Z".into(),
        request_time: T,
        expires_in: 60,
        now: T + 61,
    };
    assert_eq!(
        answer(&expired, RestXml),
        ("AccessDenied", 403, "Request has expired".into())
    );
    assert_eq!(
        expired.aws_extra_fields(RestXml),
        [
            ("X-Amz-Expires", "60".to_owned()),
            ("Expires", "2015-08-30T12:37:00Z".to_owned()),
            ("ServerTime", "2015-08-30T12:37:01Z".to_owned())
        ]
    );
}

#[test]
fn caller_decided_errors() {
    let e = SigV4Error::unknown_access_key("AKIAUNKNOWN");
    assert_eq!(
        answer(&e, Json),
        (
            "UnrecognizedClientException",
            400,
            "The security token included in the request is invalid.".into()
        )
    );
    assert_eq!(
        answer(&e, Query),
        (
            "InvalidClientTokenId",
            403,
            "The security token included in the request is invalid.".into()
        )
    );
    assert_eq!(
        answer(&e, RestXml),
        (
            "InvalidAccessKeyId",
            403,
            "The AWS Access Key Id you provided does not exist in our records.".into()
        )
    );
    assert_eq!(
        e.aws_extra_fields(RestXml),
        [("AWSAccessKeyId", "AKIAUNKNOWN".to_owned())]
    );
    let e = SigV4Error::expired_token();
    assert_eq!(
        answer(&e, Json),
        (
            "ExpiredTokenException",
            400,
            "The security token included in the request is expired".into()
        )
    );
    assert_eq!(
        answer(&e, Query),
        (
            "ExpiredToken",
            403,
            "The security token included in the request is expired".into()
        )
    );
    assert_eq!(
        answer(&e, RestXml),
        (
            "ExpiredToken",
            400,
            "The provided token has expired.".into()
        )
    );
    let e = SigV4Error::invalid_security_token();
    assert_eq!(
        answer(&e, RestXml),
        (
            "InvalidToken",
            400,
            "The provided token is malformed or otherwise invalid.".into()
        )
    );
    assert_eq!(answer(&e, Query).0, "InvalidClientTokenId");
}
