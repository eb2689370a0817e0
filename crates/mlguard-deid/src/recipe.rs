//! Recipes: per-column steps named as AWS Glue DataBrew names them, plus
//! mlguard's own where DataBrew has none, and dataset-level privacy
//! requirements.
//!
//! A recipe is YAML or JSON. Its steps are DataBrew's shape
//! (`{"Action": {"Operation": ..., "Parameters": {...}}}`, `RecipeAction`
//! accepted too), so the `Steps` of `aws databrew describe-recipe` load as
//! they are; parameter values may be DataBrew's strings (`"lowerBound":
//! "1"`, `"sourceColumns": "[\"a\"]"`) or plain YAML values.
//!
//! ```yaml
//! columns: {age: integer, visit: date}    # optional declared types
//! steps:
//!   - Action: {Operation: MASK_RANGE, Parameters: {sourceColumns: [ssn], stop: -4, alphabet: [SYMBOLS]}}
//! privacy:
//!   quasiIdentifiers: [age, zip, sex]
//!   sensitive: [diagnosis]
//!   k: 5
//!   suppressionLimit: 0.05
//!   epsilon: 1.0
//! ```
//!
//! [`Recipe::parse`] checks the shape; [`Recipe::plan`] checks it against a
//! table's schema (unknown columns, declared types against what a step
//! needs, the ε budget) before any row is read.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::DeidError;

/// A column type a recipe may declare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    String,
    Integer,
    Decimal,
    Date,
    Timestamp,
    Boolean,
}

impl ColumnType {
    fn parse(s: &str) -> Option<ColumnType> {
        Some(match s.to_ascii_lowercase().as_str() {
            "string" | "text" => ColumnType::String,
            "integer" | "int" | "long" => ColumnType::Integer,
            "decimal" | "double" | "float" | "number" => ColumnType::Decimal,
            "date" => ColumnType::Date,
            "timestamp" | "datetime" => ColumnType::Timestamp,
            "boolean" | "bool" => ColumnType::Boolean,
            _ => return None,
        })
    }

    #[must_use]
    pub fn is_numeric(self) -> bool {
        matches!(self, ColumnType::Integer | ColumnType::Decimal)
    }

    #[must_use]
    pub fn is_temporal(self) -> bool {
        matches!(self, ColumnType::Date | ColumnType::Timestamp)
    }

    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            ColumnType::String => "string",
            ColumnType::Integer => "integer",
            ColumnType::Decimal => "decimal",
            ColumnType::Date => "date",
            ColumnType::Timestamp => "timestamp",
            ColumnType::Boolean => "boolean",
        }
    }
}

/// One step: its operation and parameters, as written.
#[derive(Debug, Clone)]
pub struct Step {
    /// 1-based position in the recipe, for messages.
    pub number: usize,
    pub operation: String,
    pub parameters: serde_json::Map<String, Value>,
}

/// Dataset-level requirements.
#[derive(Debug, Clone, Default)]
pub struct Privacy {
    pub quasi_identifiers: Vec<String>,
    pub sensitive: Vec<String>,
    pub k: Option<usize>,
    pub l: Option<usize>,
    pub suppression_limit: f64,
    /// `FULL_DOMAIN` (hierarchy-based global recoding) or `MONDRIAN`.
    pub method: String,
    /// Per quasi-identifier: a hierarchy file, or a built-in one.
    pub hierarchies: BTreeMap<String, Value>,
    /// The dataset's ε budget for noise steps.
    pub epsilon: Option<String>,
    /// Suppressed records are dropped (`true`) or kept with `*`.
    pub drop_suppressed: bool,
    /// Re-identification risk threshold for the report.
    pub threshold: f64,
}

/// A parsed recipe.
#[derive(Debug, Clone, Default)]
pub struct Recipe {
    pub columns: BTreeMap<String, ColumnType>,
    pub steps: Vec<Step>,
    pub privacy: Option<Privacy>,
}

/// Every operation a recipe may name, with whether DataBrew has it.
pub const OPERATIONS: &[(&str, bool)] = &[
    ("DELETE", true),
    ("CRYPTOGRAPHIC_HASH", true),
    ("DETERMINISTIC_ENCRYPT", true),
    ("DETERMINISTIC_DECRYPT", true),
    ("MASK_CUSTOM", true),
    ("MASK_DATE", true),
    ("MASK_DELIMITER", true),
    ("MASK_RANGE", true),
    ("REPLACE_WITH_RANDOM_BETWEEN", true),
    ("REPLACE_WITH_RANDOM_DATE_BETWEEN", true),
    ("SHUFFLE_ROWS", true),
    ("MASK_EMAIL", false),
    ("PSEUDONYMIZE", false),
    ("SUBSTITUTE", false),
    ("GENERALIZE", false),
    ("SUPPRESS", false),
    ("SHIFT_DATE", false),
    ("ADD_NOISE", false),
    ("TOKENIZE", false),
    ("REDACT_PII", false),
];

fn err(step: Option<&Step>, message: impl std::fmt::Display) -> DeidError {
    match step {
        Some(s) => DeidError::Input(format!("step {} ({}): {message}", s.number, s.operation)),
        None => DeidError::Input(format!("recipe: {message}")),
    }
}

impl Recipe {
    /// Parses YAML or JSON (JSON is YAML). Accepts a mapping with `steps`
    /// (or DataBrew's `Steps`), or a bare list of steps.
    pub fn parse(text: &str) -> Result<Recipe, DeidError> {
        if text.len() > 4 << 20 {
            return Err(err(None, "over 4 MiB"));
        }
        let value: Value = yaml_serde::from_str(text).map_err(|e| err(None, e))?;
        let (steps, rest) = match value {
            Value::Array(steps) => (steps, serde_json::Map::new()),
            Value::Object(mut map) => {
                let steps = match map.remove("steps").or_else(|| map.remove("Steps")) {
                    Some(Value::Array(s)) => s,
                    Some(_) => return Err(err(None, "`steps` is a list")),
                    None => Vec::new(),
                };
                (steps, map)
            }
            _ => {
                return Err(err(
                    None,
                    "a recipe is a mapping with `steps`, or a list of steps",
                ));
            }
        };
        let mut recipe = Recipe::default();
        for (key, value) in rest {
            match key.as_str() {
                "columns" => {
                    let Value::Object(cols) = value else {
                        return Err(err(None, "`columns` maps column names to types"));
                    };
                    for (name, t) in cols {
                        let t = t.as_str().and_then(ColumnType::parse).ok_or_else(|| {
                            err(None, format!("column {name:?}: the type is one of string, integer, decimal, date, timestamp, boolean"))
                        })?;
                        recipe.columns.insert(name, t);
                    }
                }
                "privacy" => recipe.privacy = Some(parse_privacy(value)?),
                "name" | "Name" | "description" | "Description" | "version" | "Version" => {}
                other => {
                    return Err(err(
                        None,
                        format!("unknown key `{other}` (columns, steps, privacy)"),
                    ));
                }
            }
        }
        for (i, step) in steps.into_iter().enumerate() {
            recipe.steps.push(parse_step(i + 1, step)?);
        }
        if recipe.steps.is_empty() && recipe.privacy.is_none() {
            return Err(err(
                None,
                "no steps and no privacy requirements: nothing to do",
            ));
        }
        Ok(recipe)
    }
}

fn parse_step(number: usize, value: Value) -> Result<Step, DeidError> {
    let bad = |m: &str| DeidError::Input(format!("step {number}: {m}"));
    let Value::Object(mut map) = value else {
        return Err(bad("a step is a mapping with `Action`"));
    };
    let action = map
        .remove("Action")
        .or_else(|| map.remove("RecipeAction"))
        .or_else(|| map.remove("action"))
        .ok_or_else(|| bad("a step has an `Action` with `Operation` and `Parameters`"))?;
    if map.keys().any(|k| k != "ConditionExpressions") {
        return Err(bad("a step has only `Action`"));
    }
    if map.contains_key("ConditionExpressions") {
        return Err(bad("ConditionExpressions are not supported"));
    }
    let Value::Object(mut action) = action else {
        return Err(bad("`Action` is a mapping"));
    };
    let operation = match action
        .remove("Operation")
        .or_else(|| action.remove("operation"))
    {
        Some(Value::String(op)) => op,
        _ => return Err(bad("`Action` names its `Operation`")),
    };
    if !OPERATIONS.iter().any(|(op, _)| *op == operation) {
        return Err(bad(&format!(
            "unknown operation {operation:?}; the operations are {}",
            OPERATIONS
                .iter()
                .map(|(o, _)| *o)
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let parameters = match action
        .remove("Parameters")
        .or_else(|| action.remove("parameters"))
    {
        Some(Value::Object(p)) => p,
        None => serde_json::Map::new(),
        Some(_) => return Err(bad("`Parameters` is a mapping")),
    };
    if let Some(k) = action.keys().next() {
        return Err(bad(&format!("unknown key `{k}` in `Action`")));
    }
    Ok(Step {
        number,
        operation,
        parameters,
    })
}

fn parse_privacy(value: Value) -> Result<Privacy, DeidError> {
    let Value::Object(map) = value else {
        return Err(err(None, "`privacy` is a mapping"));
    };
    let mut p = Privacy {
        method: "FULL_DOMAIN".into(),
        threshold: 0.2,
        ..Privacy::default()
    };
    for (key, v) in map {
        let name = format!("privacy.{key}");
        match key.as_str() {
            "quasiIdentifiers" => {
                p.quasi_identifiers =
                    list(&v).ok_or_else(|| err(None, format!("{name} is a list of columns")))?
            }
            "sensitive" => {
                p.sensitive =
                    list(&v).ok_or_else(|| err(None, format!("{name} is a list of columns")))?
            }
            "k" => {
                p.k =
                    Some(count(&v).filter(|k| *k >= 1).ok_or_else(|| {
                        err(None, format!("{name} is a whole number of at least 1"))
                    })?)
            }
            "l" => {
                p.l =
                    Some(count(&v).filter(|l| *l >= 1).ok_or_else(|| {
                        err(None, format!("{name} is a whole number of at least 1"))
                    })?)
            }
            "suppressionLimit" => {
                p.suppression_limit = number(&v)
                    .filter(|s| (0.0..=1.0).contains(s))
                    .ok_or_else(|| err(None, format!("{name} is a share between 0 and 1")))?;
            }
            "threshold" => {
                p.threshold = number(&v)
                    .filter(|s| *s > 0.0 && *s <= 1.0)
                    .ok_or_else(|| err(None, format!("{name} is a probability in (0, 1]")))?;
            }
            "method" => {
                let m = text(&v).map(|s| s.to_ascii_uppercase()).unwrap_or_default();
                if m != "FULL_DOMAIN" && m != "MONDRIAN" {
                    return Err(err(None, format!("{name} is FULL_DOMAIN or MONDRIAN")));
                }
                p.method = m;
            }
            "hierarchies" => {
                let Value::Object(h) = v else {
                    return Err(err(
                        None,
                        format!("{name} maps quasi-identifiers to hierarchies"),
                    ));
                };
                p.hierarchies = h.into_iter().collect();
            }
            "epsilon" => {
                p.epsilon = Some(text(&v).ok_or_else(|| err(None, format!("{name} is a number")))?);
            }
            "dropSuppressed" => {
                p.drop_suppressed =
                    boolean(&v).ok_or_else(|| err(None, format!("{name} is true or false")))?
            }
            other => return Err(err(None, format!("unknown key `privacy.{other}`"))),
        }
    }
    if p.k.is_some() && p.quasi_identifiers.is_empty() {
        return Err(err(None, "privacy.k needs privacy.quasiIdentifiers"));
    }
    if p.l.is_some() && p.sensitive.len() != 1 {
        return Err(err(
            None,
            "privacy.l needs exactly one privacy.sensitive column",
        ));
    }
    Ok(p)
}

// Parameter readers: DataBrew writes every parameter as a string, YAML
// writes native values; both are accepted.

/// A string parameter (numbers and booleans as written).
#[must_use]
pub fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A list parameter: a list, a JSON list in a string, or one string.
#[must_use]
pub fn list(v: &Value) -> Option<Vec<String>> {
    match v {
        Value::Array(items) => items.iter().map(text).collect(),
        Value::String(s) if s.trim_start().starts_with('[') => {
            serde_json::from_str::<Vec<Value>>(s)
                .ok()?
                .iter()
                .map(text)
                .collect()
        }
        Value::String(s) => Some(vec![s.clone()]),
        _ => None,
    }
}

#[must_use]
pub fn boolean(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

#[must_use]
pub fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok().filter(|x: &f64| x.is_finite()),
        _ => None,
    }
}

#[must_use]
pub fn count(v: &Value) -> Option<usize> {
    match v {
        Value::Number(n) => n.as_u64().and_then(|n| usize::try_from(n).ok()),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// An integer parameter (negative allowed).
#[must_use]
pub fn integer(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

impl Step {
    /// A parameter, or an error naming it.
    pub fn get(&self, name: &str) -> Result<&Value, DeidError> {
        self.parameters
            .get(name)
            .ok_or_else(|| err(Some(self), format!("needs the parameter `{name}`")))
    }

    pub fn opt(&self, name: &str) -> Option<&Value> {
        self.parameters.get(name)
    }

    pub fn text(&self, name: &str) -> Result<String, DeidError> {
        text(self.get(name)?).ok_or_else(|| err(Some(self), format!("`{name}` is a string")))
    }

    pub fn opt_text(&self, name: &str) -> Result<Option<String>, DeidError> {
        self.opt(name)
            .map(|v| text(v).ok_or_else(|| err(Some(self), format!("`{name}` is a string"))))
            .transpose()
    }

    pub fn list(&self, name: &str) -> Result<Vec<String>, DeidError> {
        list(self.get(name)?)
            .ok_or_else(|| err(Some(self), format!("`{name}` is a list of strings")))
    }

    pub fn opt_list(&self, name: &str) -> Result<Vec<String>, DeidError> {
        match self.opt(name) {
            None => Ok(Vec::new()),
            Some(v) => {
                list(v).ok_or_else(|| err(Some(self), format!("`{name}` is a list of strings")))
            }
        }
    }

    pub fn opt_bool(&self, name: &str, default: bool) -> Result<bool, DeidError> {
        match self.opt(name) {
            None => Ok(default),
            Some(v) => {
                boolean(v).ok_or_else(|| err(Some(self), format!("`{name}` is true or false")))
            }
        }
    }

    pub fn opt_integer(&self, name: &str) -> Result<Option<i64>, DeidError> {
        self.opt(name)
            .map(|v| {
                integer(v).ok_or_else(|| err(Some(self), format!("`{name}` is a whole number")))
            })
            .transpose()
    }

    pub fn opt_count(&self, name: &str, default: usize) -> Result<usize, DeidError> {
        match self.opt(name) {
            None => Ok(default),
            Some(v) => count(v).ok_or_else(|| {
                err(
                    Some(self),
                    format!("`{name}` is a whole number of 0 or more"),
                )
            }),
        }
    }

    /// The one-character `maskSymbol` (default `#`, DataBrew's).
    pub fn mask_symbol(&self) -> Result<char, DeidError> {
        match self.opt_text("maskSymbol")? {
            None => Ok('#'),
            Some(s) => {
                let mut chars = s.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => Ok(c),
                    _ => Err(err(Some(self), "`maskSymbol` is one character")),
                }
            }
        }
    }

    /// An error about this step.
    pub fn error(&self, message: impl std::fmt::Display) -> DeidError {
        err(Some(self), message)
    }

    /// Rejects parameters the operation does not know.
    pub fn only(&self, known: &[&str]) -> Result<(), DeidError> {
        for k in self.parameters.keys() {
            if !known.contains(&k.as_str()) {
                return Err(err(
                    Some(self),
                    format!("unknown parameter `{k}` (known: {})", known.join(", ")),
                ));
            }
        }
        Ok(())
    }
}
