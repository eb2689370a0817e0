//! Rotation schedules as Secrets Manager reads them: `AutomaticallyAfterDays`,
//! `rate(N hours|days)` and `cron(Minutes Hours Day-of-month Month Day-of-week
//! Year)` (EventBridge's cron: `*`, `?`, lists, ranges, `/` steps, JAN–DEC and
//! SUN–SAT with Sunday = 1), all in UTC. A rotation window opens at each scheduled
//! time — for rate() and AutomaticallyAfterDays at midnight of the due day — and the
//! scheduler rotates at its start.

use time::{Date, OffsetDateTime, Time};

use crate::error::ApiError;

const DAY: i64 = 86_400;

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("InvalidParameterException", message)
}

/// A parsed schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Schedule {
    /// Every `secs`, windows opening at midnight for whole days.
    Every { secs: i64 },
    /// A cron expression.
    Cron(Box<Cron>),
}

/// The sets a cron expression allows, one flag per value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    minutes: Vec<bool>,
    hours: Vec<bool>,
    days: Option<Vec<bool>>,
    months: Vec<bool>,
    weekdays: Option<Vec<bool>>,
    years: Option<(i32, i32, i32)>,
}

/// The schedule of `AutomaticallyAfterDays` or `ScheduleExpression` (not both).
pub fn parse(
    after_days: Option<i64>,
    expression: Option<&str>,
) -> Result<Option<Schedule>, ApiError> {
    match (after_days, expression) {
        (Some(_), Some(_)) => Err(invalid(
            "You can't specify both AutomaticallyAfterDays and ScheduleExpression.",
        )),
        (Some(days), None) if (1..=1000).contains(&days) => {
            Ok(Some(Schedule::Every { secs: days * DAY }))
        }
        (Some(_), None) => Err(invalid(
            "RotationRules.AutomaticallyAfterDays must be within 1-1000.",
        )),
        (None, Some(expr)) => {
            let expr = expr.trim();
            if let Some(inner) = expr.strip_prefix("rate(").and_then(|r| r.strip_suffix(')')) {
                return rate(inner).map(Some);
            }
            if let Some(inner) = expr.strip_prefix("cron(").and_then(|r| r.strip_suffix(')')) {
                return cron(inner).map(|c| Some(Schedule::Cron(Box::new(c))));
            }
            Err(invalid(
                "The ScheduleExpression is not valid: use rate(...) or cron(...).",
            ))
        }
        (None, None) => Ok(None),
    }
}

fn rate(inner: &str) -> Result<Schedule, ApiError> {
    let bad = || invalid(format!("The rate expression rate({inner}) is not valid."));
    let (n, unit) = inner.trim().split_once(' ').ok_or_else(bad)?;
    let n: i64 = n.parse().map_err(|_| bad())?;
    let secs = match unit.trim() {
        "hour" | "hours" => n.checked_mul(3_600),
        "day" | "days" => n.checked_mul(DAY),
        _ => return Err(bad()),
    }
    .ok_or_else(bad)?;
    if !(4 * 3_600..=1000 * DAY).contains(&secs) {
        return Err(invalid(
            "The rotation schedule must be between four hours and 1000 days.",
        ));
    }
    Ok(Schedule::Every { secs })
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const WEEKDAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// One field: the allowed values in `lo..=hi`, or `None` for `?`.
fn field(
    text: &str,
    lo: i32,
    hi: i32,
    names: &[&str],
    question: bool,
) -> Result<Option<Vec<bool>>, ApiError> {
    let bad = || invalid(format!("The cron field '{text}' is not valid."));
    if text == "?" {
        return if question { Ok(None) } else { Err(bad()) };
    }
    let value = |t: &str| -> Result<i32, ApiError> {
        if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(t)) {
            return i32::try_from(i).map(|i| i + lo).map_err(|_| bad());
        }
        let v: i32 = t.parse().map_err(|_| bad())?;
        if (lo..=hi).contains(&v) {
            Ok(v)
        } else {
            Err(bad())
        }
    };
    let size = usize::try_from(hi + 1).map_err(|_| bad())?;
    let mut allowed = vec![false; size];
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (r, s.parse::<i32>().map_err(|_| bad())?),
            None => (part, 1),
        };
        if step < 1 {
            return Err(bad());
        }
        let (from, to) = if range == "*" {
            (lo, hi)
        } else if let Some((a, b)) = range.split_once('-') {
            (value(a)?, value(b)?)
        } else {
            let v = value(range)?;
            (v, if part.contains('/') { hi } else { v })
        };
        if from > to {
            return Err(bad());
        }
        let mut v = from;
        while v <= to {
            if let Some(slot) = usize::try_from(v).ok().and_then(|i| allowed.get_mut(i)) {
                *slot = true;
            }
            let Some(next) = v.checked_add(step) else {
                break;
            };
            v = next;
        }
    }
    Ok(Some(allowed))
}

fn cron(inner: &str) -> Result<Cron, ApiError> {
    let fields: Vec<&str> = inner.split_whitespace().collect();
    let [minutes, hours, days, months, weekdays, years] = fields.as_slice() else {
        return Err(invalid(
            "A cron expression has six fields: minutes hours day-of-month month day-of-week year.",
        ));
    };
    if [days, weekdays].iter().any(|f| f.contains(['L', 'W', '#'])) {
        return Err(invalid(
            "cron expressions with L, W or # are not supported by this server.",
        ));
    }
    let days = field(days, 1, 31, &[], true)?;
    let weekdays = field(weekdays, 1, 7, &WEEKDAYS, true)?;
    if days.is_some() == weekdays.is_some() {
        return Err(invalid(
            "A cron expression must use ? in exactly one of day-of-month and day-of-week.",
        ));
    }
    let years = if *years == "*" {
        None
    } else {
        let bad = || invalid(format!("The cron year field '{years}' is not valid."));
        let (range, step) = match years.split_once('/') {
            Some((r, s)) => (r, s.parse::<i32>().map_err(|_| bad())?),
            None => (*years, 1),
        };
        let (a, b) = match range.split_once('-') {
            Some((a, b)) => (a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?),
            None => {
                let y: i32 = range.parse().map_err(|_| bad())?;
                (y, if years.contains('/') { 2199 } else { y })
            }
        };
        if step < 1 || a > b {
            return Err(bad());
        }
        Some((a, b, step))
    };
    Ok(Cron {
        minutes: field(minutes, 0, 59, &[], false)?.unwrap_or_default(),
        hours: field(hours, 0, 23, &[], false)?.unwrap_or_default(),
        days,
        months: field(months, 1, 12, &MONTHS, false)?.unwrap_or_default(),
        weekdays,
        years,
    })
}

fn allowed(set: &[bool], v: i32) -> bool {
    usize::try_from(v)
        .ok()
        .and_then(|i| set.get(i))
        .copied()
        .unwrap_or(false)
}

impl Cron {
    fn day_matches(&self, date: Date) -> bool {
        let year_ok = self
            .years
            .is_none_or(|(a, b, s)| (a..=b).contains(&date.year()) && (date.year() - a) % s == 0);
        let month_ok = allowed(&self.months, i32::from(u8::from(date.month())));
        let day_ok = match (&self.days, &self.weekdays) {
            (Some(d), _) => allowed(d, i32::from(date.day())),
            (None, Some(w)) => allowed(w, i32::from(date.weekday().number_from_sunday())),
            (None, None) => false,
        };
        year_ok && month_ok && day_ok
    }

    /// The first scheduled minute strictly after `after` (seconds), within five years.
    fn next(&self, after: i64) -> Option<i64> {
        let start = OffsetDateTime::from_unix_timestamp(after - after.rem_euclid(60) + 60).ok()?;
        let mut date = start.date();
        for _ in 0..(5 * 366) {
            if self.day_matches(date) {
                let from = if date == start.date() {
                    start.time()
                } else {
                    Time::MIDNIGHT
                };
                for hour in i32::from(from.hour())..24 {
                    if !allowed(&self.hours, hour) {
                        continue;
                    }
                    let first_minute = if hour == i32::from(from.hour()) {
                        i32::from(from.minute())
                    } else {
                        0
                    };
                    for minute in first_minute..60 {
                        if allowed(&self.minutes, minute) {
                            let t = Time::from_hms(
                                u8::try_from(hour).ok()?,
                                u8::try_from(minute).ok()?,
                                0,
                            )
                            .ok()?;
                            return Some(date.with_time(t).assume_utc().unix_timestamp());
                        }
                    }
                }
            }
            date = date.next_day()?;
        }
        None
    }
}

impl Schedule {
    /// When the next rotation window opens after a rotation at `last`.
    pub fn next(&self, last: i64) -> Option<i64> {
        match self {
            Schedule::Every { secs } if secs % DAY == 0 => {
                let due = last + secs;
                Some(due - due.rem_euclid(DAY))
            }
            Schedule::Every { secs } => {
                let due = last + secs;
                Some(due - due.rem_euclid(3_600))
            }
            Schedule::Cron(c) => c.next(last),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used, reason = "tests")]

    use super::*;

    fn at(text: &str) -> i64 {
        OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
            .expect("date")
            .unix_timestamp()
    }

    #[test]
    fn days_and_rates_open_at_midnight_or_on_the_hour() {
        let last = at("2026-11-26T14:42:10Z");
        let every30 = parse(Some(30), None).expect("ok").expect("some");
        assert_eq!(every30.next(last), Some(at("2026-12-26T00:00:00Z")));
        let rate = parse(None, Some("rate(12 hours)"))
            .expect("ok")
            .expect("some");
        assert_eq!(rate.next(last), Some(at("2026-11-27T02:00:00Z")));
        assert!(parse(None, Some("rate(3 hours)")).is_err());
        assert!(parse(None, Some("rate(9223372036854775807 days)")).is_err());
        assert!(parse(Some(0), None).is_err());
        assert!(parse(Some(5), Some("rate(1 day)")).is_err());
        assert!(parse(None, Some("every day")).is_err());
    }

    #[test]
    fn cron_expressions() {
        let last = at("2026-11-26T14:42:10Z");
        // 16:00 on the 1st and 15th of every month (AWS's own example).
        let c = parse(None, Some("cron(0 16 1,15 * ? *)"))
            .expect("ok")
            .expect("some");
        assert_eq!(c.next(last), Some(at("2026-12-01T16:00:00Z")));
        // Every Sunday at 04:00 (SUN = 1).
        let sunday = parse(None, Some("cron(0 4 ? * SUN *)"))
            .expect("ok")
            .expect("some");
        assert_eq!(sunday.next(last), Some(at("2026-11-29T04:00:00Z")));
        // Every 8 hours from 02:00, weekdays.
        let steps = parse(None, Some("cron(0 2/8 ? * MON-FRI *)"))
            .expect("ok")
            .expect("some");
        assert_eq!(steps.next(last), Some(at("2026-11-26T18:00:00Z")));
        // Later the same hour.
        let minutes = parse(None, Some("cron(50 14 * * ? *)"))
            .expect("ok")
            .expect("some");
        assert_eq!(minutes.next(last), Some(at("2026-11-26T14:50:00Z")));
        // A step past the field's end is the start alone, without overflowing.
        let wide = parse(None, Some("cron(59/2147483647 0 1 JAN ? *)"))
            .expect("ok")
            .expect("some");
        assert_eq!(wide.next(last), Some(at("2027-01-01T00:59:00Z")));
        // A year range that has ended never fires.
        let past = parse(None, Some("cron(0 0 1 JAN ? 2020-2021)"))
            .expect("ok")
            .expect("some");
        assert_eq!(past.next(last), None);
        for bad in [
            "cron(0 16 1 * * *)",
            "cron(0 16 ? * ? *)",
            "cron(0 16 L * ? *)",
            "cron(0 25 * * ? *)",
            "cron(0 16 * *)",
            "cron(x 16 * * ? *)",
        ] {
            assert!(parse(None, Some(bad)).is_err(), "{bad}");
        }
    }
}
