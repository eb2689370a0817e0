//! Any text as a policy of every kind: parsing never panics, and a policy that
//! parses evaluates without panicking against requests that exercise wildcards,
//! variables and conditions.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mlguard_policy::{Context, ContextValue, Policy, PolicyKind, PolicySet, Principal, Request, authorize};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let principal = match Principal::from_arn("arn:aws:sts::111122223333:assumed-role/train/job") {
        Ok(p) => p,
        Err(_) => return,
    };
    let mut context = Context::new();
    context.insert("aws:username", ContextValue::string("ana*?${x}"));
    context.insert("aws:SourceIp", ContextValue::string("10.0.0.1"));
    context.insert("aws:CurrentTime", ContextValue::string("2026-11-26T12:00:00Z"));
    context.insert("aws:TagKeys", ContextValue::string_list(["a", "b"]));
    for kind in PolicyKind::ALL {
        let Ok(policy) = Policy::parse(text, kind) else { continue };
        let refs = [&policy];
        let set = PolicySet {
            identity: &refs,
            resource: Some(&policy),
            resource_policy_mandatory: kind == PolicyKind::KeyPolicy,
            ..PolicySet::default()
        };
        for (action, resource) in [
            ("s3:GetObject", "arn:aws:s3:::bucket/ana*?/key"),
            ("kms:Decrypt", "arn:aws:kms:us-east-1:111122223333:key/1"),
            ("iam:PassRole", "*"),
        ] {
            let request = Request {
                principal: &principal,
                action,
                resource,
                resource_account: None,
                context: &context,
            };
            let _ = authorize(&set, &request);
        }
    }
});
