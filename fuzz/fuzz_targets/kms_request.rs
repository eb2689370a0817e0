//! Arbitrary bytes as the JSON body of KMS requests: decoding and AWS's model
//! validation return errors, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mlguard_wire::Validate;
use mlguard_wire::kms as w;

fn check<T: serde::de::DeserializeOwned + Validate>(data: &[u8]) {
    if let Ok(v) = serde_json::from_slice::<T>(data) {
        let _ = v.validate().map(|()| ()).map_err(|e| e.to_string());
    }
}

fuzz_target!(|data: &[u8]| {
    check::<w::CreateKeyRequest>(data);
    check::<w::EncryptRequest>(data);
    check::<w::DecryptRequest>(data);
    check::<w::ReEncryptRequest>(data);
    check::<w::GenerateDataKeyRequest>(data);
    check::<w::CreateGrantRequest>(data);
    check::<w::SignRequest>(data);
    check::<w::PutKeyPolicyRequest>(data);
    check::<w::TagResourceRequest>(data);
    check::<w::ListKeyRotationsRequest>(data);
});
