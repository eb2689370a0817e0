//! Why a SigV4 check failed, and the code, status and message AWS answers for it per protocol family.

use std::fmt;

use crate::encode::spaced_hex;
use crate::time::{format_basic, format_extended};

/// The wire protocol of the service that answers, which decides AWS's error code and message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProtocolFamily {
    /// `awsJson1_0`/`awsJson1_1` services (KMS, Secrets Manager, Comprehend): errors are
    /// `{"__type": code, "message": ...}`.
    Json,
    /// `awsQuery` services (IAM, STS): errors are `<ErrorResponse><Error><Code>`.
    Query,
    /// `restXml` S3: errors are `<Error><Code>` plus the extra elements of
    /// [`SigV4Error::aws_extra_fields`].
    RestXml,
}

/// Where a request carries its SigV4 credentials.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AuthLocation {
    /// The `Authorization` header.
    Header,
    /// `X-Amz-*` query parameters (a presigned URL).
    QueryString,
}

/// Text copied from the request that AWS echoes back in some messages (e.g. the whole
/// `Authorization` header). It may hold a signature, so `Debug` shows only its length.
#[derive(Clone, PartialEq, Eq)]
pub struct Echo(pub(crate) String);

impl Echo {
    /// The echoed text, for building AWS's message.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Echo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Echo(<{} bytes>)", self.0.len())
    }
}

/// Which parts an incomplete `Authorization` header lacks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MissingParts {
    /// No `Credential=`.
    pub credential: bool,
    /// No `Signature=`.
    pub signature: bool,
    /// No `SignedHeaders=`.
    pub signed_headers: bool,
    /// Neither `X-Amz-Date` nor `Date` header.
    pub date: bool,
}

/// Why `X-Amz-Expires` was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExpiresProblem {
    /// Not a decimal integer.
    NotANumber,
    /// Below zero.
    Negative,
    /// Above 604800 seconds (7 days), the longest SigV4 allows.
    TooLarge,
}

/// What the server computed when a signature did not match. S3 returns these strings to the
/// client (`StringToSign`, `CanonicalRequest`, ...); they contain the session token, so
/// `Debug` shows only their lengths and they must never be logged.
#[derive(Clone, PartialEq, Eq)]
pub struct MismatchDetail {
    /// The canonical request the server built.
    pub canonical_request: String,
    /// The string to sign the server built.
    pub string_to_sign: String,
    /// The access key id of the request.
    pub access_key_id: String,
    /// The signature the client sent, as lower-case hex.
    pub signature_provided: String,
}

impl fmt::Debug for MismatchDetail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MismatchDetail")
            .field("canonical_request_len", &self.canonical_request.len())
            .field("string_to_sign_len", &self.string_to_sign.len())
            .finish_non_exhaustive()
    }
}

/// A distinct reason why a request fails SigV4 authentication.
///
/// `Display` gives a short description without request data, fit for logs. What AWS returns
/// to the client comes from [`aws_code`](Self::aws_code), [`http_status`](Self::http_status),
/// [`aws_message`](Self::aws_message) and [`aws_extra_fields`](Self::aws_extra_fields); see the
/// table in the crate documentation.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SigV4Error {
    /// No `Authorization` header (or an empty one) and no presigned query parameters.
    #[error("the request carries no AWS credentials")]
    MissingAuthentication,
    /// An `Authorization` header of another scheme (`AWS ` SigV2 when `sigv2`, `Bearer`, ...),
    /// or SigV2 query parameters.
    #[error("the request uses an authorization scheme other than AWS4-HMAC-SHA256")]
    UnsupportedAuthorizationType {
        /// Whether it is Signature Version 2, which S3 names in its message.
        sigv2: bool,
    },
    /// More than one set of credentials: an `Authorization` header and `X-Amz-*` query
    /// parameters, several `Authorization` headers, or a repeated `X-Amz-*` parameter.
    #[error("the request carries more than one set of credentials")]
    ConflictingAuthentication,
    /// An `AWS4-*` algorithm other than `AWS4-HMAC-SHA256`.
    #[error("unsupported signing algorithm")]
    UnsupportedAlgorithm {
        /// The algorithm the request named.
        algorithm: String,
        /// Where the request carried it.
        location: AuthLocation,
    },
    /// `AWS4-ECDSA-P256-SHA256` (SigV4a), which this verifier does not implement.
    #[error("SigV4a (AWS4-ECDSA-P256-SHA256) is not supported")]
    UnsupportedSigV4a {
        /// Where the request carried it.
        location: AuthLocation,
    },
    /// The `Authorization` header lacks `Credential`, `SignedHeaders` or `Signature`.
    #[error("the Authorization header is incomplete")]
    IncompleteAuthorizationHeader {
        /// What is missing.
        missing: MissingParts,
        /// The header, which Json/Query messages repeat.
        authorization: Echo,
    },
    /// A comma-separated part of the `Authorization` header has no `=`.
    #[error("the Authorization header has a part that is not key=value")]
    MalformedAuthorizationParameter {
        /// The offending part.
        parameter: Echo,
        /// The header, which Json/Query messages repeat.
        authorization: Echo,
    },
    /// A presigned URL lacks some of `X-Amz-Algorithm`, `X-Amz-Credential`,
    /// `X-Amz-Signature`, `X-Amz-Date`, `X-Amz-SignedHeaders` (and `X-Amz-Expires` for S3).
    #[error("the presigned URL lacks required X-Amz-* parameters")]
    MissingQueryParameters {
        /// The missing parameter names, in AWS's order.
        missing: Vec<&'static str>,
    },
    /// The credential is not `<key>/<YYYYMMDD>/<region>/<service>/aws4_request`.
    #[error("the credential scope is malformed")]
    MalformedCredential {
        /// The credential as sent.
        credential: String,
        /// Where the request carried it.
        location: AuthLocation,
    },
    /// The credential scope does not end in `aws4_request`.
    #[error("the credential scope does not end in aws4_request")]
    InvalidTerminator {
        /// The terminator as sent.
        terminator: String,
        /// Where the request carried it.
        location: AuthLocation,
    },
    /// Header auth without an `X-Amz-Date` or `Date` header.
    #[error("the request has neither an X-Amz-Date nor a Date header")]
    MissingDate {
        /// The header, which Json/Query messages repeat.
        authorization: Echo,
    },
    /// `X-Amz-Date` (or `Date`) is not a valid timestamp in the required format.
    #[error("the request date is malformed")]
    InvalidDate {
        /// The date as sent.
        value: String,
        /// Where the request carried it.
        location: AuthLocation,
    },
    /// The credential scope date is not the day of `X-Amz-Date` (or is not `YYYYMMDD`).
    #[error("the credential scope date differs from the request date")]
    ScopeDateMismatch {
        /// The scope date as sent.
        scope_date: String,
        /// The request time, `YYYYMMDD'T'HHMMSS'Z'`.
        amz_date: String,
        /// Where the request carried it.
        location: AuthLocation,
    },
    /// The credential scope names another region than the server's.
    #[error("the credential scope names the wrong region")]
    WrongRegion {
        /// The region in the scope.
        region: String,
        /// The region the server expects.
        expected: String,
        /// Where the request carried it.
        location: AuthLocation,
    },
    /// The credential scope names another service than the server's.
    #[error("the credential scope names the wrong service")]
    WrongService {
        /// The service in the scope.
        service: String,
        /// The service the server expects.
        expected: String,
        /// Where the request carried it.
        location: AuthLocation,
    },
    /// `host` (or `:authority`) is not among the signed headers.
    #[error("the host header is not signed")]
    HostNotSigned {
        /// Where the request carried the signed-header list.
        location: AuthLocation,
    },
    /// The request carries `x-amz-*` headers that it did not sign (see the crate docs for the
    /// exemptions).
    #[error("the request carries x-amz-* headers that it did not sign")]
    UnsignedHeaders {
        /// The unsigned header names, lower case.
        headers: Vec<String>,
    },
    /// `X-Amz-Expires` is not an integer in `0..=604800`.
    #[error("X-Amz-Expires is out of range")]
    InvalidExpires {
        /// What is wrong with it.
        problem: ExpiresProblem,
    },
    /// A presigned URL used after `X-Amz-Date + X-Amz-Expires` (or with `X-Amz-Expires=0`).
    #[error("the presigned URL has expired")]
    PresignedExpired {
        /// `X-Amz-Date` as sent.
        amz_date: String,
        /// `X-Amz-Date` in unix seconds.
        request_time: i64,
        /// `X-Amz-Expires`.
        expires_in: u64,
        /// The server time in unix seconds.
        now: i64,
    },
    /// The request time is further than the allowed skew from the server time (for a presigned
    /// URL: later than the server time plus the skew).
    #[error("the request time is too far from the server time")]
    RequestTimeTooSkewed {
        /// The request time as sent, `YYYYMMDD'T'HHMMSS'Z'`.
        amz_date: String,
        /// The request time in unix seconds.
        request_time: i64,
        /// The server time in unix seconds.
        now: i64,
        /// The allowed skew in seconds.
        max_skew_secs: u64,
        /// Where the request carried its date.
        location: AuthLocation,
    },
    /// The signature does not match (or is not 64 hex digits, then without detail).
    #[error("the request signature does not match")]
    SignatureMismatch(Option<Box<MismatchDetail>>),
    /// The access key id is unknown (decided by the caller's credential lookup).
    #[error("the access key id is unknown")]
    UnknownAccessKey {
        /// The access key id of the request, which S3 echoes.
        access_key_id: String,
    },
    /// The session token has expired (decided by the caller's credential lookup).
    #[error("the security token has expired")]
    ExpiredToken,
    /// The session token is unknown or does not belong to the access key (decided by the
    /// caller's credential lookup).
    #[error("the security token is invalid")]
    InvalidSecurityToken,
}

/// S3's message for a request carrying unsigned `x-amz-*` headers.
const MSG_NOT_SIGNED: &str = "There were headers present in the request which were not signed";
/// The message every family uses for a signature mismatch, except S3.
const MSG_MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";
/// S3's message for a signature mismatch.
const MSG_MISMATCH_S3: &str = "The request signature we calculated does not match the signature you provided. Check your key and signing method.";
/// S3's and (unverified) the others' message for two auth mechanisms.
const MSG_ONE_MECHANISM: &str = "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified";
/// S3's message for a presigned URL that lacks parameters.
const MSG_QUERY_REQUIRES: &str = "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.";
/// Json/Query message when `host` is not signed.
const MSG_HOST: &str = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.";
/// Json/Query message for an unknown access key or an invalid token.
const MSG_INVALID_TOKEN: &str = "The security token included in the request is invalid.";
/// Json/Query message for an expired token.
const MSG_EXPIRED_TOKEN: &str = "The security token included in the request is expired";
/// S3's message for a request without a usable date.
const MSG_S3_NO_DATE: &str = "AWS authentication requires a valid Date or x-amz-date header";
/// S3's message for another authorization mechanism (SigV2) and for SigV4a here.
const MSG_S3_MECHANISM: &str =
    "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.";
/// S3's expected credential shape.
const S3_CREDENTIAL_SHAPE: &str =
    "the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".";

/// The `IncompleteSignature` code of a family (Json adds `Exception`).
const fn incomplete(family: ProtocolFamily) -> (&'static str, u16) {
    match family {
        ProtocolFamily::Json => ("IncompleteSignatureException", 400),
        ProtocolFamily::Query | ProtocolFamily::RestXml => ("IncompleteSignature", 400),
    }
}

/// The code of a family for a bad signature or scope (`InvalidSignatureException` /
/// `SignatureDoesNotMatch`).
const fn invalid_signature(family: ProtocolFamily) -> (&'static str, u16) {
    match family {
        ProtocolFamily::Json => ("InvalidSignatureException", 400),
        ProtocolFamily::Query | ProtocolFamily::RestXml => ("SignatureDoesNotMatch", 403),
    }
}

/// The code of a family for a request without credentials.
const fn missing_token(family: ProtocolFamily) -> (&'static str, u16) {
    match family {
        ProtocolFamily::Json => ("MissingAuthenticationTokenException", 400),
        ProtocolFamily::Query => ("MissingAuthenticationToken", 403),
        ProtocolFamily::RestXml => ("AccessDenied", 403),
    }
}

/// `15 min.` as coral prints a window; seconds when it is not whole minutes (unverified form).
fn window(secs: u64) -> String {
    if secs.is_multiple_of(60) {
        format!("{} min.", secs / 60)
    } else {
        format!("{secs} sec.")
    }
}

/// A duration in seconds as `i64`, saturating, for time arithmetic that must not overflow.
pub(crate) fn secs_i64(secs: u64) -> i64 {
    i64::try_from(secs).unwrap_or(i64::MAX)
}

/// The `YYYYMMDD` part of a `YYYYMMDD'T'HHMMSS'Z'` date.
fn day_of(amz_date: &str) -> &str {
    amz_date.get(..8).unwrap_or(amz_date)
}

/// Whether a scope date has the `YYYYMMDD` shape S3 checks before comparing it.
fn is_yyyymmdd(s: &str) -> bool {
    s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit())
}

impl SigV4Error {
    /// The error for an access key id that the caller's credential store does not know.
    pub fn unknown_access_key(access_key_id: impl Into<String>) -> Self {
        Self::UnknownAccessKey {
            access_key_id: access_key_id.into(),
        }
    }

    /// The error for a session token that has expired.
    pub fn expired_token() -> Self {
        Self::ExpiredToken
    }

    /// The error for a session token that is unknown or belongs to another access key.
    pub fn invalid_security_token() -> Self {
        Self::InvalidSecurityToken
    }

    /// What the server computed, when the error is a signature mismatch.
    pub fn signature_mismatch_detail(&self) -> Option<&MismatchDetail> {
        match self {
            Self::SignatureMismatch(detail) => detail.as_deref(),
            _ => None,
        }
    }

    /// The code and HTTP status AWS answers with in `family`.
    fn code_and_status(&self, family: ProtocolFamily) -> (&'static str, u16) {
        use AuthLocation::{Header, QueryString};
        use ProtocolFamily::{Json, Query, RestXml};
        match (self, family) {
            (Self::MissingAuthentication, f) => missing_token(f),
            (Self::UnsupportedAuthorizationType { .. }, Json | Query) => missing_token(family),
            (Self::UnsupportedAuthorizationType { sigv2: true }, RestXml) => {
                ("InvalidRequest", 400)
            }
            (Self::UnsupportedAuthorizationType { sigv2: false }, RestXml) => {
                ("InvalidArgument", 400)
            }
            (Self::ConflictingAuthentication, RestXml) => ("InvalidArgument", 400),
            (Self::ConflictingAuthentication, f) => incomplete(f),
            (
                Self::UnsupportedAlgorithm {
                    location: Header, ..
                },
                RestXml,
            ) => ("InvalidArgument", 400),
            (
                Self::UnsupportedAlgorithm {
                    location: QueryString,
                    ..
                },
                RestXml,
            ) => ("AuthorizationQueryParametersError", 400),
            (Self::UnsupportedAlgorithm { .. } | Self::UnsupportedSigV4a { .. }, Json | Query) => {
                incomplete(family)
            }
            (Self::UnsupportedSigV4a { .. }, RestXml) => ("InvalidRequest", 400),
            (
                Self::IncompleteAuthorizationHeader { .. }
                | Self::MalformedAuthorizationParameter { .. },
                RestXml,
            ) => ("AuthorizationHeaderMalformed", 400),
            (
                Self::IncompleteAuthorizationHeader { .. }
                | Self::MalformedAuthorizationParameter { .. }
                | Self::MissingQueryParameters { .. }
                | Self::MalformedCredential { .. }
                | Self::MissingDate { .. }
                | Self::InvalidDate { .. }
                | Self::InvalidExpires { .. },
                Json | Query,
            ) => incomplete(family),
            (Self::MissingQueryParameters { .. } | Self::InvalidExpires { .. }, RestXml) => {
                ("AuthorizationQueryParametersError", 400)
            }
            (
                Self::MalformedCredential {
                    location: Header, ..
                }
                | Self::InvalidTerminator {
                    location: Header, ..
                }
                | Self::ScopeDateMismatch {
                    location: Header, ..
                }
                | Self::WrongRegion {
                    location: Header, ..
                }
                | Self::WrongService {
                    location: Header, ..
                },
                RestXml,
            ) => ("AuthorizationHeaderMalformed", 400),
            (
                Self::MalformedCredential {
                    location: QueryString,
                    ..
                }
                | Self::InvalidTerminator {
                    location: QueryString,
                    ..
                }
                | Self::ScopeDateMismatch {
                    location: QueryString,
                    ..
                }
                | Self::WrongRegion {
                    location: QueryString,
                    ..
                }
                | Self::WrongService {
                    location: QueryString,
                    ..
                }
                | Self::InvalidDate {
                    location: QueryString,
                    ..
                },
                RestXml,
            ) => ("AuthorizationQueryParametersError", 400),
            (
                Self::MissingDate { .. }
                | Self::InvalidDate {
                    location: Header, ..
                },
                RestXml,
            ) => ("AccessDenied", 403),
            (
                Self::InvalidTerminator { .. }
                | Self::ScopeDateMismatch { .. }
                | Self::WrongRegion { .. }
                | Self::WrongService { .. }
                | Self::HostNotSigned { .. }
                | Self::UnsignedHeaders { .. }
                | Self::PresignedExpired { .. }
                | Self::RequestTimeTooSkewed { .. }
                | Self::SignatureMismatch(_),
                Json | Query,
            ) => invalid_signature(family),
            (
                Self::HostNotSigned { .. }
                | Self::UnsignedHeaders { .. }
                | Self::PresignedExpired { .. }
                | Self::RequestTimeTooSkewed {
                    location: QueryString,
                    ..
                },
                RestXml,
            ) => ("AccessDenied", 403),
            (
                Self::RequestTimeTooSkewed {
                    location: Header, ..
                },
                RestXml,
            ) => ("RequestTimeTooSkewed", 403),
            (Self::SignatureMismatch(_), RestXml) => ("SignatureDoesNotMatch", 403),
            (Self::UnknownAccessKey { .. }, Json) => ("UnrecognizedClientException", 400),
            (Self::UnknownAccessKey { .. }, Query) => ("InvalidClientTokenId", 403),
            (Self::UnknownAccessKey { .. }, RestXml) => ("InvalidAccessKeyId", 403),
            (Self::ExpiredToken, Json) => ("ExpiredTokenException", 400),
            (Self::ExpiredToken, Query) => ("ExpiredToken", 403),
            (Self::ExpiredToken, RestXml) => ("ExpiredToken", 400),
            (Self::InvalidSecurityToken, Json) => ("UnrecognizedClientException", 400),
            (Self::InvalidSecurityToken, Query) => ("InvalidClientTokenId", 403),
            (Self::InvalidSecurityToken, RestXml) => ("InvalidToken", 400),
        }
    }

    /// The error code AWS returns for this cause in `family` (`__type` for Json, `<Code>`
    /// otherwise).
    pub fn aws_code(&self, family: ProtocolFamily) -> &'static str {
        self.code_and_status(family).0
    }

    /// The HTTP status AWS returns for this cause in `family`.
    pub fn http_status(&self, family: ProtocolFamily) -> u16 {
        self.code_and_status(family).1
    }

    /// The message AWS returns for this cause in `family`. Some messages repeat parts of the
    /// request (the `Authorization` header, the credential) exactly as AWS does; send them to
    /// the client, never to logs.
    pub fn aws_message(&self, family: ProtocolFamily) -> String {
        let s3 = family == ProtocolFamily::RestXml;
        match self {
            Self::MissingAuthentication | Self::UnsupportedAuthorizationType { .. } if !s3 => {
                "Request is missing Authentication Token".to_owned()
            }
            Self::MissingAuthentication => "Access Denied".to_owned(),
            Self::UnsupportedAuthorizationType { sigv2: true } => MSG_S3_MECHANISM.to_owned(),
            Self::UnsupportedAuthorizationType { sigv2: false } => {
                "Unsupported Authorization Type".to_owned()
            }
            Self::ConflictingAuthentication => MSG_ONE_MECHANISM.to_owned(),
            Self::UnsupportedAlgorithm { algorithm, location } => match (s3, location) {
                (false, _) => format!("Unsupported AWS 'algorithm': '{algorithm}'."),
                (true, AuthLocation::Header) => "Unsupported Authorization Type".to_owned(),
                (true, AuthLocation::QueryString) => {
                    "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256 and AWS4-ECDSA-P256-SHA256\""
                        .to_owned()
                }
            },
            Self::UnsupportedSigV4a { .. } if s3 => MSG_S3_MECHANISM.to_owned(),
            Self::UnsupportedSigV4a { .. } => {
                "Unsupported AWS 'algorithm': 'AWS4-ECDSA-P256-SHA256'.".to_owned()
            }
            Self::IncompleteAuthorizationHeader { .. } | Self::MalformedAuthorizationParameter { .. }
                if s3 =>
            {
                "The authorization header is malformed; the authorization header requires three components: Credential, SignedHeaders, and Signature.".to_owned()
            }
            Self::IncompleteAuthorizationHeader { missing, authorization } => {
                let mut m = String::new();
                for (absent, part) in [
                    (missing.credential, "Credential"),
                    (missing.signature, "Signature"),
                    (missing.signed_headers, "SignedHeaders"),
                ] {
                    if absent {
                        m.push_str("Authorization header requires '");
                        m.push_str(part);
                        m.push_str("' parameter. ");
                    }
                }
                if missing.date {
                    m.push_str("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ");
                }
                m.push_str("Authorization=");
                m.push_str(authorization.as_str());
                m
            }
            Self::MalformedAuthorizationParameter { parameter, authorization } => format!(
                "'{}' not a valid key=value pair (missing equal-sign) in Authorization header: '{}'.",
                parameter.as_str(),
                authorization.as_str()
            ),
            Self::MissingQueryParameters { .. } if s3 => MSG_QUERY_REQUIRES.to_owned(),
            Self::MissingQueryParameters { missing } => {
                let mut m = String::new();
                for name in missing {
                    m.push_str("AWS query-string parameters must include '");
                    m.push_str(name);
                    m.push_str("'. ");
                }
                m.push_str("Re-examine the query-string parameters.");
                m
            }
            Self::MalformedCredential { credential, location } => match (s3, location) {
                (false, _) => format!(
                    "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{credential}'"
                ),
                (true, AuthLocation::Header) => {
                    format!("The authorization header is malformed; {S3_CREDENTIAL_SHAPE}")
                }
                (true, AuthLocation::QueryString) => {
                    format!("Error parsing the X-Amz-Credential parameter; {S3_CREDENTIAL_SHAPE}")
                }
            },
            Self::InvalidTerminator { terminator, location } => match (s3, location) {
                (false, _) => format!(
                    "Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'. "
                ),
                (true, AuthLocation::Header) => format!(
                    "The authorization header is malformed; incorrect terminal \"{terminator}\". This endpoint uses \"aws4_request\"."
                ),
                (true, AuthLocation::QueryString) => format!(
                    "Error parsing the X-Amz-Credential parameter; incorrect terminal \"{terminator}\". This endpoint uses \"aws4_request\"."
                ),
            },
            Self::MissingDate { .. } if s3 => MSG_S3_NO_DATE.to_owned(),
            Self::MissingDate { authorization } => format!(
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization={}",
                authorization.as_str()
            ),
            Self::InvalidDate { value, location } => match (s3, location) {
                (false, _) => format!(
                    "Date must be in ISO-8601 'basic format'. Got '{value}'. See http://en.wikipedia.org/wiki/ISO_8601"
                ),
                (true, AuthLocation::Header) => MSG_S3_NO_DATE.to_owned(),
                (true, AuthLocation::QueryString) => {
                    "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"".to_owned()
                }
            },
            Self::ScopeDateMismatch { scope_date, amz_date, location } => {
                let day = day_of(amz_date);
                let prefix = match location {
                    AuthLocation::Header => "The authorization header is malformed; ",
                    AuthLocation::QueryString => "",
                };
                if !s3 {
                    format!(
                        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{scope_date}' != '{day}', from '{amz_date}'."
                    )
                } else if !is_yyyymmdd(scope_date) {
                    let prefix = match location {
                        AuthLocation::Header => prefix,
                        AuthLocation::QueryString => "Error parsing the X-Amz-Credential parameter; ",
                    };
                    format!(
                        "{prefix}incorrect date format \"{scope_date}\". This date in the credential must be in the format \"yyyyMMdd\"."
                    )
                } else {
                    format!(
                        "{prefix}Invalid credential date \"{scope_date}\". This date is not the same as X-Amz-Date: \"{day}\"."
                    )
                }
            }
            Self::WrongRegion { region, expected, location } => match (s3, location) {
                (false, _) => format!("Credential should be scoped to a valid region, not '{region}'. "),
                (true, AuthLocation::Header) => format!(
                    "The authorization header is malformed; the region '{region}' is wrong; expecting '{expected}'"
                ),
                (true, AuthLocation::QueryString) => format!(
                    "Error parsing the X-Amz-Credential parameter; the region '{region}' is wrong; expecting '{expected}'"
                ),
            },
            Self::WrongService { service, expected, location } => match (s3, location) {
                (false, _) => format!("Credential should be scoped to correct service: '{expected}'. "),
                (true, AuthLocation::Header) => format!(
                    "The authorization header is malformed; incorrect service \"{service}\". This endpoint belongs to \"{expected}\"."
                ),
                (true, AuthLocation::QueryString) => format!(
                    "Error parsing the X-Amz-Credential parameter; incorrect service \"{service}\". This endpoint belongs to \"{expected}\"."
                ),
            },
            Self::HostNotSigned { .. } if s3 => MSG_NOT_SIGNED.to_owned(),
            Self::HostNotSigned { .. } => MSG_HOST.to_owned(),
            Self::UnsignedHeaders { .. } if s3 => MSG_NOT_SIGNED.to_owned(),
            Self::UnsignedHeaders { headers } => format!("{MSG_NOT_SIGNED}: {}", headers.join(", ")),
            Self::InvalidExpires { problem } => match problem {
                ExpiresProblem::NotANumber => "X-Amz-Expires should be a number".to_owned(),
                ExpiresProblem::Negative => "X-Amz-Expires must be non-negative".to_owned(),
                ExpiresProblem::TooLarge => "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds".to_owned(),
            },
            Self::PresignedExpired { .. } if s3 => "Request has expired".to_owned(),
            Self::PresignedExpired { amz_date, expires_in, now, .. } => format!(
                "Signature expired: {amz_date} is now earlier than {} ({} - {})",
                format_basic(now.saturating_sub(secs_i64(*expires_in))),
                format_basic(*now),
                window(*expires_in)
            ),
            Self::RequestTimeTooSkewed { location, .. } if s3 => match location {
                AuthLocation::Header => {
                    "The difference between the request time and the current time is too large."
                        .to_owned()
                }
                AuthLocation::QueryString => "Request is not yet valid".to_owned(),
            },
            Self::RequestTimeTooSkewed { amz_date, request_time, now, max_skew_secs, .. } => {
                let skew = secs_i64(*max_skew_secs);
                if request_time < now {
                    format!(
                        "Signature expired: {amz_date} is now earlier than {} ({} - {})",
                        format_basic(now.saturating_sub(skew)),
                        format_basic(*now),
                        window(*max_skew_secs)
                    )
                } else {
                    format!(
                        "Signature not yet current: {amz_date} is still later than {} ({} + {})",
                        format_basic(now.saturating_add(skew)),
                        format_basic(*now),
                        window(*max_skew_secs)
                    )
                }
            }
            Self::SignatureMismatch(_) if s3 => MSG_MISMATCH_S3.to_owned(),
            Self::SignatureMismatch(_) => MSG_MISMATCH.to_owned(),
            Self::UnknownAccessKey { .. } if s3 => {
                "The AWS Access Key Id you provided does not exist in our records.".to_owned()
            }
            Self::UnknownAccessKey { .. } => MSG_INVALID_TOKEN.to_owned(),
            Self::InvalidSecurityToken if s3 => {
                "The provided token is malformed or otherwise invalid.".to_owned()
            }
            Self::InvalidSecurityToken => MSG_INVALID_TOKEN.to_owned(),
            Self::ExpiredToken if s3 => "The provided token has expired.".to_owned(),
            Self::ExpiredToken => MSG_EXPIRED_TOKEN.to_owned(),
        }
    }

    /// The extra elements S3 puts in its `<Error>` after `<Code>` and `<Message>`, in order
    /// (e.g. `HeadersNotSigned`, `Region`, `RequestTime`, `StringToSign`). Empty for the
    /// Json and Query families. Some echo request data (the signature, the canonical request
    /// with the session token) exactly as S3 does: send them to the client, never to logs.
    /// S3 also adds `<Token-0>` to `ExpiredToken`/`InvalidToken`; the caller holds the token.
    pub fn aws_extra_fields(&self, family: ProtocolFamily) -> Vec<(&'static str, String)> {
        if family != ProtocolFamily::RestXml {
            return Vec::new();
        }
        match self {
            Self::HostNotSigned { .. } => vec![("HeadersNotSigned", "host".to_owned())],
            Self::UnsignedHeaders { headers } => vec![("HeadersNotSigned", headers.join(", "))],
            Self::WrongRegion { expected, .. } => vec![("Region", expected.clone())],
            Self::ConflictingAuthentication => vec![("ArgumentName", "Authorization".to_owned())],
            Self::UnsupportedAuthorizationType { sigv2: false }
            | Self::UnsupportedAlgorithm {
                location: AuthLocation::Header,
                ..
            } => {
                vec![("ArgumentName", "Authorization".to_owned())]
            }
            Self::RequestTimeTooSkewed {
                amz_date,
                now,
                max_skew_secs,
                location,
                ..
            } => match location {
                AuthLocation::Header => vec![
                    ("RequestTime", amz_date.clone()),
                    ("ServerTime", format_extended(*now)),
                    (
                        "MaxAllowedSkewMilliseconds",
                        max_skew_secs.saturating_mul(1000).to_string(),
                    ),
                ],
                AuthLocation::QueryString => vec![
                    ("X-Amz-Date", amz_date.clone()),
                    ("ServerTime", format_extended(*now)),
                ],
            },
            Self::PresignedExpired {
                request_time,
                expires_in,
                now,
                ..
            } => vec![
                ("X-Amz-Expires", expires_in.to_string()),
                (
                    "Expires",
                    format_extended(request_time.saturating_add(secs_i64(*expires_in))),
                ),
                ("ServerTime", format_extended(*now)),
            ],
            Self::SignatureMismatch(Some(d)) => vec![
                ("AWSAccessKeyId", d.access_key_id.clone()),
                ("StringToSign", d.string_to_sign.clone()),
                ("SignatureProvided", d.signature_provided.clone()),
                ("StringToSignBytes", spaced_hex(d.string_to_sign.as_bytes())),
                ("CanonicalRequest", d.canonical_request.clone()),
                (
                    "CanonicalRequestBytes",
                    spaced_hex(d.canonical_request.as_bytes()),
                ),
            ],
            Self::UnknownAccessKey { access_key_id } => {
                vec![("AWSAccessKeyId", access_key_id.clone())]
            }
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skew_messages_match_aws() {
        // Times from https://github.com/aws/aws-sdk-js/issues/254 (DynamoDB, 15 min window).
        let past = SigV4Error::RequestTimeTooSkewed {
            amz_date: "20140325T143453Z".into(),
            request_time: crate::time::parse_amz_date("20140325T143453Z").unwrap(),
            now: crate::time::parse_amz_date("20140325T145251Z").unwrap(),
            max_skew_secs: 900,
            location: AuthLocation::Header,
        };
        assert_eq!(
            past.aws_message(ProtocolFamily::Json),
            "Signature expired: 20140325T143453Z is now earlier than 20140325T143751Z (20140325T145251Z - 15 min.)"
        );
        assert_eq!(
            past.aws_code(ProtocolFamily::Query),
            "SignatureDoesNotMatch"
        );
        assert_eq!(
            past.aws_code(ProtocolFamily::RestXml),
            "RequestTimeTooSkewed"
        );
        let future = SigV4Error::RequestTimeTooSkewed {
            amz_date: "20181017T093750Z".into(),
            request_time: crate::time::parse_amz_date("20181017T093750Z").unwrap(),
            now: crate::time::parse_amz_date("20181017T093139Z").unwrap(),
            max_skew_secs: 300,
            location: AuthLocation::Header,
        };
        // From https://github.com/s12v/awsbeats/issues/48 (Kinesis, 5 min window).
        assert_eq!(
            future.aws_message(ProtocolFamily::Json),
            "Signature not yet current: 20181017T093750Z is still later than 20181017T093639Z (20181017T093139Z + 5 min.)"
        );
    }

    #[test]
    fn echo_and_detail_debug_hide_contents() {
        let e = Echo("AWS4-HMAC-SHA256 Signature=secret".into());
        assert!(!format!("{e:?}").contains("secret"));
        let d = MismatchDetail {
            canonical_request: "x-amz-security-token:tok".into(),
            string_to_sign: "s".into(),
            access_key_id: "AKID".into(),
            signature_provided: "ab".into(),
        };
        let err = SigV4Error::SignatureMismatch(Some(Box::new(d)));
        assert!(!format!("{err:?}").contains("tok"));
        assert!(!err.to_string().contains("tok"));
    }
}
