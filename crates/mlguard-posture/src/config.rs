//! The configuration file (`--config FILE`, YAML or JSON): suppressions,
//! each with the reason a reviewer will read.
//!
//! ```yaml
//! suppressions:
//!   - check: sagemaker-notebook-root-access
//!     resource: dev-*          # a resource name; `*` matches any run of characters
//!     reason: sandbox notebooks install their own packages (ticket SEC-142)
//! ```

use serde::Deserialize;

use crate::checks;
use crate::evaluate::Finding;

/// One suppression.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Suppression {
    pub check: String,
    /// The resource; absent or `*` for every resource.
    #[serde(default)]
    pub resource: Option<String>,
    /// A file path (suffix match); absent for every file.
    #[serde(default)]
    pub file: Option<String>,
    pub reason: String,
}

/// The configuration.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub suppressions: Vec<Suppression>,
}

impl Config {
    /// Parses and validates a configuration: every suppression names a known
    /// check and gives a reason.
    pub fn parse(name: &str, text: &str) -> Result<Config, String> {
        let config: Config = if name.ends_with(".json") {
            serde_json::from_str(text).map_err(|e| format!("{name}: {e}"))?
        } else {
            yaml_serde::from_str(text).map_err(|e| format!("{name}: {e}"))?
        };
        for (i, s) in config.suppressions.iter().enumerate() {
            if checks::by_id(&s.check).is_none() {
                return Err(format!(
                    "{name}: suppression {}: unknown check {}",
                    i + 1,
                    s.check
                ));
            }
            if s.reason.trim().is_empty() {
                return Err(format!(
                    "{name}: suppression {} ({}): a reason is required",
                    i + 1,
                    s.check
                ));
            }
        }
        Ok(config)
    }

    /// The reason a finding is suppressed, if one suppression matches it.
    #[must_use]
    pub fn suppression(&self, f: &Finding) -> Option<String> {
        self.suppressions
            .iter()
            .find(|s| {
                s.check == f.check.id
                    && s.resource.as_deref().is_none_or(|p| glob(p, &f.resource))
                    && s.file.as_deref().is_none_or(|p| f.origin.file.ends_with(p))
            })
            .map(|s| s.reason.clone())
    }
}

/// `*` matches any run of characters; everything else matches itself.
fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let [first, middle @ .., last] = parts.as_slice() else {
        return pattern == text;
    };
    if parts.len() == 1 {
        return pattern == text;
    }
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    for m in middle {
        match rest.find(m) {
            Some(i) => rest = rest.get(i + m.len()..).unwrap_or_default(),
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::glob;

    #[test]
    fn globs() {
        assert!(glob("dev-*", "dev-notebook"));
        assert!(!glob("dev-*", "prod-notebook"));
        assert!(glob("*", "x"));
        assert!(glob("a*b*c", "aXXbYYc"));
        assert!(!glob("a*b*c", "aXXc"));
        assert!(glob("exact", "exact"));
        assert!(!glob("ab*ba", "aba"));
    }
}
