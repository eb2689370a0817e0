//! Reading the inputs: files and directories, each file recognized by its
//! content (never its name), read in parallel.
//!
//! A file named on the command line must be something posture reads; in a
//! directory, files that are not (a `package.json`, a dataset) are skipped
//! and listed. Files of `aws ec2 describe-*` output (or the network
//! analyzer's YAML) are grouped by directory into one topology each.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

use crate::model::{Network, Origin, Scope};
use crate::{awscli, cfn, sagemaker, terraform};

/// A file or directory that could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub file: String,
    pub message: String,
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.file, self.message)
    }
}

/// Everything read, and what was passed over.
#[derive(Default)]
pub struct Inputs {
    pub scope: Scope,
    /// Files read.
    pub files: usize,
    /// Files in directories that are no configuration posture reads.
    pub skipped: Vec<String>,
}

/// Top-level members of the aws CLI's EC2 (and Direct Connect) output the
/// network analyzer reads.
const NETWORK_KEYS: &[&str] = &[
    "Vpcs",
    "Subnets",
    "RouteTables",
    "NetworkAcls",
    "SecurityGroups",
    "NetworkInterfaces",
    "VpcEndpoints",
    "NatGateways",
    "InternetGateways",
    "VpcPeeringConnections",
    "PrefixLists",
    "Entries",
    "VpnGateways",
    "VpnConnections",
    "CustomerGateways",
    "virtualInterfaces",
    "EnableDnsSupport",
    "EnableDnsHostnames",
];

/// The network analyzer's YAML format's top-level members.
const NETWORK_YAML_KEYS: &[&str] = &["vpcs", "subnets", "security_groups", "route_tables"];

/// Files larger than this are no configuration (a dataset in the tree).
const MAX_FILE: u64 = 64 << 20;

enum Outcome {
    Read(Scope),
    Network(PathBuf, Scope),
    Skipped,
}

/// Reads every path: files, and directories recursively (hidden entries
/// skipped). Errors name the file; reading stops at none of them, so all are
/// reported at once.
pub fn read_paths(paths: &[PathBuf]) -> (Inputs, Vec<InputError>) {
    let mut files: Vec<(PathBuf, bool)> = Vec::new();
    let mut errors = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found = Vec::new();
            if let Err(e) = walk(p, &mut found) {
                errors.push(e);
            }
            found.sort();
            files.extend(found.into_iter().map(|f| (f, false)));
        } else if p.is_file() {
            files.push((p.clone(), true));
        } else {
            errors.push(InputError {
                file: p.display().to_string(),
                message: "no such file or directory".into(),
            });
        }
    }
    let outcomes = parallel(&files);
    let mut inputs = Inputs::default();
    let mut networks: BTreeMap<PathBuf, Vec<PathBuf>> = BTreeMap::new();
    for ((path, _), outcome) in files.iter().zip(outcomes) {
        match outcome {
            Ok(Outcome::Read(s)) => {
                inputs.files += 1;
                inputs.scope.merge(s);
            }
            Ok(Outcome::Network(dir, s)) => {
                inputs.files += 1;
                inputs.scope.merge(s);
                networks.entry(dir).or_default().push(path.clone());
            }
            Ok(Outcome::Skipped) => inputs.skipped.push(path.display().to_string()),
            Err(e) => errors.push(e),
        }
    }
    for (dir, files) in networks {
        match mlguard_net::load_files(&files) {
            Ok(topology) => inputs.scope.networks.push(Network {
                topology,
                origin: Origin {
                    file: dir.display().to_string(),
                    ..Origin::default()
                },
            }),
            Err(e) => errors.push(InputError {
                file: dir.display().to_string(),
                message: format!("topology: {e}"),
            }),
        }
    }
    (inputs, errors)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), InputError> {
    let err = |e: std::io::Error| InputError {
        file: dir.display().to_string(),
        message: e.to_string(),
    };
    for entry in std::fs::read_dir(dir).map_err(err)? {
        let entry = entry.map_err(err)?;
        let path = entry.path();
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        let kind = entry.file_type().map_err(err)?;
        if hidden || kind.is_symlink() {
            continue;
        }
        if kind.is_dir() {
            walk(&path, out)?;
        } else if kind.is_file()
            && matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("json" | "yaml" | "yml" | "template")
            )
        {
            out.push(path);
        }
    }
    Ok(())
}

fn parallel(files: &[(PathBuf, bool)]) -> Vec<Result<Outcome, InputError>> {
    let workers = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(files.len().max(1));
    let next = AtomicUsize::new(0);
    let mut results: Vec<(usize, Result<Outcome, InputError>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some((path, explicit)) = files.get(i) else {
                            break;
                        };
                        mine.push((i, read_file(path, *explicit)));
                    }
                    mine
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| {
                h.join().unwrap_or_else(|_| {
                    vec![(
                        usize::MAX,
                        Err(InputError {
                            file: String::new(),
                            message: "a reader thread failed".into(),
                        }),
                    )]
                })
            })
            .collect()
    });
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

fn read_file(path: &Path, explicit: bool) -> Result<Outcome, InputError> {
    let name = path.display().to_string();
    let err = |message: String| InputError {
        file: name.clone(),
        message,
    };
    let size = std::fs::metadata(path)
        .map_err(|e| err(e.to_string()))?
        .len();
    if size > MAX_FILE {
        return if explicit {
            Err(err(format!("{size} bytes: larger than any configuration")))
        } else {
            Ok(Outcome::Skipped)
        };
    }
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    let yaml = matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    ) || (!text.trim_start().starts_with(['{', '[']));
    let doc: Value = if yaml {
        match yaml_serde::from_str::<yaml_serde::Value>(&text) {
            Ok(v) => crate::intrinsics::yaml_to_json(v),
            Err(e) if explicit => return Err(err(format!("not YAML or JSON: {e}"))),
            Err(_) => return Ok(Outcome::Skipped),
        }
    } else {
        match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(e) if explicit => return Err(err(format!("not JSON: {e}"))),
            Err(_) => return Ok(Outcome::Skipped),
        }
    };
    let mut scope = Scope::default();
    let network = read_value(&name, &text, &doc, yaml, &mut scope);
    match network {
        Recognized::Network => {
            let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
            Ok(Outcome::Network(dir, scope))
        }
        Recognized::Yes => Ok(Outcome::Read(scope)),
        Recognized::No if explicit => Err(err(
            "not a configuration posture reads (SageMaker API or SDK JSON, CloudFormation, \
             Terraform plan JSON, or aws CLI output of S3, KMS, Secrets Manager, CloudTrail, \
             EC2 or IAM)"
                .into(),
        )),
        Recognized::No => Ok(Outcome::Skipped),
    }
}

enum Recognized {
    Yes,
    No,
    Network,
}

/// Reads one parsed document into `scope`.
fn read_value(file: &str, text: &str, doc: &Value, yaml: bool, scope: &mut Scope) -> Recognized {
    if let Value::Array(items) = doc {
        let mut any = false;
        for (i, item) in items.iter().enumerate() {
            if let Some(kind) = sagemaker::recognize(item) {
                let origin = Origin {
                    file: file.to_owned(),
                    path: format!("[{i}]"),
                    line: 0,
                };
                sagemaker::read(kind, item, &format!("{file}[{i}]"), origin, scope);
                any = true;
            }
        }
        return if any { Recognized::Yes } else { Recognized::No };
    }
    let origin = Origin {
        file: file.to_owned(),
        path: String::new(),
        line: 1,
    };
    if cfn::recognize(doc) {
        cfn::read(file, text, doc, scope);
        return Recognized::Yes;
    }
    if terraform::recognize(doc) {
        terraform::read(file, text, doc, scope);
        return Recognized::Yes;
    }
    if let Some(kind) = sagemaker::recognize(doc) {
        // A configuration without a name is named by its file.
        let stem = std::path::Path::new(file)
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or(file);
        sagemaker::read(kind, doc, stem, origin, scope);
        return Recognized::Yes;
    }
    if let Some(obj) = doc.as_object() {
        let net_keys = if yaml {
            NETWORK_YAML_KEYS
        } else {
            NETWORK_KEYS
        };
        if obj.keys().any(|k| net_keys.contains(&k.as_str())) {
            awscli::vpcs(doc, &origin, scope);
            return Recognized::Network;
        }
    }
    if let Some(kind) = awscli::recognize(doc) {
        awscli::read(kind, doc, &origin, scope);
        return Recognized::Yes;
    }
    Recognized::No
}

/// Reads one document given as text (JSON, or YAML when `yaml`), for tests
/// and fuzzing: what [`read_paths`] does for a file, without the file system
/// and without topologies.
pub fn read_text(file: &str, text: &str, yaml: bool) -> Result<Scope, InputError> {
    let err = |message: String| InputError {
        file: file.to_owned(),
        message,
    };
    let doc: Value = if yaml {
        crate::intrinsics::yaml_to_json(
            yaml_serde::from_str(text).map_err(|e| err(format!("not YAML: {e}")))?,
        )
    } else {
        serde_json::from_str(text).map_err(|e| err(format!("not JSON: {e}")))?
    };
    let mut scope = Scope::default();
    match read_value(file, text, &doc, yaml, &mut scope) {
        Recognized::No => Err(err("not a configuration posture reads".into())),
        _ => Ok(scope),
    }
}
