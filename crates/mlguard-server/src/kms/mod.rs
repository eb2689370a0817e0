//! AWS KMS over awsJson1_1 (`TrentService.*`): real keys, real cryptography, key
//! policies and grants enforced, key states honoured, and every change written
//! through the store before it takes effect in memory.

mod aliases;
mod common;
mod crypto_ops;
mod grants;
mod keys;
pub mod model;
mod state;

use std::sync::Arc;

use bytes::Bytes;
use http::Response;
use http_body_util::Full;
use mlguard_crypto::RootKey;
use mlguard_store::Store;

use crate::clock::Clock;
use crate::context::RequestContext;
use crate::error::ApiError;
use crate::protocol::json;

pub use state::KmsState;

pub use crate::audit::AuditInfo;

/// The KMS service.
pub struct Kms {
    pub(crate) state: KmsState,
    pub(crate) store: Arc<Store>,
    pub(crate) root_key: Arc<RootKey>,
    pub(crate) clock: Arc<Clock>,
    /// Held while an AWS managed key is created on first use.
    pub(crate) aws_key_creation: std::sync::Mutex<()>,
    /// The account's IAM: key policies may name only its principals that exist.
    pub(crate) iam: Arc<crate::iam::Iam>,
}

/// The operations mlguard serves and whether each only reads.
pub fn is_read_only(operation: &str) -> bool {
    matches!(
        operation,
        "DescribeKey"
            | "ListKeys"
            | "ListAliases"
            | "GetKeyPolicy"
            | "ListKeyPolicies"
            | "GetKeyRotationStatus"
            | "ListKeyRotations"
            | "ListGrants"
            | "ListRetirableGrants"
            | "ListResourceTags"
            | "GetPublicKey"
            | "Decrypt"
            | "Encrypt"
            | "GenerateDataKey"
            | "GenerateDataKeyWithoutPlaintext"
            | "GenerateDataKeyPair"
            | "GenerateDataKeyPairWithoutPlaintext"
            | "GenerateRandom"
            | "ReEncrypt"
            | "Sign"
            | "Verify"
            | "GenerateMac"
            | "VerifyMac"
    )
}

impl Kms {
    /// Loads KMS state from the store.
    pub fn load(
        store: Arc<Store>,
        root_key: Arc<RootKey>,
        clock: Arc<Clock>,
        iam: Arc<crate::iam::Iam>,
    ) -> Result<Kms, ApiError> {
        let state = KmsState::load(&store, &root_key)?;
        Ok(Kms {
            state,
            store,
            root_key,
            clock,
            aws_key_creation: std::sync::Mutex::new(()),
            iam,
        })
    }

    /// Handles one operation; returns the response and what to audit.
    pub async fn handle(
        self: &Arc<Self>,
        ctx: &RequestContext,
        operation: &str,
        body: &[u8],
    ) -> Result<(Response<Full<Bytes>>, AuditInfo), ApiError> {
        use mlguard_wire::kms as w;
        let id = ctx.request_id.as_str();
        grants::check_grant_tokens(body)?;
        macro_rules! op {
            ($req:ty, $f:ident) => {{
                let request: $req = json::decode(body)?;
                let (response, audit) = self.$f(ctx, request)?;
                Ok((json::ok(id, &response)?, audit))
            }};
            (blocking $req:ty, $f:ident) => {{
                // Key generation (RSA-4096 takes seconds) and durable writes must not
                // stall the async workers.
                let request: $req = json::decode(body)?;
                let this = Arc::clone(self);
                let ctx2 = ctx.clone();
                let (response, audit) =
                    tokio::task::spawn_blocking(move || this.$f(&ctx2, request))
                        .await
                        .map_err(|_| ApiError::internal("KMSInternalException"))??;
                Ok((json::ok(id, &response)?, audit))
            }};
        }
        match operation {
            "CreateKey" => op!(blocking w::CreateKeyRequest, create_key),
            "DescribeKey" => op!(w::DescribeKeyRequest, describe_key),
            "ListKeys" => op!(w::ListKeysRequest, list_keys),
            "UpdateKeyDescription" => {
                op!(blocking w::UpdateKeyDescriptionRequest, update_key_description)
            }
            "EnableKey" => op!(blocking w::EnableKeyRequest, enable_key),
            "DisableKey" => op!(blocking w::DisableKeyRequest, disable_key),
            "ScheduleKeyDeletion" => {
                op!(blocking w::ScheduleKeyDeletionRequest, schedule_key_deletion)
            }
            "CancelKeyDeletion" => op!(blocking w::CancelKeyDeletionRequest, cancel_key_deletion),
            "EnableKeyRotation" => op!(blocking w::EnableKeyRotationRequest, enable_key_rotation),
            "DisableKeyRotation" => {
                op!(blocking w::DisableKeyRotationRequest, disable_key_rotation)
            }
            "GetKeyRotationStatus" => op!(w::GetKeyRotationStatusRequest, get_key_rotation_status),
            "RotateKeyOnDemand" => op!(blocking w::RotateKeyOnDemandRequest, rotate_key_on_demand),
            "ListKeyRotations" => op!(w::ListKeyRotationsRequest, list_key_rotations),
            "GetKeyPolicy" => op!(w::GetKeyPolicyRequest, get_key_policy),
            "PutKeyPolicy" => op!(blocking w::PutKeyPolicyRequest, put_key_policy),
            "ListKeyPolicies" => op!(w::ListKeyPoliciesRequest, list_key_policies),
            "TagResource" => op!(blocking w::TagResourceRequest, tag_resource),
            "UntagResource" => op!(blocking w::UntagResourceRequest, untag_resource),
            "ListResourceTags" => op!(w::ListResourceTagsRequest, list_resource_tags),
            "CreateAlias" => op!(blocking w::CreateAliasRequest, create_alias),
            "UpdateAlias" => op!(blocking w::UpdateAliasRequest, update_alias),
            "DeleteAlias" => op!(blocking w::DeleteAliasRequest, delete_alias),
            "ListAliases" => op!(w::ListAliasesRequest, list_aliases),
            "CreateGrant" => op!(blocking w::CreateGrantRequest, create_grant),
            "ListGrants" => op!(w::ListGrantsRequest, list_grants),
            "ListRetirableGrants" => op!(w::ListRetirableGrantsRequest, list_retirable_grants),
            "RetireGrant" => op!(blocking w::RetireGrantRequest, retire_grant),
            "RevokeGrant" => op!(blocking w::RevokeGrantRequest, revoke_grant),
            "Encrypt" => op!(w::EncryptRequest, encrypt),
            "Decrypt" => op!(w::DecryptRequest, decrypt),
            "ReEncrypt" => op!(w::ReEncryptRequest, re_encrypt),
            "GenerateDataKey" => op!(w::GenerateDataKeyRequest, generate_data_key),
            "GenerateDataKeyWithoutPlaintext" => {
                op!(
                    w::GenerateDataKeyWithoutPlaintextRequest,
                    generate_data_key_without_plaintext
                )
            }
            "GenerateDataKeyPair" => {
                op!(blocking w::GenerateDataKeyPairRequest, generate_data_key_pair)
            }
            "GenerateDataKeyPairWithoutPlaintext" => {
                op!(blocking w::GenerateDataKeyPairWithoutPlaintextRequest, generate_data_key_pair_without_plaintext)
            }
            "GenerateRandom" => op!(w::GenerateRandomRequest, generate_random),
            "Sign" => op!(w::SignRequest, sign),
            "Verify" => op!(w::VerifyRequest, verify),
            "GetPublicKey" => op!(w::GetPublicKeyRequest, get_public_key),
            "GenerateMac" => op!(w::GenerateMacRequest, generate_mac),
            "VerifyMac" => op!(w::VerifyMacRequest, verify_mac),
            other => Err(ApiError::bad_request(
                "UnknownOperationException",
                format!("Operation {other} is not supported by this server."),
            )),
        }
    }

    /// Background work: finishes deletions whose window has ended and rotates keys
    /// that are due. Returns what it did, for logs and tests.
    pub fn run_scheduled(&self) -> Result<(usize, usize), ApiError> {
        let now = self.clock.now();
        let deleted = self.delete_due_keys(now)?;
        let rotated = self.rotate_due_keys(now)?;
        Ok((deleted, rotated))
    }

    /// Forgets every key, alias and grant (emulation's reset; the store is wiped by the caller).
    pub fn reset(&self) {
        self.state.clear();
    }
}
