//! Property tests: parsing and verifying arbitrary or mangled requests never panics.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use mlguard_sigv4::{
    HttpRequest, PayloadHash, ProtocolFamily, SigV4Error, VerifyOptions, canonical_request,
    parse_auth, string_to_sign, verify,
};
use proptest::prelude::*;

const FAMILIES: [ProtocolFamily; 3] = [
    ProtocolFamily::Json,
    ProtocolFamily::Query,
    ProtocolFamily::RestXml,
];

/// Runs everything the crate offers on a request; only panics matter here.
fn exercise(req: &HttpRequest<'_>, now: i64, skew: Option<u64>) {
    let error = match parse_auth(req) {
        Ok(auth) => {
            let key = [7u8; 32];
            for payload in [
                PayloadHash::Unsigned,
                PayloadHash::Computed([1; 32]),
                PayloadHash::Declared("x\u{0}é"),
            ] {
                let creq = canonical_request(req, &auth, payload).unwrap();
                let _ = string_to_sign(&auth, &creq);
            }
            let opts = VerifyOptions {
                now,
                max_skew_secs: skew,
                expected_region: Some("us-east-1".into()),
                expected_service: None,
            };
            match verify(req, &auth, PayloadHash::Unsigned, &key, &opts) {
                Ok(()) => return,
                Err(e) => e,
            }
        }
        Err(e) => e,
    };
    render(&error);
}

fn render(error: &SigV4Error) {
    let _ = format!("{error} {error:?}");
    for family in FAMILIES {
        let _ = (
            error.aws_code(family),
            error.http_status(family),
            error.aws_message(family),
        );
        let _ = error.aws_extra_fields(family);
    }
}

fn header_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("Authorization".to_owned()),
        Just("X-Amz-Date".to_owned()),
        Just("Date".to_owned()),
        Just("host".to_owned()),
        Just("x-amz-security-token".to_owned()),
        Just("x-amz-content-sha256".to_owned()),
        Just(":authority".to_owned()),
        "[a-zA-Z:-]{0,12}",
        any::<String>(),
    ]
}

fn auth_value() -> impl Strategy<Value = Vec<u8>> {
    let credential = prop_oneof![
        Just("AKID/20150830/us-east-1/service/aws4_request".to_owned()),
        "[A-Z/]{0,5}/[0-9]{0,9}/[a-z0-9-]{0,12}/[a-z0-9]{0,6}/aws4_request/{0,3}",
        any::<String>(),
    ];
    let signed = prop_oneof![
        Just("host;x-amz-date".to_owned()),
        "[a-zA-Z;:-]{0,20}",
        any::<String>()
    ];
    let signature = prop_oneof!["[0-9a-fA-F]{64}", "[0-9a-z]{0,70}", any::<String>()];
    let algorithm = prop_oneof![
        Just("AWS4-HMAC-SHA256".to_owned()),
        Just("AWS4-ECDSA-P256-SHA256".to_owned()),
        Just("AWS ".to_owned()),
        "AWS4-[A-Z0-9-]{0,12}",
        any::<String>(),
    ];
    (
        algorithm,
        credential,
        signed,
        signature,
        any::<bool>(),
        "[ ,=]{0,3}",
    )
        .prop_map(|(a, c, s, sig, commas, junk)| {
            let sep = if commas { ", " } else { "," };
            format!("{a} Credential={c}{sep}SignedHeaders={s}{sep}Signature={sig}{junk}")
                .into_bytes()
        })
}

fn query_string() -> impl Strategy<Value = String> {
    let pair = prop_oneof![
        "X-Amz-(Algorithm|Credential|Signature|Date|SignedHeaders|Expires|Security-Token)=[A-Za-z0-9%+/=-]{0,40}",
        "[a-z]{0,5}(=[a-z%0-9+]{0,8})?",
        "%[0-9a-fA-Fzg]{0,2}",
        any::<String>(),
    ];
    prop::collection::vec(pair, 0..8).prop_map(|v| v.join("&"))
}

fn header_value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        auth_value(),
        "[0-9]{8}T[0-9]{6}Z".prop_map(String::into_bytes),
        "(Mon|Sun), [0-9]{2} (Aug|Feb) [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT"
            .prop_map(String::into_bytes),
        prop::collection::vec(any::<u8>(), 0..64),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_requests_never_panic(
        method in "[A-Z]{0,7}|.{0,4}",
        path in prop_oneof!["(/[a-z.%0-9A-F+]{0,6}){0,6}/?", any::<String>()],
        query in query_string(),
        headers in prop::collection::vec((header_name(), header_value()), 0..8),
        now in prop_oneof![any::<i64>(), 1_440_938_000i64..1_440_939_000],
        skew in prop::option::of(any::<u64>()),
    ) {
        let headers: Vec<(&str, &[u8])> = headers.iter().map(|(n, v)| (n.as_str(), v.as_slice())).collect();
        let req = HttpRequest { method: &method, path: &path, query: &query, headers: &headers };
        exercise(&req, now, skew);
    }

    #[test]
    fn mangled_valid_requests_never_panic(
        auth_edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4),
        query_edits in prop::collection::vec((any::<prop::sample::Index>(), any::<char>()), 0..4),
        presigned in any::<bool>(),
        now in any::<i64>(),
    ) {
        let mut auth = b"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;my-header1;x-amz-date, Signature=c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea".to_vec();
        for (at, byte) in auth_edits {
            let i = at.index(auth.len());
            auth[i] = byte;
        }
        let mut query: Vec<char> = if presigned {
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20150830%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=300&X-Amz-SignedHeaders=host&X-Amz-Signature=c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"
        } else {
            "Param1=value2&Param1=Value1"
        }
        .chars()
        .collect();
        for (at, c) in query_edits {
            let i = at.index(query.len());
            query[i] = c;
        }
        let query: String = query.into_iter().collect();
        let headers: Vec<(&str, &[u8])> = if presigned {
            vec![("Host", b"example.amazonaws.com"), ("My-Header1", b" a   b ")]
        } else {
            vec![
                ("Host", b"example.amazonaws.com"),
                ("My-Header1", b"value2"),
                ("X-Amz-Date", b"20150830T123600Z"),
                ("Authorization", &auth),
            ]
        };
        let req = HttpRequest { method: "GET", path: "/./a/../b//", query: &query, headers: &headers };
        exercise(&req, now, Some(900));
    }
}
