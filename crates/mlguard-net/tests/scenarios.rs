//! Scenario tests as data: every file in `tests/scenarios/` holds a topology
//! in the concise YAML, questions about it, and the answers AWS's documented
//! behaviour gives. See `tests/scenarios/README.md`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::Path;

use mlguard_net::reach::{Dest, Query, Source, analyze};

fn query(q: &yaml_serde::Value) -> Query {
    let s = |k: &str| q.get(k).and_then(|v| v.as_str()).map(str::to_owned);
    let from = s("from").expect("from");
    let groups: Vec<String> = q
        .get("security_groups")
        .and_then(|v| v.as_sequence())
        .map(|a| a.iter().map(|g| g.as_str().unwrap().to_owned()).collect())
        .unwrap_or_default();
    let source = if from.starts_with("subnet-") {
        Source::Subnet {
            subnet: from,
            groups,
        }
    } else {
        Source::Interface(from)
    };
    let to = s("to").expect("to");
    let destination = if to.starts_with("eni-") {
        Dest::Interface(to)
    } else if let Some(ip) = mlguard_net::ip::parse_ip(&to) {
        Dest::Address(ip)
    } else {
        Dest::Service(to)
    };
    let protocol = mlguard_net::ip::parse_protocol(&s("protocol").unwrap_or_else(|| "tcp".into()))
        .unwrap()
        .unwrap();
    let port = q.get("port").and_then(|v| v.as_u64()).unwrap_or(443) as u16;
    Query {
        source,
        destination,
        protocol,
        port,
    }
}

fn run(path: &Path) -> usize {
    let text = std::fs::read_to_string(path).unwrap();
    let doc: yaml_serde::Value = yaml_serde::from_str(&text).unwrap();
    let name = path.file_name().unwrap().to_str().unwrap();
    let topo_text = yaml_serde::to_string(doc.get("topology").expect("topology")).unwrap();
    let mut topo = mlguard_net::Topology::default();
    let loaded = mlguard_net::yaml::read(name, &topo_text, &mut topo)
        .and_then(|()| mlguard_net::finish(topo));
    if let Some(want) = doc.get("expect_error").and_then(|v| v.as_str()) {
        let err = loaded
            .err()
            .unwrap_or_else(|| panic!("{name}: expected an error containing {want:?}"));
        assert!(
            err.to_string().contains(want),
            "{name}: {err} does not contain {want:?}"
        );
        return 1;
    }
    let topo = loaded.unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut n = 0;
    for (i, q) in doc
        .get("queries")
        .and_then(|v| v.as_sequence())
        .expect("queries")
        .iter()
        .enumerate()
    {
        let label = format!(
            "{name} query {i} ({})",
            q.get("says").and_then(|v| v.as_str()).unwrap_or("")
        );
        let a = analyze(&topo, &query(q)).unwrap_or_else(|e| panic!("{label}: {e}"));
        let expect = q.get("expect").expect("expect");
        let json = serde_json::to_string_pretty(&a).unwrap();
        let reachable = expect
            .get("reachable")
            .and_then(|v| v.as_bool())
            .expect("expect.reachable");
        assert_eq!(a.network_path_found, reachable, "{label}\n{json}");
        if let Some(code) = expect.get("code").and_then(|v| v.as_str()) {
            let first = a
                .explanations
                .first()
                .unwrap_or_else(|| panic!("{label}: no explanation\n{json}"));
            assert_eq!(first.explanation_code, code, "{label}\n{json}");
            if let Some(c) = expect.get("component").and_then(|v| v.as_str()) {
                assert_eq!(first.component.id, c, "{label}\n{json}");
            }
            if let Some(d) = expect.get("direction").and_then(|v| v.as_str()) {
                assert_eq!(first.direction.as_deref(), Some(d), "{label}\n{json}");
            }
        }
        if reachable {
            assert!(a.explanations.is_empty(), "{label}\n{json}");
            assert!(
                !a.return_path_components.is_empty(),
                "{label}: no return path\n{json}"
            );
        }
        for w in expect
            .get("warnings")
            .and_then(|v| v.as_sequence())
            .into_iter()
            .flatten()
        {
            let w = w.as_str().unwrap();
            assert!(
                a.warnings.iter().any(|x| x.explanation_code == w),
                "{label}: no warning {w}\n{json}"
            );
        }
        if let Some(via) = expect.get("via").and_then(|v| v.as_sequence()) {
            let ids: Vec<&str> = a
                .forward_path_components
                .iter()
                .map(|c| c.component.id.as_str())
                .collect();
            for v in via {
                let v = v.as_str().unwrap();
                assert!(
                    ids.contains(&v),
                    "{label}: path does not go through {v}: {ids:?}"
                );
            }
        }
        n += 1;
    }
    n
}

#[test]
fn every_scenario_gives_the_documented_answer() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 8, "scenarios missing");
    let total: usize = files.iter().map(|f| run(f)).sum();
    assert!(total >= 20, "only {total} questions");
}
