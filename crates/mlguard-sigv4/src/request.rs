//! The borrowed view of an HTTP request that the verifier reads, with no HTTP library behind it.

use std::borrow::Cow;
use std::fmt;

/// The parts of an HTTP request the verifier needs.
///
/// Header names are matched case-insensitively; a header may appear several times (its values
/// are then joined with `,` in the canonical request, as SigV4 requires). Pass the headers as
/// the HTTP parser received them, in order. For HTTP/2, pass `:authority` either as `host` or
/// as `:authority`: a signed `host` falls back to `:authority` when no `host` header exists.
#[derive(Clone, Copy)]
pub struct HttpRequest<'a> {
    /// The request method, e.g. `GET`, used verbatim.
    pub method: &'a str,
    /// The raw path as received (still percent-encoded), without the query.
    pub path: &'a str,
    /// The raw query string without `?`, `""` if none.
    pub query: &'a str,
    /// Header names and raw values, in the order received.
    pub headers: &'a [(&'a str, &'a [u8])],
}

impl<'a> HttpRequest<'a> {
    /// Iterates over the values of every header named `name` (ASCII case-insensitive).
    pub(crate) fn values(&self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + use<'a> {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }

    /// Whether any header is named `name`.
    pub(crate) fn has(&self, name: &str) -> bool {
        self.headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
    }

    /// The values of `name` joined with `,` and trimmed, as text; `None` when absent.
    /// Used for the few headers the verifier interprets (date, token, authorization).
    pub(crate) fn joined(&self, name: &'a str) -> Option<String> {
        let mut out: Option<String> = None;
        for v in self.values(name) {
            let text = text(v);
            match out.as_mut() {
                None => out = Some(text.trim().to_owned()),
                Some(s) => {
                    s.push(',');
                    s.push_str(text.trim());
                }
            }
        }
        out
    }
}

/// Shows the method, path and header names only: header values carry the signature and the
/// session token, which must not reach logs.
impl fmt::Debug for HttpRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query_len", &self.query.len())
            .field(
                "header_names",
                &self.headers.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// Header bytes as text; invalid UTF-8 (possible in header values) becomes U+FFFD. Strict
/// validation first, because it is much faster than the lossy walk on the usual valid input.
pub(crate) fn text(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}
