//! `mlguard protect` (a recipe over a table) and `mlguard detokenize`
//! (tokens back to originals, for a caller allowed to). The engine is
//! mlguard-deid; this adapter reads keys (a local key file, Secrets Manager
//! secrets, KMS for the token vault), files, and writes outputs atomically.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use base64::Engine as _;
use clap::Args;
use mlguard_client::JsonClient;
use mlguard_deid::io::{BatchWriter, Format, Input, open_batches, read, write};
use mlguard_deid::recipe::Recipe;
use mlguard_deid::risk::measure;
use mlguard_deid::transform::{Keys, StepReport, compile};
use mlguard_deid::vault::{KeyWrapper, LocalWrapper, Purpose, Vault};
use mlguard_deid::{DeidError, table::Table};
use serde_json::{Value, json};
use zeroize::Zeroizing;

use crate::envelope_cmd::{KmsOptions, Staged, blob, create_output, runtime, service_client};

#[derive(Debug, Args)]
pub(crate) struct ProtectArgs {
    /// The recipe (YAML or JSON): DataBrew-style steps and privacy requirements (docs/deid.md).
    #[arg(long, value_name = "FILE")]
    recipe: PathBuf,
    /// The input table: CSV or other delimited text with a header, JSON Lines (.jsonl, .ndjson) or Parquet (.parquet).
    input: PathBuf,
    /// Where to write the protected table (same formats, by extension); written whole or not at all.
    output: PathBuf,
    /// Write a JSON report here: what changed, risk before and after, information loss.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// A local key file (32 random bytes, raw, hex or base64) for keyed steps and, without --vault-key-id, the vault.
    #[arg(long, value_name = "FILE")]
    key_file: Option<PathBuf>,
    /// The token vault (created when missing) for TOKENIZE steps.
    #[arg(long, value_name = "FILE")]
    vault: Option<PathBuf>,
    /// The KMS key that wraps a new vault's keys (id, ARN or alias); an existing vault remembers its key.
    #[arg(long, value_name = "KEY")]
    vault_key_id: Option<String>,
    /// The field delimiter of delimited text, when the header does not show it.
    #[arg(long)]
    delimiter: Option<char>,
    #[command(flatten)]
    aws: KmsOptions,
}

#[derive(Debug, Args)]
pub(crate) struct DetokenizeArgs {
    /// The token vault the tokens came from.
    #[arg(long, value_name = "FILE")]
    vault: PathBuf,
    /// A table with tokens (formats as for `protect`).
    input: PathBuf,
    /// Where to write the table with originals.
    output: PathBuf,
    /// Columns to detokenize [default: every column the vault knows that the input has].
    #[arg(long, value_delimiter = ',')]
    columns: Vec<String>,
    /// The local key file of a vault made with --key-file.
    #[arg(long, value_name = "FILE")]
    key_file: Option<PathBuf>,
    #[arg(long)]
    delimiter: Option<char>,
    #[command(flatten)]
    aws: KmsOptions,
}

/// The `--delimiter` option as a byte.
pub(crate) fn delimiter(d: Option<char>) -> Result<Option<u8>, String> {
    match d {
        Some(c) if c.is_ascii() => Ok(Some(c as u8)),
        Some(c) => Err(format!("--delimiter {c:?}: one ASCII character")),
        None => Ok(None),
    }
}

/// The largest key file read: a key is 32–64 bytes, as text a few hundred.
const MAX_KEY_FILE: u64 = 4 << 10;
/// The largest recipe read.
const MAX_RECIPE: u64 = 1 << 20;

/// Reads a small file whole, refusing one larger than `max` (`/dev/zero`, a
/// mistyped data file) instead of reading it all; zeroized when dropped (it
/// may be a key).
fn read_capped(path: &Path, max: u64) -> Result<Zeroizing<Vec<u8>>, String> {
    use std::io::Read as _;
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut bytes = Zeroizing::new(Vec::new());
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if bytes.len() as u64 > max {
        return Err(format!(
            "{}: larger than {max} bytes; not a key file or recipe",
            path.display()
        ));
    }
    Ok(bytes)
}

/// Reads a key file: at least 32 raw bytes, or text holding hex or base64
/// of at least 32 bytes. Text that is neither (a passphrase) is refused,
/// as is hex or base64 of a shorter key.
fn read_key_file(path: &Path) -> Result<Zeroizing<Vec<u8>>, String> {
    let raw = read_capped(path, MAX_KEY_FILE)?;
    let short = || {
        format!(
            "{}: a key file holds at least 32 random bytes, raw or as hex or base64 text; make one with `head -c 32 /dev/urandom > FILE`",
            path.display()
        )
    };
    let Ok(text) = std::str::from_utf8(&raw) else {
        return if raw.len() >= 32 {
            Ok(raw)
        } else {
            Err(short())
        };
    };
    let t = text.trim();
    let decoded = if !t.is_empty() && t.len() % 2 == 0 && t.bytes().all(|b| b.is_ascii_hexdigit()) {
        (0..t.len())
            .step_by(2)
            .map(|i| t.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
            .collect::<Option<Vec<u8>>>()
    } else {
        base64::engine::general_purpose::STANDARD.decode(t).ok()
    };
    match decoded {
        Some(k) if k.len() >= 32 => Ok(Zeroizing::new(k)),
        _ => Err(short()),
    }
}

/// Wraps vault keys with KMS: the vault id and purpose are the encryption
/// context, so a policy on `kms:EncryptionContext:mlguard:purpose` grants
/// tokenizing without detokenizing, and each unwrap is an audited Decrypt.
struct KmsWrapper {
    client: JsonClient,
    key_id: Option<String>,
    runtime: tokio::runtime::Runtime,
}

impl KmsWrapper {
    fn context(vault: &str, purpose: &str) -> Value {
        json!({"mlguard:vault": vault, "mlguard:purpose": purpose})
    }
}

impl KeyWrapper for KmsWrapper {
    fn describe(&self) -> BTreeMap<String, String> {
        let mut m = BTreeMap::from([("source".to_string(), "kms".to_string())]);
        if let Some(k) = &self.key_id {
            m.insert("keyId".into(), k.clone());
        }
        m
    }

    fn wrap(&self, vault: &str, purpose: &str, key: &[u8]) -> Result<Vec<u8>, DeidError> {
        let key_id = self
            .key_id
            .as_deref()
            .ok_or_else(|| DeidError::Input("a new vault needs --vault-key-id".into()))?;
        let body = json!({
            "KeyId": key_id,
            "Plaintext": base64::engine::general_purpose::STANDARD.encode(key),
            "EncryptionContext": KmsWrapper::context(vault, purpose),
        });
        let response = self
            .runtime
            .block_on(self.client.call("Encrypt", &body))
            .map_err(|e| DeidError::Input(format!("KMS Encrypt ({purpose} key): {e}")))?;
        blob(&response, "CiphertextBlob")
            .map(|b| b.to_vec())
            .map_err(DeidError::Input)
    }

    fn unwrap(
        &self,
        vault: &str,
        purpose: &str,
        wrapped: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, DeidError> {
        let body = json!({
            "CiphertextBlob": base64::engine::general_purpose::STANDARD.encode(wrapped),
            "EncryptionContext": KmsWrapper::context(vault, purpose),
        });
        let response = self
            .runtime
            .block_on(self.client.call("Decrypt", &body))
            .map_err(|e| {
                DeidError::Input(format!("KMS Decrypt of the vault's {purpose} key: {e}"))
            })?;
        blob(&response, "Plaintext").map_err(DeidError::Input)
    }
}

fn wrapper_for(
    existing: Option<&Value>,
    key_id: Option<&str>,
    local: Option<&Zeroizing<Vec<u8>>>,
    aws: &KmsOptions,
) -> Result<Box<dyn KeyWrapper>, String> {
    let source = existing
        .and_then(|v| v.get("keySource"))
        .and_then(|s| s.get("source"))
        .and_then(Value::as_str);
    let use_kms = match source {
        Some("kms") => true,
        Some(_) => false,
        None => key_id.is_some(),
    };
    if use_kms {
        let recorded = existing
            .and_then(|v| v.get("keySource"))
            .and_then(|s| s.get("keyId"))
            .and_then(Value::as_str)
            .map(str::to_string);
        Ok(Box::new(KmsWrapper {
            client: service_client(aws, "KMS", "kms", "TrentService")?,
            key_id: key_id.map(str::to_string).or(recorded),
            runtime: runtime()?,
        }))
    } else {
        let key = local.ok_or_else(|| {
            if source.is_some() {
                // (An existing vault: its key source is fixed.)
                "the token vault was sealed with a local key: give it with --key-file".to_string()
            } else {
                "the token vault needs a key: --vault-key-id (KMS) or --key-file (local)"
                    .to_string()
            }
        })?;
        // The key file also keys the recipe's steps: the vault's wrapping
        // key is derived from it for this purpose alone.
        let master =
            mlguard_deid::token::derive_key(key, "vault wrapping").map_err(|e| e.to_string())?;
        Ok(Box::new(
            LocalWrapper::new(master.as_ref()).map_err(|e| e.to_string())?,
        ))
    }
}

/// An exclusive lock on a vault, held by a sidecar file (the vault itself is
/// replaced by rename, so it cannot carry the lock).
fn lock_vault(vault: &Path) -> Result<std::fs::File, String> {
    let name = vault
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let path = vault.with_file_name(format!(".{name}.lock"));
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    file.lock()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(file)
}

/// Writes `bytes` to `path` through a temporary file and a rename.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let staged = Staged::new(path);
    let mut file = create_output(&staged)?;
    file.write_all(bytes)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    file.sync_all()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    staged.commit()
}

fn write_table(
    path: &Path,
    format: Format,
    delimiter: u8,
    table: &Table,
    source: &arrow_schema::Schema,
    keep_types: &[String],
) -> Result<(), String> {
    let staged = Staged::new(path);
    let file = create_output(&staged)?;
    let mut writer = std::io::BufWriter::with_capacity(1 << 20, file);
    write(table, format, delimiter, source, keep_types, &mut writer)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let file = writer
        .into_inner()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    file.sync_all()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    staged.commit()
}

fn read_input(path: &Path, format: Format) -> Result<Input, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    read(file, format).map_err(|e| format!("{}: {e}", path.display()))
}

fn risk_json(
    table: &Table,
    qis: &[String],
    sensitive: Option<&str>,
    threshold: f64,
) -> Result<Value, String> {
    let names: Vec<&str> = qis.iter().map(String::as_str).collect();
    let r = measure(table, &names, sensitive, threshold).map_err(|e| e.to_string())?;
    Ok(json!({
        "records": r.records,
        "classes": r.classes,
        "k": r.k,
        "averageClassSize": r.average_class_size,
        "highestRisk": r.highest_risk,
        "averageRisk": r.average_risk,
        "marketerRisk": r.marketer_risk,
        "recordsAtRisk": r.records_at_risk,
        "shareAtRisk": r.share_at_risk,
        "l": r.sensitive.as_ref().map(|s| s.distinct_l),
        "t": r.sensitive.as_ref().map(|s| s.t),
    }))
}

fn fetch_secret(aws: &KmsOptions, id: &str) -> Result<Zeroizing<Vec<u8>>, String> {
    let client = service_client(aws, "SECRETS_MANAGER", "secretsmanager", "secretsmanager")?;
    let rt = runtime()?;
    let response = rt
        .block_on(client.call("GetSecretValue", &json!({"SecretId": id})))
        .map_err(|e| format!("Secrets Manager GetSecretValue {id:?}: {e}"))?;
    if let Some(b) = response.get("SecretBinary").and_then(Value::as_str) {
        return base64::engine::general_purpose::STANDARD
            .decode(b)
            .map(Zeroizing::new)
            .map_err(|_| format!("secret {id:?}: SecretBinary is not base64"));
    }
    // DataBrew reads the secret string as base64; a string that is not
    // base64 is used as its bytes.
    let s = response
        .get("SecretString")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("secret {id:?} has no value"))?;
    Ok(Zeroizing::new(
        base64::engine::general_purpose::STANDARD
            .decode(s.trim())
            .unwrap_or_else(|_| s.as_bytes().to_vec()),
    ))
}

/// One status line on stderr, redrawn in place, when stderr is a terminal.
struct Progress {
    on: bool,
    started: Instant,
}

impl Progress {
    fn new() -> Progress {
        use std::io::IsTerminal as _;
        Progress {
            on: std::io::stderr().is_terminal(),
            started: Instant::now(),
        }
    }

    fn show(&self, what: &str) {
        if self.on {
            eprint!(
                "\r\x1b[2Kmlguard protect: {what} ({:.1} s)",
                self.started.elapsed().as_secs_f64()
            );
        }
    }

    fn done(&self) {
        if self.on {
            eprint!("\r\x1b[2K");
        }
    }
}

/// The named columns of a table.
fn project(table: &Table, columns: &[String]) -> Result<Table, String> {
    let indices = columns
        .iter()
        .map(|c| table.column(c).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    let schema = std::sync::Arc::new(table.schema.project(&indices).map_err(|e| e.to_string())?);
    let batches = table
        .batches
        .iter()
        .map(|b| b.project(&indices).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Table { schema, batches })
}

/// Adds one batch's step reports to the running totals.
fn merge(total: &mut Vec<StepReport>, batch: Vec<StepReport>) {
    if total.is_empty() {
        *total = batch;
        return;
    }
    for (t, b) in total.iter_mut().zip(batch) {
        t.changed += b.changed;
        t.dropped += b.dropped;
        t.seconds += b.seconds;
    }
}

pub(crate) fn protect(args: ProtectArgs) -> Result<ExitCode, String> {
    let started = Instant::now();
    let progress = Progress::new();
    let text = String::from_utf8(read_capped(&args.recipe, MAX_RECIPE)?.to_vec())
        .map_err(|_| format!("{}: not UTF-8 text", args.recipe.display()))?;
    let recipe = Recipe::parse(&text).map_err(|e| format!("{}: {e}", args.recipe.display()))?;
    let in_format = Format::from_path(&args.input, delimiter(args.delimiter)?);
    let out_format = Format::from_path(&args.output, delimiter(args.delimiter)?);
    let mut keys = Keys::default();
    if let Some(path) = &args.key_file {
        keys.default = Some(read_key_file(path)?);
    }
    for id in Keys::secret_ids(&recipe) {
        let secret = fetch_secret(&args.aws, &id)?;
        keys.secrets.insert(id, secret);
    }
    let hierarchy_dir = args
        .recipe
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    // Opening reads only the schema (a CSV header, Parquet's footer; JSON
    // Lines has none before its rows): the recipe is compiled against it
    // before any row is read.
    let file =
        std::fs::File::open(&args.input).map_err(|e| format!("{}: {e}", args.input.display()))?;
    progress.show(&format!("reading {}", args.input.display()));
    let mut reader =
        open_batches(file, in_format).map_err(|e| format!("{}: {e}", args.input.display()))?;
    let plan = compile(&recipe, &reader.source, &keys, &hierarchy_dir)
        .map_err(|e| format!("{}: {e}", args.recipe.display()))?;
    let privacy = recipe.privacy.clone();
    let sensitive = privacy.as_ref().and_then(|p| p.sensitive.first().cloned());
    // The columns the risk report measures, before and after.
    let measured: Vec<String> = match &privacy {
        Some(p) if !p.quasi_identifiers.is_empty() => {
            let mut cols = p.quasi_identifiers.clone();
            cols.extend(sensitive.iter().cloned());
            for c in &cols {
                if reader.schema.index_of(c).is_err() {
                    return Err(format!(
                        "{}: privacy names column {c:?}, which the input does not have",
                        args.recipe.display()
                    ));
                }
                if plan.schema.index_of(c).is_err() {
                    return Err(format!(
                        "{}: privacy names column {c:?}, which a DELETE step removes",
                        args.recipe.display()
                    ));
                }
            }
            cols
        }
        _ => Vec::new(),
    };
    let mut vault = None;
    let mut vault_path = None;
    let mut vault_lock = None;
    if plan.needs_vault {
        let path = args
            .vault
            .clone()
            .ok_or("the recipe tokenizes: name the token vault with --vault")?;
        // One run at a time per vault: a second waits here, then reads the
        // tokens the first wrote (without the lock the last writer would
        // drop the other's tokens).
        vault_lock = Some(lock_vault(&path)?);
        let existing = match std::fs::read(&path) {
            Ok(bytes) => Some(bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        let existing_json: Option<Value> = existing
            .as_deref()
            .and_then(|b| serde_json::from_slice(b).ok());
        let wrapper = wrapper_for(
            existing_json.as_ref(),
            args.vault_key_id.as_deref(),
            keys.default.as_ref(),
            &args.aws,
        )?;
        let v = match &existing {
            Some(bytes) => Vault::open(bytes, wrapper.as_ref(), Purpose::Tokenize),
            None => Vault::create(wrapper.as_ref()),
        }
        .map_err(|e| format!("{}: {e}", path.display()))?;
        vault = Some(v);
        vault_path = Some(path);
    }
    let total_steps = recipe.steps.len();
    let whole = plan.needs_whole_table() || privacy.as_ref().is_some_and(|p| p.k.is_some());
    let recipe_error = |e: DeidError| format!("{}: {e}", args.recipe.display());
    let input_error = |e: DeidError| format!("{}: {e}", args.input.display());
    let mut before_parts = Vec::new();
    let mut after_parts = Vec::new();
    let mut steps: Vec<StepReport> = Vec::new();
    let mut records_in = 0usize;
    let mut records_out = 0usize;
    let mut anonymization = None;
    let staged = Staged::new(&args.output);
    let file = create_output(&staged)?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    let source = reader.source.clone();
    let delimiter_out = reader.delimiter;
    let read_done;
    let mut anonymize_seconds = 0.0f64;
    if whole {
        let batches = reader
            .by_ref()
            .collect::<Result<Vec<_>, _>>()
            .map_err(input_error)?;
        let table = Table {
            schema: reader.schema.clone(),
            batches,
        };
        read_done = started.elapsed();
        records_in = table.rows();
        if !measured.is_empty() {
            before_parts.push(project(&table, &measured)?);
        }
        let (mut table, reports) = plan
            .apply_with_progress(table, vault.as_mut(), 0, &mut |n, op| {
                progress.show(&format!("step {n}/{total_steps} {op}"));
            })
            .map_err(recipe_error)?;
        steps = reports;
        if let Some(p) = &privacy
            && p.k.is_some()
        {
            progress.show(&format!(
                "{} k-anonymity, k = {}",
                p.method,
                p.k.unwrap_or(0)
            ));
            let t = Instant::now();
            let (anonymized, summary) = crate::kanon_glue::enforce(&table, p, &hierarchy_dir)?;
            anonymize_seconds = t.elapsed().as_secs_f64();
            table = anonymized;
            anonymization = Some(summary);
        }
        if !measured.is_empty() {
            after_parts.push(project(&table, &measured)?);
        }
        records_out = table.rows();
        progress.show(&format!("writing {}", args.output.display()));
        write(
            &table,
            out_format,
            delimiter_out,
            &source,
            &plan.type_preserving,
            &mut out,
        )
        .map_err(|e| format!("{}: {e}", args.output.display()))?;
    } else {
        // Stream: each batch is read, transformed and written before the next.
        let typed: Vec<String> = plan
            .type_preserving
            .iter()
            .filter(|c| {
                source
                    .field_with_name(c)
                    .is_ok_and(|f| f.data_type() != &arrow_schema::DataType::Utf8)
            })
            .cloned()
            .collect();
        let mut writer = BatchWriter::new(
            out_format,
            delimiter_out,
            plan.schema.clone(),
            &source,
            &typed,
            &mut out,
        )
        .map_err(|e| format!("{}: {e}", args.output.display()))?;
        for batch in reader.by_ref() {
            let batch = batch.map_err(input_error)?;
            let table = Table {
                schema: batch.schema(),
                batches: vec![batch],
            };
            if !measured.is_empty() {
                before_parts.push(project(&table, &measured)?);
            }
            let first = records_in;
            records_in += table.rows();
            progress.show(&format!("{records_in} records"));
            let (table, reports) = plan
                .apply_with_progress(table, vault.as_mut(), first, &mut |_, _| {})
                .map_err(recipe_error)?;
            merge(&mut steps, reports);
            if !measured.is_empty() {
                after_parts.push(project(&table, &measured)?);
            }
            records_out += table.rows();
            for b in &table.batches {
                writer
                    .write(b)
                    .map_err(|e| format!("{}: {e}", args.output.display()))?;
            }
        }
        read_done = started.elapsed();
        writer
            .finish()
            .map_err(|e| format!("{}: {e}", args.output.display()))?;
    }
    let measure_parts = |parts: Vec<Table>| -> Result<Option<Value>, String> {
        let Some(p) = &privacy else { return Ok(None) };
        let Some(first) = parts.first() else {
            return Ok(None);
        };
        let table = Table {
            schema: first.schema.clone(),
            batches: parts.iter().flat_map(|t| t.batches.clone()).collect(),
        };
        risk_json(
            &table,
            &p.quasi_identifiers,
            sensitive.as_deref(),
            p.threshold,
        )
        .map(Some)
    };
    let t = Instant::now();
    // Before and after are independent: one core each.
    let (before, after) = std::thread::scope(|scope| {
        let before = scope.spawn(|| measure_parts(before_parts));
        let after = measure_parts(after_parts);
        (before.join(), after)
    });
    let before = before.map_err(|_| "the risk measurement failed".to_string())??;
    let after = after?;
    let risk_seconds = t.elapsed().as_secs_f64();
    if let (Some(v), Some(path)) = (&vault, &vault_path) {
        // The vault is written before the output is renamed into place:
        // tokens never reach an output whose originals are not stored.
        write_atomic(path, &v.to_json().map_err(|e| e.to_string())?)?;
    }
    let file = out
        .into_inner()
        .map_err(|e| format!("{}: {e}", args.output.display()))?;
    file.sync_all()
        .map_err(|e| format!("{}: {e}", args.output.display()))?;
    staged.commit()?;
    drop(vault_lock);
    let report = json!({
        "input": args.input.display().to_string(),
        "output": args.output.display().to_string(),
        "recordsIn": records_in,
        "recordsOut": records_out,
        "streamed": !whole,
        "columnsOut": plan.schema.fields().iter().map(|f| f.name().clone()).collect::<Vec<_>>(),
        "steps": steps.iter().map(|s| json!({
            "step": s.number, "operation": s.operation, "columns": s.columns,
            "valuesChanged": s.changed, "recordsDropped": s.dropped, "seconds": s.seconds,
        })).collect::<Vec<_>>(),
        "epsilonSpent": plan.epsilon_spent.map(|e| e.to_string()),
        "vault": vault.as_ref().map(|v| json!({"id": v.id(), "tokensIssued": v.issued, "tokensStored": v.len()})),
        "riskBefore": before,
        "riskAfter": after,
        "anonymization": anonymization,
        "seconds": {
            "read": read_done.as_secs_f64(),
            "steps": steps.iter().map(|s| s.seconds).sum::<f64>(),
            "anonymize": anonymize_seconds,
            "risk": risk_seconds,
            "total": started.elapsed().as_secs_f64(),
        },
        "threads": std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
    });
    if let Some(path) = &args.report {
        let mut bytes = serde_json::to_vec_pretty(&report).unwrap_or_default();
        bytes.push(b'\n');
        write_atomic(path, &bytes)?;
    }
    progress.done();
    eprintln!(
        "mlguard protect: {} records in, {} out, {} steps{} in {:.2} s",
        records_in,
        records_out,
        steps.len(),
        match (&before, &after) {
            (Some(b), Some(a)) => format!(", k {} → {}", b["k"], a["k"]),
            _ => String::new(),
        },
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn detokenize(args: DetokenizeArgs) -> Result<ExitCode, String> {
    let bytes = std::fs::read(&args.vault).map_err(|e| format!("{}: {e}", args.vault.display()))?;
    let json: Value = serde_json::from_slice(&bytes)
        .map_err(|e| format!("{}: not a token vault: {e}", args.vault.display()))?;
    let local = args.key_file.as_deref().map(read_key_file).transpose()?;
    let wrapper = wrapper_for(Some(&json), None, local.as_ref(), &args.aws)?;
    let mut vault = Vault::open(&bytes, wrapper.as_ref(), Purpose::Detokenize)
        .map_err(|e| format!("{}: {e}", args.vault.display()))?;
    let format = Format::from_path(&args.input, delimiter(args.delimiter)?);
    let input = read_input(&args.input, format)?;
    let columns: Vec<String> = if args.columns.is_empty() {
        vault
            .columns()
            .keys()
            .filter(|c| input.table.schema.index_of(c).is_ok())
            .cloned()
            .collect()
    } else {
        args.columns.clone()
    };
    if columns.is_empty() {
        return Err(format!(
            "{}: no column of the input was tokenized into this vault",
            args.input.display()
        ));
    }
    let mut table = input.table;
    let mut restored = 0usize;
    let mut unknown = 0usize;
    for name in &columns {
        let index = table.column(name).map_err(|e| e.to_string())?;
        let mut batches = Vec::with_capacity(table.batches.len());
        for batch in &table.batches {
            let array = batch
                .column(index)
                .as_any()
                .downcast_ref::<arrow_array::StringArray>()
                .ok_or("columns are text")?;
            let mut out = arrow_array::builder::StringBuilder::new();
            for v in array.iter() {
                match v {
                    None => out.append_null(),
                    Some(t) => match vault
                        .detokenize(name, t)
                        .map_err(|e| format!("column {name:?}: {e}"))?
                    {
                        Some(original) => {
                            restored += 1;
                            out.append_value(original);
                        }
                        None => {
                            unknown += 1;
                            out.append_value(t);
                        }
                    },
                }
            }
            let mut cols = batch.columns().to_vec();
            if let Some(slot) = cols.get_mut(index) {
                *slot = std::sync::Arc::new(out.finish());
            }
            batches.push(
                arrow_array::RecordBatch::try_new(batch.schema(), cols)
                    .map_err(|e| e.to_string())?,
            );
        }
        table.batches = batches;
    }
    let out_format = Format::from_path(&args.output, delimiter(args.delimiter)?);
    write_table(
        &args.output,
        out_format,
        input.delimiter,
        &table,
        &input.source,
        &[],
    )?;
    eprintln!(
        "mlguard detokenize: {restored} values restored in {} column(s); {unknown} not tokens of this vault (kept)",
        columns.len()
    );
    Ok(ExitCode::SUCCESS)
}
