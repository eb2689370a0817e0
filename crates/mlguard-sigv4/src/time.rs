//! UTC date arithmetic for SigV4 timestamps, done by hand so the crate needs no date library.

/// Earliest instant we format or parse: 0000-01-01T00:00:00Z. Clamping to years 0..=9999 keeps
/// the civil-date arithmetic far from overflow whatever `now` a caller passes.
const MIN_UNIX: i64 = -62_167_219_200;
/// Latest instant we format or parse: 9999-12-31T23:59:59Z.
const MAX_UNIX: i64 = 253_402_300_799;

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Proleptic Gregorian date of a day count since 1970-01-01 (inverse of `days_from_civil`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    // The ranges are guaranteed by the algorithm; the fallbacks are never taken.
    (
        year,
        u32::try_from(month).unwrap_or(1),
        u32::try_from(day).unwrap_or(1),
    )
}

/// Whether `year` is a Gregorian leap year.
const fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Number of days in a month, 0 for an invalid month.
const fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Parses a fixed number of ASCII digits.
fn digits(bytes: &[u8]) -> Option<u32> {
    if bytes.is_empty() || bytes.len() > 9 {
        return None;
    }
    bytes.iter().try_fold(0u32, |acc, &b| {
        b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
    })
}

/// Unix seconds of a validated UTC date and time.
fn to_unix(year: u32, month: u32, day: u32, hour: u32, min: u32, sec: u32) -> Option<i64> {
    let y = i64::from(year);
    let valid = (1..=12).contains(&month)
        && day >= 1
        && day <= days_in_month(y, month)
        && hour < 24
        && min < 60
        && sec < 60;
    valid.then(|| {
        days_from_civil(y, month, day) * 86_400
            + i64::from(hour) * 3600
            + i64::from(min) * 60
            + i64::from(sec)
    })
}

/// Parses the ISO 8601 basic format SigV4 uses, `YYYYMMDD'T'HHMMSS'Z'`.
pub(crate) fn parse_amz_date(s: &str) -> Option<i64> {
    match s.as_bytes() {
        [y @ .., b'T', _, _, _, _, _, _, b'Z'] if y.len() == 8 => {}
        _ => return None,
    }
    let b = s.as_bytes();
    let year = digits(b.get(0..4)?)?;
    let month = digits(b.get(4..6)?)?;
    let day = digits(b.get(6..8)?)?;
    let hour = digits(b.get(9..11)?)?;
    let min = digits(b.get(11..13)?)?;
    let sec = digits(b.get(13..15)?)?;
    to_unix(year, month, day, hour, min, sec)
}

/// Parses the RFC 1123 (IMF-fixdate) form of the HTTP `Date` header,
/// `Sun, 06 Nov 1994 08:49:37 GMT`, which SigV4 accepts when `X-Amz-Date` is absent.
pub(crate) fn parse_http_date(s: &str) -> Option<i64> {
    let b = s.trim().as_bytes();
    if b.len() != 29 {
        return None;
    }
    let weekday = b.get(0..3)?;
    const WEEKDAYS: [&[u8]; 7] = [b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat", b"Sun"];
    if !WEEKDAYS.contains(&weekday) || b.get(3..5)? != b", " {
        return None;
    }
    let day = digits(b.get(5..7)?)?;
    const MONTHS: [&[u8]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    let month_name = b.get(8..11)?;
    let month = MONTHS.iter().position(|m| *m == month_name)?;
    let month = u32::try_from(month).ok()? + 1;
    let seps_ok = b.get(7) == Some(&b' ')
        && b.get(11) == Some(&b' ')
        && b.get(16) == Some(&b' ')
        && b.get(19) == Some(&b':')
        && b.get(22) == Some(&b':')
        && b.get(25..29)? == b" GMT";
    if !seps_ok {
        return None;
    }
    let year = digits(b.get(12..16)?)?;
    let hour = digits(b.get(17..19)?)?;
    let min = digits(b.get(20..22)?)?;
    let sec = digits(b.get(23..25)?)?;
    to_unix(year, month, day, hour, min, sec)
}

/// Splits clamped unix seconds into civil fields.
fn fields(unix: i64) -> (i64, u32, u32, i64, i64, i64) {
    let t = unix.clamp(MIN_UNIX, MAX_UNIX);
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    (y, m, d, secs / 3600, (secs % 3600) / 60, secs % 60)
}

/// Formats unix seconds as `YYYYMMDD'T'HHMMSS'Z'` (clamped to years 0..=9999).
pub(crate) fn format_basic(unix: i64) -> String {
    let (y, m, d, hh, mm, ss) = fields(unix);
    format!("{y:04}{m:02}{d:02}T{hh:02}{mm:02}{ss:02}Z")
}

/// Formats unix seconds as `YYYY-MM-DD'T'HH:MM:SS'Z'`, the form of S3's `ServerTime`.
pub(crate) fn format_extended(unix: i64) -> String {
    let (y, m, d, hh, mm, ss) = fields(unix);
    format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amz_dates() {
        assert_eq!(parse_amz_date("19700101T000000Z"), Some(0));
        assert_eq!(parse_amz_date("20150830T123600Z"), Some(1_440_938_160));
        assert_eq!(parse_amz_date("20160229T000000Z"), Some(1_456_704_000));
        assert_eq!(parse_amz_date("20150229T000000Z"), None);
        assert_eq!(parse_amz_date("20151330T000000Z"), None);
        assert_eq!(parse_amz_date("20150830T246000Z"), None);
        assert_eq!(parse_amz_date("2015-08-30T12:36:00Z"), None);
        assert_eq!(parse_amz_date("2015083T123600Z"), None);
        assert_eq!(parse_amz_date("+0150830T123600Z"), None);
        assert_eq!(parse_amz_date(""), None);
        assert_eq!(format_basic(1_440_938_160), "20150830T123600Z");
        assert_eq!(format_extended(1_440_938_160), "2015-08-30T12:36:00Z");
        assert_eq!(format_basic(i64::MAX), "99991231T235959Z");
        assert_eq!(format_basic(i64::MIN), "00000101T000000Z");
    }

    #[test]
    fn http_dates() {
        assert_eq!(
            parse_http_date("Sun, 30 Aug 2015 12:36:00 GMT"),
            Some(1_440_938_160)
        );
        assert_eq!(parse_http_date("Sun, 30 Aug 2015 12:36:00 UTC"), None);
        assert_eq!(parse_http_date("Sun, 31 Sep 2015 12:36:00 GMT"), None);
        assert_eq!(parse_http_date("Sunday, 30-Aug-15 12:36:00 GMT"), None);
    }

    #[test]
    fn round_trip_over_centuries() {
        for t in (MIN_UNIX..MAX_UNIX).step_by(86_400 * 97 + 3_601) {
            assert_eq!(parse_amz_date(&format_basic(t)), Some(t));
        }
    }
}
