//! Typed readings of condition values: exact decimal comparison, W3C/ISO 8601 and
//! epoch dates, IP addresses and CIDR blocks, booleans and base64.

use std::cmp::Ordering;
use std::net::IpAddr;

use base64::Engine as _;

use crate::context::ContextType;

/// True when `value` is acceptable for a scalar context type.
pub(crate) fn valid_for(kind: ContextType, value: &str) -> bool {
    match kind {
        ContextType::Numeric => compare_numbers(value, value).is_some(),
        ContextType::Boolean => parse_bool(value).is_some(),
        ContextType::Date => parse_date(value).is_some(),
        ContextType::Ip => parse_ip(value).is_some(),
        ContextType::Binary => decode_base64(value).is_some(),
        _ => true,
    }
}

/// Compares two decimal numbers exactly (`10` = `10.0` = `+1e1`).
/// `None` when either is not a number.
pub(crate) fn compare_numbers(a: &str, b: &str) -> Option<Ordering> {
    match (Decimal::parse(a), Decimal::parse(b)) {
        (Some(x), Some(y)) => Some(x.cmp(&y)),
        _ => {
            // Exponent forms: fall back to binary floating point.
            let x: f64 = parse_float(a)?;
            let y: f64 = parse_float(b)?;
            x.partial_cmp(&y)
        }
    }
}

fn parse_float(s: &str) -> Option<f64> {
    let s = s.trim();
    if s.is_empty()
        || !s
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'))
    {
        return None;
    }
    s.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// A plain decimal number: sign, integer digits without leading zeros, fraction
/// digits without trailing zeros. Comparing these is exact at any length.
#[derive(Debug, PartialEq, Eq)]
struct Decimal<'a> {
    negative: bool,
    int: &'a str,
    frac: &'a str,
}

impl<'a> Decimal<'a> {
    fn parse(s: &'a str) -> Option<Decimal<'a>> {
        let s = s.trim();
        let (negative, digits) = match s.as_bytes().first()? {
            b'-' => (true, s.get(1..)?),
            b'+' => (false, s.get(1..)?),
            _ => (false, s),
        };
        let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
        if int.is_empty() && frac.is_empty() {
            return None;
        }
        if !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let int = int.trim_start_matches('0');
        let frac = frac.trim_end_matches('0');
        // Negative zero is zero.
        let negative = negative && !(int.is_empty() && frac.is_empty());
        Some(Decimal {
            negative,
            int,
            frac,
        })
    }

    fn cmp_magnitude(&self, other: &Self) -> Ordering {
        self.int
            .len()
            .cmp(&other.int.len())
            .then_with(|| self.int.cmp(other.int))
            .then_with(|| self.frac.cmp(other.frac))
    }
}

impl Ord for Decimal<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self.negative, other.negative) {
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
            (false, false) => self.cmp_magnitude(other),
            (true, true) => other.cmp_magnitude(self),
        }
    }
}

impl PartialOrd for Decimal<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// `true` / `false`, in any case.
pub(crate) fn parse_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// Parses a date as AWS accepts it: a W3C profile of ISO 8601 (`2020`, `2020-04`,
/// `2020-04-01`, `2020-04-01T12:30Z`, `2020-04-01T12:30:15.250+02:00`, ...) or epoch
/// seconds (`1585742400`, also with a fraction). Returns nanoseconds since the epoch.
pub(crate) fn parse_date(s: &str) -> Option<i128> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if s.bytes()
        .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
        && !looks_like_calendar_date(s)
    {
        return parse_epoch(s);
    }
    parse_iso8601(s)
}

/// `2020`, `2020-04`, ... are calendar dates; `1585742400` is epoch seconds.
fn looks_like_calendar_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 4 || b.get(4) == Some(&b'-')
}

fn parse_epoch(s: &str) -> Option<i128> {
    let (negative, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (secs, frac) = body.split_once('.').unwrap_or((body, ""));
    if secs.is_empty() || secs.len() > 15 || !secs.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let secs: i128 = secs.parse().ok()?;
    let nanos = fraction_nanos(frac)?;
    let total = secs * 1_000_000_000 + nanos;
    Some(if negative { -total } else { total })
}

/// Nanoseconds in a decimal fraction of a second (digits past the ninth are dropped).
fn fraction_nanos(frac: &str) -> Option<i128> {
    let mut nanos: i128 = 0;
    let mut scale: i128 = 100_000_000;
    for b in frac.bytes() {
        let d = i128::from(b.checked_sub(b'0').filter(|d| *d <= 9)?);
        nanos += d * scale;
        scale /= 10;
    }
    Some(nanos)
}

fn parse_iso8601(s: &str) -> Option<i128> {
    let (date, time) = match s.split_once(['T', 't']) {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    let mut fields = date.split('-');
    let year: i64 = digits(fields.next()?, 4)?;
    let month: i64 = fields.next().map(|m| digits(m, 2)).unwrap_or(Some(1))?;
    let day: i64 = fields.next().map(|d| digits(d, 2)).unwrap_or(Some(1))?;
    if fields.next().is_some()
        || !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
    {
        return None;
    }
    let mut nanos: i128 = i128::from(days_from_civil(year, month, day)) * 86_400 * 1_000_000_000;
    if let Some(time) = time {
        // Split off the zone designator: Z, +hh:mm, -hh:mm (or none: UTC).
        let (clock, offset_secs) = if let Some(clock) = time.strip_suffix(['Z', 'z']) {
            (clock, 0i64)
        } else if let Some(idx) = time.rfind(['+', '-']) {
            let (clock, zone) = time.split_at(idx);
            let sign = if zone.starts_with('-') { -1 } else { 1 };
            let zone = zone.get(1..)?;
            let (hh, mm) = match zone.split_once(':') {
                Some((h, m)) => (digits(h, 2)?, digits(m, 2)?),
                None if zone.len() == 4 => (digits(zone.get(..2)?, 2)?, digits(zone.get(2..)?, 2)?),
                None => (digits(zone, 2)?, 0),
            };
            if hh > 23 || mm > 59 {
                return None;
            }
            (clock, sign * (hh * 3600 + mm * 60))
        } else {
            (time, 0)
        };
        let mut parts = clock.split(':');
        let hour: i64 = digits(parts.next()?, 2)?;
        let minute: i64 = digits(parts.next()?, 2)?;
        let (second, frac) = match parts.next() {
            Some(sec) => {
                let (whole, frac) = sec.split_once('.').unwrap_or((sec, ""));
                (digits(whole, 2)?, frac)
            }
            None => (0, ""),
        };
        if parts.next().is_some()
            || hour > 24
            || minute > 59
            || second > 60
            || (hour == 24 && (minute, second) != (0, 0))
        {
            return None;
        }
        let secs = hour * 3600 + minute * 60 + second - offset_secs;
        nanos += i128::from(secs) * 1_000_000_000 + fraction_nanos(frac)?;
    }
    Some(nanos)
}

fn digits(s: &str, len: usize) -> Option<i64> {
    if s.len() != len || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// An IPv4 or IPv6 network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cidr {
    network: u128,
    prefix: u8,
    v6: bool,
}

impl Cidr {
    /// `203.0.113.0/24`, `2001:DB8::/32`, or a lone address (a /32 or /128).
    pub(crate) fn parse(s: &str) -> Option<Cidr> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr.parse().ok()?;
        let (bits, v6, max) = match addr {
            IpAddr::V4(v4) => (u128::from(u32::from(v4)), false, 32u8),
            IpAddr::V6(v6) => (u128::from(v6), true, 128u8),
        };
        let prefix = match prefix {
            None => max,
            Some(p) if !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()) => {
                p.parse::<u8>().ok()?
            }
            Some(_) => return None,
        };
        if prefix > max {
            return None;
        }
        Some(Cidr {
            network: bits & mask(prefix, max),
            prefix,
            v6,
        })
    }

    pub(crate) fn contains(&self, ip: IpAddr) -> bool {
        let (bits, v6, max) = match ip {
            IpAddr::V4(v4) => (u128::from(u32::from(v4)), false, 32u8),
            IpAddr::V6(v6) => (u128::from(v6), true, 128u8),
        };
        v6 == self.v6 && bits & mask(self.prefix, max) == self.network
    }
}

fn mask(prefix: u8, width: u8) -> u128 {
    if prefix == 0 {
        return 0;
    }
    let full: u128 = if width == 128 {
        u128::MAX
    } else {
        (1u128 << width) - 1
    };
    let host_bits = u32::from(width - prefix);
    full & !((1u128 << host_bits) - 1)
}

/// A request's IP address; a `/32` or `/128` suffix is tolerated.
pub(crate) fn parse_ip(s: &str) -> Option<IpAddr> {
    let s = s.trim();
    let addr = match s.split_once('/') {
        Some((a, "32" | "128")) => a,
        Some(_) => return None,
        None => s,
    };
    addr.parse().ok()
}

/// Standard base64, padded or not.
pub(crate) fn decode_base64(s: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(s.trim()))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_compare_exactly() {
        assert_eq!(compare_numbers("10", "10.0"), Some(Ordering::Equal));
        assert_eq!(compare_numbers("-0", "0"), Some(Ordering::Equal));
        assert_eq!(compare_numbers("9", "10"), Some(Ordering::Less));
        assert_eq!(compare_numbers("-9", "-10"), Some(Ordering::Greater));
        assert_eq!(compare_numbers("0.1", "0.09"), Some(Ordering::Greater));
        assert_eq!(
            compare_numbers("12345678901234567891", "12345678901234567890"),
            Some(Ordering::Greater)
        );
        assert_eq!(compare_numbers("1e1", "10"), Some(Ordering::Equal));
        assert_eq!(compare_numbers("ten", "10"), None);
        assert_eq!(compare_numbers("", "10"), None);
        assert_eq!(compare_numbers(".5", "0.5"), Some(Ordering::Equal));
    }

    #[test]
    fn dates_in_every_accepted_form() {
        let day = 86_400 * 1_000_000_000i128;
        assert_eq!(parse_date("1970-01-02"), Some(day));
        assert_eq!(parse_date("1970-01-02T00:00:00Z"), Some(day));
        assert_eq!(parse_date("1970-01-02T01:00:00+01:00"), Some(day));
        assert_eq!(parse_date("86400"), Some(day));
        assert_eq!(parse_date("1970"), Some(0));
        assert_eq!(parse_date("1970-02"), Some(31 * day));
        assert_eq!(
            parse_date("2020-04-01T12:00:00.5Z").map(|n| n % 1_000_000_000),
            Some(500_000_000)
        );
        assert_eq!(
            parse_date("2019-07-16T12:00:00Z"),
            Some(1_563_278_400 * 1_000_000_000)
        );
        assert_eq!(parse_date("2020-02-30"), None);
        assert_eq!(parse_date("2020-13-01"), None);
        assert_eq!(parse_date("yesterday"), None);
        assert_eq!(parse_date("2020-01-01T25:00Z"), None);
    }

    #[test]
    fn cidrs() {
        let net = Cidr::parse("203.0.113.0/24").unwrap();
        assert!(net.contains("203.0.113.255".parse().unwrap()));
        assert!(!net.contains("203.0.114.0".parse().unwrap()));
        assert!(!net.contains("::1".parse().unwrap()));
        let host = Cidr::parse("192.0.2.1").unwrap();
        assert!(host.contains("192.0.2.1".parse().unwrap()));
        assert!(!host.contains("192.0.2.2".parse().unwrap()));
        let v6 = Cidr::parse("2001:DB8:1234:5678::/64").unwrap();
        assert!(v6.contains("2001:db8:1234:5678:ffff::1".parse().unwrap()));
        assert!(!v6.contains("2001:db8:1234:5679::1".parse().unwrap()));
        assert!(
            Cidr::parse("0.0.0.0/0")
                .unwrap()
                .contains("8.8.8.8".parse().unwrap())
        );
        assert!(
            Cidr::parse("::/0")
                .unwrap()
                .contains("::1".parse().unwrap())
        );
        assert!(Cidr::parse("10.0.0.0/33").is_none());
        assert!(Cidr::parse("10.0.0.0/").is_none());
        assert!(Cidr::parse("not-an-ip").is_none());
    }
}
