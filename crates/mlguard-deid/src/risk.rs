//! Re-identification risk of a table under the prosecutor, journalist and
//! marketer attacker models, with k-anonymity, distinct l-diversity and
//! t-closeness, as ARX and the literature define them.
//!
//! Records with equal quasi-identifier values form an *equivalence class*;
//! `k` is the smallest class. An attacker who knows a target is in the data
//! (prosecutor) re-identifies a record of a class of size `f` with
//! probability `1/f`; the share of records whose risk exceeds a threshold is
//! what a release policy bounds. The journalist model needs the population the
//! sample was drawn from; without one the sample is taken as its population
//! and the journalist's risks equal the prosecutor's (ARX does the same when
//! no population model is given). The marketer, who re-identifies as many
//! records as possible, succeeds on `classes / records` of them on average.
//!
//! Nulls are a value of their own (a missing ZIP code groups with the other
//! missing ones, as a generalized `*` would).

use std::collections::HashMap;

use crate::DeidError;
use crate::table::Table;

/// How a class's sensitive values differ from the table's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Distance {
    /// Categorical values: every two values are at distance 1 (half the L1
    /// distance of the distributions).
    Equal,
    /// Numbers: the earth mover's distance over the sorted distinct values.
    Ordered,
}

/// The measurement.
#[derive(Debug, Clone, PartialEq)]
pub struct Risk {
    pub records: usize,
    pub quasi_identifiers: Vec<String>,
    pub classes: usize,
    /// The smallest class: the table is k-anonymous for this k.
    pub k: usize,
    pub average_class_size: f64,
    /// Records in classes of size 1, 2, 3–5, 6–10, 11–100, over 100.
    pub class_size_histogram: [usize; 6],
    /// The prosecutor's highest risk, 1/k.
    pub highest_risk: f64,
    /// The prosecutor's average risk over records, classes/records.
    pub average_risk: f64,
    pub threshold: f64,
    /// Records whose risk 1/|class| exceeds `threshold`.
    pub records_at_risk: usize,
    pub share_at_risk: f64,
    /// The marketer's expected share of records re-identified.
    pub marketer_risk: f64,
    pub sensitive: Option<Sensitive>,
}

/// What the sensitive attribute's distribution within classes shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Sensitive {
    pub column: String,
    /// Distinct l-diversity: the fewest distinct sensitive values in a class.
    pub distinct_l: usize,
    /// t-closeness: the largest distance between a class's distribution of
    /// sensitive values and the table's.
    pub t: f64,
    pub distance: Distance,
}

/// Dictionary codes of one column's values over every batch (null is 0).
fn encode(table: &Table, column: usize) -> Result<(Vec<u32>, Vec<Option<String>>), DeidError> {
    let mut ids: HashMap<&str, u32> = HashMap::new();
    let mut values: Vec<Option<String>> = vec![None];
    let mut codes = Vec::with_capacity(table.rows());
    for array in table.text_column(column)? {
        for v in array.iter() {
            let code = match v {
                None => 0,
                Some(s) => {
                    if let Some(&c) = ids.get(s) {
                        c
                    } else {
                        let c = u32::try_from(values.len())
                            .map_err(|_| DeidError::Input("too many distinct values".into()))?;
                        ids.insert(s, c);
                        values.push(Some(s.to_owned()));
                        c
                    }
                }
            };
            codes.push(code);
        }
    }
    Ok((codes, values))
}

/// The equivalence class of every record (classes numbered in order of
/// first appearance) and the number of classes.
pub fn classes(table: &Table, quasi_identifiers: &[usize]) -> Result<(Vec<u32>, usize), DeidError> {
    let n = table.rows();
    let columns: Vec<Vec<u32>> = quasi_identifiers
        .iter()
        .map(|&c| encode(table, c).map(|(codes, _)| codes))
        .collect::<Result<_, _>>()?;
    let width = columns.len();
    let mut keys = vec![0u32; n * width];
    for (j, col) in columns.iter().enumerate() {
        for (i, &code) in col.iter().enumerate() {
            if let Some(slot) = keys.get_mut(i * width + j) {
                *slot = code;
            }
        }
    }
    let mut class_of_key: HashMap<&[u32], u32> = HashMap::new();
    let mut class = Vec::with_capacity(n);
    for i in 0..n {
        let key = keys.get(i * width..(i + 1) * width).unwrap_or_default();
        let next = u32::try_from(class_of_key.len())
            .map_err(|_| DeidError::Input("too many classes".into()))?;
        class.push(*class_of_key.entry(key).or_insert(next));
    }
    Ok((class, class_of_key.len()))
}

/// Measures `table` for these quasi-identifiers (and sensitive attribute).
pub fn measure(
    table: &Table,
    quasi_identifiers: &[&str],
    sensitive: Option<&str>,
    threshold: f64,
) -> Result<Risk, DeidError> {
    if quasi_identifiers.is_empty() {
        return Err(DeidError::Input(
            "name at least one quasi-identifier".into(),
        ));
    }
    if !(threshold > 0.0 && threshold <= 1.0) {
        return Err(DeidError::Input(
            "the risk threshold is a probability in (0, 1]".into(),
        ));
    }
    let qi: Vec<usize> = quasi_identifiers
        .iter()
        .map(|q| table.column(q))
        .collect::<Result<_, _>>()?;
    let records = table.rows();
    if records == 0 {
        return Err(DeidError::Input("the table has no records".into()));
    }
    let (class, count) = classes(table, &qi)?;
    let mut size = vec![0usize; count];
    for &c in &class {
        if let Some(s) = size.get_mut(c as usize) {
            *s += 1;
        }
    }
    let k = size.iter().copied().min().unwrap_or(0);
    let mut histogram = [0usize; 6];
    let mut at_risk = 0;
    for &s in &size {
        let bucket = match s {
            1 => 0,
            2 => 1,
            3..=5 => 2,
            6..=10 => 3,
            11..=100 => 4,
            _ => 5,
        };
        if let Some(h) = histogram.get_mut(bucket) {
            *h += s;
        }
        #[expect(clippy::cast_precision_loss, reason = "class sizes are far below 2^52")]
        if 1.0 / (s as f64) > threshold {
            at_risk += s;
        }
    }
    let sensitive = match sensitive {
        None => None,
        Some(name) => Some(diversity(table, name, &class, &size)?),
    };
    #[expect(clippy::cast_precision_loss, reason = "counts far below 2^52")]
    let (n, c, kf) = (records as f64, count as f64, k as f64);
    Ok(Risk {
        records,
        quasi_identifiers: quasi_identifiers.iter().map(|s| (*s).to_owned()).collect(),
        classes: count,
        k,
        average_class_size: n / c,
        class_size_histogram: histogram,
        highest_risk: 1.0 / kf,
        average_risk: c / n,
        threshold,
        records_at_risk: at_risk,
        #[expect(clippy::cast_precision_loss, reason = "counts far below 2^52")]
        share_at_risk: at_risk as f64 / n,
        marketer_risk: c / n,
        sensitive,
    })
}

fn diversity(
    table: &Table,
    name: &str,
    class: &[u32],
    size: &[usize],
) -> Result<Sensitive, DeidError> {
    let column = table.column(name)?;
    let (codes, values) = encode(table, column)?;
    let distinct = values.len();
    // Numbers (every non-null value parses) are ordered; anything else is
    // categorical.
    let numbers: Option<Vec<f64>> = values
        .iter()
        .skip(1)
        .map(|v| v.as_deref().and_then(|s| s.trim().parse::<f64>().ok()))
        .collect();
    let (distance, order): (Distance, Vec<usize>) = match numbers {
        Some(nums) if !nums.is_empty() && !codes.contains(&0) => {
            // Codes 1.. in ascending numeric order.
            let mut idx: Vec<usize> = (1..distinct).collect();
            idx.sort_by(|a, b| {
                let x = nums.get(a - 1).copied().unwrap_or(0.0);
                let y = nums.get(b - 1).copied().unwrap_or(0.0);
                x.total_cmp(&y)
            });
            (Distance::Ordered, idx)
        }
        _ => (Distance::Equal, (0..distinct).collect()),
    };
    // counts[class][value]
    let classes = size.len();
    let mut counts = vec![0u32; classes * distinct];
    let mut overall = vec![0u64; distinct];
    for (&c, &v) in class.iter().zip(&codes) {
        if let Some(x) = counts.get_mut(c as usize * distinct + v as usize) {
            *x += 1;
        }
        if let Some(x) = overall.get_mut(v as usize) {
            *x += 1;
        }
    }
    #[expect(clippy::cast_precision_loss, reason = "counts far below 2^52")]
    let n = class.len() as f64;
    let mut distinct_l = usize::MAX;
    let mut t: f64 = 0.0;
    for (c, &s) in size.iter().enumerate() {
        let row = counts
            .get(c * distinct..(c + 1) * distinct)
            .unwrap_or_default();
        distinct_l = distinct_l.min(row.iter().filter(|&&x| x > 0).count());
        #[expect(clippy::cast_precision_loss, reason = "counts far below 2^52")]
        let sf = s as f64;
        // The table's and the class's share of value `v`.
        let shares = |v: usize| {
            #[expect(clippy::cast_precision_loss, reason = "counts far below 2^52")]
            let p = overall.get(v).copied().unwrap_or(0) as f64 / n;
            (p, f64::from(row.get(v).copied().unwrap_or(0)) / sf)
        };
        let d = match distance {
            Distance::Equal => {
                0.5 * order
                    .iter()
                    .map(|&v| {
                        let (p, q) = shares(v);
                        (p - q).abs()
                    })
                    .sum::<f64>()
            }
            Distance::Ordered => {
                let m = order.len();
                if m < 2 {
                    0.0
                } else {
                    let mut cumulative = 0.0;
                    let mut total = 0.0;
                    for &v in &order {
                        let (p, q) = shares(v);
                        cumulative += q - p;
                        total += f64::abs(cumulative);
                    }
                    #[expect(clippy::cast_precision_loss, reason = "value counts far below 2^52")]
                    let steps = (m - 1) as f64;
                    total / steps
                }
            }
        };
        t = t.max(d);
    }
    Ok(Sensitive {
        column: name.to_owned(),
        distinct_l: if distinct_l == usize::MAX {
            0
        } else {
            distinct_l
        },
        t,
        distance,
    })
}
