//! De-identification's input path: any bytes as delimited text are read into
//! a table or refused with an error, and a table that reads is measured for
//! re-identification risk over its first columns (with the last as the
//! sensitive attribute) without panicking; any text as a DP parameter parses
//! or is refused.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&kind, rest)) = data.split_first() else { return };
    if kind % 4 == 0 {
        let _ = mlguard_deid::dp::Rational::parse(&String::from_utf8_lossy(rest));
        return;
    }
    let delimiter = match kind % 4 {
        1 => None,
        2 => Some(b';'),
        _ => Some(b','),
    };
    let Ok(table) = mlguard_deid::table::read_delimited(std::io::Cursor::new(rest.to_vec()), delimiter) else { return };
    let names: Vec<String> = table.schema.fields().iter().map(|f| f.name().clone()).collect();
    let qis: Vec<&str> = names.iter().take(3).map(String::as_str).collect();
    let _ = mlguard_deid::risk::measure(&table, &qis, names.last().map(String::as_str), 0.2);
});
