//! The input path on real aws CLI output: `tests/data/moto/ml-vpc` was built on
//! a moto server and dumped with `aws ec2 describe-*` (`record.sh`; the
//! topology and moto's quirks are in its README). Ids are random per
//! recording, so everything is found by Name tag.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::path::Path;

use mlguard_net::reach::{Dest, Query, Source, analyze};
use mlguard_net::{Topology, exposure, sagemaker};

fn topo() -> Topology {
    mlguard_net::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/moto/ml-vpc"))
        .unwrap()
}

fn from_training(t: &Topology, to: Dest, port: u16) -> mlguard_net::reach::Analysis {
    let q = Query {
        source: Source::Subnet {
            subnet: "training".into(),
            groups: vec!["training-sg".into()],
        },
        destination: to,
        protocol: 6,
        port,
    };
    analyze(t, &q).unwrap()
}

fn path(a: &mlguard_net::reach::Analysis) -> Vec<String> {
    a.forward_path_components
        .iter()
        .map(|c| c.component.id.clone())
        .collect()
}

#[test]
fn the_recording_loads_with_its_structure() {
    let t = topo();
    assert_eq!(t.vpcs.len(), 2);
    assert_eq!(t.subnets.len(), 4);
    let ml = t
        .vpcs
        .iter()
        .find(|v| v.name.as_deref() == Some("ml"))
        .unwrap();
    assert!(ml.dns_support && ml.dns_hostnames);
    assert_eq!(t.endpoints.len(), 4);
    assert_eq!(t.peerings.len(), 1);
    assert!(t.peerings[0].active);
    // moto gives service interfaces addresses outside their subnets; they are set aside.
    assert!(
        t.warnings.iter().any(|w| w.contains("outside its subnet")),
        "{:?}",
        t.warnings
    );
    let endpoints_subnet = t.resolve_name("endpoints").unwrap();
    // The endpoints subnet has no explicit association: the main table applies.
    let rt = t
        .subnet_route_table(t.subnet(&endpoints_subnet).unwrap())
        .unwrap();
    assert!(rt.main);
}

#[test]
fn s3_goes_through_the_gateway_endpoint() {
    let t = topo();
    let a = from_training(&t, Dest::Service("s3".into()), 443);
    assert!(
        a.network_path_found,
        "{}",
        serde_json::to_string_pretty(&a).unwrap()
    );
    assert!(
        path(&a).iter().any(|c| c.starts_with("vpce-")),
        "{:?}",
        path(&a)
    );
}

#[test]
fn sagemaker_api_goes_through_its_interface_endpoint_and_logs_through_the_nat() {
    let t = topo();
    let api = from_training(&t, Dest::Service("sagemaker.api".into()), 443);
    assert!(
        api.network_path_found,
        "{}",
        serde_json::to_string_pretty(&api).unwrap()
    );
    assert!(api.packet.destination.contains("interface endpoint"));
    let logs = from_training(&t, Dest::Service("logs".into()), 443);
    assert!(logs.network_path_found);
    assert!(
        path(&logs).iter().any(|c| c.starts_with("nat-")),
        "{:?}",
        path(&logs)
    );
    assert!(
        logs.warnings
            .iter()
            .any(|w| w.explanation_code == "VPCE_PRIVATE_DNS_DISABLED")
    );
}

#[test]
fn the_training_acl_shapes_internet_traffic() {
    let t = topo();
    let https = from_training(
        &t,
        Dest::Address(mlguard_net::ip::parse_ip("8.8.8.8").unwrap()),
        443,
    );
    assert!(https.network_path_found);
    // Outbound allows only 443 and the ephemeral range.
    let http = from_training(
        &t,
        Dest::Address(mlguard_net::ip::parse_ip("8.8.8.8").unwrap()),
        80,
    );
    assert!(!http.network_path_found);
    assert_eq!(
        http.explanations[0].explanation_code,
        "SUBNET_ACL_RESTRICTION"
    );
    // (moto drops the ACL's Name tag: found through the subnet's association.)
    let training = t.subnet(&t.resolve_name("training").unwrap()).unwrap();
    assert_eq!(
        http.explanations[0].component.id,
        t.subnet_acl(training).unwrap().id
    );
}

#[test]
fn the_peer_vpc_is_reached_over_the_peering() {
    let t = topo();
    let a = from_training(
        &t,
        Dest::Address(mlguard_net::ip::parse_ip("10.1.0.10").unwrap()),
        443,
    );
    assert!(
        a.network_path_found,
        "{}",
        serde_json::to_string_pretty(&a).unwrap()
    );
    assert!(path(&a).iter().any(|c| c.starts_with("pcx-")));
    // The training ACL lets only 443 and the ephemeral ports out.
    let ip = mlguard_net::ip::parse_ip("10.1.0.10").unwrap();
    let ssh = from_training(&t, Dest::Address(ip), 22);
    assert_eq!(
        ssh.explanations[0].explanation_code,
        "SUBNET_ACL_RESTRICTION"
    );
}

#[test]
fn the_web_interface_is_exposed_and_the_job_check_runs() {
    let t = topo();
    let e = exposure::exposures(&t);
    let web = t.resolve_name("web-eni").unwrap();
    let mut ports: Vec<&str> = e
        .iter()
        .filter(|x| x.interface == web)
        .map(|x| x.ports.as_str())
        .collect();
    ports.sort_unstable();
    assert_eq!(ports, ["22", "443"]);
    let r = sagemaker::check(&t, &["training".into()], &["training-sg".into()], &[], true).unwrap();
    let ok: Vec<&str> = r
        .requirements
        .iter()
        .filter(|x| x.reachable)
        .map(|x| x.requirement.as_str())
        .collect();
    // Everything is reachable: endpoints where they exist, the NAT otherwise.
    assert_eq!(ok.len(), r.requirements.len(), "{ok:?}");
    assert!(r.ok());
}
