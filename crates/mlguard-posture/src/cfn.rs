//! CloudFormation templates (JSON or YAML): the resources the checks read,
//! with intrinsic functions resolved where they can be (see
//! [`crate::intrinsics`]). A template is its resources' whole configuration:
//! a bucket without `PublicAccessBlockConfiguration` gets what S3 gives new
//! buckets (all four settings on, since April 2023), a bucket without
//! `BucketEncryption` gets SSE-S3 (since January 2023), a key without
//! `EnableKeyRotation` is not rotated.

use serde_json::Value;

use crate::awscli;
use crate::intrinsics::Template;
use crate::model::{Bucket, Field, KmsKey, Origin, Role, Scope, Secret, Trail, Vpc};
use crate::sagemaker;

/// Whether a document is a CloudFormation template.
pub fn recognize(v: &Value) -> bool {
    v.get("AWSTemplateFormatVersion").is_some()
        || v.get("Resources")
            .and_then(Value::as_object)
            .is_some_and(|r| {
                !r.is_empty()
                    && r.values().all(|x| {
                        x.get("Type")
                            .and_then(Value::as_str)
                            .is_some_and(|t| t.contains("::"))
                    })
            })
}

/// The 1-based line where each key is first declared (`Key:` in YAML,
/// `"Key"` in JSON), from one pass over the text.
pub fn key_lines(text: &str) -> std::collections::HashMap<&str, usize> {
    let mut out = std::collections::HashMap::new();
    for (i, l) in text.lines().enumerate() {
        let t = l.trim_start();
        let key = if let Some(q) = t.strip_prefix('"') {
            q.split_once('"').map(|(k, _)| k)
        } else {
            t.split_once(':')
                .map(|(k, _)| k)
                .filter(|k| !k.contains(char::is_whitespace))
        };
        if let Some(k) = key {
            out.entry(k).or_insert(i + 1);
        }
    }
    out
}

fn canonical_role_arn(name: &str) -> String {
    format!("arn:aws:iam::${{AWS::AccountId}}:role/{name}")
}

/// Reads a template's resources into `scope`.
pub fn read(file: &str, text: &str, doc: &Value, scope: &mut Scope) {
    let t = Template::new(doc);
    let Some(resources) = doc.get("Resources").and_then(Value::as_object) else {
        return;
    };
    let lines = key_lines(text);
    let origin = |logical: &str| Origin {
        file: file.to_owned(),
        path: format!("Resources.{logical}"),
        line: lines.get(logical).copied().unwrap_or(0),
    };
    // Policies attached by their own resources, applied once roles are read.
    let mut role_policies: Vec<(Vec<String>, String, Value)> = Vec::new();
    let mut rotated: Vec<String> = Vec::new();
    let mut bucket_policies: Vec<(String, Value)> = Vec::new();
    // Customer managed policies by the name their `Ref` stands for.
    let mut managed: Vec<(String, Value)> = Vec::new();
    for (logical, r) in resources {
        let Some(ty) = r.get("Type").and_then(Value::as_str) else {
            continue;
        };
        // `Condition: IsProd` that is known false: the resource is not created.
        if r.get("Condition")
            .and_then(Value::as_str)
            .is_some_and(|c| t.is_false(c))
        {
            continue;
        }
        let props = t.resolve(r.get("Properties").unwrap_or(&Value::Null));
        let props = if props.is_object() {
            props
        } else {
            Value::Object(serde_json::Map::new())
        };
        // A physical name the template gives (else the logical id), and
        // whether it was given: only given names join across files.
        let named = |k: &str| {
            props
                .get(k)
                .and_then(Value::as_str)
                .filter(|s| !crate::intrinsics::is_unknown(s))
                .map(str::to_owned)
        };
        let str_of = |k: &str| named(k).unwrap_or_else(|| logical.clone());
        let join_of = |k: &str| {
            if named(k).is_some() {
                String::new()
            } else {
                format!("{file}#{logical}")
            }
        };
        match ty {
            "AWS::SageMaker::NotebookInstance" => {
                sagemaker::read("notebook", &props, logical, origin(logical), scope);
            }
            "AWS::SageMaker::Model" => {
                sagemaker::read("model", &props, logical, origin(logical), scope);
            }
            "AWS::SageMaker::EndpointConfig" => {
                sagemaker::read("endpoint-config", &props, logical, origin(logical), scope);
            }
            "AWS::SageMaker::DataQualityJobDefinition"
            | "AWS::SageMaker::ModelQualityJobDefinition"
            | "AWS::SageMaker::ModelBiasJobDefinition"
            | "AWS::SageMaker::ModelExplainabilityJobDefinition" => {
                sagemaker::read("monitoring-job", &props, logical, origin(logical), scope);
            }
            "AWS::SageMaker::Domain" => {
                sagemaker::read("domain", &props, logical, origin(logical), scope);
            }
            "AWS::S3::Bucket" => {
                let encryption = match props.get("BucketEncryption") {
                    Some(e) => {
                        awscli::encryption(e.get("ServerSideEncryptionConfiguration").unwrap_or(e))
                    }
                    None => crate::model::Encryption {
                        algorithm: Field::Known("AES256".into()),
                        kms_key: Field::Absent,
                    },
                };
                let pab = match props.get("PublicAccessBlockConfiguration") {
                    Some(p) => awscli::public_access_block(p),
                    None => std::array::from_fn(|_| Field::Known(Value::Bool(true))),
                };
                let versioning = props.pointer("/VersioningConfiguration/Status").map_or(
                    Field::Known(Value::Bool(false)),
                    |s| match Field::of(Some(s)) {
                        Field::Unknown => Field::Unknown,
                        f => Field::Known(Value::Bool(f.as_str() == Some("Enabled"))),
                    },
                );
                scope.add_bucket(Bucket {
                    name: str_of("BucketName"),
                    join: join_of("BucketName"),
                    encryption: Some(encryption),
                    policy: Some(None),
                    public_access_block: Some(pab),
                    versioning: Some(versioning),
                    access_logging: Some(Field::Known(Value::Bool(
                        props.get("LoggingConfiguration").is_some(),
                    ))),
                    origin: origin(logical),
                });
            }
            "AWS::S3::BucketPolicy" => {
                if let (Some(b), Some(p)) = (
                    props.get("Bucket").and_then(Value::as_str),
                    props.get("PolicyDocument"),
                ) {
                    bucket_policies.push((b.to_owned(), p.clone()));
                }
            }
            "AWS::KMS::Key" => scope.add_key(KmsKey {
                id: logical.clone(),
                join: format!("{file}#{logical}"),
                manager: Field::Known("CUSTOMER".into()),
                spec: match Field::of(props.get("KeySpec")) {
                    Field::Absent => Field::Known("SYMMETRIC_DEFAULT".into()),
                    f => f,
                },
                key_origin: match Field::of(props.get("Origin")) {
                    Field::Absent => Field::Known("AWS_KMS".into()),
                    f => f,
                },
                rotation: match Field::of(props.get("EnableKeyRotation")) {
                    Field::Absent => Field::Known(Value::Bool(false)),
                    f => f,
                },
                policy: props.get("KeyPolicy").cloned(),
                origin: origin(logical),
            }),
            "AWS::SecretsManager::Secret" => scope.secrets.push(Secret {
                name: str_of("Name"),
                rotation: Field::Known(Value::Bool(false)),
                origin: origin(logical),
            }),
            "AWS::SecretsManager::RotationSchedule" => {
                if let Some(s) = props.get("SecretId").and_then(Value::as_str) {
                    rotated.push(s.to_owned());
                }
            }
            "AWS::IAM::Role" => {
                let name = str_of("RoleName");
                let policies = props
                    .get("Policies")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|p| {
                        Some((
                            p.get("PolicyName")?.as_str()?.to_owned(),
                            p.get("PolicyDocument")?.clone(),
                        ))
                    })
                    .collect();
                scope.roles.push(Role {
                    arn: canonical_role_arn(&name),
                    name,
                    trust: props.get("AssumeRolePolicyDocument").cloned(),
                    policies,
                    managed_arns: Field::of(props.get("ManagedPolicyArns")).strings(),
                    origin: origin(logical),
                });
            }
            "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" | "AWS::IAM::RolePolicy" => {
                let roles = match ty {
                    "AWS::IAM::RolePolicy" => Field::of(props.get("RoleName")).strings(),
                    _ => Field::of(props.get("Roles")).strings(),
                };
                if let (true, Some(doc)) =
                    (ty == "AWS::IAM::ManagedPolicy", props.get("PolicyDocument"))
                {
                    managed.push((str_of("ManagedPolicyName"), doc.clone()));
                }
                if let Some(doc) = props.get("PolicyDocument") {
                    let name = props
                        .get("PolicyName")
                        .or_else(|| props.get("ManagedPolicyName"))
                        .and_then(Value::as_str)
                        .unwrap_or(logical);
                    role_policies.push((roles, name.to_owned(), doc.clone()));
                }
            }
            "AWS::CloudTrail::Trail" => {
                scope.trails_listed.get_or_insert_with(|| origin(logical));
                scope.trails.push(Trail {
                    name: str_of("TrailName"),
                    join: join_of("TrailName"),
                    logging: Field::of(props.get("IsLogging")),
                    multi_region: Field::of(props.get("IsMultiRegionTrail")),
                    log_validation: Field::of(props.get("EnableLogFileValidation")),
                    kms_key: Field::of(props.get("KMSKeyId")),
                    origin: origin(logical),
                });
            }
            "AWS::EC2::VPC" => {
                scope.vpcs.push(Vpc {
                    template: true,
                    id: logical.clone(),
                    origin: origin(logical),
                });
            }
            "AWS::EC2::FlowLog" => {
                let is_vpc = props
                    .get("ResourceType")
                    .and_then(Value::as_str)
                    .is_none_or(|t| t == "VPC");
                // `Ref` to a VPC resolves to its logical id here (see Template).
                if let (true, Some(id)) = (is_vpc, props.get("ResourceId").and_then(Value::as_str))
                {
                    scope.flow_logs.push((id.to_owned(), Some(file.to_owned())));
                }
            }
            _ => {}
        }
    }
    // `ManagedPolicyArns: [!Ref Policy]` names a policy of this template.
    for role in &mut scope.roles {
        let mut still = Vec::new();
        for arn in std::mem::take(&mut role.managed_arns) {
            let tail = arn.rsplit('/').next().unwrap_or(&arn).to_owned();
            match managed.iter().find(|(n, _)| *n == arn || *n == tail) {
                Some((n, doc)) => role.policies.push((n.clone(), doc.clone())),
                None => still.push(arn),
            }
        }
        role.managed_arns = still;
    }
    for (roles, name, doc) in role_policies {
        for r in &roles {
            if let Some(role) = scope.roles.iter_mut().find(|x| &x.name == r) {
                role.policies.push((name.clone(), doc.clone()));
            }
        }
    }
    for s in rotated {
        for secret in scope.secrets.iter_mut().filter(|x| x.name == s) {
            secret.rotation = Field::Known(Value::Bool(true));
        }
    }
    for (b, doc) in bucket_policies {
        if let Some(bucket) = scope.buckets.iter_mut().find(|x| x.name == b) {
            bucket.policy = Some(Some(doc));
        } else {
            // A policy on a bucket the template does not create.
            scope.add_bucket(Bucket {
                name: b,
                policy: Some(Some(doc)),
                ..Bucket::default()
            });
        }
    }
}
