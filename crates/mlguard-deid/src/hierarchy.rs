//! Generalization hierarchies (ARX's `;`-separated files: one row per value,
//! from the most specific level to the most general).
//!
//! Level 0 is the value itself; level `height() - 1` the most general
//! (usually `*`). Every label of a level must have one parent on the next
//! level (a tree), so that generalizing twice is the same as generalizing
//! once, and a set of values has one lowest common ancestor.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};

use crate::DeidError;

/// Leaves beyond this make a built-in interval hierarchy an error rather
/// than a memory problem.
const MAX_INTERVAL_LEAVES: u64 = 1 << 22;

/// A generalization hierarchy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hierarchy {
    /// `label_of[level][leaf]`: the label id of a leaf at a level.
    label_of: Vec<Vec<u32>>,
    /// `names[level][label]`: the label's text.
    names: Vec<Vec<String>>,
    /// `leaves_under[level][label]`: leaves the label covers.
    leaves_under: Vec<Vec<u32>>,
    /// Leaf text to leaf index.
    leaf_index: HashMap<String, u32>,
    /// `label_index[level]`: label text to id.
    label_index: Vec<HashMap<String, u32>>,
}

impl Hierarchy {
    /// Reads ARX's format: `;`-separated, one row per value (leaf), columns
    /// from the value itself to its most general form. Blank lines are
    /// skipped; a trailing `\r` is ignored.
    pub fn read<R: Read>(reader: R) -> Result<Self, DeidError> {
        Self::read_with(reader, b';')
    }

    /// [`Hierarchy::read`] with another delimiter.
    pub fn read_with<R: Read>(reader: R, delimiter: u8) -> Result<Self, DeidError> {
        let delimiter = char::from(delimiter);
        let mut rows = Vec::new();
        for (i, line) in BufReader::new(reader).lines().enumerate() {
            let line =
                line.map_err(|e| DeidError::Input(format!("hierarchy line {}: {e}", i + 1)))?;
            let line = line.strip_suffix('\r').unwrap_or(&line);
            if line.trim().is_empty() {
                continue;
            }
            rows.push((
                i + 1,
                line.split(delimiter).map(str::to_owned).collect::<Vec<_>>(),
            ));
        }
        Self::build(rows)
    }

    /// A hierarchy from rows (each: value, then its generalizations).
    pub fn from_rows<S: AsRef<str>>(rows: &[Vec<S>]) -> Result<Self, DeidError> {
        Self::build(
            rows.iter()
                .enumerate()
                .map(|(i, r)| (i + 1, r.iter().map(|s| s.as_ref().to_owned()).collect()))
                .collect(),
        )
    }

    fn build(rows: Vec<(usize, Vec<String>)>) -> Result<Self, DeidError> {
        let Some((_, first)) = rows.first() else {
            return Err(DeidError::Input("the hierarchy has no rows".into()));
        };
        let height = first.len();
        let leaves = u32::try_from(rows.len())
            .map_err(|_| DeidError::Input("the hierarchy has too many rows".into()))?;
        let mut label_of = vec![Vec::with_capacity(rows.len()); height];
        let mut names: Vec<Vec<String>> = vec![Vec::new(); height];
        let mut label_index: Vec<HashMap<String, u32>> = vec![HashMap::new(); height];
        let mut leaves_under: Vec<Vec<u32>> = vec![Vec::new(); height];
        // The parent of each label, and the line that set it.
        let mut parent: Vec<Vec<(u32, usize)>> = vec![Vec::new(); height.saturating_sub(1)];
        let mut leaf_index = HashMap::with_capacity(rows.len());
        for (line, row) in rows {
            if row.len() != height {
                return Err(DeidError::Input(format!(
                    "hierarchy line {line}: {} levels, the first row has {height}",
                    row.len()
                )));
            }
            let mut ids = Vec::with_capacity(height);
            for (level, text) in row.iter().enumerate() {
                let (Some(index), Some(names), Some(under), Some(of)) = (
                    label_index.get_mut(level),
                    names.get_mut(level),
                    leaves_under.get_mut(level),
                    label_of.get_mut(level),
                ) else {
                    continue;
                };
                let id = match index.get(text) {
                    Some(&id) => id,
                    None => {
                        // At most one new label per row: fits, as leaves does.
                        let id = u32::try_from(names.len()).unwrap_or(u32::MAX);
                        index.insert(text.clone(), id);
                        names.push(text.clone());
                        under.push(0);
                        id
                    }
                };
                if let Some(u) = under.get_mut(id as usize) {
                    *u += 1;
                }
                of.push(id);
                ids.push(id);
            }
            let Some(value) = row.first() else {
                continue;
            };
            if leaf_index
                .insert(value.clone(), leaf_index.len() as u32)
                .is_some()
            {
                return Err(DeidError::Input(format!(
                    "hierarchy line {line}: the value {value:?} has a row already"
                )));
            }
            for (level, pair) in ids.windows(2).enumerate() {
                let (Some(&child), Some(&up), Some(parents)) =
                    (pair.first(), pair.get(1), parent.get_mut(level))
                else {
                    continue;
                };
                let child = child as usize;
                if parents.len() <= child {
                    parents.resize(child + 1, (u32::MAX, 0));
                }
                let Some(slot) = parents.get_mut(child) else {
                    continue;
                };
                if slot.0 == u32::MAX {
                    *slot = (up, line);
                } else if slot.0 != up {
                    let text = |l: usize, id: u32| {
                        names
                            .get(l)
                            .and_then(|n| n.get(id as usize))
                            .cloned()
                            .unwrap_or_default()
                    };
                    return Err(DeidError::Input(format!(
                        "hierarchy line {line}: {:?} on level {level} generalizes to {:?} here \
                         but to {:?} on line {}",
                        text(level, child as u32),
                        text(level + 1, up),
                        text(level + 1, slot.0),
                        slot.1
                    )));
                }
            }
        }
        debug_assert_eq!(leaf_index.len(), leaves as usize);
        Ok(Self {
            label_of,
            names,
            leaves_under,
            leaf_index,
            label_index,
        })
    }

    /// Numeric intervals over the integers `min..=max`: level 1 groups them
    /// in ranges of `width` aligned at multiples of `width` (`0-4`, `5-9`
    /// for width 5), each further level doubles the width, and the last
    /// level is `*` (reached once one range would cover the whole domain).
    pub fn intervals(min: i64, max: i64, width: u64) -> Result<Self, DeidError> {
        if min > max {
            return Err(DeidError::Input(format!(
                "interval hierarchy: min {min} is above max {max}"
            )));
        }
        if width == 0 {
            return Err(DeidError::Input(
                "interval hierarchy: the width must be at least 1".into(),
            ));
        }
        let span = i128::from(max) - i128::from(min) + 1;
        if span > i128::from(MAX_INTERVAL_LEAVES) {
            return Err(DeidError::Input(format!(
                "interval hierarchy: {span} values is more than {MAX_INTERVAL_LEAVES}"
            )));
        }
        // Widths w, 2w, 4w, ... while a range does not yet cover min..=max
        // (or, across zero, until two ranges do).
        let mut widths = Vec::new();
        let mut w = i128::from(width);
        loop {
            let lo = i128::from(min).div_euclid(w) * w;
            if lo + w > i128::from(max) || w > 2 * span {
                break;
            }
            widths.push(w);
            w = w.saturating_mul(2);
        }
        let rows: Vec<Vec<String>> = (i128::from(min)..=i128::from(max))
            .map(|v| {
                let mut row = Vec::with_capacity(widths.len() + 2);
                row.push(v.to_string());
                for &w in &widths {
                    let lo = v.div_euclid(w) * w;
                    row.push(format!("{lo}-{}", lo + w - 1));
                }
                row.push("*".to_owned());
                row
            })
            .collect();
        Self::from_rows(&rows)
    }

    /// Truncation from the right (ZIP codes: `12345`, `1234*`, `123**`, ...):
    /// level `j` replaces the last `j` characters by `*`, keeping the
    /// length; the last level is `*`. Duplicates among `values` are ignored.
    pub fn prefix<'a, I: IntoIterator<Item = &'a str>>(values: I) -> Result<Self, DeidError> {
        let mut distinct: Vec<&str> = values.into_iter().collect();
        distinct.sort_unstable();
        distinct.dedup();
        let longest = distinct
            .iter()
            .map(|v| v.chars().count())
            .max()
            .unwrap_or(0);
        let rows: Vec<Vec<String>> = distinct
            .iter()
            .map(|v| {
                let chars: Vec<char> = v.chars().collect();
                let mut row = Vec::with_capacity(longest + 1);
                row.push((*v).to_owned());
                for j in 1..longest {
                    let keep = chars.len().saturating_sub(j);
                    let mut label: String = chars.iter().take(keep).collect();
                    label.extend(std::iter::repeat_n('*', chars.len() - keep));
                    row.push(label);
                }
                if longest > 0 {
                    row.push("*".to_owned());
                }
                row
            })
            .collect();
        Self::from_rows(&rows)
    }

    /// One level above the values: everything to `*`.
    pub fn flat<'a, I: IntoIterator<Item = &'a str>>(values: I) -> Result<Self, DeidError> {
        let mut distinct: Vec<&str> = values.into_iter().collect();
        distinct.sort_unstable();
        distinct.dedup();
        let rows: Vec<Vec<&str>> = distinct.into_iter().map(|v| vec![v, "*"]).collect();
        Self::from_rows(&rows)
    }

    /// Levels, counting the values themselves (level 0).
    #[must_use]
    pub fn height(&self) -> usize {
        self.label_of.len()
    }

    /// Values on level 0 (the domain's size, as ARX's loss counts it).
    #[must_use]
    pub fn leaves(&self) -> usize {
        self.leaf_index.len()
    }

    /// The index of a value on level 0.
    #[must_use]
    pub fn leaf(&self, value: &str) -> Option<usize> {
        self.leaf_index.get(value).map(|&i| i as usize)
    }

    /// A value generalized to `level`; `None` if the value is not a leaf or
    /// the level is beyond the hierarchy.
    #[must_use]
    pub fn generalize(&self, value: &str, level: usize) -> Option<&str> {
        let leaf = self.leaf(value)?;
        self.label_name(level, self.label_id(leaf, level)?)
    }

    /// How many values (leaves) a label of a level covers.
    #[must_use]
    pub fn leaves_under(&self, label: &str, level: usize) -> Option<usize> {
        let id = *self.label_index.get(level)?.get(label)?;
        self.leaves_under_id(level, id)
    }

    /// Distinct labels on a level.
    #[must_use]
    pub fn labels(&self, level: usize) -> usize {
        self.names.get(level).map_or(0, Vec::len)
    }

    pub(crate) fn label_id(&self, leaf: usize, level: usize) -> Option<u32> {
        self.label_of.get(level)?.get(leaf).copied()
    }

    pub(crate) fn label_name(&self, level: usize, id: u32) -> Option<&str> {
        self.names.get(level)?.get(id as usize).map(String::as_str)
    }

    pub(crate) fn leaves_under_id(&self, level: usize, id: u32) -> Option<usize> {
        self.leaves_under
            .get(level)?
            .get(id as usize)
            .map(|&n| n as usize)
    }

    /// The label ids of every leaf on a level.
    pub(crate) fn level_table(&self, level: usize) -> Option<&[u32]> {
        self.label_of.get(level).map(Vec::as_slice)
    }

    /// The leaf values, in row order.
    pub(crate) fn leaf_names(&self) -> &[String] {
        self.names.first().map_or(&[], Vec::as_slice)
    }
}
