//! Properties of evaluation that hold for every policy set and request:
//! an explicit deny always wins, adding an Allow never takes access away, an
//! empty policy set denies, and the parser never panics on any input.

#![allow(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use mlguard_policy::{
    Context, ContextValue, Decision, Policy, PolicyKind, PolicySet, Principal, Request, authorize,
};
use proptest::prelude::*;
use serde_json::{Value, json};

const ACTIONS: [&str; 6] = [
    "s3:GetObject",
    "s3:PutObject",
    "s3:DeleteObject",
    "kms:Decrypt",
    "kms:Encrypt",
    "iam:PassRole",
];
const ACTION_PATTERNS: [&str; 9] = [
    "s3:GetObject",
    "s3:PutObject",
    "s3:*",
    "s3:Get*",
    "kms:*",
    "kms:?ncrypt",
    "*",
    "iam:PassRole",
    "KMS:decrypt",
];
const RESOURCES: [&str; 4] = [
    "arn:aws:s3:::training-data/a.csv",
    "arn:aws:s3:::models/m.tar.gz",
    "arn:aws:kms:us-east-1:111122223333:key/k1",
    "arn:aws:iam::111122223333:role/train",
];
const RESOURCE_PATTERNS: [&str; 7] = [
    "*",
    "arn:aws:s3:::training-data/*",
    "arn:aws:s3:::*",
    "arn:aws:kms:*:111122223333:key/*",
    "arn:aws:iam::111122223333:role/${aws:username}",
    "arn:aws:s3:::models/m.tar.gz",
    "arn:aws:iam::*:role/t?ain",
];
const PRINCIPALS: [&str; 4] = [
    "arn:aws:iam::111122223333:user/ana",
    "arn:aws:sts::111122223333:assumed-role/train/job",
    "arn:aws:iam::444455556666:user/bob",
    "arn:aws:iam::111122223333:root",
];

fn condition() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        3 => Just(None),
        1 => Just(Some(json!({"Bool": {"aws:SecureTransport": "true"}}))),
        1 => Just(Some(json!({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))),
        1 => Just(Some(json!({"StringEquals": {"aws:username": "ana"}}))),
        1 => Just(Some(json!({"StringNotLike": {"aws:username": "b*"}}))),
        1 => Just(Some(json!({"ForAnyValue:StringEquals": {"aws:TagKeys": ["team"]}}))),
        1 => Just(Some(json!({"NumericLessThan": {"s3:max-keys": "10"}}))),
        1 => Just(Some(json!({"Null": {"aws:TokenIssueTime": "true"}}))),
    ]
}

fn statement(effect: &'static str, with_principal: bool) -> impl Strategy<Value = Value> {
    (
        prop::collection::vec(prop::sample::select(&ACTION_PATTERNS[..]), 1..3),
        any::<bool>(),
        prop::collection::vec(prop::sample::select(&RESOURCE_PATTERNS[..]), 1..3),
        any::<bool>(),
        condition(),
        prop::sample::select(&PRINCIPALS[..]),
        any::<bool>(),
    )
        .prop_map(
            move |(actions, not_action, resources, not_resource, cond, principal, star)| {
                let mut s = json!({"Effect": effect});
                s[if not_action { "NotAction" } else { "Action" }] = json!(actions);
                s[if not_resource {
                    "NotResource"
                } else {
                    "Resource"
                }] = json!(resources);
                if let Some(c) = cond {
                    s["Condition"] = c;
                }
                if with_principal {
                    s["Principal"] = if star {
                        json!("*")
                    } else {
                        json!({"AWS": principal})
                    };
                }
                s
            },
        )
}

fn any_statement(with_principal: bool) -> impl Strategy<Value = Value> {
    prop_oneof![
        statement("Allow", with_principal),
        statement("Deny", with_principal)
    ]
}

fn policy_doc(with_principal: bool) -> impl Strategy<Value = Value> {
    prop::collection::vec(any_statement(with_principal), 1..6)
        .prop_map(|statements| json!({"Version": "2012-10-17", "Statement": statements}))
}

#[derive(Debug, Clone)]
struct Scenario {
    identity: Vec<Value>,
    resource: Option<Value>,
    boundary: Option<Value>,
    principal: &'static str,
    action: &'static str,
    resource_arn: &'static str,
    resource_account: Option<&'static str>,
    secure: bool,
    username: &'static str,
    mandatory: bool,
}

fn scenario() -> impl Strategy<Value = Scenario> {
    (
        prop::collection::vec(policy_doc(false), 0..4),
        prop::option::of(policy_doc(true)),
        prop::option::of(policy_doc(false)),
        prop::sample::select(&PRINCIPALS[..]),
        prop::sample::select(&ACTIONS[..]),
        prop::sample::select(&RESOURCES[..]),
        prop::option::of(prop::sample::select(&["111122223333", "444455556666"][..])),
        any::<bool>(),
        prop::sample::select(&["ana", "bob", "train"][..]),
        any::<bool>(),
    )
        .prop_map(
            |(
                identity,
                resource,
                boundary,
                principal,
                action,
                resource_arn,
                resource_account,
                secure,
                username,
                mandatory,
            )| {
                Scenario {
                    identity,
                    resource,
                    boundary,
                    principal,
                    action,
                    resource_arn,
                    resource_account,
                    secure,
                    username,
                    mandatory,
                }
            },
        )
}

fn parse(doc: &Value, kind: PolicyKind) -> Policy {
    Policy::parse(&doc.to_string(), kind)
        .unwrap_or_else(|e| panic!("generated policy rejected: {e}\n{doc}"))
}

fn decide(s: &Scenario) -> Decision {
    let identity: Vec<Policy> = s
        .identity
        .iter()
        .map(|d| parse(d, PolicyKind::RoleInline))
        .collect();
    let resource = s.resource.as_ref().map(|d| parse(d, PolicyKind::Resource));
    let boundary = s.boundary.as_ref().map(|d| parse(d, PolicyKind::Boundary));
    let identity_refs: Vec<&Policy> = identity.iter().collect();
    let boundary_refs: Vec<&Policy> = boundary.iter().collect();
    let set = PolicySet {
        identity: &identity_refs,
        boundary: boundary.as_ref().map(|_| &boundary_refs[..]),
        resource: resource.as_ref(),
        resource_policy_mandatory: s.mandatory,
        ..PolicySet::default()
    };
    let principal = Principal::from_arn(s.principal).unwrap();
    let mut context = Context::new();
    context.insert("aws:SecureTransport", ContextValue::boolean(s.secure));
    context.insert("aws:username", ContextValue::string(s.username));
    context.insert("aws:SourceIp", ContextValue::string("10.1.2.3"));
    let request = Request {
        principal: &principal,
        action: s.action,
        resource: s.resource_arn,
        resource_account: s.resource_account,
        context: &context,
    };
    authorize(&set, &request).decision
}

fn push_statement(doc: &mut Value, statement: Value) {
    doc["Statement"].as_array_mut().unwrap().push(statement);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// A Deny that covers the request, added to any policy the request consults,
    /// makes the decision an explicit deny, whatever else allows it.
    #[test]
    fn explicit_deny_always_wins(mut s in scenario(), target in 0usize..3) {
        let deny = json!({"Effect": "Deny", "Action": s.action, "Resource": s.resource_arn});
        match target {
            0 if !s.identity.is_empty() => push_statement(&mut s.identity[0], deny),
            1 if s.resource.is_some() => {
                let mut d = deny;
                d["Principal"] = json!("*");
                push_statement(s.resource.as_mut().unwrap(), d);
            }
            2 if s.boundary.is_some() => push_statement(s.boundary.as_mut().unwrap(), deny),
            _ => s.identity.push(json!({"Version": "2012-10-17", "Statement": [deny]})),
        }
        prop_assert_eq!(decide(&s), Decision::ExplicitDeny);
    }

    /// Adding an Allow statement to an identity or resource policy never turns an
    /// allowed request into a denied one.
    #[test]
    fn adding_an_allow_never_denies(s in scenario(), extra in statement("Allow", false), to_resource in any::<bool>()) {
        let before = decide(&s);
        let mut after = s.clone();
        if to_resource && after.resource.is_some() {
            let mut e = extra;
            e["Principal"] = json!("*");
            push_statement(after.resource.as_mut().unwrap(), e);
        } else if let Some(first) = after.identity.first_mut() {
            push_statement(first, extra);
        } else {
            after.identity.push(json!({"Version": "2012-10-17", "Statement": [extra]}));
        }
        if before == Decision::Allowed {
            prop_assert_eq!(decide(&after), Decision::Allowed);
        }
    }

    /// Removing every policy leaves nothing that allows: any principal but the
    /// account's root user is implicitly denied.
    #[test]
    fn empty_policy_set_denies(mut s in scenario()) {
        s.identity.clear();
        s.resource = None;
        s.boundary = None;
        let expected = if s.principal.ends_with(":root")
            && s.resource_account.is_none_or(|a| s.principal.contains(a))
            && !s.mandatory
        {
            Decision::Allowed
        } else {
            Decision::ImplicitDeny
        };
        prop_assert_eq!(decide(&s), expected);
    }

    /// The parser returns an error, never panics, on arbitrary text and on
    /// structurally plausible JSON.
    #[test]
    fn parser_never_panics(text in "\\PC{0,400}", kind in 0usize..12) {
        let _ = Policy::parse(&text, PolicyKind::ALL[kind]);
    }

    #[test]
    fn parser_never_panics_on_policy_shaped_json(doc in policy_doc(true), noise in "[\\[\\]{}\",:*?$ a-zA-Z0-9]{0,20}", at in 0usize..400, kind in 0usize..12) {
        let mut text = doc.to_string();
        let at = at.min(text.len());
        if text.is_char_boundary(at) {
            text.insert_str(at, &noise);
        }
        let _ = Policy::parse(&text, PolicyKind::ALL[kind]);
    }
}
