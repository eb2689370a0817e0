//! k-anonymity on Adult (30,162 records, 9 quasi-identifiers with ARX's
//! hierarchies from `crates/mlguard-deid/data/adult/`, a copy of `../shared/data/adult/`): full-domain generalization and
//! Mondrian at k = 2, 5, 10, 100, each without suppression and with a 5 %
//! limit. Runtime is the best of `--repeat` runs (default 3) of the
//! anonymization alone (the table and hierarchies are read once).
//!
//! Usage: deid_adult [--data DIR] [--repeat 3] [--json]

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::fs::File;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use mlguard_deid::hierarchy::Hierarchy;
use mlguard_deid::kanon::{Outcome, QuasiIdentifier, Spec, full_domain, mondrian};
use mlguard_deid::risk::measure;
use mlguard_deid::table::read_delimited;
use serde_json::json;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const COLUMNS: [&str; 9] = [
    "sex",
    "age",
    "race",
    "marital-status",
    "education",
    "native-country",
    "workclass",
    "occupation",
    "salary-class",
];

fn main() {
    let mut data =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../crates/mlguard-deid/data/adult");
    let mut repeat = 3usize;
    let mut as_json = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--data" => data = PathBuf::from(args.next().expect("--data DIR")),
            "--repeat" => repeat = args.next().expect("--repeat N").parse().expect("a number"),
            "--json" => as_json = true,
            other => panic!("unknown argument {other}"),
        }
    }
    let table = read_delimited(
        File::open(data.join("adult.csv")).expect("adult.csv"),
        Some(b';'),
    )
    .expect("Adult");
    let hierarchy = |c: &str| {
        Hierarchy::read(
            File::open(data.join(format!("adult_hierarchy_{c}.csv"))).expect("hierarchy file"),
        )
        .expect("hierarchy")
    };
    let categorical: Vec<QuasiIdentifier> = COLUMNS
        .iter()
        .map(|c| QuasiIdentifier::categorical(c, hierarchy(c)))
        .collect();
    // Mondrian: age numeric (ranges; the loss's domain is the hierarchy's 1-99).
    let mixed: Vec<QuasiIdentifier> = COLUMNS
        .iter()
        .map(|c| {
            if *c == "age" {
                QuasiIdentifier::numeric(c, Some(hierarchy(c)))
            } else {
                QuasiIdentifier::categorical(c, hierarchy(c))
            }
        })
        .collect();
    let mut rows = Vec::new();
    if !as_json {
        println!(
            "| k | suppression limit | method | runtime (best of {repeat}) | loss | discernibility | avg class size | suppressed | levels |"
        );
        println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    }
    for k in [2usize, 5, 10, 100] {
        for limit in [0.0, 0.05] {
            for method in ["full-domain", "mondrian"] {
                let mut spec = Spec::new(
                    if method == "full-domain" {
                        categorical.clone()
                    } else {
                        mixed.clone()
                    },
                    k,
                );
                spec.suppression_limit = limit;
                let mut best = Duration::MAX;
                let mut outcome: Option<Outcome> = None;
                for _ in 0..repeat.max(1) {
                    let t = Instant::now();
                    let o = if method == "full-domain" {
                        full_domain(&table, &spec)
                    } else {
                        mondrian(&table, &spec)
                    }
                    .expect("anonymized");
                    best = best.min(t.elapsed());
                    outcome = Some(o);
                }
                let o = outcome.unwrap();
                // The output's own k: the smallest class of records not
                // suppressed (suppressed records are `*` in every column).
                let own_k = smallest_kept_class(&o.table);
                assert!(own_k >= k, "{method} k={k}: output k {own_k}");
                assert!(o.loss.suppressed <= (limit * table.rows() as f64).floor() as usize);
                if o.loss.suppressed == 0 {
                    assert!(measure(&o.table, &COLUMNS, None, 0.5).unwrap().k >= k);
                }
                let levels = o
                    .levels
                    .as_ref()
                    .map(|l| {
                        l.iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join("")
                    })
                    .unwrap_or_else(|| "-".into());
                if as_json {
                    rows.push(json!({
                        "k": k, "suppression_limit": limit, "method": method,
                        "seconds": best.as_secs_f64(), "loss": o.loss.loss,
                        "loss_arithmetic": o.loss.loss_arithmetic,
                        "per_attribute": o.loss.per_attribute,
                        "discernibility": o.loss.discernibility.to_string(),
                        "average_class_size": o.loss.average_class_size,
                        "classes": o.loss.classes, "suppressed": o.loss.suppressed,
                        "levels": o.levels, "nodes_evaluated": o.nodes_evaluated,
                    }));
                } else {
                    println!(
                        "| {k} | {:.0} % | {method} | {:.3} s | {:.4} | {:.3e} | {:.1} | {} | {levels} |",
                        limit * 100.0,
                        best.as_secs_f64(),
                        o.loss.loss,
                        o.loss.discernibility as f64,
                        o.loss.average_class_size,
                        o.loss.suppressed,
                    );
                }
            }
        }
    }
    if as_json {
        println!("{}", serde_json::to_string_pretty(&rows).unwrap());
    }
}

/// The smallest class among records whose quasi-identifiers are not all `*`.
fn smallest_kept_class(t: &mlguard_deid::table::Table) -> usize {
    let columns: Vec<Vec<String>> = COLUMNS
        .iter()
        .map(|c| {
            t.text_column(t.column(c).unwrap())
                .unwrap()
                .into_iter()
                .flat_map(|a| a.iter().map(|v| v.unwrap_or("").to_owned()))
                .collect()
        })
        .collect();
    let mut classes: std::collections::HashMap<Vec<&str>, usize> = std::collections::HashMap::new();
    for r in 0..t.rows() {
        let key: Vec<&str> = columns.iter().map(|c| c[r].as_str()).collect();
        if key.iter().all(|v| *v == "*") {
            continue;
        }
        *classes.entry(key).or_default() += 1;
    }
    classes.values().copied().min().unwrap_or(usize::MAX)
}
