//! k-anonymity enforcement: hierarchy-based full-domain generalization and
//! Mondrian partitioning, with a suppression limit and information loss.
//!
//! **Full-domain generalization** (global recoding) picks one level of its
//! hierarchy for every quasi-identifier — a node of the generalization
//! lattice — and replaces every value by its generalization on that level.
//! Records in classes smaller than `k` (or with fewer than `l` distinct
//! sensitive values) are suppressed, as long as they are at most the
//! suppression limit's share of the table. The search returns the node of
//! lowest loss (ARX's "Loss", below) among all that qualify: nodes are
//! visited in the order of a lower bound of their loss (their loss as if no
//! record were suppressed, which only grows with generalization), so the
//! search stops at the first node whose bound is not below the best loss
//! found; a node found not to qualify marks all its specializations as not
//! qualifying (with suppression too: merging classes never makes a record
//! of a qualifying class suppressed), as ARX's Flash and OLA do.
//!
//! **Mondrian** (LeFevre, DeWitt and Ramakrishnan, ICDE 2006) partitions the
//! records top-down: numbers are cut near the median (the allowable cut
//! closest to it), categories along their hierarchy (a partition's values
//! generalized to their lowest common ancestor are split into its children's
//! subtrees); the dimension of widest normalized range is tried first, and a
//! partition stays whole when no split keeps every part at least `k` records
//! (and `l`-diverse). With a suppression limit, partitions may then peel off
//! fewer than `k` records (suppressed) where that lowers the loss.
//!
//! **Loss** is ARX's default quality model ("Loss", `MetricMDNMLoss` with its
//! default factors): for each quasi-identifier, the mean over records of
//! `(leaves under the output value − 1) / (leaves − 1)` (Iyengar's loss; a
//! suppressed record counts 1; for a numeric range in Mondrian
//! `(hi − lo) / (max − min)`), and the attributes' losses combined by ARX's
//! default geometric mean, `∏(1 + lossᵢ)^(1/d) − 1`. Discernibility is
//! `Σ |class|²` over classes kept plus `|table|` for every suppressed record;
//! the average class size is records over classes, the suppressed records
//! counting as one class (both as ARX computes them).

use std::collections::{BinaryHeap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use arrow_array::{Array, ArrayRef, RecordBatch, StringArray};

use crate::DeidError;
use crate::hierarchy::Hierarchy;
use crate::table::Table;

/// Largest generalization lattice searched.
const MAX_LATTICE: usize = 1 << 24;

/// Class lists kept for rolling up.
const CACHE: usize = 16;

/// A lattice node's state in the search.
const UNKNOWN: u8 = 0;
const FAILS: u8 = 1;
const QUALIFIES: u8 = 2;

/// How a quasi-identifier's values are generalized by Mondrian.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Along its hierarchy.
    Categorical,
    /// In ranges `lo-hi` of numbers (full-domain generalization uses the
    /// hierarchy, e.g. [`Hierarchy::intervals`]).
    Numeric,
}

/// A quasi-identifier: its column, kind and hierarchy.
#[derive(Debug, Clone)]
pub struct QuasiIdentifier {
    pub column: String,
    pub kind: Kind,
    /// Required for full-domain generalization and for categorical columns;
    /// for a numeric column in Mondrian, only its leaves' range is used (the
    /// domain of the loss; the data's range without one).
    pub hierarchy: Option<Hierarchy>,
}

impl QuasiIdentifier {
    #[must_use]
    pub fn categorical(column: &str, hierarchy: Hierarchy) -> Self {
        Self {
            column: column.to_owned(),
            kind: Kind::Categorical,
            hierarchy: Some(hierarchy),
        }
    }

    #[must_use]
    pub fn numeric(column: &str, hierarchy: Option<Hierarchy>) -> Self {
        Self {
            column: column.to_owned(),
            kind: Kind::Numeric,
            hierarchy,
        }
    }
}

/// Distinct l-diversity of a sensitive column within every class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diversity {
    pub column: String,
    pub l: usize,
}

/// What to enforce.
#[derive(Debug, Clone)]
pub struct Spec {
    pub quasi_identifiers: Vec<QuasiIdentifier>,
    pub k: usize,
    pub diversity: Option<Diversity>,
    /// The largest share of records that may be suppressed, in [0, 1]
    /// (ARX: at most `⌊limit · records⌋`).
    pub suppression_limit: f64,
    /// Drop suppressed records from the output instead of writing `*` in
    /// their quasi-identifiers.
    pub drop_suppressed: bool,
}

impl Spec {
    /// k-anonymity without suppression or l-diversity.
    #[must_use]
    pub fn new(quasi_identifiers: Vec<QuasiIdentifier>, k: usize) -> Self {
        Self {
            quasi_identifiers,
            k,
            diversity: None,
            suppression_limit: 0.0,
            drop_suppressed: false,
        }
    }
}

/// Information loss of an output.
#[derive(Debug, Clone, PartialEq)]
pub struct Loss {
    /// ARX's "Loss": the attributes' losses by geometric mean, in [0, 1].
    pub loss: f64,
    /// The attributes' losses by arithmetic mean.
    pub loss_arithmetic: f64,
    /// Each quasi-identifier's loss, in the spec's order.
    pub per_attribute: Vec<f64>,
    /// `Σ |class|²` over classes kept, plus `records` per suppressed record.
    pub discernibility: u128,
    /// Records over classes, the suppressed records one class.
    pub average_class_size: f64,
    /// Classes kept (suppressed records not counted).
    pub classes: usize,
    /// Records suppressed.
    pub suppressed: usize,
}

/// A transformed table and what it cost.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Same schema; quasi-identifiers generalized, suppressed records `*`
    /// (or dropped, as the spec asks).
    pub table: Table,
    /// Full-domain: the chosen level of each quasi-identifier.
    pub levels: Option<Vec<usize>>,
    pub loss: Loss,
    /// Full-domain: lattice nodes whose classes were computed.
    pub nodes_evaluated: usize,
}

// ---------------------------------------------------------------------------
// Shared preparation.

/// A multiplicative hasher for integer keys (folded 128-bit product).
#[derive(Default, Clone, Copy)]
struct IntHasher(u64);

impl Hasher for IntHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u64(&mut self, v: u64) {
        let m = u128::from(v ^ self.0).wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835);
        self.0 = (m as u64) ^ ((m >> 64) as u64);
    }
    fn write_u32(&mut self, v: u32) {
        self.write_u64(u64::from(v));
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

type IntMap<K, V> = HashMap<K, V, BuildHasherDefault<IntHasher>>;

fn err<T>(message: String) -> Result<T, DeidError> {
    Err(DeidError::Input(message))
}

/// The checked spec and the table's columns.
struct Prepared<'t> {
    records: usize,
    columns: Vec<usize>,
    /// Text of each quasi-identifier, per record (null as `None`).
    texts: Vec<Vec<Option<&'t str>>>,
    /// Sensitive value codes per record, with the l to reach.
    sensitive: Option<(Vec<u32>, usize)>,
    max_suppressed: usize,
}

fn prepare<'t>(table: &'t Table, spec: &Spec) -> Result<Prepared<'t>, DeidError> {
    if spec.quasi_identifiers.is_empty() {
        return err("name at least one quasi-identifier".into());
    }
    if spec.k == 0 {
        return err("k must be at least 1".into());
    }
    let records = table.rows();
    if records == 0 {
        return err("the table has no records".into());
    }
    if spec.k > records {
        return err(format!(
            "k = {} is more than the table's {records} records",
            spec.k
        ));
    }
    let limit = spec.suppression_limit;
    if !(0.0..=1.0).contains(&limit) {
        return err(format!(
            "the suppression limit {limit} is not a share in [0, 1]"
        ));
    }
    let mut columns = Vec::with_capacity(spec.quasi_identifiers.len());
    let mut texts = Vec::with_capacity(spec.quasi_identifiers.len());
    for q in &spec.quasi_identifiers {
        let c = table.column(&q.column)?;
        if columns.contains(&c) {
            return err(format!("quasi-identifier {:?} is named twice", q.column));
        }
        columns.push(c);
        texts.push(column_text(table, c)?);
    }
    let sensitive = match &spec.diversity {
        None => None,
        Some(d) => {
            let c = table.column(&d.column)?;
            if columns.contains(&c) {
                return err(format!(
                    "the sensitive column {:?} is also a quasi-identifier",
                    d.column
                ));
            }
            if d.l == 0 {
                return err("l must be at least 1".into());
            }
            let mut ids: HashMap<Option<&str>, u32> = HashMap::new();
            let mut codes = Vec::with_capacity(records);
            for v in column_text(table, c)? {
                let next = u32::try_from(ids.len()).unwrap_or(u32::MAX);
                codes.push(*ids.entry(v).or_insert(next));
            }
            if d.l > ids.len() {
                return err(format!(
                    "l = {} but {:?} has only {} distinct values",
                    d.l,
                    d.column,
                    ids.len()
                ));
            }
            Some((codes, d.l))
        }
    };
    // ARX: ⌊limit · records⌋. The product is exact enough: records < 2^53.
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let max_suppressed = ((limit * records as f64).floor() as usize).min(records);
    Ok(Prepared {
        records,
        columns,
        texts,
        sensitive,
        max_suppressed,
    })
}

fn column_text(table: &Table, column: usize) -> Result<Vec<Option<&str>>, DeidError> {
    Ok(table
        .text_column(column)?
        .into_iter()
        .flat_map(|a| a.iter())
        .collect())
}

/// Each record's leaf in a hierarchy; an error names a value it lacks.
fn leaves_of(
    name: &str,
    hierarchy: &Hierarchy,
    texts: &[Option<&str>],
) -> Result<Vec<u32>, DeidError> {
    texts
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let Some(v) = v else {
                return err(format!(
                    "{name:?}: record {} is empty (null), which its hierarchy does not hold",
                    i + 1
                ));
            };
            match hierarchy.leaf(v) {
                Some(l) => Ok(u32::try_from(l).unwrap_or(u32::MAX)),
                // The value itself is not repeated: errors never carry data.
                None => err(format!(
                    "{name:?}: the value of record {} is not in its hierarchy",
                    i + 1
                )),
            }
        })
        .collect()
}

/// Normalized loss of a value covering `leaves` of `domain`.
#[allow(clippy::cast_precision_loss)]
fn share_loss(leaves: usize, domain: usize) -> f64 {
    if domain <= 1 {
        0.0
    } else {
        (leaves.saturating_sub(1)) as f64 / (domain - 1) as f64
    }
}

/// ARX's default aggregate: the geometric mean of `1 + loss`, minus 1.
#[allow(clippy::cast_precision_loss)]
fn geometric(per_attribute: &[f64]) -> f64 {
    let d = per_attribute.len().max(1) as f64;
    per_attribute
        .iter()
        .map(|v| (1.0 + v).powf(1.0 / d))
        .product::<f64>()
        - 1.0
}

#[allow(clippy::cast_precision_loss)]
fn arithmetic(per_attribute: &[f64]) -> f64 {
    per_attribute.iter().sum::<f64>() / per_attribute.len().max(1) as f64
}

/// Loss figures from per-attribute sums of loss over records, the kept
/// classes' sizes and the number suppressed.
#[allow(clippy::cast_precision_loss)]
fn summarize(
    records: usize,
    per_attribute_sum: Vec<f64>,
    kept_sizes: impl Iterator<Item = usize>,
    suppressed: usize,
) -> Loss {
    let n = records as f64;
    let per_attribute: Vec<f64> = per_attribute_sum.into_iter().map(|s| s / n).collect();
    let mut classes = 0usize;
    let mut discernibility = 0u128;
    for s in kept_sizes {
        classes += 1;
        discernibility += (s as u128) * (s as u128);
    }
    discernibility += (suppressed as u128) * (records as u128);
    let groups = classes + usize::from(suppressed > 0);
    Loss {
        loss: geometric(&per_attribute),
        loss_arithmetic: arithmetic(&per_attribute),
        per_attribute,
        discernibility,
        average_class_size: n / groups.max(1) as f64,
        classes,
        suppressed,
    }
}

/// The output table: `label(record, qi)` gives a kept record's value, and
/// `suppressed(record)` says whether it is suppressed.
fn write_table<'a>(
    table: &Table,
    columns: &[usize],
    suppressed: &[bool],
    drop_suppressed: bool,
    label: impl Fn(usize, usize) -> &'a str,
) -> Result<Table, DeidError> {
    let mut batches = Vec::with_capacity(table.batches.len());
    let mut offset = 0usize;
    for batch in &table.batches {
        let rows = batch.num_rows();
        let keep: Vec<usize> = (offset..offset + rows)
            .filter(|&r| !(drop_suppressed && suppressed.get(r).copied().unwrap_or(false)))
            .collect();
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(batch.num_columns());
        for (c, array) in batch.columns().iter().enumerate() {
            if let Some(q) = columns.iter().position(|&x| x == c) {
                let values: Vec<&str> = keep
                    .iter()
                    .map(|&r| {
                        if suppressed.get(r).copied().unwrap_or(false) {
                            "*"
                        } else {
                            label(r, q)
                        }
                    })
                    .collect();
                arrays.push(Arc::new(StringArray::from(values)));
            } else if keep.len() == rows {
                arrays.push(array.clone());
            } else {
                let text = array
                    .as_any()
                    .downcast_ref::<StringArray>()
                    .ok_or_else(|| {
                        DeidError::Input(format!(
                            "column {} is {}, not text",
                            table.schema.field(c).name(),
                            array.data_type()
                        ))
                    })?;
                let values: Vec<Option<&str>> = keep
                    .iter()
                    .map(|&r| {
                        let i = r - offset;
                        if text.is_null(i) {
                            None
                        } else {
                            Some(text.value(i))
                        }
                    })
                    .collect();
                arrays.push(Arc::new(StringArray::from(values)));
            }
        }
        if !keep.is_empty() || !drop_suppressed {
            batches.push(
                RecordBatch::try_new(table.schema.clone(), arrays)
                    .map_err(|e| DeidError::Input(e.to_string()))?,
            );
        }
        offset += rows;
    }
    Ok(Table {
        schema: table.schema.clone(),
        batches,
    })
}

/// Counts distinct sensitive values in sets of records.
struct DistinctCounter {
    stamp: Vec<u32>,
    epoch: u32,
}

impl DistinctCounter {
    fn new(values: usize) -> Self {
        Self {
            stamp: vec![0; values],
            epoch: 0,
        }
    }

    /// Whether `codes` holds at least `l` distinct values.
    fn at_least(&mut self, codes: impl Iterator<Item = u32>, l: usize) -> bool {
        if l <= 1 {
            return true;
        }
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            self.stamp.iter_mut().for_each(|s| *s = 0);
            self.epoch = 1;
        }
        let mut seen = 0usize;
        for c in codes {
            if let Some(s) = self.stamp.get_mut(c as usize)
                && *s != self.epoch
            {
                *s = self.epoch;
                seen += 1;
                if seen >= l {
                    return true;
                }
            }
        }
        false
    }
}

// ---------------------------------------------------------------------------
// Full-domain generalization.

/// The distinct combinations of leaves (and sensitive value), with counts.
struct Tuples {
    /// `leaves[qi][tuple]`.
    leaves: Vec<Vec<u32>>,
    count: Vec<u32>,
    /// Sensitive code per tuple (empty without l-diversity).
    sensitive: Vec<u32>,
}

impl Tuples {
    fn len(&self) -> usize {
        self.count.len()
    }
}

/// Reusable buffers of a node's grouping.
#[derive(Default)]
struct Scratch {
    keys: Vec<u64>,
    map: IntMap<u64, u32>,
    class_of: Vec<u32>,
    sizes: Vec<u32>,
    pairs: Vec<u64>,
    ok: Vec<bool>,
}

/// The lattice and the per-level tables of every quasi-identifier.
struct Search<'h> {
    hierarchies: Vec<&'h Hierarchy>,
    heights: Vec<usize>,
    strides: Vec<usize>,
    size: usize,
    /// `bits[qi][level]`: bits of a label id on that level.
    bits: Vec<Vec<u32>>,
    /// `bound[qi][level]`: the attribute's loss at that level, nothing
    /// suppressed.
    bound: Vec<Vec<f64>>,
    /// `leaf_loss[qi][level][leaf]`: normalized loss of the leaf's label.
    leaf_loss: Vec<Vec<Vec<f64>>>,
    k: usize,
    l: usize,
    max_suppressed: usize,
    records: usize,
}

/// What a node's classes give.
struct NodeResult {
    qualifies: bool,
    per_attribute_sum: Vec<f64>,
}

impl Search<'_> {
    fn levels(&self, node: usize) -> Vec<usize> {
        self.strides
            .iter()
            .zip(&self.heights)
            .map(|(&s, &h)| (node / s) % h)
            .collect()
    }

    /// Groups tuples by their labels at `levels`: fills `class_of` and
    /// `sizes` (weighted by count).
    fn group(&self, tuples: &Tuples, levels: &[usize], s: &mut Scratch) {
        let n = tuples.len();
        let total_bits: u32 = self
            .bits
            .iter()
            .zip(levels)
            .map(|(b, &l)| b.get(l).copied().unwrap_or(32))
            .sum();
        s.keys.clear();
        s.keys.resize(n, 0);
        s.map.clear();
        s.class_of.clear();
        s.sizes.clear();
        if total_bits <= 64 {
            let mut shift = 0u32;
            for ((h, column), (&level, bits)) in self
                .hierarchies
                .iter()
                .zip(&tuples.leaves)
                .zip(levels.iter().zip(&self.bits))
            {
                let table = h.level_table(level).unwrap_or_default();
                for (key, &leaf) in s.keys.iter_mut().zip(column) {
                    let id = table.get(leaf as usize).copied().unwrap_or(0);
                    *key |= u64::from(id).checked_shl(shift).unwrap_or(0);
                }
                shift += bits.get(level).copied().unwrap_or(0);
            }
            for (&key, &count) in s.keys.iter().zip(&tuples.count) {
                let next = u32::try_from(s.sizes.len()).unwrap_or(u32::MAX);
                let class = *s.map.entry(key).or_insert(next);
                if class == next {
                    s.sizes.push(0);
                }
                if let Some(size) = s.sizes.get_mut(class as usize) {
                    *size += count;
                }
                s.class_of.push(class);
            }
        } else {
            // Too wide to pack: combine one attribute at a time, renumbering
            // the combinations densely after each.
            let mut ids: Vec<u32> = vec![0; n];
            for ((h, column), &level) in self.hierarchies.iter().zip(&tuples.leaves).zip(levels) {
                let table = h.level_table(level).unwrap_or_default();
                s.map.clear();
                for (id, &leaf) in ids.iter_mut().zip(column) {
                    let label = table.get(leaf as usize).copied().unwrap_or(0);
                    let key = (u64::from(*id) << 32) | u64::from(label);
                    let next = u32::try_from(s.map.len()).unwrap_or(u32::MAX);
                    *id = *s.map.entry(key).or_insert(next);
                }
            }
            let classes = s.map.len();
            s.sizes.resize(classes, 0);
            for (&id, &count) in ids.iter().zip(&tuples.count) {
                if let Some(size) = s.sizes.get_mut(id as usize) {
                    *size += count;
                }
            }
            s.class_of = ids;
        }
    }

    /// Which classes are kept: at least k records and l distinct values.
    fn judge(&self, tuples: &Tuples, s: &mut Scratch) -> usize {
        let k = u32::try_from(self.k).unwrap_or(u32::MAX);
        s.ok.clear();
        s.ok.extend(s.sizes.iter().map(|&size| size >= k));
        if self.l > 1 {
            s.pairs.clear();
            s.pairs.extend(
                s.class_of
                    .iter()
                    .zip(&tuples.sensitive)
                    .map(|(&c, &v)| (u64::from(c) << 32) | u64::from(v)),
            );
            s.pairs.sort_unstable();
            s.pairs.dedup();
            let mut distinct = vec![0usize; s.sizes.len()];
            for &p in &s.pairs {
                if let Some(d) = distinct.get_mut((p >> 32) as usize) {
                    *d += 1;
                }
            }
            for (ok, &d) in s.ok.iter_mut().zip(&distinct) {
                *ok = *ok && d >= self.l;
            }
        }
        s.sizes
            .iter()
            .zip(&s.ok)
            .filter(|&(_, &ok)| !ok)
            .map(|(&size, _)| size as usize)
            .sum()
    }

    fn evaluate(&self, tuples: &Tuples, levels: &[usize], s: &mut Scratch) -> NodeResult {
        self.group(tuples, levels, s);
        let suppressed = self.judge(tuples, s);
        if suppressed > self.max_suppressed {
            return NodeResult {
                qualifies: false,
                per_attribute_sum: Vec::new(),
            };
        }
        #[allow(clippy::cast_precision_loss)]
        let n = self.records as f64;
        let mut per_attribute_sum: Vec<f64> = self
            .bound
            .iter()
            .zip(levels)
            .map(|(b, &l)| b.get(l).copied().unwrap_or(1.0) * n)
            .collect();
        if suppressed > 0 {
            // A suppressed record's loss is 1 instead of its label's.
            for ((sum, column), (losses, &level)) in per_attribute_sum
                .iter_mut()
                .zip(&tuples.leaves)
                .zip(self.leaf_loss.iter().zip(levels))
            {
                let losses = losses.get(level).map_or(&[][..], Vec::as_slice);
                for ((&class, &leaf), &count) in s.class_of.iter().zip(column).zip(&tuples.count) {
                    if !s.ok.get(class as usize).copied().unwrap_or(true) {
                        let loss = losses.get(leaf as usize).copied().unwrap_or(0.0);
                        *sum += f64::from(count) * (1.0 - loss);
                    }
                }
            }
        }
        NodeResult {
            qualifies: true,
            per_attribute_sum,
        }
    }

    /// Marks `node` and, monotonicity says, every specialization of it
    /// ([`FAILS`]) or every generalization ([`QUALIFIES`]).
    fn tag(&self, node: usize, state: &mut [u8], value: u8) {
        let mut stack = vec![node];
        if let Some(f) = state.get_mut(node) {
            *f = value;
        }
        while let Some(x) = stack.pop() {
            for (&stride, &h) in self.strides.iter().zip(&self.heights) {
                let level = (x / stride) % h;
                let y = if value == FAILS {
                    if level == 0 {
                        continue;
                    }
                    x - stride
                } else {
                    if level + 1 >= h {
                        continue;
                    }
                    x + stride
                };
                if let Some(f) = state.get_mut(y)
                    && *f != value
                {
                    *f = value;
                    stack.push(y);
                }
            }
        }
    }

    /// A path from `node` to the top, raising at each step the attribute
    /// whose next level adds the least to the bound.
    fn chain(&self, node: usize) -> Vec<usize> {
        let mut levels = self.levels(node);
        let mut x = node;
        let mut path = vec![x];
        loop {
            let mut step: Option<(f64, usize)> = None;
            for (a, ((&l, &h), b)) in levels
                .iter()
                .zip(&self.heights)
                .zip(&self.bound)
                .enumerate()
            {
                if l + 1 < h {
                    let rise =
                        b.get(l + 1).copied().unwrap_or(1.0) - b.get(l).copied().unwrap_or(0.0);
                    if step.is_none_or(|(r, _)| rise < r) {
                        step = Some((rise, a));
                    }
                }
            }
            let Some((_, a)) = step else {
                break;
            };
            if let (Some(l), Some(&stride)) = (levels.get_mut(a), self.strides.get(a)) {
                *l += 1;
                x += stride;
            }
            path.push(x);
        }
        path
    }

    /// Evaluates a node from the smallest cached class list below it (or
    /// the distinct tuples), and caches its own classes when they are few.
    fn evaluate_cached(
        &self,
        bottom: &Tuples,
        cache: &mut Vec<(Vec<usize>, Tuples)>,
        levels: &[usize],
        s: &mut Scratch,
    ) -> NodeResult {
        let source = cache
            .iter()
            .filter(|(l, _)| l.iter().zip(levels).all(|(a, b)| a <= b))
            .min_by_key(|(_, t)| t.len())
            .map_or(bottom, |(_, t)| t);
        let r = self.evaluate(source, levels, s);
        if s.sizes.len() * 2 <= source.len() {
            let rolled = self.roll(source, s);
            cache.push((levels.to_vec(), rolled));
            if cache.len() > CACHE
                && let Some(i) = cache
                    .iter()
                    .enumerate()
                    .max_by_key(|(_, (_, t))| t.len())
                    .map(|(i, _)| i)
            {
                cache.swap_remove(i);
            }
        }
        r
    }

    /// The classes just grouped, as tuples: a representative's leaves per
    /// class (per class and sensitive value with l-diversity), and counts.
    fn roll(&self, source: &Tuples, s: &Scratch) -> Tuples {
        let mut out = Tuples {
            leaves: vec![Vec::new(); source.leaves.len()],
            count: Vec::new(),
            sensitive: Vec::new(),
        };
        let mut index: IntMap<u64, u32> = IntMap::default();
        let diverse = self.l > 1;
        for (t, &class) in s.class_of.iter().enumerate() {
            let sensitive = source.sensitive.get(t).copied().unwrap_or(0);
            let key = if diverse {
                (u64::from(class) << 32) | u64::from(sensitive)
            } else {
                u64::from(class)
            };
            let next = u32::try_from(out.count.len()).unwrap_or(u32::MAX);
            let id = *index.entry(key).or_insert(next);
            if id == next {
                for (column, from) in out.leaves.iter_mut().zip(&source.leaves) {
                    column.push(from.get(t).copied().unwrap_or(0));
                }
                if diverse {
                    out.sensitive.push(sensitive);
                }
                out.count.push(0);
            }
            if let Some(c) = out.count.get_mut(id as usize) {
                *c += source.count.get(t).copied().unwrap_or(0);
            }
        }
        out
    }

    fn node_bound(&self, node: usize) -> f64 {
        let per: Vec<f64> = self
            .bound
            .iter()
            .zip(self.levels(node))
            .map(|(b, l)| b.get(l).copied().unwrap_or(1.0))
            .collect();
        geometric(&per)
    }
}

/// Full-domain generalization of lowest loss (see the module's comment).
pub fn full_domain(table: &Table, spec: &Spec) -> Result<Outcome, DeidError> {
    let p = prepare(table, spec)?;
    let mut hierarchies = Vec::with_capacity(spec.quasi_identifiers.len());
    let mut record_leaves = Vec::with_capacity(spec.quasi_identifiers.len());
    for (q, texts) in spec.quasi_identifiers.iter().zip(&p.texts) {
        let Some(h) = &q.hierarchy else {
            return err(format!(
                "{:?}: full-domain generalization needs a hierarchy",
                q.column
            ));
        };
        record_leaves.push(leaves_of(&q.column, h, texts)?);
        hierarchies.push(h);
    }
    let heights: Vec<usize> = hierarchies.iter().map(|h| h.height()).collect();
    let mut strides = Vec::with_capacity(heights.len());
    let mut size = 1usize;
    for &h in &heights {
        strides.push(size);
        size = match size.checked_mul(h) {
            Some(s) if s <= MAX_LATTICE => s,
            _ => {
                return err(format!(
                    "the generalization lattice has more than {MAX_LATTICE} nodes; \
                     use fewer quasi-identifiers or levels, or Mondrian"
                ));
            }
        };
    }
    #[allow(clippy::cast_precision_loss)]
    let n = p.records as f64;
    let mut bits = Vec::with_capacity(hierarchies.len());
    let mut bound = Vec::with_capacity(hierarchies.len());
    let mut leaf_loss = Vec::with_capacity(hierarchies.len());
    for (h, leaves) in hierarchies.iter().zip(&record_leaves) {
        let domain = h.leaves();
        let mut per_level_bits = Vec::with_capacity(h.height());
        let mut per_level_bound = Vec::with_capacity(h.height());
        let mut per_level_loss = Vec::with_capacity(h.height());
        let mut leaf_count = vec![0u64; domain];
        for &leaf in leaves {
            if let Some(c) = leaf_count.get_mut(leaf as usize) {
                *c += 1;
            }
        }
        for level in 0..h.height() {
            let labels = u32::try_from(h.labels(level)).unwrap_or(u32::MAX);
            per_level_bits.push(32 - labels.saturating_sub(1).leading_zeros());
            let losses: Vec<f64> = (0..domain)
                .map(|leaf| {
                    let under = h
                        .label_id(leaf, level)
                        .and_then(|id| h.leaves_under_id(level, id))
                        .unwrap_or(domain);
                    share_loss(under, domain)
                })
                .collect();
            #[allow(clippy::cast_precision_loss)]
            let total: f64 = losses
                .iter()
                .zip(&leaf_count)
                .map(|(&l, &c)| l * c as f64)
                .sum();
            per_level_bound.push(total / n);
            per_level_loss.push(losses);
        }
        bits.push(per_level_bits);
        bound.push(per_level_bound);
        leaf_loss.push(per_level_loss);
    }
    let (k, l) = (spec.k, p.sensitive.as_ref().map_or(1, |s| s.1));
    let search = Search {
        hierarchies: hierarchies.clone(),
        heights,
        strides,
        size,
        bits,
        bound,
        leaf_loss,
        k,
        l,
        max_suppressed: p.max_suppressed,
        records: p.records,
    };

    // The distinct tuples (with the sensitive value when l-diversity is asked).
    let tuples = distinct_tuples(&record_leaves, p.sensitive.as_ref().map(|s| s.0.as_slice()));

    // Visit nodes by their bound.
    let bounds: Vec<f64> = (0..search.size).map(|x| search.node_bound(x)).collect();
    let mut order: Vec<usize> = (0..search.size).collect();
    order.sort_by(|&a, &b| {
        let x = bounds.get(a).copied().unwrap_or(f64::INFINITY);
        let y = bounds.get(b).copied().unwrap_or(f64::INFINITY);
        x.total_cmp(&y).then(a.cmp(&b))
    });
    let mut state = vec![UNKNOWN; search.size];
    let mut scratch = Scratch::default();
    let mut cache: Vec<(Vec<usize>, Tuples)> = Vec::new();
    // Per-attribute loss sums of qualifying nodes evaluated on a chain.
    let mut known: HashMap<usize, Vec<f64>> = HashMap::new();
    let mut best: Option<(f64, usize, Vec<f64>)> = None;
    let mut evaluated = 0usize;
    for &node in &order {
        let b = bounds.get(node).copied().unwrap_or(f64::INFINITY);
        if let Some((loss, _, _)) = &best
            && b >= *loss
        {
            break;
        }
        if state.get(node).copied() == Some(UNKNOWN) {
            // Classify by binary search on a chain to the top: the first
            // qualifying node on it (monotone along the chain).
            let chain = search.chain(node);
            let (mut lo, mut hi) = (0usize, chain.len());
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                let Some(&x) = chain.get(mid) else {
                    break;
                };
                let pass = match state.get(x).copied() {
                    Some(QUALIFIES) => true,
                    Some(FAILS) => false,
                    _ => {
                        evaluated += 1;
                        let r = search.evaluate_cached(
                            &tuples,
                            &mut cache,
                            &search.levels(x),
                            &mut scratch,
                        );
                        if r.qualifies {
                            known.insert(x, r.per_attribute_sum);
                            search.tag(x, &mut state, QUALIFIES);
                        } else {
                            search.tag(x, &mut state, FAILS);
                        }
                        r.qualifies
                    }
                };
                if pass {
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }
        }
        if state.get(node).copied() != Some(QUALIFIES) {
            continue;
        }
        let sums = match known.remove(&node) {
            Some(sums) => sums,
            None if search.max_suppressed == 0 => {
                // Nothing suppressed: the loss is the bound.
                search
                    .bound
                    .iter()
                    .zip(search.levels(node))
                    .map(|(b, l)| b.get(l).copied().unwrap_or(1.0) * n)
                    .collect()
            }
            None => {
                evaluated += 1;
                search
                    .evaluate_cached(&tuples, &mut cache, &search.levels(node), &mut scratch)
                    .per_attribute_sum
            }
        };
        let per: Vec<f64> = sums.iter().map(|s| s / n).collect();
        let loss = geometric(&per);
        if best.as_ref().is_none_or(|(l, _, _)| loss < *l) {
            best = Some((loss, node, sums));
        }
    }
    let Some((_, node, per_attribute_sum)) = best else {
        return err(match &spec.diversity {
            Some(d) => format!(
                "no generalization makes the table {}-anonymous and {}-diverse in {:?} \
                 within the suppression limit",
                spec.k, d.l, d.column
            ),
            None => format!(
                "no generalization makes the table {}-anonymous within the suppression limit",
                spec.k
            ),
        });
    };
    let levels = search.levels(node);

    // Apply: every record's class at the chosen node.
    let record_tuples = Tuples {
        leaves: record_leaves,
        count: vec![1; p.records],
        sensitive: p
            .sensitive
            .as_ref()
            .map(|s| s.0.clone())
            .unwrap_or_default(),
    };
    search.group(&record_tuples, &levels, &mut scratch);
    let suppressed_count = search.judge(&record_tuples, &mut scratch);
    let suppressed: Vec<bool> = scratch
        .class_of
        .iter()
        .map(|&c| !scratch.ok.get(c as usize).copied().unwrap_or(false))
        .collect();
    let kept_sizes: Vec<usize> = scratch
        .sizes
        .iter()
        .zip(&scratch.ok)
        .filter(|&(_, &ok)| ok)
        .map(|(&s, _)| s as usize)
        .collect();
    let loss = summarize(
        p.records,
        per_attribute_sum,
        kept_sizes.into_iter(),
        suppressed_count,
    );
    let out = write_table(
        table,
        &p.columns,
        &suppressed,
        spec.drop_suppressed,
        |r, q| {
            let (Some(h), Some(&level), Some(leaves)) = (
                hierarchies.get(q),
                levels.get(q),
                record_tuples.leaves.get(q),
            ) else {
                return "*";
            };
            leaves
                .get(r)
                .and_then(|&leaf| h.label_id(leaf as usize, level))
                .and_then(|id| h.label_name(level, id))
                .unwrap_or("*")
        },
    )?;
    Ok(Outcome {
        table: out,
        levels: Some(levels),
        loss,
        nodes_evaluated: evaluated,
    })
}

/// Groups records into their distinct leaf combinations (and sensitive
/// values).
fn distinct_tuples(record_leaves: &[Vec<u32>], sensitive: Option<&[u32]>) -> Tuples {
    let records = record_leaves.first().map_or(0, Vec::len);
    let width = record_leaves.len() + usize::from(sensitive.is_some());
    let mut index: HashMap<Vec<u32>, u32> = HashMap::new();
    let mut tuples = Tuples {
        leaves: vec![Vec::new(); record_leaves.len()],
        count: Vec::new(),
        sensitive: Vec::new(),
    };
    let mut key = Vec::with_capacity(width);
    for r in 0..records {
        key.clear();
        key.extend(record_leaves.iter().map(|c| c.get(r).copied().unwrap_or(0)));
        if let Some(s) = sensitive {
            key.push(s.get(r).copied().unwrap_or(0));
        }
        let next = u32::try_from(tuples.count.len()).unwrap_or(u32::MAX);
        let id = *index.entry(key.clone()).or_insert(next);
        if id == next {
            for (column, &v) in tuples.leaves.iter_mut().zip(&key) {
                column.push(v);
            }
            if let Some(s) = sensitive {
                tuples.sensitive.push(s.get(r).copied().unwrap_or(0));
            }
            tuples.count.push(0);
        }
        if let Some(c) = tuples.count.get_mut(id as usize) {
            *c += 1;
        }
    }
    tuples
}

// ---------------------------------------------------------------------------
// Mondrian.

/// A quasi-identifier as Mondrian sees it.
enum Dimension<'a> {
    Categorical {
        hierarchy: &'a Hierarchy,
        leaves: Vec<u32>,
    },
    Numeric {
        values: Vec<f64>,
        texts: Vec<&'a str>,
        /// The domain's width (the loss's denominator); 0: no loss.
        span: f64,
    },
}

/// One dimension of a partition, generalized.
#[derive(Clone, Copy)]
struct Generalized {
    /// The per-record loss, also the width that picks the dimension.
    loss: f64,
    /// Categorical: the lowest common ancestor's level (the hierarchy's
    /// height for the virtual root above a top level of several labels)
    /// and label. Numeric: the records holding the least and greatest value.
    level: usize,
    label: u32,
    low: u32,
    high: u32,
}

struct Mondrian<'a> {
    dimensions: Vec<Dimension<'a>>,
    k: usize,
    sensitive: Option<(&'a [u32], usize)>,
    counter: DistinctCounter,
}

impl Mondrian<'_> {
    fn generalize(&self, d: usize, records: &[u32]) -> Generalized {
        let Some(&first) = records.first() else {
            return Generalized {
                loss: 0.0,
                level: 0,
                label: 0,
                low: 0,
                high: 0,
            };
        };
        match self.dimensions.get(d) {
            Some(Dimension::Categorical { hierarchy, leaves }) => {
                let leaf = |r: u32| leaves.get(r as usize).copied().unwrap_or(0) as usize;
                let height = hierarchy.height();
                let domain = hierarchy.leaves();
                for level in 0..height {
                    let label = hierarchy.label_id(leaf(first), level).unwrap_or(0);
                    if records
                        .iter()
                        .all(|&r| hierarchy.label_id(leaf(r), level) == Some(label))
                    {
                        let under = hierarchy.leaves_under_id(level, label).unwrap_or(domain);
                        return Generalized {
                            loss: share_loss(under, domain),
                            level,
                            label,
                            low: first,
                            high: first,
                        };
                    }
                }
                Generalized {
                    loss: share_loss(domain, domain),
                    level: height,
                    label: 0,
                    low: first,
                    high: first,
                }
            }
            Some(Dimension::Numeric { values, span, .. }) => {
                let value = |r: u32| values.get(r as usize).copied().unwrap_or(0.0);
                let (mut low, mut high) = (first, first);
                for &r in records {
                    if value(r) < value(low) {
                        low = r;
                    }
                    if value(r) > value(high) {
                        high = r;
                    }
                }
                let width = value(high) - value(low);
                Generalized {
                    loss: if *span > 0.0 { width / span } else { 0.0 },
                    level: 0,
                    label: 0,
                    low,
                    high,
                }
            }
            None => Generalized {
                loss: 0.0,
                level: 0,
                label: 0,
                low: first,
                high: first,
            },
        }
    }

    /// Whether a part may stand alone: k records and l distinct values.
    fn allowed(&mut self, part: &[u32]) -> bool {
        if part.len() < self.k {
            return false;
        }
        match self.sensitive {
            None => true,
            Some((codes, l)) => self.counter.at_least(
                part.iter()
                    .map(|&r| codes.get(r as usize).copied().unwrap_or(0)),
                l,
            ),
        }
    }

    /// Splits `records` (reordered) along dimension `d`: the part
    /// boundaries, or `None` when no allowable split exists.
    fn split(&mut self, d: usize, g: &Generalized, records: &mut [u32]) -> Option<Vec<usize>> {
        let len = records.len();
        match self.dimensions.get(d)? {
            Dimension::Numeric { values, .. } => {
                let value = |r: u32| values.get(r as usize).copied().unwrap_or(0.0);
                records.sort_unstable_by(|&a, &b| value(a).total_cmp(&value(b)));
                let sorted: Vec<f64> = records.iter().map(|&r| value(r)).collect();
                let mut cuts: Vec<usize> = sorted
                    .windows(2)
                    .enumerate()
                    .filter(|(_, w)| w.first() < w.get(1))
                    .map(|(i, _)| i + 1)
                    .filter(|&p| p >= self.k && len - p >= self.k)
                    .collect();
                cuts.sort_by_key(|&p| (2 * p).abs_diff(len));
                for p in cuts {
                    let (left, right) = records.split_at(p);
                    if self.allowed(left) && self.allowed(right) {
                        return Some(vec![p]);
                    }
                }
                None
            }
            Dimension::Categorical { hierarchy, leaves } => {
                if g.level == 0 {
                    return None;
                }
                let child = g.level - 1;
                let label = |r: u32| {
                    leaves
                        .get(r as usize)
                        .and_then(|&leaf| hierarchy.label_id(leaf as usize, child))
                        .unwrap_or(0)
                };
                records.sort_unstable_by_key(|&r| label(r));
                let mut cuts = Vec::new();
                let mut start = 0usize;
                for i in 1..=len {
                    let boundary = i == len
                        || records.get(i).map(|&r| label(r))
                            != records.get(i - 1).map(|&r| label(r));
                    if boundary {
                        cuts.push((start, i));
                        start = i;
                    }
                }
                if cuts.len() < 2 {
                    return None;
                }
                for &(a, b) in &cuts {
                    let part = records.get(a..b).unwrap_or_default();
                    if !self.allowed(part) {
                        return None;
                    }
                }
                Some(cuts.iter().skip(1).map(|&(a, _)| a).collect())
            }
        }
    }

    /// Strict Mondrian over `records` (reordered): the final partitions as
    /// ranges of `records`.
    fn partition(&mut self, records: &mut [u32]) -> Vec<(usize, usize)> {
        let mut done = Vec::new();
        let mut stack = vec![(0usize, records.len())];
        let dims = self.dimensions.len();
        while let Some((a, b)) = stack.pop() {
            let Some(part) = records.get_mut(a..b) else {
                continue;
            };
            let mut gens: Vec<(usize, Generalized)> =
                (0..dims).map(|d| (d, self.generalize(d, part))).collect();
            gens.sort_by(|x, y| y.1.loss.total_cmp(&x.1.loss).then(x.0.cmp(&y.0)));
            let mut split = None;
            for (d, g) in &gens {
                if g.loss <= 0.0 {
                    break;
                }
                if let Some(cuts) = self.split(*d, g, part) {
                    split = Some(cuts);
                    break;
                }
            }
            match split {
                None => done.push((a, b)),
                Some(cuts) => {
                    let mut start = a;
                    for c in cuts {
                        stack.push((start, a + c));
                        start = a + c;
                    }
                    stack.push((start, b));
                }
            }
        }
        done
    }

    /// Σ over records and dimensions of the loss of a partition.
    fn cost(&self, records: &[u32]) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let len = records.len() as f64;
        (0..self.dimensions.len())
            .map(|d| self.generalize(d, records).loss)
            .sum::<f64>()
            * len
    }

    /// The best way to suppress fewer than k records of a final partition
    /// (at most `budget`) so that the rest splits further: the records to
    /// suppress, the rest's partitions (ranges of the returned order), and
    /// the loss saved.
    fn peel(&mut self, records: &[u32], budget: usize) -> Option<Peel> {
        if budget == 0 || records.len() < self.k + 1 {
            return None;
        }
        let dims = self.dimensions.len();
        #[allow(clippy::cast_precision_loss)]
        let d = dims as f64;
        let before = self.cost(records);
        let mut best: Option<Peel> = None;
        let mut work: Vec<u32> = records.to_vec();
        for dim in 0..dims {
            let g = self.generalize(dim, &work);
            if g.loss <= 0.0 {
                continue;
            }
            // Candidate sets to suppress: the ends of a numeric dimension,
            // the children of too few records of a categorical one.
            let mut candidates: Vec<(Vec<u32>, Vec<u32>)> = Vec::new();
            match self.dimensions.get(dim) {
                Some(Dimension::Numeric { values, .. }) => {
                    let value = |r: u32| values.get(r as usize).copied().unwrap_or(0.0);
                    work.sort_unstable_by(|&a, &b| value(a).total_cmp(&value(b)));
                    let len = work.len();
                    for p in 1..len {
                        let (Some(&x), Some(&y)) = (work.get(p - 1), work.get(p)) else {
                            continue;
                        };
                        if value(x) == value(y) {
                            continue;
                        }
                        let (left, right) = work.split_at(p);
                        if p < self.k && p <= budget {
                            candidates.push((left.to_vec(), right.to_vec()));
                        }
                        if len - p < self.k && len - p <= budget {
                            candidates.push((right.to_vec(), left.to_vec()));
                        }
                    }
                }
                Some(Dimension::Categorical { hierarchy, leaves }) => {
                    if g.level == 0 {
                        continue;
                    }
                    let child = g.level - 1;
                    let label = |r: u32| {
                        leaves
                            .get(r as usize)
                            .and_then(|&leaf| hierarchy.label_id(leaf as usize, child))
                            .unwrap_or(0)
                    };
                    let mut groups: IntMap<u32, Vec<u32>> = IntMap::default();
                    for &r in &work {
                        groups.entry(label(r)).or_default().push(r);
                    }
                    let (mut small, mut rest) = (Vec::new(), Vec::new());
                    for (_, g) in groups {
                        if g.len() < self.k {
                            small.extend(g);
                        } else {
                            rest.extend(g);
                        }
                    }
                    if !small.is_empty() && small.len() <= budget && !rest.is_empty() {
                        candidates.push((small, rest));
                    }
                }
                None => {}
            }
            for (suppress, mut rest) in candidates {
                if !self.allowed(&rest) {
                    continue;
                }
                let parts = self.partition(&mut rest);
                let after: f64 = parts
                    .iter()
                    .map(|&(a, b)| self.cost(rest.get(a..b).unwrap_or_default()))
                    .sum::<f64>();
                #[allow(clippy::cast_precision_loss)]
                let gain = before - after - d * suppress.len() as f64;
                #[allow(clippy::cast_precision_loss)]
                let rate = gain / suppress.len() as f64;
                if gain > 1e-9 && best.as_ref().is_none_or(|b| rate > b.rate) {
                    best = Some(Peel {
                        rate,
                        suppress,
                        rest,
                        parts,
                    });
                }
            }
        }
        best
    }
}

struct Peel {
    rate: f64,
    suppress: Vec<u32>,
    rest: Vec<u32>,
    parts: Vec<(usize, usize)>,
}

/// A partition's peel, ordered by its saving per suppressed record (then
/// the earlier partition first).
struct Candidate(usize, Peel);

impl PartialEq for Candidate {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == std::cmp::Ordering::Equal
    }
}

impl Eq for Candidate {}

impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.1
            .rate
            .total_cmp(&other.1.rate)
            .then(other.0.cmp(&self.0))
    }
}

/// Mondrian multidimensional partitioning (see the module's comment).
pub fn mondrian(table: &Table, spec: &Spec) -> Result<Outcome, DeidError> {
    let p = prepare(table, spec)?;
    let mut dimensions = Vec::with_capacity(spec.quasi_identifiers.len());
    for (q, texts) in spec.quasi_identifiers.iter().zip(&p.texts) {
        match q.kind {
            Kind::Categorical => {
                let Some(h) = &q.hierarchy else {
                    return err(format!(
                        "{:?}: a categorical quasi-identifier needs a hierarchy",
                        q.column
                    ));
                };
                dimensions.push(Dimension::Categorical {
                    hierarchy: h,
                    leaves: leaves_of(&q.column, h, texts)?,
                });
            }
            Kind::Numeric => {
                let mut values = Vec::with_capacity(texts.len());
                let mut strings = Vec::with_capacity(texts.len());
                for (i, t) in texts.iter().enumerate() {
                    let v = t.and_then(|s| s.trim().parse::<f64>().ok());
                    match (t, v) {
                        (Some(s), Some(v)) if v.is_finite() => {
                            values.push(v);
                            strings.push(*s);
                        }
                        _ => {
                            return err(format!(
                                "{:?}: the value of record {} is not a number",
                                q.column,
                                i + 1
                            ));
                        }
                    }
                }
                let mut lo = values.iter().copied().fold(f64::INFINITY, f64::min);
                let mut hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                if let Some(h) = &q.hierarchy {
                    let leaves: Option<Vec<f64>> = h
                        .leaf_names()
                        .iter()
                        .map(|s| s.trim().parse::<f64>().ok().filter(|v| v.is_finite()))
                        .collect();
                    for v in leaves.unwrap_or_default() {
                        lo = lo.min(v);
                        hi = hi.max(v);
                    }
                }
                dimensions.push(Dimension::Numeric {
                    values,
                    texts: strings,
                    span: hi - lo,
                });
            }
        }
    }
    let sensitive = p
        .sensitive
        .as_ref()
        .map(|(codes, l)| (codes.as_slice(), *l));
    let distinct = sensitive.map_or(0, |(codes, _)| {
        codes.iter().copied().max().map_or(0, |m| m as usize + 1)
    });
    let mut m = Mondrian {
        dimensions,
        k: spec.k,
        sensitive,
        counter: DistinctCounter::new(distinct),
    };
    let records = u32::try_from(p.records)
        .map_err(|_| DeidError::Input("too many records for Mondrian".into()))?;
    let mut all: Vec<u32> = (0..records).collect();
    let mut suppressed = vec![false; p.records];
    let mut suppressed_count = 0usize;
    // The whole table must be a valid partition (l-diversity may fail it).
    let mut partitions: Vec<Vec<u32>> = if m.allowed(&all) {
        let parts = m.partition(&mut all);
        parts
            .iter()
            .map(|&(a, b)| all.get(a..b).unwrap_or_default().to_vec())
            .collect()
    } else if p.records <= p.max_suppressed {
        suppressed.iter_mut().for_each(|s| *s = true);
        suppressed_count = p.records;
        Vec::new()
    } else {
        return err(format!(
            "the table as a whole is not {}-diverse; nothing can make it so",
            sensitive.map_or(1, |s| s.1)
        ));
    };
    // Suppression: peel partitions, best saving per record first.
    let mut budget = p.max_suppressed - suppressed_count;
    if budget > 0 {
        let mut heap: BinaryHeap<Candidate> = BinaryHeap::new();
        let mut live: Vec<bool> = vec![true; partitions.len()];
        for (i, part) in partitions.iter().enumerate() {
            if let Some(peel) = m.peel(part, budget) {
                heap.push(Candidate(i, peel));
            }
        }
        while let Some(Candidate(index, peel)) = heap.pop() {
            if !live.get(index).copied().unwrap_or(false) {
                continue;
            }
            if peel.suppress.len() > budget {
                // Recompute within what is left.
                if let Some(part) = partitions.get(index)
                    && let Some(again) = m.peel(part, budget)
                {
                    heap.push(Candidate(index, again));
                }
                continue;
            }
            budget -= peel.suppress.len();
            suppressed_count += peel.suppress.len();
            for &r in &peel.suppress {
                if let Some(s) = suppressed.get_mut(r as usize) {
                    *s = true;
                }
            }
            if let Some(l) = live.get_mut(index) {
                *l = false;
            }
            for &(a, b) in &peel.parts {
                let part = peel.rest.get(a..b).unwrap_or_default().to_vec();
                let i = partitions.len();
                partitions.push(part);
                live.push(true);
                if budget > 0
                    && let Some(p2) = partitions.get(i).and_then(|x| m.peel(x, budget))
                {
                    heap.push(Candidate(i, p2));
                }
            }
        }
        partitions = partitions
            .into_iter()
            .zip(live)
            .filter(|(_, l)| *l)
            .map(|(p, _)| p)
            .collect();
    }

    // Labels and loss.
    let dims = m.dimensions.len();
    let mut per_attribute_sum = vec![0.0f64; dims];
    let mut labels: Vec<Vec<String>> = Vec::with_capacity(partitions.len());
    let mut partition_of = vec![0u32; p.records];
    for (i, part) in partitions.iter().enumerate() {
        let mut row = Vec::with_capacity(dims);
        for (d, sum) in per_attribute_sum.iter_mut().enumerate() {
            let g = m.generalize(d, part);
            #[allow(clippy::cast_precision_loss)]
            let len = part.len() as f64;
            *sum += g.loss * len;
            row.push(match m.dimensions.get(d) {
                Some(Dimension::Categorical { hierarchy, .. }) => hierarchy
                    .label_name(g.level, g.label)
                    .unwrap_or("*")
                    .to_owned(),
                Some(Dimension::Numeric { texts, values, .. }) => {
                    let text = |r: u32| texts.get(r as usize).copied().unwrap_or("");
                    let value = |r: u32| values.get(r as usize).copied().unwrap_or(0.0);
                    if value(g.low) == value(g.high) {
                        text(g.low).trim().to_owned()
                    } else {
                        format!("{}-{}", text(g.low).trim(), text(g.high).trim())
                    }
                }
                None => "*".to_owned(),
            });
        }
        labels.push(row);
        let id = u32::try_from(i).unwrap_or(u32::MAX);
        for &r in part {
            if let Some(x) = partition_of.get_mut(r as usize) {
                *x = id;
            }
        }
    }
    #[allow(clippy::cast_precision_loss)]
    let suppressed_f = suppressed_count as f64;
    for sum in &mut per_attribute_sum {
        *sum += suppressed_f;
    }
    let loss = summarize(
        p.records,
        per_attribute_sum,
        partitions.iter().map(Vec::len),
        suppressed_count,
    );
    let out = write_table(
        table,
        &p.columns,
        &suppressed,
        spec.drop_suppressed,
        |r, q| {
            partition_of
                .get(r)
                .and_then(|&i| labels.get(i as usize))
                .and_then(|row| row.get(q))
                .map_or("*", String::as_str)
        },
    )?;
    Ok(Outcome {
        table: out,
        levels: None,
        loss,
        nodes_evaluated: 0,
    })
}
