#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::float_cmp)]

use std::io::Cursor;

use arrow_array::Array;
use mlguard_deid::risk::{Distance, measure};
use mlguard_deid::table::{read_delimited, sniff_delimiter};

/// The textbook example (Machanavajjhala et al.'s hospital table, reduced):
/// three classes by ZIP prefix and age band.
const TABLE: &str = "zip;age;condition;salary
130**;<30;Heart Disease;3
130**;<30;Heart Disease;4
130**;<30;Viral Infection;5
1485*;>=40;Cancer;6
1485*;>=40;Heart Disease;11
1485*;>=40;Viral Infection;8
1485*;>=40;Cancer;7
130**;3*;Cancer;9
130**;3*;Cancer;10
";

#[test]
fn classes_k_and_the_three_attackers() {
    let t = read_delimited(Cursor::new(TABLE), None).unwrap();
    assert_eq!(t.rows(), 9);
    let r = measure(&t, &["zip", "age"], None, 0.3).unwrap();
    assert_eq!((r.classes, r.k), (3, 2));
    assert_eq!(r.highest_risk, 0.5);
    assert!((r.average_risk - 3.0 / 9.0).abs() < 1e-12);
    // Only the class of 2 is above 0.3 (0.5); the classes of 3 (0.33) are too.
    assert_eq!(r.records_at_risk, 5);
    assert_eq!(r.class_size_histogram, [0, 2, 7, 0, 0, 0]);
    assert_eq!(r.marketer_risk, r.average_risk);
}

#[test]
fn l_diversity_and_t_closeness() {
    let t = read_delimited(Cursor::new(TABLE), None).unwrap();
    let r = measure(&t, &["zip", "age"], Some("condition"), 0.5).unwrap();
    let s = r.sensitive.unwrap();
    // The 3* class holds only Cancer.
    assert_eq!(s.distinct_l, 1);
    assert_eq!(s.distance, Distance::Equal);
    // Overall: Heart 3/9, Viral 2/9, Cancer 4/9; the 3* class: Cancer 1 →
    // 0.5 · (3/9 + 2/9 + 5/9) = 5/9.
    assert!((s.t - 5.0 / 9.0).abs() < 1e-12, "{}", s.t);
    // Salaries are numbers: the ordered distance (Li et al.'s example: the
    // class {3, 4, 5} against {3, ..., 11} is 0.375).
    let r = measure(&t, &["zip", "age"], Some("salary"), 0.5).unwrap();
    let s = r.sensitive.unwrap();
    assert_eq!(s.distance, Distance::Ordered);
    assert!((s.t - 0.375).abs() < 1e-12, "{}", s.t);
    assert_eq!(s.distinct_l, 2);
}

#[test]
fn nulls_group_together_and_bad_input_is_an_error() {
    let t = read_delimited(Cursor::new("a,b\n1,\n1,\n2,x\n"), None).unwrap();
    let r = measure(&t, &["a", "b"], None, 0.5).unwrap();
    assert_eq!((r.classes, r.k), (2, 1));
    let e = measure(&t, &["a", "zip"], None, 0.5)
        .unwrap_err()
        .to_string();
    assert!(e.contains("no column \"zip\"") && e.contains("a, b"), "{e}");
    assert!(measure(&t, &[], None, 0.5).is_err());
    assert!(measure(&t, &["a"], None, 0.0).is_err());
    assert!(measure(&t, &["a"], None, f64::NAN).is_err());
    // A record with the wrong number of fields names its line.
    let e = read_delimited(Cursor::new("a,b\n1,2\n1,2,3\n"), None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("line"), "{e}");
    assert!(read_delimited(Cursor::new("a,a\n1,2\n"), None).is_err());
    let empty = read_delimited(Cursor::new("a,b\n"), None).unwrap();
    assert!(measure(&empty, &["a"], None, 0.5).is_err());
    assert_eq!(sniff_delimiter("a;b;c"), b';');
    assert_eq!(sniff_delimiter("a\tb"), b'\t');
    assert_eq!(sniff_delimiter("a"), b',');
}

#[test]
fn json_lines_read_as_text_columns() {
    use mlguard_deid::table::read_json_lines;
    let text = "{\"zip\": \"130**\", \"age\": 25, \"sick\": true}\n\n{\"zip\": \"130**\", \"age\": 25, \"extra\": {\"a\": 1}}\n{\"age\": null}\n";
    let t = read_json_lines(Cursor::new(text)).unwrap();
    assert_eq!(t.rows(), 3);
    let names: Vec<&str> = t
        .schema
        .fields()
        .iter()
        .map(|f| f.name().as_str())
        .collect();
    // New columns in the order lines introduce them (alphabetical within a line).
    assert_eq!(names, ["age", "sick", "zip", "extra"]);
    let age = t.text_column(0).unwrap();
    assert_eq!(age[0].value(0), "25");
    assert!(age[0].is_null(2));
    assert_eq!(t.text_column(3).unwrap()[0].value(1), "{\"a\":1}");
    let r = measure(&t, &["zip", "age"], None, 0.5).unwrap();
    assert_eq!((r.classes, r.k), (2, 1));
    let e = read_json_lines(Cursor::new("{}\n[1]\n"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("line 2"), "{e}");
    assert!(read_json_lines(Cursor::new("{\n")).is_err());
    assert_eq!(read_json_lines(Cursor::new("")).unwrap().rows(), 0);
}
