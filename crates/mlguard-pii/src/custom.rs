//! Custom data identifiers, as Amazon Macie defines them
//! (`CreateCustomDataIdentifier`): a regex, optional keywords that must
//! precede a match within `maximumMatchDistance` characters, and ignore words
//! that disqualify a match containing them. Limits are Macie's: regex at most
//! 512 characters; up to 50 keywords of 3–90 characters; up to 10 ignore words
//! of 4–90 characters; distance 1–300 (default 50).

use serde::Deserialize;

use crate::types::Severity;

/// A custom identifier, in the JSON shape of Macie's `CreateCustomDataIdentifier`
/// request (extra members such as `description` or `tags` are accepted and
/// ignored).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomIdentifier {
    /// Name reported as the finding's type.
    pub name: String,
    /// The pattern (Rust `regex` syntax, a superset of the Boost subset Macie
    /// accepts for these purposes).
    pub regex: String,
    /// Keywords, any of which must precede a match (case-insensitive).
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Matches containing any of these (case-sensitive) are ignored.
    #[serde(default)]
    pub ignore_words: Vec<String>,
    /// Characters allowed between a keyword's end and the match's end.
    #[serde(default = "default_distance")]
    pub maximum_match_distance: usize,
    /// Severity of a finding (Macie's lowest severity level; default MEDIUM).
    #[serde(default, deserialize_with = "severity_levels")]
    pub severity_levels: Option<Severity>,
}

fn default_distance() -> usize {
    50
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SeverityLevel {
    #[serde(default)]
    occurrences_threshold: u64,
    severity: String,
}

fn severity_levels<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Severity>, D::Error> {
    let levels: Vec<SeverityLevel> = Vec::deserialize(d)?;
    let lowest = levels.iter().min_by_key(|l| l.occurrences_threshold);
    match lowest {
        None => Ok(None),
        Some(l) => Severity::parse(&l.severity).map(Some).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "severity `{}` is not LOW, MEDIUM or HIGH",
                l.severity
            ))
        }),
    }
}

/// A custom identifier that breaks Macie's rules.
#[derive(Debug, thiserror::Error)]
pub enum CustomIdentifierError {
    /// The file is not the expected JSON.
    #[error("custom identifiers: {0}")]
    Json(String),
    /// One identifier is invalid.
    #[error("custom identifier `{name}`: {detail}")]
    Invalid {
        /// Its name.
        name: String,
        /// What is wrong.
        detail: String,
    },
}

impl CustomIdentifier {
    /// Parses a file's contents: one identifier object, an array of them, or
    /// `{"customDataIdentifiers": [...]}`.
    pub fn parse_file(json: &str) -> Result<Vec<CustomIdentifier>, CustomIdentifierError> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum File {
            Wrapped {
                #[serde(rename = "customDataIdentifiers")]
                custom_data_identifiers: Vec<CustomIdentifier>,
            },
            Many(Vec<CustomIdentifier>),
            One(Box<CustomIdentifier>),
        }
        let file: File = serde_json::from_str(json).map_err(|e| {
            CustomIdentifierError::Json(format!(
                "{e} (expected an object with name and regex, an array of them, or {{\"customDataIdentifiers\": [...]}})"
            ))
        })?;
        let list = match file {
            File::Wrapped {
                custom_data_identifiers,
            } => custom_data_identifiers,
            File::Many(v) => v,
            File::One(one) => vec![*one],
        };
        for (i, c) in list.iter().enumerate() {
            c.validate()?;
            // Findings are grouped and given a severity by name: two
            // identifiers of one name would share a group (Macie keeps names
            // unique too).
            if list
                .iter()
                .take(i)
                .any(|other| other.name.eq_ignore_ascii_case(&c.name))
            {
                return Err(CustomIdentifierError::Invalid {
                    name: c.name.clone(),
                    detail: "another custom identifier has this name".into(),
                });
            }
        }
        Ok(list)
    }

    /// Checks Macie's limits.
    pub fn validate(&self) -> Result<(), CustomIdentifierError> {
        let bad = |detail: String| CustomIdentifierError::Invalid {
            name: self.name.clone(),
            detail,
        };
        if self.name.is_empty() || self.name.chars().count() > 128 {
            return Err(bad("name must be 1–128 characters".into()));
        }
        // (A built-in type's name would merge the two kinds of finding, and
        // the custom severity would stand for the built-in one.)
        if crate::PiiType::ALL
            .iter()
            .any(|t| t.as_str().eq_ignore_ascii_case(&self.name))
        {
            return Err(bad(
                "name is a built-in type's; choose another (custom findings are reported under their name)".into(),
            ));
        }
        let regex_len = self.regex.chars().count();
        if regex_len == 0 || regex_len > 512 {
            return Err(bad(format!(
                "regex must be 1–512 characters, not {regex_len}"
            )));
        }
        if let Err(e) = regex::Regex::new(&self.regex) {
            return Err(bad(format!("regex does not compile: {e}")));
        }
        if self.keywords.len() > 50 {
            return Err(bad("at most 50 keywords".into()));
        }
        if let Some(k) = self
            .keywords
            .iter()
            .find(|k| !(3..=90).contains(&k.chars().count()))
        {
            return Err(bad(format!("keyword `{k}` must be 3–90 characters")));
        }
        if self.ignore_words.len() > 10 {
            return Err(bad("at most 10 ignore words".into()));
        }
        if let Some(w) = self
            .ignore_words
            .iter()
            .find(|w| !(4..=90).contains(&w.chars().count()))
        {
            return Err(bad(format!("ignore word `{w}` must be 4–90 characters")));
        }
        if !(1..=300).contains(&self.maximum_match_distance) {
            return Err(bad(format!(
                "maximumMatchDistance must be 1–300, not {}",
                self.maximum_match_distance
            )));
        }
        Ok(())
    }

    /// Severity of this identifier's findings.
    #[must_use]
    pub fn severity(&self) -> Severity {
        self.severity_levels.unwrap_or(Severity::Medium)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_macie_shapes_and_enforces_limits() {
        let one = r#"{"name":"employee-id","regex":"EMP-[0-9]{6}","keywords":["employee"],
            "maximumMatchDistance":20,"severityLevels":[{"occurrencesThreshold":1,"severity":"HIGH"}],
            "description":"ignored"}"#;
        let v = CustomIdentifier::parse_file(one).unwrap();
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].severity(), Severity::High);
        assert_eq!(v[0].maximum_match_distance, 20);
        let wrapped =
            r#"{"customDataIdentifiers":[{"name":"a","regex":"x+"},{"name":"b","regex":"y+"}]}"#;
        assert_eq!(CustomIdentifier::parse_file(wrapped).unwrap().len(), 2);
        for clash in [
            r#"[{"name":"SSN","regex":"x"}]"#,
            r#"[{"name":"email","regex":"x"}]"#,
            r#"[{"name":"a","regex":"x"},{"name":"A","regex":"y"}]"#,
        ] {
            assert!(
                matches!(
                    CustomIdentifier::parse_file(clash),
                    Err(CustomIdentifierError::Invalid { .. })
                ),
                "{clash}"
            );
        }
        let bad = r#"[{"name":"a","regex":"("}]"#;
        assert!(
            CustomIdentifier::parse_file(bad)
                .unwrap_err()
                .to_string()
                .contains("does not compile")
        );
        let far = r#"[{"name":"a","regex":"x","maximumMatchDistance":301}]"#;
        assert!(
            CustomIdentifier::parse_file(far)
                .unwrap_err()
                .to_string()
                .contains("1–300")
        );
        let short = r#"[{"name":"a","regex":"x","ignoreWords":["abc"]}]"#;
        assert!(CustomIdentifier::parse_file(short).is_err());
        assert!(CustomIdentifier::parse_file("[1]").is_err());
    }
}
