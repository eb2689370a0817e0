//! The token vault: random tokens whose originals are kept sealed, and the
//! keys of format-preserving tokens, in one JSON file whose keys are wrapped
//! by a [`KeyWrapper`] — mlguard's KMS (or any KMS) in the CLI, or a local
//! key file offline.
//!
//! Tokenizing and detokenizing are separate permissions. The vault holds:
//!
//! - a **lookup key** (HMAC-SHA-256) wrapped for purpose `tokenize`: it maps
//!   a value to its existing token, so the same value always gets the same
//!   token and joins survive; it reveals equality only;
//! - an **X25519 key pair**: the public key in clear, the private key
//!   wrapped for purpose `detokenize`. A tokenizing run makes an ephemeral
//!   key pair, agrees a session key with the vault's public key (HKDF-SHA-256)
//!   and seals each new original under it (AES-256-GCM, the token as
//!   associated data). Only a holder of the private key can open them, so a
//!   tokenizer cannot detokenize;
//! - an **FF1 key** wrapped for purpose `tokenize`. Format-preserving tokens
//!   are a keyed permutation: whoever holds this key can reverse them, so
//!   FF1 gives no separation between the two permissions (use random tokens
//!   where that matters).
//!
//! With KMS the purpose is in the encryption context
//! (`mlguard:purpose`, with `mlguard:vault` = the vault's id), so a key
//! policy or IAM condition on `kms:EncryptionContext:mlguard:purpose` grants
//! one permission without the other, and every unwrap is a KMS `Decrypt` in
//! the audit log.

use std::collections::BTreeMap;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::agreement::{self, PrivateKey, UnparsedPublicKey, X25519};
use aws_lc_rs::hkdf;
use aws_lc_rs::hmac;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::DeidError;
use crate::mask::hex;
use crate::token::{Alphabet, Ff1, KEY_LEN};

/// The vault file's format tag.
pub const FORMAT: &str = "mlguard-token-vault/1";

/// Wraps and unwraps the vault's keys for a purpose (`tokenize` or
/// `detokenize`) under the vault's id.
pub trait KeyWrapper {
    /// Where the keys are wrapped, recorded in the file (e.g. the KMS key).
    fn describe(&self) -> BTreeMap<String, String>;
    fn wrap(&self, vault: &str, purpose: &str, key: &[u8]) -> Result<Vec<u8>, DeidError>;
    fn unwrap(
        &self,
        vault: &str,
        purpose: &str,
        blob: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, DeidError>;
}

/// A local key file's wrapper: AES-256-GCM under a 32-byte master key, the
/// vault id and purpose as associated data.
pub struct LocalWrapper {
    key: LessSafeKey,
    fingerprint: String,
}

impl LocalWrapper {
    pub fn new(master: &[u8]) -> Result<LocalWrapper, DeidError> {
        let key = UnboundKey::new(&AES_256_GCM, master)
            .map_err(|_| DeidError::Input(format!("a key file holds {KEY_LEN} bytes")))?;
        let tag = hmac::sign(
            &hmac::Key::new(hmac::HMAC_SHA256, master),
            b"mlguard key fingerprint",
        );
        Ok(LocalWrapper {
            key: LessSafeKey::new(key),
            fingerprint: hex(tag.as_ref().get(..8).unwrap_or_default()),
        })
    }
}

impl KeyWrapper for LocalWrapper {
    fn describe(&self) -> BTreeMap<String, String> {
        BTreeMap::from([
            ("source".into(), "local".into()),
            ("fingerprint".into(), self.fingerprint.clone()),
        ])
    }

    fn wrap(&self, vault: &str, purpose: &str, key: &[u8]) -> Result<Vec<u8>, DeidError> {
        let nonce = random::<12>()?;
        let mut out = key.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(format!("{vault}\n{purpose}").as_bytes()),
                &mut out,
            )
            .map_err(|_| DeidError::Input("wrapping failed".into()))?;
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&out);
        Ok(blob)
    }

    fn unwrap(
        &self,
        vault: &str,
        purpose: &str,
        blob: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, DeidError> {
        let bad = || {
            DeidError::Input(format!(
                "the vault's {purpose} key does not open with this key file"
            ))
        };
        let (nonce, sealed) = blob.split_at_checked(12).ok_or_else(bad)?;
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| bad())?;
        let mut buffer = Zeroizing::new(sealed.to_vec());
        let plain = self
            .key
            .open_in_place(
                nonce,
                Aad::from(format!("{vault}\n{purpose}").as_bytes()),
                &mut buffer,
            )
            .map_err(|_| bad())?;
        Ok(Zeroizing::new(plain.to_vec()))
    }
}

/// How a column's values were tokenized, recorded so `detokenize` needs
/// only the vault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ColumnTokens {
    /// `RANDOM` or `FF1`.
    pub format: String,
    /// The FF1 alphabet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alphabet: Option<String>,
    /// Values in the same namespace share tokens (and FF1's tweak).
    pub namespace: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    token: String,
    session: u32,
    counter: u64,
    sealed: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct VaultFile {
    format: String,
    id: String,
    key_source: BTreeMap<String, String>,
    lookup_key: String,
    ff1_key: String,
    private_key: String,
    public_key: String,
    /// HMAC-SHA-256 under the lookup key of the vault id and public key:
    /// whoever can write the file but holds no key cannot swap the public
    /// key for their own.
    #[serde(default)]
    public_key_mac: String,
    #[serde(default)]
    columns: BTreeMap<String, ColumnTokens>,
    #[serde(default)]
    sessions: Vec<String>,
    /// HMAC of namespace and value under the lookup key → token.
    #[serde(default)]
    lookup: BTreeMap<String, String>,
    #[serde(default)]
    entries: Vec<Entry>,
}

struct Session {
    index: u32,
    key: LessSafeKey,
    counter: u64,
}

/// An open vault.
pub struct Vault {
    file: VaultFile,
    lookup: Option<hmac::Key>,
    ff1_key: Option<Zeroizing<Vec<u8>>>,
    private: Option<PrivateKey>,
    session: Option<Session>,
    by_token: BTreeMap<String, usize>,
    ff1: BTreeMap<(String, String), Ff1>,
    session_keys: BTreeMap<u32, LessSafeKey>,
    /// Tokens issued this run (new ones).
    pub issued: usize,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Vault({})", self.file.id)
    }
}

fn random<const N: usize>() -> Result<[u8; N], DeidError> {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).map_err(|e| DeidError::Input(format!("randomness: {e}")))?;
    Ok(out)
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn unb64(text: &str, what: &str) -> Result<Vec<u8>, DeidError> {
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|_| DeidError::Input(format!("the vault's {what} is not base64")))
}

/// Which permission a vault is opened with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Tokenize,
    Detokenize,
}

const TOKEN_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

impl Vault {
    /// A new, empty vault whose keys are wrapped by `wrapper`.
    pub fn create(wrapper: &dyn KeyWrapper) -> Result<Vault, DeidError> {
        let id = hex(&random::<16>()?);
        let lookup = Zeroizing::new(random::<KEY_LEN>()?);
        let ff1 = Zeroizing::new(random::<KEY_LEN>()?);
        let secret = Zeroizing::new(random::<32>()?);
        let private = PrivateKey::from_private_key(&X25519, secret.as_ref())
            .map_err(|_| DeidError::Input("X25519 key".into()))?;
        let public = private
            .compute_public_key()
            .map_err(|_| DeidError::Input("X25519 key".into()))?;
        let mac = public_key_mac(lookup.as_ref(), &id, public.as_ref());
        let file = VaultFile {
            public_key_mac: mac,
            format: FORMAT.into(),
            key_source: wrapper.describe(),
            lookup_key: b64(&wrapper.wrap(&id, "tokenize", lookup.as_ref())?),
            ff1_key: b64(&wrapper.wrap(&id, "tokenize", ff1.as_ref())?),
            private_key: b64(&wrapper.wrap(&id, "detokenize", secret.as_ref())?),
            public_key: b64(public.as_ref()),
            id,
            columns: BTreeMap::new(),
            sessions: Vec::new(),
            lookup: BTreeMap::new(),
            entries: Vec::new(),
        };
        Vault::from_file(file, wrapper, Purpose::Tokenize)
    }

    /// Opens a vault file for one purpose; the other purpose's keys stay
    /// wrapped.
    pub fn open(
        json: &[u8],
        wrapper: &dyn KeyWrapper,
        purpose: Purpose,
    ) -> Result<Vault, DeidError> {
        let file: VaultFile = serde_json::from_slice(json)
            .map_err(|e| DeidError::Input(format!("not a token vault: {e}")))?;
        if file.format != FORMAT {
            return Err(DeidError::Input(format!(
                "not a token vault of format {FORMAT}"
            )));
        }
        Vault::from_file(file, wrapper, purpose)
    }

    fn from_file(
        file: VaultFile,
        wrapper: &dyn KeyWrapper,
        purpose: Purpose,
    ) -> Result<Vault, DeidError> {
        let by_token = file
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.token.clone(), i))
            .collect();
        let mut vault = Vault {
            lookup: None,
            ff1_key: None,
            private: None,
            session: None,
            by_token,
            ff1: BTreeMap::new(),
            session_keys: BTreeMap::new(),
            issued: 0,
            file,
        };
        match purpose {
            Purpose::Tokenize => {
                let key = wrapper.unwrap(
                    &vault.file.id,
                    "tokenize",
                    &unb64(&vault.file.lookup_key, "lookup key")?,
                )?;
                let public = unb64(&vault.file.public_key, "public key")?;
                let expected = public_key_mac(&key, &vault.file.id, &public);
                if !constant_time_eq(expected.as_bytes(), vault.file.public_key_mac.as_bytes()) {
                    return Err(DeidError::Input(
                        "the vault's public key is not the one it was made with: the file was altered"
                            .into(),
                    ));
                }
                vault.lookup = Some(hmac::Key::new(hmac::HMAC_SHA256, &key));
                vault.ff1_key = Some(wrapper.unwrap(
                    &vault.file.id,
                    "tokenize",
                    &unb64(&vault.file.ff1_key, "FF1 key")?,
                )?);
            }
            Purpose::Detokenize => {
                let secret = wrapper.unwrap(
                    &vault.file.id,
                    "detokenize",
                    &unb64(&vault.file.private_key, "private key")?,
                )?;
                vault.private =
                    Some(PrivateKey::from_private_key(&X25519, &secret).map_err(|_| {
                        DeidError::Input("the vault's private key is damaged".into())
                    })?);
                // FF1 tokens reverse with the FF1 key, which is wrapped for
                // tokenizing; it is opened when the vault has FF1 columns.
                if vault.file.columns.values().any(|c| c.format == "FF1") {
                    vault.ff1_key = Some(wrapper.unwrap(
                        &vault.file.id,
                        "tokenize",
                        &unb64(&vault.file.ff1_key, "FF1 key")?,
                    )?);
                }
            }
        }
        Ok(vault)
    }

    /// The vault's id.
    #[must_use]
    pub fn id(&self) -> &str {
        &self.file.id
    }

    /// The columns tokenized into this vault.
    #[must_use]
    pub fn columns(&self) -> &BTreeMap<String, ColumnTokens> {
        &self.file.columns
    }

    /// Records how `column` is tokenized; a column keeps one way.
    pub fn register(&mut self, column: &str, how: ColumnTokens) -> Result<(), DeidError> {
        if how.format == "FF1" {
            let alphabet = how.alphabet.clone().unwrap_or_else(|| "DIGITS".into());
            Alphabet::named(&alphabet)?;
        } else if how.format != "RANDOM" {
            return Err(DeidError::Input(format!(
                "token format {:?}: RANDOM or FF1",
                how.format
            )));
        }
        match self.file.columns.get(column) {
            Some(existing) if *existing != how => Err(DeidError::Input(format!(
                "column {column:?} was tokenized into this vault as {} in namespace {:?}; use the same settings or another vault",
                existing.format, existing.namespace
            ))),
            _ => {
                self.file.columns.insert(column.to_string(), how);
                Ok(())
            }
        }
    }

    fn ff1_for(&mut self, alphabet: &str, namespace: &str) -> Result<&Ff1, DeidError> {
        let key = (alphabet.to_string(), namespace.to_string());
        if !self.ff1.contains_key(&key) {
            let raw = self
                .ff1_key
                .as_ref()
                .ok_or_else(|| DeidError::Input("the vault is not open for FF1 tokens".into()))?;
            let ff1 = Ff1::new(raw, Alphabet::named(alphabet)?)?;
            self.ff1.insert(key.clone(), ff1);
        }
        self.ff1
            .get(&key)
            .ok_or_else(|| DeidError::Input("FF1".into()))
    }

    fn session(&mut self) -> Result<&mut Session, DeidError> {
        if self.session.is_none() {
            let public = unb64(&self.file.public_key, "public key")?;
            let ephemeral =
                PrivateKey::generate(&X25519).map_err(|_| DeidError::Input("X25519 key".into()))?;
            let ephemeral_public = ephemeral
                .compute_public_key()
                .map_err(|_| DeidError::Input("X25519 key".into()))?;
            let key = session_key(
                &ephemeral,
                &public,
                &self.file.id,
                ephemeral_public.as_ref(),
            )?;
            let index = u32::try_from(self.file.sessions.len())
                .map_err(|_| DeidError::Input("too many sessions".into()))?;
            self.file.sessions.push(b64(ephemeral_public.as_ref()));
            self.session = Some(Session {
                index,
                key,
                counter: 0,
            });
        }
        self.session
            .as_mut()
            .ok_or_else(|| DeidError::Input("session".into()))
    }

    /// The token of `value` in `column` (registered first).
    pub fn tokenize(&mut self, column: &str, value: &str) -> Result<String, DeidError> {
        let how = self
            .file
            .columns
            .get(column)
            .cloned()
            .ok_or_else(|| DeidError::Input(format!("column {column:?} is not registered")))?;
        if how.format == "FF1" {
            let alphabet = how.alphabet.unwrap_or_else(|| "DIGITS".into());
            return self
                .ff1_for(&alphabet, &how.namespace)?
                .encrypt(value, how.namespace.as_bytes());
        }
        let lookup = self
            .lookup
            .as_ref()
            .ok_or_else(|| DeidError::Input("the vault is not open for tokenizing".into()))?;
        let mut message = Vec::with_capacity(how.namespace.len() + 1 + value.len());
        message.extend_from_slice(how.namespace.as_bytes());
        message.push(0);
        message.extend_from_slice(value.as_bytes());
        let digest = hex(hmac::sign(lookup, &message).as_ref());
        if let Some(token) = self.file.lookup.get(&digest) {
            return Ok(token.clone());
        }
        let token = loop {
            let bytes = random::<20>()?;
            let body: String = bytes
                .iter()
                .map(|b| {
                    TOKEN_ALPHABET
                        .get(usize::from(b & 31))
                        .copied()
                        .map_or('A', char::from)
                })
                .collect();
            let token = format!("TKN-{body}");
            if !self.by_token.contains_key(&token) {
                break token;
            }
        };
        let session = self.session()?;
        let counter = session.counter;
        session.counter += 1;
        let mut nonce = [0u8; 12];
        if let Some(tail) = nonce.get_mut(4..) {
            tail.copy_from_slice(&counter.to_be_bytes());
        }
        let mut sealed = value.as_bytes().to_vec();
        session
            .key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(token.as_bytes()),
                &mut sealed,
            )
            .map_err(|_| DeidError::Input("sealing failed".into()))?;
        let session_index = session.index;
        self.by_token.insert(token.clone(), self.file.entries.len());
        self.file.entries.push(Entry {
            token: token.clone(),
            session: session_index,
            counter,
            sealed: b64(&sealed),
        });
        self.file.lookup.insert(digest, token.clone());
        self.issued += 1;
        Ok(token)
    }

    /// The original of `token` in `column`; `None` when the vault does not
    /// know the token.
    pub fn detokenize(&mut self, column: &str, token: &str) -> Result<Option<String>, DeidError> {
        let how = self.file.columns.get(column).cloned().ok_or_else(|| {
            DeidError::Input(format!(
                "column {column:?} was not tokenized into this vault"
            ))
        })?;
        if how.format == "FF1" {
            let alphabet = how.alphabet.unwrap_or_else(|| "DIGITS".into());
            // A value FF1 cannot take (too short, too long) is not one of
            // its tokens. FF1 cannot tell its tokens from other values of
            // the same format: those come back permuted.
            return Ok(self
                .ff1_for(&alphabet, &how.namespace)?
                .decrypt(token, how.namespace.as_bytes())
                .ok());
        }
        let private = self
            .private
            .as_ref()
            .ok_or_else(|| DeidError::Input("the vault is not open for detokenizing".into()))?;
        let Some(entry) = self
            .by_token
            .get(token)
            .and_then(|&i| self.file.entries.get(i))
        else {
            return Ok(None);
        };
        if !self.session_keys.contains_key(&entry.session) {
            let ephemeral = self
                .file
                .sessions
                .get(usize::try_from(entry.session).unwrap_or(usize::MAX))
                .ok_or_else(|| {
                    DeidError::Input("the vault names a session it does not have".into())
                })?;
            let ephemeral = unb64(ephemeral, "session")?;
            let key = session_key(private, &ephemeral, &self.file.id, &ephemeral)?;
            self.session_keys.insert(entry.session, key);
        }
        let key = self
            .session_keys
            .get(&entry.session)
            .ok_or_else(|| DeidError::Input("session".into()))?;
        let mut nonce = [0u8; 12];
        if let Some(tail) = nonce.get_mut(4..) {
            tail.copy_from_slice(&entry.counter.to_be_bytes());
        }
        let mut buffer = Zeroizing::new(unb64(&entry.sealed, "entry")?);
        let plain = key
            .open_in_place(Nonce::assume_unique_for_key(nonce), Aad::from(token.as_bytes()), &mut buffer)
            .map_err(|_| DeidError::Input(format!("the vault's entry for a token in {column:?} does not open: damaged or from another vault")))?;
        String::from_utf8(plain.to_vec())
            .map(Some)
            .map_err(|_| DeidError::Input("a vault entry is not text".into()))
    }

    /// The vault as JSON, to be written back (atomically) by the caller.
    pub fn to_json(&self) -> Result<Vec<u8>, DeidError> {
        serde_json::to_vec_pretty(&self.file).map_err(|e| DeidError::Input(e.to_string()))
    }

    /// Tokens stored in the vault.
    #[must_use]
    pub fn len(&self) -> usize {
        self.file.entries.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.file.entries.is_empty()
    }
}

fn public_key_mac(lookup: &[u8], vault: &str, public: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, lookup);
    let mut message = b"mlguard vault public key\n".to_vec();
    message.extend_from_slice(vault.as_bytes());
    message.push(b'\n');
    message.extend_from_slice(public);
    hex(hmac::sign(&key, &message).as_ref())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    aws_lc_rs::constant_time::verify_slices_are_equal(a, b).is_ok()
}

/// AES-256-GCM key from X25519(ours, theirs), salted with the vault id and
/// bound to the session's ephemeral public key.
fn session_key(
    ours: &PrivateKey,
    theirs: &[u8],
    vault: &str,
    ephemeral_public: &[u8],
) -> Result<LessSafeKey, DeidError> {
    let peer = UnparsedPublicKey::new(&X25519, theirs);
    let secret = agreement::agree(
        ours,
        peer,
        DeidError::Input("key agreement failed".into()),
        |shared| {
            let salt = hkdf::Salt::new(hkdf::HKDF_SHA256, vault.as_bytes());
            let prk = salt.extract(shared);
            let info = [b"mlguard vault session".as_slice(), ephemeral_public];
            let okm = prk
                .expand(&info, hkdf::HKDF_SHA256)
                .map_err(|_| DeidError::Input("HKDF".into()))?;
            let mut key = Zeroizing::new([0u8; 32]);
            okm.fill(key.as_mut())
                .map_err(|_| DeidError::Input("HKDF".into()))?;
            Ok(key)
        },
    )?;
    let key = UnboundKey::new(&AES_256_GCM, secret.as_ref())
        .map_err(|_| DeidError::Input("session key".into()))?;
    Ok(LessSafeKey::new(key))
}
