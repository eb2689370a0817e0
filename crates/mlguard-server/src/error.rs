//! API errors: an AWS error code, a message and an HTTP status. Each protocol
//! renders them in its own shape (`protocol::*`), in one place.

use std::fmt;

/// Who is at fault, as awsQuery's `<Type>` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The request was wrong.
    Sender,
    /// The server failed.
    Receiver,
}

/// An error answered to a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// AWS error code, e.g. `NotFoundException`.
    pub code: String,
    /// Message; `None` where AWS sends none (e.g. `InvalidCiphertextException`).
    pub message: Option<String>,
    /// Sender or receiver.
    pub fault: Fault,
    /// Further members of a JSON error body (restJson's `reason` and
    /// `fieldList` for Access Analyzer's `ValidationException`).
    pub extra: Option<serde_json::Value>,
}

impl ApiError {
    /// A client error (400 unless given otherwise).
    pub fn new(status: u16, code: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code: code.into(),
            message: Some(message.into()),
            fault: if status >= 500 {
                Fault::Receiver
            } else {
                Fault::Sender
            },
            extra: None,
        }
    }

    /// A 400 error with this code and message.
    pub fn bad_request(code: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError::new(400, code, message)
    }

    /// A 400 error without a message.
    pub fn bare(code: impl Into<String>) -> ApiError {
        ApiError {
            status: 400,
            code: code.into(),
            message: None,
            fault: Fault::Sender,
            extra: None,
        }
    }

    /// `ValidationException` (awsJson services).
    pub fn validation(message: impl Into<String>) -> ApiError {
        ApiError::bad_request("ValidationException", message)
    }

    /// A server-side failure; the detail goes to the log, never to the client.
    pub fn internal(code: &str) -> ApiError {
        ApiError::new(500, code, "An internal error occurred. Please try again.")
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}): {}",
            self.code,
            self.status,
            self.message.as_deref().unwrap_or("")
        )
    }
}

impl std::error::Error for ApiError {}
