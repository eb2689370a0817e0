//! ListSecrets (and BatchGetSecretValue) filters as AWS applies them: `name`,
//! `tag-key`, `tag-value`, `primary-region` and `owning-service` match a prefix
//! (case-sensitive); `description` matches words (every whitespace-separated word
//! of the value is the start of a word of the description, any case); `all`
//! matches words of every
//! attribute, words being split at `/ _ + = . @ -`, spaces and case changes. A
//! value starting with `!` negates. Values of one filter are OR'ed, filters AND'ed.

/// What a filter sees of a secret.
pub struct Subject<'a> {
    pub name: &'a str,
    pub description: Option<&'a str>,
    pub tags: &'a [(String, String)],
    pub primary_region: Option<&'a str>,
    pub owning_service: Option<&'a str>,
}

/// A filter: a key and its values.
pub struct Filter<'a> {
    pub key: &'a str,
    pub values: &'a [String],
}

/// Whether every filter matches.
pub fn matches(subject: &Subject<'_>, filters: &[Filter<'_>]) -> bool {
    filters.iter().all(|f| {
        f.values.iter().any(|value| {
            let (negated, value) = match value.strip_prefix('!') {
                Some(rest) => (true, rest),
                None => (false, value.as_str()),
            };
            match_one(subject, f.key, value) != negated
        })
    })
}

fn match_one(s: &Subject<'_>, key: &str, value: &str) -> bool {
    match key {
        "name" => s.name.starts_with(value),
        // (The value's words are split as the description's are: at
        // whitespace, so `v2` or `desc3` is one word on both sides.)
        "description" => s
            .description
            .is_some_and(|d| words_start(&plain_words(value), &plain_words(d))),
        "tag-key" => s.tags.iter().any(|(k, _)| k.starts_with(value)),
        "tag-value" => s.tags.iter().any(|(_, v)| v.starts_with(value)),
        "primary-region" => s.primary_region.is_some_and(|r| r.starts_with(value)),
        "owning-service" => s.owning_service.is_some_and(|o| o.starts_with(value)),
        "all" => {
            let mut words = split_words(s.name);
            if let Some(d) = s.description {
                words.extend(split_words(d));
            }
            for (k, v) in s.tags {
                words.extend(split_words(k));
                words.extend(split_words(v));
            }
            for extra in [s.primary_region, s.owning_service].into_iter().flatten() {
                words.extend(split_words(extra));
            }
            words_match(value, &words)
        }
        _ => false,
    }
}

/// Every word of `value` starts some word of `words`, ignoring case. A value
/// with no word (only separators) matches nothing.
fn words_match(value: &str, words: &[String]) -> bool {
    words_start(&split_words(value), words)
}

/// Every word of `wanted` (lower-cased) starts some word of `words`; none
/// wanted matches nothing.
fn words_start(wanted: &[String], words: &[String]) -> bool {
    !wanted.is_empty()
        && wanted.iter().all(|w| {
            words
                .iter()
                .any(|candidate| candidate.starts_with(w.as_str()))
        })
}

/// Lower-cased words split at whitespace.
fn plain_words(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_lowercase).collect()
}

/// Lower-cased words split at separators and at lower-to-upper case changes and
/// letter/digit boundaries (`credsDatabase#892` → creds, database#, 892).
fn split_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut prev: Option<char> = None;
    for c in text.chars() {
        let separator = c.is_whitespace() || "/_+=.@-".contains(c);
        let boundary = match prev {
            Some(p) => {
                (p.is_lowercase() && c.is_uppercase())
                    || (p.is_alphabetic() && c.is_ascii_digit())
                    || (p.is_ascii_digit() && c.is_alphabetic())
            }
            None => false,
        };
        if (separator || boundary) && !current.is_empty() {
            words.push(std::mem::take(&mut current).to_lowercase());
        }
        if !separator {
            current.push(c);
        }
        prev = if separator { None } else { Some(c) };
    }
    if !current.is_empty() {
        words.push(current.to_lowercase());
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject<'a>(
        name: &'a str,
        description: Option<&'a str>,
        tags: &'a [(String, String)],
    ) -> Subject<'a> {
        Subject {
            name,
            description,
            tags,
            primary_region: None,
            owning_service: None,
        }
    }

    fn one(key: &str, values: &[&str], s: &Subject<'_>) -> bool {
        let values: Vec<String> = values.iter().map(|v| v.to_string()).collect();
        matches(
            s,
            &[Filter {
                key,
                values: &values,
            }],
        )
    }

    #[test]
    fn name_is_a_case_sensitive_prefix() {
        let s = subject("/prod/db", None, &[]);
        assert!(one("name", &["/"], &s));
        assert!(one("name", &["/prod"], &s));
        assert!(!one("name", &["/Prod"], &s));
        assert!(!one("name", &["!/"], &s));
        assert!(one("name", &["!x"], &s));
        assert!(one("name", &["nope", "/pr"], &s), "values are OR'ed");
        let t = subject("testing1", None, &[]);
        assert!(!one("name", &["testing1 one"], &t));
    }

    #[test]
    fn description_matches_words_in_any_case() {
        let s = subject("n", Some("An Secret for training"), &[]);
        assert!(one("description", &["a secret"], &s));
        assert!(one("description", &["TRAIN"], &s));
        assert!(!one("description", &["asecret"], &s));
        assert!(!one("description", &["!a"], &s));
        let two = subject("n", Some("one two"), &[]);
        assert!(one("description", &["t"], &two));
        // Words with digits, a whole description, and a camel-case prefix.
        let v2 = subject("n", Some("Production database v2"), &[]);
        for value in ["Production database v2", "v2", "database v2", "PRODUCTION"] {
            assert!(one("description", &[value], &v2), "{value}");
        }
        assert!(!one("description", &["prodData"], &v2));
        assert!(one(
            "description",
            &["prodData"],
            &subject("n", Some("prodDatabase"), &[])
        ));
        assert!(!one("description", &["x"], &subject("n", None, &[])));
    }

    #[test]
    fn tags_and_all() {
        let tags = vec![("team".to_string(), "ml-Platform".to_string())];
        let s = subject("credsDatabase#892", Some("rotated nightly"), &tags);
        assert!(one("tag-key", &["te"], &s));
        assert!(!one("tag-key", &["Te"], &s));
        assert!(one("tag-value", &["ml-"], &s));
        assert!(one("all", &["database"], &s));
        assert!(one("all", &["CREDS"], &s));
        assert!(one("all", &["platform"], &s));
        assert!(one("all", &["night"], &s));
        assert!(!one("all", &["ret"], &subject("SecretOne", None, &[])));
        assert!(!one("all", &["+"], &s));
        // Filters are AND'ed.
        let a = vec!["cred".to_string()];
        let b = vec!["zzz".to_string()];
        assert!(!matches(
            &s,
            &[
                Filter {
                    key: "name",
                    values: &a
                },
                Filter {
                    key: "tag-key",
                    values: &b
                }
            ]
        ));
    }
}
