//! XML error shapes of awsQuery (IAM, STS) and restXml (S3).

use bytes::Bytes;
use http::Response;
use http_body_util::Full;

use crate::error::{ApiError, Fault};

use mlguard_wire::query::escape;

/// `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>`.
pub fn query_error_response(request_id: &str, error: &ApiError) -> Response<Full<Bytes>> {
    let fault = match error.fault {
        Fault::Sender => "Sender",
        Fault::Receiver => "Receiver",
    };
    let body = format!(
        "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>{fault}</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>{}</RequestId></ErrorResponse>",
        escape(&error.code),
        escape(error.message.as_deref().unwrap_or("")),
        escape(request_id)
    );
    super::response(error.status, "text/xml", request_id, body.into_bytes())
}

/// S3's `<Error><Code/><Message/><RequestId/></Error>`.
pub fn rest_error_response(request_id: &str, error: &ApiError) -> Response<Full<Bytes>> {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{}</Code><Message>{}</Message><RequestId>{}</RequestId></Error>",
        escape(&error.code),
        escape(error.message.as_deref().unwrap_or("")),
        escape(request_id)
    );
    super::response(
        error.status,
        "application/xml",
        request_id,
        body.into_bytes(),
    )
}

/// A successful awsQuery response:
/// `<OpResponse xmlns=…><OpResult>…</OpResult><ResponseMetadata><RequestId/></ResponseMetadata></OpResponse>`.
pub fn query_ok<T: mlguard_wire::query::ToXml>(
    request_id: &str,
    operation: &str,
    result_wrapper: Option<&str>,
    namespace: &str,
    result: &T,
) -> Response<Full<Bytes>> {
    let mut body = String::with_capacity(512);
    body.push_str(&format!("<{operation}Response xmlns=\"{namespace}\">"));
    if let Some(wrapper) = result_wrapper {
        mlguard_wire::query::element(&mut body, wrapper, result);
    }
    body.push_str("<ResponseMetadata><RequestId>");
    mlguard_wire::query::escape_into(&mut body, request_id);
    body.push_str(&format!(
        "</RequestId></ResponseMetadata></{operation}Response>"
    ));
    super::response(200, "text/xml", request_id, body.into_bytes())
}

/// Decodes an awsQuery request by its shape and validates it, with the
/// `ValidationError` IAM and STS answer.
pub fn query_decode<T: mlguard_wire::query::FromQuery + mlguard_wire::Validate>(
    params: &mlguard_wire::query::QueryParams,
) -> Result<T, ApiError> {
    let value =
        T::from_query(params, "").map_err(|e| ApiError::bad_request("ValidationError", e.0))?;
    value
        .validate()
        .map_err(|e| ApiError::bad_request("ValidationError", e.to_string()))?;
    Ok(value)
}
