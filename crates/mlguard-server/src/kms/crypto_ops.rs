//! Cryptographic operations: Encrypt, Decrypt, ReEncrypt, data keys and key pairs,
//! random bytes, signatures, public keys and MACs.

use std::collections::BTreeMap;
use std::sync::Arc;

use mlguard_crypto::blob::{BlobHeader, SymmetricBlob};
use mlguard_crypto::{
    CryptoError, EncryptionAlgorithm, EncryptionContext, KeyMaterial, KeySpec, KeyUsage,
    MacAlgorithm, MessageType, SigningAlgorithm,
};
use mlguard_policy::ContextValue;
use mlguard_wire::kms as w;
use mlguard_wire::{Blob, SensitiveBlob};

use super::common::{Naming, USABLE, dry_run, key_resource, require_state};
use super::model::{Key, KeyVersion};
use super::{AuditInfo, Kms};
use crate::context::RequestContext;
use crate::error::ApiError;

type Out<T> = Result<(T, AuditInfo), ApiError>;

/// A decrypted ciphertext: its key, plaintext, algorithm and key material id.
type Decrypted = (
    Arc<Key>,
    mlguard_crypto::Zeroizing<Vec<u8>>,
    EncryptionAlgorithm,
    Option<String>,
);

/// A fresh data key: its key, plaintext, ciphertext blob and key material id.
type DataKey = (
    Arc<Key>,
    mlguard_crypto::Zeroizing<Vec<u8>>,
    Vec<u8>,
    String,
);

fn internal(e: impl std::fmt::Display) -> ApiError {
    tracing::error!("kms crypto: {e}");
    ApiError::internal("KMSInternalException")
}

fn usage_error(key: &Key, operation: &str) -> ApiError {
    ApiError::bad_request(
        "InvalidKeyUsageException",
        format!(
            "{} key usage is {} which is not valid for {operation}.",
            key.arn, key.meta.key_usage
        ),
    )
}

fn incorrect_key() -> ApiError {
    ApiError::bad_request(
        "IncorrectKeyException",
        "The key ID in the request does not identify a CMK that can perform this operation.",
    )
}

fn invalid_ciphertext() -> ApiError {
    ApiError::bare("InvalidCiphertextException")
}

fn require_usage(key: &Key, usage: KeyUsage, operation: &str) -> Result<(), ApiError> {
    if key.usage() == usage {
        Ok(())
    } else {
        Err(usage_error(key, operation))
    }
}

fn context_of(map: &Option<BTreeMap<String, String>>) -> EncryptionContext {
    map.clone().map(EncryptionContext::from).unwrap_or_default()
}

/// Maps crypto failures to KMS errors.
fn crypto_error(e: CryptoError, key: &Key) -> ApiError {
    match e {
        CryptoError::InvalidCiphertext => invalid_ciphertext(),
        CryptoError::InvalidSignature => ApiError::bare("KMSInvalidSignatureException"),
        CryptoError::InvalidMac => ApiError::bare("KMSInvalidMacException"),
        CryptoError::InvalidDigestLength(alg) => {
            ApiError::validation(format!("Digest is invalid length for algorithm {alg}."))
        }
        CryptoError::Unsupported(message) => {
            ApiError::bad_request("InvalidKeyUsageException", message)
        }
        CryptoError::PlaintextTooLong => {
            ApiError::validation(format!("Plaintext is too long for key {}.", key.arn))
        }
        other => internal(other),
    }
}

impl Kms {
    /// Resolves, authorizes and checks the state of the key a cryptographic
    /// operation names.
    fn crypto_key(
        &self,
        ctx: &RequestContext,
        key_id: &str,
        operation: &str,
        grant_operation: &str,
        extra: &dyn Fn(&mut mlguard_policy::Context),
        encryption_context: Option<&BTreeMap<String, String>>,
    ) -> Result<Arc<Key>, ApiError> {
        let key = self.resolve(ctx, key_id, Naming::AnyForm)?;
        let _ = operation;
        self.authorize_named(
            ctx,
            &key,
            Some(key_id),
            grant_operation,
            extra,
            encryption_context,
        )?;
        require_state(&key, USABLE)?;
        Ok(key)
    }

    fn current_version(key: &Key) -> Result<&Arc<KeyVersion>, ApiError> {
        key.current().ok_or_else(|| internal("key has no material"))
    }

    /// Encrypts under a symmetric key's current version.
    fn seal_symmetric(
        &self,
        key: &Key,
        context: &EncryptionContext,
        plaintext: &[u8],
    ) -> Result<(Vec<u8>, String), ApiError> {
        let version = Self::current_version(key)?;
        let aead = version.symmetric(&self.root_key, key)?;
        let key_id = mlguard_crypto::random::parse_uuid(&key.id)
            .ok_or_else(|| internal("key id is not a UUID"))?;
        let blob = aead
            .encrypt(
                BlobHeader {
                    key_id,
                    key_version: version.number,
                },
                context,
                plaintext,
            )
            .map_err(internal)?;
        Ok((blob, version.material_id.clone()))
    }

    /// Finds the key a symmetric blob was made with (in the caller's region),
    /// checks it against an optional `KeyId`, and returns it with the blob.
    fn blob_key<'b>(
        &self,
        ctx: &RequestContext,
        blob: &'b [u8],
        key_id: Option<&str>,
    ) -> Result<(Arc<Key>, SymmetricBlob<'b>), ApiError> {
        let named = key_id
            .map(|id| self.resolve(ctx, id, Naming::AnyForm))
            .transpose()?;
        if let Some(k) = &named
            && k.usage() != KeyUsage::EncryptDecrypt
        {
            return Err(incorrect_key());
        }
        let parsed = SymmetricBlob::parse(blob).map_err(|_| invalid_ciphertext())?;
        let id = mlguard_crypto::random::format_uuid(&parsed.header.key_id);
        let key = {
            let inner = self.state.read()?;
            // A blob names its key by id; the key lives in the caller's account
            // unless the caller named another account's key.
            let account = named
                .as_ref()
                .map_or(ctx.caller.account_id.as_str(), |k| k.account.as_str());
            inner
                .keys
                .get(&super::state::key_path(account, &ctx.region, &id))
                .cloned()
                .ok_or_else(invalid_ciphertext)?
        };
        if let Some(named) = &named
            && named.id != key.id
        {
            return Err(incorrect_key());
        }
        Ok((key, parsed))
    }

    fn open_symmetric(
        &self,
        key: &Key,
        blob: &SymmetricBlob<'_>,
        context: &EncryptionContext,
    ) -> Result<(mlguard_crypto::Zeroizing<Vec<u8>>, String), ApiError> {
        let version = key
            .version(blob.header.key_version)
            .ok_or_else(invalid_ciphertext)?;
        let aead = version.symmetric(&self.root_key, key)?;
        let plaintext = aead
            .decrypt(blob, context)
            .map_err(|_| invalid_ciphertext())?;
        Ok((plaintext, version.material_id.clone()))
    }

    fn encryption_algorithm(
        key: &Key,
        requested: Option<&str>,
        operation: &str,
    ) -> Result<EncryptionAlgorithm, ApiError> {
        let spec = key.spec();
        let algorithm = match requested {
            Some(a) => EncryptionAlgorithm::parse(a)
                .ok_or_else(|| ApiError::validation(format!("Unknown encryption algorithm {a}")))?,
            None if spec == KeySpec::SymmetricDefault => EncryptionAlgorithm::SymmetricDefault,
            None => {
                return Err(ApiError::bad_request(
                    "InvalidKeyUsageException",
                    format!(
                        "You must specify an EncryptionAlgorithm to {operation} with an asymmetric KMS key ({}).",
                        key.arn
                    ),
                ));
            }
        };
        if !spec.encryption_algorithms().contains(&algorithm) {
            return Err(ApiError::bad_request(
                "InvalidKeyUsageException",
                format!(
                    "Algorithm {} is incompatible with key spec {}.",
                    algorithm.as_str(),
                    spec.as_str()
                ),
            ));
        }
        Ok(algorithm)
    }

    fn rsa_limit_check(
        key: &Key,
        algorithm: EncryptionAlgorithm,
        len: usize,
    ) -> Result<(), ApiError> {
        let limit = match (key.spec(), algorithm) {
            (KeySpec::Rsa2048, EncryptionAlgorithm::RsaesOaepSha1) => 214,
            (KeySpec::Rsa3072, EncryptionAlgorithm::RsaesOaepSha1) => 342,
            (KeySpec::Rsa4096, EncryptionAlgorithm::RsaesOaepSha1) => 470,
            (KeySpec::Rsa2048, EncryptionAlgorithm::RsaesOaepSha256) => 190,
            (KeySpec::Rsa3072, EncryptionAlgorithm::RsaesOaepSha256) => 318,
            (KeySpec::Rsa4096, EncryptionAlgorithm::RsaesOaepSha256) => 446,
            _ => return Ok(()),
        };
        if len > limit {
            return Err(ApiError::validation(format!(
                "Algorithm {} and key spec {} cannot encrypt data larger than {limit} bytes.",
                algorithm.as_str(),
                key.spec().as_str()
            )));
        }
        Ok(())
    }

    fn no_context_for_asymmetric(
        key: &Key,
        context: &Option<BTreeMap<String, String>>,
    ) -> Result<(), ApiError> {
        if key.spec() != KeySpec::SymmetricDefault
            && context.as_ref().is_some_and(|c| !c.is_empty())
        {
            return Err(ApiError::validation(
                "EncryptionContext is not supported for asymmetric KMS keys.",
            ));
        }
        Ok(())
    }

    fn algorithm_context<'v>(
        name: &'static str,
        value: &'v str,
    ) -> impl Fn(&mut mlguard_policy::Context) + 'v {
        move |c| c.insert(name, ContextValue::string(value))
    }

    /// `kms:EncryptionAlgorithm`, and `kms:ViaService` when another service asks.
    fn decrypt_keys<'v>(
        algorithm: &'v str,
        via_service: Option<&'v str>,
    ) -> impl Fn(&mut mlguard_policy::Context) + 'v {
        move |c| {
            c.insert("kms:EncryptionAlgorithm", ContextValue::string(algorithm));
            if let Some(via) = via_service {
                c.insert("kms:ViaService", ContextValue::string(via));
            }
        }
    }

    pub(crate) fn encrypt(
        &self,
        ctx: &RequestContext,
        req: w::EncryptRequest,
    ) -> Out<w::EncryptResponse> {
        let key_id = req.key_id.as_deref().unwrap_or_default();
        let key = self.resolve(ctx, key_id, Naming::AnyForm)?;
        let alg_name = req
            .encryption_algorithm
            .clone()
            .unwrap_or_else(|| "SYMMETRIC_DEFAULT".into());
        self.authorize_named(
            ctx,
            &key,
            Some(key_id),
            "Encrypt",
            &Self::algorithm_context("kms:EncryptionAlgorithm", &alg_name),
            req.encryption_context.as_ref(),
        )?;
        require_state(&key, USABLE)?;
        require_usage(&key, KeyUsage::EncryptDecrypt, "Encrypt")?;
        let algorithm =
            Self::encryption_algorithm(&key, req.encryption_algorithm.as_deref(), "encrypt")?;
        Self::no_context_for_asymmetric(&key, &req.encryption_context)?;
        let plaintext = req
            .plaintext
            .as_ref()
            .map(SensitiveBlob::as_bytes)
            .unwrap_or_default();
        if req.dry_run == Some(true) {
            return Err(dry_run());
        }
        let blob = if algorithm == EncryptionAlgorithm::SymmetricDefault {
            self.seal_symmetric(&key, &context_of(&req.encryption_context), plaintext)?
                .0
        } else {
            Self::rsa_limit_check(&key, algorithm, plaintext.len())?;
            let material = Self::current_version(&key)?.material(&self.root_key, &key)?;
            material
                .rsa_encrypt(algorithm, plaintext)
                .map_err(|e| crypto_error(e, &key))?
        };
        Ok((
            w::EncryptResponse {
                ciphertext_blob: Some(Blob(blob)),
                key_id: Some(key.arn.clone()),
                encryption_algorithm: Some(algorithm.as_str().into()),
            },
            key_resource(&key),
        ))
    }

    /// Decrypts a ciphertext (symmetric or RSA) after authorization; shared by
    /// Decrypt, ReEncrypt and the services that decrypt through KMS.
    #[expect(
        clippy::too_many_arguments,
        reason = "Decrypt's and ReEncrypt's members, and the asking service"
    )]
    fn decrypt_blob(
        &self,
        ctx: &RequestContext,
        blob: &[u8],
        key_id: Option<&str>,
        algorithm: Option<&str>,
        context: &Option<BTreeMap<String, String>>,
        operation: &str,
        via_service: Option<&str>,
    ) -> Result<Decrypted, ApiError> {
        let requested = algorithm
            .map(EncryptionAlgorithm::parse)
            .unwrap_or(Some(EncryptionAlgorithm::SymmetricDefault));
        if requested != Some(EncryptionAlgorithm::SymmetricDefault) {
            // Asymmetric: the key must be named.
            let key_id = key_id.ok_or_else(|| {
                ApiError::validation(
                    "KeyId is required when decrypting with an asymmetric encryption algorithm.",
                )
            })?;
            let key = self.resolve(ctx, key_id, Naming::AnyForm)?;
            let alg = algorithm.unwrap_or_default();
            self.authorize_named(
                ctx,
                &key,
                Some(key_id),
                operation,
                &Self::decrypt_keys(alg, via_service),
                None,
            )?;
            require_state(&key, USABLE)?;
            if key.usage() != KeyUsage::EncryptDecrypt {
                return Err(incorrect_key());
            }
            let algorithm = Self::encryption_algorithm(&key, algorithm, "decrypt")?;
            let material = Self::current_version(&key)?.material(&self.root_key, &key)?;
            let plaintext = material
                .rsa_decrypt(algorithm, blob)
                .map_err(|_| invalid_ciphertext())?;
            return Ok((key, plaintext, algorithm, None));
        }
        let (key, parsed) = self.blob_key(ctx, blob, key_id)?;
        self.authorize_named(
            ctx,
            &key,
            key_id,
            operation,
            &Self::decrypt_keys("SYMMETRIC_DEFAULT", via_service),
            context.as_ref(),
        )?;
        require_state(&key, USABLE)?;
        let (plaintext, material_id) = self.open_symmetric(&key, &parsed, &context_of(context))?;
        Ok((
            key,
            plaintext,
            EncryptionAlgorithm::SymmetricDefault,
            Some(material_id),
        ))
    }

    /// A dry run with `IGNORE_CIPHERTEXT`: KMS only checks that the caller may use
    /// the named key for `operation`; the ciphertext is neither needed nor read.
    fn authorize_ignoring_ciphertext(
        &self,
        ctx: &RequestContext,
        key_id: Option<&str>,
        algorithm: Option<&str>,
        context: Option<&BTreeMap<String, String>>,
        operation: &str,
    ) -> Result<Arc<Key>, ApiError> {
        let key_id = key_id.ok_or_else(|| {
            ApiError::validation(
                "KeyId is required when DryRunModifiers includes IGNORE_CIPHERTEXT.",
            )
        })?;
        let key = self.resolve(ctx, key_id, Naming::AnyForm)?;
        self.authorize_named(
            ctx,
            &key,
            Some(key_id),
            operation,
            &Self::algorithm_context(
                "kms:EncryptionAlgorithm",
                algorithm.unwrap_or("SYMMETRIC_DEFAULT"),
            ),
            context,
        )?;
        Ok(key)
    }

    pub(crate) fn decrypt(
        &self,
        ctx: &RequestContext,
        req: w::DecryptRequest,
    ) -> Out<w::DecryptResponse> {
        let blob = req
            .ciphertext_blob
            .as_ref()
            .map(Blob::as_bytes)
            .unwrap_or_default();
        if req.dry_run == Some(true) && ignores_ciphertext(req.dry_run_modifiers.as_deref()) {
            self.authorize_ignoring_ciphertext(
                ctx,
                req.key_id.as_deref(),
                req.encryption_algorithm.as_deref(),
                req.encryption_context.as_ref(),
                "Decrypt",
            )?;
            return Err(dry_run());
        }
        if blob.is_empty() {
            return Err(ApiError::validation(
                "1 validation error detected: Value null at 'ciphertextBlob' failed to satisfy constraint: Member must not be null",
            ));
        }
        let (key, plaintext, algorithm, material_id) = self.decrypt_blob(
            ctx,
            blob,
            req.key_id.as_deref(),
            req.encryption_algorithm.as_deref(),
            &req.encryption_context,
            "Decrypt",
            None,
        )?;
        if req.dry_run == Some(true) {
            return Err(dry_run());
        }
        Ok((
            w::DecryptResponse {
                key_id: Some(key.arn.clone()),
                plaintext: Some(SensitiveBlob(plaintext)),
                encryption_algorithm: Some(algorithm.as_str().into()),
                key_material_id: material_id,
                ..w::DecryptResponse::default()
            },
            key_resource(&key),
        ))
    }

    pub(crate) fn re_encrypt(
        &self,
        ctx: &RequestContext,
        req: w::ReEncryptRequest,
    ) -> Out<w::ReEncryptResponse> {
        let blob = req
            .ciphertext_blob
            .as_ref()
            .map(Blob::as_bytes)
            .unwrap_or_default();
        if req.dry_run == Some(true) && ignores_ciphertext(req.dry_run_modifiers.as_deref()) {
            self.authorize_ignoring_ciphertext(
                ctx,
                req.source_key_id.as_deref(),
                req.source_encryption_algorithm.as_deref(),
                req.source_encryption_context.as_ref(),
                "ReEncryptFrom",
            )?;
            self.authorize_ignoring_ciphertext(
                ctx,
                req.destination_key_id.as_deref(),
                req.destination_encryption_algorithm.as_deref(),
                req.destination_encryption_context.as_ref(),
                "ReEncryptTo",
            )?;
            return Err(dry_run());
        }
        if blob.is_empty() {
            return Err(ApiError::validation(
                "1 validation error detected: Value null at 'ciphertextBlob' failed to satisfy constraint: Member must not be null",
            ));
        }
        let (source, plaintext, source_alg, source_material) = self.decrypt_blob(
            ctx,
            blob,
            req.source_key_id.as_deref(),
            req.source_encryption_algorithm.as_deref(),
            &req.source_encryption_context,
            "ReEncryptFrom",
            None,
        )?;
        let dest_id = req.destination_key_id.as_deref().unwrap_or_default();
        let dest = self.resolve(ctx, dest_id, Naming::AnyForm)?;
        let dest_alg_name = req
            .destination_encryption_algorithm
            .clone()
            .unwrap_or_else(|| "SYMMETRIC_DEFAULT".into());
        self.authorize_named(
            ctx,
            &dest,
            Some(dest_id),
            "ReEncryptTo",
            &Self::algorithm_context("kms:EncryptionAlgorithm", &dest_alg_name),
            req.destination_encryption_context.as_ref(),
        )?;
        require_state(&dest, USABLE)?;
        require_usage(&dest, KeyUsage::EncryptDecrypt, "ReEncryptTo")?;
        let dest_alg = Self::encryption_algorithm(
            &dest,
            req.destination_encryption_algorithm.as_deref(),
            "encrypt",
        )?;
        Self::no_context_for_asymmetric(&dest, &req.destination_encryption_context)?;
        if req.dry_run == Some(true) {
            return Err(dry_run());
        }
        let (blob, dest_material) = if dest_alg == EncryptionAlgorithm::SymmetricDefault {
            let (b, m) = self.seal_symmetric(
                &dest,
                &context_of(&req.destination_encryption_context),
                &plaintext,
            )?;
            (b, Some(m))
        } else {
            Self::rsa_limit_check(&dest, dest_alg, plaintext.len())?;
            let material = Self::current_version(&dest)?.material(&self.root_key, &dest)?;
            (
                material
                    .rsa_encrypt(dest_alg, &plaintext)
                    .map_err(|e| crypto_error(e, &dest))?,
                None,
            )
        };
        let mut audit = key_resource(&source);
        audit
            .resources
            .push((dest.arn.clone(), "AWS::KMS::Key", dest.account.clone()));
        Ok((
            w::ReEncryptResponse {
                ciphertext_blob: Some(Blob(blob)),
                source_key_id: Some(source.arn.clone()),
                key_id: Some(dest.arn.clone()),
                source_encryption_algorithm: Some(source_alg.as_str().into()),
                destination_encryption_algorithm: Some(dest_alg.as_str().into()),
                source_key_material_id: source_material,
                destination_key_material_id: dest_material,
            },
            audit,
        ))
    }

    /// The data key length of GenerateDataKey(WithoutPlaintext).
    fn data_key_len(spec: Option<&str>, bytes: Option<i32>) -> Result<usize, ApiError> {
        match (spec, bytes) {
            (Some(_), Some(_)) | (None, None) => Err(ApiError::validation(
                "Please specify either number of bytes or key spec.",
            )),
            (Some("AES_128"), None) => Ok(16),
            (Some(_), None) => Ok(32),
            (None, Some(n)) => {
                usize::try_from(n).map_err(|_| ApiError::validation("NumberOfBytes is invalid."))
            }
        }
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "the two GenerateDataKey variants pass their members through"
    )]
    fn data_key(
        &self,
        ctx: &RequestContext,
        key_id: &str,
        spec: Option<&str>,
        bytes: Option<i32>,
        context: &Option<BTreeMap<String, String>>,
        dry: Option<bool>,
        operation: &str,
        via_service: Option<&str>,
    ) -> Result<DataKey, ApiError> {
        let key = self.crypto_key(
            ctx,
            key_id,
            operation,
            operation,
            &|c| {
                if let Some(via) = via_service {
                    c.insert("kms:ViaService", ContextValue::string(via));
                }
            },
            context.as_ref(),
        )?;
        if key.spec() != KeySpec::SymmetricDefault {
            return Err(usage_error(&key, operation));
        }
        let len = Self::data_key_len(spec, bytes)?;
        if dry == Some(true) {
            return Err(dry_run());
        }
        let plaintext = mlguard_crypto::random::secret_bytes(len).map_err(internal)?;
        let (blob, material_id) = self.seal_symmetric(&key, &context_of(context), &plaintext)?;
        Ok((key, plaintext, blob, material_id))
    }

    pub(crate) fn generate_data_key(
        &self,
        ctx: &RequestContext,
        req: w::GenerateDataKeyRequest,
    ) -> Out<w::GenerateDataKeyResponse> {
        let (key, plaintext, blob, material_id) = self.data_key(
            ctx,
            req.key_id.as_deref().unwrap_or_default(),
            req.key_spec.as_deref(),
            req.number_of_bytes,
            &req.encryption_context,
            req.dry_run,
            "GenerateDataKey",
            None,
        )?;
        Ok((
            w::GenerateDataKeyResponse {
                ciphertext_blob: Some(Blob(blob)),
                plaintext: Some(SensitiveBlob(plaintext)),
                key_id: Some(key.arn.clone()),
                key_material_id: Some(material_id),
                ciphertext_for_recipient: None,
            },
            key_resource(&key),
        ))
    }

    pub(crate) fn generate_data_key_without_plaintext(
        &self,
        ctx: &RequestContext,
        req: w::GenerateDataKeyWithoutPlaintextRequest,
    ) -> Out<w::GenerateDataKeyWithoutPlaintextResponse> {
        let (key, _plaintext, blob, material_id) = self.data_key(
            ctx,
            req.key_id.as_deref().unwrap_or_default(),
            req.key_spec.as_deref(),
            req.number_of_bytes,
            &req.encryption_context,
            req.dry_run,
            "GenerateDataKeyWithoutPlaintext",
            None,
        )?;
        Ok((
            w::GenerateDataKeyWithoutPlaintextResponse {
                ciphertext_blob: Some(Blob(blob)),
                key_id: Some(key.arn.clone()),
                key_material_id: Some(material_id),
            },
            key_resource(&key),
        ))
    }

    fn data_key_pair(
        &self,
        ctx: &RequestContext,
        key_id: &str,
        pair_spec: &str,
        context: &Option<BTreeMap<String, String>>,
        dry: Option<bool>,
        operation: &str,
    ) -> Result<(Arc<Key>, KeyMaterial, Vec<u8>, String), ApiError> {
        let key = self.crypto_key(
            ctx,
            key_id,
            operation,
            operation,
            &|c| c.insert("kms:DataKeyPairSpec", ContextValue::string(pair_spec)),
            context.as_ref(),
        )?;
        if key.spec() != KeySpec::SymmetricDefault {
            return Err(usage_error(&key, operation));
        }
        let spec = KeySpec::parse(pair_spec)
            .filter(|s| s.is_asymmetric())
            .ok_or_else(|| {
                ApiError::bad_request(
                    "UnsupportedOperationException",
                    format!("KeyPairSpec {pair_spec} is not supported by this server."),
                )
            })?;
        if dry == Some(true) {
            return Err(dry_run());
        }
        let pair = KeyMaterial::generate(spec).map_err(internal)?;
        let private = pair.private_key_pkcs8().map_err(internal)?;
        let (blob, material_id) = self.seal_symmetric(&key, &context_of(context), private)?;
        Ok((key, pair, blob, material_id))
    }

    pub(crate) fn generate_data_key_pair(
        &self,
        ctx: &RequestContext,
        req: w::GenerateDataKeyPairRequest,
    ) -> Out<w::GenerateDataKeyPairResponse> {
        let spec = req.key_pair_spec.clone().unwrap_or_default();
        let (key, pair, blob, material_id) = self.data_key_pair(
            ctx,
            req.key_id.as_deref().unwrap_or_default(),
            &spec,
            &req.encryption_context,
            req.dry_run,
            "GenerateDataKeyPair",
        )?;
        let public = pair.public_key_der().map_err(internal)?;
        let private =
            mlguard_crypto::Zeroizing::new(pair.private_key_pkcs8().map_err(internal)?.to_vec());
        Ok((
            w::GenerateDataKeyPairResponse {
                private_key_ciphertext_blob: Some(Blob(blob)),
                private_key_plaintext: Some(SensitiveBlob(private)),
                public_key: Some(Blob(public)),
                key_id: Some(key.arn.clone()),
                key_pair_spec: Some(spec),
                key_material_id: Some(material_id),
                ciphertext_for_recipient: None,
            },
            key_resource(&key),
        ))
    }

    pub(crate) fn generate_data_key_pair_without_plaintext(
        &self,
        ctx: &RequestContext,
        req: w::GenerateDataKeyPairWithoutPlaintextRequest,
    ) -> Out<w::GenerateDataKeyPairWithoutPlaintextResponse> {
        let spec = req.key_pair_spec.clone().unwrap_or_default();
        let (key, pair, blob, material_id) = self.data_key_pair(
            ctx,
            req.key_id.as_deref().unwrap_or_default(),
            &spec,
            &req.encryption_context,
            req.dry_run,
            "GenerateDataKeyPairWithoutPlaintext",
        )?;
        let public = pair.public_key_der().map_err(internal)?;
        Ok((
            w::GenerateDataKeyPairWithoutPlaintextResponse {
                private_key_ciphertext_blob: Some(Blob(blob)),
                public_key: Some(Blob(public)),
                key_id: Some(key.arn.clone()),
                key_pair_spec: Some(spec),
                key_material_id: Some(material_id),
            },
            key_resource(&key),
        ))
    }

    pub(crate) fn generate_random(
        &self,
        ctx: &RequestContext,
        req: w::GenerateRandomRequest,
    ) -> Out<w::GenerateRandomResponse> {
        let n = req
            .number_of_bytes
            .ok_or_else(|| ApiError::validation("NumberOfBytes is required."))?;
        if req.custom_key_store_id.is_some() {
            return Err(ApiError::bad_request(
                "CustomKeyStoreNotFoundException",
                "Custom key stores are not supported by this server.",
            ));
        }
        let context = ctx.condition_context(None);
        ctx.authorize(&crate::context::AuthzCheck {
            action: "kms:GenerateRandom",
            resource: "*",
            resource_account: None,
            resource_policy: None,
            mandatory: false,
            context: &context,
            granted: false,
        })?;
        let bytes = mlguard_crypto::random::secret_bytes(usize::try_from(n).unwrap_or(0))
            .map_err(internal)?;
        Ok((
            w::GenerateRandomResponse {
                plaintext: Some(SensitiveBlob(bytes)),
                ciphertext_for_recipient: None,
            },
            AuditInfo::default(),
        ))
    }

    fn signing(
        key: &Key,
        operation: &str,
        algorithm: &str,
        message_type: Option<&str>,
    ) -> Result<(SigningAlgorithm, MessageType), ApiError> {
        require_usage(key, KeyUsage::SignVerify, operation)?;
        let alg = SigningAlgorithm::parse(algorithm)
            .filter(|a| key.spec().signing_algorithms().contains(a))
            .ok_or_else(|| {
                ApiError::bad_request(
                    "InvalidKeyUsageException",
                    format!(
                        "Algorithm {algorithm} is incompatible with key spec {}.",
                        key.meta.key_spec
                    ),
                )
            })?;
        let kind = match message_type {
            Some("DIGEST") => MessageType::Digest,
            _ => MessageType::Raw,
        };
        Ok((alg, kind))
    }

    pub(crate) fn sign(&self, ctx: &RequestContext, req: w::SignRequest) -> Out<w::SignResponse> {
        let algorithm = req.signing_algorithm.clone().unwrap_or_default();
        let message_type = req.message_type.clone().unwrap_or_else(|| "RAW".into());
        let key = self.crypto_key(
            ctx,
            req.key_id.as_deref().unwrap_or_default(),
            "Sign",
            "Sign",
            &|c| {
                c.insert(
                    "kms:SigningAlgorithm",
                    ContextValue::string(algorithm.as_str()),
                );
                c.insert(
                    "kms:MessageType",
                    ContextValue::string(message_type.as_str()),
                );
            },
            None,
        )?;
        let (alg, kind) = Self::signing(&key, "Sign", &algorithm, req.message_type.as_deref())?;
        if req.dry_run == Some(true) {
            return Err(dry_run());
        }
        let material = Self::current_version(&key)?.material(&self.root_key, &key)?;
        let message = req
            .message
            .as_ref()
            .map(SensitiveBlob::as_bytes)
            .unwrap_or_default();
        let signature = material
            .sign(alg, kind, message)
            .map_err(|e| crypto_error(e, &key))?;
        Ok((
            w::SignResponse {
                key_id: Some(key.arn.clone()),
                signature: Some(Blob(signature)),
                signing_algorithm: Some(alg.as_str().into()),
            },
            key_resource(&key),
        ))
    }

    pub(crate) fn verify(
        &self,
        ctx: &RequestContext,
        req: w::VerifyRequest,
    ) -> Out<w::VerifyResponse> {
        let algorithm = req.signing_algorithm.clone().unwrap_or_default();
        let message_type = req.message_type.clone().unwrap_or_else(|| "RAW".into());
        let key = self.crypto_key(
            ctx,
            req.key_id.as_deref().unwrap_or_default(),
            "Verify",
            "Verify",
            &|c| {
                c.insert(
                    "kms:SigningAlgorithm",
                    ContextValue::string(algorithm.as_str()),
                );
                c.insert(
                    "kms:MessageType",
                    ContextValue::string(message_type.as_str()),
                );
            },
            None,
        )?;
        let (alg, kind) = Self::signing(&key, "Verify", &algorithm, req.message_type.as_deref())?;
        if req.dry_run == Some(true) {
            return Err(dry_run());
        }
        let material = Self::current_version(&key)?.material(&self.root_key, &key)?;
        let message = req
            .message
            .as_ref()
            .map(SensitiveBlob::as_bytes)
            .unwrap_or_default();
        let signature = req
            .signature
            .as_ref()
            .map(Blob::as_bytes)
            .unwrap_or_default();
        material
            .verify(alg, kind, message, signature)
            .map_err(|e| crypto_error(e, &key))?;
        Ok((
            w::VerifyResponse {
                key_id: Some(key.arn.clone()),
                signature_valid: Some(true),
                signing_algorithm: Some(alg.as_str().into()),
            },
            key_resource(&key),
        ))
    }

    pub(crate) fn get_public_key(
        &self,
        ctx: &RequestContext,
        req: w::GetPublicKeyRequest,
    ) -> Out<w::GetPublicKeyResponse> {
        let key = self.crypto_key(
            ctx,
            req.key_id.as_deref().unwrap_or_default(),
            "GetPublicKey",
            "GetPublicKey",
            &|_| {},
            None,
        )?;
        if !key.spec().is_asymmetric() {
            return Err(ApiError::bad_request(
                "UnsupportedOperationException",
                format!(
                    "{} key usage is {} which is not valid for GetPublicKey.",
                    key.arn, key.meta.key_usage
                ),
            ));
        }
        let response = self.public_key_response(&key)?;
        Ok((response, key_resource(&key)))
    }

    fn mac_key(
        &self,
        ctx: &RequestContext,
        key_id: &str,
        operation: &str,
        algorithm: &str,
    ) -> Result<(Arc<Key>, MacAlgorithm), ApiError> {
        let key = self.crypto_key(
            ctx,
            key_id,
            operation,
            operation,
            &|c| c.insert("kms:MacAlgorithm", ContextValue::string(algorithm)),
            None,
        )?;
        require_usage(&key, KeyUsage::GenerateVerifyMac, operation)?;
        let alg = MacAlgorithm::parse(algorithm)
            .filter(|a| key.spec().mac_algorithms().contains(a))
            .ok_or_else(|| {
                ApiError::bad_request(
                    "InvalidKeyUsageException",
                    format!(
                        "Algorithm {algorithm} is incompatible with key spec {}.",
                        key.meta.key_spec
                    ),
                )
            })?;
        Ok((key, alg))
    }

    pub(crate) fn generate_mac(
        &self,
        ctx: &RequestContext,
        req: w::GenerateMacRequest,
    ) -> Out<w::GenerateMacResponse> {
        let algorithm = req.mac_algorithm.clone().unwrap_or_default();
        let (key, alg) = self.mac_key(
            ctx,
            req.key_id.as_deref().unwrap_or_default(),
            "GenerateMac",
            &algorithm,
        )?;
        if req.dry_run == Some(true) {
            return Err(dry_run());
        }
        let material = Self::current_version(&key)?.material(&self.root_key, &key)?;
        let message = req
            .message
            .as_ref()
            .map(SensitiveBlob::as_bytes)
            .unwrap_or_default();
        let mac = material
            .mac(alg, message)
            .map_err(|e| crypto_error(e, &key))?;
        Ok((
            w::GenerateMacResponse {
                mac: Some(Blob(mac)),
                mac_algorithm: Some(alg.as_str().into()),
                key_id: Some(key.arn.clone()),
            },
            key_resource(&key),
        ))
    }

    pub(crate) fn verify_mac(
        &self,
        ctx: &RequestContext,
        req: w::VerifyMacRequest,
    ) -> Out<w::VerifyMacResponse> {
        let algorithm = req.mac_algorithm.clone().unwrap_or_default();
        let (key, alg) = self.mac_key(
            ctx,
            req.key_id.as_deref().unwrap_or_default(),
            "VerifyMac",
            &algorithm,
        )?;
        if req.dry_run == Some(true) {
            return Err(dry_run());
        }
        let material = Self::current_version(&key)?.material(&self.root_key, &key)?;
        let message = req
            .message
            .as_ref()
            .map(SensitiveBlob::as_bytes)
            .unwrap_or_default();
        let mac = req.mac.as_ref().map(Blob::as_bytes).unwrap_or_default();
        material
            .verify_mac(alg, message, mac)
            .map_err(|e| crypto_error(e, &key))?;
        Ok((
            w::VerifyMacResponse {
                key_id: Some(key.arn.clone()),
                mac_valid: Some(true),
                mac_algorithm: Some(alg.as_str().into()),
            },
            key_resource(&key),
        ))
    }
}

/// Whether a dry run's modifiers ask KMS to skip the ciphertext.
fn ignores_ciphertext(modifiers: Option<&[String]>) -> bool {
    modifiers
        .unwrap_or_default()
        .iter()
        .any(|m| m == "IGNORE_CIPHERTEXT")
}

/// A data key made for another service: (key ARN, plaintext, ciphertext blob).
pub type ServiceDataKey = (String, mlguard_crypto::Zeroizing<Vec<u8>>, Vec<u8>);

/// What another service asks of KMS on its caller's behalf (Secrets Manager's
/// envelope encryption): authorized as the caller, with `kms:ViaService` set to
/// the asking service's endpoint, as AWS's forward-access sessions do.
impl Kms {
    /// A 256-bit data key under `key_id`, bound to `context`: (key ARN, plaintext,
    /// ciphertext blob).
    pub fn data_key_via(
        &self,
        ctx: &RequestContext,
        key_id: &str,
        context: &BTreeMap<String, String>,
        via_service: &str,
    ) -> Result<ServiceDataKey, ApiError> {
        let (key, plaintext, blob, _) = self.data_key(
            ctx,
            key_id,
            Some("AES_256"),
            None,
            &Some(context.clone()),
            None,
            "GenerateDataKey",
            Some(via_service),
        )?;
        Ok((key.arn.clone(), plaintext, blob))
    }

    /// Decrypts a data key made by [`Kms::data_key_via`]: (key ARN, plaintext).
    pub fn decrypt_via(
        &self,
        ctx: &RequestContext,
        blob: &[u8],
        context: &BTreeMap<String, String>,
        via_service: &str,
    ) -> Result<(String, mlguard_crypto::Zeroizing<Vec<u8>>), ApiError> {
        let (key, plaintext, _, _) = self.decrypt_blob(
            ctx,
            blob,
            None,
            None,
            &Some(context.clone()),
            "Decrypt",
            Some(via_service),
        )?;
        Ok((key.arn.clone(), plaintext))
    }
}
