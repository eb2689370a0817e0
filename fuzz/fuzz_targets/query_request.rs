//! Arbitrary bytes as the form body of IAM and STS requests: parsing the form,
//! decoding it by shape (lists, maps, nested structures) and AWS's model
//! validation return errors, never panic; the policy documents they carry are
//! parsed as the server parses them.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mlguard_wire::query::{FromQuery, QueryParams};
use mlguard_wire::{Validate, iam, sts};

fn check<T: FromQuery + Validate>(q: &QueryParams) {
    if let Ok(v) = T::from_query(q, "") {
        let _ = v.validate().map(|()| ()).map_err(|e| e.to_string());
    }
}

fuzz_target!(|data: &[u8]| {
    let q = QueryParams::parse(data);
    check::<iam::CreateUserRequest>(&q);
    check::<iam::CreateRoleRequest>(&q);
    check::<iam::PutUserPolicyRequest>(&q);
    check::<iam::CreatePolicyRequest>(&q);
    check::<iam::SimulateCustomPolicyRequest>(&q);
    check::<iam::TagUserRequest>(&q);
    check::<iam::ListUsersRequest>(&q);
    check::<iam::EnableMFADeviceRequest>(&q);
    check::<sts::AssumeRoleRequest>(&q);
    check::<sts::GetSessionTokenRequest>(&q);
    if let Some(doc) = q.get("PolicyDocument") {
        let _ = mlguard_policy::Policy::parse(doc, mlguard_policy::PolicyKind::Managed);
    }
});
