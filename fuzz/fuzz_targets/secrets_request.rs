//! Arbitrary bytes as the JSON body of Secrets Manager requests: decoding and AWS's
//! model validation return errors, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mlguard_wire::Validate;
use mlguard_wire::secretsmanager as w;

fn check<T: serde::de::DeserializeOwned + Validate>(data: &[u8]) {
    if let Ok(v) = serde_json::from_slice::<T>(data) {
        let _ = v.validate().map(|()| ()).map_err(|e| e.to_string());
    }
}

fuzz_target!(|data: &[u8]| {
    check::<w::CreateSecretRequest>(data);
    check::<w::GetSecretValueRequest>(data);
    check::<w::PutSecretValueRequest>(data);
    check::<w::UpdateSecretRequest>(data);
    check::<w::UpdateSecretVersionStageRequest>(data);
    check::<w::ListSecretsRequest>(data);
    check::<w::BatchGetSecretValueRequest>(data);
    check::<w::DeleteSecretRequest>(data);
    check::<w::RotateSecretRequest>(data);
    check::<w::GetRandomPasswordRequest>(data);
    check::<w::PutResourcePolicyRequest>(data);
    check::<w::TagResourceRequest>(data);
});
