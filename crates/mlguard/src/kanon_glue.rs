//! A recipe's `privacy` requirements to mlguard-deid's k-anonymity engine:
//! hierarchies from files or built in, then full-domain generalization or
//! Mondrian.
//!
//! `privacy.hierarchies` maps each quasi-identifier to a hierarchy file
//! (ARX's `;`-separated format, relative to the recipe), or to a built-in
//! one: `{intervals: {width: 5}}` for numbers (the data's range),
//! `{prefix: true}` for codes truncated from the right (ZIP), `{flat: true}`
//! (the value or `*`), or `{numeric: true}` (Mondrian ranges). A
//! quasi-identifier without one gets `flat`.

use std::path::Path;

use mlguard_deid::hierarchy::Hierarchy;
use mlguard_deid::kanon::{self, Diversity, QuasiIdentifier, Spec};
use mlguard_deid::recipe::Privacy;
use mlguard_deid::table::Table;
use serde_json::{Value, json};

fn values<'a>(table: &'a Table, column: &str) -> Result<Vec<&'a str>, String> {
    let index = table.column(column).map_err(|e| format!("privacy: {e}"))?;
    let arrays = table.text_column(index).map_err(|e| e.to_string())?;
    Ok(arrays.iter().flat_map(|a| a.iter().flatten()).collect())
}

fn hierarchy(
    table: &Table,
    column: &str,
    spec: Option<&Value>,
    dir: &Path,
) -> Result<QuasiIdentifier, String> {
    let at = |e: &dyn std::fmt::Display| format!("privacy.hierarchies.{column}: {e}");
    match spec {
        None => Ok(QuasiIdentifier::categorical(
            column,
            Hierarchy::flat(values(table, column)?).map_err(|e| at(&e))?,
        )),
        Some(Value::String(file)) => {
            let path = dir.join(file);
            let f =
                std::fs::File::open(&path).map_err(|e| at(&format!("{}: {e}", path.display())))?;
            let h = Hierarchy::read(std::io::BufReader::new(f))
                .map_err(|e| at(&format!("{}: {e}", path.display())))?;
            Ok(QuasiIdentifier::categorical(column, h))
        }
        Some(Value::Object(m)) => {
            if let Some(i) = m.get("intervals") {
                let width = i
                    .get("width")
                    .and_then(Value::as_u64)
                    .filter(|w| *w > 0)
                    .ok_or_else(|| at(&"intervals need a positive whole `width`"))?;
                let numbers = values(table, column)?
                    .iter()
                    .map(|v| {
                        v.trim()
                            .parse::<i64>()
                            .map_err(|_| at(&"a value is not a whole number"))
                    })
                    .collect::<Result<Vec<i64>, String>>()?;
                let (min, max) = (
                    numbers.iter().min().copied().unwrap_or(0),
                    numbers.iter().max().copied().unwrap_or(0),
                );
                let h = Hierarchy::intervals(min, max, width).map_err(|e| at(&e))?;
                Ok(QuasiIdentifier::numeric(column, Some(h)))
            } else if m.get("prefix").and_then(Value::as_bool) == Some(true) {
                Ok(QuasiIdentifier::categorical(
                    column,
                    Hierarchy::prefix(values(table, column)?).map_err(|e| at(&e))?,
                ))
            } else if m.get("flat").and_then(Value::as_bool) == Some(true) {
                Ok(QuasiIdentifier::categorical(
                    column,
                    Hierarchy::flat(values(table, column)?).map_err(|e| at(&e))?,
                ))
            } else if m.get("numeric").and_then(Value::as_bool) == Some(true) {
                Ok(QuasiIdentifier::numeric(column, None))
            } else {
                Err(at(
                    &"a file name, or {intervals: {width: N}}, {prefix: true}, {flat: true}, {numeric: true}",
                ))
            }
        }
        Some(_) => Err(at(&"a file name or a mapping")),
    }
}

/// Enforces `privacy` on `table`; returns the table and a summary for the
/// report.
pub(crate) fn enforce(
    table: &Table,
    privacy: &Privacy,
    dir: &Path,
) -> Result<(Table, Value), String> {
    let k = privacy.k.ok_or("privacy.k is not set")?;
    for name in privacy.hierarchies.keys() {
        if !privacy.quasi_identifiers.contains(name) {
            return Err(format!(
                "privacy.hierarchies names {name:?}, which is not a quasi-identifier"
            ));
        }
    }
    let qis = privacy
        .quasi_identifiers
        .iter()
        .map(|c| hierarchy(table, c, privacy.hierarchies.get(c), dir))
        .collect::<Result<Vec<_>, _>>()?;
    let mut spec = Spec::new(qis, k);
    spec.suppression_limit = privacy.suppression_limit;
    spec.drop_suppressed = privacy.drop_suppressed;
    spec.diversity = match (privacy.l, privacy.sensitive.first()) {
        (Some(l), Some(column)) => Some(Diversity {
            column: column.clone(),
            l,
        }),
        _ => None,
    };
    let outcome = match privacy.method.as_str() {
        "MONDRIAN" => kanon::mondrian(table, &spec),
        _ => kanon::full_domain(table, &spec),
    }
    .map_err(|e| format!("privacy: {e}"))?;
    let summary = json!({
        "method": privacy.method,
        "k": k,
        "l": privacy.l,
        "suppressionLimit": privacy.suppression_limit,
        "levels": outcome.levels.as_ref().map(|levels| {
            privacy.quasi_identifiers.iter().cloned().zip(levels.iter().map(|l| json!(l))).collect::<serde_json::Map<String, Value>>()
        }),
        "loss": outcome.loss.loss,
        "lossArithmetic": outcome.loss.loss_arithmetic,
        "discernibility": outcome.loss.discernibility.to_string(),
        "averageClassSize": outcome.loss.average_class_size,
        "classes": outcome.loss.classes,
        "suppressed": outcome.loss.suppressed,
    });
    Ok((outcome.table, summary))
}
