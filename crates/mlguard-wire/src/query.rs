//! awsQuery (IAM, STS): form-encoded requests decoded by shape, XML responses.
//!
//! A request is `Action=CreateUser&Version=2010-05-08&UserName=ana&Tags.member.1.Key=team&…`:
//! structures flatten into dotted keys, lists into `Name.member.N` (1-based), maps
//! into `Name.entry.N.key` / `Name.entry.N.value`. Responses are XML with the same
//! member names, lists as `<member>` elements, timestamps in ISO 8601.
//!
//! The generated types implement [`FromQuery`] and [`ToXml`]; this module holds the
//! runtime for scalars, lists and maps.

use std::collections::{BTreeMap, HashMap, HashSet};

use base64::Engine as _;
use zeroize::Zeroizing;

use crate::{Blob, SensitiveBlob, SensitiveString, Timestamp};

/// A request whose form body could not be decoded by shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct QueryError(pub String);

/// The decoded form parameters of one request.
#[derive(Debug, Default, Clone)]
pub struct QueryParams {
    map: HashMap<String, String>,
    /// Every proper dotted prefix of a key (`Tags`, `Tags.member`, `Tags.member.1`
    /// for `Tags.member.1.Key`), so presence checks stay O(1) however many
    /// parameters a request carries.
    prefixes: HashSet<String>,
}

impl QueryParams {
    /// Decodes an `application/x-www-form-urlencoded` body (and/or query string).
    /// A repeated key keeps its first value.
    pub fn parse(body: &[u8]) -> QueryParams {
        let mut q = QueryParams::default();
        q.extend_from(body);
        q
    }

    /// Adds the pairs of another form (the URL's query string) without overriding.
    pub fn extend_from(&mut self, form: &[u8]) {
        for (k, v) in form_urlencoded::parse(form) {
            if self.map.contains_key(k.as_ref()) {
                continue;
            }
            for (i, _) in k.match_indices('.') {
                if let Some(prefix) = k.get(..i)
                    && !self.prefixes.contains(prefix)
                {
                    self.prefixes.insert(prefix.to_string());
                }
            }
            self.map.insert(k.into_owned(), v.into_owned());
        }
    }

    /// The value of a key.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.map.get(key).map(String::as_str)
    }

    /// True when the key, or any key below it (`key.`…), is present.
    pub fn has_prefix(&self, key: &str) -> bool {
        self.map.contains_key(key) || self.prefixes.contains(key)
    }

    /// Number of parameters.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// Joins a parameter prefix and a member name: `Tags.member.1` + `Key`.
pub fn key(prefix: &str, member: &str) -> String {
    if prefix.is_empty() {
        member.to_string()
    } else {
        format!("{prefix}.{member}")
    }
}

/// A value decodable from form parameters at a key.
pub trait FromQuery: Sized {
    /// Whether a value is present at `key`.
    fn present(q: &QueryParams, key: &str) -> bool {
        q.get(key).is_some()
    }

    /// Decodes the value at `key` (called only when [`FromQuery::present`]).
    fn from_query(q: &QueryParams, key: &str) -> Result<Self, QueryError>;
}

/// Decodes an optional member.
pub fn member<T: FromQuery>(q: &QueryParams, key: &str) -> Result<Option<T>, QueryError> {
    if T::present(q, key) {
        T::from_query(q, key).map(Some)
    } else {
        Ok(None)
    }
}

/// Decodes a list member serialized as `key.<item>.N`. An empty list is sent as
/// `key=` (botocore) and decodes to `Some(vec![])`.
pub fn list<T: FromQuery>(
    q: &QueryParams,
    key: &str,
    item: &str,
) -> Result<Option<Vec<T>>, QueryError> {
    let mut out = Vec::new();
    for n in 1usize.. {
        let k = format!("{key}.{item}.{n}");
        if !T::present(q, &k) {
            break;
        }
        out.push(T::from_query(q, &k)?);
    }
    if out.is_empty() && q.get(key).is_none() {
        return Ok(None);
    }
    Ok(Some(out))
}

/// Decodes a map member serialized as `key.entry.N.key` / `key.entry.N.value`.
pub fn map<K: FromQuery + Ord, V: FromQuery>(
    q: &QueryParams,
    key: &str,
) -> Result<Option<BTreeMap<K, V>>, QueryError> {
    let mut out = BTreeMap::new();
    for n in 1usize.. {
        let k = format!("{key}.entry.{n}.key");
        if !K::present(q, &k) {
            break;
        }
        let v = format!("{key}.entry.{n}.value");
        let value = member::<V>(q, &v)?
            .ok_or_else(|| QueryError(format!("Missing value for map entry {n} of {key}.")))?;
        out.insert(K::from_query(q, &k)?, value);
    }
    if out.is_empty() && q.get(key).is_none() {
        return Ok(None);
    }
    Ok(Some(out))
}

fn text<'q>(q: &'q QueryParams, key: &str) -> Result<&'q str, QueryError> {
    q.get(key)
        .ok_or_else(|| QueryError(format!("Missing value for {key}.")))
}

fn invalid(key: &str, kind: &str) -> QueryError {
    QueryError(format!(
        "Invalid value for parameter {key}: expected {kind}."
    ))
}

impl FromQuery for String {
    fn from_query(q: &QueryParams, key: &str) -> Result<Self, QueryError> {
        text(q, key).map(str::to_string)
    }
}

impl FromQuery for SensitiveString {
    fn from_query(q: &QueryParams, key: &str) -> Result<Self, QueryError> {
        text(q, key).map(|s| SensitiveString(Zeroizing::new(s.to_string())))
    }
}

impl FromQuery for i32 {
    fn from_query(q: &QueryParams, key: &str) -> Result<Self, QueryError> {
        text(q, key)?
            .trim()
            .parse()
            .map_err(|_| invalid(key, "an integer"))
    }
}

impl FromQuery for i64 {
    fn from_query(q: &QueryParams, key: &str) -> Result<Self, QueryError> {
        text(q, key)?
            .trim()
            .parse()
            .map_err(|_| invalid(key, "an integer"))
    }
}

impl FromQuery for f64 {
    fn from_query(q: &QueryParams, key: &str) -> Result<Self, QueryError> {
        text(q, key)?
            .trim()
            .parse()
            .map_err(|_| invalid(key, "a number"))
    }
}

impl FromQuery for bool {
    fn from_query(q: &QueryParams, key: &str) -> Result<Self, QueryError> {
        let v = text(q, key)?;
        if v.eq_ignore_ascii_case("true") {
            Ok(true)
        } else if v.eq_ignore_ascii_case("false") {
            Ok(false)
        } else {
            Err(invalid(key, "true or false"))
        }
    }
}

impl FromQuery for Blob {
    fn from_query(q: &QueryParams, key: &str) -> Result<Self, QueryError> {
        base64::engine::general_purpose::STANDARD
            .decode(text(q, key)?.as_bytes())
            .map(Blob)
            .map_err(|_| invalid(key, "base64"))
    }
}

impl FromQuery for SensitiveBlob {
    fn from_query(q: &QueryParams, key: &str) -> Result<Self, QueryError> {
        base64::engine::general_purpose::STANDARD
            .decode(text(q, key)?.as_bytes())
            .map(|v| SensitiveBlob(Zeroizing::new(v)))
            .map_err(|_| invalid(key, "base64"))
    }
}

impl FromQuery for Timestamp {
    fn from_query(q: &QueryParams, key: &str) -> Result<Self, QueryError> {
        let v = text(q, key)?.trim();
        if let Ok(secs) = v.parse::<f64>() {
            return Ok(Timestamp(secs));
        }
        parse_iso8601(v)
            .map(Timestamp::from_unix)
            .ok_or_else(|| invalid(key, "an ISO 8601 timestamp"))
    }
}

/// Writes a value's XML content (not its own element).
pub trait ToXml {
    /// Appends the content.
    fn to_xml(&self, out: &mut String);
}

/// Appends `<name>content</name>`.
pub fn element<T: ToXml + ?Sized>(out: &mut String, name: &str, value: &T) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    value.to_xml(out);
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// Appends a list as `<name><item>…</item>…</name>`.
pub fn list_element<T: ToXml>(out: &mut String, name: &str, item: &str, values: &[T]) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    for v in values {
        element(out, item, v);
    }
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// Appends a map as `<name><entry><key/><value/></entry>…</name>`.
pub fn map_element<K: ToXml, V: ToXml>(out: &mut String, name: &str, values: &BTreeMap<K, V>) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    for (k, v) in values {
        out.push_str("<entry>");
        element(out, "key", k);
        element(out, "value", v);
        out.push_str("</entry>");
    }
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// Escapes text for XML content and attribute values. A carriage return is
/// written as a character reference so parsers keep it; characters XML 1.0
/// cannot represent at all (control characters other than tab, line feed and
/// carriage return; U+FFFE and U+FFFF) become U+FFFD, so the document stays
/// well-formed.
pub fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#13;"),
            '\t' | '\n' => out.push(c),
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
}

/// [`escape_into`] a new string.
#[must_use]
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(&mut out, text);
    out
}

/// Operations without output.
impl ToXml for () {
    fn to_xml(&self, _out: &mut String) {}
}

impl ToXml for str {
    fn to_xml(&self, out: &mut String) {
        escape_into(out, self);
    }
}

impl ToXml for String {
    fn to_xml(&self, out: &mut String) {
        escape_into(out, self);
    }
}

impl ToXml for SensitiveString {
    fn to_xml(&self, out: &mut String) {
        escape_into(out, self.as_str());
    }
}

impl ToXml for bool {
    fn to_xml(&self, out: &mut String) {
        out.push_str(if *self { "true" } else { "false" });
    }
}

impl ToXml for i32 {
    fn to_xml(&self, out: &mut String) {
        out.push_str(&self.to_string());
    }
}

impl ToXml for i64 {
    fn to_xml(&self, out: &mut String) {
        out.push_str(&self.to_string());
    }
}

impl ToXml for f64 {
    fn to_xml(&self, out: &mut String) {
        out.push_str(&self.to_string());
    }
}

impl ToXml for Blob {
    fn to_xml(&self, out: &mut String) {
        out.push_str(&base64::engine::general_purpose::STANDARD.encode(&self.0));
    }
}

impl ToXml for SensitiveBlob {
    fn to_xml(&self, out: &mut String) {
        out.push_str(&base64::engine::general_purpose::STANDARD.encode(&*self.0));
    }
}

impl ToXml for Timestamp {
    fn to_xml(&self, out: &mut String) {
        out.push_str(&iso8601(self.unix_seconds()));
    }
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "month 1..=12 and day 1..=31 by construction"
    )]
    (y + i64::from(m <= 2), m as u32, d as u32)
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Seconds since the epoch as `2026-11-26T12:00:00Z`.
pub fn iso8601(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)` to seconds since the epoch.
pub fn parse_iso8601(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let s = text.get(from..from + len)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    if b.len() < 19 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    if !matches!(b.get(10), Some(b'T' | b't' | b' ')) || b.get(13) != Some(&b':') {
        return None;
    }
    let (y, mo, d) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let (h, mi, s) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let mut rest = text.get(19..)?;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        rest = frac.get(digits..)?;
    }
    let offset = match rest {
        "" | "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let hh: i64 = rest.get(1..3)?.parse().ok()?;
            let mm: i64 = rest
                .get(3..)
                .map(|r| r.trim_start_matches(':'))
                .filter(|r| !r.is_empty())
                .map_or(Some(0), |r| r.parse().ok())?;
            sign * (hh * 3600 + mm * 60)
        }
    };
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "checked ranges above"
    )]
    let days = days_from_civil(y, mo as u32, d as u32);
    Some(days * 86_400 + h * 3600 + mi * 60 + s - offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_maps_and_scalars_decode() {
        let q = QueryParams::parse(
            b"Action=X&Name=ana&Tags.member.1.Key=a&Tags.member.1.Value=1&Tags.member.2.Key=b&Tags.member.2.Value=2&Max=5&Flag=true&Empty=&M.entry.1.key=k&M.entry.1.value=v",
        );
        assert_eq!(
            member::<String>(&q, "Name").unwrap().as_deref(),
            Some("ana")
        );
        assert_eq!(member::<i32>(&q, "Max").unwrap(), Some(5));
        assert_eq!(member::<bool>(&q, "Flag").unwrap(), Some(true));
        assert!(member::<i32>(&q, "Name").is_err());
        assert_eq!(list::<String>(&q, "Empty", "member").unwrap(), Some(vec![]));
        assert_eq!(list::<String>(&q, "Absent", "member").unwrap(), None);
        let m = map::<String, String>(&q, "M").unwrap().unwrap();
        assert_eq!(m.get("k").map(String::as_str), Some("v"));
        assert!(q.has_prefix("Tags"));
        assert!(!q.has_prefix("Tag"));
    }

    #[test]
    fn timestamps_round_trip() {
        for secs in [0, 951_782_400, 1_795_000_000, 4_102_444_800] {
            assert_eq!(parse_iso8601(&iso8601(secs)), Some(secs));
        }
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(
            parse_iso8601("2000-02-29T00:00:00.123+01:00"),
            Some(951_778_800)
        );
        assert_eq!(parse_iso8601("2000-02-29"), None);
        assert_eq!(parse_iso8601("2000-13-01T00:00:00Z"), None);
    }

    #[test]
    fn xml_escapes() {
        let mut out = String::new();
        element(&mut out, "A", "<&'\">");
        assert_eq!(out, "<A>&lt;&amp;&apos;&quot;&gt;</A>");
        assert_eq!(escape("a\tb\nc\rd"), "a\tb\nc&#13;d");
        // Not representable in XML 1.0: replaced, so the document parses.
        assert_eq!(
            escape("x\u{0}y\u{1b}z\u{ffff}"),
            "x\u{fffd}y\u{fffd}z\u{fffd}"
        );
        assert_eq!(escape("é ☃ 𝄞"), "é ☃ 𝄞");
    }
}
