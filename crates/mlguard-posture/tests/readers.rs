//! The readers: CloudFormation's intrinsic functions, Terraform's unknown
//! values and references, the aws CLI's nameless responses.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use mlguard_posture::model::Field;
use mlguard_posture::{Options, check_scope, read_text};

fn ids(scope: &mlguard_posture::model::Scope) -> Vec<(String, String)> {
    let r = check_scope(scope, &Options::default()).unwrap();
    let mut v: Vec<_> = r
        .findings
        .iter()
        .map(|f| (f.check.id.to_owned(), f.resource.clone()))
        .collect();
    v.sort();
    v
}

const TEMPLATE: &str = r#"
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Env: {Type: String, Default: prod}
  InternetAccess: {Type: String, AllowedValues: [Enabled, Disabled]}
Mappings:
  EnvSettings:
    prod: {Root: Disabled}
    dev: {Root: Enabled}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  Key:
    Type: AWS::KMS::Key
    Properties:
      EnableKeyRotation: !If [IsProd, true, false]
      KeyPolicy:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {AWS: !Sub "arn:aws:iam::${AWS::AccountId}:root"}
            Action: kms:*
            Resource: "*"
  Notebook:
    Type: AWS::SageMaker::NotebookInstance
    Properties:
      NotebookInstanceName: !Join ["-", [!Ref Env, notebook]]
      InstanceType: ml.t3.medium
      RoleArn: !GetAtt Role.Arn
      KmsKeyId: !Ref Key
      SubnetId: !ImportValue network-private-subnet
      DirectInternetAccess: !Ref InternetAccess
      RootAccess: !FindInMap [EnvSettings, !Ref Env, Root]
  Role:
    Type: AWS::IAM::Role
    Properties:
      RoleName: !Sub "${Env}-notebook"
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {Service: [sagemaker.amazonaws.com]}
            Action: sts:AssumeRole
      Policies:
        - PolicyName: data
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: [s3:GetObject]
                Resource: !Sub "arn:aws:s3:::${Env}-data/*"
  Data:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub "${Env}-data"
  DataPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Data
      PolicyDocument:
        Statement:
          - Effect: Deny
            Principal: "*"
            Action: "s3:*"
            Resource: [!GetAtt Data.Arn, !Sub "${Data.Arn}/*"]
            Condition: {Bool: {aws:SecureTransport: "false"}}
"#;

#[test]
fn cloudformation_intrinsics_resolve_as_far_as_they_can() {
    let scope = read_text("t.yaml", TEMPLATE, true).unwrap();
    let nb = &scope.notebooks[0];
    assert_eq!(nb.name, "prod-notebook");
    assert_eq!(
        nb.role.as_str(),
        Some("arn:aws:iam::${AWS::AccountId}:role/prod-notebook")
    );
    // A reference to a key the template creates: set, value unknown.
    assert_eq!(nb.kms_key, Field::Unknown);
    assert_eq!(nb.subnet, Field::Unknown);
    // A parameter without a default.
    assert_eq!(nb.direct_internet_access, Field::Unknown);
    assert_eq!(nb.root_access.as_str(), Some("Disabled"));
    assert_eq!(nb.origin.line, 24);
    assert_eq!(scope.keys[0].rotation.as_bool(), Some(true));
    assert_eq!(scope.buckets[0].name, "prod-data");
    // The bucket's defaults since 2023: SSE-S3, public access blocked.
    assert_eq!(
        scope.buckets[0]
            .encryption
            .as_ref()
            .unwrap()
            .algorithm
            .as_str(),
        Some("AES256")
    );
    let report = check_scope(&scope, &Options::default()).unwrap();
    let failed: Vec<_> = report.findings.iter().map(|f| f.check.id).collect();
    assert_eq!(
        failed,
        [
            "sagemaker-notebook-imdsv2",
            "s3-bucket-encryption-cmk",
            "s3-bucket-encryption-kms",
            "s3-bucket-access-logging",
            "s3-bucket-versioning",
        ],
        "{failed:?}"
    );
    // What cannot be known is said, not passed or failed.
    let unknown: Vec<_> = report.undetermined.iter().map(|u| u.check.id).collect();
    assert_eq!(unknown, ["sagemaker-notebook-direct-internet"]);
}

#[test]
fn a_condition_that_cannot_be_decided_leaves_the_value_unknown() {
    let t = TEMPLATE.replace("Env: {Type: String, Default: prod}", "Env: {Type: String}");
    let scope = read_text("t.yaml", &t, true).unwrap();
    assert_eq!(scope.keys[0].rotation, Field::Unknown);
    assert_eq!(scope.notebooks[0].root_access, Field::Unknown);
    // Nothing is mistaken for a failure.
    let got = ids(&scope);
    assert!(
        got.iter()
            .all(|(c, _)| c != "kms-key-rotation" && c != "sagemaker-notebook-root-access"),
        "{got:?}"
    );
}

#[test]
fn json_templates_and_hostile_ones() {
    let t = r#"{"Resources": {"A": {"Type": "AWS::SageMaker::EndpointConfig", "Properties": {
        "ProductionVariants": [], "KmsKeyId": {"Fn::Sub": ["${K}", {"K": {"Ref": "B"}}]}}},
        "B": {"Type": "AWS::KMS::Key", "Properties": {"EnableKeyRotation": {"Ref": "B"}}}}}"#;
    let scope = read_text("t.json", t, false).unwrap();
    assert_eq!(scope.endpoint_configs[0].kms_key, Field::Unknown);
    // A parameter that refers to itself, deep nesting: unknown, no hang.
    let cyclic = r#"{"Parameters": {"P": {"Type": "String", "Default": {"Ref": "P"}}},
        "Resources": {"N": {"Type": "AWS::SageMaker::NotebookInstance", "Properties": {"RootAccess": {"Ref": "P"}}}}}"#;
    let scope = read_text("c.json", cyclic, false).unwrap();
    assert_eq!(scope.notebooks[0].root_access, Field::Unknown);
    let deep = format!(
        "{}\"x\"{}",
        "{\"Fn::Base64\": ".repeat(100),
        "}".repeat(100)
    );
    let t = format!(
        r#"{{"Resources": {{"N": {{"Type": "AWS::SageMaker::NotebookInstance", "Properties": {{"RootAccess": {deep}}}}}}}}}"#
    );
    let scope = read_text("d.json", &t, false).unwrap();
    assert_eq!(scope.notebooks[0].root_access, Field::Unknown);
}

#[test]
fn terraform_unknowns_and_references() {
    let plan = r#"{
      "format_version": "1.2", "terraform_version": "1.9.5",
      "planned_values": {"root_module": {"resources": [
        {"address": "aws_s3_bucket.data", "mode": "managed", "type": "aws_s3_bucket", "name": "data", "values": {"bucket": "ml-data"}},
        {"address": "aws_s3_bucket_policy.data", "mode": "managed", "type": "aws_s3_bucket_policy", "name": "data", "values": {}},
        {"address": "aws_sagemaker_notebook_instance.nb", "mode": "managed", "type": "aws_sagemaker_notebook_instance", "name": "nb",
         "values": {"name": "nb", "instance_type": "ml.t3.medium", "direct_internet_access": "Disabled", "root_access": "Disabled", "subnet_id": "subnet-1",
         "instance_metadata_service_configuration": [{"minimum_instance_metadata_service_version": "2"}]}},
        {"address": "aws_kms_key.k", "mode": "managed", "type": "aws_kms_key", "name": "k", "values": {"enable_key_rotation": true}}
      ]}},
      "resource_changes": [
        {"address": "aws_s3_bucket_policy.data", "change": {"actions": ["create"], "after": {}, "after_unknown": {"bucket": true, "policy": false}}},
        {"address": "aws_sagemaker_notebook_instance.nb", "change": {"actions": ["create"], "after_unknown": {"kms_key_id": true, "role_arn": true}}}
      ],
      "configuration": {"root_module": {"resources": [
        {"address": "aws_s3_bucket_policy.data", "type": "aws_s3_bucket_policy", "expressions": {"bucket": {"references": ["aws_s3_bucket.data.id", "aws_s3_bucket.data"]}}},
        {"address": "aws_sagemaker_notebook_instance.nb", "type": "aws_sagemaker_notebook_instance", "expressions": {"kms_key_id": {"references": ["aws_kms_key.k.arn", "aws_kms_key.k"]}}}
      ]}}
    }"#;
    let scope = read_text("p.json", plan, false).unwrap();
    let nb = &scope.notebooks[0];
    assert_eq!(nb.kms_key, Field::Unknown);
    assert!(nb.kms_key.is_set());
    let b = &scope.buckets[0];
    assert_eq!(b.name, "ml-data");
    // The policy resource joined its bucket by reference and has no document.
    assert_eq!(b.policy, Some(None));
    let got = ids(&scope);
    assert!(
        got.contains(&("s3-bucket-secure-transport".into(), "ml-data".into())),
        "{got:?}"
    );
    assert!(
        !got.iter().any(|(c, _)| c.starts_with("sagemaker-notebook")),
        "{got:?}"
    );
}

#[test]
fn not_a_configuration() {
    assert!(read_text("x.json", r#"{"name": "web"}"#, false).is_err());
    assert!(read_text("x.json", "[1, 2", false).is_err());
    assert!(read_text("x.yaml", "a: [", true).is_err());
    // Lists of SageMaker requests are read one by one.
    let two = r#"[{"ModelName": "a", "ExecutionRoleArn": "arn:aws:iam::1:role/r"}, {"EndpointConfigName": "b", "ProductionVariants": []}]"#;
    let scope = read_text("x.json", two, false).unwrap();
    assert_eq!((scope.models.len(), scope.endpoint_configs.len()), (1, 1));
}

fn check_texts(files: &[(&str, &str)]) -> mlguard_posture::Report {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    mlguard_posture::check_paths(&[dir.path().to_path_buf()], &Options::default()).unwrap()
}

fn failed(r: &mlguard_posture::Report) -> Vec<(String, String)> {
    let mut v: Vec<_> = r
        .findings
        .iter()
        .map(|f| (f.check.id.to_owned(), f.resource.clone()))
        .collect();
    v.sort();
    v
}

#[test]
fn templates_reusing_a_logical_id_are_different_resources() {
    let secure = "Resources:\n  DataBucket:\n    Type: AWS::S3::Bucket\n    Properties:\n      VersioningConfiguration: {Status: Enabled}\n      LoggingConfiguration: {DestinationBucketName: logs}\n      BucketEncryption:\n        ServerSideEncryptionConfiguration:\n          - ServerSideEncryptionByDefault: {SSEAlgorithm: 'aws:kms', KMSMasterKeyID: arn:aws:kms:us-east-1:111122223333:key/k}\n  Key:\n    Type: AWS::KMS::Key\n    Properties: {EnableKeyRotation: true}\n";
    let open = "Resources:\n  DataBucket:\n    Type: AWS::S3::Bucket\n    Properties:\n      PublicAccessBlockConfiguration: {BlockPublicAcls: false, IgnorePublicAcls: false, BlockPublicPolicy: false, RestrictPublicBuckets: false}\n  Key:\n    Type: AWS::KMS::Key\n";
    let r = check_texts(&[("a.yaml", secure), ("b.yaml", open)]);
    let got = failed(&r);
    assert!(
        got.contains(&("s3-bucket-public-access-block".into(), "DataBucket".into())),
        "{got:?}"
    );
    assert!(
        got.contains(&("kms-key-rotation".into(), "Key".into())),
        "{got:?}"
    );
    assert!(
        r.findings
            .iter()
            .filter(|f| f.check.id == "s3-bucket-public-access-block")
            .all(|f| f.origin.file.ends_with("b.yaml"))
    );
}

#[test]
fn names_from_parameters_without_defaults_stand_as_logical_ids() {
    let t = "Parameters:\n  Name: {Type: String}\n  RoleName: {Type: String}\nResources:\n  A:\n    Type: AWS::S3::Bucket\n    Properties: {BucketName: !Ref Name}\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: !Sub '${Name}-b'\n      PublicAccessBlockConfiguration: {BlockPublicAcls: false, IgnorePublicAcls: false, BlockPublicPolicy: false, RestrictPublicBuckets: false}\n  Role:\n    Type: AWS::IAM::Role\n    Properties:\n      RoleName: !Ref RoleName\n      AssumeRolePolicyDocument: {Statement: [{Effect: Allow, Principal: {Service: sagemaker.amazonaws.com}, Action: 'sts:AssumeRole'}]}\n  Admin:\n    Type: AWS::IAM::Policy\n    Properties:\n      PolicyName: admin\n      Roles: [!Ref Role]\n      PolicyDocument: {Statement: [{Effect: Allow, Action: '*', Resource: '*'}]}\n";
    let r = check_texts(&[("t.yaml", t)]);
    let got = failed(&r);
    assert!(
        got.contains(&("s3-bucket-public-access-block".into(), "B".into())),
        "{got:?}"
    );
    assert!(
        got.contains(&("iam-execution-role-wildcard".into(), "Role".into())),
        "{got:?}"
    );
    assert!(
        r.findings
            .iter()
            .all(|f| !f.resource.contains('\u{1}') && !f.message.contains('\u{1}'))
    );
}

#[test]
fn managed_policies_by_arn_and_by_ref_are_judged() {
    let trust = "AssumeRolePolicyDocument: {Statement: [{Effect: Allow, Principal: {Service: sagemaker.amazonaws.com}, Action: 'sts:AssumeRole'}]}";
    let by_ref = format!(
        "Resources:\n  P:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      PolicyDocument: {{Statement: [{{Effect: Allow, Action: '*', Resource: '*'}}]}}\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      {trust}\n      ManagedPolicyArns: [!Ref P]\n"
    );
    let by_arn = format!(
        "Resources:\n  R2:\n    Type: AWS::IAM::Role\n    Properties:\n      {trust}\n      ManagedPolicyArns: ['arn:aws:iam::aws:policy/AdministratorAccess']\n  R3:\n    Type: AWS::IAM::Role\n    Properties:\n      {trust}\n      ManagedPolicyArns: ['arn:aws:iam::aws:policy/AmazonSageMakerFullAccess']\n"
    );
    let r = check_texts(&[("ref.yaml", &by_ref), ("arn.yaml", &by_arn)]);
    let got = failed(&r);
    for role in ["R", "R2"] {
        assert!(
            got.contains(&("iam-execution-role-wildcard".into(), role.into())),
            "{got:?}"
        );
        assert!(
            got.contains(&("iam-execution-role-escalation".into(), role.into())),
            "{got:?}"
        );
    }
    // A managed policy whose document is not in the input: undetermined.
    assert!(
        r.undetermined
            .iter()
            .any(|u| u.resource == "R3" && u.check.id == "iam-execution-role-wildcard")
    );
    assert!(!got.iter().any(|(_, res)| res == "R3"), "{got:?}");
}

#[test]
fn names_built_from_names_do_not_blow_up() {
    let mut t = String::from(
        "Resources:\n  B0:\n    Type: AWS::S3::Bucket\n    Properties: {BucketName: x}\n",
    );
    for i in 1..=40 {
        t.push_str(&format!(
            "  B{i}:\n    Type: AWS::S3::Bucket\n    Properties: {{BucketName: !Sub '${{B{p}}}${{B{p}}}'}}\n",
            p = i - 1
        ));
    }
    // Unbounded, this is 2^40 copies of "x" (and never returns).
    let scope = read_text("t.yaml", &t, true).unwrap();
    assert_eq!(scope.buckets.len(), 41);
    // Past 64 KiB a name is unknown and stands as its logical id.
    assert!(scope.buckets.iter().all(|b| b.name.len() <= 64 * 1024));
    assert!(scope.buckets.iter().any(|b| b.name.starts_with('B')));
}

#[test]
fn flow_logs_are_judged_per_source() {
    // A template's VPC with its own flow log; describe-vpcs without
    // describe-flow-logs: the listed VPC is not judged.
    let stack = "Resources:\n  Vpc:\n    Type: AWS::EC2::VPC\n    Properties: {CidrBlock: 10.0.0.0/16}\n  Log:\n    Type: AWS::EC2::FlowLog\n    Properties: {ResourceId: !Ref Vpc, ResourceType: VPC, TrafficType: ALL}\n";
    let vpcs =
        r#"{"Vpcs": [{"VpcId": "vpc-0abc", "CidrBlock": "10.1.0.0/16", "State": "available"}]}"#;
    let r = check_texts(&[("stack.yaml", stack), ("vpcs.json", vpcs)]);
    assert!(failed(&r).is_empty(), "{:?}", failed(&r));
    assert_eq!(r.evaluated.get("vpc-flow-logs"), Some(&1));
    // With describe-flow-logs listing none for it, it fails.
    let r = check_texts(&[
        ("stack.yaml", stack),
        ("vpcs.json", vpcs),
        ("fl.json", r#"{"FlowLogs": []}"#),
    ]);
    assert_eq!(
        failed(&r),
        [("vpc-flow-logs".to_owned(), "vpc-0abc".to_owned())]
    );
}

#[test]
fn identity_policy_files_are_not_resource_policies() {
    let identity = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "kms:Decrypt"], "Resource": "arn:aws:s3:::training-data/*"}]}"#;
    let bucket = r#"{"Policy": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:*\",\"Resource\":[\"arn:aws:s3:::training-data\",\"arn:aws:s3:::training-data/*\"],\"Condition\":{\"Bool\":{\"aws:SecureTransport\":\"false\"}}}]}"}"#;
    let r = check_texts(&[
        ("a-role-policy.json", identity),
        ("training-data.policy.json", bucket),
    ]);
    assert!(
        r.findings.is_empty() && r.undetermined.is_empty(),
        "{:?} {:?}",
        failed(&r),
        r.undetermined
    );
    assert_eq!(r.skipped.len(), 1);
}

#[test]
fn sdk_model_arguments_are_a_model() {
    let model = r#"{"role": "arn:aws:iam::111122223333:role/inference", "image_uri": "x", "model_data": "s3://m/model.tar.gz", "name": "churn", "enable_network_isolation": true, "vpc_config": {"Subnets": ["subnet-1"], "SecurityGroupIds": ["sg-1"]}}"#;
    let scope = read_text("model.json", model, false).unwrap();
    assert_eq!((scope.models.len(), scope.jobs.len()), (1, 0));
    assert!(ids(&scope).is_empty(), "{:?}", ids(&scope));
}

#[test]
fn terraform_instances_pair_by_key() {
    let plan = r#"{
      "format_version": "1.2",
      "planned_values": {"root_module": {"resources": [
        {"address": "aws_s3_bucket.data[0]", "mode": "managed", "type": "aws_s3_bucket", "name": "data", "index": 0, "values": {}},
        {"address": "aws_s3_bucket.data[1]", "mode": "managed", "type": "aws_s3_bucket", "name": "data", "index": 1, "values": {}},
        {"address": "aws_s3_bucket_public_access_block.pab[0]", "mode": "managed", "type": "aws_s3_bucket_public_access_block", "name": "pab", "index": 0,
         "values": {"block_public_acls": true, "ignore_public_acls": true, "block_public_policy": true, "restrict_public_buckets": true}},
        {"address": "aws_s3_bucket_public_access_block.pab[1]", "mode": "managed", "type": "aws_s3_bucket_public_access_block", "name": "pab", "index": 1,
         "values": {"block_public_acls": false, "ignore_public_acls": false, "block_public_policy": false, "restrict_public_buckets": false}}
      ]}},
      "resource_changes": [
        {"address": "aws_s3_bucket.data[0]", "change": {"after_unknown": {"bucket": true}}},
        {"address": "aws_s3_bucket.data[1]", "change": {"after_unknown": {"bucket": true}}},
        {"address": "aws_s3_bucket_public_access_block.pab[0]", "change": {"after_unknown": {"bucket": true}}},
        {"address": "aws_s3_bucket_public_access_block.pab[1]", "change": {"after_unknown": {"bucket": true}}}
      ],
      "configuration": {"root_module": {"resources": [
        {"address": "aws_s3_bucket_public_access_block.pab", "type": "aws_s3_bucket_public_access_block",
         "expressions": {"bucket": {"references": ["aws_s3_bucket.data[count.index].id", "aws_s3_bucket.data"]}}}
      ]}}
    }"#;
    let scope = read_text("p.json", plan, false).unwrap();
    let got = ids(&scope);
    let pab: Vec<_> = got
        .iter()
        .filter(|(c, _)| c == "s3-bucket-public-access-block")
        .collect();
    assert_eq!(
        pab,
        [&(
            "s3-bucket-public-access-block".to_owned(),
            "aws_s3_bucket.data[1]".to_owned()
        )],
        "{got:?}"
    );
}

#[test]
fn resources_whose_condition_is_false_are_not_created() {
    let t = "Parameters:\n  Env: {Type: String, Default: prod}\nConditions:\n  IsDev: !Equals [!Ref Env, dev]\nResources:\n  Scratch:\n    Type: AWS::SageMaker::NotebookInstance\n    Condition: IsDev\n    Properties: {InstanceType: ml.t3.medium, RoleArn: arn:aws:iam::111122223333:role/x}\n";
    assert!(read_text("t.yaml", t, true).unwrap().notebooks.is_empty());
    let t = t.replace("Default: prod", "Default: dev");
    assert_eq!(read_text("t.yaml", &t, true).unwrap().notebooks.len(), 1);
}

#[test]
fn mappings_that_multiply_into_each_other_resolve_in_bounded_work() {
    // M{i}.k.v is eight FindInMaps into M{i+1}: 8^12 values if expanded.
    let mut mappings = serde_json::Map::new();
    for i in 0..12 {
        let next = serde_json::json!({"Fn::FindInMap": [format!("M{}", i + 1), "k", "v"]});
        mappings.insert(
            format!("M{i}"),
            serde_json::json!({"k": {"v": vec![next; 8]}}),
        );
    }
    mappings.insert("M12".into(), serde_json::json!({"k": {"v": "leaf"}}));
    let template = serde_json::json!({
        "Mappings": mappings,
        "Resources": {"Data": {"Type": "AWS::S3::Bucket", "Properties": {
            "Tags": {"Fn::FindInMap": ["M0", "k", "v"]}}}},
    });
    // (Unbounded, this expansion took minutes and gigabytes: that it ends is
    // the test.)
    let scope = read_text("bomb.json", &template.to_string(), true).unwrap();
    assert_eq!(scope.buckets.len(), 1);
}
