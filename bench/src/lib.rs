//! Fixtures shared by mlguard's benchmarks.

pub mod policy_fixtures {
    //! A realistic policy set for an ML training role: 10 policies, 50 statements,
    //! with wildcards, policy variables, conditions of most operator families, and
    //! two guard-rail denies; plus requests that exercise the allowed and denied paths.

    use mlguard_policy::{Context, ContextType, ContextValue, Principal};

    /// The ten identity policies (JSON), 50 statements in total.
    pub const POLICIES: [&str; 10] = [
        // 1. Training data: 6 statements.
        r#"{"Version": "2012-10-17", "Statement": [
            {"Sid": "ListTeamPrefix", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::ml-training-data",
             "Condition": {"StringLike": {"s3:prefix": ["team-${aws:PrincipalTag/team}/*", ""]}}},
            {"Sid": "ReadTeamData", "Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObjectVersion"],
             "Resource": "arn:aws:s3:::ml-training-data/team-${aws:PrincipalTag/team}/*"},
            {"Sid": "ReadShared", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::ml-shared-datasets/*"},
            {"Sid": "WriteModels", "Effect": "Allow", "Action": ["s3:PutObject", "s3:AbortMultipartUpload"],
             "Resource": "arn:aws:s3:::ml-models/team-${aws:PrincipalTag/team}/*",
             "Condition": {"StringEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}},
            {"Sid": "BucketLocation", "Effect": "Allow", "Action": ["s3:GetBucketLocation", "s3:ListAllMyBuckets"], "Resource": "*"},
            {"Sid": "NoDeleteData", "Effect": "Deny", "Action": ["s3:DeleteObject*", "s3:DeleteBucket*"], "Resource": "arn:aws:s3:::ml-training-data*"}
        ]}"#,
        // 2. KMS: 5 statements.
        r#"{"Version": "2012-10-17", "Statement": [
            {"Sid": "UseDataKey", "Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
             "Resource": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
             "Condition": {"StringEquals": {"kms:ViaService": ["s3.us-east-1.amazonaws.com", "sagemaker.us-east-1.amazonaws.com"]}}},
            {"Sid": "DescribeKeys", "Effect": "Allow", "Action": ["kms:DescribeKey", "kms:ListAliases"], "Resource": "*"},
            {"Sid": "ContextBound", "Effect": "Allow", "Action": "kms:Encrypt",
             "Resource": "arn:aws:kms:us-east-1:111122223333:key/*",
             "Condition": {"StringEquals": {"kms:EncryptionContext:project": "${aws:PrincipalTag/team}"}}},
            {"Sid": "NoKeyAdmin", "Effect": "Deny", "Action": ["kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:PutKeyPolicy"], "Resource": "*"},
            {"Sid": "GrantsForAws", "Effect": "Allow", "Action": "kms:CreateGrant", "Resource": "*",
             "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}}
        ]}"#,
        // 3. SageMaker jobs: 6 statements.
        r#"{"Version": "2012-10-17", "Statement": [
            {"Sid": "CreateJobsInVpc", "Effect": "Allow", "Action": ["sagemaker:CreateTrainingJob", "sagemaker:CreateProcessingJob"],
             "Resource": "arn:aws:sagemaker:us-east-1:111122223333:*-job/${aws:PrincipalTag/team}-*",
             "Condition": {"ForAllValues:StringEquals": {"sagemaker:VpcSubnets": ["subnet-0a1b2c3d", "subnet-4e5f6a7b"]},
                           "Null": {"sagemaker:VpcSubnets": "false"}}},
            {"Sid": "DescribeJobs", "Effect": "Allow", "Action": ["sagemaker:Describe*", "sagemaker:List*"], "Resource": "*"},
            {"Sid": "StopOwnJobs", "Effect": "Allow", "Action": "sagemaker:Stop*Job",
             "Resource": "arn:aws:sagemaker:us-east-1:111122223333:*-job/${aws:PrincipalTag/team}-*"},
            {"Sid": "RequireVolumeKey", "Effect": "Deny", "Action": "sagemaker:CreateTrainingJob", "Resource": "*",
             "Condition": {"Null": {"sagemaker:VolumeKmsKey": "true"}}},
            {"Sid": "RequireIsolation", "Effect": "Deny", "Action": "sagemaker:CreateTrainingJob", "Resource": "*",
             "Condition": {"Bool": {"sagemaker:NetworkIsolation": "false"}}},
            {"Sid": "Experiments", "Effect": "Allow", "Action": ["sagemaker:CreateExperiment", "sagemaker:CreateTrial*"],
             "Resource": "arn:aws:sagemaker:us-east-1:111122223333:experiment*/*"}
        ]}"#,
        // 4. ECR: 4 statements.
        r#"{"Version": "2012-10-17", "Statement": [
            {"Sid": "Token", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
            {"Sid": "Pull", "Effect": "Allow", "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
             "Resource": "arn:aws:ecr:us-east-1:111122223333:repository/training/*"},
            {"Sid": "NoPush", "Effect": "Deny", "Action": ["ecr:PutImage", "ecr:InitiateLayerUpload"], "Resource": "*"},
            {"Sid": "Scan", "Effect": "Allow", "Action": "ecr:DescribeImageScanFindings", "Resource": "arn:aws:ecr:*:111122223333:repository/*"}
        ]}"#,
        // 5. CloudWatch Logs: 4 statements.
        r#"{"Version": "2012-10-17", "Statement": [
            {"Sid": "Streams", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
             "Resource": "arn:aws:logs:us-east-1:111122223333:log-group:/aws/sagemaker/*"},
            {"Sid": "Groups", "Effect": "Allow", "Action": "logs:CreateLogGroup", "Resource": "arn:aws:logs:us-east-1:111122223333:log-group:/aws/sagemaker/*"},
            {"Sid": "Describe", "Effect": "Allow", "Action": "logs:DescribeLog*", "Resource": "*"},
            {"Sid": "Metrics", "Effect": "Allow", "Action": "cloudwatch:PutMetricData", "Resource": "*",
             "Condition": {"StringLike": {"cloudwatch:namespace": ["/aws/sagemaker/*", "ml/*"]}}}
        ]}"#,
        // 6. Network guard rail: 3 statements.
        r#"{"Version": "2012-10-17", "Statement": [
            {"Sid": "DenyOutsideCorpNet", "Effect": "Deny", "NotAction": ["sts:GetCallerIdentity"], "Resource": "*",
             "Condition": {"NotIpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.0.2.0/24", "2001:db8::/32"]},
                           "BoolIfExists": {"aws:ViaAWSService": "false"}}},
            {"Sid": "DenyInsecure", "Effect": "Deny", "Action": "*", "Resource": "*",
             "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
            {"Sid": "DenyOtherRegions", "Effect": "Deny", "NotAction": ["iam:*", "sts:*", "s3:ListAllMyBuckets"], "Resource": "*",
             "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "us-west-2"]}}}
        ]}"#,
        // 7. MFA for destructive actions: 4 statements.
        r#"{"Version": "2012-10-17", "Statement": [
            {"Sid": "MfaDelete", "Effect": "Deny", "Action": ["s3:Delete*", "sagemaker:Delete*"], "Resource": "*",
             "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}},
            {"Sid": "FreshMfa", "Effect": "Deny", "Action": "sagemaker:DeleteEndpoint*", "Resource": "*",
             "Condition": {"NumericGreaterThanIfExists": {"aws:MultiFactorAuthAge": "3600"}}},
            {"Sid": "BusinessHours", "Effect": "Deny", "Action": "sagemaker:Delete*", "Resource": "*",
             "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}},
            {"Sid": "OwnCredentials", "Effect": "Allow", "Action": ["iam:GetUser", "iam:ListMFADevices"], "Resource": "arn:aws:iam::*:user/${aws:username}"}
        ]}"#,
        // 8. PassRole: 5 statements.
        r#"{"Version": "2012-10-17", "Statement": [
            {"Sid": "PassTrainingRole", "Effect": "Allow", "Action": "iam:PassRole",
             "Resource": "arn:aws:iam::111122223333:role/sagemaker-training-${aws:PrincipalTag/team}",
             "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}},
            {"Sid": "GetRoles", "Effect": "Allow", "Action": ["iam:GetRole", "iam:ListRoles"], "Resource": "*"},
            {"Sid": "NoRoleEdits", "Effect": "Deny", "Action": ["iam:Put*", "iam:Attach*", "iam:Create*", "iam:Update*"], "Resource": "*"},
            {"Sid": "Identity", "Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"},
            {"Sid": "SessionTags", "Effect": "Allow", "Action": "sts:TagSession", "Resource": "*",
             "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "job"]}}}
        ]}"#,
        // 9. Secrets: 5 statements.
        r#"{"Version": "2012-10-17", "Statement": [
            {"Sid": "TeamSecrets", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
             "Resource": "arn:aws:secretsmanager:us-east-1:111122223333:secret:ml/${aws:PrincipalTag/team}/*",
             "Condition": {"StringEquals": {"secretsmanager:ResourceTag/team": "${aws:PrincipalTag/team}"}}},
            {"Sid": "ListSecrets", "Effect": "Allow", "Action": "secretsmanager:ListSecrets", "Resource": "*"},
            {"Sid": "Describe", "Effect": "Allow", "Action": "secretsmanager:DescribeSecret", "Resource": "arn:aws:secretsmanager:*:111122223333:secret:ml/*"},
            {"Sid": "NoSecretWrites", "Effect": "Deny", "Action": ["secretsmanager:Put*", "secretsmanager:Delete*", "secretsmanager:Update*"], "Resource": "*"},
            {"Sid": "RandomPassword", "Effect": "Allow", "Action": "secretsmanager:GetRandomPassword", "Resource": "*"}
        ]}"#,
        // 10. Tagging guard rails: 8 statements.
        r#"{"Version": "2012-10-17", "Statement": [
            {"Sid": "TagOnCreate", "Effect": "Allow", "Action": "sagemaker:AddTags", "Resource": "*",
             "Condition": {"StringEquals": {"sagemaker:TaggingAction": ["CreateTrainingJob", "CreateProcessingJob"]}}},
            {"Sid": "TeamTagMustMatch", "Effect": "Deny", "Action": ["sagemaker:Create*"], "Resource": "*",
             "Condition": {"StringNotEqualsIfExists": {"aws:RequestTag/team": "${aws:PrincipalTag/team}"}}},
            {"Sid": "AllowedTagKeys", "Effect": "Deny", "Action": ["sagemaker:AddTags", "s3:PutObjectTagging"], "Resource": "*",
             "Condition": {"ForAnyValue:StringNotLike": {"aws:TagKeys": ["team", "job", "cost-*"]}}},
            {"Sid": "ObjectTags", "Effect": "Allow", "Action": "s3:GetObjectTagging", "Resource": "arn:aws:s3:::ml-*/*"},
            {"Sid": "ResourceTagRead", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::ml-curated/*",
             "Condition": {"StringEqualsIgnoreCase": {"s3:ExistingObjectTag/classification": ["public", "internal"]}}},
            {"Sid": "OrgOnly", "Effect": "Deny", "Action": "s3:*", "Resource": "*",
             "Condition": {"StringNotEqualsIfExists": {"aws:ResourceOrgID": "o-abc123def4"}}},
            {"Sid": "ArnScoped", "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*",
             "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:sagemaker:us-east-1:111122223333:*"}}},
            {"Sid": "Binary", "Effect": "Allow", "Action": "kms:Verify", "Resource": "*",
             "Condition": {"BinaryEquals": {"kms:MessageDigest": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}}
        ]}"#,
    ];

    /// The principal: a training job's role session.
    pub fn principal() -> Principal {
        match Principal::from_arn(
            "arn:aws:sts::111122223333:assumed-role/sagemaker-training-vision/job-00042",
        ) {
            Ok(p) => p,
            Err(e) => unreachable_fixture(&e.to_string()),
        }
    }

    /// The request context a real S3 GetObject from inside a VPC would carry.
    pub fn context() -> Context {
        let mut ctx = Context::new();
        let mut put = |key: &str, kind: ContextType, values: &[&str]| match ContextValue::typed(
            kind,
            values.iter().copied(),
        ) {
            Ok(v) => ctx.insert(key, v),
            Err(e) => unreachable_fixture(&e.to_string()),
        };
        put("aws:SourceIp", ContextType::Ip, &["10.20.30.40"]);
        put("aws:SecureTransport", ContextType::Boolean, &["true"]);
        put("aws:PrincipalTag/team", ContextType::String, &["vision"]);
        put(
            "aws:PrincipalArn",
            ContextType::String,
            &["arn:aws:iam::111122223333:role/sagemaker-training-vision"],
        );
        put(
            "aws:PrincipalAccount",
            ContextType::String,
            &["111122223333"],
        );
        put(
            "aws:userid",
            ContextType::String,
            &["AROAEXAMPLEID:job-00042"],
        );
        put("aws:RequestedRegion", ContextType::String, &["us-east-1"]);
        put(
            "aws:CurrentTime",
            ContextType::Date,
            &["2026-11-26T10:00:00Z"],
        );
        put("aws:EpochTime", ContextType::Numeric, &["1795687200"]);
        put(
            "aws:TokenIssueTime",
            ContextType::Date,
            &["2026-11-26T09:55:00Z"],
        );
        put(
            "aws:MultiFactorAuthPresent",
            ContextType::Boolean,
            &["false"],
        );
        put("aws:ResourceOrgID", ContextType::String, &["o-abc123def4"]);
        put(
            "s3:x-amz-content-sha256",
            ContextType::String,
            &["UNSIGNED-PAYLOAD"],
        );
        ctx
    }

    /// (action, resource, expected decision) of the benchmarked requests.
    pub const REQUESTS: [(&str, &str, &str); 3] = [
        (
            "s3:GetObject",
            "arn:aws:s3:::ml-training-data/team-vision/part-00042.parquet",
            "allowed",
        ),
        (
            "s3:DeleteObject",
            "arn:aws:s3:::ml-training-data/team-vision/part-00042.parquet",
            "explicitDeny",
        ),
        (
            "sagemaker:InvokeEndpoint",
            "arn:aws:sagemaker:us-east-1:111122223333:endpoint/prod",
            "implicitDeny",
        ),
    ];

    fn unreachable_fixture(why: &str) -> ! {
        // The fixtures are constants checked by the bench crate's test.
        #[expect(
            clippy::panic,
            reason = "fixture constants are valid; a test checks them"
        )]
        {
            panic!("invalid benchmark fixture: {why}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::policy_fixtures::*;
    use mlguard_policy::{Policy, PolicyKind, PolicySet, Request, authorize};

    #[test]
    fn fixtures_parse_and_decide_as_labelled() {
        let policies: Vec<Policy> = POLICIES
            .iter()
            .map(|p| Policy::parse(p, PolicyKind::Managed).unwrap())
            .collect();
        assert_eq!(
            policies.iter().map(|p| p.statements.len()).sum::<usize>(),
            50
        );
        let refs: Vec<&Policy> = policies.iter().collect();
        let set = PolicySet {
            identity: &refs,
            ..PolicySet::default()
        };
        let principal = principal();
        let context = context();
        for (action, resource, expected) in REQUESTS {
            let request = Request {
                principal: &principal,
                action,
                resource,
                resource_account: None,
                context: &context,
            };
            assert_eq!(
                authorize(&set, &request).decision.as_str(),
                expected,
                "{action}"
            );
        }
    }
}

pub mod generated_input {
    //! What the generating benchmarks share: a small deterministic random
    //! source (so runs are comparable) and `--name N` arguments.

    /// xorshift64: deterministic, fast, good enough to spread test data.
    pub struct Rng(pub u64);

    impl Rng {
        /// The next 64 random bits.
        pub fn next_u64(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        /// A number in `0..n`.
        pub fn below(&mut self, n: usize) -> usize {
            (self.next_u64() % n as u64) as usize
        }
    }

    /// The number after `name` in `args`, or `default` when absent.
    pub fn arg(args: &[String], name: &str, default: usize) -> Result<usize, String> {
        match args
            .iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i.saturating_add(1)))
        {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| format!("{name} wants a number, not {v:?}")),
        }
    }
}
