//! `Policy::context_keys`: what `GetContextKeysForCustomPolicy` answers.

#![allow(clippy::expect_used, reason = "tests")]

use mlguard_policy::{Policy, PolicyKind};

fn keys(text: &str) -> Vec<String> {
    let policy = Policy::parse(text, PolicyKind::UserInline).expect("valid policy");
    policy
        .context_keys()
        .into_iter()
        .map(str::to_string)
        .collect()
}

#[test]
fn aws_cli_example_lists_resource_variables_then_condition_keys() {
    // The example of `aws iam get-context-keys-for-custom-policy` in AWS's docs.
    let text = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*",
        "Resource":"arn:aws:dynamodb:us-west-2:123456789012:table/${aws:username}",
        "Condition":{"DateGreaterThan":{"aws:CurrentTime":"2015-08-16T12:00:00Z"}}}}"#;
    assert_eq!(keys(text), ["aws:username", "aws:CurrentTime"]);
}

#[test]
fn keys_are_listed_once_case_insensitively_with_the_first_spelling() {
    let text = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${aws:PrincipalTag/team, 'none'}/*",
         "Condition":{"StringEquals":{"aws:PrincipalTag/Team":"x","s3:prefix":"${aws:userid}/${*}"},
                      "Bool":{"aws:MultiFactorAuthPresent":"true"}}},
        {"Effect":"Deny","Action":"s3:*","Resource":"*",
         "Condition":{"BoolIfExists":{"aws:multifactorauthpresent":"false"},
                      "NumericLessThan":{"s3:max-keys":"${aws:ignored}"}}}]}"#;
    assert_eq!(
        keys(text),
        [
            "aws:PrincipalTag/team",
            "s3:prefix",
            "aws:userid",
            "aws:MultiFactorAuthPresent",
            "s3:max-keys"
        ]
    );
}

#[test]
fn version_2008_has_no_policy_variables() {
    let text = r#"{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"s3:*",
        "Resource":"arn:aws:s3:::${aws:username}","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}}"#;
    assert_eq!(keys(text), ["aws:SourceIp"]);
    let none =
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#;
    assert!(keys(none).is_empty());
}
