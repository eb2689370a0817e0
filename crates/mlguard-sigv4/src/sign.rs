//! Signing, for mlguard's own clients (the envelope CLI, the load generator): the same
//! canonical request the verifier rebuilds, so signer and verifier cannot disagree.

use aws_lc_rs::hmac;

use crate::canonical::{PayloadHash, canonical_request_bytes, hashed_canonical_request};
use crate::encode::hex32;
use crate::error::AuthLocation;
use crate::parse::{ALGORITHM, ParsedAuth, TERMINATOR};
use crate::request::HttpRequest;
use crate::time::format_basic;

/// What a signature is made for.
#[derive(Debug, Clone, Copy)]
pub struct SigningScope<'a> {
    /// The access key id.
    pub access_key_id: &'a str,
    /// The region.
    pub region: &'a str,
    /// The service, e.g. `kms`.
    pub service: &'a str,
    /// The request time, unix seconds; the request's `x-amz-date` must be
    /// [`amz_date`] of it.
    pub time: i64,
}

/// `YYYYMMDD'T'HHMMSS'Z'` of a unix time, for the `x-amz-date` header.
pub fn amz_date(unix: i64) -> String {
    format_basic(unix)
}

/// Computes the `Authorization` header for `req`, signing the headers named in
/// `signed_headers` (lower case; `host` and `x-amz-date` must be among them and
/// present in `req`). `key` is [`crate::signing_key`] for the scope's date, region
/// and service.
pub fn authorization_header(
    req: &HttpRequest<'_>,
    signed_headers: &[&str],
    payload: PayloadHash<'_>,
    scope: &SigningScope<'_>,
    key: &[u8; 32],
) -> String {
    let amz_date = format_basic(scope.time);
    let scope_date: String = amz_date.chars().take(8).collect();
    let mut names: Vec<String> = signed_headers
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    names.sort();
    names.dedup();
    let auth = ParsedAuth {
        location: AuthLocation::Header,
        access_key_id: scope.access_key_id.to_string(),
        scope_date: scope_date.clone(),
        region: scope.region.to_string(),
        service: scope.service.to_string(),
        signed_headers: names.clone(),
        signature: [0; 32],
        request_time: scope.time,
        amz_date: amz_date.clone(),
        expires_in: None,
        session_token: None,
    };
    let creq = canonical_request_bytes(req, &auth, payload);
    let hashed = hashed_canonical_request(&creq);
    let mut ctx = hmac::Context::with_key(&hmac::Key::new(hmac::HMAC_SHA256, key));
    for part in [
        ALGORITHM,
        "\n",
        &amz_date,
        "\n",
        &scope_date,
        "/",
        scope.region,
        "/",
        scope.service,
        "/",
        TERMINATOR,
        "\n",
    ] {
        ctx.update(part.as_bytes());
    }
    ctx.update(&hashed);
    let tag = ctx.sign();
    let signature: [u8; 32] = tag.as_ref().try_into().unwrap_or([0; 32]);
    let hex = hex32(&signature);
    format!(
        "{ALGORITHM} Credential={}/{scope_date}/{}/{}/{TERMINATOR}, SignedHeaders={}, Signature={}",
        scope.access_key_id,
        scope.region,
        scope.service,
        names.join(";"),
        String::from_utf8_lossy(&hex)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{VerifyOptions, parse_auth, signing_key, verify};

    #[test]
    fn what_we_sign_we_verify() {
        let time = 1_795_687_200;
        let date = amz_date(time);
        let body = br#"{"KeyId":"alias/train"}"#;
        let hash: [u8; 32] = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, body)
            .as_ref()
            .try_into()
            .unwrap();
        let mut headers: Vec<(&str, &[u8])> = vec![
            ("host", b"127.0.0.1:4566"),
            ("x-amz-date", date.as_bytes()),
            ("x-amz-target", b"TrentService.Encrypt"),
            ("content-type", b"application/x-amz-json-1.1"),
        ];
        let key = signing_key("secret", date.get(..8).unwrap(), "us-east-1", "kms");
        let scope = SigningScope {
            access_key_id: "AKIDEXAMPLE",
            region: "us-east-1",
            service: "kms",
            time,
        };
        let req = HttpRequest {
            method: "POST",
            path: "/",
            query: "",
            headers: &headers,
        };
        let authorization = authorization_header(
            &req,
            &["host", "x-amz-date", "x-amz-target", "content-type"],
            PayloadHash::Computed(hash),
            &scope,
            &key,
        );
        headers.push(("authorization", authorization.as_bytes()));
        let signed = HttpRequest {
            method: "POST",
            path: "/",
            query: "",
            headers: &headers,
        };
        let auth = parse_auth(&signed).unwrap();
        let opts = VerifyOptions::aws_defaults(time);
        verify(&signed, &auth, PayloadHash::Computed(hash), &key, &opts).unwrap();
        let wrong = signing_key("other", date.get(..8).unwrap(), "us-east-1", "kms");
        assert!(verify(&signed, &auth, PayloadHash::Computed(hash), &wrong, &opts).is_err());
    }
}
