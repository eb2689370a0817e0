//! Policy validation throughput: `mlguard policy validate`'s engine over a
//! generated corpus of realistic identity policies (2–8 statements, actions
//! drawn from the catalog with wildcards, resource ARNs of the actions'
//! resource types, conditions), single-threaded.
//!
//! Usage: policy_validate [--policies 5000] [--seconds 5]
//! Prints one JSON object.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::string_slice
)]

use std::time::Instant;

use mlguard_analyzer::{Catalog, PolicyType, validate};
use mlguard_bench::generated_input::{Rng, arg};
use serde_json::json;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn corpus(n: usize) -> Vec<String> {
    let catalog = Catalog::builtin();
    let services: Vec<_> = [
        "s3",
        "kms",
        "sagemaker",
        "iam",
        "secretsmanager",
        "logs",
        "ecr",
        "ec2",
        "glue",
        "lambda",
    ]
    .iter()
    .map(|p| catalog.service(p).unwrap())
    .collect();
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    (0..n)
        .map(|_| {
            let statements: Vec<serde_json::Value> = (0..2 + rng.below(7))
                .map(|_| {
                    let svc = services[rng.below(services.len())];
                    let mut names: Vec<&str> = svc.actions.values().map(|a| a.name.as_str()).collect();
                    names.sort_unstable(); // the catalog is a map: sort for a stable corpus
                    let actions: Vec<String> = (0..1 + rng.below(6))
                        .map(|_| {
                            let name = names[rng.below(names.len())];
                            match rng.below(6) {
                                0 => format!("{}:{}*", svc.prefix, &name[..name.len().min(3)]),
                                _ => format!("{}:{name}", svc.prefix),
                            }
                        })
                        .collect();
                    let mut types: Vec<&str> = svc.resources.values().map(|r| r.arn.as_str()).collect();
                    types.sort_unstable();
                    let resources: Vec<String> = (0..1 + rng.below(3))
                        .map(|_| {
                            if types.is_empty() || rng.below(5) == 0 {
                                return "*".to_owned();
                            }
                            types[rng.below(types.len())]
                                .replace("${Partition}", "aws")
                                .replace("${Region}", "us-east-1")
                                .replace("${Account}", "111122223333")
                                .split("${")
                                .enumerate()
                                .map(|(i, part)| if i == 0 { part.to_owned() } else { format!("name-{}", part.split_once('}').map_or("", |(_, rest)| rest)) })
                                .collect::<String>()
                        })
                        .collect();
                    let mut st = json!({"Effect": if rng.below(5) == 0 { "Deny" } else { "Allow" }, "Action": actions, "Resource": resources});
                    if rng.below(3) == 0 {
                        st["Condition"] = json!({"StringEquals": {"aws:RequestedRegion": "us-east-1"}, "Bool": {"aws:SecureTransport": "true"}});
                    }
                    st
                })
                .collect();
            serde_json::to_string_pretty(&json!({"Version": "2012-10-17", "Statement": statements})).unwrap()
        })
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n = arg(&args, "--policies", 5000).expect("a number");
    let seconds = arg(&args, "--seconds", 5).expect("a number") as f64;
    let policies = corpus(n);
    let catalog = Catalog::builtin();
    let bytes: usize = policies.iter().map(String::len).sum();
    let (mut done, mut findings) = (0usize, 0usize);
    let start = Instant::now();
    'outer: loop {
        for p in &policies {
            findings += validate(p, PolicyType::Identity, catalog).len();
            done += 1;
            if start.elapsed().as_secs_f64() >= seconds {
                break 'outer;
            }
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "{}",
        json!({
            "corpusPolicies": n,
            "meanPolicyBytes": bytes / n.max(1),
            "validated": done,
            "findings": findings,
            "seconds": (elapsed * 100.0).round() / 100.0,
            "policiesPerSecond": (done as f64 / elapsed).round(),
        })
    );
}
