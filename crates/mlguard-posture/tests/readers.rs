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
