//! Steps 2 and 3: deriving the signing key, and checking scope, time, signed headers and signature.

use aws_lc_rs::{constant_time, hmac};

use crate::canonical::{
    PayloadHash, canonical_request_bytes, hashed_canonical_request, push_scope,
};
use crate::encode::hex32;
use crate::error::{AuthLocation, MismatchDetail, SigV4Error, secs_i64};
use crate::parse::{ALGORITHM, ParsedAuth, TERMINATOR};
use crate::request::HttpRequest;

/// What [`verify`] checks beyond the signature.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VerifyOptions {
    /// The server time in unix seconds.
    pub now: i64,
    /// The largest allowed distance between the request time and `now` (AWS: 900). `None`
    /// skips the check (emulate mode); a presigned URL's `X-Amz-Expires` is enforced anyway.
    pub max_skew_secs: Option<u64>,
    /// The region the credential scope must name; `None` accepts any.
    pub expected_region: Option<String>,
    /// The service the credential scope must name; `None` accepts any.
    pub expected_service: Option<String>,
}

impl VerifyOptions {
    /// AWS's defaults at `now`: a 15-minute skew and any region or service.
    pub fn aws_defaults(now: i64) -> Self {
        Self {
            now,
            max_skew_secs: Some(900),
            expected_region: None,
            expected_service: None,
        }
    }
}

/// Derives the SigV4 signing key, `HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region),
/// service), "aws4_request")`. It depends only on its inputs, so callers cache it per
/// access key, date, region and service.
pub fn signing_key(
    secret_access_key: &str,
    scope_date: &str,
    region: &str,
    service: &str,
) -> [u8; 32] {
    let mut seed = Vec::with_capacity(4 + secret_access_key.len());
    seed.extend_from_slice(b"AWS4");
    seed.extend_from_slice(secret_access_key.as_bytes());
    let k_date = hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA256, &seed),
        scope_date.as_bytes(),
    );
    // Best effort: do not leave the secret in the freed buffer.
    seed.fill(0);
    std::hint::black_box(&seed);
    let k_region = hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA256, k_date.as_ref()),
        region.as_bytes(),
    );
    let k_service = hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA256, k_region.as_ref()),
        service.as_bytes(),
    );
    let k_signing = hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA256, k_service.as_ref()),
        TERMINATOR.as_bytes(),
    );
    k_signing.as_ref().try_into().unwrap_or([0; 32])
}

/// Checks the credential scope's region and service against the expected ones. Coral services
/// check these before looking up the access key; call this first to report errors in that order.
///
/// # Errors
/// [`SigV4Error::WrongRegion`] or [`SigV4Error::WrongService`].
pub fn check_scope(auth: &ParsedAuth, opts: &VerifyOptions) -> Result<(), SigV4Error> {
    if let Some(expected) = &opts.expected_region
        && auth.region != *expected
    {
        return Err(SigV4Error::WrongRegion {
            region: auth.region.clone(),
            expected: expected.clone(),
            location: auth.location,
        });
    }
    if let Some(expected) = &opts.expected_service
        && auth.service != *expected
    {
        return Err(SigV4Error::WrongService {
            service: auth.service.clone(),
            expected: expected.clone(),
            location: auth.location,
        });
    }
    Ok(())
}

/// Checks the request time. Header auth: within `max_skew_secs` of `now` either way.
/// Presigned: not later than `now + max_skew_secs`, not after `X-Amz-Date + X-Amz-Expires`
/// (and `X-Amz-Expires=0` is never valid, as in S3); outside S3 also not earlier than
/// `now - max_skew_secs`, since those services bound presigned URLs by the skew window too.
///
/// # Errors
/// [`SigV4Error::RequestTimeTooSkewed`] or [`SigV4Error::PresignedExpired`].
pub fn check_time(auth: &ParsedAuth, opts: &VerifyOptions) -> Result<(), SigV4Error> {
    let now = opts.now;
    let t = auth.request_time;
    let skewed = || SigV4Error::RequestTimeTooSkewed {
        amz_date: auth.amz_date.clone(),
        request_time: t,
        now,
        max_skew_secs: opts.max_skew_secs.unwrap_or(0),
        location: auth.location,
    };
    if let Some(skew) = opts.max_skew_secs.map(secs_i64) {
        let too_new = t > now.saturating_add(skew);
        let too_old = t < now.saturating_sub(skew);
        let checks_old = auth.location == AuthLocation::Header || auth.service != "s3";
        if too_new || (too_old && checks_old) {
            return Err(skewed());
        }
    }
    if let Some(expires_in) = auth.expires_in
        && (expires_in == 0 || now > t.saturating_add(secs_i64(expires_in)))
    {
        return Err(SigV4Error::PresignedExpired {
            amz_date: auth.amz_date.clone(),
            request_time: t,
            expires_in,
            now,
        });
    }
    Ok(())
}

/// Whether an `x-amz-*` header may stay unsigned. `x-amz-content-sha256` is bound by the
/// payload line of the canonical request anyway. Outside S3, `x-amz-security-token` may be
/// added after signing (the test suite's `post-sts-header-after`); it cannot be swapped
/// without the matching secret. Presigned URLs may carry `x-amz-user-agent` and
/// `x-amz-checksum-mode` unsigned: AWS's own signer leaves them out of presigned signatures.
fn may_be_unsigned(name: &str, auth: &ParsedAuth) -> bool {
    let lower = |s: &str| name.eq_ignore_ascii_case(s);
    lower("x-amz-content-sha256")
        || (auth.service != "s3" && lower("x-amz-security-token"))
        || (auth.location == AuthLocation::QueryString
            && (lower("x-amz-user-agent") || lower("x-amz-checksum-mode")))
}

/// Refuses `x-amz-*` headers that the request carries but did not sign, as S3 does: such a
/// header could change what the request does (`x-amz-copy-source`, `x-amz-target`, ...)
/// without invalidating a captured signature.
///
/// # Errors
/// [`SigV4Error::UnsignedHeaders`] naming them.
pub fn check_signed_headers(req: &HttpRequest<'_>, auth: &ParsedAuth) -> Result<(), SigV4Error> {
    let mut unsigned: Vec<String> = Vec::new();
    for (name, _) in req.headers {
        let is_amz = name
            .as_bytes()
            .get(..6)
            .is_some_and(|p| p.eq_ignore_ascii_case(b"x-amz-"));
        if !is_amz
            || may_be_unsigned(name, auth)
            || auth
                .signed_headers
                .iter()
                .any(|s| s.eq_ignore_ascii_case(name))
        {
            continue;
        }
        let lower = name.to_ascii_lowercase();
        if !unsigned.contains(&lower) {
            unsigned.push(lower);
        }
    }
    if unsigned.is_empty() {
        Ok(())
    } else {
        Err(SigV4Error::UnsignedHeaders { headers: unsigned })
    }
}

/// Step 3: verifies a request whose credentials [`crate::parse_auth`] found, with the signing
/// key of its access key, scope date, region and service.
///
/// Order of checks: scope region and service; outside S3 the time (coral services report a
/// skewed time before a bad signature); unsigned `x-amz-*` headers; the signature, compared in
/// constant time; for S3 the time last (S3 reports a bad signature first).
///
/// # Errors
/// The first failing check's [`SigV4Error`]; this never panics.
pub fn verify(
    req: &HttpRequest<'_>,
    auth: &ParsedAuth,
    payload: PayloadHash<'_>,
    key: &[u8; 32],
    opts: &VerifyOptions,
) -> Result<(), SigV4Error> {
    check_scope(auth, opts)?;
    let s3 = auth.service == "s3";
    if !s3 {
        check_time(auth, opts)?;
    }
    check_signed_headers(req, auth)?;

    let creq = canonical_request_bytes(req, auth, payload);
    let hashed = hashed_canonical_request(&creq);
    let mut ctx = hmac::Context::with_key(&hmac::Key::new(hmac::HMAC_SHA256, key));
    ctx.update(ALGORITHM.as_bytes());
    ctx.update(b"\n");
    ctx.update(auth.amz_date.as_bytes());
    ctx.update(b"\n");
    for part in [
        &auth.scope_date,
        "/",
        &auth.region,
        "/",
        &auth.service,
        "/",
        TERMINATOR,
        "\n",
    ] {
        ctx.update(part.as_bytes());
    }
    ctx.update(&hashed);
    let tag = ctx.sign();
    if constant_time::verify_slices_are_equal(tag.as_ref(), &auth.signature).is_err() {
        return Err(mismatch(auth, creq, &hashed));
    }
    if s3 {
        check_time(auth, opts)?;
    }
    Ok(())
}

/// Builds the mismatch error with what S3 echoes; only on the failure path, so it may allocate.
fn mismatch(auth: &ParsedAuth, creq: Vec<u8>, hashed: &[u8; 64]) -> SigV4Error {
    let mut sts = String::with_capacity(160);
    sts.push_str(ALGORITHM);
    sts.push('\n');
    sts.push_str(&auth.amz_date);
    sts.push('\n');
    push_scope(&mut sts, auth);
    sts.push('\n');
    sts.extend(hashed.iter().map(|b| char::from(*b)));
    let signature_provided = hex32(&auth.signature)
        .iter()
        .map(|b| char::from(*b))
        .collect();
    let canonical_request = match String::from_utf8(creq) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    };
    SigV4Error::SignatureMismatch(Some(Box::new(MismatchDetail {
        canonical_request,
        string_to_sign: sts,
        access_key_id: auth.access_key_id.clone(),
        signature_provided,
    })))
}
