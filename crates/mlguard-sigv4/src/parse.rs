//! Step 1: finding and checking the SigV4 credentials of a request, before any secret is known.

use std::fmt;

use crate::encode::{decode_each, parse_hex32};
use crate::error::{AuthLocation, Echo, ExpiresProblem, MissingParts, SigV4Error};
use crate::request::{HttpRequest, text};
use crate::time::{format_basic, parse_amz_date, parse_http_date};

/// The only algorithm this verifier implements.
pub(crate) const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// SigV4a's algorithm, recognised so that it gets its own error.
const ALGORITHM_V4A: &str = "AWS4-ECDSA-P256-SHA256";
/// The credential scope terminator.
pub(crate) const TERMINATOR: &str = "aws4_request";
/// The longest `X-Amz-Expires` SigV4 allows: 7 days.
pub(crate) const MAX_EXPIRES: u64 = 604_800;

/// The SigV4 credentials of a request, found by [`parse_auth`].
#[derive(Clone, PartialEq, Eq)]
pub struct ParsedAuth {
    /// Where the request carried them.
    pub location: AuthLocation,
    /// The access key id of the credential scope.
    pub access_key_id: String,
    /// The scope date, `YYYYMMDD`.
    pub scope_date: String,
    /// The scope region.
    pub region: String,
    /// The scope service.
    pub service: String,
    /// The signed header names, as listed (normally lower case and sorted).
    pub signed_headers: Vec<String>,
    /// The signature.
    pub signature: [u8; 32],
    /// The request time in unix seconds, from `X-Amz-Date` (or the `Date` header).
    pub request_time: i64,
    /// The request time as it enters the string to sign, `YYYYMMDD'T'HHMMSS'Z'`.
    pub amz_date: String,
    /// `X-Amz-Expires` of a presigned URL.
    pub expires_in: Option<u64>,
    /// The session token (`X-Amz-Security-Token` header or query parameter).
    pub session_token: Option<String>,
}

/// Hides the signature and the session token, which must not reach logs.
impl fmt::Debug for ParsedAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParsedAuth")
            .field("location", &self.location)
            .field("access_key_id", &self.access_key_id)
            .field("scope_date", &self.scope_date)
            .field("region", &self.region)
            .field("service", &self.service)
            .field("signed_headers", &self.signed_headers)
            .field("amz_date", &self.amz_date)
            .field("expires_in", &self.expires_in)
            .field("has_session_token", &self.session_token.is_some())
            .finish_non_exhaustive()
    }
}

/// The `X-Amz-*` query parameters of a presigned URL.
#[derive(Default)]
struct QueryAuth {
    algorithm: Option<String>,
    credential: Option<String>,
    signature: Option<String>,
    date: Option<String>,
    signed_headers: Option<String>,
    expires: Option<String>,
    security_token: Option<String>,
    /// A repeated auth parameter: ambiguous, so refused.
    duplicate: bool,
    /// SigV2 presigning (`AWSAccessKeyId` and `Signature`).
    sigv2: bool,
}

impl QueryAuth {
    /// Whether the query carries SigV4 credentials at all.
    fn present(&self) -> bool {
        self.algorithm.is_some() || self.credential.is_some() || self.signature.is_some()
    }
}

/// Decodes a query component to text (`+` is a space, as in form encoding).
fn decode_text(raw: &[u8]) -> String {
    let mut bytes = Vec::with_capacity(raw.len());
    decode_each(raw, true, |b| bytes.push(b));
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Stores a parameter, noting a repetition.
fn store(slot: &mut Option<String>, duplicate: &mut bool, raw: &[u8]) {
    if slot.is_some() {
        *duplicate = true;
    } else {
        *slot = Some(decode_text(raw));
    }
}

/// Collects the auth parameters of the query; names match case-insensitively, as S3 does.
fn scan_query(query: &str) -> QueryAuth {
    let mut q = QueryAuth::default();
    let mut v2_key = false;
    let mut v2_sig = false;
    for piece in query.as_bytes().split(|b| *b == b'&') {
        let (raw_name, raw_value) = match piece.iter().position(|b| *b == b'=') {
            Some(at) => (
                piece.get(..at).unwrap_or_default(),
                piece.get(at + 1..).unwrap_or_default(),
            ),
            None => (piece, &b""[..]),
        };
        // Auth parameter names are plain ASCII; an encoded name is compared decoded.
        let name = if raw_name.contains(&b'%') || raw_name.contains(&b'+') {
            decode_text(raw_name)
        } else {
            String::from_utf8_lossy(raw_name).into_owned()
        };
        let dup = &mut q.duplicate;
        match name.to_ascii_lowercase().as_str() {
            "x-amz-algorithm" => store(&mut q.algorithm, dup, raw_value),
            "x-amz-credential" => store(&mut q.credential, dup, raw_value),
            "x-amz-signature" => store(&mut q.signature, dup, raw_value),
            "x-amz-date" => store(&mut q.date, dup, raw_value),
            "x-amz-signedheaders" => store(&mut q.signed_headers, dup, raw_value),
            "x-amz-expires" => store(&mut q.expires, dup, raw_value),
            "x-amz-security-token" => store(&mut q.security_token, dup, raw_value),
            "awsaccesskeyid" => v2_key = true,
            "signature" => v2_sig = true,
            _ => {}
        }
    }
    q.sigv2 = v2_key && v2_sig;
    q
}

/// The parts of a credential `<key>/<date>/<region>/<service>/<terminator>`.
struct Credential {
    access_key_id: String,
    scope_date: String,
    region: String,
    service: String,
}

/// Splits and checks a credential; trailing slashes are ignored, as AWS does.
fn parse_credential(credential: &str, location: AuthLocation) -> Result<Credential, SigV4Error> {
    let trimmed = credential.trim_end_matches('/');
    let mut parts = trimmed.split('/');
    let (Some(key), Some(date), Some(region), Some(service), Some(term), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(SigV4Error::MalformedCredential {
            credential: credential.to_owned(),
            location,
        });
    };
    if term != TERMINATOR {
        return Err(SigV4Error::InvalidTerminator {
            terminator: term.to_owned(),
            location,
        });
    }
    Ok(Credential {
        access_key_id: key.to_owned(),
        scope_date: date.to_owned(),
        region: region.to_owned(),
        service: service.to_owned(),
    })
}

/// Splits `SignedHeaders` and checks that `host` (or HTTP/2's `:authority`) is signed.
fn parse_signed_headers(list: &str, location: AuthLocation) -> Result<Vec<String>, SigV4Error> {
    let names: Vec<String> = list.split(';').map(str::to_owned).collect();
    let host_signed = names
        .iter()
        .any(|n| n.eq_ignore_ascii_case("host") || n.eq_ignore_ascii_case(":authority"));
    if host_signed {
        Ok(names)
    } else {
        Err(SigV4Error::HostNotSigned { location })
    }
}

/// Checks the algorithm name.
fn check_algorithm(algorithm: &str, location: AuthLocation) -> Result<(), SigV4Error> {
    match algorithm {
        ALGORITHM => Ok(()),
        ALGORITHM_V4A => Err(SigV4Error::UnsupportedSigV4a { location }),
        other => Err(SigV4Error::UnsupportedAlgorithm {
            algorithm: other.to_owned(),
            location,
        }),
    }
}

/// Checks that the scope date is the day of the request time.
fn check_scope_date(
    scope_date: &str,
    amz_date: &str,
    location: AuthLocation,
) -> Result<(), SigV4Error> {
    if amz_date.get(..8) == Some(scope_date) {
        Ok(())
    } else {
        Err(SigV4Error::ScopeDateMismatch {
            scope_date: scope_date.to_owned(),
            amz_date: amz_date.to_owned(),
            location,
        })
    }
}

/// Parses `X-Amz-Expires`: an unsigned decimal no larger than 7 days.
fn parse_expires(raw: &str) -> Result<u64, SigV4Error> {
    let problem = if let Some(rest) = raw.strip_prefix('-') {
        if !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()) {
            ExpiresProblem::Negative
        } else {
            ExpiresProblem::NotANumber
        }
    } else if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        ExpiresProblem::NotANumber
    } else {
        match raw.parse::<u64>() {
            Ok(v) if v <= MAX_EXPIRES => return Ok(v),
            _ => ExpiresProblem::TooLarge,
        }
    };
    Err(SigV4Error::InvalidExpires { problem })
}

/// Finds the SigV4 credentials of a request and checks everything that needs no secret: the
/// algorithm, the presence of every part, the credential scope shape and terminator, the
/// request date and its agreement with the scope date, that `host` is signed, and the range of
/// `X-Amz-Expires`. The region, service, time window and signature are checked by
/// [`crate::verify`].
///
/// # Errors
/// Every malformed or missing part gives its own [`SigV4Error`]; this never panics.
pub fn parse_auth(req: &HttpRequest<'_>) -> Result<ParsedAuth, SigV4Error> {
    let mut authorization: Option<&[u8]> = None;
    for value in req.values("authorization") {
        if value.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if authorization.is_some() {
            return Err(SigV4Error::ConflictingAuthentication);
        }
        authorization = Some(value);
    }
    let query = scan_query(req.query);
    match authorization {
        Some(_) if query.present() => Err(SigV4Error::ConflictingAuthentication),
        Some(raw) => parse_header_auth(req, &text(raw)),
        None if query.present() => parse_query_auth(query),
        None if query.sigv2 => Err(SigV4Error::UnsupportedAuthorizationType { sigv2: true }),
        None => Err(SigV4Error::MissingAuthentication),
    }
}

/// Parses `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`.
fn parse_header_auth(req: &HttpRequest<'_>, header: &str) -> Result<ParsedAuth, SigV4Error> {
    let location = AuthLocation::Header;
    let header = header.trim();
    // Coral services treat any other scheme as no credentials; S3 names SigV2 specifically.
    if !header.starts_with("AWS4-") {
        return Err(SigV4Error::UnsupportedAuthorizationType {
            sigv2: header.starts_with("AWS "),
        });
    }
    let (algorithm, params) = header
        .split_once(|c: char| c.is_ascii_whitespace())
        .unwrap_or((header, ""));
    check_algorithm(algorithm, location)?;

    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    // Coral splits on commas and on whitespace alike, so a stray space inside a value (a
    // pasted key with a trailing space) gives its own "not a valid key=value pair" error.
    for part in params.split(|c: char| c == ',' || c.is_ascii_whitespace()) {
        if part.is_empty() {
            continue;
        }
        let Some((key, value)) = part.split_once('=') else {
            return Err(SigV4Error::MalformedAuthorizationParameter {
                parameter: Echo(part.to_owned()),
                authorization: Echo(header.to_owned()),
            });
        };
        // The first occurrence wins; a repeated part cannot widen what the signature covers.
        let slot = match key.trim() {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            _ => continue,
        };
        if slot.is_none() {
            *slot = Some(value.trim());
        }
    }

    let x_amz_date = req.joined("x-amz-date");
    let date_header = if x_amz_date.is_none() {
        req.joined("date")
    } else {
        None
    };
    let missing = MissingParts {
        credential: credential.is_none(),
        signature: signature.is_none(),
        signed_headers: signed_headers.is_none(),
        date: x_amz_date.is_none() && date_header.is_none(),
    };
    let (Some(credential), Some(signed_headers), Some(signature)) =
        (credential, signed_headers, signature)
    else {
        return Err(SigV4Error::IncompleteAuthorizationHeader {
            missing,
            authorization: Echo(header.to_owned()),
        });
    };
    let (request_time, amz_date) = match (x_amz_date, date_header) {
        (Some(d), _) => match parse_amz_date(&d) {
            Some(t) => (t, d),
            None => return Err(SigV4Error::InvalidDate { value: d, location }),
        },
        (None, Some(d)) => match parse_http_date(&d) {
            Some(t) => (t, format_basic(t)),
            None => return Err(SigV4Error::InvalidDate { value: d, location }),
        },
        (None, None) => {
            return Err(SigV4Error::MissingDate {
                authorization: Echo(header.to_owned()),
            });
        }
    };

    let cred = parse_credential(credential, location)?;
    check_scope_date(&cred.scope_date, &amz_date, location)?;
    let signed_headers = parse_signed_headers(signed_headers, location)?;
    let signature = parse_hex32(signature).ok_or(SigV4Error::SignatureMismatch(None))?;
    Ok(ParsedAuth {
        location,
        access_key_id: cred.access_key_id,
        scope_date: cred.scope_date,
        region: cred.region,
        service: cred.service,
        signed_headers,
        signature,
        request_time,
        amz_date,
        expires_in: None,
        session_token: req.joined("x-amz-security-token"),
    })
}

/// Parses the `X-Amz-*` query parameters of a presigned URL.
fn parse_query_auth(q: QueryAuth) -> Result<ParsedAuth, SigV4Error> {
    let location = AuthLocation::QueryString;
    if q.duplicate {
        return Err(SigV4Error::ConflictingAuthentication);
    }
    let presence = QueryPresence::of(&q);
    let (Some(algorithm), Some(credential), Some(signature), Some(date), Some(signed_headers)) = (
        q.algorithm,
        q.credential,
        q.signature,
        q.date,
        q.signed_headers,
    ) else {
        return Err(missing_query_params(&q_names_missing(&presence)));
    };
    check_algorithm(&algorithm, location)?;
    let cred = parse_credential(&credential, location)?;
    // S3 requires X-Amz-Expires; other services accept a presigned URL without it.
    let expires_in = match q.expires {
        Some(raw) => Some(parse_expires(&raw)?),
        None if cred.service == "s3" => {
            return Err(missing_query_params(&["X-Amz-Expires"]));
        }
        None => None,
    };
    let Some(request_time) = parse_amz_date(&date) else {
        return Err(SigV4Error::InvalidDate {
            value: date,
            location,
        });
    };
    check_scope_date(&cred.scope_date, &date, location)?;
    let signed_headers = parse_signed_headers(&signed_headers, location)?;
    let signature = parse_hex32(&signature).ok_or(SigV4Error::SignatureMismatch(None))?;
    Ok(ParsedAuth {
        location,
        access_key_id: cred.access_key_id,
        scope_date: cred.scope_date,
        region: cred.region,
        service: cred.service,
        signed_headers,
        signature,
        request_time,
        amz_date: date,
        expires_in,
        session_token: q.security_token,
    })
}

/// Which required query parameters are present, taken before the values are moved out.
struct QueryPresence([bool; 5]);

impl QueryPresence {
    /// Notes the presence of each required parameter, in AWS's order.
    fn of(q: &QueryAuth) -> Self {
        Self([
            q.algorithm.is_some(),
            q.credential.is_some(),
            q.signature.is_some(),
            q.date.is_some(),
            q.signed_headers.is_some(),
        ])
    }
}

/// The names of the missing required parameters.
fn q_names_missing(p: &QueryPresence) -> Vec<&'static str> {
    const NAMES: [&str; 5] = [
        "X-Amz-Algorithm",
        "X-Amz-Credential",
        "X-Amz-Signature",
        "X-Amz-Date",
        "X-Amz-SignedHeaders",
    ];
    NAMES
        .iter()
        .zip(p.0.iter())
        .filter(|(_, present)| !**present)
        .map(|(n, _)| *n)
        .collect()
}

/// The error for missing query parameters.
fn missing_query_params(names: &[&'static str]) -> SigV4Error {
    SigV4Error::MissingQueryParameters {
        missing: names.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req<'a>(headers: &'a [(&'a str, &'a [u8])], query: &'a str) -> HttpRequest<'a> {
        HttpRequest {
            method: "GET",
            path: "/",
            query,
            headers,
        }
    }

    const AUTH: &[u8] = b"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";

    #[test]
    fn header_auth() {
        let h: &[(&str, &[u8])] = &[
            ("Host", b"example.amazonaws.com"),
            ("X-Amz-Date", b"20150830T123600Z"),
            ("Authorization", AUTH),
        ];
        let a = parse_auth(&req(h, "")).unwrap();
        assert_eq!(a.access_key_id, "AKIDEXAMPLE");
        assert_eq!(a.region, "us-east-1");
        assert_eq!(a.service, "service");
        assert_eq!(a.signed_headers, ["host", "x-amz-date"]);
        assert_eq!(a.amz_date, "20150830T123600Z");
        assert_eq!(a.request_time, 1_440_938_160);
        assert!(!format!("{a:?}").contains("5fa00fa3"));
    }

    #[test]
    fn date_header_fallback() {
        let h: &[(&str, &[u8])] = &[
            ("Date", b"Sun, 30 Aug 2015 12:36:00 GMT"),
            ("Authorization", AUTH),
        ];
        let a = parse_auth(&req(h, "")).unwrap();
        assert_eq!(a.amz_date, "20150830T123600Z");
    }

    #[test]
    fn header_errors() {
        let h: &[(&str, &[u8])] = &[(
            "Authorization",
            b"AWS4-HMAC-SHA256 Credential=a/b/c/d/aws4_request",
        )];
        match parse_auth(&req(h, "")) {
            Err(SigV4Error::IncompleteAuthorizationHeader { missing, .. }) => {
                assert!(
                    !missing.credential
                        && missing.signature
                        && missing.signed_headers
                        && missing.date
                );
            }
            other => panic!("{other:?}"),
        }
        let h: &[(&str, &[u8])] = &[("Authorization", b"Bearer x")];
        assert_eq!(
            parse_auth(&req(h, "")),
            Err(SigV4Error::UnsupportedAuthorizationType { sigv2: false })
        );
        let h: &[(&str, &[u8])] = &[("Authorization", b"")];
        assert_eq!(
            parse_auth(&req(h, "")),
            Err(SigV4Error::MissingAuthentication)
        );
        let h: &[(&str, &[u8])] = &[("Authorization", AUTH)];
        assert!(matches!(
            parse_auth(&req(h, "X-Amz-Algorithm=AWS4-HMAC-SHA256")),
            Err(SigV4Error::ConflictingAuthentication)
        ));
        assert!(matches!(
            parse_auth(&req(h, "")),
            Err(SigV4Error::MissingDate { .. })
        ));
    }

    #[test]
    fn expires() {
        assert_eq!(parse_expires("604800"), Ok(604_800));
        assert_eq!(parse_expires("0"), Ok(0));
        let p = |raw| match parse_expires(raw) {
            Err(SigV4Error::InvalidExpires { problem }) => problem,
            other => panic!("{other:?}"),
        };
        assert_eq!(p("604801"), ExpiresProblem::TooLarge);
        assert_eq!(p("99999999999999999999999"), ExpiresProblem::TooLarge);
        assert_eq!(p("-1"), ExpiresProblem::Negative);
        assert_eq!(p("1h"), ExpiresProblem::NotANumber);
        assert_eq!(p(""), ExpiresProblem::NotANumber);
    }

    #[test]
    fn query_missing() {
        match parse_auth(&req(
            &[],
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20150830T123600Z",
        )) {
            Err(SigV4Error::MissingQueryParameters { missing }) => {
                assert_eq!(
                    missing,
                    ["X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders"]
                );
            }
            other => panic!("{other:?}"),
        }
    }
}
