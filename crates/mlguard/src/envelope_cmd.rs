//! `mlguard encrypt` and `mlguard decrypt`: envelope encryption of files with a data
//! key from any KMS endpoint (mlguard's own or AWS's), in the framed format of
//! `mlguard_crypto::envelope`. Output goes to a temporary file renamed into place
//! only when complete, so a failure never leaves a partial or unauthenticated file.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use base64::Engine as _;
use clap::Args;
use mlguard_client::{ClientConfig, JsonClient, default_endpoint, resolve};
use mlguard_crypto::{EncryptionContext, Zeroizing, envelope};
use serde_json::{Value, json};

/// Where KMS is and as whom to call it (the aws CLI's options and environment).
#[derive(Debug, Args)]
pub(crate) struct KmsOptions {
    /// The KMS endpoint, e.g. https://127.0.0.1:4566 [default: AWS_ENDPOINT_URL_KMS,
    /// AWS_ENDPOINT_URL, else AWS's regional endpoint].
    #[arg(long, value_name = "URL")]
    endpoint_url: Option<String>,
    /// The region [default: AWS_REGION, AWS_DEFAULT_REGION, the profile's, else us-east-1].
    #[arg(long)]
    region: Option<String>,
    /// The credentials profile [default: AWS_PROFILE, else the environment's keys, else default].
    #[arg(long)]
    profile: Option<String>,
    /// Extra CA certificates to trust (PEM) [default: AWS_CA_BUNDLE].
    #[arg(long, value_name = "FILE")]
    ca_bundle: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct EncryptArgs {
    /// The KMS key: key id, key ARN, alias name or alias ARN.
    #[arg(long, value_name = "KEY")]
    key_id: String,
    /// The file to encrypt (`-` for standard input).
    input: PathBuf,
    /// Where to write the envelope.
    output: PathBuf,
    /// Encryption context pairs bound to the file (repeatable).
    #[arg(long = "context", value_name = "KEY=VALUE")]
    context: Vec<String>,
    /// Frame size in bytes.
    #[arg(long, default_value_t = envelope::DEFAULT_FRAME_LEN)]
    frame_size: usize,
    #[command(flatten)]
    kms: KmsOptions,
}

#[derive(Debug, Args)]
pub(crate) struct DecryptArgs {
    /// The envelope file (`-` for standard input).
    input: PathBuf,
    /// Where to write the plaintext (`-` for standard output, which gets each
    /// frame as it verifies: on a failure, discard what it received).
    output: PathBuf,
    #[command(flatten)]
    kms: KmsOptions,
}

fn client(options: &KmsOptions) -> Result<JsonClient, String> {
    service_client(options, "KMS", "kms", "TrentService")
}

/// A client for one JSON service (`env` is the service's name in
/// `AWS_ENDPOINT_URL_<env>`), at the endpoint and as the caller `options` say.
pub(crate) fn service_client(
    options: &KmsOptions,
    env: &str,
    service: &'static str,
    target: &'static str,
) -> Result<JsonClient, String> {
    let profile = resolve(options.profile.as_deref()).map_err(|e| e.to_string())?;
    let region = options
        .region
        .clone()
        .or(profile.region.clone())
        .unwrap_or_else(|| "us-east-1".to_string());
    let endpoint = options
        .endpoint_url
        .clone()
        .unwrap_or_else(|| default_endpoint(env, service, &region));
    let ca_bundle = options
        .ca_bundle
        .clone()
        .or_else(|| std::env::var_os("AWS_CA_BUNDLE").map(PathBuf::from));
    JsonClient::new(
        ClientConfig {
            endpoint,
            region,
            credentials: profile.credentials,
            ca_bundle,
        },
        service,
        target,
    )
    .map_err(|e| e.to_string())
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))
}

pub(crate) fn blob(value: &Value, field: &str) -> Result<Zeroizing<Vec<u8>>, String> {
    let text = value
        .get(field)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("KMS response has no {field}"))?;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map(Zeroizing::new)
        .map_err(|_| format!("KMS response {field} is not base64"))
}

/// A temporary file beside `path`, renamed over it on `commit`, removed on drop.
pub(crate) struct Staged {
    tmp: PathBuf,
    target: PathBuf,
    committed: bool,
}

impl Staged {
    pub(crate) fn new(target: &Path) -> Staged {
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let tmp = target.with_file_name(format!(".{name}.mlguard-{}.tmp", std::process::id()));
        Staged {
            tmp,
            target: target.to_path_buf(),
            committed: false,
        }
    }

    pub(crate) fn commit(mut self) -> Result<(), String> {
        std::fs::rename(&self.tmp, &self.target)
            .map_err(|e| format!("{}: {e}", self.target.display()))?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// What is read: a regular file is read positionally, frames on every core; a
/// stream (standard input, a pipe, a device) is read in order.
enum Input {
    File(File, u64),
    Stream(Box<dyn std::io::Read + Send>),
}

fn open_input(path: &Path) -> Result<Input, String> {
    if path.as_os_str() == "-" {
        return Ok(Input::Stream(Box::new(std::io::stdin())));
    }
    let file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let meta = file
        .metadata()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if meta.is_file() {
        return Ok(Input::File(file, meta.len()));
    }
    Ok(Input::Stream(Box::new(BufReader::with_capacity(
        1 << 20,
        file,
    ))))
}

pub(crate) fn create_output(staged: &Staged) -> Result<File, String> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
        .open(&staged.tmp)
        .map_err(|e| format!("{}: {e}", staged.tmp.display()))
}

/// Where output goes: a regular file is written beside its target and renamed into
/// place when complete; standard output (`-`) and special files (a pipe, a device)
/// are written directly, and then a failure is signalled by the exit status only.
enum Output {
    Staged(Staged, BufWriter<File>),
    Direct(BufWriter<Box<dyn Write + Send>>),
}

impl Output {
    fn open(path: &Path) -> Result<Output, String> {
        if path.as_os_str() == "-" {
            return Ok(Output::Direct(BufWriter::with_capacity(
                1 << 20,
                Box::new(std::io::stdout()),
            )));
        }
        if let Ok(meta) = std::fs::metadata(path)
            && !meta.is_file()
        {
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            return Ok(Output::Direct(BufWriter::with_capacity(
                1 << 20,
                Box::new(file),
            )));
        }
        let staged = Staged::new(path);
        let file = create_output(&staged)?;
        Ok(Output::Staged(
            staged,
            BufWriter::with_capacity(1 << 20, file),
        ))
    }

    /// The new file being written, for positional writes (nothing written yet).
    fn positional(&self) -> Option<&File> {
        match self {
            Output::Staged(_, w) if w.buffer().is_empty() => Some(w.get_ref()),
            _ => None,
        }
    }

    fn writer(&mut self) -> &mut (dyn Write + Send) {
        match self {
            Output::Staged(_, w) => w,
            Output::Direct(w) => w,
        }
    }

    /// Makes the output durable and visible.
    fn finish(self) -> Result<(), String> {
        match self {
            Output::Staged(staged, writer) => {
                let file = writer.into_inner().map_err(|e| e.to_string())?;
                file.sync_all().map_err(|e| e.to_string())?;
                staged.commit()
            }
            Output::Direct(mut writer) => writer.flush().map_err(|e| e.to_string()),
        }
    }
}

pub(crate) fn encrypt(args: EncryptArgs) -> Result<ExitCode, String> {
    let mut context_map = serde_json::Map::new();
    for pair in &args.context {
        let (k, v) = pair
            .split_once('=')
            .ok_or_else(|| format!("--context `{pair}` must be KEY=VALUE"))?;
        context_map.insert(k.to_string(), Value::String(v.to_string()));
    }
    let context: EncryptionContext = context_map
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
        .collect();
    let kms = client(&args.kms)?;
    let response = runtime()?
        .block_on(kms.call(
            "GenerateDataKey",
            &json!({ "KeyId": args.key_id, "KeySpec": "AES_256", "EncryptionContext": context_map }),
        ))
        .map_err(|e| format!("GenerateDataKey: {e}"))?;
    let data_key = blob(&response, "Plaintext")?;
    let encrypted_key = blob(&response, "CiphertextBlob")?;
    let key_arn = response
        .get("KeyId")
        .and_then(Value::as_str)
        .unwrap_or(&args.key_id)
        .to_string();

    let input = open_input(&args.input)?;
    let mut output = Output::open(&args.output)?;
    let bytes = match input {
        // File to new file: read, seal and write in place on every core.
        Input::File(file, len) if output.positional().is_some() => envelope::encrypt_file(
            &data_key,
            &key_arn,
            &encrypted_key,
            &context,
            args.frame_size,
            &file,
            len,
            output.positional().ok_or("no positional output")?,
        ),
        Input::File(file, len) => envelope::encrypt_at(
            &data_key,
            &key_arn,
            &encrypted_key,
            &context,
            args.frame_size,
            &file,
            len,
            output.writer(),
        ),
        Input::Stream(stream) => envelope::encrypt(
            &data_key,
            &key_arn,
            &encrypted_key,
            &context,
            args.frame_size,
            stream,
            output.writer(),
        ),
    }
    .map_err(|e| format!("{}: {e}", args.input.display()))?;
    output.finish()?;
    eprintln!("encrypted {bytes} bytes under {key_arn}");
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn decrypt(args: DecryptArgs) -> Result<ExitCode, String> {
    let mut input = open_input(&args.input)?;
    let header = match &mut input {
        Input::File(file, _) => envelope::read_header(&mut &*file),
        Input::Stream(stream) => envelope::read_header(stream),
    }
    .map_err(|e| format!("{}: {e}", args.input.display()))?;
    let context: serde_json::Map<String, Value> = header
        .context
        .pairs()
        .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
        .collect();
    let kms = client(&args.kms)?;
    let edk = base64::engine::general_purpose::STANDARD.encode(&header.encrypted_data_key);
    let response = runtime()?
        .block_on(kms.call(
            "Decrypt",
            &json!({ "CiphertextBlob": edk, "KeyId": header.key_id, "EncryptionContext": context }),
        ))
        .map_err(|e| format!("Decrypt of the data key: {e}"))?;
    let data_key = blob(&response, "Plaintext")?;
    let mut output = Output::open(&args.output)?;
    let bytes = match input {
        Input::File(file, len) if output.positional().is_some() => envelope::decrypt_file(
            &data_key,
            &header,
            &file,
            len,
            output.positional().ok_or("no positional output")?,
        ),
        Input::File(file, len) => {
            envelope::decrypt_at(&data_key, &header, &file, len, output.writer())
        }
        Input::Stream(stream) => envelope::decrypt(&data_key, &header, stream, output.writer()),
    }
    .map_err(|e| {
        // A regular file is never written on failure; standard output or a
        // pipe already holds the frames that verified before this one.
        let partial = if matches!(output, Output::Direct(_)) {
            "; what was already written to the output is incomplete: discard it"
        } else {
            ""
        };
        format!("{}: {e}{partial}", args.input.display())
    })?;
    output.finish()?;
    eprintln!("decrypted {bytes} bytes (key {})", header.key_id);
    Ok(ExitCode::SUCCESS)
}
