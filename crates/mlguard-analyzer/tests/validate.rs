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
    // Two locations, as Access Analyzer gives: the action and the resource.
    assert_eq!(f[0].locations.len(), 2, "{:?}", f[0].locations);
    let l = &f[0].locations[0];
    assert_eq!((l.span.start.line, l.span.start.column), (5, 14));
    // `Action` is a single string: its path has no index.
    let path = serde_json::to_value(&l.path).unwrap();
    assert_eq!(
        path,
        serde_json::json!([{"value": "Statement"}, {"index": 0}, {"value": "Action"}])
    );
    let r = &f[0].locations[1];
    assert_eq!((r.span.start.line, r.span.start.column), (6, 16));
    assert_eq!(
        serde_json::to_value(&r.path).unwrap(),
        serde_json::json!([{"value": "Statement"}, {"index": 0}, {"value": "Resource"}])
    );
    assert!(f[0].learn_more_link.ends_with(
        "#access-analyzer-reference-policy-checks-security-warning-pass-role-with-star-in-resource"
    ));
    assert_eq!(
        serde_json::to_value(f[0].finding_type).unwrap(),
        "SECURITY_WARNING"
    );
}

fn paths(text: &str, t: PolicyType, code: &str) -> Vec<serde_json::Value> {
    validate(text, t, Catalog::builtin())
        .into_iter()
        .filter(|f| f.issue_code == code)
        .flat_map(|f| f.locations)
        .map(|l| serde_json::to_value(&l.path).unwrap())
        .collect()
}

#[test]
fn a_single_statement_object_is_not_indexed() {
    let text = r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObjekt"], "Resource": "arn:aws:s3:::b/*"}}"#;
    assert_eq!(
        paths(text, PolicyType::Identity, "INVALID_ACTION"),
        [serde_json::json!([{"value": "Statement"}, {"value": "Action"}, {"index": 1}])]
    );
    let spaced = "{\"Version\": \"2012-10-17\", \"Statement\" :\n {\"Effect\": \"Allow\", \"Action\" : \"s3:GetObjekt\", \"Resource\": [ \"arn:aws:s3:::b/*\" ]}}";
    assert_eq!(
        paths(spaced, PolicyType::Identity, "INVALID_ACTION"),
        [serde_json::json!([{"value": "Statement"}, {"value": "Action"}])]
    );
}

fn codes_of(text: &str, t: PolicyType) -> Vec<String> {
    codes(text, t)
}

#[test]
fn a_refused_identity_policy_is_still_checked() {
    // No Version: IAM refuses it as a managed policy; the statements are
    // still judged.
    let text = r#"{"Statement": [{"Effect": "Allow", "Action": ["s3:GetObjekt", "iam:PassRole"], "Resource": "*"}]}"#;
    let got = codes_of(text, PolicyType::Identity);
    for want in [
        "MISSING_VERSION",
        "INVALID_ACTION",
        "PASS_ROLE_WITH_STAR_IN_RESOURCE",
    ] {
        assert!(got.iter().any(|g| g == want), "{want}: {got:?}");
    }
    // Refused twice over: both reasons.
    let twice = r#"{"Statement": [{"Sid": "A", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}, {"Sid": "A", "Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}]}"#;
    let got = codes_of(twice, PolicyType::Identity);
    for want in ["MISSING_VERSION", "UNIQUE_SIDS_REQUIRED"] {
        assert!(got.iter().any(|g| g == want), "{want}: {got:?}");
    }
    // Over 6,144 characters: the quota warning, and the other checks.
    let many: Vec<String> = (0..400)
        .map(|i| format!("\"arn:aws:s3:::bucket-{i:04}/*\""))
        .collect();
    let big = format!(
        r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Action": "s3:GetObjekt", "Resource": [{}]}}]}}"#,
        many.join(",")
    );
    let got = codes_of(&big, PolicyType::Identity);
    for want in [
        "POLICY_SIZE_EXCEEDS_IDENTITY_POLICY_QUOTA",
        "INVALID_ACTION",
    ] {
        assert!(got.iter().any(|g| g == want), "{want}: {got:?}");
    }
    let quota = validate(&big, PolicyType::Identity, Catalog::builtin())
        .into_iter()
        .find(|f| f.issue_code == "POLICY_SIZE_EXCEEDS_IDENTITY_POLICY_QUOTA")
        .unwrap();
    assert_eq!(quota.finding_type, mlguard_analyzer::FindingType::Warning);
}

const TRUST: PolicyType =
    PolicyType::ResourceOf(mlguard_analyzer::validate::ResourceType::RoleTrust);

#[test]
fn trust_policies_are_judged_as_trust_policies() {
    let trust = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}]}"#;
    // No Resource needed: no findings at all.
    assert_eq!(codes_of(trust, TRUST), Vec::<String>::new());
    // As a generic resource policy it misses its Resource.
    assert!(codes_of(trust, PolicyType::Resource).contains(&"MISSING_RESOURCE".to_owned()));
    // A Resource in a trust policy is refused, and the rest still judged.
    let with_resource = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole", "Resource": "*"}]}"#;
    let got = codes_of(with_resource, TRUST);
    for want in [
        "ROLE_TRUST_POLICY_SYNTAX_ERROR_RESOURCE",
        "PUBLIC_PRINCIPAL_WITHOUT_CONDITION",
    ] {
        assert!(got.iter().any(|g| g == want), "{want}: {got:?}");
    }
    // Over 2,048 characters: a warning (the quota can be raised), and the
    // statements are checked, located in the document as given.
    let accounts: Vec<String> = (0..90)
        .map(|i| format!("\"arn:aws:iam::{:012}:root\"", 100_000_000_000u64 + i))
        .collect();
    let long = format!(
        r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Principal": {{"AWS": [{}]}}, "Action": "sts:AssumeRol"}}]}}"#,
        accounts.join(",")
    );
    let found = validate(&long, TRUST, Catalog::builtin());
    let got: Vec<&str> = found.iter().map(|f| f.issue_code.as_str()).collect();
    assert!(
        got.contains(&"POLICY_SIZE_EXCEEDS_ROLE_TRUST_POLICY_QUOTA"),
        "{got:?}"
    );
    let invalid = found
        .iter()
        .find(|f| f.issue_code == "INVALID_ACTION")
        .unwrap();
    let at = usize::try_from(invalid.locations[0].span.start.offset).unwrap();
    assert_eq!(
        long.get(at..).unwrap().split('"').nth(1),
        Some("sts:AssumeRol")
    );
}

#[test]
fn resource_policies_are_judged_for_their_resource_type() {
    use mlguard_analyzer::validate::ResourceType;
    let bucket = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": ["s3:GetObject", "kms:Decrypt"], "Resource": ["arn:aws:s3:::b/*", "arn:aws:kms:us-east-1:111122223333:key/k"]}]}"#;
    let got = codes_of(bucket, PolicyType::ResourceOf(ResourceType::S3Bucket));
    for want in [
        "UNSUPPORTED_ACTION_IN_POLICY",
        "UNSUPPORTED_RESOURCE_ARN_IN_POLICY",
    ] {
        assert!(got.iter().any(|g| g == want), "{want}: {got:?}");
    }
    let generic = codes_of(bucket, PolicyType::Resource);
    assert!(
        !generic.iter().any(|g| g.starts_with("UNSUPPORTED_")),
        "{generic:?}"
    );
    assert_eq!(
        ResourceType::from_aws_name("AWS::DynamoDB::Table"),
        Some(ResourceType::DynamoDbTable)
    );
    assert_eq!(ResourceType::from_aws_name("AWS::KMS::Key"), None);
}

#[test]
fn resource_control_policies_follow_the_rcp_rules() {
    // A typical data-perimeter RCP: Deny, every principal, a condition.
    let perimeter = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": ["s3:*", "sts:AssumeRole"], "Resource": "*", "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-abc123"}, "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}}]}"#;
    assert_eq!(
        codes_of(perimeter, PolicyType::ResourceControl),
        Vec::<String>::new()
    );
    // RCPFullAWSAccess.
    let full = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}"#;
    assert_eq!(
        codes_of(full, PolicyType::ResourceControl),
        Vec::<String>::new()
    );
    let bad = r#"{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"},
        {"Effect": "Deny", "Principal": "*", "NotAction": "s3:GetObject", "Resource": "*"},
        {"Effect": "Deny", "Principal": "*", "Action": "ec2:RunInstances", "Resource": "*"}]}"#;
    let got = codes_of(bad, PolicyType::ResourceControl);
    for want in [
        "RCP_SYNTAX_ERROR_PRINCIPAL",
        "RCP_SYNTAX_ERROR_ALLOW",
        "RCP_SYNTAX_ERROR_NOTACTION",
        "RCP_SYNTAX_ERROR_ACTION",
    ] {
        assert!(got.iter().any(|g| g == want), "{want}: {got:?}");
    }
    assert!(!got.iter().any(|g| g == "UNSUPPORTED_PRINCIPAL"), "{got:?}");
    let big = format!(
        r#"{{"Version": "2012-10-17", "Statement": [{{"Sid": "{}", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}}]}}"#,
        "A".repeat(5200)
    );
    assert!(
        codes_of(&big, PolicyType::ResourceControl)
            .contains(&"POLICY_SIZE_EXCEEDS_RCP_QUOTA".to_owned())
    );
}
