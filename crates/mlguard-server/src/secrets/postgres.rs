//! The built-in PostgreSQL single-user rotation function, as AWS's template for
//! it works: the secret is the JSON AWS's templates use (`host`, `port`,
//! `username`, `password`, `dbname`); createSecret stages a new password,
//! setSecret changes the role's password in the server (`ALTER USER … WITH
//! PASSWORD`, logged in with the current — else the previous — credentials),
//! testSecret logs in with the new one, finishSecret makes it current.
//! Connections are plain TCP (`sslmode=disable`): for a database on this host or
//! a trusted network.

use std::time::Duration;

use serde_json::{Map, Value};

use crate::error::ApiError;

/// The built-in function's name.
pub const BUILTIN_POSTGRES: &str = "mlguard-rotate-postgresql-single-user";

fn failed(step: &str, message: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request(
        "InternalServiceError",
        format!("The rotation function {BUILTIN_POSTGRES} failed ({message}) (step {step})"),
    )
}

/// The connection members of a secret value.
pub fn parse(step: &str, value: &[u8]) -> Result<Map<String, Value>, ApiError> {
    let map = match serde_json::from_slice::<Value>(value) {
        Ok(Value::Object(map)) => map,
        _ => return Err(failed(step, "the secret is not a JSON object")),
    };
    for key in ["host", "username", "password"] {
        if !map.get(key).is_some_and(Value::is_string) {
            return Err(failed(step, format!("the secret has no string \"{key}\"")));
        }
    }
    Ok(map)
}

fn text<'m>(map: &'m Map<String, Value>, key: &str) -> &'m str {
    map.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// Logs in with the secret's credentials.
fn connect(secret: &Map<String, Value>) -> Result<postgres::Client, postgres::Error> {
    let port = secret
        .get("port")
        .and_then(|p| {
            p.as_u64()
                .or_else(|| p.as_str().and_then(|s| s.parse().ok()))
        })
        .and_then(|p| u16::try_from(p).ok())
        .unwrap_or(5432);
    let mut config = postgres::Config::new();
    config
        .host(text(secret, "host"))
        .port(port)
        .user(text(secret, "username"))
        .password(text(secret, "password"))
        .dbname(match text(secret, "dbname") {
            "" => "postgres",
            name => name,
        })
        .connect_timeout(Duration::from_secs(5));
    config.connect(postgres::NoTls)
}

/// `ident` quoted as an SQL identifier.
fn quote_ident(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

/// `text` quoted as an SQL string literal (standard-conforming strings).
fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// setSecret: the role's password becomes the pending one, unless it already is.
pub fn set_secret(
    pending: &Map<String, Value>,
    current: &Map<String, Value>,
    previous: Option<&Map<String, Value>>,
) -> Result<(), ApiError> {
    if connect(pending).is_ok() {
        return Ok(());
    }
    let mut admin = match connect(current) {
        Ok(c) => c,
        Err(first) => match previous.map(connect) {
            Some(Ok(c)) => c,
            _ => return Err(failed("setSecret", format!("cannot log in: {first}"))),
        },
    };
    let statement = format!(
        "ALTER USER {} WITH PASSWORD {}",
        quote_ident(text(pending, "username")),
        quote_literal(text(pending, "password"))
    );
    admin.batch_execute(&statement).map_err(|e| {
        failed(
            "setSecret",
            format!("ALTER USER failed: {}", e.code().map_or("", |c| c.code())),
        )
    })
}

/// testSecret: the pending credentials log in and run a query.
pub fn test_secret(pending: &Map<String, Value>) -> Result<(), ApiError> {
    let mut client =
        connect(pending).map_err(|e| failed("testSecret", format!("cannot log in: {e}")))?;
    client
        .simple_query("SELECT NOW()")
        .map(|_| ())
        .map_err(|e| failed("testSecret", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote_ident("app\"x"), "\"app\"\"x\"");
        assert_eq!(quote_literal("it's"), "'it''s'");
        assert!(parse("createSecret", b"[1]").is_err());
        assert!(parse("createSecret", br#"{"host":"h","username":"u"}"#).is_err());
        assert!(
            parse(
                "createSecret",
                br#"{"host":"h","username":"u","password":"p"}"#
            )
            .is_ok()
        );
    }
}
