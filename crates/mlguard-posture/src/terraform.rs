//! Terraform plans (`terraform show -json PLAN`): the planned values of every
//! module's resources, with values known only after apply (`after_unknown`)
//! marked unknown, and references between resources (`configuration`'s
//! expressions) used to join a bucket to its policy, encryption and public
//! access block, a secret to its rotation, a role to its policies, and a
//! SageMaker resource to the role it runs as.

use std::collections::HashMap;

use serde_json::Value;

use crate::intrinsics::UNKNOWN;
use crate::model::{Bucket, Encryption, Field, KmsKey, Origin, Role, Scope, Secret, Trail, Vpc};

/// Whether a document is a Terraform plan.
pub fn recognize(v: &Value) -> bool {
    v.get("planned_values").is_some()
        || (v.get("format_version").is_some() && v.get("resource_changes").is_some())
}

struct Resource {
    address: String,
    ty: String,
    values: Value,
    /// Attribute → the addresses of the resources its expression references.
    refs: HashMap<String, Vec<String>>,
}

fn collect(module: &Value, out: &mut Vec<(String, String, Value)>) {
    for r in module
        .get("resources")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if r.get("mode").and_then(Value::as_str) == Some("data") {
            continue;
        }
        if let (Some(a), Some(t)) = (
            r.get("address").and_then(Value::as_str),
            r.get("type").and_then(Value::as_str),
        ) {
            out.push((
                a.to_owned(),
                t.to_owned(),
                r.get("values").cloned().unwrap_or(Value::Null),
            ));
        }
    }
    for child in module
        .get("child_modules")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        collect(child, out);
    }
}

/// Marks what `after_unknown` says is known only after apply.
fn mark_unknown(values: &mut Value, unknown: &Value) {
    match (values, unknown) {
        (Value::Object(v), Value::Object(u)) => {
            for (k, flag) in u {
                match flag {
                    Value::Bool(true) => {
                        v.insert(k.clone(), Value::String(UNKNOWN.to_owned()));
                    }
                    Value::Object(_) | Value::Array(_) => {
                        if let Some(inner) = v.get_mut(k) {
                            mark_unknown(inner, flag);
                        }
                    }
                    _ => {}
                }
            }
        }
        (Value::Array(v), Value::Array(u)) => {
            for (x, flag) in v.iter_mut().zip(u) {
                if flag == &Value::Bool(true) {
                    *x = Value::String(UNKNOWN.to_owned());
                } else {
                    mark_unknown(x, flag);
                }
            }
        }
        _ => {}
    }
}

/// Attribute references of the configuration's resources, by address.
fn references(
    module: &Value,
    prefix: &str,
    out: &mut HashMap<String, HashMap<String, Vec<String>>>,
) {
    for r in module
        .get("resources")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(a) = r.get("address").and_then(Value::as_str) else {
            continue;
        };
        let mut attrs = HashMap::new();
        if let Some(e) = r.get("expressions").and_then(Value::as_object) {
            for (k, expr) in e {
                let mut refs = Vec::new();
                gather_refs(expr, prefix, &mut refs);
                if !refs.is_empty() {
                    attrs.insert(k.clone(), refs);
                }
            }
        }
        out.insert(format!("{prefix}{a}"), attrs);
    }
    if let Some(calls) = module.get("module_calls").and_then(Value::as_object) {
        for (name, call) in calls {
            if let Some(m) = call.get("module") {
                references(m, &format!("{prefix}module.{name}."), out);
            }
        }
    }
}

fn gather_refs(expr: &Value, prefix: &str, out: &mut Vec<String>) {
    match expr {
        Value::Object(m) => {
            if let Some(Value::Array(r)) = m.get("references") {
                for x in r.iter().filter_map(Value::as_str) {
                    out.push(format!("{prefix}{x}"));
                }
            }
            for (k, v) in m {
                if k != "references" {
                    gather_refs(v, prefix, out);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|v| gather_refs(v, prefix, out)),
        _ => {}
    }
}

fn first<'v>(v: &'v Value, key: &str) -> Option<&'v Value> {
    match v.get(key)? {
        Value::Array(a) => a.first(),
        o => Some(o),
    }
}

fn json_string(v: Option<&Value>) -> Option<Value> {
    match v? {
        Value::String(s) if !crate::intrinsics::is_unknown(s) => serde_json::from_str(s).ok(),
        Value::Object(o) => Some(Value::Object(o.clone())),
        _ => None,
    }
}

/// The line of a resource's address in the plan text (its `"address"` member).
/// The 1-based line of each resource address's first `"address"` member,
/// from one pass over the text.
fn address_lines(text: &str) -> HashMap<String, usize> {
    let mut out = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let Some(at) = line.find("\"address\"") else {
            continue;
        };
        let rest = line.get(at + 9..).unwrap_or_default().trim_start();
        let Some(rest) = rest.strip_prefix(':') else {
            continue;
        };
        let Ok(Value::String(address)) = serde_json::Deserializer::from_str(rest.trim_start())
            .into_iter::<Value>()
            .next()
            .unwrap_or(Ok(Value::Null))
        else {
            continue;
        };
        out.entry(address).or_insert(i + 1);
    }
    out
}

/// Reads a plan's resources into `scope`.
pub fn read(file: &str, text: &str, doc: &Value, scope: &mut Scope) {
    let mut raw = Vec::new();
    if let Some(root) = doc.pointer("/planned_values/root_module") {
        collect(root, &mut raw);
    }
    let mut unknown: HashMap<&str, &Value> = HashMap::new();
    for rc in doc
        .get("resource_changes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let (Some(a), Some(u)) = (
            rc.get("address").and_then(Value::as_str),
            rc.pointer("/change/after_unknown"),
        ) {
            unknown.insert(a, u);
        }
    }
    let mut refs = HashMap::new();
    if let Some(root) = doc.pointer("/configuration/root_module") {
        references(root, "", &mut refs);
    }
    let resources: Vec<Resource> = raw
        .into_iter()
        .map(|(address, ty, mut values)| {
            if let Some(u) = unknown.get(address.as_str()) {
                mark_unknown(&mut values, u);
            }
            // Instances of count/for_each share their configuration's references.
            let config_address = strip_index(&address);
            Resource {
                refs: refs.get(&config_address).cloned().unwrap_or_default(),
                address,
                ty,
                values,
            }
        })
        .collect();
    let mut by_address: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, r) in resources.iter().enumerate() {
        by_address
            .entry(strip_index(&r.address))
            .or_default()
            .push(i);
    }
    Plan {
        file,
        lines: address_lines(text),
        resources: &resources,
        by_address,
        by_value: std::cell::RefCell::new(HashMap::new()),
    }
    .read(scope);
}

/// The instance key of an address: `[1]` of `aws_s3_bucket.data[1]`
/// (empty without count/for_each).
fn instance_key(address: &str) -> &str {
    match (address.ends_with(']'), address.rfind('[')) {
        (true, Some(i)) => address.get(i..).unwrap_or_default(),
        _ => "",
    }
}

/// `aws_s3_bucket.data[0]` → `aws_s3_bucket.data` (and in modules).
fn strip_index(address: &str) -> String {
    let mut out = String::with_capacity(address.len());
    let mut depth = 0u32;
    for c in address.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            c if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

struct Plan<'p> {
    file: &'p str,
    /// Resource address → line.
    lines: HashMap<String, usize>,
    resources: &'p [Resource],
    /// Address without instance keys → resources (several with count/for_each).
    by_address: HashMap<String, Vec<usize>>,
    /// (type, attribute) → value → resource, built on first use.
    by_value: std::cell::RefCell<HashMap<(String, String), HashMap<String, usize>>>,
}

impl Plan<'_> {
    fn origin(&self, r: &Resource) -> Origin {
        Origin {
            file: self.file.to_owned(),
            path: r.address.clone(),
            line: self.lines.get(&r.address).copied().unwrap_or(0),
        }
    }

    /// The resource of type `ty` an attribute names: by a known value equal
    /// to `key_attr`, or through the expression's references.
    fn target<'r>(
        &'r self,
        r: &Resource,
        attr: &str,
        ty: &str,
        key_attr: &str,
    ) -> Option<&'r Resource> {
        let value = r.values.get(attr).and_then(Value::as_str);
        if let Some(v) = value.filter(|v| !crate::intrinsics::is_unknown(v)) {
            let mut cache = self.by_value.borrow_mut();
            let index = cache
                .entry((ty.to_owned(), key_attr.to_owned()))
                .or_insert_with(|| {
                    let mut m = HashMap::new();
                    for (i, x) in self.resources.iter().enumerate() {
                        if let (true, Some(k)) =
                            (x.ty == ty, x.values.get(key_attr).and_then(Value::as_str))
                        {
                            m.entry(k.to_owned()).or_insert(i);
                        }
                    }
                    m
                });
            if let Some(t) = index.get(v).and_then(|&i| self.resources.get(i)) {
                return Some(t);
            }
        }
        let refs = r.refs.get(attr)?;
        // A reference to one instance (`aws_s3_bucket.data[0]`) names it.
        if let Some(exact) = refs.iter().find_map(|a| {
            self.resources
                .get(*self.by_address.get(&strip_index(a))?.iter().find(|&&i| {
                    self.resources
                        .get(i)
                        .is_some_and(|x| x.ty == ty && x.address == *a)
                })?)
        }) {
            return Some(exact);
        }
        let candidates: Vec<&Resource> = refs
            .iter()
            .filter_map(|a| self.by_address.get(&strip_index(a)))
            .flatten()
            .filter_map(|&i| self.resources.get(i))
            .filter(|x| x.ty == ty)
            .collect();
        match candidates.as_slice() {
            [one] => Some(one),
            [] => None,
            // count/for_each on both sides: the instance with the same key
            // (`aws_s3_bucket_public_access_block.pab[1]` → `aws_s3_bucket.data[1]`).
            many => {
                let key = instance_key(&r.address);
                many.iter()
                    .copied()
                    .find(|x| !key.is_empty() && instance_key(&x.address) == key)
            }
        }
    }

    fn bucket_name(&self, r: &Resource) -> String {
        r.values
            .get("bucket")
            .and_then(Value::as_str)
            .filter(|b| !crate::intrinsics::is_unknown(b))
            .map_or_else(|| r.address.clone(), str::to_owned)
    }

    fn role_name(r: &Resource) -> String {
        r.values
            .get("name")
            .and_then(Value::as_str)
            .filter(|b| !crate::intrinsics::is_unknown(b))
            .map_or_else(|| r.address.clone(), str::to_owned)
    }

    /// A role attribute (`role_arn`, `execution_role_arn`): the literal ARN,
    /// or the ARN of the role resource it references.
    fn role_field(&self, r: &Resource, attr: &str) -> Field {
        match Field::of(r.values.get(attr)) {
            Field::Unknown | Field::Absent => self
                .role_referenced(r, attr)
                .unwrap_or_else(|| Field::of(r.values.get(attr))),
            f => f,
        }
    }

    /// The ARN of the role resource an attribute's expression references.
    fn role_referenced(&self, r: &Resource, attr: &str) -> Option<Field> {
        let role = self.target(r, attr, "aws_iam_role", "arn")?;
        Some(Field::Known(Value::String(format!(
            "arn:aws:iam::${{AWS::AccountId}}:role/{}",
            Self::role_name(role)
        ))))
    }

    fn read(&self, scope: &mut Scope) {
        for r in self.resources {
            let v = &r.values;
            let f = |k: &str| Field::of(v.get(k));
            let default = |k: &str, d: &str| match f(k) {
                Field::Absent => Field::Known(d.into()),
                x => x,
            };
            let name = |k: &str| {
                v.get(k)
                    .and_then(Value::as_str)
                    .filter(|s| !crate::intrinsics::is_unknown(s))
                    .map_or_else(|| r.address.clone(), str::to_owned)
            };
            match r.ty.as_str() {
                "aws_sagemaker_notebook_instance" => scope.notebooks.push(crate::model::Notebook {
                    name: name("name"),
                    role: self.role_field(r, "role_arn"),
                    direct_internet_access: default("direct_internet_access", "Enabled"),
                    root_access: default("root_access", "Enabled"),
                    subnet: f("subnet_id"),
                    kms_key: f("kms_key_id"),
                    imds_version: match Field::of(
                        first(v, "instance_metadata_service_configuration")
                            .and_then(|c| c.get("minimum_instance_metadata_service_version")),
                    ) {
                        Field::Absent => Field::Known("1".into()),
                        x => x,
                    },
                    origin: self.origin(r),
                }),
                "aws_sagemaker_model" => scope.models.push(crate::model::Model {
                    name: name("name"),
                    role: self.role_field(r, "execution_role_arn"),
                    subnets: Field::of(first(v, "vpc_config").and_then(|c| c.get("subnets"))),
                    network_isolation: f("enable_network_isolation"),
                    origin: self.origin(r),
                }),
                "aws_sagemaker_data_quality_job_definition" => {
                    let net = first(v, "network_config");
                    let vpc = net.and_then(|n| first(n, "vpc_config"));
                    let cluster =
                        first(v, "job_resources").and_then(|j| first(j, "cluster_config"));
                    scope.jobs.push(crate::model::Job {
                        processing: true,
                        name: name("name"),
                        role: self.role_field(r, "role_arn"),
                        subnets: Field::of(vpc.and_then(|c| c.get("subnets"))),
                        security_groups: Field::of(vpc.and_then(|c| c.get("security_group_ids"))),
                        network_isolation: Field::of(
                            net.and_then(|n| n.get("enable_network_isolation")),
                        ),
                        inter_container_encryption: Field::of(
                            net.and_then(|n| n.get("enable_inter_container_traffic_encryption")),
                        ),
                        volume_kms_key: Field::of(cluster.and_then(|c| c.get("volume_kms_key_id"))),
                        output_kms_key: Field::of(
                            first(v, "data_quality_job_output_config")
                                .and_then(|o| o.get("kms_key_id")),
                        ),
                        instance_count: cluster
                            .and_then(|c| c.get("instance_count"))
                            .and_then(Value::as_u64),
                        origin: self.origin(r),
                    });
                }
                "aws_sagemaker_endpoint_configuration" => {
                    scope.endpoint_configs.push(crate::model::EndpointConfig {
                        name: name("name"),
                        kms_key: f("kms_key_arn"),
                        origin: self.origin(r),
                    });
                }
                "aws_sagemaker_domain" => scope.domains.push(crate::model::Domain {
                    name: name("domain_name"),
                    app_network_access: default("app_network_access_type", "PublicInternetOnly"),
                    kms_key: f("kms_key_id"),
                    role: match Field::of(
                        first(v, "default_user_settings").and_then(|s| s.get("execution_role")),
                    ) {
                        Field::Known(x) => Field::Known(x),
                        // The role is referenced from inside the block.
                        _ => self
                            .role_referenced(r, "default_user_settings")
                            .unwrap_or_default(),
                    },
                    origin: self.origin(r),
                }),
                "aws_s3_bucket" => {
                    // The inline (deprecated) forms of encryption and policy.
                    let inline_sse = first(v, "server_side_encryption_configuration")
                        .and_then(|c| first(c, "rule"))
                        .and_then(|c| first(c, "apply_server_side_encryption_by_default"));
                    let named = v
                        .get("bucket")
                        .and_then(Value::as_str)
                        .is_some_and(|b| !crate::intrinsics::is_unknown(b));
                    scope.add_bucket(Bucket {
                        name: self.bucket_name(r),
                        join: if named {
                            String::new()
                        } else {
                            format!("{}#{}", self.file, r.address)
                        },
                        encryption: Some(match inline_sse {
                            Some(d) => Encryption {
                                algorithm: Field::of(d.get("sse_algorithm")),
                                kms_key: Field::of(d.get("kms_master_key_id")),
                            },
                            None => Encryption {
                                algorithm: Field::Known("AES256".into()),
                                kms_key: Field::Absent,
                            },
                        }),
                        policy: Some(json_string(v.get("policy"))),
                        public_access_block: Some(std::array::from_fn(|_| {
                            Field::Known(Value::Bool(true))
                        })),
                        // The inline (deprecated) blocks; the separate
                        // resources below override them.
                        versioning: Some(Field::Known(Value::Bool(
                            first(v, "versioning")
                                .and_then(|b| b.get("enabled"))
                                .and_then(Value::as_bool)
                                .unwrap_or(false),
                        ))),
                        access_logging: Some(Field::Known(Value::Bool(
                            first(v, "logging").is_some_and(|l| l.get("target_bucket").is_some()),
                        ))),
                        origin: self.origin(r),
                    });
                }
                "aws_kms_key" => scope.add_key(KmsKey {
                    id: r.address.clone(),
                    join: format!("{}#{}", self.file, r.address),
                    manager: Field::Known("CUSTOMER".into()),
                    spec: default("customer_master_key_spec", "SYMMETRIC_DEFAULT"),
                    key_origin: Field::Known("AWS_KMS".into()),
                    rotation: match f("enable_key_rotation") {
                        Field::Absent => Field::Known(Value::Bool(false)),
                        x => x,
                    },
                    policy: json_string(v.get("policy")),
                    origin: self.origin(r),
                }),
                "aws_secretsmanager_secret" => scope.secrets.push(Secret {
                    name: name("name"),
                    rotation: Field::Known(Value::Bool(false)),
                    origin: self.origin(r),
                }),
                "aws_iam_role" => {
                    let mut policies = Vec::new();
                    for p in v
                        .get("inline_policy")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        if let Some(doc) = json_string(p.get("policy")) {
                            let n = p.get("name").and_then(Value::as_str).unwrap_or("inline");
                            policies.push((n.to_owned(), doc));
                        }
                    }
                    // `managed_policy_arns = [aws_iam_policy.x.arn]`: unknown
                    // until applied, known by reference.
                    for p in self.resources.iter().filter(|x| {
                        x.ty == "aws_iam_policy"
                            && r.refs.get("managed_policy_arns").is_some_and(|refs| {
                                refs.iter()
                                    .any(|a| strip_index(a) == strip_index(&x.address))
                            })
                    }) {
                        if let Some(doc) = json_string(p.values.get("policy")) {
                            policies.push((p.address.clone(), doc));
                        }
                    }
                    let n = Self::role_name(r);
                    scope.roles.push(Role {
                        arn: format!("arn:aws:iam::${{AWS::AccountId}}:role/{n}"),
                        name: n,
                        trust: json_string(v.get("assume_role_policy")),
                        policies,
                        managed_arns: f("managed_policy_arns").strings(),
                        origin: self.origin(r),
                    });
                }
                "aws_cloudtrail" => {
                    scope.trails_listed.get_or_insert_with(|| self.origin(r));
                    scope.trails.push(Trail {
                        name: name("name"),
                        join: if v
                            .get("name")
                            .and_then(Value::as_str)
                            .is_some_and(|n| !crate::intrinsics::is_unknown(n))
                        {
                            String::new()
                        } else {
                            format!("{}#{}", self.file, r.address)
                        },
                        logging: default("enable_logging", "true"),
                        multi_region: f("is_multi_region_trail"),
                        log_validation: f("enable_log_file_validation"),
                        kms_key: f("kms_key_id"),
                        origin: self.origin(r),
                    });
                }
                "aws_vpc" => {
                    scope.vpcs.push(Vpc {
                        template: true,
                        id: r.address.clone(),
                        origin: self.origin(r),
                    });
                }
                _ => {}
            }
        }
        self.read_attachments(scope);
    }

    /// Resources that configure another: bucket policies, encryption and
    /// public access blocks, secret rotations, role policies, flow logs.
    fn read_attachments(&self, scope: &mut Scope) {
        for r in self.resources {
            let v = &r.values;
            match r.ty.as_str() {
                "aws_s3_bucket_policy"
                | "aws_s3_bucket_server_side_encryption_configuration"
                | "aws_s3_bucket_public_access_block"
                | "aws_s3_bucket_versioning"
                | "aws_s3_bucket_logging" => {
                    let name = match self.target(r, "bucket", "aws_s3_bucket", "bucket") {
                        Some(b) => self.bucket_name(b),
                        None => match v.get("bucket").and_then(Value::as_str) {
                            Some(b) if !crate::intrinsics::is_unknown(b) => b.to_owned(),
                            _ => continue,
                        },
                    };
                    let bucket = match scope.buckets.iter_mut().find(|b| b.name == name) {
                        Some(b) => b,
                        None => {
                            scope.add_bucket(Bucket {
                                name: name.clone(),
                                origin: self.origin(r),
                                ..Bucket::default()
                            });
                            let Some(b) = scope.buckets.iter_mut().find(|b| b.name == name) else {
                                continue;
                            };
                            b
                        }
                    };
                    match r.ty.as_str() {
                        "aws_s3_bucket_policy" => {
                            bucket.policy = Some(json_string(v.get("policy")))
                        }
                        "aws_s3_bucket_versioning" => {
                            let status = first(v, "versioning_configuration")
                                .map(|c| Field::of(c.get("status")))
                                .unwrap_or_default();
                            bucket.versioning = Some(match status {
                                Field::Unknown => Field::Unknown,
                                s => Field::Known(Value::Bool(s.as_str() == Some("Enabled"))),
                            });
                        }
                        "aws_s3_bucket_logging" => {
                            bucket.access_logging = Some(Field::Known(Value::Bool(true)));
                        }
                        "aws_s3_bucket_public_access_block" => {
                            bucket.public_access_block = Some(
                                [
                                    "block_public_acls",
                                    "ignore_public_acls",
                                    "block_public_policy",
                                    "restrict_public_buckets",
                                ]
                                .map(|k| {
                                    match Field::of(v.get(k)) {
                                        Field::Absent => Field::Known(Value::Bool(false)),
                                        f => f,
                                    }
                                }),
                            );
                        }
                        _ => {
                            let d = first(v, "rule")
                                .and_then(|c| first(c, "apply_server_side_encryption_by_default"));
                            bucket.encryption = Some(Encryption {
                                algorithm: Field::of(d.and_then(|d| d.get("sse_algorithm"))),
                                kms_key: Field::of(d.and_then(|d| d.get("kms_master_key_id"))),
                            });
                        }
                    }
                }
                "aws_secretsmanager_secret_rotation" => {
                    if let Some(s) = self.target(r, "secret_id", "aws_secretsmanager_secret", "arn")
                    {
                        let n = s
                            .values
                            .get("name")
                            .and_then(Value::as_str)
                            .filter(|x| !crate::intrinsics::is_unknown(x))
                            .map_or_else(|| s.address.clone(), str::to_owned);
                        for secret in scope.secrets.iter_mut().filter(|x| x.name == n) {
                            secret.rotation = Field::Known(Value::Bool(true));
                        }
                    }
                }
                "aws_iam_role_policy" | "aws_iam_role_policy_attachment" => {
                    let role = self
                        .target(r, "role", "aws_iam_role", "name")
                        .map(Self::role_name)
                        .or_else(|| v.get("role").and_then(Value::as_str).map(str::to_owned));
                    let Some(role) = role else { continue };
                    let Some(target) = scope.roles.iter_mut().find(|x| x.name == role) else {
                        continue;
                    };
                    if r.ty == "aws_iam_role_policy" {
                        if let Some(doc) = json_string(v.get("policy")) {
                            let n = v.get("name").and_then(Value::as_str).unwrap_or("inline");
                            target.policies.push((n.to_owned(), doc));
                        }
                    } else if let Some(p) = self.target(r, "policy_arn", "aws_iam_policy", "arn") {
                        if let Some(doc) = json_string(p.values.get("policy")) {
                            target.policies.push((p.address.clone(), doc));
                        }
                    } else if let Some(arn) = v.get("policy_arn").and_then(Value::as_str) {
                        target.managed_arns.push(arn.to_owned());
                    }
                }
                "aws_flow_log" => {
                    if let Some(vpc) = self.target(r, "vpc_id", "aws_vpc", "id") {
                        scope
                            .flow_logs
                            .push((vpc.address.clone(), Some(self.file.to_owned())));
                    } else if let Some(id) = v.get("vpc_id").and_then(Value::as_str) {
                        scope
                            .flow_logs
                            .push((id.to_owned(), Some(self.file.to_owned())));
                    }
                }
                _ => {}
            }
        }
    }
}
