//! Everything a SageMaker training job, processing job or endpoint in VPC mode
//! needs from its subnets and security groups, checked path by path, with the
//! failure message the user would see for each gap.
//!
//! SageMaker creates the job's network interfaces in the given subnets with
//! the given groups and no public address. From there the container needs
//! S3 (data in, artifacts out: a gateway endpoint or a NAT gateway), ECR for
//! images pulled inside the VPC, CloudWatch Logs, STS, KMS and the SageMaker
//! API and runtime (interface endpoints with private DNS, or NAT), and — for
//! distributed training — every instance must reach every other on any port,
//! which takes a self-referencing rule in the job's group ("allow inbound
//! connections between members of the same security group").

use serde::Serialize;

use crate::Topology;
use crate::ip::proto;
use crate::reach::{Analysis, Dest, Query, QueryError, Source, analyze};

/// A service the job reaches, why, and what failing to reach it looks like.
struct Need {
    service: &'static str,
    /// Every job needs it (S3); the others are needed when the job's code
    /// calls the service from inside the VPC.
    required: bool,
    why: &'static str,
    /// The symptom when the route is missing.
    no_path: &'static str,
}

const NEEDS: &[Need] = &[
    Need {
        service: "s3",
        required: true,
        why: "training data in, model artifacts out",
        no_path: "\"Access denied to S3\" — ClientError: Data download failed: Please ensure that the subnet's route table has a route to an S3 VPC endpoint or a NAT device, and both the security groups and the subnet's network ACL allow outbound traffic to S3",
    },
    Need {
        service: "ecr.api",
        required: false,
        why: "image pulls from inside the VPC (processing containers, Studio, pipelines)",
        no_path: "\"Cannot pull Docker image\"",
    },
    Need {
        service: "ecr.dkr",
        required: false,
        why: "image layers from inside the VPC (with S3, which serves the layers)",
        no_path: "\"Cannot pull Docker image\"",
    },
    Need {
        service: "logs",
        required: false,
        why: "the container's logs in CloudWatch",
        no_path: "\"Training job stuck\" — no log stream appears, the SDK waits at Starting",
    },
    Need {
        service: "sts",
        required: false,
        why: "credentials for SDK calls made by the training code",
        no_path: "\"Connection timeout\" on sts.amazonaws.com from the training code",
    },
    Need {
        service: "kms",
        required: false,
        why: "KMS calls from the training code (client-side encryption, data keys)",
        no_path: "\"Connection timeout\" on kms.amazonaws.com from the training code",
    },
    Need {
        service: "sagemaker.api",
        required: false,
        why: "SageMaker API calls from inside the VPC (Pipelines, Experiments, Studio)",
        no_path: "\"Connection timeout\" on api.sagemaker.amazonaws.com",
    },
    Need {
        service: "sagemaker.runtime",
        required: false,
        why: "InvokeEndpoint from inside the VPC",
        no_path: "\"Connection timeout\" on runtime.sagemaker.amazonaws.com",
    },
];

/// The TCP port distributed training frameworks rendezvous on (PyTorch's
/// default); the self-reference check also looks at the rules themselves.
const RENDEZVOUS_PORT: u16 = 29500;

/// One checked requirement.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Requirement {
    /// `s3`, `ecr.api`, ..., or `distributed-training`.
    pub requirement: String,
    pub subnet: String,
    /// Whether the job fails without it (S3, instance-to-instance traffic,
    /// and every service named with `services`); the others matter when the
    /// job's code calls them.
    pub required: bool,
    pub reachable: bool,
    pub why: String,
    /// What the user would see when it fails.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub symptom: Option<String>,
    /// `endpoint`, `nat`, `internet` or `local`: how it gets there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    pub analysis: Analysis,
}

/// The whole check.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub subnets: Vec<String>,
    pub security_groups: Vec<String>,
    pub requirements: Vec<Requirement>,
    /// Problems with the groups themselves (no self-reference).
    pub findings: Vec<String>,
}

impl Report {
    /// Whether every requirement is met.
    #[must_use]
    pub fn ok(&self) -> bool {
        self.requirements.iter().all(|r| r.reachable || !r.required) && self.findings.is_empty()
    }
}

fn symptom(need: &Need, a: &Analysis) -> String {
    let code = a
        .explanations
        .first()
        .map(|e| e.explanation_code.as_str())
        .unwrap_or_default();
    let direction = a.explanations.first().and_then(|e| e.direction.as_deref());
    match (code, direction) {
        ("VPC_DNS_DISABLED", _) => "\"Could not resolve host\"".into(),
        ("ENI_SG_RULES_MISMATCH" | "SG_HAS_NO_RULES", Some("egress")) => {
            "\"Training job stuck\" — the security group blocks outbound HTTPS (443)".into()
        }
        _ => need.no_path.into(),
    }
}

fn via(a: &Analysis) -> String {
    let ids: Vec<&str> = a
        .forward_path_components
        .iter()
        .map(|c| c.component.id.as_str())
        .collect();
    if ids.iter().any(|i| i.starts_with("nat-")) {
        "nat".into()
    } else if ids.iter().any(|i| i.starts_with("vpce-")) {
        "endpoint".into()
    } else if ids.iter().any(|i| i.starts_with("igw-")) {
        "internet".into()
    } else {
        "local".into()
    }
}

/// Checks `subnets` with `groups` for everything SageMaker needs; `services`
/// narrows the list (empty: all), `distributed` adds the instance-to-instance
/// check.
pub fn check(
    t: &Topology,
    subnets: &[String],
    groups: &[String],
    services: &[String],
    distributed: bool,
) -> Result<Report, QueryError> {
    if subnets.is_empty() || subnets.len() > 16 {
        return Err(QueryError("a job's VpcConfig has 1 to 16 subnets".into()));
    }
    if groups.is_empty() || groups.len() > 5 {
        return Err(QueryError(
            "a job's VpcConfig has 1 to 5 security groups".into(),
        ));
    }
    for s in services {
        if !NEEDS.iter().any(|n| n.service == s) {
            return Err(QueryError(format!(
                "unknown service {s}; one of {}",
                NEEDS
                    .iter()
                    .map(|n| n.service)
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    let resolve = |x: &String| t.resolve_name(x).unwrap_or_else(|| x.clone());
    let subnets: Vec<String> = subnets.iter().map(resolve).collect();
    let groups: Vec<String> = groups.iter().map(resolve).collect();
    let (subnets, groups) = (subnets.as_slice(), groups.as_slice());
    let mut requirements = Vec::new();
    for subnet in subnets {
        for need in NEEDS
            .iter()
            .filter(|n| services.is_empty() || services.iter().any(|s| s == n.service))
        {
            let q = Query {
                source: Source::Subnet {
                    subnet: subnet.clone(),
                    groups: groups.to_vec(),
                },
                destination: Dest::Service(need.service.into()),
                protocol: proto::TCP,
                port: 443,
            };
            let a = analyze(t, &q)?;
            requirements.push(Requirement {
                requirement: need.service.into(),
                subnet: subnet.clone(),
                required: need.required || !services.is_empty(),
                reachable: a.network_path_found,
                why: need.why.into(),
                symptom: (!a.network_path_found).then(|| symptom(need, &a)),
                via: a.network_path_found.then(|| via(&a)),
                analysis: a,
            });
        }
    }
    let mut findings = Vec::new();
    if distributed {
        let self_ref = groups.iter().filter_map(|g| t.group(g)).any(|g| {
            g.ingress.iter().any(|r| {
                r.protocol.is_none()
                    && matches!(&r.peer, crate::model::Peer::Group(x) if groups.contains(x))
            })
        });
        if !self_ref {
            findings.push(format!(
                "none of {} allows all traffic from itself: distributed training needs an inbound rule for all protocols and ports whose source is the job's own security group",
                groups.join(", ")
            ));
        }
        for a in subnets {
            for b in subnets {
                let q = Query {
                    source: Source::Subnet {
                        subnet: a.clone(),
                        groups: groups.to_vec(),
                    },
                    destination: Dest::Subnet {
                        subnet: b.clone(),
                        groups: groups.to_vec(),
                    },
                    protocol: proto::TCP,
                    port: RENDEZVOUS_PORT,
                };
                let analysis = analyze(t, &q)?;
                requirements.push(Requirement {
                    requirement: "distributed-training".into(),
                    subnet: format!("{a} -> {b}"),
                    required: true,
                    reachable: analysis.network_path_found,
                    why: "instances of one job talk to each other on any port (rendezvous checked on TCP 29500)".into(),
                    symptom: (!analysis.network_path_found)
                        .then(|| "\"Training job stuck\" at rendezvous: the instances cannot reach each other".into()),
                    via: analysis.network_path_found.then(|| via(&analysis)),
                    analysis,
                });
            }
        }
    }
    Ok(Report {
        subnets: subnets.to_vec(),
        security_groups: groups.to_vec(),
        requirements,
        findings,
    })
}
