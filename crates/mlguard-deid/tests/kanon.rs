#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::float_cmp,
    clippy::panic,
    clippy::cast_precision_loss
)]

use std::collections::HashMap;
use std::io::Cursor;
use std::path::PathBuf;

use arrow_array::{Array, StringArray};
use mlguard_deid::DeidError;
use mlguard_deid::hierarchy::Hierarchy;
use mlguard_deid::kanon::{Diversity, QuasiIdentifier, Spec, full_domain, mondrian};
use mlguard_deid::risk::measure;
use mlguard_deid::table::{Table, read_delimited};

fn table(text: &str) -> Table {
    read_delimited(Cursor::new(text.to_owned()), Some(b',')).unwrap()
}

fn column(t: &Table, name: &str) -> Vec<Option<String>> {
    let i = t.column(name).unwrap();
    t.batches
        .iter()
        .flat_map(|b| {
            let a = b.column(i).as_any().downcast_ref::<StringArray>().unwrap();
            (0..a.len())
                .map(|j| (!a.is_null(j)).then(|| a.value(j).to_owned()))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Rows of the quasi-identifiers, as text.
fn rows(t: &Table, names: &[&str]) -> Vec<Vec<String>> {
    let cols: Vec<_> = names.iter().map(|n| column(t, n)).collect();
    (0..t.rows())
        .map(|r| {
            cols.iter()
                .map(|c| c[r].clone().unwrap_or_default())
                .collect()
        })
        .collect()
}

/// Our own check: every class of records not suppressed (not all `*`) has
/// at least `k` records (and `l` distinct sensitive values).
fn assert_anonymous(t: &Table, names: &[&str], k: usize, sensitive: Option<(&str, usize)>) {
    let keys = rows(t, names);
    let sens = sensitive.map(|(s, _)| column(t, s));
    let mut classes: HashMap<&Vec<String>, (usize, Vec<Option<String>>)> = HashMap::new();
    for (r, key) in keys.iter().enumerate() {
        if key.iter().all(|v| v == "*") {
            continue;
        }
        let e = classes.entry(key).or_default();
        e.0 += 1;
        if let Some(s) = &sens
            && !e.1.contains(&s[r])
        {
            e.1.push(s[r].clone());
        }
    }
    for (key, (size, distinct)) in &classes {
        assert!(*size >= k, "class {key:?} has {size} records, k = {k}");
        if let Some((_, l)) = sensitive {
            assert!(
                distinct.len() >= l,
                "class {key:?} has {} values",
                distinct.len()
            );
        }
    }
}

fn suppressed_rows(t: &Table, names: &[&str]) -> usize {
    rows(t, names)
        .iter()
        .filter(|r| r.iter().all(|v| v == "*"))
        .count()
}

fn h(rows: &[&str]) -> Hierarchy {
    Hierarchy::read(Cursor::new(rows.join("\n"))).unwrap()
}

fn input_error<T: std::fmt::Debug>(r: Result<T, DeidError>, needle: &str) {
    match r {
        Err(DeidError::Input(m)) => assert!(m.contains(needle), "{m:?} lacks {needle:?}"),
        Ok(v) => panic!("expected an error with {needle:?}, got {v:?}"),
    }
}

// ---------------------------------------------------------------------------
// Hierarchies.

#[test]
fn hierarchy_from_arx_text() {
    let x = Hierarchy::read(Cursor::new(
        "Bachelors;Undergraduate;Higher education;*\r\nMasters;Graduate;Higher education;*\r\n\
         Doctorate;Graduate;Higher education;*\r\n\r\n11th;High School;Secondary education;*\r\n",
    ))
    .unwrap();
    assert_eq!((x.height(), x.leaves()), (4, 4));
    assert_eq!(x.generalize("Masters", 0), Some("Masters"));
    assert_eq!(x.generalize("Masters", 1), Some("Graduate"));
    assert_eq!(x.generalize("11th", 2), Some("Secondary education"));
    assert_eq!(x.generalize("11th", 3), Some("*"));
    assert_eq!(x.generalize("11th", 4), None);
    assert_eq!(x.generalize("12th", 1), None);
    assert_eq!(x.leaves_under("Graduate", 1), Some(2));
    assert_eq!(x.leaves_under("Higher education", 2), Some(3));
    assert_eq!(x.leaves_under("*", 3), Some(4));
    assert_eq!(x.leaves_under("Graduate", 2), None);
    assert_eq!(x.labels(1), 3);
}

#[test]
fn hierarchy_errors_name_the_line() {
    input_error(Hierarchy::read(Cursor::new("a;x;*\nb;x\n")), "line 2");
    input_error(
        Hierarchy::read(Cursor::new("a;x;*\nb;y;*\na;y;*\n")),
        "line 3",
    );
    // x goes to * on line 1 and to + on line 3: one value, two parents.
    let e = Hierarchy::read(Cursor::new("a;x;*\nb;y;*\n\nc;x;+\n"));
    input_error(e.clone(), "line 4");
    input_error(e, "\"x\"");
    input_error(Hierarchy::read(Cursor::new("")), "no rows");
    input_error(Hierarchy::read(Cursor::new("\n\n")), "no rows");
}

#[test]
fn built_in_hierarchies() {
    let age = Hierarchy::intervals(17, 90, 5).unwrap();
    assert_eq!(age.leaves(), 74);
    assert_eq!(age.generalize("17", 1), Some("15-19"));
    assert_eq!(age.generalize("17", 2), Some("10-19"));
    assert_eq!(age.generalize("17", 3), Some("0-19"));
    assert_eq!(age.generalize("90", 4), Some("80-119"));
    assert_eq!(age.generalize("90", 5), Some("80-159"));
    assert_eq!(age.generalize("90", age.height() - 1), Some("*"));
    assert_eq!(age.leaves_under("15-19", 1), Some(3));
    assert_eq!(
        Hierarchy::intervals(-3, 3, 2).unwrap().generalize("-3", 1),
        Some("-4--3")
    );
    input_error(Hierarchy::intervals(5, 1, 2), "above");
    input_error(Hierarchy::intervals(0, 9, 0), "width");
    input_error(Hierarchy::intervals(i64::MIN, i64::MAX, 1), "more than");

    let zip = Hierarchy::prefix(["12345", "12399", "12345", "9876"]).unwrap();
    assert_eq!(zip.leaves(), 3);
    assert_eq!(zip.height(), 6);
    assert_eq!(zip.generalize("12345", 1), Some("1234*"));
    assert_eq!(zip.generalize("12345", 3), Some("12***"));
    assert_eq!(zip.leaves_under("12***", 3), Some(2));
    assert_eq!(zip.generalize("9876", 1), Some("987*"));
    assert_eq!(zip.generalize("9876", 4), Some("****"));
    assert_eq!(zip.generalize("9876", 5), Some("*"));
    let flat = Hierarchy::flat(["a", "b", "a"]).unwrap();
    assert_eq!((flat.height(), flat.leaves()), (2, 2));
}

fn adult_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/adult")
}

const ADULT: [&str; 9] = [
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

fn adult_hierarchy(c: &str) -> Hierarchy {
    Hierarchy::read(
        std::fs::File::open(adult_dir().join(format!("adult_hierarchy_{c}.csv"))).unwrap(),
    )
    .unwrap()
}

#[test]
fn adult_hierarchies_parse() {
    let heights: Vec<usize> = ADULT.iter().map(|c| adult_hierarchy(c).height()).collect();
    assert_eq!(heights, [2, 5, 2, 3, 4, 3, 3, 3, 2]);
    let age = adult_hierarchy("age");
    assert_eq!(age.generalize("39", 1), Some("35-39"));
    assert_eq!(age.leaves_under("30-39", 2), Some(10));
}

// ---------------------------------------------------------------------------
// Full-domain generalization, by hand.

/// Seven records, one outlier (14853, 38).
const SMALL: &str = "zip,age,disease
13053,25,flu
13053,25,cold
13068,28,flu
13068,28,flu
14850,35,cancer
14850,35,flu
14853,38,cold
";

fn small_spec(k: usize) -> Spec {
    let zip = h(&[
        "13053;1305*;130**;*",
        "13068;1306*;130**;*",
        "14850;1485*;148**;*",
        "14853;1485*;148**;*",
    ]);
    let age = h(&["25;20-29;*", "28;20-29;*", "35;30-39;*", "38;30-39;*"]);
    Spec::new(
        vec![
            QuasiIdentifier::categorical("zip", zip),
            QuasiIdentifier::categorical("age", age),
        ],
        k,
    )
}

#[test]
fn textbook_optimum_without_suppression() {
    let t = table(SMALL);
    let o = full_domain(&t, &small_spec(2)).unwrap();
    // (zip 0, age *) etc. fail or cost more; (1305*/1306*/1485*, decade):
    // zip loss (4·0 + 3·1/3)/7 = 1/7, age 1/3.
    assert_eq!(o.levels, Some(vec![1, 1]));
    let expected = (8.0_f64 / 7.0 * (4.0 / 3.0)).sqrt() - 1.0;
    assert!((o.loss.loss - expected).abs() < 1e-12, "{}", o.loss.loss);
    assert!((o.loss.loss_arithmetic - (1.0 / 7.0 + 1.0 / 3.0) / 2.0).abs() < 1e-12);
    assert!((o.loss.per_attribute[0] - 1.0 / 7.0).abs() < 1e-12);
    assert_eq!(o.loss.discernibility, 4 + 4 + 9);
    assert_eq!((o.loss.classes, o.loss.suppressed), (3, 0));
    assert!((o.loss.average_class_size - 7.0 / 3.0).abs() < 1e-12);
    assert_eq!(
        column(&o.table, "zip")
            .into_iter()
            .flatten()
            .collect::<Vec<_>>(),
        [
            "1305*", "1305*", "1306*", "1306*", "1485*", "1485*", "1485*"
        ]
    );
    assert_eq!(column(&o.table, "age")[6].as_deref(), Some("30-39"));
    // Other columns are untouched.
    assert_eq!(column(&o.table, "disease"), column(&t, "disease"));
    assert_eq!(measure(&o.table, &["zip", "age"], None, 0.5).unwrap().k, 2);
    assert_anonymous(&o.table, &["zip", "age"], 2, None);
}

#[test]
fn textbook_optimum_with_suppression() {
    let t = table(SMALL);
    let mut spec = small_spec(2);
    spec.suppression_limit = 0.15; // ⌊0.15 · 7⌋ = 1 record
    let o = full_domain(&t, &spec).unwrap();
    // Suppressing the outlier leaves the data as it was.
    assert_eq!(o.levels, Some(vec![0, 0]));
    assert!((o.loss.loss - 1.0 / 7.0).abs() < 1e-12, "{}", o.loss.loss);
    assert_eq!(o.loss.per_attribute.len(), 2);
    assert_eq!(o.loss.suppressed, 1);
    assert_eq!(o.loss.discernibility, 3 * 4 + 7);
    assert_eq!(o.loss.classes, 3);
    assert!((o.loss.average_class_size - 7.0 / 4.0).abs() < 1e-12);
    assert_eq!(rows(&o.table, &["zip", "age"])[6], ["*", "*"]);
    assert_eq!(column(&o.table, "disease")[6].as_deref(), Some("cold"));
    assert_eq!(suppressed_rows(&o.table, &["zip", "age"]), 1);
    assert_anonymous(&o.table, &["zip", "age"], 2, None);

    // Dropped instead of starred.
    spec.drop_suppressed = true;
    let o = full_domain(&t, &spec).unwrap();
    assert_eq!(o.table.rows(), 6);
    assert_eq!(o.loss.suppressed, 1);
    assert_eq!(measure(&o.table, &["zip", "age"], None, 0.5).unwrap().k, 2);

    // A limit below one record is no suppression.
    spec.suppression_limit = 0.1;
    assert_eq!(full_domain(&t, &spec).unwrap().levels, Some(vec![1, 1]));
}

#[test]
fn textbook_l_diversity() {
    let t = table(SMALL);
    let mut spec = small_spec(2);
    spec.diversity = Some(Diversity {
        column: "disease".into(),
        l: 2,
    });
    let o = full_domain(&t, &spec).unwrap();
    // (1306*, 20-29) holds only flu: zip must rise to 130**; (2, 1):
    // {flu, cold} and {cancer, flu, cold}.
    assert_eq!(o.levels, Some(vec![2, 1]));
    assert!((o.loss.loss - 1.0 / 3.0).abs() < 1e-12);
    let r = measure(&o.table, &["zip", "age"], Some("disease"), 0.5).unwrap();
    assert_eq!((r.k, r.sensitive.unwrap().distinct_l), (3, 2));
}

// ---------------------------------------------------------------------------
// Full-domain generalization against brute force over every node.

/// A deterministic table of `n` records: a number 0..=9, a category of six
/// in two groups, a three-digit code of eight, a sensitive value of four.
fn generated(n: usize, seed: u64) -> String {
    let mut x = seed;
    let mut next = |m: u64| {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (x >> 33) % m
    };
    let cats = ["a1", "a2", "a3", "b1", "b2", "b3"];
    let codes = ["120", "121", "125", "130", "131", "200", "201", "210"];
    let mut s = String::from("num,cat,code,s\n");
    for _ in 0..n {
        // Skewed: small values and the first codes are common.
        let num = next(10).min(next(10));
        let cat = cats[next(6) as usize];
        let code = codes[(next(8).min(next(8) + 2)) as usize];
        let sens = ["x", "y", "z", "w"][next(4) as usize];
        s.push_str(&format!("{num},{cat},{code},{sens}\n"));
    }
    s
}

fn generated_qis(t: &Table) -> Vec<QuasiIdentifier> {
    let codes = column(t, "code");
    vec![
        QuasiIdentifier::categorical("num", Hierarchy::intervals(0, 9, 2).unwrap()),
        QuasiIdentifier::categorical(
            "cat",
            h(&["a1;a;*", "a2;a;*", "a3;a;*", "b1;b;*", "b2;b;*", "b3;b;*"]),
        ),
        QuasiIdentifier::categorical(
            "code",
            Hierarchy::prefix(codes.iter().map(|c| c.as_deref().unwrap())).unwrap(),
        ),
    ]
}

/// The lowest loss over every node, computed naively from the hierarchies'
/// public API; also checks that qualifying is monotone.
fn brute_force(t: &Table, spec: &Spec) -> Option<f64> {
    let names: Vec<&str> = spec
        .quasi_identifiers
        .iter()
        .map(|q| q.column.as_str())
        .collect();
    let values = rows(t, &names);
    let sens = spec.diversity.as_ref().map(|d| column(t, &d.column));
    let hs: Vec<&Hierarchy> = spec
        .quasi_identifiers
        .iter()
        .map(|q| q.hierarchy.as_ref().unwrap())
        .collect();
    let heights: Vec<usize> = hs.iter().map(|h| h.height()).collect();
    let n = values.len();
    let max_suppressed = (spec.suppression_limit * n as f64).floor() as usize;
    let mut nodes = vec![vec![]];
    for &height in &heights {
        nodes = nodes
            .into_iter()
            .flat_map(|p: Vec<usize>| {
                (0..height).map(move |l| {
                    let mut q = p.clone();
                    q.push(l);
                    q
                })
            })
            .collect();
    }
    let mut qualifies: HashMap<Vec<usize>, bool> = HashMap::new();
    let mut best: Option<f64> = None;
    for node in &nodes {
        let generalized: Vec<Vec<&str>> = values
            .iter()
            .map(|r| {
                r.iter()
                    .zip(&hs)
                    .zip(node)
                    .map(|((v, h), &l)| h.generalize(v, l).unwrap())
                    .collect()
            })
            .collect();
        let mut classes: HashMap<&Vec<&str>, (usize, Vec<&Option<String>>)> = HashMap::new();
        for (r, g) in generalized.iter().enumerate() {
            let e = classes.entry(g).or_default();
            e.0 += 1;
            if let Some(s) = &sens
                && !e.1.contains(&&s[r])
            {
                e.1.push(&s[r]);
            }
        }
        let l = spec.diversity.as_ref().map_or(1, |d| d.l);
        let bad = |g: &Vec<&str>| {
            let (size, distinct) = &classes[g];
            *size < spec.k || (sens.is_some() && distinct.len() < l)
        };
        let suppressed = generalized.iter().filter(|g| bad(g)).count();
        let ok = suppressed <= max_suppressed;
        qualifies.insert(node.clone(), ok);
        if !ok {
            continue;
        }
        let per: Vec<f64> = (0..hs.len())
            .map(|a| {
                generalized
                    .iter()
                    .map(|g| {
                        if bad(g) {
                            1.0
                        } else {
                            let d = hs[a].leaves() as f64;
                            let under = hs[a].leaves_under(g[a], node[a]).unwrap() as f64;
                            (under - 1.0) / (d - 1.0)
                        }
                    })
                    .sum::<f64>()
                    / n as f64
            })
            .collect();
        let loss = per
            .iter()
            .map(|v| (1.0 + v).powf(1.0 / per.len() as f64))
            .product::<f64>()
            - 1.0;
        if best.is_none_or(|b| loss < b) {
            best = Some(loss);
        }
    }
    // Monotone: a qualifying node's direct generalizations qualify.
    for node in &nodes {
        if qualifies[node] {
            for a in 0..node.len() {
                if node[a] + 1 < heights[a] {
                    let mut up = node.clone();
                    up[a] += 1;
                    assert!(qualifies[&up], "{node:?} qualifies, {up:?} does not");
                }
            }
        }
    }
    best
}

#[test]
fn full_domain_finds_the_optimum_over_the_lattice() {
    for (seed, n) in [(1u64, 300usize), (7, 120), (42, 500)] {
        let t = table(&generated(n, seed));
        for k in [2, 3, 5, 12] {
            for limit in [0.0, 0.02, 0.05, 0.2] {
                for l in [None, Some(2), Some(3)] {
                    let mut spec = Spec::new(generated_qis(&t), k);
                    spec.suppression_limit = limit;
                    spec.diversity = l.map(|l| Diversity {
                        column: "s".into(),
                        l,
                    });
                    let expected = brute_force(&t, &spec);
                    let got = full_domain(&t, &spec);
                    let ctx = format!("seed {seed} n {n} k {k} limit {limit} l {l:?}");
                    match (expected, got) {
                        (None, Err(DeidError::Input(m))) => {
                            assert!(m.contains("no generalization"), "{ctx}: {m}");
                        }
                        (Some(e), Ok(o)) => {
                            assert!(
                                (o.loss.loss - e).abs() < 1e-9,
                                "{ctx}: {} vs {e}",
                                o.loss.loss
                            );
                            assert!(
                                o.loss.suppressed <= (limit * n as f64).floor() as usize,
                                "{ctx}"
                            );
                            assert_eq!(
                                suppressed_rows(&o.table, &["num", "cat", "code"]),
                                o.loss.suppressed,
                                "{ctx}"
                            );
                            assert_anonymous(
                                &o.table,
                                &["num", "cat", "code"],
                                k,
                                l.map(|l| ("s", l)),
                            );
                        }
                        (e, g) => {
                            panic!("{ctx}: brute force {e:?}, search {:?}", g.map(|o| o.loss))
                        }
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Mondrian.

#[test]
fn mondrian_by_hand() {
    let t = table("age,zip\n21,a1\n22,a1\n23,a2\n24,a2\n31,a1\n32,a1\n33,b1\n34,b1\n");
    let zip = h(&["a1;a;*", "a2;a;*", "b1;b;*"]);
    let spec = Spec::new(
        vec![
            QuasiIdentifier::numeric("age", None),
            QuasiIdentifier::categorical("zip", zip),
        ],
        2,
    );
    let o = mondrian(&t, &spec).unwrap();
    assert_eq!(o.levels, None);
    let r = rows(&o.table, &["age", "zip"]);
    // Age (widest) splits at its median into 21-24 and 31-34; zip then
    // splits each: {a1: 2, a2: 2} and {a: 2, b: 2} (31-32 under a, 33-34 b).
    assert_eq!(
        r,
        [
            ["21-22", "a1"],
            ["21-22", "a1"],
            ["23-24", "a2"],
            ["23-24", "a2"],
            ["31-32", "a1"],
            ["31-32", "a1"],
            ["33-34", "b1"],
            ["33-34", "b1"],
        ]
    );
    // Age: every range spans 1 of 13 (21..=34); zip: every value a leaf.
    assert!((o.loss.per_attribute[0] - 1.0 / 13.0).abs() < 1e-12);
    assert_eq!(o.loss.per_attribute[1], 0.0);
    assert_eq!((o.loss.classes, o.loss.discernibility), (4, 16));
    assert_anonymous(&o.table, &["age", "zip"], 2, None);

    // k = 4: two partitions of four; zip of 31..34 generalizes to `*`.
    let o = mondrian(
        &t,
        &Spec {
            k: 4,
            ..spec.clone()
        },
    )
    .unwrap();
    let r = rows(&o.table, &["age", "zip"]);
    assert_eq!(r[0], ["21-24", "a"]);
    assert_eq!(r[7], ["31-34", "*"]);
    assert_anonymous(&o.table, &["age", "zip"], 4, None);

    // k = 8: one class; a single value stays itself.
    let o = mondrian(&t, &Spec { k: 8, ..spec }).unwrap();
    assert_eq!(rows(&o.table, &["age", "zip"])[0], ["21-34", "*"]);
    assert!((o.loss.loss - 1.0).abs() < 1e-12);
}

#[test]
fn mondrian_outputs_are_anonymous_and_diverse() {
    for seed in [3u64, 11] {
        let t = table(&generated(600, seed));
        let mut qis = generated_qis(&t);
        qis[0] = QuasiIdentifier::numeric("num", None);
        for k in [2, 4, 10, 50] {
            for limit in [0.0, 0.05] {
                for l in [None, Some(2), Some(3)] {
                    let mut spec = Spec::new(qis.clone(), k);
                    spec.suppression_limit = limit;
                    spec.diversity = l.map(|l| Diversity {
                        column: "s".into(),
                        l,
                    });
                    let o = mondrian(&t, &spec).unwrap();
                    assert!(o.loss.suppressed <= (limit * 600.0).floor() as usize);
                    assert_eq!(
                        suppressed_rows(&o.table, &["num", "cat", "code"]),
                        o.loss.suppressed
                    );
                    assert_anonymous(&o.table, &["num", "cat", "code"], k, l.map(|l| ("s", l)));
                    assert!((0.0..=1.0).contains(&o.loss.loss));
                    // Mondrian is never worse than one class of everything.
                    assert!(o.loss.loss < 1.0);
                    spec.drop_suppressed = true;
                    let dropped = mondrian(&t, &spec).unwrap();
                    assert_eq!(dropped.table.rows(), 600 - dropped.loss.suppressed);
                    let r = measure(&dropped.table, &["num", "cat", "code"], l.map(|_| "s"), 0.5)
                        .unwrap();
                    assert!(r.k >= k);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Adult: ARX's figures.

fn adult() -> Table {
    read_delimited(
        std::fs::File::open(adult_dir().join("adult.csv")).unwrap(),
        Some(b';'),
    )
    .unwrap()
}

#[test]
fn adult_k5_matches_arx() {
    let t = adult();
    assert_eq!(t.rows(), 30_162);
    let qis: Vec<QuasiIdentifier> = ADULT
        .iter()
        .map(|c| QuasiIdentifier::categorical(c, adult_hierarchy(c)))
        .collect();
    let mut spec = Spec::new(qis, 5);
    let o = full_domain(&t, &spec).unwrap();
    // ARX: loss 0.57 without suppression.
    assert!((o.loss.loss - 0.5732).abs() < 1e-4, "{}", o.loss.loss);
    assert_eq!(o.levels, Some(vec![0, 4, 1, 1, 3, 2, 2, 1, 0]));
    assert_eq!(o.loss.suppressed, 0);
    assert!(measure(&o.table, &ADULT, None, 0.5).unwrap().k >= 5);
    assert_anonymous(&o.table, &ADULT, 5, None);

    // ARX: loss 0.24 with a 5 % limit.
    spec.suppression_limit = 0.05;
    let o = full_domain(&t, &spec).unwrap();
    assert!((o.loss.loss - 0.2419).abs() < 1e-4, "{}", o.loss.loss);
    assert!(o.loss.suppressed <= 1508);
    assert_anonymous(&o.table, &ADULT, 5, None);

    // Mondrian, age as numbers.
    let qis: Vec<QuasiIdentifier> = ADULT
        .iter()
        .map(|c| {
            if *c == "age" {
                QuasiIdentifier::numeric(c, Some(adult_hierarchy(c)))
            } else {
                QuasiIdentifier::categorical(c, adult_hierarchy(c))
            }
        })
        .collect();
    let o = mondrian(&t, &Spec::new(qis, 5)).unwrap();
    assert!(o.loss.loss < 0.57);
    assert_eq!(o.loss.suppressed, 0);
    assert!(measure(&o.table, &ADULT, None, 0.5).unwrap().k >= 5);
}

// ---------------------------------------------------------------------------
// Hostile input.

#[test]
fn bad_input_is_an_error_naming_the_problem() {
    let t = table(SMALL);
    let spec = small_spec(2);
    input_error(
        full_domain(
            &t,
            &Spec {
                k: 0,
                ..spec.clone()
            },
        ),
        "k must be",
    );
    input_error(
        mondrian(
            &t,
            &Spec {
                k: 0,
                ..spec.clone()
            },
        ),
        "k must be",
    );
    input_error(
        full_domain(
            &t,
            &Spec {
                k: 8,
                ..spec.clone()
            },
        ),
        "7 records",
    );
    input_error(
        mondrian(
            &t,
            &Spec {
                k: 8,
                ..spec.clone()
            },
        ),
        "7 records",
    );
    for limit in [-0.1, 1.5, f64::NAN, f64::INFINITY] {
        let s = Spec {
            suppression_limit: limit,
            ..spec.clone()
        };
        input_error(full_domain(&t, &s), "suppression limit");
        input_error(mondrian(&t, &s), "suppression limit");
    }
    input_error(full_domain(&t, &Spec::new(vec![], 2)), "at least one");
    let mut s = spec.clone();
    s.quasi_identifiers[0].column = "zap".into();
    input_error(full_domain(&t, &s), "no column \"zap\"");
    let mut s = spec.clone();
    s.quasi_identifiers[1] = s.quasi_identifiers[0].clone();
    input_error(full_domain(&t, &s), "named twice");
    let mut s = spec.clone();
    s.quasi_identifiers[0].hierarchy = None;
    input_error(full_domain(&t, &s), "needs a hierarchy");
    input_error(mondrian(&t, &s), "needs a hierarchy");
    // A value its hierarchy lacks, and an empty one.
    let t2 = table("zip,age,disease\n13053,25,flu\n99999,25,flu\n");
    // The record is named, its value never repeated.
    input_error(
        full_domain(&t2, &spec),
        "the value of record 2 is not in its hierarchy",
    );
    input_error(
        mondrian(&t2, &spec),
        "the value of record 2 is not in its hierarchy",
    );
    assert!(!format!("{:?}", full_domain(&t2, &spec)).contains("99999"));
    let t3 = table("zip,age,disease\n13053,25,flu\n,25,flu\n");
    input_error(full_domain(&t3, &spec), "record 2 is empty");
    // Numbers that are not.
    let num = Spec::new(vec![QuasiIdentifier::numeric("age", None)], 1);
    input_error(
        mondrian(&table("age\n3\nthree\n"), &num),
        "the value of record 2 is not a number",
    );
    input_error(mondrian(&table("age\n3\nNaN\n"), &num), "not a number");
    input_error(
        mondrian(&table("age,x\n3,a\n,b\n"), &num),
        "the value of record 2 is not a number",
    );
    // Diversity.
    let mut s = spec.clone();
    s.diversity = Some(Diversity {
        column: "disease".into(),
        l: 4,
    });
    input_error(full_domain(&t, &s), "only 3 distinct");
    s.diversity = Some(Diversity {
        column: "zip".into(),
        l: 2,
    });
    input_error(full_domain(&t, &s), "also a quasi-identifier");
    s.diversity = Some(Diversity {
        column: "disease".into(),
        l: 0,
    });
    input_error(mondrian(&t, &s), "l must be");
    // A table of one disease cannot be 2-diverse.
    let t4 = table("zip,age,disease\n13053,25,flu\n13068,28,flu\n");
    s.diversity = Some(Diversity {
        column: "disease".into(),
        l: 2,
    });
    input_error(full_domain(&t4, &s), "only 1 distinct");
    // An empty table.
    input_error(
        full_domain(&table("zip,age,disease\n"), &spec),
        "no records",
    );
}

#[test]
fn k_one_changes_nothing() {
    let t = table(SMALL);
    let o = full_domain(&t, &small_spec(1)).unwrap();
    assert_eq!(o.levels, Some(vec![0, 0]));
    assert_eq!(o.loss.loss, 0.0);
    assert_eq!(rows(&o.table, &["zip", "age"]), rows(&t, &["zip", "age"]));
    let o = mondrian(&t, &small_spec(1)).unwrap();
    assert_eq!(o.loss.loss, 0.0);
    assert_eq!(rows(&o.table, &["zip", "age"]), rows(&t, &["zip", "age"]));
}

#[test]
fn a_quote_never_closed_is_refused_not_swallowed() {
    // The open quote would carry the later rows' SSNs into one `note` cell.
    let leak = "ssn,note\n123-45-6789,\"broken\n111-22-3333,ok\n444-55-6666,ok\n";
    let err = read_delimited(Cursor::new(leak.to_owned()), None)
        .err()
        .unwrap();
    assert!(err.to_string().contains("line 2"), "{err}");
    // Quotes that close, even across lines, doubled, or mid-field, are fine.
    for fine in [
        "a,b\n1,\"x\ny\"\n",
        "a,b\n1,\"say \"\"hi\"\"\"\n",
        "a,b\n5'10\",x\n",
        "a,b\n1,\"x\"\n",
    ] {
        assert!(
            read_delimited(Cursor::new(fine.to_owned()), None).is_ok(),
            "{fine:?}"
        );
    }
}
