//! SageMaker configurations in the API's shape (what boto3 and the aws CLI
//! send, what `describe-*` returns, CloudFormation's properties, which use
//! the same member names) and in the Python SDK's (Estimator and Processor
//! keyword arguments).

use serde_json::Value;

use crate::model::{Domain, EndpointConfig, Field, Job, Model, Notebook, Origin, Scope};

fn at<'v>(v: &'v Value, path: &[&str]) -> Option<&'v Value> {
    path.iter().try_fold(v, |v, k| v.get(*k))
}

fn field(v: &Value, path: &[&str]) -> Field {
    Field::of(at(v, path))
}

fn name(v: &Value, key: &str, fallback: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .filter(|s| !crate::intrinsics::is_unknown(s))
        .unwrap_or(fallback)
        .to_owned()
}

fn count(v: Option<&Value>) -> Option<u64> {
    let v = v?;
    v.as_u64().or_else(|| v.as_str()?.parse().ok())
}

/// Which SageMaker object an API-shaped JSON object is, if any.
pub fn recognize(v: &Value) -> Option<&'static str> {
    let has = |k: &str| v.get(k).is_some();
    if has("TrainingJobName") && (has("AlgorithmSpecification") || has("RoleArn")) {
        Some("training-job")
    } else if has("ProcessingJobName") && (has("ProcessingResources") || has("RoleArn")) {
        Some("processing-job")
    } else if has("JobDefinitionName") && has("JobResources") {
        Some("monitoring-job")
    } else if has("EndpointConfigName") && has("ProductionVariants") {
        Some("endpoint-config")
    } else if has("NotebookInstanceName") && (has("InstanceType") || has("RoleArn")) {
        Some("notebook")
    } else if has("DomainName") && (has("AuthMode") || has("DefaultUserSettings")) {
        Some("domain")
    } else if has("ModelName")
        && (has("PrimaryContainer") || has("Containers") || has("ExecutionRoleArn"))
    {
        Some("model")
    } else if has("role")
        && has("model_data")
        && !has("instance_count")
        && !has("entry_point")
        && !has("hyperparameters")
    {
        // sagemaker.model.Model(role=, image_uri=, model_data=, vpc_config=, ...)
        Some("sdk-model")
    } else if has("role") && (has("image_uri") || has("entry_point") || has("instance_type")) {
        Some("sdk")
    } else {
        None
    }
}

/// Reads an API-shaped object of the kind [`recognize`] named into `scope`.
/// `fallback` names the object when it carries no name (a CloudFormation
/// logical id).
pub fn read(kind: &str, v: &Value, fallback: &str, origin: Origin, scope: &mut Scope) {
    match kind {
        "training-job" => {
            let groups = v
                .pointer("/ResourceConfig/InstanceGroups")
                .and_then(Value::as_array);
            let instance_count = match groups {
                Some(g) if !g.is_empty() => {
                    Some(g.iter().filter_map(|g| count(g.get("InstanceCount"))).sum())
                }
                _ => count(at(v, &["ResourceConfig", "InstanceCount"])),
            };
            scope.jobs.push(Job {
                processing: false,
                name: name(v, "TrainingJobName", fallback),
                role: field(v, &["RoleArn"]),
                subnets: field(v, &["VpcConfig", "Subnets"]),
                security_groups: field(v, &["VpcConfig", "SecurityGroupIds"]),
                network_isolation: field(v, &["EnableNetworkIsolation"]),
                inter_container_encryption: field(v, &["EnableInterContainerTrafficEncryption"]),
                volume_kms_key: field(v, &["ResourceConfig", "VolumeKmsKeyId"]),
                output_kms_key: field(v, &["OutputDataConfig", "KmsKeyId"]),
                instance_count,
                origin,
            });
        }
        "processing-job" => scope.jobs.push(networked_job(
            v,
            name(v, "ProcessingJobName", fallback),
            "ProcessingResources",
            field(v, &["ProcessingOutputConfig", "KmsKeyId"]),
            origin,
        )),
        // Model Monitor's job definitions (data quality, model quality,
        // bias, explainability) run as processing jobs.
        "monitoring-job" => {
            let output = [
                "DataQualityJobOutputConfig",
                "ModelQualityJobOutputConfig",
                "ModelBiasJobOutputConfig",
                "ModelExplainabilityJobOutputConfig",
            ]
            .iter()
            .find_map(|k| v.get(*k));
            scope.jobs.push(networked_job(
                v,
                name(v, "JobDefinitionName", fallback),
                "JobResources",
                Field::of(output.and_then(|o| o.get("KmsKeyId"))),
                origin,
            ));
        }
        "model" => scope.models.push(Model {
            name: name(v, "ModelName", fallback),
            role: field(v, &["ExecutionRoleArn"]),
            subnets: field(v, &["VpcConfig", "Subnets"]),
            network_isolation: field(v, &["EnableNetworkIsolation"]),
            origin,
        }),
        "endpoint-config" => scope.endpoint_configs.push(EndpointConfig {
            name: name(v, "EndpointConfigName", fallback),
            kms_key: field(v, &["KmsKeyId"]),
            origin,
        }),
        "notebook" => scope.notebooks.push(Notebook {
            name: name(v, "NotebookInstanceName", fallback),
            role: field(v, &["RoleArn"]),
            direct_internet_access: field(v, &["DirectInternetAccess"]),
            root_access: field(v, &["RootAccess"]),
            subnet: field(v, &["SubnetId"]),
            kms_key: field(v, &["KmsKeyId"]),
            imds_version: field(
                v,
                &[
                    "InstanceMetadataServiceConfiguration",
                    "MinimumInstanceMetadataServiceVersion",
                ],
            ),
            origin,
        }),
        "domain" => scope.domains.push(Domain {
            name: name(v, "DomainName", fallback),
            app_network_access: field(v, &["AppNetworkAccessType"]),
            // CreateDomain calls it KmsKeyId; DescribeDomain and CloudFormation too
            // (the deprecated HomeEfsFileSystemKmsKeyId is its older name).
            kms_key: match field(v, &["KmsKeyId"]) {
                Field::Absent => field(v, &["HomeEfsFileSystemKmsKeyId"]),
                f => f,
            },
            role: field(v, &["DefaultUserSettings", "ExecutionRole"]),
            origin,
        }),
        "sdk" => read_sdk(v, fallback, origin, scope),
        "sdk-model" => scope.models.push(Model {
            name: name(v, "name", fallback),
            role: field(v, &["role"]),
            // vpc_config={"Subnets": [...], "SecurityGroupIds": [...]}
            subnets: field(v, &["vpc_config", "Subnets"]),
            network_isolation: field(v, &["enable_network_isolation"]),
            origin,
        }),
        _ => {}
    }
}

/// A processing-style job: network settings under `NetworkConfig`, the
/// cluster under `<resources>.ClusterConfig`.
fn networked_job(
    v: &Value,
    name: String,
    resources: &str,
    output_kms_key: Field,
    origin: Origin,
) -> Job {
    Job {
        processing: true,
        name,
        role: field(v, &["RoleArn"]),
        subnets: field(v, &["NetworkConfig", "VpcConfig", "Subnets"]),
        security_groups: field(v, &["NetworkConfig", "VpcConfig", "SecurityGroupIds"]),
        network_isolation: field(v, &["NetworkConfig", "EnableNetworkIsolation"]),
        inter_container_encryption: field(
            v,
            &["NetworkConfig", "EnableInterContainerTrafficEncryption"],
        ),
        volume_kms_key: field(v, &[resources, "ClusterConfig", "VolumeKmsKeyId"]),
        output_kms_key,
        instance_count: count(at(v, &[resources, "ClusterConfig", "InstanceCount"])),
        origin,
    }
}

/// The Python SDK's Estimator (`sagemaker.estimator.Estimator`, framework
/// estimators) or Processor keyword arguments, as JSON.
fn read_sdk(v: &Value, fallback: &str, origin: Origin, scope: &mut Scope) {
    // A Processor groups its network settings in `network_config`
    // (sagemaker.network.NetworkConfig); an Estimator takes them directly.
    let net = v.get("network_config");
    let processing = net.is_some() || v.get("processing_job_name").is_some();
    let src = net.unwrap_or(v);
    // The SDK's argument is `encrypt_inter_container_traffic`; the seed
    // document spells it `enable_inter_container_traffic_encryption`.
    let ice = match field(src, &["encrypt_inter_container_traffic"]) {
        Field::Absent => field(src, &["enable_inter_container_traffic_encryption"]),
        f => f,
    };
    let job_name = if processing {
        "processing_job_name"
    } else {
        "base_job_name"
    };
    scope.jobs.push(Job {
        processing,
        name: name(v, job_name, fallback),
        role: field(v, &["role"]),
        subnets: field(src, &["subnets"]),
        security_groups: field(src, &["security_group_ids"]),
        network_isolation: field(src, &["enable_network_isolation"]),
        inter_container_encryption: ice,
        volume_kms_key: field(v, &["volume_kms_key"]),
        output_kms_key: field(v, &["output_kms_key"]),
        instance_count: count(v.get("instance_count")),
        origin,
    });
}
