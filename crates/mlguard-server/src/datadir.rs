//! The data directory: created on first start, read on every start.
//!
//! ```text
//! DIR/root.key        32 random bytes (base64), mode 0600: seals all key material
//! DIR/state.db        the SQLite database (sealed material only)
//! DIR/credentials     the root credentials, AWS shared-credentials format, mode 0600
//! DIR/tls/ca.pem      the CA clients trust (AWS_CA_BUNDLE); ca.key, server.pem, server.key
//! DIR/audit/          the CloudTrail-format audit log and its signed digests
//! ```
//! The root key may instead come from outside: `MLGUARD_ROOT_KEY` (base64) wins
//! over the file, and then no file is written.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use mlguard_crypto::{RootKey, random};
use mlguard_store::Store;
use zeroize::Zeroizing;

/// Something on disk is missing, unreadable or inconsistent.
#[derive(Debug, thiserror::Error)]
pub enum DataDirError {
    /// An I/O failure on a path.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The failure.
        source: std::io::Error,
    },
    /// The root key is malformed.
    #[error("root key: {0}")]
    RootKey(String),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] mlguard_store::StoreError),
    /// Randomness or sealing failed.
    #[error(transparent)]
    Crypto(#[from] mlguard_crypto::CryptoError),
    /// Inconsistent configuration.
    #[error("{0}")]
    Invalid(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> DataDirError + '_ {
    move |source| DataDirError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes `contents` to `path` with mode 0600, atomically (temp file, fsync, rename).
pub fn write_private(path: &Path, contents: &[u8]) -> Result<(), DataDirError> {
    let tmp = path.with_extension("tmp");
    {
        let mut options = fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&tmp).map_err(io(&tmp))?;
        file.write_all(contents).map_err(io(&tmp))?;
        file.sync_all().map_err(io(&tmp))?;
    }
    fs::rename(&tmp, path).map_err(io(path))?;
    if let Some(parent) = path.parent()
        && let Ok(dir) = fs::File::open(parent)
    {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// The opened data directory.
pub struct DataDir {
    /// Its path.
    pub path: PathBuf,
    /// The root key.
    pub root_key: RootKey,
    /// The database.
    pub store: Store,
    /// True when this start created it.
    pub created: bool,
}

impl DataDir {
    /// Opens `path`, creating the directory, root key and database on first start.
    pub fn open(path: &Path) -> Result<DataDir, DataDirError> {
        fs::create_dir_all(path).map_err(io(path))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = fs::set_permissions(path, fs::Permissions::from_mode(0o700));
        }
        let key_path = path.join("root.key");
        let db_path = path.join("state.db");
        let created = !db_path.exists();
        let root_key = match std::env::var("MLGUARD_ROOT_KEY") {
            Ok(b64) => decode_root_key(&b64)?,
            Err(_) if key_path.exists() => {
                let text = Zeroizing::new(fs::read_to_string(&key_path).map_err(io(&key_path))?);
                check_private(&key_path)?;
                decode_root_key(&text)?
            }
            Err(_) if !created => {
                return Err(DataDirError::Invalid(format!(
                    "{} exists but {} is missing: without the root key the stored keys cannot be opened",
                    db_path.display(),
                    key_path.display()
                )));
            }
            Err(_) => {
                let key = RootKey::generate()?;
                let encoded = Zeroizing::new(
                    base64::engine::general_purpose::STANDARD.encode(key.expose_bytes()) + "\n",
                );
                write_private(&key_path, encoded.as_bytes())?;
                key
            }
        };
        let store = Store::open(&db_path)?;
        Ok(DataDir {
            path: path.to_path_buf(),
            root_key,
            store,
            created,
        })
    }
}

fn decode_root_key(text: &str) -> Result<RootKey, DataDirError> {
    let bytes = Zeroizing::new(
        base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|_| DataDirError::RootKey("not base64".into()))?,
    );
    RootKey::from_bytes(&bytes).map_err(|_| DataDirError::RootKey("must be 32 bytes".into()))
}

/// Refuses a key file others can read.
fn check_private(path: &Path) -> Result<(), DataDirError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(path).map_err(io(path))?.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(DataDirError::Invalid(format!(
                "{} is readable by others (mode {:o}); run chmod 600 on it",
                path.display(),
                mode & 0o777
            )));
        }
    }
    Ok(())
}

/// A new 12-digit account id (no leading zero, so it survives numeric handling).
pub fn new_account_id() -> Result<String, DataDirError> {
    let bytes: [u8; 12] = random::array()?;
    Ok(bytes
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let digit = if i == 0 { 1 + b % 9 } else { b % 10 };
            char::from(b'0' + digit)
        })
        .collect())
}

/// A new access key id: `prefix` + 16 characters of AWS's alphabet (A-Z, 2-7).
pub fn new_access_key_id(prefix: &str) -> Result<String, DataDirError> {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let bytes: [u8; 16] = random::array()?;
    let chars: String = bytes
        .iter()
        .filter_map(|b| ALPHABET.get(usize::from(b % 32)).map(|c| char::from(*c)))
        .collect();
    Ok(prefix.to_string() + &chars)
}

/// A new 40-character secret access key.
pub fn new_secret_key() -> Result<Zeroizing<String>, DataDirError> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = random::secret_bytes(40)?;
    Ok(Zeroizing::new(
        bytes
            .iter()
            .filter_map(|b| ALPHABET.get(usize::from(b % 64)).map(|c| char::from(*c)))
            .collect(),
    ))
}

/// Writes `DIR/credentials` for the root user, AWS shared-credentials format.
pub fn write_credentials(
    dir: &Path,
    access_key_id: &str,
    secret: &str,
    region: &str,
) -> Result<PathBuf, DataDirError> {
    let path = dir.join("credentials");
    let text = Zeroizing::new(format!(
        "# mlguard root credentials. Use with AWS_SHARED_CREDENTIALS_FILE={} and --profile mlguard\n\
         [mlguard]\naws_access_key_id = {access_key_id}\naws_secret_access_key = {secret}\nregion = {region}\n",
        path.display()
    ));
    write_private(&path, text.as_bytes())?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_start_creates_and_second_start_reads() {
        let dir = tempfile::tempdir().unwrap();
        let first = DataDir::open(dir.path()).unwrap();
        assert!(first.created);
        let sealed = first.root_key.seal(b"p", b"x").unwrap();
        drop(first);
        let second = DataDir::open(dir.path()).unwrap();
        assert!(!second.created);
        assert_eq!(&*second.root_key.open(b"p", &sealed).unwrap(), b"x");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(dir.path().join("root.key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn refuses_missing_or_exposed_root_key() {
        let dir = tempfile::tempdir().unwrap();
        drop(DataDir::open(dir.path()).unwrap());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(
                dir.path().join("root.key"),
                fs::Permissions::from_mode(0o644),
            )
            .unwrap();
            assert!(DataDir::open(dir.path()).is_err());
        }
        fs::remove_file(dir.path().join("root.key")).unwrap();
        assert!(DataDir::open(dir.path()).is_err());
    }

    #[test]
    fn identifiers_have_aws_shapes() {
        let account = new_account_id().unwrap();
        assert_eq!(account.len(), 12);
        assert!(account.bytes().all(|b| b.is_ascii_digit()) && !account.starts_with('0'));
        let akid = new_access_key_id("AKIA").unwrap();
        assert_eq!(akid.len(), 20);
        assert!(
            akid.bytes()
                .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
        );
        assert_eq!(new_secret_key().unwrap().len(), 40);
    }
}
