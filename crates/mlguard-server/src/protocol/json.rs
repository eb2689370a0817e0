//! awsJson1_1: the target header, request decoding with AWS's validation, and
//! response and error encoding.

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Response};
use http_body_util::Full;
use mlguard_wire::Validate;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// The JSON content type of awsJson1_1.
pub const CONTENT_TYPE: &str = "application/x-amz-json-1.1";

/// `X-Amz-Target: Prefix.Operation` split in two.
pub fn target(headers: &HeaderMap) -> Option<(&str, &str)> {
    headers.get("x-amz-target")?.to_str().ok()?.split_once('.')
}

/// Decodes and validates a request body. An empty body is `{}` (some clients send
/// none for operations without input).
pub fn decode<T: DeserializeOwned + Validate>(body: &[u8]) -> Result<T, ApiError> {
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}".as_slice()
    } else {
        body
    };
    // An input is a JSON object: serde would also take a structure's fields
    // from an array (`[null, "description"]`), which AWS refuses.
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::bad_request(
            "SerializationException",
            "Unable to parse the request: the body is not a JSON object",
        ));
    }
    let value: T = serde_json::from_slice(body).map_err(|e| {
        // serde's message can quote the offending value; keep only its position.
        let message = match e.classify() {
            serde_json::error::Category::Data => {
                format!(
                    "Unable to parse the request: a value has the wrong type (line {}, column {})",
                    e.line(),
                    e.column()
                )
            }
            _ => format!(
                "Unable to parse the request: malformed JSON (line {}, column {})",
                e.line(),
                e.column()
            ),
        };
        ApiError::bad_request("SerializationException", message)
    })?;
    value
        .validate()
        .map_err(|e| ApiError::validation(e.to_string()))?;
    Ok(value)
}

/// A 200 response with a JSON body. Operations without output (`()`) answer `{}`.
pub fn ok<T: Serialize>(request_id: &str, value: &T) -> Result<Response<Full<Bytes>>, ApiError> {
    let mut body = serde_json::to_vec(value).map_err(|_| ApiError::internal("InternalFailure"))?;
    if body == b"null" {
        body = b"{}".to_vec();
    }
    Ok(super::response(200, CONTENT_TYPE, request_id, body))
}

/// An error in restJson1's shape: the code in `x-amzn-errortype`, the body
/// `{"message": ...}` with the error's other members.
pub fn rest_error_response(request_id: &str, error: &ApiError) -> Response<Full<Bytes>> {
    let mut body = match &error.extra {
        Some(serde_json::Value::Object(m)) => m.clone(),
        _ => serde_json::Map::new(),
    };
    if let Some(message) = &error.message {
        body.insert("message".into(), serde_json::Value::String(message.clone()));
    }
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    let mut res = super::response(error.status, "application/json", request_id, bytes);
    if let Ok(v) = HeaderValue::from_str(&error.code) {
        res.headers_mut().insert("x-amzn-errortype", v);
    }
    res
}

/// An error in awsJson's shape: `{"__type": code, "message": message}`.
pub fn error_response(request_id: &str, error: &ApiError) -> Response<Full<Bytes>> {
    let mut body = serde_json::Map::new();
    body.insert(
        "__type".into(),
        serde_json::Value::String(error.code.clone()),
    );
    if let Some(message) = &error.message {
        body.insert("message".into(), serde_json::Value::String(message.clone()));
    }
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    let mut res = super::response(error.status, CONTENT_TYPE, request_id, bytes);
    if let Ok(v) = HeaderValue::from_str(&error.code) {
        res.headers_mut().insert("x-amzn-errortype", v);
    }
    res
}
