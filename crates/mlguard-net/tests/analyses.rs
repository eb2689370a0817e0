//! The SageMaker check, the exposure listing and flow log explanations over
//! `tests/data/ml-vpc.yaml`.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::path::Path;

use mlguard_net::{Topology, exposure, flowlogs, sagemaker};

fn topo() -> Topology {
    mlguard_net::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/ml-vpc.yaml"))
        .unwrap()
}

fn ids(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn sagemaker_check_names_each_gap_with_its_symptom() {
    let t = topo();
    let r = sagemaker::check(
        &t,
        &ids(&["training-a", "subnet-training-b"]),
        &ids(&["training"]),
        &[],
        true,
    )
    .unwrap();
    let get = |svc: &str, subnet: &str| {
        r.requirements
            .iter()
            .find(|x| x.requirement == svc && x.subnet == subnet)
            .unwrap()
    };
    let s3 = get("s3", "subnet-training-a");
    assert!(s3.reachable);
    assert_eq!(s3.via.as_deref(), Some("endpoint"));
    assert!(get("ecr.api", "subnet-training-b").reachable);
    assert!(get("sts", "subnet-training-a").reachable);
    // Private DNS off on the logs endpoint, and no NAT: no path.
    let logs = get("logs", "subnet-training-a");
    assert!(!logs.reachable);
    assert!(
        logs.symptom
            .as_deref()
            .unwrap()
            .contains("Training job stuck")
    );
    assert!(
        logs.analysis
            .warnings
            .iter()
            .any(|w| w.explanation_code == "VPCE_PRIVATE_DNS_DISABLED")
    );
    let kms = get("kms", "subnet-training-b");
    assert!(!kms.reachable);
    assert_eq!(
        kms.analysis.explanations[0].explanation_code,
        "NO_ROUTE_TO_DESTINATION"
    );
    // Distributed: the self-reference is there; both subnets reach each other.
    assert!(r.findings.is_empty(), "{:?}", r.findings);
    let pair = get(
        "distributed-training",
        "subnet-training-a -> subnet-training-b",
    );
    assert!(
        pair.reachable,
        "{}",
        serde_json::to_string_pretty(&pair.analysis).unwrap()
    );
    // S3 and instance-to-instance traffic work: the job runs. The other
    // services are reported, and matter only if the job's code calls them.
    assert!(r.ok());
    assert!(!logs.required && get("s3", "subnet-training-a").required);
    // Naming services makes them required.
    let named = sagemaker::check(
        &t,
        &ids(&["training-a"]),
        &ids(&["training"]),
        &ids(&["kms"]),
        false,
    )
    .unwrap();
    assert!(!named.ok());
}

#[test]
fn sagemaker_check_blames_the_security_group_for_a_stuck_job() {
    let t = topo();
    let r = sagemaker::check(
        &t,
        &ids(&["subnet-training-a"]),
        &ids(&["sg-locked"]),
        &ids(&["s3", "sts"]),
        true,
    )
    .unwrap();
    let s3 = &r.requirements[0];
    assert!(!s3.reachable);
    assert_eq!(
        s3.analysis.explanations[0].explanation_code,
        "ENI_SG_RULES_MISMATCH"
    );
    assert!(
        s3.symptom
            .as_deref()
            .unwrap()
            .contains("Training job stuck")
    );
    assert!(r.findings[0].contains("allows all traffic from itself"));
}

#[test]
fn sagemaker_check_refuses_bad_arguments() {
    let t = topo();
    assert!(sagemaker::check(&t, &[], &ids(&["sg-training"]), &[], false).is_err());
    assert!(sagemaker::check(&t, &ids(&["subnet-training-a"]), &[], &[], false).is_err());
    assert!(
        sagemaker::check(
            &t,
            &ids(&["subnet-training-a"]),
            &ids(&["sg-training"]),
            &ids(&["ftp"]),
            false
        )
        .is_err()
    );
    assert!(
        sagemaker::check(
            &t,
            &ids(&["subnet-nope"]),
            &ids(&["sg-training"]),
            &[],
            false
        )
        .is_err()
    );
}

#[test]
fn exposure_lists_public_ports_after_acls() {
    let t = topo();
    let e = exposure::exposures(&t);
    let ports: Vec<(&str, &str, &str)> = e
        .iter()
        .map(|x| (x.interface.as_str(), x.ports.as_str(), x.severity.as_str()))
        .collect();
    assert!(ports.contains(&("eni-web", "443", "medium")), "{ports:?}");
    assert!(ports.contains(&("eni-web", "22", "high")), "{ports:?}");
    // 9000 is open only to private space; the trainer has no public address.
    assert_eq!(e.len(), 2, "{ports:?}");
    assert!(
        e.iter()
            .all(|x| x.internet_gateway == "igw-ml" && x.public_ip == "198.51.100.40")
    );
}

#[test]
fn flow_log_rejections_are_explained() {
    let t = topo();
    let log = "\
2 123456789012 eni-trainer 10.0.0.10 10.0.1.10 40000 22 6 3 180 1700000000 1700000060 REJECT OK
2 123456789012 eni-trainer 10.0.1.50 10.0.1.10 40000 8080 6 3 180 1700000000 1700000060 REJECT OK
2 123456789012 eni-trainer 10.0.1.10 10.0.1.99 40000 443 6 3 180 1700000000 1700000060 ACCEPT OK
2 123456789012 eni-web 203.0.113.5 10.0.0.10 51000 3389 6 1 40 1700000000 1700000060 REJECT OK
2 123456789012 eni-unknown 203.0.113.5 10.0.0.10 51000 3389 6 1 40 1700000000 1700000060 REJECT OK
2 123456789012 eni-web - - - - - - - 1700000000 1700000060 - NODATA
";
    let r = flowlogs::explain(&t, log, None).unwrap();
    assert_eq!((r.records, r.accepted, r.rejected, r.skipped), (6, 1, 4, 2));
    let by_line = |n: usize| r.rejections.iter().find(|x| x.line == n).unwrap();
    assert_eq!(by_line(1).component.as_deref(), Some("acl-training"));
    assert!(
        by_line(1).reason.contains("rule 90"),
        "{}",
        by_line(1).reason
    );
    // Allowed by the ACL (10.0.0.0/16), but 10.0.1.50 carries no training group.
    assert_eq!(by_line(2).component.as_deref(), Some("sg-training"));
    assert!(by_line(2).reason.contains("no inbound rule"));
    assert_eq!(by_line(4).direction, "ingress");
    assert!(by_line(4).reason.contains("3389"));
}

#[test]
fn flow_logs_with_a_custom_format_and_header() {
    let t = topo();
    let log = "\
interface-id srcaddr dstaddr srcport dstport protocol action flow-direction
eni-trainer 52.216.4.4 10.0.1.10 443 50000 6 REJECT ingress
";
    let format = "${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${action} ${flow-direction}";
    let r = flowlogs::explain(&t, log, Some(format)).unwrap();
    assert_eq!(r.rejected, 1);
    // A reply from S3 (port 443) to an ephemeral port, which rule 110 allows now.
    assert!(
        r.rejections[0].reason.contains("reply"),
        "{}",
        r.rejections[0].reason
    );
    assert!(flowlogs::explain(&t, "2 x", None).is_err());
    assert!(flowlogs::parse_format("${version} ${bogus").is_err());
    assert!(flowlogs::parse_format("${version}").is_err());
}

#[test]
fn bad_topologies_are_refused_naming_the_file_and_object() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        for f in std::fs::read_dir(dir.path()).unwrap() {
            std::fs::remove_file(f.unwrap().path()).unwrap();
        }
        std::fs::write(dir.path().join(name), text).unwrap();
        mlguard_net::load(dir.path()).unwrap_err().to_string()
    };
    let e = write(
        "net.yaml",
        "vpcs:\n  - {id: vpc-a, cidr: 10.0.0.0/16, colour: blue}\n",
    );
    assert!(e.contains("net.yaml") && e.contains("colour"), "{e}");
    let e = write(
        "net.yaml",
        "vpcs: [{id: vpc-a, cidr: 10.0.0.0/16}]\nsubnets: [{id: subnet-x, vpc: vpc-a, cidr: 10.9.0.0/24}]\n",
    );
    assert!(
        e.contains("net.yaml: subnet-x") && e.contains("outside every CIDR block"),
        "{e}"
    );
    let e = write(
        "acls.json",
        r#"{"NetworkAcls": [{"NetworkAclId": "acl-1", "VpcId": "vpc-a", "Entries": [{"RuleNumber": 1, "Protocol": "6", "RuleAction": "maybe", "Egress": false, "CidrBlock": "0.0.0.0/0"}]}]}"#,
    );
    assert!(
        e.contains("acls.json: acl-1 entry 0") && e.contains("maybe"),
        "{e}"
    );
    let e = write(
        "sg.json",
        r#"{"SecurityGroups": [{"GroupId": "sg-1", "VpcId": "vpc-a", "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 90, "ToPort": 80}]}]}"#,
    );
    assert!(e.contains("sg-1") && e.contains("backwards"), "{e}");
    let e = write(
        "enis.json",
        r#"{"NetworkInterfaces": [{"NetworkInterfaceId": "eni-1", "SubnetId": "subnet-1", "PrivateIpAddress": "10.0.0.500"}]}"#,
    );
    assert!(e.contains("eni-1") && e.contains("10.0.0.500"), "{e}");
    std::fs::remove_file(dir.path().join("enis.json")).unwrap();
    std::fs::write(dir.path().join("cgw.json"), r#"{"CustomerGateways": []}"#).unwrap();
    assert!(
        mlguard_net::load(dir.path()).is_ok(),
        "customer gateways are a known key"
    );
}

#[test]
fn real_describe_shapes_load() {
    let dir = tempfile::tempdir().unwrap();
    let put = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
    put(
        "vpcs.json",
        r#"{"Vpcs": [{"VpcId": "vpc-1", "CidrBlock": "10.0.0.0/16"}]}"#,
    );
    // An IPv6-only subnet, named by a route table and an ACL.
    put(
        "subnets.json",
        r#"{"Subnets": [{"SubnetId": "subnet-4", "VpcId": "vpc-1", "CidrBlock": "10.0.1.0/24", "AvailabilityZone": "eu-west-1a"},
        {"SubnetId": "subnet-6", "VpcId": "vpc-1", "Ipv6Native": true}]}"#,
    );
    put(
        "rt.json",
        r#"{"RouteTables": [{"RouteTableId": "rtb-1", "VpcId": "vpc-1",
        "Associations": [{"Main": true}, {"Main": false, "SubnetId": "subnet-6"}],
        "Routes": [{"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local"},
                   {"DestinationPrefixListId": "pl-6da54004", "GatewayId": "vpce-1"},
                   {"DestinationCidrBlock": "192.0.2.0/24", "OdbNetworkArn": "arn:aws:odb:eu-west-1:111122223333:odb-network/x"}]}]}"#,
    );
    // A gateway endpoint whose prefix list the dump does not include.
    put(
        "vpce.json",
        r#"{"VpcEndpoints": [{"VpcEndpointId": "vpce-1", "VpcEndpointType": "Gateway", "VpcId": "vpc-1",
        "ServiceName": "com.amazonaws.eu-west-1.s3", "State": "available", "RouteTableIds": ["rtb-1"]}]}"#,
    );
    // An EFA-only interface (no IPv4), a deleted and a regional NAT gateway.
    put(
        "enis.json",
        r#"{"NetworkInterfaces": [{"NetworkInterfaceId": "eni-efa", "SubnetId": "subnet-4", "VpcId": "vpc-1", "InterfaceType": "efa-only"}]}"#,
    );
    put(
        "nat.json",
        r#"{"NatGateways": [{"NatGatewayId": "nat-old", "SubnetId": "subnet-gone", "VpcId": "vpc-1", "State": "deleted"},
        {"NatGatewayId": "nat-regional", "VpcId": "vpc-1", "State": "available", "AvailabilityMode": "regional"}]}"#,
    );
    put(
        "nau.json",
        r#"{"VpcId": "vpc-1", "EnableNetworkAddressUsageMetrics": {"Value": false}}"#,
    );
    let t = mlguard_net::load(dir.path()).unwrap();
    assert_eq!(t.region.as_deref(), Some("eu-west-1"));
    assert!(
        t.warnings.iter().any(|w| w.contains("eni-efa")),
        "{:?}",
        t.warnings
    );
    assert!(
        t.warnings.iter().any(|w| w.contains("does not know")),
        "{:?}",
        t.warnings
    );
    // S3 by its short name resolves in the dump's region, through the endpoint.
    let q = mlguard_net::reach::Query {
        source: mlguard_net::reach::Source::Subnet {
            subnet: "subnet-4".into(),
            groups: vec![],
        },
        destination: mlguard_net::reach::Dest::Service("s3".into()),
        protocol: 6,
        port: 443,
    };
    // No default group in the dump: the query asks for groups.
    assert!(mlguard_net::reach::analyze(&t, &q).is_err());
    std::fs::write(
        dir.path().join("sg.json"),
        r#"{"SecurityGroups": [{"GroupId": "sg-d", "GroupName": "default", "VpcId": "vpc-1",
        "IpPermissionsEgress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]}]}"#,
    )
    .unwrap();
    let t = mlguard_net::load(dir.path()).unwrap();
    let a = mlguard_net::reach::analyze(&t, &q).unwrap();
    assert!(
        a.network_path_found,
        "{}",
        serde_json::to_string_pretty(&a).unwrap()
    );
    assert!(a.packet.destination.contains("eu-west-1.s3"));
}

#[test]
fn exposure_is_not_hidden_by_a_partial_acl_deny() {
    let t = mlguard_net::from_text(
        "t.yaml",
        r#"
vpcs: [{id: vpc-a, cidr: 10.0.0.0/16}]
subnets: [{id: subnet-pub, vpc: vpc-a, cidr: 10.0.0.0/24}]
internet_gateways: [{id: igw-1, vpc: vpc-a}]
route_tables: [{id: rtb-pub, vpc: vpc-a, main: true, routes: [{destination: 0.0.0.0/0, target: igw-1}]}]
network_acls:
  - id: acl-pub
    vpc: vpc-a
    subnets: [subnet-pub]
    inbound: [{rule: 90, action: deny, protocol: all, cidr: 198.51.100.0/24}, {rule: 100, action: allow, protocol: all, cidr: 0.0.0.0/0}]
    outbound: [{rule: 100, action: allow, protocol: all, cidr: 0.0.0.0/0}]
security_groups: [{id: sg-ssh, vpc: vpc-a, ingress: [{protocol: tcp, ports: 22, source: 0.0.0.0/0}]}]
network_interfaces: [{id: eni-web, subnet: subnet-pub, ip: 10.0.0.10, public_ip: 203.0.113.10, security_groups: [sg-ssh]}]
"#,
    )
    .unwrap();
    let e = exposure::exposures(&t);
    assert_eq!(e.len(), 1);
    assert_eq!(
        (e[0].ports.as_str(), e[0].severity.as_str()),
        ("22", "high")
    );
}
