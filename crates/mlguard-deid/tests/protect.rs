#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
//! Recipes through the engine: each technique on a small table, checked
//! against values worked out by hand.

use std::io::Cursor;

use arrow_array::{Array, StringArray};
use mlguard_deid::recipe::Recipe;
use mlguard_deid::table::{Table, read_delimited};
use mlguard_deid::transform::{Keys, compile};
use zeroize::Zeroizing;

const CSV: &str = "\
id,name,ssn,email,dob,stamp,tag,amount,city
1,Ann Lee,123-45-6789,ann.lee@example.com,1990-04-12,2024-01-05 10:31:59.123,<secret> stays,10.50,Boston
2,Bo Chen,987-65-4321,bo@example.org,12/31/1985,2023-12-31 23:59:00,no tag,7.25,Denver
3,Ann Lee,123-45-6789,ann.lee@example.com,1990-04-12,2024-02-01 00:00:00,<x>,0.00,
";

fn table() -> Table {
    read_delimited(Cursor::new(CSV), None).unwrap()
}

fn run(recipe: &str) -> Result<Table, String> {
    let recipe = Recipe::parse(recipe).map_err(|e| e.to_string())?;
    let t = table();
    let keys = Keys {
        default: Some(Zeroizing::new(vec![5u8; 32])),
        ..Keys::default()
    };
    let plan = compile(
        &recipe,
        &t.schema,
        &keys,
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")),
    )
    .map_err(|e| e.to_string())?;
    plan.apply(t, None)
        .map(|(t, _)| t)
        .map_err(|e| e.to_string())
}

fn col(t: &Table, name: &str) -> Vec<Option<String>> {
    let i = t.column(name).unwrap();
    t.batches
        .iter()
        .flat_map(|b| {
            let a = b.column(i).as_any().downcast_ref::<StringArray>().unwrap();
            (0..a.len())
                .map(|r| (!a.is_null(r)).then(|| a.value(r).to_string()))
                .collect::<Vec<_>>()
        })
        .collect()
}

fn step(op: &str, params: &str) -> String {
    format!("steps:\n  - Action: {{Operation: {op}, Parameters: {{{params}}}}}\n")
}

fn strings(v: &[&str]) -> Vec<Option<String>> {
    v.iter().map(|s| Some((*s).to_string())).collect()
}

#[test]
fn mask_custom_literal_and_regex() {
    let t = run(&step(
        "MASK_CUSTOM",
        "sourceColumns: [name], customValue: Lee, maskSymbol: '*'",
    ))
    .unwrap();
    assert_eq!(col(&t, "name"), strings(&["Ann ***", "Bo Chen", "Ann ***"]));
    let t = run(&step(
        "MASK_CUSTOM",
        r#"sourceColumns: [ssn], customValue: '\d{4}$', regex: true"#,
    ))
    .unwrap();
    assert_eq!(
        col(&t, "ssn"),
        strings(&["123-45-####", "987-65-####", "123-45-####"])
    );
    assert!(
        run(&step(
            "MASK_CUSTOM",
            "sourceColumns: [ssn], customValue: '(', regex: true"
        ))
        .unwrap_err()
        .contains("regular expression")
    );
}

#[test]
fn mask_date_components_in_both_layouts() {
    let t = run(&step("MASK_DATE", "sourceColumns: [dob], redact: [YEAR]")).unwrap();
    assert_eq!(
        col(&t, "dob"),
        strings(&["####-04-12", "12/31/####", "####-04-12"])
    );
    let t = run(&step(
        "MASK_DATE",
        "sourceColumns: [stamp], redact: [DAY, MINUTE, MILLISECOND], maskSymbol: X",
    ))
    .unwrap();
    assert_eq!(
        col(&t, "stamp")[0].as_deref(),
        Some("2024-01-XX 10:XX:59.XXX")
    );
    let e = run(&step("MASK_DATE", "sourceColumns: [name], redact: [YEAR]")).unwrap_err();
    assert!(e.contains("record 1") && e.contains("not a date"), "{e}");
}

#[test]
fn mask_delimiter_and_range() {
    let t = run(&step(
        "MASK_DELIMITER",
        "sourceColumns: [tag], startDelimiter: '<', endDelimiter: '>'",
    ))
    .unwrap();
    assert_eq!(
        col(&t, "tag"),
        strings(&["<######> stays", "no tag", "<#>"])
    );
    let t = run(&step(
        "MASK_RANGE",
        "sourceColumns: [ssn], start: 0, stop: -4, alphabet: [SYMBOLS], maskSymbol: '*'",
    ))
    .unwrap();
    assert_eq!(
        col(&t, "ssn"),
        strings(&["***-**-6789", "***-**-4321", "***-**-6789"])
    );
    let t = run(&step(
        "MASK_RANGE",
        "sourceColumns: [name], start: 1, alphabet: [WHITESPACE]",
    ))
    .unwrap();
    assert_eq!(col(&t, "name")[0].as_deref(), Some("A## ###"));
}

#[test]
fn deterministic_encryption_round_trips_through_two_steps() {
    let enc = run(&step("DETERMINISTIC_ENCRYPT", "sourceColumns: [ssn]")).unwrap();
    let e = col(&enc, "ssn");
    assert_eq!(e[0], e[2]);
    assert_ne!(e[0], e[1]);
    let both = "steps:\n  - Action: {Operation: DETERMINISTIC_ENCRYPT, Parameters: {sourceColumns: [ssn]}}\n  - Action: {Operation: DETERMINISTIC_DECRYPT, Parameters: {sourceColumns: [ssn]}}\n";
    assert_eq!(col(&run(both).unwrap(), "ssn"), col(&table(), "ssn"));
}

#[test]
fn pseudonyms_and_substitutes_are_consistent() {
    let t = run(&step("PSEUDONYMIZE", "sourceColumns: [name], prefix: 'P-'")).unwrap();
    let p = col(&t, "name");
    assert_eq!(p[0], p[2]);
    assert!(p[0].as_ref().unwrap().starts_with("P-") && p[0].as_ref().unwrap().len() == 18);
    let t = run(&step("SUBSTITUTE", "sourceColumns: [ssn], type: SSN")).unwrap();
    let s = col(&t, "ssn");
    assert_eq!(s[0], s[2]);
    assert!(
        s.iter()
            .flatten()
            .all(|v| v.starts_with('9') && v.len() == 11)
    );
    let t = run(&step(
        "SUBSTITUTE",
        "sourceColumns: [email], type: EMAIL, deterministic: false",
    ))
    .unwrap();
    assert!(
        col(&t, "email")
            .iter()
            .flatten()
            .all(|v| v.contains("@example."))
    );
    assert!(run(&step("SUBSTITUTE", "sourceColumns: [email], type: PLANET")).is_err());
}

#[test]
fn generalize_dates_ranges_and_hierarchies() {
    let t = run(&step(
        "GENERALIZE",
        "sourceColumns: [dob], method: DATE, unit: MONTH",
    ))
    .unwrap();
    assert_eq!(col(&t, "dob"), strings(&["1990-04", "1985-12", "1990-04"]));
    let t = run(&step(
        "GENERALIZE",
        "sourceColumns: [amount], method: RANGE, width: '2.5'",
    ))
    .unwrap();
    assert_eq!(
        col(&t, "amount"),
        strings(&["[10.0, 12.5)", "[5.0, 7.5)", "[0.0, 2.5)"])
    );
    let t = run(&step(
        "GENERALIZE",
        "sourceColumns: [id], method: RANGE, width: 2",
    ))
    .unwrap();
    assert_eq!(col(&t, "id"), strings(&["0-1", "2-3", "2-3"]));
    std::fs::write(
        std::env::temp_dir().join("mlguard-city-h.csv"),
        "Boston;East;*\nDenver;West;*\n",
    )
    .unwrap();
    let recipe = step(
        "GENERALIZE",
        &format!(
            "sourceColumns: [city], method: HIERARCHY, hierarchy: {}, level: 1",
            std::env::temp_dir().join("mlguard-city-h.csv").display()
        ),
    );
    let t = run(&recipe).unwrap();
    assert_eq!(
        col(&t, "city"),
        vec![Some("East".into()), Some("West".into()), None]
    );
    assert!(
        run(&recipe.replace("level: 1", "level: 3"))
            .unwrap_err()
            .contains("levels 0 to 2")
    );
}

#[test]
fn suppression_nulls_values_or_drops_records() {
    let t = run(&step("SUPPRESS", "sourceColumns: [city], values: [Denver]")).unwrap();
    assert_eq!(col(&t, "city"), vec![Some("Boston".into()), None, None]);
    let t = run(&step("SUPPRESS", "sourceColumns: [email]")).unwrap();
    assert!(col(&t, "email").iter().all(Option::is_none));
    let t = run(&step(
        "SUPPRESS",
        r#"sourceColumns: [email], regex: '\.org$', action: DROP_ROW"#,
    ))
    .unwrap();
    assert_eq!(col(&t, "id"), strings(&["1", "3"]));
    assert!(
        run(&step(
            "SUPPRESS",
            "sourceColumns: [email], action: DROP_ROW"
        ))
        .is_err()
    );
    let t = run(&step("DELETE", "sourceColumns: [email, ssn]")).unwrap();
    assert!(t.column("email").is_err() && t.column("ssn").is_err() && t.column("id").is_ok());
}

#[test]
fn random_replacements_stay_in_their_bounds() {
    let t = run(&step(
        "REPLACE_WITH_RANDOM_BETWEEN",
        r#"sourceColumns: [amount], lowerBound: "1", upperBound: "3""#,
    ))
    .unwrap();
    assert!(
        col(&t, "amount")
            .iter()
            .flatten()
            .all(|v| ["1", "2", "3"].contains(&v.as_str()))
    );
    let t = run(&step(
        "REPLACE_WITH_RANDOM_BETWEEN",
        "sourceColumns: [amount], lowerBound: '0.5', upperBound: '0.7'",
    ))
    .unwrap();
    assert!(
        col(&t, "amount")
            .iter()
            .flatten()
            .all(|v| ["0.5", "0.6", "0.7"].contains(&v.as_str()))
    );
    let t = run(&step(
        "REPLACE_WITH_RANDOM_DATE_BETWEEN",
        "sourceColumns: [dob], startDate: 2020-02-28, endDate: 2020-03-01",
    ))
    .unwrap();
    assert!(
        col(&t, "dob")
            .iter()
            .flatten()
            .all(|v| ["2020-02-28", "2020-02-29", "2020-03-01"].contains(&v.as_str()))
    );
    let t = run(&step(
        "REPLACE_WITH_RANDOM_DATE_BETWEEN",
        r#"sourceColumns: [dob], startDate: "2020-12-12 12:12:12", endDate: "2020-12-12 12:12:14""#,
    ))
    .unwrap();
    assert!(col(&t, "dob").iter().flatten().all(|v| {
        [
            "2020-12-12 12:12:12",
            "2020-12-12 12:12:13",
            "2020-12-12 12:12:14",
        ]
        .contains(&v.as_str())
    }));
    assert!(
        run(&step(
            "REPLACE_WITH_RANDOM_BETWEEN",
            "sourceColumns: [amount], lowerBound: 3, upperBound: 1"
        ))
        .is_err()
    );
}

#[test]
fn a_mask_applies_to_detected_spans_only_with_an_entity_filter() {
    let csv = "note\nmail ann.lee@example.com or call\nnothing\n";
    let recipe = Recipe::parse(&step(
        "MASK_RANGE",
        "sourceColumns: [note], entityTypeFilter: [EMAIL], alphabet: [SYMBOLS]",
    ))
    .unwrap();
    let t = read_delimited(Cursor::new(csv), None).unwrap();
    let plan = compile(
        &recipe,
        &t.schema,
        &Keys::default(),
        std::path::Path::new("."),
    )
    .unwrap();
    let (t, _) = plan.apply(t, None).unwrap();
    assert_eq!(
        col(&t, "note"),
        strings(&["mail ###.###@#######.### or call", "nothing"])
    );
    assert!(
        Recipe::parse(&step(
            "MASK_RANGE",
            "sourceColumns: [note], entityTypeFilter: [PLANET]"
        ))
        .map(|r| compile(
            &r,
            &read_delimited(Cursor::new(csv), None).unwrap().schema,
            &Keys::default(),
            std::path::Path::new(".")
        )
        .is_err())
        .unwrap()
    );
}

#[test]
fn databrew_recipe_json_loads_as_it_is() {
    // `aws databrew describe-recipe` output: Steps with string parameters.
    let json = r#"{"Name": "r", "Steps": [{"Action": {"Operation": "MASK_RANGE", "Parameters": {"sourceColumns": "[\"ssn\"]", "maskSymbol": "*", "start": "0", "stop": "3"}}}]}"#;
    let t = run(json).unwrap();
    assert_eq!(col(&t, "ssn")[0].as_deref(), Some("***-45-6789"));
    assert!(
        run(r#"{"Steps": [{"Action": {"Operation": "MASK_RANGE"}, "ConditionExpressions": []}]}"#)
            .unwrap_err()
            .contains("ConditionExpressions")
    );
    assert!(run("{}").unwrap_err().contains("nothing to do"));
    assert!(
        run("privacy: {k: 2}")
            .unwrap_err()
            .contains("quasiIdentifiers")
    );
}

fn run_on(csv: &str, recipe: &str) -> Result<Table, String> {
    let recipe = Recipe::parse(recipe).map_err(|e| e.to_string())?;
    let t = read_delimited(Cursor::new(csv.to_string()), None).unwrap();
    let keys = Keys {
        default: Some(Zeroizing::new(vec![5u8; 32])),
        ..Keys::default()
    };
    let plan =
        compile(&recipe, &t.schema, &keys, std::path::Path::new(".")).map_err(|e| e.to_string())?;
    plan.apply(t, None)
        .map(|(t, _)| t)
        .map_err(|e| e.to_string())
}

#[test]
fn ranges_floor_values_and_read_exponents() {
    let t = run_on(
        "x\n39.6\n9.5\n-0.5\n1e1\n-10\n4.99\n",
        &step("GENERALIZE", "sourceColumns: [x], method: RANGE, width: 10"),
    )
    .unwrap();
    assert_eq!(
        col(&t, "x"),
        strings(&["30-39", "0-9", "[-10, 0)", "10-19", "[-10, 0)", "0-9"])
    );
    let t = run_on(
        "x\n4.99\n5\n",
        &step(
            "GENERALIZE",
            "sourceColumns: [x], method: RANGE, width: '2.5'",
        ),
    )
    .unwrap();
    assert_eq!(col(&t, "x"), strings(&["[2.5, 5.0)", "[5.0, 7.5)"]));
    // Noise rounds to its grid, reading JSON's and Arrow's float forms.
    let t = run_on(
        "x\n1e2\n-2.5E-1\n",
        &step(
            "ADD_NOISE",
            "sourceColumns: [x], epsilon: 1000000, sensitivity: 1, decimals: 1",
        ),
    )
    .unwrap();
    let v: Vec<f64> = col(&t, "x")
        .iter()
        .flatten()
        .map(|s| s.parse().unwrap())
        .collect();
    assert!(
        (v[0] - 100.0).abs() < 1.0 && (v[1] + 0.3).abs() < 1.0,
        "{v:?}"
    );
}

#[test]
fn date_masks_follow_the_time_as_written() {
    let csv = "t\n2023-01-02 10:20:30+05:30\n2023-01-02T09:05:07.123456Z\n2023-01-02 9:05\n";
    let t = run_on(
        csv,
        &step(
            "MASK_DATE",
            "sourceColumns: [t], redact: [MILLISECOND, SECOND]",
        ),
    )
    .unwrap();
    assert_eq!(
        col(&t, "t"),
        strings(&[
            "2023-01-02 10:20:##+05:30",
            "2023-01-02T09:05:##.######Z",
            "2023-01-02 9:05"
        ])
    );
    let t = run_on(
        csv,
        &step("MASK_DATE", "sourceColumns: [t], redact: [HOUR]"),
    )
    .unwrap();
    assert_eq!(col(&t, "t")[2].as_deref(), Some("2023-01-02 #:05"));
    // Text after a date that is not a time, and impossible dates, are not dates.
    for bad in ["2023-01-02 lunch", "2023-02-30", "2023-01-02 10:2"] {
        let e = run_on(
            &format!("t\n{bad}\n"),
            &step("MASK_DATE", "sourceColumns: [t], redact: [YEAR]"),
        )
        .unwrap_err();
        assert!(e.contains("not a date"), "{bad}: {e}");
    }
    let e = run_on(
        "id,d\n1,9999-12-31\n",
        &step(
            "SHIFT_DATE",
            "sourceColumns: [d], entityColumn: id, maxDays: 36500",
        ),
    );
    assert!(e.is_err() || col(&e.unwrap(), "d")[0].as_deref() != Some("9999-12-31"));
}
