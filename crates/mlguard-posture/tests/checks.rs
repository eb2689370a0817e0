#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use mlguard_posture::checks::{ALL, peers};

#[test]
fn every_check_has_its_peers_listed_and_ids_are_unique() {
    let raw: serde_json::Value =
        serde_json::from_str(include_str!("../data/peer-ids.json")).unwrap();
    let mut seen = std::collections::HashSet::new();
    for c in ALL {
        assert!(seen.insert(c.id), "duplicate id {}", c.id);
        assert!(
            raw.get(c.id).is_some(),
            "{} missing from data/peer-ids.json",
            c.id
        );
        for id in &peers(c.id).checkov {
            assert!(
                id.starts_with("CKV_AWS_") || id.starts_with("CKV2_AWS_"),
                "{id}"
            );
        }
    }
    for k in raw
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| !k.starts_with('_'))
    {
        assert!(
            ALL.iter().any(|c| c.id == k),
            "peer-ids.json names unknown check {k}"
        );
    }
}
