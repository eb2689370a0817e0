//! Column transforms: a recipe's steps compiled against a table's schema
//! ([`compile`]) and applied to its batches ([`Plan::apply`]).
//!
//! Compiling checks everything that does not need a row — columns exist,
//! parameters are well formed, declared types suit the step, keys are
//! there, the ε budget covers the noise steps — so a bad recipe fails
//! before any row is read. Value-level problems (a number that is not one)
//! are errors naming the record.
//!
//! Stateless steps run batch by batch on every core; shuffling and
//! tokenizing (which writes the vault) see the whole column.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use arrow_array::builder::StringBuilder;
use arrow_array::{Array, ArrayRef, BooleanArray, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use aws_lc_rs::{digest, hmac};
use mlguard_pii::{Detector, PiiType};
use regex::Regex;
use zeroize::Zeroizing;

use crate::dp::{self, BufferedRandom, RandomSource, Rational};
use crate::mask::hex;
use crate::recipe::{ColumnType, Recipe, Step};
use crate::table::Table;
use crate::token::Deterministic;
use crate::vault::{ColumnTokens, Vault};
use crate::{DeidError, fake, mask};

/// Key material for keyed steps: a default key (a local key file) and
/// Secrets Manager secrets by the `secretId` steps name.
#[derive(Default)]
pub struct Keys {
    pub default: Option<Zeroizing<Vec<u8>>>,
    pub secrets: BTreeMap<String, Zeroizing<Vec<u8>>>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Keys(default: {}, secrets: {:?})",
            self.default.is_some(),
            self.secrets.keys().collect::<Vec<_>>()
        )
    }
}

impl Keys {
    /// The raw key of a step: its `secretId`, else the default key.
    fn raw(&self, step: &Step) -> Result<&[u8], DeidError> {
        match step.opt_text("secretId")? {
            Some(id) => self
                .secrets
                .get(&id)
                .map(|k| k.as_slice())
                .ok_or_else(|| step.error(format!("the secret {id:?} was not fetched"))),
            None => {
                self.default.as_deref().map(Vec::as_slice).ok_or_else(|| {
                    step.error("needs a key: give `secretId` or run with --key-file")
                })
            }
        }
    }

    /// A 32-byte key for one purpose, derived from the step's key by
    /// [`crate::token::derive_key`], so one key file serves every step
    /// without two purposes sharing a key.
    fn derived(&self, step: &Step, purpose: &str) -> Result<Zeroizing<Vec<u8>>, DeidError> {
        let raw = self.raw(step)?;
        if raw.len() < 16 {
            return Err(step.error("the key is under 16 bytes"));
        }
        let key = crate::token::derive_key(raw, purpose)?;
        Ok(Zeroizing::new(key.to_vec()))
    }

    /// Secret ids a recipe names, to be fetched before compiling.
    #[must_use]
    pub fn secret_ids(recipe: &Recipe) -> Vec<String> {
        let mut ids: Vec<String> = recipe
            .steps
            .iter()
            .filter_map(|s| s.opt_text("secretId").ok().flatten())
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }
}

/// What one step did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StepReport {
    /// Wall-clock seconds the step took.
    pub seconds: f64,
    pub number: usize,
    pub operation: String,
    pub columns: Vec<String>,
    /// Values that differ from before.
    pub changed: usize,
    /// Records the step removed.
    pub dropped: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HashAlgorithm {
    Sha1,
    Sha256,
    Sha512,
    HmacSha1,
    HmacSha256,
    HmacSha512,
}

#[derive(Debug, Clone, Copy)]
enum Preserve {
    Symbols,
    Whitespace,
}

enum Generalizer {
    Range {
        width: i128,
        decimals: u32,
    },
    Date {
        unit: DateUnit,
    },
    Prefix {
        keep: usize,
        symbol: char,
    },
    Hierarchy {
        hierarchy: crate::hierarchy::Hierarchy,
        level: usize,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DateUnit {
    Year,
    Month,
    Day,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Component {
    Year,
    Month,
    Day,
    Hour,
    Minute,
    Second,
    Millisecond,
}

/// A per-value function.
enum ValueFn {
    Hash(HashAlgorithm, Option<hmac::Key>),
    Encrypt(Deterministic),
    Decrypt(Deterministic),
    MaskCustom {
        pattern: Regex,
        symbol: char,
    },
    MaskDate {
        redact: Vec<Component>,
        symbol: char,
    },
    MaskDelimiter {
        start: Option<char>,
        end: Option<char>,
        keep_delimiters: bool,
        preserve: Vec<Preserve>,
        symbol: char,
    },
    MaskRange {
        start: Option<i64>,
        stop: Option<i64>,
        preserve: Vec<Preserve>,
        symbol: char,
    },
    MaskEmail {
        keep: usize,
    },
    Pseudonym {
        key: Zeroizing<Vec<u8>>,
        prefix: String,
    },
    Substitute {
        kind: String,
        key: Option<hmac::Key>,
    },
    Generalize(Generalizer),
    RedactPii,
    RandomBetween {
        low: i128,
        high: i128,
        decimals: u32,
    },
    RandomDateBetween {
        /// Seconds since 1970 (UTC), inclusive.
        low: i64,
        high: i64,
        /// Whether the bounds carry a time (then the output does too).
        with_time: bool,
    },
    Noise {
        noise: Noise,
        decimals: u32,
        clamp: Option<(i128, i128)>,
    },
    Null {
        matcher: Option<Regex>,
        values: Vec<String>,
    },
}

#[derive(Debug, Clone, Copy)]
enum Noise {
    Laplace(Rational),
    Gaussian(Rational),
}

enum Op {
    Delete(Vec<String>),
    Map {
        columns: Vec<String>,
        f: ValueFn,
        entities: Option<Vec<PiiType>>,
    },
    DropRows {
        column: String,
        matcher: Option<Regex>,
        values: Vec<String>,
    },
    Shuffle {
        columns: Vec<String>,
        group_by: Vec<String>,
        seed: Option<u64>,
    },
    ShiftDate {
        columns: Vec<String>,
        entity: String,
        max_days: i64,
        key: hmac::Key,
    },
    Tokenize {
        columns: Vec<String>,
        how: ColumnTokens,
    },
}

/// A compiled recipe.
pub struct Plan {
    ops: Vec<(Step, Op)>,
    detector: Option<Detector>,
    /// ε spent by noise steps.
    pub epsilon_spent: Option<Rational>,
    /// The schema after the steps (deleted columns gone).
    pub schema: Arc<Schema>,
    /// Columns whose values keep their source type (for typed outputs).
    pub type_preserving: Vec<String>,
    /// Whether a vault is needed.
    pub needs_vault: bool,
}

impl std::fmt::Debug for Plan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Plan({} steps)", self.ops.len())
    }
}

fn decimals_of(s: &str) -> u32 {
    s.split_once('.')
        .map_or(0, |(_, f)| u32::try_from(f.len()).unwrap_or(u32::MAX))
}

/// A decimal number as `mantissa × 10^exponent`: digits with an optional
/// sign, point and exponent (`1e20`, `-2.5E-3`, as JSON and Arrow write
/// floats); `None` if it is not one.
fn parse_decimal(s: &str) -> Option<(i128, i32)> {
    let s = s.trim();
    let (number, exponent) = match s.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i32>().ok().filter(|e| e.abs() <= 60)?),
        None => (s, 0),
    };
    let (neg, digits) = match number.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, number.strip_prefix('+').unwrap_or(number)),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if (int.is_empty() && frac.is_empty())
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || int.len() + frac.len() > 36
    {
        return None;
    }
    let mut mantissa: i128 = 0;
    for c in int.bytes().chain(frac.bytes()) {
        mantissa = mantissa
            .checked_mul(10)?
            .checked_add(i128::from(c - b'0'))?;
    }
    let exponent = exponent.checked_sub(i32::try_from(frac.len()).ok()?)?;
    Some((if neg { -mantissa } else { mantissa }, exponent))
}

/// How a value between two grid steps is placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rounding {
    /// To the nearest step, half away from zero (noise, random bounds).
    Nearest,
    /// Down, toward negative infinity (which range a value falls in).
    Floor,
}

/// A decimal as an integer count of 10^-`decimals` steps; `None` if it is
/// not a number or does not fit.
fn to_steps_with(s: &str, decimals: u32, rounding: Rounding) -> Option<i128> {
    let (mantissa, exponent) = parse_decimal(s)?;
    let shift = exponent.checked_add(i32::try_from(decimals).ok()?)?;
    if shift >= 0 {
        return mantissa.checked_mul(10i128.checked_pow(u32::try_from(shift).ok()?)?);
    }
    let Some(divisor) = 10i128.checked_pow(shift.unsigned_abs()) else {
        // Smaller than any step: rounds to zero (or −1 step when flooring a negative).
        return Some(if rounding == Rounding::Floor && mantissa < 0 {
            -1
        } else {
            0
        });
    };
    Some(match rounding {
        Rounding::Floor => mantissa.div_euclid(divisor),
        Rounding::Nearest => {
            let q = mantissa / divisor;
            let r = (mantissa % divisor).unsigned_abs();
            if r * 2 >= divisor.unsigned_abs() {
                if mantissa < 0 { q - 1 } else { q + 1 }
            } else {
                q
            }
        }
    })
}

/// [`to_steps_with`] rounding to the nearest step.
fn to_steps(s: &str, decimals: u32) -> Option<i128> {
    to_steps_with(s, decimals, Rounding::Nearest)
}

fn from_steps(v: i128, decimals: u32) -> String {
    if decimals == 0 {
        return v.to_string();
    }
    let Some(scale) = 10i128.checked_pow(decimals) else {
        return v.to_string();
    };
    let sign = if v < 0 { "-" } else { "" };
    let a = v.unsigned_abs();
    let s = scale.unsigned_abs();
    format!(
        "{sign}{}.{:0width$}",
        a / s,
        a % s,
        width = decimals as usize
    )
}

/// A parsed date or timestamp, remembering its layout.
#[derive(Debug, Clone)]
struct DateValue {
    date: time::Date,
    /// `ymd` (YYYY-MM-DD or YYYY/MM/DD) or `mdy` (MM/DD/YYYY).
    us: bool,
    sep: char,
    /// Everything after the date (a time, a zone), kept as written.
    rest: String,
}

/// Byte ranges of a time's parts in the text after a date, offset by
/// `at`: `[T ]H[H]:MM[:SS[.f…]]` then an optional zone (`Z`, `±HH[:MM]`)
/// and nothing else. `None` if the text is not such a time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct TimeParts {
    hour: std::ops::Range<usize>,
    minute: std::ops::Range<usize>,
    second: Option<std::ops::Range<usize>>,
    fraction: Option<std::ops::Range<usize>>,
}

fn parse_time(rest: &str, at: usize) -> Option<TimeParts> {
    let b = rest.as_bytes();
    if !matches!(b.first(), Some(b'T' | b' ')) {
        return None;
    }
    let run = |from: usize| {
        from + b
            .iter()
            .skip(from)
            .take_while(|c| c.is_ascii_digit())
            .count()
    };
    let mut i = 1;
    let end = run(i);
    if !(1..=2).contains(&(end - i)) {
        return None;
    }
    let hour = at + i..at + end;
    i = end;
    if b.get(i) != Some(&b':') || run(i + 1) != i + 3 {
        return None;
    }
    let minute = at + i + 1..at + i + 3;
    i += 3;
    let mut parts = TimeParts {
        hour,
        minute,
        ..TimeParts::default()
    };
    if b.get(i) == Some(&b':') {
        if run(i + 1) != i + 3 {
            return None;
        }
        parts.second = Some(at + i + 1..at + i + 3);
        i += 3;
        if b.get(i) == Some(&b'.') {
            let end = run(i + 1);
            if end == i + 1 {
                return None;
            }
            parts.fraction = Some(at + i + 1..at + end);
            i = end;
        }
    }
    match b.get(i..) {
        Some([] | [b'Z']) => Some(parts),
        Some([b'+' | b'-', zone @ ..])
            if matches!(zone.len(), 2 | 4 | 5)
                && zone.iter().enumerate().all(|(j, c)| {
                    c.is_ascii_digit() || (j == 2 && *c == b':' && zone.len() == 5)
                }) =>
        {
            Some(parts)
        }
        _ => None,
    }
}

fn parse_date(s: &str) -> Option<DateValue> {
    let bytes = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = s.get(r)?;
        if part.bytes().all(|b| b.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    let (year, month, day, sep, us, end) = if bytes.len() >= 10
        && matches!(bytes.get(4), Some(b'-' | b'/'))
        && bytes.get(7) == bytes.get(4)
    {
        (
            digits(0..4)?,
            digits(5..7)?,
            digits(8..10)?,
            char::from(*bytes.get(4)?),
            false,
            10,
        )
    } else if bytes.len() >= 10 && bytes.get(2) == Some(&b'/') && bytes.get(5) == Some(&b'/') {
        (digits(6..10)?, digits(0..2)?, digits(3..5)?, '/', true, 10)
    } else {
        return None;
    };
    let month = time::Month::try_from(u8::try_from(month).ok()?).ok()?;
    let date =
        time::Date::from_calendar_date(i32::try_from(year).ok()?, month, u8::try_from(day).ok()?)
            .ok()?;
    let rest = s.get(end..)?.to_string();
    if !rest.is_empty() {
        parse_time(&rest, end)?;
    }
    Some(DateValue {
        date,
        us,
        sep,
        rest,
    })
}

fn format_date(d: &DateValue, date: time::Date) -> String {
    let (y, m, day) = (date.year(), u8::from(date.month()), date.day());
    if d.us {
        format!("{m:02}/{day:02}/{y:04}{}", d.rest)
    } else {
        format!("{y:04}{sep}{m:02}{sep}{day:02}{}", d.rest, sep = d.sep)
    }
}

fn preserved(c: char, preserve: &[Preserve]) -> bool {
    preserve.iter().any(|p| match p {
        Preserve::Symbols => !c.is_alphanumeric() && !c.is_whitespace(),
        Preserve::Whitespace => c.is_whitespace(),
    })
}

fn parse_preserve(step: &Step) -> Result<Vec<Preserve>, DeidError> {
    step.opt_list("alphabet")?
        .iter()
        .map(|a| match a.as_str() {
            "SYMBOLS" => Ok(Preserve::Symbols),
            "WHITESPACE" => Ok(Preserve::Whitespace),
            other => Err(step.error(format!("alphabet {other:?}: SYMBOLS or WHITESPACE"))),
        })
        .collect()
}

fn seed_of(key: &hmac::Key, value: &str) -> u64 {
    let tag = hmac::sign(key, value.as_bytes());
    let mut b = [0u8; 8];
    if let Some(head) = tag.as_ref().get(..8) {
        b.copy_from_slice(head);
    }
    u64::from_le_bytes(b)
}

impl ValueFn {
    /// The new value (`None`: null). `rng` serves the random steps.
    fn apply(&self, v: &str, rng: &mut BufferedRandom) -> Result<Option<String>, String> {
        Ok(Some(match self {
            ValueFn::Hash(alg, key) => {
                let bytes = v.as_bytes();
                match (alg, key) {
                    (HashAlgorithm::Sha1, _) => {
                        hex(digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, bytes).as_ref())
                    }
                    (HashAlgorithm::Sha256, _) => {
                        hex(digest::digest(&digest::SHA256, bytes).as_ref())
                    }
                    (HashAlgorithm::Sha512, _) => {
                        hex(digest::digest(&digest::SHA512, bytes).as_ref())
                    }
                    (_, Some(k)) => hex(hmac::sign(k, bytes).as_ref()),
                    (_, None) => return Err("HMAC without a key".into()),
                }
            }
            ValueFn::Encrypt(d) => d.encrypt(v).map_err(|e| e.to_string())?,
            ValueFn::Decrypt(d) => d.decrypt(v).map_err(|e| e.to_string())?,
            ValueFn::MaskCustom { pattern, symbol } => pattern
                .replace_all(v, |c: &regex::Captures<'_>| {
                    c.get(0).map_or(String::new(), |m| {
                        m.as_str().chars().map(|_| *symbol).collect()
                    })
                })
                .into_owned(),
            ValueFn::MaskDate { redact, symbol } => {
                mask_date(v, redact, *symbol).ok_or_else(|| {
                    "not a date (YYYY-MM-DD, YYYY/MM/DD or MM/DD/YYYY, with an optional time)"
                        .to_string()
                })?
            }
            ValueFn::MaskDelimiter {
                start,
                end,
                keep_delimiters,
                preserve,
                symbol,
            } => {
                let mut out = String::with_capacity(v.len());
                let mut inside = start.is_none();
                let mut done = false;
                for c in v.chars() {
                    if !inside && !done && Some(c) == *start {
                        inside = true;
                        out.push(if *keep_delimiters { c } else { *symbol });
                        continue;
                    }
                    if inside && Some(c) == *end {
                        inside = false;
                        done = true;
                        out.push(if *keep_delimiters { c } else { *symbol });
                        continue;
                    }
                    out.push(if inside && !preserved(c, preserve) {
                        *symbol
                    } else {
                        c
                    });
                }
                out
            }
            ValueFn::MaskRange {
                start,
                stop,
                preserve,
                symbol,
            } => {
                let n = i64::try_from(v.chars().count()).unwrap_or(i64::MAX);
                let resolve = |i: i64| if i < 0 { (n + i).max(0) } else { i.min(n) };
                let from = start.map_or(0, resolve);
                let to = stop.map_or(n, resolve);
                v.chars()
                    .enumerate()
                    .map(|(i, c)| {
                        let i = i64::try_from(i).unwrap_or(i64::MAX);
                        if i >= from && i < to && !preserved(c, preserve) {
                            *symbol
                        } else {
                            c
                        }
                    })
                    .collect()
            }
            ValueFn::MaskEmail { keep } => mask::mask_email(v, *keep),
            ValueFn::Pseudonym { key, prefix } => mask::pseudonym(key, v, prefix),
            ValueFn::Substitute { kind, key } => {
                let seed = match key {
                    Some(k) => seed_of(k, v),
                    None => {
                        let mut b = [0u8; 8];
                        rng.fill(&mut b).map_err(|e| e.to_string())?;
                        u64::from_le_bytes(b)
                    }
                };
                fake::substitute(kind, seed)
            }
            ValueFn::Generalize(g) => match g {
                Generalizer::Range { width, decimals } => {
                    let x = to_steps_with(v, *decimals, Rounding::Floor)
                        .ok_or_else(|| "not a number".to_string())?;
                    let lo = x
                        .div_euclid(*width)
                        .checked_mul(*width)
                        .ok_or_else(|| "number too large".to_string())?;
                    let hi = lo
                        .checked_add(*width)
                        .ok_or_else(|| "number too large".to_string())?;
                    if *decimals == 0 && lo >= 0 {
                        format!("{}-{}", lo, hi - 1)
                    } else if *decimals == 0 {
                        format!("[{lo}, {hi})")
                    } else {
                        format!(
                            "[{}, {})",
                            from_steps(lo, *decimals),
                            from_steps(hi, *decimals)
                        )
                    }
                }
                Generalizer::Date { unit } => {
                    let d = parse_date(v).ok_or_else(|| "not a date".to_string())?;
                    match unit {
                        DateUnit::Year => format!("{:04}", d.date.year()),
                        DateUnit::Month => {
                            format!("{:04}-{:02}", d.date.year(), u8::from(d.date.month()))
                        }
                        DateUnit::Day => format!(
                            "{:04}-{:02}-{:02}",
                            d.date.year(),
                            u8::from(d.date.month()),
                            d.date.day()
                        ),
                    }
                }
                Generalizer::Prefix { keep, symbol } => v
                    .chars()
                    .enumerate()
                    .map(|(i, c)| if i < *keep { c } else { *symbol })
                    .collect(),
                Generalizer::Hierarchy { hierarchy, level } => hierarchy
                    .generalize(v, *level)
                    .ok_or_else(|| "a value the hierarchy does not have".to_string())?
                    .to_string(),
            },
            ValueFn::RedactPii => return Err("REDACT_PII applies to spans".into()),
            ValueFn::RandomBetween {
                low,
                high,
                decimals,
            } => from_steps(
                dp::uniform_between(rng, *low, *high).map_err(|e| e.to_string())?,
                *decimals,
            ),
            ValueFn::RandomDateBetween {
                low,
                high,
                with_time,
            } => {
                let t = dp::uniform_between(rng, i128::from(*low), i128::from(*high))
                    .map_err(|e| e.to_string())?;
                let t = time::OffsetDateTime::from_unix_timestamp(i64::try_from(t).unwrap_or(0))
                    .map_err(|e| e.to_string())?;
                let (d, c) = (t.date(), t.time());
                if *with_time {
                    format!(
                        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
                        d.year(),
                        u8::from(d.month()),
                        d.day(),
                        c.hour(),
                        c.minute(),
                        c.second()
                    )
                } else {
                    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
                }
            }
            ValueFn::Noise {
                noise,
                decimals,
                clamp,
            } => {
                let mut x = to_steps(v, *decimals).ok_or_else(|| "not a number".to_string())?;
                if let Some((lo, hi)) = clamp {
                    x = x.clamp(*lo, *hi);
                }
                let n = match noise {
                    Noise::Laplace(scale) => dp::discrete_laplace(rng, *scale),
                    Noise::Gaussian(sigma2) => dp::discrete_gaussian(rng, *sigma2),
                }
                .map_err(|e| e.to_string())?;
                from_steps(x.checked_add(n).ok_or("noise overflow")?, *decimals)
            }
            ValueFn::Null { matcher, values } => {
                let hit = matcher
                    .as_ref()
                    .map_or(values.is_empty(), |m| m.is_match(v))
                    || values.iter().any(|x| x == v);
                if hit {
                    return Ok(None);
                }
                v.to_string()
            }
        }))
    }

    /// Whether this step's output still converts to a column of source
    /// type `t` (for typed outputs): noise and random numbers on an integer
    /// column only on a whole-number grid, random dates on a date column only
    /// without times; steps that write text never.
    fn keeps_type(&self, t: Option<&DataType>) -> bool {
        let Some(t) =
            t.filter(|t| !matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View))
        else {
            return true;
        };
        match self {
            ValueFn::Null { .. } => true,
            ValueFn::RandomBetween { decimals, .. } | ValueFn::Noise { decimals, .. } => {
                t.is_floating()
                    || matches!(t, DataType::Decimal128(..) | DataType::Decimal256(..))
                    || (t.is_integer() && *decimals == 0)
            }
            ValueFn::RandomDateBetween { with_time, .. } => match t {
                DataType::Date32 | DataType::Date64 => !with_time,
                DataType::Timestamp(..) => true,
                _ => false,
            },
            _ => false,
        }
    }
}

fn mask_date(v: &str, redact: &[Component], symbol: char) -> Option<String> {
    let d = parse_date(v)?;
    // Character ranges of each component in the value as written.
    let (y, m, day) = if d.us {
        (6..10, 0..2, 3..5)
    } else {
        (0..4, 5..7, 8..10)
    };
    let time = if d.rest.is_empty() {
        None
    } else {
        parse_time(&d.rest, 10)
    };
    let mut ranges: Vec<std::ops::Range<usize>> = Vec::new();
    for c in redact {
        let range = match (c, &time) {
            (Component::Year, _) => Some(y.clone()),
            (Component::Month, _) => Some(m.clone()),
            (Component::Day, _) => Some(day.clone()),
            (Component::Hour, Some(t)) => Some(t.hour.clone()),
            (Component::Minute, Some(t)) => Some(t.minute.clone()),
            (Component::Second, Some(t)) => t.second.clone(),
            (Component::Millisecond, Some(t)) => t.fraction.clone(),
            (_, None) => None,
        };
        ranges.extend(range);
    }
    // Dates and times are ASCII up to the zone: byte offsets are characters.
    Some(
        v.char_indices()
            .map(|(i, c)| {
                if c.is_ascii_digit() && ranges.iter().any(|r| r.contains(&i)) {
                    symbol
                } else {
                    c
                }
            })
            .collect(),
    )
}

/// Resolves a column name against the current schema.
fn column(schema: &Schema, step: &Step, name: &str) -> Result<usize, DeidError> {
    schema.index_of(name).map_err(|_| {
        step.error(format!(
            "no column {name:?}; the columns are {}",
            schema
                .fields()
                .iter()
                .map(|f| f.name().as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })
}

/// What a column is: declared in the recipe, else its source type.
fn column_type(recipe: &Recipe, source: &Schema, name: &str) -> Option<ColumnType> {
    if let Some(t) = recipe.columns.get(name) {
        return Some(*t);
    }
    let field = source.field_with_name(name).ok()?;
    Some(match field.data_type() {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => return None,
        DataType::Boolean => ColumnType::Boolean,
        DataType::Date32 | DataType::Date64 => ColumnType::Date,
        DataType::Timestamp(..) => ColumnType::Timestamp,
        t if t.is_integer() => ColumnType::Integer,
        t if t.is_numeric() => ColumnType::Decimal,
        _ => ColumnType::String,
    })
}

fn need(
    recipe: &Recipe,
    source: &Schema,
    step: &Step,
    name: &str,
    ok: fn(ColumnType) -> bool,
    what: &str,
) -> Result<(), DeidError> {
    match column_type(recipe, source, name) {
        Some(t) if !ok(t) => Err(step.error(format!(
            "column {name:?} is {}, and this step needs {what}",
            t.name()
        ))),
        _ => Ok(()),
    }
}

/// Compiles `recipe` against `source` (the input's schema, with its types)
/// for a table whose columns are text. Nothing is read.
pub fn compile(
    recipe: &Recipe,
    source: &Schema,
    keys: &Keys,
    hierarchy_dir: &std::path::Path,
) -> Result<Plan, DeidError> {
    let mut schema = Schema::new(
        source
            .fields()
            .iter()
            .map(|f| Field::new(f.name(), DataType::Utf8, true))
            .collect::<Vec<_>>(),
    );
    for name in recipe.columns.keys() {
        if source.index_of(name).is_err() {
            return Err(DeidError::Input(format!(
                "recipe: `columns` declares {name:?}, which the input does not have"
            )));
        }
    }
    let budget = match recipe.privacy.as_ref().and_then(|p| p.epsilon.as_deref()) {
        Some(e) => Some(
            dp::Budget::new(
                Rational::parse(e)
                    .map_err(|e| DeidError::Input(format!("recipe: privacy.epsilon: {e}")))?,
            )
            .map_err(|e| DeidError::Input(format!("recipe: privacy.epsilon: {e}")))?,
        ),
        None => None,
    };
    let mut budget = budget;
    let mut spent: Option<Rational> = None;
    let mut ops = Vec::new();
    let mut text_columns: Vec<String> = Vec::new();
    let mut needs_detector = false;
    let mut needs_vault = false;
    for step in &recipe.steps {
        let columns = step.list("sourceColumns")?;
        if columns.is_empty() {
            return Err(step.error("`sourceColumns` names no column"));
        }
        for c in &columns {
            column(&schema, step, c)?;
        }
        let entities = match step.opt("entityTypeFilter") {
            None => None,
            Some(_) => {
                let names = step.opt_list("entityTypeFilter")?;
                let types = names
                    .iter()
                    .map(|n| {
                        PiiType::from_name(n).ok_or_else(|| step.error(format!("entity type {n:?} is not one mlguard detects (Comprehend's names: SSN, EMAIL, NAME, ...)")))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                needs_detector = true;
                Some(types)
            }
        };
        let op = step.operation.as_str();
        let map = |f: ValueFn| Op::Map {
            columns: columns.clone(),
            f,
            entities: entities.clone(),
        };
        let compiled = match op {
            "DELETE" => {
                step.only(&["sourceColumns"])?;
                Op::Delete(columns.clone())
            }
            "CRYPTOGRAPHIC_HASH" => {
                step.only(&[
                    "sourceColumns",
                    "secretId",
                    "secretVersion",
                    "algorithm",
                    "entityTypeFilter",
                    "createSecretIfMissing",
                ])?;
                let alg = match step.opt_text("algorithm")?.as_deref().unwrap_or("HMAC_SHA256") {
                    "SHA1" => HashAlgorithm::Sha1,
                    "SHA256" => HashAlgorithm::Sha256,
                    "SHA512" => HashAlgorithm::Sha512,
                    "HMAC_SHA1" => HashAlgorithm::HmacSha1,
                    "HMAC_SHA256" => HashAlgorithm::HmacSha256,
                    "HMAC_SHA512" => HashAlgorithm::HmacSha512,
                    "MD5" | "HMAC_MD5" => return Err(step.error("MD5 is broken and not offered; use SHA256 or HMAC_SHA256")),
                    other => return Err(step.error(format!("algorithm {other:?}: SHA1, SHA256, SHA512, HMAC_SHA1, HMAC_SHA256 or HMAC_SHA512"))),
                };
                let key = match alg {
                    HashAlgorithm::HmacSha1 => Some(hmac::Key::new(
                        hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
                        keys.raw(step)?,
                    )),
                    HashAlgorithm::HmacSha256 => {
                        Some(hmac::Key::new(hmac::HMAC_SHA256, keys.raw(step)?))
                    }
                    HashAlgorithm::HmacSha512 => {
                        Some(hmac::Key::new(hmac::HMAC_SHA512, keys.raw(step)?))
                    }
                    _ => None,
                };
                map(ValueFn::Hash(alg, key))
            }
            "DETERMINISTIC_ENCRYPT" | "DETERMINISTIC_DECRYPT" => {
                step.only(&[
                    "sourceColumns",
                    "secretId",
                    "secretVersion",
                    "entityTypeFilter",
                    "createSecretIfMissing",
                ])?;
                // A Secrets Manager secret of 32 bytes is the key itself, as
                // in DataBrew; a key file's key is derived for this purpose
                // (the key file also serves hashing and the vault).
                let raw = keys.raw(step)?;
                let d = if raw.len() == 32 && step.opt("secretId").is_some() {
                    Deterministic::new(raw)?
                } else {
                    Deterministic::new(&keys.derived(step, "deterministic-encrypt")?)?
                };
                if op == "DETERMINISTIC_ENCRYPT" {
                    map(ValueFn::Encrypt(d))
                } else {
                    map(ValueFn::Decrypt(d))
                }
            }
            "MASK_CUSTOM" => {
                step.only(&[
                    "sourceColumns",
                    "maskSymbol",
                    "regex",
                    "customValue",
                    "entityTypeFilter",
                ])?;
                let value = step.text("customValue")?;
                if value.is_empty() {
                    return Err(step.error("`customValue` is empty"));
                }
                let pattern = if step.opt_bool("regex", false)? {
                    value
                } else {
                    regex::escape(&value)
                };
                let pattern = regex::RegexBuilder::new(&pattern)
                    .size_limit(1 << 20)
                    .build()
                    .map_err(|e| {
                        step.error(format!("`customValue` is not a regular expression: {e}"))
                    })?;
                map(ValueFn::MaskCustom {
                    pattern,
                    symbol: step.mask_symbol()?,
                })
            }
            "MASK_DATE" => {
                step.only(&[
                    "sourceColumns",
                    "maskSymbol",
                    "redact",
                    "locale",
                    "entityTypeFilter",
                ])?;
                for c in &columns {
                    need(recipe, source, step, c, ColumnType::is_temporal, "a date")?;
                }
                let redact = step
                    .list("redact")?
                    .iter()
                    .map(|r| match r.as_str() {
                        "YEAR" => Ok(Component::Year),
                        "MONTH" => Ok(Component::Month),
                        "DAY" => Ok(Component::Day),
                        "HOUR" => Ok(Component::Hour),
                        "MINUTE" => Ok(Component::Minute),
                        "SECOND" => Ok(Component::Second),
                        "MILLISECOND" => Ok(Component::Millisecond),
                        other => Err(step.error(format!("redact {other:?}: YEAR, MONTH, DAY, HOUR, MINUTE, SECOND or MILLISECOND"))),
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                map(ValueFn::MaskDate {
                    redact,
                    symbol: step.mask_symbol()?,
                })
            }
            "MASK_DELIMITER" => {
                step.only(&[
                    "sourceColumns",
                    "maskSymbol",
                    "startDelimiter",
                    "endDelimiter",
                    "preserveDelimiters",
                    "alphabet",
                    "entityTypeFilter",
                ])?;
                let one = |name: &str| -> Result<Option<char>, DeidError> {
                    match step.opt_text(name)? {
                        None => Ok(None),
                        Some(s) => {
                            let mut it = s.chars();
                            match (it.next(), it.next()) {
                                (Some(c), None) => Ok(Some(c)),
                                _ => Err(step.error(format!("`{name}` is one character"))),
                            }
                        }
                    }
                };
                map(ValueFn::MaskDelimiter {
                    start: one("startDelimiter")?,
                    end: one("endDelimiter")?,
                    keep_delimiters: step.opt_bool("preserveDelimiters", true)?,
                    preserve: parse_preserve(step)?,
                    symbol: step.mask_symbol()?,
                })
            }
            "MASK_RANGE" => {
                step.only(&[
                    "sourceColumns",
                    "maskSymbol",
                    "start",
                    "stop",
                    "alphabet",
                    "entityTypeFilter",
                ])?;
                map(ValueFn::MaskRange {
                    start: step.opt_integer("start")?,
                    stop: step.opt_integer("stop")?,
                    preserve: parse_preserve(step)?,
                    symbol: step.mask_symbol()?,
                })
            }
            "MASK_EMAIL" => {
                step.only(&["sourceColumns", "keep", "entityTypeFilter"])?;
                map(ValueFn::MaskEmail {
                    keep: step.opt_count("keep", 3)?,
                })
            }
            "PSEUDONYMIZE" => {
                step.only(&[
                    "sourceColumns",
                    "prefix",
                    "secretId",
                    "secretVersion",
                    "entityTypeFilter",
                ])?;
                map(ValueFn::Pseudonym {
                    key: keys.derived(step, "pseudonym")?,
                    prefix: step.opt_text("prefix")?.unwrap_or_else(|| "ID-".into()),
                })
            }
            "SUBSTITUTE" => {
                step.only(&[
                    "sourceColumns",
                    "type",
                    "deterministic",
                    "secretId",
                    "secretVersion",
                    "entityTypeFilter",
                ])?;
                let kind = step.text("type")?;
                fake::check(&kind).map_err(|e| step.error(e))?;
                let key = if step.opt_bool("deterministic", true)? {
                    Some(hmac::Key::new(
                        hmac::HMAC_SHA256,
                        &keys.derived(step, &format!("substitute {kind}"))?,
                    ))
                } else {
                    None
                };
                map(ValueFn::Substitute { kind, key })
            }
            "GENERALIZE" => {
                step.only(&[
                    "sourceColumns",
                    "method",
                    "width",
                    "unit",
                    "keep",
                    "maskSymbol",
                    "hierarchy",
                    "level",
                ])?;
                let method = step.text("method")?.to_ascii_uppercase();
                let g = match method.as_str() {
                    "RANGE" => {
                        for c in &columns {
                            need(recipe, source, step, c, ColumnType::is_numeric, "numbers")?;
                        }
                        let width = step.text("width")?;
                        let decimals = decimals_of(&width);
                        if decimals > 18 {
                            return Err(step.error("`width` has at most 18 decimals"));
                        }
                        let w = to_steps(&width, decimals)
                            .filter(|w| *w > 0)
                            .ok_or_else(|| step.error("`width` is a positive number"))?;
                        Generalizer::Range { width: w, decimals }
                    }
                    "DATE" => {
                        for c in &columns {
                            need(recipe, source, step, c, ColumnType::is_temporal, "a date")?;
                        }
                        let unit = match step.text("unit")?.to_ascii_uppercase().as_str() {
                            "YEAR" => DateUnit::Year,
                            "MONTH" => DateUnit::Month,
                            "DAY" => DateUnit::Day,
                            other => {
                                return Err(
                                    step.error(format!("unit {other:?}: YEAR, MONTH or DAY"))
                                );
                            }
                        };
                        Generalizer::Date { unit }
                    }
                    "PREFIX" => Generalizer::Prefix {
                        keep: step.opt_count("keep", 3)?,
                        symbol: match step.opt_text("maskSymbol")? {
                            None => '*',
                            Some(_) => step.mask_symbol()?,
                        },
                    },
                    "HIERARCHY" => {
                        let file = hierarchy_dir.join(step.text("hierarchy")?);
                        let reader = std::fs::File::open(&file)
                            .map_err(|e| step.error(format!("{}: {e}", file.display())))?;
                        let hierarchy =
                            crate::hierarchy::Hierarchy::read(std::io::BufReader::new(reader))
                                .map_err(|e| step.error(format!("{}: {e}", file.display())))?;
                        let level = step.opt_count("level", 1)?;
                        if level >= hierarchy.height() {
                            return Err(step.error(format!(
                                "`level` {level}: the hierarchy has levels 0 to {}",
                                hierarchy.height().saturating_sub(1)
                            )));
                        }
                        Generalizer::Hierarchy { hierarchy, level }
                    }
                    other => {
                        return Err(step.error(format!(
                            "method {other:?}: RANGE, DATE, PREFIX or HIERARCHY"
                        )));
                    }
                };
                map(ValueFn::Generalize(g))
            }
            "SUPPRESS" => {
                step.only(&["sourceColumns", "values", "regex", "action"])?;
                let values = step.opt_list("values")?;
                let matcher = step
                    .opt_text("regex")?
                    .map(|r| {
                        regex::RegexBuilder::new(&r)
                            .size_limit(1 << 20)
                            .build()
                            .map_err(|e| step.error(format!("`regex`: {e}")))
                    })
                    .transpose()?;
                match step.opt_text("action")?.as_deref().unwrap_or("NULL") {
                    "NULL" => map(ValueFn::Null { matcher, values }),
                    "DROP_ROW" => {
                        if matcher.is_none() && values.is_empty() {
                            return Err(step.error(
                                "DROP_ROW needs `values` or `regex` (it would drop every record)",
                            ));
                        }
                        let [column] = columns.as_slice() else {
                            return Err(step.error("DROP_ROW takes one source column"));
                        };
                        Op::DropRows {
                            column: column.clone(),
                            matcher,
                            values,
                        }
                    }
                    other => return Err(step.error(format!("action {other:?}: NULL or DROP_ROW"))),
                }
            }
            "REPLACE_WITH_RANDOM_BETWEEN" => {
                step.only(&["sourceColumns", "lowerBound", "upperBound"])?;
                let (lo, hi) = (step.text("lowerBound")?, step.text("upperBound")?);
                let decimals = decimals_of(&lo).max(decimals_of(&hi));
                if decimals > 18 {
                    return Err(step.error("the bounds have at most 18 decimals"));
                }
                let low = to_steps(&lo, decimals)
                    .ok_or_else(|| step.error("`lowerBound` is a number"))?;
                let high = to_steps(&hi, decimals)
                    .ok_or_else(|| step.error("`upperBound` is a number"))?;
                if high < low {
                    return Err(step.error("`upperBound` is below `lowerBound`"));
                }
                map(ValueFn::RandomBetween {
                    low,
                    high,
                    decimals,
                })
            }
            "REPLACE_WITH_RANDOM_DATE_BETWEEN" => {
                step.only(&["sourceColumns", "startDate", "endDate"])?;
                // DataBrew's bounds are `2020-12-12 12:12:12`; a bare date
                // draws whole days.
                let bound = |name: &str| -> Result<(i64, bool), DeidError> {
                    let text = step.text(name)?;
                    let bad = || {
                        step.error(format!(
                            "`{name}` is a date or timestamp (YYYY-MM-DD[ HH:MM:SS])"
                        ))
                    };
                    let d = parse_date(&text).ok_or_else(bad)?;
                    let rest = d.rest.trim_start_matches(['T', ' ']);
                    let (seconds, with_time) = if rest.is_empty() {
                        (0, false)
                    } else {
                        let parts: Vec<u8> = rest
                            .split(':')
                            .map(|p| p.parse::<u8>().ok())
                            .collect::<Option<_>>()
                            .ok_or_else(bad)?;
                        let (h, m, sec) = match parts.as_slice() {
                            [h, m] => (*h, *m, 0),
                            [h, m, s] => (*h, *m, *s),
                            _ => return Err(bad()),
                        };
                        if h > 23 || m > 59 || sec > 59 {
                            return Err(bad());
                        }
                        (
                            i64::from(h) * 3600 + i64::from(m) * 60 + i64::from(sec),
                            true,
                        )
                    };
                    let midnight = d.date.midnight().assume_utc().unix_timestamp();
                    Ok((midnight + seconds, with_time))
                };
                let ((low, t1), (high, t2)) = (bound("startDate")?, bound("endDate")?);
                if high < low {
                    return Err(step.error("`endDate` is before `startDate`"));
                }
                let with_time = t1 || t2;
                let high = if with_time { high } else { high + 86_399 };
                map(ValueFn::RandomDateBetween {
                    low,
                    high,
                    with_time,
                })
            }
            "SHUFFLE_ROWS" => {
                step.only(&["sourceColumns", "groupByColumns", "seed"])?;
                let group_by = step.opt_list("groupByColumns")?;
                for c in &group_by {
                    column(&schema, step, c)?;
                    if columns.contains(c) {
                        return Err(
                            step.error(format!("column {c:?} is both shuffled and grouped by"))
                        );
                    }
                }
                let seed = step.opt_integer("seed")?.map(|s| s as u64);
                Op::Shuffle {
                    columns: columns.clone(),
                    group_by,
                    seed,
                }
            }
            "SHIFT_DATE" => {
                step.only(&[
                    "sourceColumns",
                    "entityColumn",
                    "maxDays",
                    "secretId",
                    "secretVersion",
                ])?;
                for c in &columns {
                    need(recipe, source, step, c, ColumnType::is_temporal, "a date")?;
                }
                let entity = step.text("entityColumn")?;
                column(&schema, step, &entity)?;
                let max_days = i64::try_from(step.opt_count("maxDays", 365)?).unwrap_or(i64::MAX);
                if !(1..=36_500).contains(&max_days) {
                    return Err(step.error("`maxDays` is 1 to 36500"));
                }
                Op::ShiftDate {
                    columns: columns.clone(),
                    entity,
                    max_days,
                    key: hmac::Key::new(hmac::HMAC_SHA256, &keys.derived(step, "shift date")?),
                }
            }
            "ADD_NOISE" => {
                step.only(&[
                    "sourceColumns",
                    "mechanism",
                    "epsilon",
                    "delta",
                    "sensitivity",
                    "decimals",
                    "lowerBound",
                    "upperBound",
                ])?;
                for c in &columns {
                    need(recipe, source, step, c, ColumnType::is_numeric, "numbers")?;
                }
                let decimals = u32::try_from(step.opt_count("decimals", 0)?).unwrap_or(u32::MAX);
                if decimals > 12 {
                    return Err(step.error("`decimals` is at most 12"));
                }
                let clamp = match (step.opt_text("lowerBound")?, step.opt_text("upperBound")?) {
                    (Some(lo), Some(hi)) => {
                        let lo = to_steps(&lo, decimals)
                            .ok_or_else(|| step.error("`lowerBound` is a number"))?;
                        let hi = to_steps(&hi, decimals)
                            .ok_or_else(|| step.error("`upperBound` is a number"))?;
                        if hi <= lo {
                            return Err(step.error("`upperBound` is not above `lowerBound`"));
                        }
                        Some((lo, hi))
                    }
                    (None, None) => None,
                    _ => {
                        return Err(
                            step.error("give both `lowerBound` and `upperBound`, or neither")
                        );
                    }
                };
                let sensitivity = match step.opt_text("sensitivity")? {
                    Some(s) => to_steps(&s, decimals).filter(|s| *s > 0).ok_or_else(|| step.error("`sensitivity` is a positive number"))?,
                    None => clamp.map(|(lo, hi)| hi - lo).ok_or_else(|| step.error("give `sensitivity`, or `lowerBound` and `upperBound` (the sensitivity is then their difference)"))?,
                };
                let sensitivity = sensitivity.unsigned_abs();
                let epsilon = Rational::parse(&step.text("epsilon")?)
                    .map_err(|e| step.error(format!("`epsilon`: {e}")))?;
                if epsilon.is_zero() {
                    return Err(step.error("`epsilon` is positive"));
                }
                let noise = match step.opt_text("mechanism")?.as_deref().unwrap_or("LAPLACE") {
                    "LAPLACE" => {
                        let t = sensitivity
                            .checked_mul(epsilon.den)
                            .ok_or_else(|| step.error("the noise scale is too large"))?;
                        Noise::Laplace(Rational::new(t, epsilon.num).map_err(|e| step.error(e))?)
                    }
                    "GAUSSIAN" => {
                        let delta = Rational::parse(&step.text("delta")?)
                            .map_err(|e| step.error(format!("`delta`: {e}")))?;
                        Noise::Gaussian(
                            dp::gaussian_sigma2(sensitivity, epsilon, delta)
                                .map_err(|e| step.error(e))?,
                        )
                    }
                    other => {
                        return Err(step.error(format!("mechanism {other:?}: LAPLACE or GAUSSIAN")));
                    }
                };
                // Each column is one release; records are disjoint, so the
                // values of one column compose in parallel.
                for _ in &columns {
                    if let Some(b) = budget.as_mut() {
                        b.spend(epsilon).map_err(|e| {
                            step.error(format!("the privacy budget (privacy.epsilon): {e}"))
                        })?;
                    }
                    spent = Some(match spent {
                        None => epsilon,
                        Some(s) => s
                            .checked_add(epsilon)
                            .ok_or_else(|| step.error("the ε total overflows"))?,
                    });
                }
                map(ValueFn::Noise {
                    noise,
                    decimals,
                    clamp,
                })
            }
            "TOKENIZE" => {
                step.only(&["sourceColumns", "format", "alphabet", "namespace"])?;
                let format = step
                    .opt_text("format")?
                    .unwrap_or_else(|| "RANDOM".into())
                    .to_ascii_uppercase();
                if format != "RANDOM" && format != "FF1" {
                    return Err(step.error(format!("format {format:?}: RANDOM or FF1")));
                }
                let alphabet = if format == "FF1" {
                    let a = step
                        .opt_text("alphabet")?
                        .unwrap_or_else(|| "DIGITS".into());
                    crate::token::Alphabet::named(&a).map_err(|e| step.error(e))?;
                    Some(a)
                } else {
                    None
                };
                needs_vault = true;
                Op::Tokenize {
                    columns: columns.clone(),
                    how: ColumnTokens {
                        format,
                        alphabet,
                        namespace: step
                            .opt_text("namespace")?
                            .unwrap_or_else(|| "default".into()),
                    },
                }
            }
            "REDACT_PII" => {
                step.only(&["sourceColumns", "entityTypeFilter"])?;
                needs_detector = true;
                Op::Map {
                    columns: columns.clone(),
                    f: ValueFn::RedactPii,
                    entities: Some(entities.clone().unwrap_or_default()),
                }
            }
            other => return Err(step.error(format!("{other} is not implemented"))),
        };
        match &compiled {
            Op::Delete(cols) => {
                let keep: Vec<Field> = schema
                    .fields()
                    .iter()
                    .filter(|f| !cols.contains(f.name()))
                    .map(|f| f.as_ref().clone())
                    .collect();
                schema = Schema::new(keep);
                text_columns.retain(|c| !cols.contains(c));
            }
            Op::Map {
                columns,
                f,
                entities,
            } => {
                for c in columns {
                    let t = source.field_with_name(c).ok().map(|f| f.data_type());
                    if entities.is_some() || !f.keeps_type(t) {
                        text_columns.push(c.clone());
                    }
                }
            }
            Op::Tokenize { columns, .. } => text_columns.extend(columns.iter().cloned()),
            _ => {}
        }
        ops.push((step.clone(), compiled));
    }
    let detector = if needs_detector {
        Some(Detector::with_defaults())
    } else {
        None
    };
    let type_preserving = schema
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .filter(|n| !text_columns.contains(n))
        .collect();
    Ok(Plan {
        ops,
        detector,
        epsilon_spent: spent,
        schema: Arc::new(schema),
        type_preserving,
        needs_vault,
    })
}

fn text_arrays(batch: &RecordBatch, index: usize) -> Result<&StringArray, DeidError> {
    batch
        .column(index)
        .as_any()
        .downcast_ref::<StringArray>()
        .ok_or_else(|| DeidError::Input("columns are text".into()))
}

impl Plan {
    /// Applies the steps to `table` (text columns). `vault` is needed when
    /// [`Plan::needs_vault`].
    pub fn apply(
        &self,
        table: Table,
        vault: Option<&mut Vault>,
    ) -> Result<(Table, Vec<StepReport>), DeidError> {
        self.apply_with_progress(table, vault, 0, &mut |_, _| {})
    }

    /// Whether a step needs every record at once (shuffling); otherwise
    /// the plan may be applied batch by batch as a table streams through.
    #[must_use]
    pub fn needs_whole_table(&self) -> bool {
        self.ops
            .iter()
            .any(|(_, op)| matches!(op, Op::Shuffle { .. }))
    }

    /// [`Plan::apply`] to records numbered from `first_row` (0-based, for
    /// messages), calling `progress(step number, operation)` as each step
    /// starts.
    pub fn apply_with_progress(
        &self,
        mut table: Table,
        mut vault: Option<&mut Vault>,
        first_row: usize,
        progress: &mut dyn FnMut(usize, &str),
    ) -> Result<(Table, Vec<StepReport>), DeidError> {
        let mut reports = Vec::new();
        for (step, op) in &self.ops {
            progress(step.number, &step.operation);
            let started = std::time::Instant::now();
            let mut report = StepReport {
                number: step.number,
                operation: step.operation.clone(),
                ..StepReport::default()
            };
            match op {
                Op::Delete(cols) => {
                    report.columns = cols.clone();
                    let keep: Vec<usize> = table
                        .schema
                        .fields()
                        .iter()
                        .enumerate()
                        .filter(|(_, f)| !cols.contains(f.name()))
                        .map(|(i, _)| i)
                        .collect();
                    let schema = Arc::new(
                        table
                            .schema
                            .project(&keep)
                            .map_err(|e| DeidError::Input(e.to_string()))?,
                    );
                    let batches = table
                        .batches
                        .iter()
                        .map(|b| {
                            b.project(&keep)
                                .map_err(|e| DeidError::Input(e.to_string()))
                        })
                        .collect::<Result<Vec<_>, _>>()?;
                    report.changed = table.rows() * cols.len();
                    table = Table { schema, batches };
                }
                Op::Map {
                    columns,
                    f,
                    entities,
                } => {
                    report.columns = columns.clone();
                    for name in columns {
                        let index = table.column(name)?;
                        let column_ctx = self.detector.as_ref().map(|d| d.column(name));
                        let offsets = batch_offsets(&table, first_row);
                        let results = parallel_map(&table.batches, |bi, batch| {
                            let array = text_arrays(batch, index)?;
                            let mut rng = BufferedRandom::default();
                            let mut builder =
                                StringBuilder::with_capacity(array.len(), array.value_data().len());
                            let mut changed = 0usize;
                            for i in 0..array.len() {
                                if array.is_null(i) {
                                    builder.append_null();
                                    continue;
                                }
                                let v = array.value(i);
                                let out = match (entities, &self.detector) {
                                    (Some(types), Some(detector)) => apply_spans(
                                        detector,
                                        column_ctx.unwrap_or_default(),
                                        types,
                                        f,
                                        v,
                                        &mut rng,
                                    ),
                                    _ => f.apply(v, &mut rng),
                                }
                                .map_err(|e| {
                                    record_error(
                                        step,
                                        name,
                                        offsets.get(bi).copied().unwrap_or(0) + i,
                                        &e,
                                    )
                                })?;
                                if out.as_deref() != Some(v) {
                                    changed += 1;
                                }
                                match out {
                                    Some(s) => builder.append_value(s),
                                    None => builder.append_null(),
                                }
                            }
                            Ok((Arc::new(builder.finish()) as ArrayRef, changed))
                        })?;
                        install(&mut table, index, results, &mut report)?;
                    }
                }
                Op::DropRows {
                    column: name,
                    matcher,
                    values,
                } => {
                    report.columns = vec![name.clone()];
                    let index = table.column(name)?;
                    let mut batches = Vec::with_capacity(table.batches.len());
                    for batch in &table.batches {
                        let array = text_arrays(batch, index)?;
                        let keep: BooleanArray = (0..array.len())
                            .map(|i| {
                                if array.is_null(i) {
                                    return Some(true);
                                }
                                let v = array.value(i);
                                let hit = matcher.as_ref().is_some_and(|m| m.is_match(v))
                                    || values.iter().any(|x| x == v);
                                Some(!hit)
                            })
                            .collect();
                        let dropped = keep.iter().filter(|k| *k == Some(false)).count();
                        report.dropped += dropped;
                        batches.push(
                            arrow_select::filter::filter_record_batch(batch, &keep)
                                .map_err(|e| DeidError::Input(e.to_string()))?,
                        );
                    }
                    table.batches = batches;
                }
                Op::Shuffle {
                    columns,
                    group_by,
                    seed,
                } => {
                    report.columns = columns.clone();
                    report.changed = shuffle(&mut table, columns, group_by, *seed)?;
                }
                Op::ShiftDate {
                    columns,
                    entity,
                    max_days,
                    key,
                } => {
                    report.columns = columns.clone();
                    let entity_index = table.column(entity)?;
                    // Each record's shift, once for all its date columns.
                    let span = u64::try_from(2 * max_days + 1).unwrap_or(1);
                    let shifts = parallel_map(&table.batches, |_, batch| {
                        let entities = text_arrays(batch, entity_index)?;
                        Ok((0..entities.len())
                            .map(|i| {
                                let who = if entities.is_null(i) {
                                    ""
                                } else {
                                    entities.value(i)
                                };
                                i64::try_from(seed_of(key, who) % span).unwrap_or(0) - max_days
                            })
                            .collect::<Vec<i64>>())
                    })?;
                    for name in columns {
                        let index = table.column(name)?;
                        let offsets = batch_offsets(&table, first_row);
                        let results = parallel_map(&table.batches, |bi, batch| {
                            let array = text_arrays(batch, index)?;
                            let batch_shifts = shifts.get(bi).map_or(&[][..], Vec::as_slice);
                            let mut builder =
                                StringBuilder::with_capacity(array.len(), array.value_data().len());
                            let mut changed = 0;
                            for i in 0..array.len() {
                                if array.is_null(i) {
                                    builder.append_null();
                                    continue;
                                }
                                let v = array.value(i);
                                let shift = batch_shifts.get(i).copied().unwrap_or(0);
                                let d = parse_date(v).ok_or_else(|| {
                                    record_error(
                                        step,
                                        name,
                                        offsets.get(bi).copied().unwrap_or(0) + i,
                                        "not a date (YYYY-MM-DD, YYYY/MM/DD or MM/DD/YYYY)",
                                    )
                                })?;
                                let shifted = d
                                    .date
                                    .checked_add(time::Duration::days(shift))
                                    .filter(|s| (1..=9999).contains(&s.year()))
                                    .ok_or_else(|| {
                                        record_error(
                                            step,
                                            name,
                                            offsets.get(bi).copied().unwrap_or(0) + i,
                                            "the shifted date leaves the years 1 to 9999",
                                        )
                                    })?;
                                let out = format_date(&d, shifted);
                                if out != v {
                                    changed += 1;
                                }
                                builder.append_value(out);
                            }
                            Ok((Arc::new(builder.finish()) as ArrayRef, changed))
                        })?;
                        install(&mut table, index, results, &mut report)?;
                    }
                }
                Op::Tokenize { columns, how } => {
                    report.columns = columns.clone();
                    let vault = vault
                        .as_deref_mut()
                        .ok_or_else(|| step.error("needs a token vault (--vault)"))?;
                    for name in columns {
                        vault
                            .register(name, how.clone())
                            .map_err(|e| step.error(e))?;
                        let index = table.column(name)?;
                        let mut batches = Vec::with_capacity(table.batches.len());
                        let mut row = first_row;
                        for batch in &table.batches {
                            let array = text_arrays(batch, index)?;
                            let mut builder =
                                StringBuilder::with_capacity(array.len(), array.value_data().len());
                            // One token per distinct value in a batch.
                            let mut seen: HashMap<&str, String> = HashMap::new();
                            for i in 0..array.len() {
                                if array.is_null(i) {
                                    builder.append_null();
                                    continue;
                                }
                                let v = array.value(i);
                                let token = match seen.get(v) {
                                    Some(t) => t.clone(),
                                    None => {
                                        let t = vault.tokenize(name, v).map_err(|e| {
                                            record_error(step, name, row + i, &e.to_string())
                                        })?;
                                        seen.insert(v, t.clone());
                                        t
                                    }
                                };
                                report.changed += 1;
                                builder.append_value(token);
                            }
                            row += array.len();
                            batches.push(replace_column(batch, index, Arc::new(builder.finish()))?);
                        }
                        table.batches = batches;
                    }
                }
            }
            report.seconds = started.elapsed().as_secs_f64();
            reports.push(report);
        }
        Ok((table, reports))
    }
}

/// Applies `f` to every PII span of `types` (REDACT_PII: `[TYPE]`); the
/// rest of the text stays.
fn apply_spans(
    detector: &Detector,
    column: mlguard_pii::ColumnContext,
    types: &[PiiType],
    f: &ValueFn,
    v: &str,
    rng: &mut BufferedRandom,
) -> Result<Option<String>, String> {
    let findings = detector.detect_in(v, column);
    let mut out = String::with_capacity(v.len());
    let mut at = 0usize;
    for finding in findings {
        let Some(t) = finding.pii_type() else {
            continue;
        };
        if !(types.is_empty() || types.contains(&t)) || finding.start < at {
            continue;
        }
        let (Some(before), Some(span)) =
            (v.get(at..finding.start), v.get(finding.start..finding.end))
        else {
            continue;
        };
        out.push_str(before);
        match f {
            ValueFn::RedactPii => {
                out.push('[');
                out.push_str(t.as_str());
                out.push(']');
            }
            other => out.push_str(&other.apply(span, rng)?.unwrap_or_default()),
        }
        at = finding.end;
    }
    out.push_str(v.get(at..).unwrap_or_default());
    Ok(Some(out))
}

fn record_error(step: &Step, column: &str, row: usize, message: &str) -> DeidError {
    step.error(format!("record {} column {column:?}: {message}", row + 1))
}

fn batch_offsets(table: &Table, first_row: usize) -> Vec<usize> {
    let mut at = first_row;
    table
        .batches
        .iter()
        .map(|b| {
            let o = at;
            at += b.num_rows();
            o
        })
        .collect()
}

/// Puts one new array per batch into column `index`, counting changes.
fn install(
    table: &mut Table,
    index: usize,
    results: Vec<(ArrayRef, usize)>,
    report: &mut StepReport,
) -> Result<(), DeidError> {
    let mut batches = Vec::with_capacity(results.len());
    for (batch, (array, changed)) in table.batches.iter().zip(results) {
        report.changed += changed;
        batches.push(replace_column(batch, index, array)?);
    }
    table.batches = batches;
    Ok(())
}

fn replace_column(
    batch: &RecordBatch,
    index: usize,
    array: ArrayRef,
) -> Result<RecordBatch, DeidError> {
    let mut columns = batch.columns().to_vec();
    let slot = columns
        .get_mut(index)
        .ok_or_else(|| DeidError::Input("column index".into()))?;
    *slot = array;
    RecordBatch::try_new(batch.schema(), columns).map_err(|e| DeidError::Input(e.to_string()))
}

/// Maps batches on every core, keeping order.
fn parallel_map<T: Send, F>(batches: &[RecordBatch], f: F) -> Result<Vec<T>, DeidError>
where
    F: Fn(usize, &RecordBatch) -> Result<T, DeidError> + Sync,
{
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(batches.len())
        .max(1);
    if threads == 1 {
        return batches.iter().enumerate().map(|(i, b)| f(i, b)).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<std::sync::Mutex<Option<Result<T, DeidError>>>> = batches
        .iter()
        .map(|_| std::sync::Mutex::new(None))
        .collect();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(batch) = batches.get(i) else { break };
                    let r = f(i, batch);
                    if let Some(slot) = results.get(i)
                        && let Ok(mut guard) = slot.lock()
                    {
                        *guard = Some(r);
                    }
                }
            });
        }
    });
    results
        .into_iter()
        .map(|m| {
            m.into_inner()
                .ok()
                .flatten()
                .unwrap_or_else(|| Err(DeidError::Input("a worker failed".into())))
        })
        .collect()
}

/// Shuffles the rows of `columns` together, within groups of equal
/// `group_by` values (Fisher–Yates; seeded from `seed`, else the CSPRNG).
fn shuffle(
    table: &mut Table,
    columns: &[String],
    group_by: &[String],
    seed: Option<u64>,
) -> Result<usize, DeidError> {
    let n = table.rows();
    let group_indices: Vec<usize> = group_by
        .iter()
        .map(|c| table.column(c))
        .collect::<Result<_, _>>()?;
    let mut groups: HashMap<Vec<Option<String>>, Vec<usize>> = HashMap::new();
    let mut order: Vec<Vec<Option<String>>> = Vec::new();
    let mut row = 0usize;
    for batch in &table.batches {
        let arrays: Vec<&StringArray> = group_indices
            .iter()
            .map(|&i| text_arrays(batch, i))
            .collect::<Result<_, _>>()?;
        for i in 0..batch.num_rows() {
            let key: Vec<Option<String>> = arrays
                .iter()
                .map(|a| (!a.is_null(i)).then(|| a.value(i).to_string()))
                .collect();
            let entry = groups.entry(key.clone()).or_insert_with(|| {
                order.push(key);
                Vec::new()
            });
            entry.push(row);
            row += 1;
        }
    }
    let state = match seed {
        Some(s) => s,
        None => {
            let mut b = [0u8; 8];
            BufferedRandom::default()
                .fill(&mut b)
                .map_err(|e| DeidError::Input(e.to_string()))?;
            u64::from_le_bytes(b)
        }
    };
    let mut bits = fake::Bits(state);
    let mut next = move || bits.next();
    // source[r] = the row whose values row r receives.
    let mut source: Vec<usize> = (0..n).collect();
    for key in &order {
        let Some(rows) = groups.get(key) else {
            continue;
        };
        let mut perm = rows.clone();
        for i in (1..perm.len()).rev() {
            let j = usize::try_from(next() % (i as u64 + 1)).unwrap_or(0);
            perm.swap(i, j);
        }
        for (dst, src) in rows.iter().zip(perm) {
            if let Some(slot) = source.get_mut(*dst) {
                *slot = src;
            }
        }
    }
    let moved = source.iter().enumerate().filter(|(i, s)| i != *s).count();
    for name in columns {
        let index = table.column(name)?;
        let all: Vec<Option<&str>> = table
            .batches
            .iter()
            .map(|b| text_arrays(b, index))
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .flat_map(|a| a.iter())
            .collect();
        let mut at = 0usize;
        let mut batches = Vec::with_capacity(table.batches.len());
        for batch in &table.batches {
            let values: StringArray = (at..at + batch.num_rows())
                .map(|r| source.get(r).and_then(|&s| all.get(s).copied().flatten()))
                .collect();
            at += batch.num_rows();
            batches.push(replace_column(batch, index, Arc::new(values))?);
        }
        table.batches = batches;
    }
    Ok(moved * columns.len())
}
