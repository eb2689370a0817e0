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

/// Parses a date as AWS accepts it, returning nanoseconds since the epoch.
///
/// AWS reads ISO 8601 leniently (the grammar of Joda-Time's `dateOptionalTimeParser`,
/// which its recorded answers match: `2020`, `2020-04`, `2020-04-01`,
/// `2020-04-01T12:30Z`, `2016-12-13t2:00:00.593194+23`, even `01T`), and otherwise
/// epoch seconds that fit a signed 64-bit integer (`1585742400`).
pub(crate) fn parse_date(s: &str) -> Option<i128> {
    parse_iso8601(s).or_else(|| parse_epoch(s))
}

/// The year range Joda-Time accepts.
const MIN_YEAR: i64 = -292_275_054;
const MAX_YEAR: i64 = 292_278_993;

fn parse_epoch(s: &str) -> Option<i128> {
    let body = s.strip_prefix('-').unwrap_or(s);
    if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let secs: i64 = s.parse().ok()?;
    Some(i128::from(secs) * 1_000_000_000)
}

/// A cursor over ASCII digits and literals.
struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn eat(&mut self, c: u8) -> bool {
        if self.b.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn eat_ignore_case(&mut self, c: u8) -> bool {
        if self
            .b
            .get(self.i)
            .is_some_and(|x| x.eq_ignore_ascii_case(&c))
        {
            self.i += 1;
            true
        } else {
            false
        }
    }

    /// Between `min` and `max` digits; `None` if fewer than `min`.
    fn digits(&mut self, min: usize, max: usize) -> Option<(i64, usize)> {
        let start = self.i;
        let mut value: i64 = 0;
        while self.i - start < max {
            match self.b.get(self.i) {
                Some(d @ b'0'..=b'9') => {
                    value = value * 10 + i64::from(d - b'0');
                    self.i += 1;
                }
                _ => break,
            }
        }
        let n = self.i - start;
        (n >= min).then_some((value, n))
    }

    fn done(&self) -> bool {
        self.i == self.b.len()
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
}

fn parse_iso8601(s: &str) -> Option<i128> {
    let mut c = Cursor {
        b: s.as_bytes(),
        i: 0,
    };
    let negative = if c.eat(b'-') {
        true
    } else {
        c.eat(b'+');
        false
    };
    let (year, _) = c.digits(1, 9)?;
    let year = if negative { -year } else { year };
    if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
        return None;
    }
    let mut month = 1;
    let mut day = 1;
    if c.eat(b'-') {
        let (first, n) = c.digits(1, 3)?;
        if n == 3 {
            // Ordinal date: yyyy-DDD.
            let days_in_year = if is_leap(year) { 366 } else { 365 };
            if first < 1 || first > days_in_year {
                return None;
            }
            let mut remaining = first;
            month = 1;
            while remaining > days_in_month(year, month) {
                remaining -= days_in_month(year, month);
                month += 1;
            }
            day = remaining;
        } else {
            month = first;
            if c.eat(b'-') {
                day = c.digits(1, 2)?.0;
            }
        }
    }
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let mut nanos: i128 = i128::from(days_from_civil(year, month, day)) * 86_400 * 1_000_000_000;
    if c.done() {
        return Some(nanos);
    }
    if !c.eat_ignore_case(b'T') {
        return None;
    }
    let mut secs_of_day: i64 = 0;
    if let Some((hour, _)) = c.digits(1, 2) {
        let mut minute = 0;
        let mut second = 0;
        let mut frac_nanos: i128 = 0;
        if c.eat(b':') {
            minute = c.digits(1, 2)?.0;
            if c.eat(b':') {
                second = c.digits(1, 2)?.0;
                if c.eat(b'.') || c.eat(b',') {
                    let start = c.i;
                    let (_, n) = c.digits(1, 9)?;
                    frac_nanos = fraction_nanos(s.get(start..start + n)?)?;
                }
            }
        }
        if hour > 23 || minute > 59 || second > 59 {
            return None;
        }
        secs_of_day = hour * 3600 + minute * 60 + second;
        nanos += frac_nanos;
    }
    let offset = match c.peek() {
        None => 0,
        Some(b'Z' | b'z') => {
            c.i += 1;
            0
        }
        Some(sign @ (b'+' | b'-')) => {
            c.i += 1;
            let (hh, _) = c.digits(2, 2)?;
            let mut mm = 0;
            if c.peek().is_some() {
                c.eat(b':');
                mm = c.digits(2, 2)?.0;
            }
            if hh > 23 || mm > 59 {
                return None;
            }
            let total = hh * 3600 + mm * 60;
            if sign == b'-' { -total } else { total }
        }
        Some(_) => return None,
    };
    if !c.done() {
        return None;
    }
    nanos += i128::from(secs_of_day - offset) * 1_000_000_000;
    Some(nanos)
}

/// Nanoseconds in a decimal fraction of a second (at most nine digits).
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
    fn dates_as_aws_reads_them() {
        // Accepted and rejected forms recorded against AWS (tests/data/parse).
        for ok in [
            "01T",
            "-292275054",
            "2016-12-13T21:20:37.593194+00:00",
            "2016-12-13t2:00:00.593194+23",
            "2019-07-01T13:20:15Z",
            "2017-07-01T00:00:00Z",
        ] {
            assert!(parse_date(ok).is_some(), "{ok}");
        }
        for bad in [
            "sdfdsf",
            "234-13",
            "2016-12-13t2:00:00.593194+1",
            "2016-12-13t2:00:00.1999999999+10:59",
            "9223372036854775808",
            "",
        ] {
            assert!(parse_date(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn dates_in_every_accepted_form() {
        let day = 86_400 * 1_000_000_000i128;
        assert_eq!(parse_date("1970-01-02"), Some(day));
        assert_eq!(parse_date("1970-01-02T00:00:00Z"), Some(day));
        assert_eq!(parse_date("1970-01-02T01:00:00+01:00"), Some(day));
        assert_eq!(parse_date("1970-002"), Some(day));
        assert_eq!(
            parse_date("1585742400"),
            Some(1_585_742_400 * 1_000_000_000)
        );
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
