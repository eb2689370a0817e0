//! All-pairs subnet reachability on a large generated network: writes the
//! network as aws CLI `describe-*` JSON files (the input users give
//! `mlguard net`), loads it back, and times the matrix for one port.
//!
//! The network: 5 VPCs peered in a chain (A-B-C-D-E, so reachability depends
//! on non-transitivity), each with 100 subnets (/24), 10 route tables, 5
//! custom network ACLs with deny rules, 400 security groups (2,000 in all)
//! whose rules reference each other, CIDRs and ports, and 400 interfaces.
//! Every new interface in the matrix carries its VPC's `app` group, whose
//! ingress rules are spread over 40 other groups and CIDR blocks.
//!
//! Usage: net_matrix [--vpcs 5] [--subnets-per-vpc 100] [--groups-per-vpc 400]
//!                   [--port 443] [--threads N] [--keep DIR]
//! Prints one JSON object.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::Path;
use std::time::Instant;

use mlguard_bench::generated_input::{Rng, arg};
use serde_json::{Value, json};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn generate(dir: &Path, vpcs: usize, subnets: usize, groups: usize) {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut v_out, mut s_out, mut rt_out, mut acl_out, mut sg_out, mut eni_out, mut pcx_out) =
        (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    let cidr = |v: usize| format!("10.{}.0.0/16", 10 + v);
    for v in 0..vpcs {
        let vpc = format!("vpc-{v:04}");
        v_out.push(json!({"VpcId": vpc, "CidrBlock": cidr(v), "CidrBlockAssociationSet": [{"CidrBlock": cidr(v), "CidrBlockState": {"State": "associated"}}], "IsDefault": false, "State": "available"}));
        let sn = |s: usize| format!("subnet-{v:02}{s:04}");
        for s in 0..subnets {
            s_out.push(json!({"SubnetId": sn(s), "VpcId": vpc, "CidrBlock": format!("10.{}.{}.0/24", 10 + v, s), "AvailabilityZone": format!("us-east-1{}", ["a", "b", "c"][s % 3])}));
        }
        // Route tables: the main one (peer routes) and 9 more, 10 subnets each.
        for r in 0..10 {
            let mut routes = vec![
                json!({"DestinationCidrBlock": cidr(v), "GatewayId": "local", "Origin": "CreateRouteTable", "State": "active"}),
            ];
            for (p, peer) in [
                (v.wrapping_sub(1), v.checked_sub(1)),
                (v, (v + 1 < vpcs).then_some(v + 1)),
            ] {
                if let Some(peer) = peer {
                    // Route tables 0-6 route to the neighbours; 7-9 do not.
                    if r < 7 {
                        routes.push(json!({"DestinationCidrBlock": cidr(peer), "VpcPeeringConnectionId": format!("pcx-{:04}", p.min(peer)), "Origin": "CreateRoute", "State": "active"}));
                    }
                }
            }
            // Transitive attempts: routes to the VPC two hops away through a neighbour.
            if v + 2 < vpcs && r < 3 {
                routes.push(json!({"DestinationCidrBlock": cidr(v + 2), "VpcPeeringConnectionId": format!("pcx-{:04}", v), "Origin": "CreateRoute", "State": "active"}));
            }
            let assoc: Vec<Value> = (0..subnets)
                .filter(|s| s % 10 == r)
                .map(|s| json!({"Main": false, "SubnetId": sn(s), "AssociationState": {"State": "associated"}}))
                .chain((r == 0).then(|| json!({"Main": true, "AssociationState": {"State": "associated"}})))
                .collect();
            rt_out.push(json!({"RouteTableId": format!("rtb-{v:02}{r:02}"), "VpcId": vpc, "Associations": assoc, "Routes": routes}));
        }
        // ACLs: the default (allow all) and 4 custom ones with denies.
        let entry = |n: i64,
                     egress: bool,
                     allow: bool,
                     proto: &str,
                     c: &str,
                     ports: Option<(u16, u16)>| {
            let mut e = json!({"RuleNumber": n, "Protocol": proto, "RuleAction": if allow {"allow"} else {"deny"}, "Egress": egress, "CidrBlock": c});
            if let Some((a, b)) = ports {
                e["PortRange"] = json!({"From": a, "To": b});
            }
            e
        };
        for a in 0..5 {
            let subnets_here: Vec<Value> = (0..subnets)
                .filter(|s| s % 5 == a)
                .map(|s| json!({"SubnetId": sn(s)}))
                .collect();
            let mut entries = vec![];
            if a == 0 {
                entries.push(entry(100, false, true, "-1", "0.0.0.0/0", None));
                entries.push(entry(100, true, true, "-1", "0.0.0.0/0", None));
            } else {
                for k in 0..8 {
                    let deny = format!("10.{}.{}.0/24", 10 + rng.below(vpcs), rng.below(subnets));
                    entries.push(entry(10 + k, false, false, "6", &deny, Some((443, 443))));
                    entries.push(entry(10 + k, true, false, "6", &deny, Some((443, 443))));
                }
                entries.push(entry(100, false, true, "6", "10.0.0.0/8", Some((443, 443))));
                entries.push(entry(
                    110,
                    false,
                    true,
                    "6",
                    "10.0.0.0/8",
                    Some(if a == 4 {
                        (32768, 65535)
                    } else {
                        (1024, 65535)
                    }),
                ));
                entries.push(entry(
                    100,
                    true,
                    true,
                    "6",
                    "10.0.0.0/8",
                    Some((1024, 65535)),
                ));
                entries.push(entry(110, true, true, "6", "10.0.0.0/8", Some((443, 443))));
            }
            entries.push(entry(32767, false, false, "-1", "0.0.0.0/0", None));
            entries.push(entry(32767, true, false, "-1", "0.0.0.0/0", None));
            acl_out.push(json!({"NetworkAclId": format!("acl-{v:02}{a:02}"), "VpcId": vpc, "IsDefault": a == 0, "Associations": subnets_here, "Entries": entries}));
        }
        // Groups: `app` (index 0) admits 443 from 40 other groups and some blocks.
        let sg = |g: usize| format!("sg-{v:02}{g:05}");
        for g in 0..groups {
            let mut ingress = vec![];
            let refs = if g == 0 { 40 } else { 3 };
            for _ in 0..refs {
                let other = 1 + rng.below(groups - 1);
                ingress.push(json!({"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [], "UserIdGroupPairs": [{"GroupId": sg(other)}], "PrefixListIds": []}));
            }
            ingress.push(json!({"IpProtocol": "tcp", "FromPort": 8000 + rng.below(100), "ToPort": 8100, "IpRanges": [{"CidrIp": format!("10.{}.0.0/16", 10 + rng.below(vpcs))}], "UserIdGroupPairs": [], "PrefixListIds": []}));
            if g == 0 {
                // The app group also admits its neighbours' blocks and itself.
                for p in [v.checked_sub(1), Some(v)].into_iter().flatten() {
                    ingress.push(json!({"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": cidr(p)}], "UserIdGroupPairs": [], "PrefixListIds": []}));
                }
            }
            let egress = vec![
                json!({"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "UserIdGroupPairs": [], "PrefixListIds": []}),
            ];
            sg_out.push(json!({"GroupId": sg(g), "GroupName": if g == 0 { "app".to_owned() } else { format!("g{g}") }, "VpcId": vpc, "IpPermissions": ingress, "IpPermissionsEgress": egress}));
        }
        // Interfaces: one per group, spread over the subnets.
        for g in 0..groups {
            let s = rng.below(subnets);
            eni_out.push(json!({"NetworkInterfaceId": format!("eni-{v:02}{g:05}"), "SubnetId": sn(s), "VpcId": vpc, "PrivateIpAddress": format!("10.{}.{}.{}", 10 + v, s, 10 + g % 240), "Groups": [{"GroupId": sg(g)}], "InterfaceType": "interface"}));
        }
        if v + 1 < vpcs {
            pcx_out.push(json!({"VpcPeeringConnectionId": format!("pcx-{v:04}"), "Status": {"Code": "active"}, "RequesterVpcInfo": {"VpcId": vpc, "CidrBlock": cidr(v)}, "AccepterVpcInfo": {"VpcId": format!("vpc-{:04}", v + 1), "CidrBlock": cidr(v + 1)}}));
        }
    }
    for (name, key, items) in [
        ("vpcs", "Vpcs", v_out),
        ("subnets", "Subnets", s_out),
        ("route-tables", "RouteTables", rt_out),
        ("network-acls", "NetworkAcls", acl_out),
        ("security-groups", "SecurityGroups", sg_out),
        ("network-interfaces", "NetworkInterfaces", eni_out),
        ("vpc-peering-connections", "VpcPeeringConnections", pcx_out),
    ] {
        std::fs::write(
            dir.join(format!("{name}.json")),
            serde_json::to_vec_pretty(&json!({ key: items })).unwrap(),
        )
        .unwrap();
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let vpcs = arg(&args, "--vpcs", 5).expect("a number");
    let subnets = arg(&args, "--subnets-per-vpc", 100).expect("a number");
    let groups = arg(&args, "--groups-per-vpc", 400).expect("a number");
    let port = u16::try_from(arg(&args, "--port", 443).expect("a number")).expect("a port");
    let threads = arg(
        &args,
        "--threads",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
    )
    .expect("a number");
    let keep = args
        .iter()
        .position(|a| a == "--keep")
        .and_then(|i| args.get(i + 1))
        .cloned();
    let tmp = tempfile_dir();
    let dir = keep.map_or_else(|| tmp.clone(), std::path::PathBuf::from);
    std::fs::create_dir_all(&dir).unwrap();
    generate(&dir, vpcs, subnets, groups);

    let t0 = Instant::now();
    let topo = mlguard_net::load(&dir).unwrap();
    let load_s = t0.elapsed().as_secs_f64();
    let app: Vec<String> = topo
        .groups
        .iter()
        .filter(|g| g.name.as_deref() == Some("app"))
        .map(|g| g.id.clone())
        .collect();
    let t1 = Instant::now();
    let m = mlguard_net::matrix::subnet_matrix(&topo, &app, 6, port, threads).unwrap();
    let matrix_s = t1.elapsed().as_secs_f64();
    let pairs = m.subnets.len() * m.subnets.len();
    let mut codes = std::collections::BTreeMap::<String, usize>::new();
    for c in m.blocked_by.iter().flatten().flatten() {
        *codes.entry(c.clone()).or_default() += 1;
    }
    println!(
        "{}",
        json!({
            "subnets": m.subnets.len(),
            "securityGroups": topo.groups.len(),
            "interfaces": topo.interfaces.len(),
            "pairs": pairs,
            "reachablePairs": m.reachable_pairs(),
            "blockedBy": codes,
            "threads": threads,
            "loadSeconds": (load_s * 1000.0).round() / 1000.0,
            "matrixSeconds": (matrix_s * 1000.0).round() / 1000.0,
            "pairsPerSecond": (pairs as f64 / matrix_s).round(),
        })
    );
    if dir == tmp {
        let _ = std::fs::remove_dir_all(&tmp);
    }
}

fn tempfile_dir() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("mlguard-net-matrix-{}", std::process::id()))
}
