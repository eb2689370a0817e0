//! A recipe from any bytes: parsed or refused, compiled against a fixed
//! table's schema or refused, and when it compiles, applied to that table
//! (with a key, no vault) — errors, never a panic or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;

const TABLE: &str = "id,name,ssn,email,dob,amount,note\n\
1,Ann Lee,123-45-6789,ann@example.com,1990-04-12,10.50,call 555-0100\n\
2,,987-65-4321,bo@x.org,12/31/1985,-7,\n";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(recipe) = mlguard_deid::recipe::Recipe::parse(text) else {
        return;
    };
    let Ok(table) = mlguard_deid::table::read_delimited(std::io::Cursor::new(TABLE), None) else {
        return;
    };
    let keys = mlguard_deid::transform::Keys {
        default: Some(zeroize::Zeroizing::new(vec![7u8; 32])),
        ..Default::default()
    };
    // Hierarchy files resolve against a directory without any.
    let Ok(plan) = mlguard_deid::transform::compile(
        &recipe,
        &table.schema,
        &keys,
        std::path::Path::new("/nonexistent"),
    ) else {
        return;
    };
    let _ = plan.apply(table, None);
});
