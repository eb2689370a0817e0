//! Staging labels and versions, as Secrets Manager documents them: a label is on at
//! most one version; a new value takes AWSCURRENT unless other labels are asked for,
//! and the version that loses AWSCURRENT takes AWSPREVIOUS; a version without
//! labels is deprecated, and past 100 of them the oldest are removed, never one
//! created in the last 24 hours. Pure: the service applies the result.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::ApiError;

pub const CURRENT: &str = "AWSCURRENT";
pub const PREVIOUS: &str = "AWSPREVIOUS";
pub const PENDING: &str = "AWSPENDING";

/// Deprecated versions kept at most.
pub const MAX_DEPRECATED: usize = 100;
/// Versions younger than this are never pruned.
pub const PRUNE_AGE_SECS: i64 = 86_400;

/// A version's metadata (its value is stored apart, encrypted).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Version {
    /// Its staging labels.
    pub stages: Vec<String>,
    /// Creation time.
    pub created: i64,
    /// Creation order within the secret (ties of `created`).
    pub seq: u64,
    /// Last read (GetSecretValue), a date.
    #[serde(default)]
    pub last_accessed: Option<i64>,
    /// The KMS key that encrypted its value (`None`: no value yet, a rotation's
    /// AWSPENDING placeholder).
    #[serde(default)]
    pub key_arn: Option<String>,
}

/// A secret's versions by id.
pub type Versions = BTreeMap<String, Version>;

fn invalid(message: String) -> ApiError {
    ApiError::bad_request("InvalidParameterException", message)
}

/// The version holding `label`.
pub fn holder<'v>(versions: &'v Versions, label: &str) -> Option<&'v str> {
    versions
        .iter()
        .find(|(_, v)| v.stages.iter().any(|s| s == label))
        .map(|(id, _)| id.as_str())
}

fn remove_label(versions: &mut Versions, id: &str, label: &str) {
    if let Some(v) = versions.get_mut(id) {
        v.stages.retain(|s| s != label);
    }
}

fn add_label(versions: &mut Versions, id: &str, label: &str) {
    if let Some(v) = versions.get_mut(id)
        && !v.stages.iter().any(|s| s == label)
    {
        v.stages.push(label.to_string());
    }
}

/// AWSCURRENT moves from `from` to another version: `from` takes AWSPREVIOUS
/// from whichever version had it.
fn demote_current(versions: &mut Versions, from: &str) {
    if let Some(previous) = holder(versions, PREVIOUS).map(str::to_string) {
        remove_label(versions, &previous, PREVIOUS);
    }
    add_label(versions, from, PREVIOUS);
}

/// Labels a new version `id` (already inserted, without labels) the way
/// CreateSecret, PutSecretValue and UpdateSecret do: `stages`, or AWSCURRENT when
/// none are given; the first value of a secret is always AWSCURRENT.
pub fn label_new(versions: &mut Versions, id: &str, stages: Option<&[String]>) {
    let mut labels: Vec<String> = match stages {
        Some(s) => s.to_vec(),
        None => vec![CURRENT.to_string()],
    };
    let old_current = holder(versions, CURRENT)
        .filter(|h| *h != id)
        .map(str::to_string);
    if old_current.is_none() && !labels.iter().any(|l| l == CURRENT) {
        labels.push(CURRENT.to_string());
    }
    labels.dedup();
    for label in &labels {
        if let Some(h) = holder(versions, label).map(str::to_string)
            && h != id
        {
            remove_label(versions, &h, label);
        }
    }
    if labels.iter().any(|l| l == CURRENT)
        && let Some(old) = &old_current
    {
        demote_current(versions, old);
        // A new value ends a rotation that staged AWSPENDING on the old current
        // version (as AWS does when a value is put over it).
        remove_label(versions, old, PENDING);
    }
    for label in labels {
        add_label(versions, id, &label);
    }
}

/// UpdateSecretVersionStage.
pub fn move_label(
    versions: &mut Versions,
    label: &str,
    move_to: Option<&str>,
    remove_from: Option<&str>,
) -> Result<(), ApiError> {
    for id in move_to.iter().chain(remove_from.iter()) {
        if !versions.contains_key(*id) {
            return Err(invalid(format!("The version {id} doesn't exist.")));
        }
    }
    let current_holder = holder(versions, label).map(str::to_string);
    match (move_to, remove_from) {
        (None, None) => Err(invalid(
            "You must specify MoveToVersionId or RemoveFromVersionId.".into(),
        )),
        (None, Some(from)) => {
            if current_holder.as_deref() != Some(from) {
                return Err(invalid(format!(
                    "The staging label {label} isn't attached to version {from}."
                )));
            }
            if label == CURRENT {
                return Err(invalid(
                    "You can't remove the staging label AWSCURRENT without moving it to another version."
                        .into(),
                ));
            }
            remove_label(versions, from, label);
            Ok(())
        }
        (Some(to), from) => {
            if let Some(h) = &current_holder
                && h != to
                && from != Some(h.as_str())
            {
                return Err(invalid(format!(
                    "The parameter RemoveFromVersionId can't be empty. Staging label {label} is \
                     currently attached to version {h}, so you must explicitly reference that \
                     version in RemoveFromVersionId."
                )));
            }
            if let Some(from) = from
                && current_holder.as_deref() != Some(from)
            {
                return Err(invalid(format!(
                    "The staging label {label} isn't attached to version {from}."
                )));
            }
            if current_holder.as_deref() == Some(to) {
                return Ok(());
            }
            if let Some(h) = &current_holder {
                remove_label(versions, h, label);
                if label == CURRENT {
                    demote_current(versions, h);
                }
            }
            add_label(versions, to, label);
            Ok(())
        }
    }
}

/// Deprecated versions past the limit, oldest first, sparing young ones.
pub fn prunable(versions: &Versions, now: i64) -> Vec<String> {
    let mut deprecated: Vec<(&String, &Version)> = versions
        .iter()
        .filter(|(_, v)| v.stages.is_empty())
        .collect();
    if deprecated.len() <= MAX_DEPRECATED {
        return Vec::new();
    }
    deprecated.sort_by_key(|(_, v)| v.seq);
    let excess = deprecated.len() - MAX_DEPRECATED;
    deprecated
        .into_iter()
        .filter(|(_, v)| now - v.created >= PRUNE_AGE_SECS)
        .take(excess)
        .map(|(id, _)| id.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used, clippy::indexing_slicing, reason = "tests")]

    use super::*;

    fn insert(versions: &mut Versions, id: &str, seq: u64) {
        versions.insert(
            id.into(),
            Version {
                stages: Vec::new(),
                created: 0,
                seq,
                last_accessed: None,
                key_arn: Some("k".into()),
            },
        );
    }

    fn labels(versions: &Versions, id: &str) -> Vec<String> {
        let mut s = versions[id].stages.clone();
        s.sort();
        s
    }

    fn put(versions: &mut Versions, id: &str, stages: Option<&[&str]>) {
        let seq = versions.len() as u64;
        insert(versions, id, seq);
        let owned: Option<Vec<String>> = stages.map(|s| s.iter().map(|x| x.to_string()).collect());
        label_new(versions, id, owned.as_deref());
    }

    #[test]
    fn new_values_take_current_and_the_old_one_previous() {
        let mut v = Versions::new();
        put(&mut v, "v1", None);
        assert_eq!(labels(&v, "v1"), [CURRENT]);
        put(&mut v, "v2", None);
        assert_eq!(labels(&v, "v1"), [PREVIOUS]);
        assert_eq!(labels(&v, "v2"), [CURRENT]);
        put(&mut v, "v3", None);
        assert!(labels(&v, "v1").is_empty(), "deprecated");
        assert_eq!(labels(&v, "v2"), [PREVIOUS]);
    }

    #[test]
    fn explicit_stages_leave_current_alone_and_move_only_what_is_named() {
        let mut v = Versions::new();
        put(&mut v, "v1", Some(&["AWSPENDING"]));
        assert_eq!(
            labels(&v, "v1"),
            [CURRENT, PENDING],
            "the first value is always current"
        );
        put(&mut v, "v2", Some(&["one", "two", "three"]));
        put(&mut v, "v3", Some(&["one", "two", "four"]));
        assert_eq!(labels(&v, "v2"), ["three"]);
        assert_eq!(labels(&v, "v3"), ["four", "one", "two"]);
        put(&mut v, "v4", Some(&["AWSPENDING"]));
        assert_eq!(labels(&v, "v1"), [CURRENT]);
        assert_eq!(labels(&v, "v4"), [PENDING]);
    }

    #[test]
    fn a_default_put_over_a_current_pending_version_drops_pending() {
        // Recorded against AWS: v2 [AWSCURRENT, AWSPENDING], put v3 → v2 [AWSPREVIOUS].
        let mut v = Versions::new();
        put(&mut v, "v1", None);
        put(&mut v, "v2", None);
        add_label(&mut v, "v2", PENDING);
        put(&mut v, "v3", None);
        assert_eq!(labels(&v, "v2"), [PREVIOUS]);
        assert!(labels(&v, "v1").is_empty());
    }

    #[test]
    fn moving_current_moves_previous_and_keeps_pending_and_custom_labels() {
        let mut v = Versions::new();
        put(&mut v, "v1", None);
        put(&mut v, "v2", Some(&["AWSPENDING"]));
        add_label(&mut v, "v1", "PUT0");
        let err = move_label(&mut v, CURRENT, Some("v2"), None).expect_err("must name v1");
        assert_eq!(
            err.message.as_deref(),
            Some(
                "The parameter RemoveFromVersionId can't be empty. Staging label AWSCURRENT is currently attached to version v1, so you must explicitly reference that version in RemoveFromVersionId."
            )
        );
        move_label(&mut v, CURRENT, Some("v2"), Some("v1")).expect("moved");
        assert_eq!(labels(&v, "v2"), [CURRENT, PENDING]);
        assert_eq!(labels(&v, "v1"), [PREVIOUS, "PUT0"]);
        move_label(&mut v, PENDING, None, Some("v2")).expect("removed");
        assert_eq!(labels(&v, "v2"), [CURRENT]);
        assert!(move_label(&mut v, CURRENT, None, Some("v2")).is_err());
        assert!(move_label(&mut v, "X", Some("nope"), None).is_err());
        move_label(&mut v, "NEW", Some("v1"), None).expect("a new label");
        assert_eq!(labels(&v, "v1"), [PREVIOUS, "NEW", "PUT0"]);
    }

    #[test]
    fn pruning_keeps_100_deprecated_and_young_ones() {
        let mut v = Versions::new();
        for i in 0..130u64 {
            insert(&mut v, &format!("{i:03}"), i);
        }
        let pruned = prunable(&v, PRUNE_AGE_SECS);
        assert_eq!(pruned.len(), 30);
        assert_eq!(pruned.first().map(String::as_str), Some("000"));
        assert!(
            prunable(&v, PRUNE_AGE_SECS - 1).is_empty(),
            "all younger than a day"
        );
        v.get_mut("000").expect("v").stages.push(CURRENT.into());
        assert_eq!(prunable(&v, PRUNE_AGE_SECS).len(), 29);
    }
}
