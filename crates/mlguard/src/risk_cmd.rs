//! `mlguard risk`: re-identification risk of a table (see the mlguard-deid
//! crate and docs/deid.md).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use mlguard_deid::risk::{Distance, Risk, measure};
use serde_json::json;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum OutputFormat {
    Table,
    Json,
}

#[derive(Debug, Args)]
pub(crate) struct RiskArgs {
    /// A delimited text file with a header row (CSV, `;`- or tab-separated; the delimiter is read from the header), JSON Lines (`.jsonl`, `.ndjson`) or Parquet (`.parquet`).
    input: PathBuf,
    /// The quasi-identifiers: columns an attacker can link to other data (age, ZIP code, sex, ...).
    #[arg(long, value_delimiter = ',', required = true)]
    quasi_identifiers: Vec<String>,
    /// A sensitive attribute, for l-diversity and t-closeness.
    #[arg(long)]
    sensitive: Option<String>,
    /// The re-identification risk above which a record counts as at risk (0.2: classes under 5).
    #[arg(long, default_value_t = 0.2)]
    threshold: f64,
    /// The field delimiter, when the header does not show it.
    #[arg(long)]
    delimiter: Option<char>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: OutputFormat,
}

pub(crate) fn run(args: &RiskArgs) -> Result<ExitCode, String> {
    let delimiter = crate::protect_cmd::delimiter(args.delimiter)?;
    let file =
        std::fs::File::open(&args.input).map_err(|e| format!("{}: {e}", args.input.display()))?;
    let format = mlguard_deid::io::Format::from_path(&args.input, delimiter);
    let table = mlguard_deid::io::read(file, format)
        .map_err(|e| format!("{}: {e}", args.input.display()))?
        .table;
    let qis: Vec<&str> = args.quasi_identifiers.iter().map(String::as_str).collect();
    let risk = measure(&table, &qis, args.sensitive.as_deref(), args.threshold)
        .map_err(|e| format!("{}: {e}", args.input.display()))?;
    match args.format {
        OutputFormat::Json => {
            let mut s = serde_json::to_string_pretty(&to_json(&risk)).unwrap_or_default();
            s.push('\n');
            print!("{s}");
        }
        OutputFormat::Table => print!("{}", table_text(&risk)),
    }
    Ok(ExitCode::SUCCESS)
}

fn to_json(r: &Risk) -> serde_json::Value {
    let [one, two, few, some, many, most] = r.class_size_histogram;
    json!({
        "records": r.records,
        "quasiIdentifiers": r.quasi_identifiers,
        "classes": r.classes,
        "k": r.k,
        "smallestClassSize": r.k,
        "averageClassSize": r.average_class_size,
        "recordsByClassSize": {"1": one, "2": two, "3-5": few, "6-10": some, "11-100": many, ">100": most},
        "prosecutor": {
            "highestRisk": r.highest_risk,
            "averageRisk": r.average_risk,
            "threshold": r.threshold,
            "recordsAtRisk": r.records_at_risk,
            "shareAtRisk": r.share_at_risk,
        },
        // Without a population model the sample is its own population.
        "journalist": {
            "highestRisk": r.highest_risk,
            "averageRisk": r.average_risk,
            "shareAtRisk": r.share_at_risk,
            "population": "sample",
        },
        "marketer": {"averageRisk": r.marketer_risk},
        "sensitive": r.sensitive.as_ref().map(|s| json!({
            "column": s.column,
            "distinctL": s.distinct_l,
            "tCloseness": s.t,
            "distance": match s.distance { Distance::Equal => "equal", Distance::Ordered => "ordered" },
        })),
    })
}

fn table_text(r: &Risk) -> String {
    let mut out = format!(
        "{} records, quasi-identifiers {}\n\
         {} equivalence classes, k = {} (smallest class), average class size {:.2}\n\
         records in classes of size 1: {}, 2: {}, 3-5: {}, 6-10: {}, 11-100: {}, >100: {}\n\
         prosecutor: highest risk {:.4}, average risk {:.4}, {} records ({:.2} %) above risk {}\n\
         journalist (no population model: the sample): as the prosecutor\n\
         marketer: average risk {:.4}\n",
        r.records,
        r.quasi_identifiers.join(", "),
        r.classes,
        r.k,
        r.average_class_size,
        r.class_size_histogram[0],
        r.class_size_histogram[1],
        r.class_size_histogram[2],
        r.class_size_histogram[3],
        r.class_size_histogram[4],
        r.class_size_histogram[5],
        r.highest_risk,
        r.average_risk,
        r.records_at_risk,
        100.0 * r.share_at_risk,
        r.threshold,
        r.marketer_risk,
    );
    if let Some(s) = &r.sensitive {
        out.push_str(&format!(
            "sensitive {}: distinct l-diversity {}, t-closeness {:.4} ({} distance)\n",
            s.column,
            s.distinct_l,
            s.t,
            match s.distance {
                Distance::Equal => "equal",
                Distance::Ordered => "ordered",
            }
        ));
    }
    out
}
