//! The AWS wire protocols: how a request names its operation, and how responses
//! and errors are shaped. Each protocol maps [`ApiError`] to its error shape in
//! exactly one place.
//!
//! - awsJson1_1 (KMS, Secrets Manager, Comprehend): `POST /`, `X-Amz-Target:
//!   TrentService.Encrypt`, JSON bodies, errors `{"__type": ..., "message": ...}`.
//! - awsQuery (IAM, STS): form-encoded `Action=...`, XML responses, errors in
//!   `<ErrorResponse><Error>`.
//! - restJson1 (Access Analyzer): method and path, JSON bodies, the error code
//!   in `x-amzn-errortype` and `{"message": ...}` (plus the error's members).
//! - restXml (S3): method and path, XML errors in `<Error>`.

pub mod json;
pub mod xml;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Response, StatusCode};
use http_body_util::Full;

use crate::error::ApiError;

/// A wire protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// awsJson1_1.
    Json,
    /// awsQuery.
    Query,
    /// restJson1.
    RestJson,
    /// restXml.
    RestXml,
}

impl Protocol {
    /// Recognizes the protocol of a request before authentication, so even an
    /// unsigned request gets its error in the shape its client parses.
    pub fn detect(headers: &HeaderMap, url_query: Option<&str>) -> Protocol {
        if headers.contains_key("x-amz-target") {
            return Protocol::Json;
        }
        // "IAM and STS support GET and POST requests for all actions": an
        // `Action` in the URL (a presigned GetCallerIdentity, as EKS and Vault
        // send) is the query protocol too.
        if url_query
            .is_some_and(|q| form_urlencoded::parse(q.as_bytes()).any(|(k, _)| k == "Action"))
        {
            return Protocol::Query;
        }
        let form = headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
        // A form body is the query protocol's (IAM, STS), with or without its
        // `Action` (which the query dispatcher then asks for), and even when
        // it was too large to read.
        if form {
            return Protocol::Query;
        }
        let json = headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/json"));
        if json {
            return Protocol::RestJson;
        }
        Protocol::RestXml
    }

    /// The protocol family the SigV4 verifier phrases its errors for.
    pub fn sigv4_family(self) -> mlguard_sigv4::ProtocolFamily {
        match self {
            Protocol::Json | Protocol::RestJson => mlguard_sigv4::ProtocolFamily::Json,
            Protocol::Query => mlguard_sigv4::ProtocolFamily::Query,
            Protocol::RestXml => mlguard_sigv4::ProtocolFamily::RestXml,
        }
    }

    /// Renders an error in this protocol's shape.
    pub fn error_response(self, request_id: &str, error: &ApiError) -> Response<Full<Bytes>> {
        match self {
            Protocol::Json => json::error_response(request_id, error),
            Protocol::RestJson => json::rest_error_response(request_id, error),
            Protocol::Query => xml::query_error_response(request_id, error),
            Protocol::RestXml => xml::rest_error_response(request_id, error),
        }
    }
}

/// A response with a body and a content type.
pub fn response(
    status: u16,
    content_type: &'static str,
    request_id: &str,
    body: Vec<u8>,
) -> Response<Full<Bytes>> {
    let mut res = Response::new(Full::new(Bytes::from(body)));
    *res.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = res.headers_mut();
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static(content_type),
    );
    if let Ok(v) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-requestid", v.clone());
        headers.insert("x-amz-request-id", v);
    }
    res
}
