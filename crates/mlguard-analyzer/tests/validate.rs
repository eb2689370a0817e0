//! Labeled policies: each check fires where it should, and look-alikes that
//! must not be flagged are not.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::type_complexity)]

use mlguard_analyzer::{Catalog, PolicyType, validate};

fn codes(text: &str, t: PolicyType) -> Vec<String> {
    let mut c: Vec<String> = validate(text, t, Catalog::builtin())
        .into_iter()
        .map(|f| f.issue_code)
        .collect();
    c.sort();
    c
}

fn identity(statements: &str) -> String {
    format!(r#"{{"Version": "2012-10-17", "Statement": [{statements}]}}"#)
}

/// (label, policy, type, codes that must appear, codes that must not)
fn cases() -> Vec<(
    &'static str,
    String,
    PolicyType,
    Vec<&'static str>,
    Vec<&'static str>,
)> {
    use PolicyType::*;
    vec![
        ("unknown action", identity(r#"{"Effect":"Allow","Action":"s3:GetObjekt","Resource":"*"}"#), Identity, vec!["INVALID_ACTION"], vec![]),
        ("unknown service", identity(r#"{"Effect":"Allow","Action":"s4:GetObject","Resource":"*"}"#), Identity, vec!["INVALID_SERVICE_IN_ACTION"], vec![]),
        ("known but uncatalogued service is not an error", identity(r#"{"Effect":"Allow","Action":"dynamodb:GetItem","Resource":"*"}"#), Identity, vec![], vec!["INVALID_SERVICE_IN_ACTION", "INVALID_ACTION"]),
        ("wildcard matching nothing", identity(r#"{"Effect":"Allow","Action":"s3:Frobnicate*","Resource":"*"}"#), Identity, vec!["INVALID_ACTION"], vec![]),
        ("unknown service condition key", identity(r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b","Condition":{"StringEquals":{"s3:prefixx":"a/"}}}"#), Identity, vec!["INVALID_SERVICE_CONDITION_KEY"], vec![]),
        ("unknown global condition key", identity(r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b","Condition":{"Bool":{"aws:SecureTransports":"true"}}}"#), Identity, vec!["INVALID_GLOBAL_CONDITION_KEY"], vec![]),
        ("condition key that never applies", identity(r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"s3:prefix":"a/"}}}"#), Identity, vec!["UNSUPPORTED_ACTION_FOR_CONDITION_KEY"], vec![]),
        ("condition key that applies", identity(r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b","Condition":{"StringLike":{"s3:prefix":"a/*"}}}"#), Identity, vec![], vec!["UNSUPPORTED_ACTION_FOR_CONDITION_KEY", "INVALID_SERVICE_CONDITION_KEY"]),
        ("ListBucket on objects", identity(r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b/*"}"#), Identity, vec!["ACTION_RESOURCE_MISMATCH"], vec![]),
        ("GetObject on the bucket", identity(r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b"}"#), Identity, vec!["ACTION_RESOURCE_MISMATCH"], vec![]),
        ("kms action on a bucket", identity(r#"{"Effect":"Allow","Action":"kms:Decrypt","Resource":"arn:aws:s3:::b"}"#), Identity, vec!["ACTION_RESOURCE_MISMATCH"], vec![]),
        ("wildcard actions fit some resource", identity(r#"{"Effect":"Allow","Action":"s3:Get*","Resource":"arn:aws:s3:::b/*"}"#), Identity, vec![], vec!["ACTION_RESOURCE_MISMATCH"]),
        ("malformed ARN prefix", identity(r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"s3:::b/*"}"#), Identity, vec!["INVALID_ARN_PREFIX"], vec![]),
        ("ARN missing fields", identity(r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3"}"#), Identity, vec!["MISSING_ARN_FIELD"], vec![]),
        ("ARN with a bad account", identity(r#"{"Effect":"Allow","Action":"kms:Decrypt","Resource":"arn:aws:kms:us-east-1:12345:key/k"}"#), Identity, vec!["INVALID_ARN_ACCOUNT"], vec![]),
        ("ARN service in upper case", identity(r#"{"Effect":"Allow","Action":"kms:Decrypt","Resource":"arn:aws:KMS:us-east-1:111122223333:key/k"}"#), Identity, vec!["INVALID_ARN_SERVICE_CASE"], vec![]),
        ("missing version", r#"{"Statement": [{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#.to_owned(), Identity, vec!["MISSING_VERSION"], vec![]),
        ("Allow with NotAction", identity(r#"{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}"#), Identity, vec!["ALLOW_WITH_NOT_ACTION"], vec![]),
        ("Deny with NotAction is a guardrail", identity(r#"{"Effect":"Deny","NotAction":"iam:*","Resource":"*"}"#), Identity, vec![], vec!["ALLOW_WITH_NOT_ACTION"]),
        ("Allow with NotResource", identity(r#"{"Effect":"Allow","Action":"s3:GetObject","NotResource":"arn:aws:s3:::secret/*"}"#), Identity, vec!["ALLOW_WITH_NOT_RESOURCE"], vec![]),
        ("PassRole to any role", identity(r#"{"Effect":"Allow","Action":"iam:PassRole","Resource":"*"}"#), Identity, vec!["PASS_ROLE_WITH_STAR_IN_RESOURCE"], vec![]),
        ("iam:* on any resource", identity(r#"{"Effect":"Allow","Action":"iam:*","Resource":"*"}"#), Identity, vec!["PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE", "WILDCARD_ACTION_ON_SENSITIVE_SERVICE"], vec![]),
        ("PassRole with NotResource", identity(r#"{"Effect":"Allow","Action":"iam:PassRole","NotResource":"arn:aws:iam::111122223333:role/admin"}"#), Identity, vec!["PASS_ROLE_WITH_NOT_RESOURCE"], vec![]),
        ("PassRole restricted by service and role", identity(r#"{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::111122223333:role/sm-*","Condition":{"StringEquals":{"iam:PassedToService":"sagemaker.amazonaws.com"}}}"#), Identity, vec![], vec!["PASS_ROLE_WITH_STAR_IN_RESOURCE"]),
        ("PassRole denied is fine", identity(r#"{"Effect":"Deny","Action":"iam:PassRole","Resource":"*"}"#), Identity, vec![], vec!["PASS_ROLE_WITH_STAR_IN_RESOURCE"]),
        ("s3:* is bad", identity(r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"}"#), Identity, vec!["WILDCARD_ACTION_ON_SENSITIVE_SERVICE"], vec![]),
        ("s3:* denied is a guardrail", identity(r#"{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}"#), Identity, vec![], vec!["WILDCARD_ACTION_ON_SENSITIVE_SERVICE"]),
        ("full admin", identity(r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#), Identity, vec!["FULL_ADMIN_ACCESS", "PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE"], vec![]),
        ("public bucket policy", r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#.to_owned(), Resource, vec!["PUBLIC_PRINCIPAL_WITHOUT_CONDITION"], vec![]),
        ("public principal scoped to the organization", r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc123"}}}]}"#.to_owned(), Resource, vec![], vec!["PUBLIC_PRINCIPAL_WITHOUT_CONDITION"]),
        ("Allow with NotPrincipal", r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#.to_owned(), Resource, vec!["ALLOW_WITH_NOT_PRINCIPAL"], vec![]),
        ("redundant action", identity(r#"{"Effect":"Allow","Action":["s3:Get*","s3:GetObject"],"Resource":"arn:aws:s3:::b/*"}"#), Identity, vec!["REDUNDANT_ACTION"], vec![]),
        ("distinct actions are not redundant", identity(r#"{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::b/*"}"#), Identity, vec![], vec!["REDUNDANT_ACTION"]),
        ("redundant statement", identity(r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}"#), Identity, vec!["REDUNDANT_STATEMENT"], vec![]),
        ("wildcard in service name", identity(r#"{"Effect":"Allow","Action":"s*:GetObject","Resource":"*"}"#), Identity, vec!["WILDCARD_IN_SERVICE_NAME"], vec![]),
        ("empty action array", identity(r#"{"Effect":"Allow","Action":[],"Resource":"*"}"#), Identity, vec!["EMPTY_ARRAY_ACTION"], vec![]),
        ("duplicate sids", identity(r#"{"Sid":"A","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},{"Sid":"A","Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*"}"#), Identity, vec!["UNIQUE_SIDS_REQUIRED"], vec![]),
        ("not JSON", "{\"Version\": ".to_owned(), Identity, vec!["JSON_SYNTAX_ERROR"], vec![]),
        ("invalid effect", r#"{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"s3:GetObject","Resource":"*"}]}"#.to_owned(), Identity, vec!["INVALID_EFFECT"], vec![]),
        ("principal in an identity policy", identity(r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}"#), Identity, vec!["UNSUPPORTED_PRINCIPAL"], vec![]),
    ]
}

#[test]
fn labeled_policies() {
    let mut failures = Vec::new();
    for (label, text, t, must, must_not) in cases() {
        let got = codes(&text, t);
        for m in &must {
            if !got.iter().any(|g| g == m) {
                failures.push(format!("{label}: missing {m}; got {got:?}"));
            }
        }
        for m in &must_not {
            if got.iter().any(|g| g == m) {
                failures.push(format!("{label}: must not report {m}; got {got:?}"));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn findings_point_at_the_element() {
    let text = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\n    \"Effect\": \"Allow\",\n    \"Action\": \"iam:PassRole\",\n    \"Resource\": \"*\"\n  }]\n}";
    let f = validate(text, PolicyType::Identity, Catalog::builtin());
    assert_eq!(f.len(), 1, "{f:?}");
    let l = &f[0].locations[0];
    assert_eq!((l.span.start.line, l.span.start.column), (5, 14));
    let path = serde_json::to_value(&l.path).unwrap();
    assert_eq!(
        path,
        serde_json::json!([{"value": "Statement"}, {"index": 0}, {"value": "Action"}, {"index": 0}])
    );
    assert!(f[0].learn_more_link.ends_with(
        "#access-analyzer-reference-policy-checks-security-warning-pass-role-with-star-in-resource"
    ));
    assert_eq!(
        serde_json::to_value(f[0].finding_type).unwrap(),
        "SECURITY_WARNING"
    );
}
