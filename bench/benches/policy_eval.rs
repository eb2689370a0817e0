//! IAM policy evaluation: one realistic request against 10 policies with 50
//! statements (goal: under 2 µs per evaluation), and policy parsing throughput.
//!
//! Run: `cargo bench -p mlguard-bench --bench policy_eval`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mlguard_bench::policy_fixtures::{POLICIES, REQUESTS, context, principal};
use mlguard_policy::{Policy, PolicyKind, PolicySet, Request, authorize};

fn evaluation(c: &mut Criterion) {
    let policies: Vec<Policy> = POLICIES
        .iter()
        .map(|p| Policy::parse(p, PolicyKind::Managed).unwrap())
        .collect();
    let refs: Vec<&Policy> = policies.iter().collect();
    let set = PolicySet {
        identity: &refs,
        ..PolicySet::default()
    };
    let principal = principal();
    let context = context();
    let mut group = c.benchmark_group("evaluate 10 policies / 50 statements");
    for (action, resource, expected) in REQUESTS {
        group.bench_function(format!("{action} ({expected})"), |b| {
            b.iter(|| {
                let request = Request {
                    principal: &principal,
                    action: black_box(action),
                    resource: black_box(resource),
                    resource_account: None,
                    context: &context,
                };
                black_box(authorize(black_box(&set), &request).decision)
            })
        });
    }
    group.finish();
}

fn parsing(c: &mut Criterion) {
    let bytes: usize = POLICIES.iter().map(|p| p.len()).sum();
    let mut group = c.benchmark_group("parse");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("10 policies / 50 statements", |b| {
        b.iter(|| {
            for p in POLICIES {
                black_box(Policy::parse(black_box(p), PolicyKind::Managed).unwrap());
            }
        })
    });
    group.finish();
}

criterion_group!(benches, evaluation, parsing);
criterion_main!(benches);
