//! Server-side verification of AWS Signature Version 4 requests, answering failures with AWS's own error codes and messages.
//!
//! mlguard serves real AWS clients (boto3, the AWS CLI, the SDKs), so it must accept exactly
//! the signatures AWS accepts and refuse the rest the way AWS does. This crate is pure: no I/O,
//! no clock, no credential store. The caller supplies the request, the time and the secret.
//!
//! # Use
//!
//! ```
//! use mlguard_sigv4::{HttpRequest, PayloadHash, VerifyOptions, parse_auth, signing_key, verify};
//!
//! # fn lookup(_: &str) -> Option<&'static str> { Some("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY") }
//! let headers: &[(&str, &[u8])] = &[
//!     ("Host", b"example.amazonaws.com"),
//!     ("X-Amz-Date", b"20150830T123600Z"),
//!     ("Authorization", b"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
//! ];
//! let req = HttpRequest { method: "GET", path: "/", query: "", headers };
//! // 1. No secret needed: who signed, for which scope.
//! let auth = parse_auth(&req)?;
//! // 2. The caller's credential store (unknown key: SigV4Error::unknown_access_key).
//! let secret = lookup(&auth.access_key_id).ok_or_else(|| mlguard_sigv4::SigV4Error::unknown_access_key(&auth.access_key_id))?;
//! let key = signing_key(secret, &auth.scope_date, &auth.region, &auth.service);
//! // 3. Verify against the body hash the server computed.
//! let body_hash = [0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
//!                  0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55];
//! verify(&req, &auth, PayloadHash::Computed(body_hash), &key, &VerifyOptions::aws_defaults(1_440_938_160))?;
//! # Ok::<(), mlguard_sigv4::SigV4Error>(())
//! ```
//!
//! On failure, answer with [`SigV4Error::aws_code`], [`SigV4Error::http_status`],
//! [`SigV4Error::aws_message`] and, for S3, [`SigV4Error::aws_extra_fields`].
//!
//! # Rules
//!
//! * **Canonical URI.** Outside S3 the raw (still encoded) path is normalised (empty and `.`
//!   segments dropped, `..` resolved, a trailing slash kept) and encoded once more, so `%20`
//!   becomes `%2520`: clients sign the encoded path encoded again. For `service == "s3"` there
//!   is no normalisation and each segment is decoded and re-encoded once, so `%7e` → `~`,
//!   `+` → `%2B`, `%2F` stays `%2F`, and `//` stays. Both agree with `aws-sigv4`
//!   (`PercentEncodingMode::Double` / `Single`) for every path an SDK sends.
//! * **Canonical query.** Each pair decoded (`+` is a space, an invalid `%` stays literal) and
//!   re-encoded with only RFC 3986 unreserved bytes left as is, sorted by name then value,
//!   `name=` for a missing value, `X-Amz-Signature` left out for presigned URLs.
//! * **Canonical headers.** Signed names in the order listed, lower-cased; values trimmed and
//!   each run of spaces/tabs folded to one space; repeated headers joined with `,`; a signed
//!   but absent header has an empty value (so the signature fails, as at AWS).
//! * **Time.** `X-Amz-Date` (`YYYYMMDD'T'HHMMSS'Z'`), or the `Date` header in RFC 1123 form
//!   when `X-Amz-Date` is absent (header auth only); the scope date must be its day.
//! * **Presigned URLs.** `X-Amz-Expires` must be an integer ≤ 604800 (required for S3,
//!   optional elsewhere); `0` is expired at once, as S3 answers. The session token comes
//!   from `X-Amz-Security-Token`.
//! * **Unsigned `x-amz-*` headers are refused** for every service and both locations, as S3
//!   does (`HeadersNotSigned`): such a header (`x-amz-copy-source`, `x-amz-target`, `x-amz-acl`)
//!   changes what a request does without invalidating a captured signature. AWS's docs require
//!   `host` and every `x-amz-*` header to be signed. Exemptions, each harmless:
//!   `x-amz-content-sha256` (its value is the canonical request's payload line when the caller
//!   uses [`PayloadHash::Declared`]; S3 tolerates it unsigned); `x-amz-security-token`
//!   outside S3 (SigV4's test suite case `post-sts-header-after` adds it after signing, and it
//!   cannot be swapped without its secret; S3 refuses it unsigned); and for presigned URLs
//!   `x-amz-user-agent` and `x-amz-checksum-mode`, which AWS's own signer leaves unsigned.
//!   Coral services (KMS, STS, ...) are not known to refuse unsigned `x-amz-*` headers; this is
//!   mlguard being stricter, reported with the family's signature error.
//! * **Signature** compared in constant time (`aws_lc_rs::constant_time`).
//! * **Order.** [`parse_auth`] checks shape, algorithm, date and host; [`verify`] checks
//!   scope, then the time window before the signature outside S3 (coral reports "Signature
//!   expired" first) and after it for S3 (S3 reports `SignatureDoesNotMatch` first). A request
//!   with several faults may get another of them reported than AWS would.
//!
//! # Errors AWS returns
//!
//! Json = `awsJson` services (KMS, Secrets Manager, Comprehend), Query = `awsQuery` (IAM, STS),
//! S3 = `restXml`. `{x}` is filled from the request. "(unverified)" marks answers we found no
//! public record of; they follow the family's nearest known answer.
//!
//! | Cause ([`SigV4Error`]) | Json: code, status, message | Query: code, status, message | S3: code, status, message (+ XML fields) |
//! |---|---|---|---|
//! | `MissingAuthentication` | `MissingAuthenticationTokenException` 400 "Request is missing Authentication Token" \[1\] | `MissingAuthenticationToken` 403 "Request is missing Authentication Token" \[2\] | `AccessDenied` 403 "Access Denied" (anonymous) \[3\] |
//! | `UnsupportedAuthorizationType` | as missing \[1\] | as missing | SigV2: `InvalidRequest` 400 "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256." \[4\]; other: `InvalidArgument` 400 "Unsupported Authorization Type" (+ArgumentName) \[3\] |
//! | `ConflictingAuthentication` | `IncompleteSignatureException` 400 (unverified) | `IncompleteSignature` 400 (unverified) | `InvalidArgument` 400 "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified" \[5\] |
//! | `UnsupportedAlgorithm` | `IncompleteSignatureException` 400 "Unsupported AWS 'algorithm': '{alg}'." \[6\] | `IncompleteSignature` 400, same \[6\] | header: `InvalidArgument` 400 "Unsupported Authorization Type"; query: `AuthorizationQueryParametersError` 400 "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256 and AWS4-ECDSA-P256-SHA256\"" \[3\] |
//! | `UnsupportedSigV4a` | as `UnsupportedAlgorithm` | as `UnsupportedAlgorithm` | `InvalidRequest` 400, SigV2's message (mlguard has no SigV4a) |
//! | `IncompleteAuthorizationHeader` | `IncompleteSignatureException` 400 "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization={header}" (present parts left out) \[1\]\[7\] | `IncompleteSignature` 400, same \[8\] | `AuthorizationHeaderMalformed` 400 "The authorization header is malformed; the authorization header requires three components: Credential, SignedHeaders, and Signature." \[9\] |
//! | `MalformedAuthorizationParameter` | `IncompleteSignatureException` 400 "'{part}' not a valid key=value pair (missing equal-sign) in Authorization header: '{header}'." \[10\] | `IncompleteSignature` 400, same \[11\] | as incomplete |
//! | `MissingQueryParameters` | `IncompleteSignatureException` 400 "AWS query-string parameters must include '{name}'. Re-examine the query-string parameters." \[6\] | `IncompleteSignature` 400, same \[6\] | `AuthorizationQueryParametersError` 400 "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters." \[12\] |
//! | `MalformedCredential` | `IncompleteSignatureException` 400 "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{credential}'" \[1\] | `IncompleteSignature` 400, same | header: `AuthorizationHeaderMalformed` 400 "The authorization header is malformed; the Credential is mal-formed; expecting \"&lt;YOUR-AKID&gt;/YYYYMMDD/REGION/SERVICE/aws4_request\"." \[13\]; query: `AuthorizationQueryParametersError` 400 "Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; …" |
//! | `InvalidTerminator` | `InvalidSignatureException` 400 "Credential should be scoped with a valid terminator: 'aws4_request', not '{t}'. " \[1\] | `SignatureDoesNotMatch` 403, same | header: `AuthorizationHeaderMalformed` 400 "The authorization header is malformed; incorrect terminal \"{t}\". This endpoint uses \"aws4_request\"."; query: `AuthorizationQueryParametersError` "Error parsing the X-Amz-Credential parameter; incorrect terminal …" \[3\] |
//! | `MissingDate` | `IncompleteSignatureException` 400 "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization={header}" \[1\] | `IncompleteSignature` 400, same \[7\] | `AccessDenied` 403 "AWS authentication requires a valid Date or x-amz-date header" \[3\] |
//! | `InvalidDate` | `IncompleteSignatureException` 400 "Date must be in ISO-8601 'basic format'. Got '{date}'. See `http://en.wikipedia.org/wiki/ISO_8601`" \[1\] | `IncompleteSignature` 400, same | header: as `MissingDate`; query: `AuthorizationQueryParametersError` 400 "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"" \[3\] |
//! | `ScopeDateMismatch` | `InvalidSignatureException` 400 "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{scope}' != '{day}', from '{amz_date}'." \[1\] | `SignatureDoesNotMatch` 403, same | `AuthorizationHeaderMalformed` 400 "The authorization header is malformed; Invalid credential date \"{scope}\". This date is not the same as X-Amz-Date: \"{day}\"." (or "incorrect date format \"{scope}\". This date in the credential must be in the format \"yyyyMMdd\"."); query: `AuthorizationQueryParametersError`, without the prefix \[3\] |
//! | `WrongRegion` | `InvalidSignatureException` 400 "Credential should be scoped to a valid region, not '{region}'. " \[14\] | `SignatureDoesNotMatch` 403, same \[15\] | header: `AuthorizationHeaderMalformed` 400 "The authorization header is malformed; the region '{region}' is wrong; expecting '{expected}'" (+Region) \[16\]; query: `AuthorizationQueryParametersError` 400 "Error parsing the X-Amz-Credential parameter; the region …" (+Region) \[17\] |
//! | `WrongService` | `InvalidSignatureException` 400 "Credential should be scoped to correct service: '{expected}'. " \[1\] | `SignatureDoesNotMatch` 403, same | `AuthorizationHeaderMalformed` 400 "The authorization header is malformed; incorrect service \"{service}\". This endpoint belongs to \"{expected}\"."; query: `AuthorizationQueryParametersError` "Error parsing the X-Amz-Credential parameter; incorrect service …" \[3\] |
//! | `HostNotSigned` | `InvalidSignatureException` 400 "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization." \[1\]\[6\]\[18\] | `SignatureDoesNotMatch` 403, same | `AccessDenied` 403 "There were headers present in the request which were not signed" (+HeadersNotSigned: host) \[3\] |
//! | `UnsignedHeaders` | `InvalidSignatureException` 400 "There were headers present in the request which were not signed: {names}" (mlguard policy) | `SignatureDoesNotMatch` 403, same (mlguard policy) | `AccessDenied` 403 "There were headers present in the request which were not signed" (+HeadersNotSigned) \[19\]\[20\] |
//! | `InvalidExpires` | `IncompleteSignatureException` 400, S3's text (unverified) | `IncompleteSignature` 400, S3's text (unverified) | `AuthorizationQueryParametersError` 400 "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds" \[21\] / "X-Amz-Expires must be non-negative" / "X-Amz-Expires should be a number" \[3\] |
//! | `PresignedExpired` | `InvalidSignatureException` 400 "Signature expired: {amz_date} is now earlier than {now - expires} ({now} - {expires})" (unverified) | `SignatureDoesNotMatch` 403, same (unverified) | `AccessDenied` 403 "Request has expired" (+X-Amz-Expires, Expires, ServerTime) \[22\] |
//! | `RequestTimeTooSkewed` | `InvalidSignatureException` 400 "Signature expired: {amz_date} is now earlier than {now - skew} ({now} - 15 min.)" or "Signature not yet current: {amz_date} is still later than {now + skew} ({now} + 15 min.)" \[23\]\[24\] | `SignatureDoesNotMatch` 403, same \[25\]\[26\] | header: `RequestTimeTooSkewed` 403 "The difference between the request time and the current time is too large." (+RequestTime, ServerTime, MaxAllowedSkewMilliseconds) \[27\]; presigned, future: `AccessDenied` 403 "Request is not yet valid" (+X-Amz-Date, ServerTime) \[3\] |
//! | `SignatureMismatch` | `InvalidSignatureException` 400 "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details." \[28\] | `SignatureDoesNotMatch` 403, same \[29\] | `SignatureDoesNotMatch` 403 "The request signature we calculated does not match the signature you provided. Check your key and signing method." (+AWSAccessKeyId, StringToSign, SignatureProvided, StringToSignBytes, CanonicalRequest, CanonicalRequestBytes) \[30\] |
//! | `UnknownAccessKey` | `UnrecognizedClientException` 400 "The security token included in the request is invalid." \[1\] | `InvalidClientTokenId` 403, same \[31\] | `InvalidAccessKeyId` 403 "The AWS Access Key Id you provided does not exist in our records." (+AWSAccessKeyId) \[32\] |
//! | `ExpiredToken` | `ExpiredTokenException` 400 "The security token included in the request is expired" \[33\] | `ExpiredToken` 403, same \[34\] | `ExpiredToken` 400 "The provided token has expired." \[32\] |
//! | `InvalidSecurityToken` | `UnrecognizedClientException` 400 "The security token included in the request is invalid." \[1\] | `InvalidClientTokenId` 403, same | `InvalidToken` 400 "The provided token is malformed or otherwise invalid." \[32\] |
//!
//! Older coral answers to a signature mismatch appended "The Canonical String for this request
//! should have been …" \[29\]; current ones do not, so [`SigV4Error::aws_message`] does not
//! either. The strings are in [`SigV4Error::signature_mismatch_detail`].
//!
//! Sources: \[1\] DynamoDB's answers quoted in <https://github.com/mhart/dynalite> `index.js`;
//! \[2\] <https://github.com/amzn/selling-partner-api-docs/issues/3081>;
//! \[3\] S3's answers as recorded by a third-party S3 emulator's test suite found in a public code
//! index (its repository was not named there), so second-hand; \[16\]\[19\]\[20\]\[22\] corroborate parts;
//! \[4\] <https://github.com/nukulb/s3-angular-file-upload/issues/23>;
//! \[5\] <https://github.com/catalyst/moodle-tool_objectfs/issues/303>;
//! \[6\] <https://github.com/dacut/scratchstack-aws-signature> (constants and tests);
//! \[7\] <https://github.com/aws/chalice/issues/828>;
//! \[8\] <https://github.com/brendanhay/amazonka/issues/316>;
//! \[9\] <https://github.com/ex-aws/ex_aws/issues/537>;
//! \[10\] <https://github.com/awslabs/fhir-works-on-aws-deployment/issues/379>;
//! \[11\] <https://github.com/aws/aws-sdk-go/issues/289>;
//! \[12\] <https://github.com/kaliber-scala/play-s3/issues/73>;
//! \[13\] <https://github.com/krobertson/deb-s3/issues/157>;
//! \[14\] <https://github.com/fsouza/s3-upload-proxy/issues/241>;
//! \[15\] <https://github.com/cognitect-labs/aws-api/issues/27>;
//! \[16\] <https://github.com/jsoma/flatware/issues/10>;
//! \[17\] <https://github.com/HHS/Head-Start-TTADP/issues/370>;
//! \[18\] <https://github.com/babbel/okhttp-aws-signer/issues/10>;
//! \[19\] <https://github.com/soto-project/soto/issues/374>;
//! \[20\] <https://github.com/badslug/Paw-AWSSignature4DynamicValue/issues/4>;
//! \[21\] <https://github.com/bryanjos/aws_auth/issues/31>;
//! \[22\] <https://github.com/aws/aws-sdk-php/issues/1333>;
//! \[23\] <https://github.com/aws/aws-sdk-js/issues/254>;
//! \[24\] <https://github.com/s12v/awsbeats/issues/48>;
//! \[25\] <https://github.com/aws/aws-cli/issues/6676>;
//! \[26\] <https://github.com/QT-DevOps/DevOpsIssues/issues/989>;
//! \[27\] <https://github.com/minio/minio-py/issues/285>;
//! \[28\] <https://github.com/aws/aws-sdk-js/issues/168>;
//! \[29\] <https://github.com/boto/boto3/issues/756>;
//! \[30\] <https://github.com/minio/minio/issues/2986>;
//! \[31\] <https://github.com/aws-azure-login/aws-azure-login/issues/251>;
//! \[32\] <https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html>;
//! \[33\] <https://github.com/aws/aws-sdk-java-v2/issues/1649>;
//! \[34\] <https://github.com/cfn-sphere/cfn-sphere/issues/55>.

#![warn(missing_docs)]

mod canonical;
mod encode;
mod error;
mod parse;
mod request;
mod sign;
mod time;
mod verify;

pub use canonical::{PayloadHash, canonical_request, declared_payload_hash, string_to_sign};
pub use error::{
    AuthLocation, Echo, ExpiresProblem, MismatchDetail, MissingParts, ProtocolFamily, SigV4Error,
};
pub use parse::{ParsedAuth, parse_auth};
pub use request::HttpRequest;
pub use sign::{SigningScope, amz_date, authorization_header};
pub use verify::{
    VerifyOptions, check_scope, check_signed_headers, check_time, signing_key, verify,
};
