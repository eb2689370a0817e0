//! The concise topology format, for networks written by hand (scenario tests,
//! designs not yet built). Same model as the aws CLI input; what AWS creates
//! on its own is implied: local routes, the main route table and default
//! network ACL of a VPC that names none, the final `*` deny of every ACL,
//! the allow-all egress rule of a group that lists no egress, gateway
//! endpoint routes and interface endpoint network interfaces.
//!
//! ```yaml
//! region: us-east-1
//! vpcs:
//!   - {id: vpc-ml, cidr: 10.0.0.0/16, dns_hostnames: true}
//! subnets:
//!   - {id: subnet-training, vpc: vpc-ml, cidr: 10.0.1.0/24}
//! route_tables:
//!   - id: rtb-training
//!     vpc: vpc-ml
//!     subnets: [subnet-training]
//!     routes:
//!       - {destination: 0.0.0.0/0, target: nat-1}
//! network_acls:
//!   - id: acl-training
//!     vpc: vpc-ml
//!     subnets: [subnet-training]
//!     inbound:  [{rule: 100, action: allow, protocol: all, cidr: 0.0.0.0/0}]
//!     outbound: [{rule: 100, action: allow, protocol: tcp, ports: 443, cidr: 0.0.0.0/0}]
//! security_groups:
//!   - id: sg-training
//!     vpc: vpc-ml
//!     ingress: [{protocol: all, source: sg-training}]
//! endpoints:
//!   - {id: vpce-s3, vpc: vpc-ml, type: gateway, service: s3, route_tables: [rtb-training]}
//! ```

use serde::Deserialize;

use crate::Error;
use crate::ip::{Cidr, Ports, has_ports, parse_ip, parse_protocol};
use crate::model::{
    AclEntry, Destination, Endpoint, EndpointKind, Interface, InternetGateway, NatGateway,
    NetworkAcl, Origin, Peer, Peering, PrefixList, Route, RouteTable, SecurityGroup, SgRule,
    Subnet, Target, Topology, Vpc, VpnGateway,
};

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct File {
    region: Option<String>,
    vpcs: Vec<YVpc>,
    subnets: Vec<YSubnet>,
    route_tables: Vec<YRouteTable>,
    network_acls: Vec<YAcl>,
    security_groups: Vec<YGroup>,
    network_interfaces: Vec<YInterface>,
    internet_gateways: Vec<YIgw>,
    nat_gateways: Vec<YNat>,
    endpoints: Vec<YEndpoint>,
    peerings: Vec<YPeering>,
    prefix_lists: Vec<YPrefixList>,
    vpn_gateways: Vec<YVgw>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YVpc {
    id: String,
    name: Option<String>,
    cidr: Option<String>,
    #[serde(default)]
    cidrs: Vec<String>,
    #[serde(default = "yes")]
    dns_support: bool,
    #[serde(default)]
    dns_hostnames: bool,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YSubnet {
    id: String,
    name: Option<String>,
    vpc: String,
    cidr: String,
    az: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YRoute {
    destination: String,
    target: String,
    #[serde(default)]
    propagated: bool,
    state: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YRouteTable {
    id: String,
    name: Option<String>,
    vpc: String,
    #[serde(default)]
    main: bool,
    #[serde(default)]
    subnets: Vec<String>,
    #[serde(default)]
    routes: Vec<YRoute>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YAclRule {
    rule: u32,
    action: String,
    #[serde(default = "all")]
    protocol: String,
    ports: Option<serde_yaml_ports::PortsText>,
    cidr: String,
}

fn all() -> String {
    "all".into()
}

/// Ports written as `443`, `"1024-65535"` or `all`.
mod serde_yaml_ports {
    use serde::Deserialize;

    #[derive(Deserialize)]
    #[serde(untagged)]
    pub(super) enum PortsText {
        One(u16),
        Text(String),
    }
}

fn ports(
    file: &str,
    object: &str,
    p: Option<&serde_yaml_ports::PortsText>,
) -> Result<Option<Ports>, Error> {
    use serde_yaml_ports::PortsText;
    let bad = |s: &str| Error::input(file, Some(object.to_owned()), format!("bad ports {s:?}"));
    match p {
        None => Ok(None),
        Some(PortsText::One(p)) => Ok(Some(Ports::one(*p))),
        Some(PortsText::Text(s)) if s.eq_ignore_ascii_case("all") => Ok(Some(Ports::ALL)),
        Some(PortsText::Text(s)) => {
            let (a, b) = s.split_once('-').unwrap_or((s, s));
            let from = a.trim().parse::<u16>().map_err(|_| bad(s))?;
            let to = b.trim().parse::<u16>().map_err(|_| bad(s))?;
            if from > to {
                return Err(bad(s));
            }
            Ok(Some(Ports { from, to }))
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YAcl {
    id: String,
    name: Option<String>,
    vpc: String,
    #[serde(default)]
    default: bool,
    #[serde(default)]
    subnets: Vec<String>,
    #[serde(default)]
    inbound: Vec<YAclRule>,
    #[serde(default)]
    outbound: Vec<YAclRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YSgRule {
    #[serde(default = "all")]
    protocol: String,
    ports: Option<serde_yaml_ports::PortsText>,
    /// Ingress: a CIDR, `sg-…` or `pl-…`.
    source: Option<String>,
    /// Egress: a CIDR, `sg-…` or `pl-…`.
    destination: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YGroup {
    id: String,
    name: Option<String>,
    vpc: String,
    #[serde(default)]
    ingress: Vec<YSgRule>,
    egress: Option<Vec<YSgRule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YInterface {
    id: String,
    name: Option<String>,
    subnet: String,
    ip: String,
    public_ip: Option<String>,
    #[serde(default)]
    security_groups: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YIgw {
    id: String,
    vpc: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YNat {
    id: String,
    subnet: String,
    ip: Option<String>,
    public_ip: Option<String>,
    #[serde(default)]
    private: bool,
    state: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YEndpoint {
    id: String,
    vpc: String,
    #[serde(rename = "type")]
    kind: String,
    service: String,
    #[serde(default)]
    route_tables: Vec<String>,
    #[serde(default)]
    subnets: Vec<String>,
    #[serde(default)]
    security_groups: Vec<String>,
    #[serde(default)]
    private_dns: bool,
    state: Option<String>,
    policy: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YPeering {
    id: String,
    requester: String,
    accepter: String,
    status: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YPrefixList {
    id: String,
    name: String,
    #[serde(default)]
    cidrs: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YVgw {
    id: String,
    vpc: String,
    #[serde(default)]
    remote: Vec<String>,
    state: Option<String>,
}

/// The full service name: `s3` → `com.amazonaws.<region>.s3`.
#[must_use]
pub fn service_name(region: &str, service: &str) -> String {
    if service.contains("amazonaws.") || service.starts_with("com.") {
        service.to_owned()
    } else {
        format!("com.amazonaws.{region}.{service}")
    }
}

/// Reads one concise YAML file into `topo` (call [`crate::finish`] after).
pub fn read(file: &str, text: &str, topo: &mut Topology) -> Result<(), Error> {
    let f: File = yaml_serde::from_str(text)
        .map_err(|e| Error::input(file, None, format!("not a topology: {e}")))?;
    if f.region.is_some() {
        topo.region = f.region.clone();
    }
    let region = topo.region.clone().unwrap_or_else(|| "us-east-1".into());
    let cidr = |object: &str, s: &str| {
        Cidr::parse(s).ok_or_else(|| {
            Error::input(
                file,
                Some(object.to_owned()),
                format!("bad CIDR block {s:?}"),
            )
        })
    };
    let addr = |object: &str, s: &str| {
        parse_ip(s).ok_or_else(|| {
            Error::input(file, Some(object.to_owned()), format!("bad address {s:?}"))
        })
    };
    let live =
        |s: &Option<String>, good: &str| s.as_deref().is_none_or(|s| s.eq_ignore_ascii_case(good));

    for v in f.vpcs {
        topo.sources.insert(v.id.clone(), file.to_owned());
        let mut cidrs = Vec::new();
        for c in v.cidr.iter().chain(&v.cidrs) {
            cidrs.push(cidr(&v.id, c)?);
        }
        if cidrs.is_empty() {
            return Err(Error::input(file, Some(v.id), "a VPC needs a cidr".into()));
        }
        topo.vpcs.push(Vpc {
            id: v.id,
            name: v.name,
            cidrs,
            dns_support: v.dns_support,
            dns_hostnames: v.dns_hostnames,
        });
    }
    for s in f.subnets {
        topo.sources.insert(s.id.clone(), file.to_owned());
        topo.subnets.push(Subnet {
            cidr: cidr(&s.id, &s.cidr)?,
            id: s.id,
            name: s.name,
            vpc: s.vpc,
            az: s.az,
        });
    }
    for rt in f.route_tables {
        topo.sources.insert(rt.id.clone(), file.to_owned());
        let mut routes = Vec::new();
        for r in &rt.routes {
            let destination = if r.destination.starts_with("pl-") {
                Destination::PrefixList(r.destination.clone())
            } else {
                Destination::Cidr(cidr(&rt.id, &r.destination)?)
            };
            routes.push(Route {
                destination,
                target: Target::from_id(&r.target),
                origin: if r.propagated {
                    Origin::Propagated
                } else {
                    Origin::Static
                },
                active: live(&r.state, "active"),
            });
        }
        topo.route_tables.push(RouteTable {
            id: rt.id,
            name: rt.name,
            vpc: rt.vpc,
            main: rt.main,
            subnets: rt.subnets,
            routes,
        });
    }
    for a in f.network_acls {
        topo.sources.insert(a.id.clone(), file.to_owned());
        let mut entries = Vec::new();
        for (egress, rules) in [(false, &a.inbound), (true, &a.outbound)] {
            for r in rules {
                let object = format!("{} rule {}", a.id, r.rule);
                let protocol = parse_protocol(&r.protocol).ok_or_else(|| {
                    Error::input(
                        file,
                        Some(object.clone()),
                        format!("bad protocol {:?}", r.protocol),
                    )
                })?;
                let allow = match r.action.to_ascii_lowercase().as_str() {
                    "allow" => true,
                    "deny" => false,
                    other => {
                        return Err(Error::input(
                            file,
                            Some(object),
                            format!("bad action {other:?}"),
                        ));
                    }
                };
                entries.push(AclEntry {
                    rule_number: r.rule,
                    egress,
                    allow,
                    protocol,
                    cidr: Some(cidr(&object, &r.cidr)?),
                    ports: if has_ports(protocol) {
                        ports(file, &object, r.ports.as_ref())?
                    } else {
                        None
                    },
                });
            }
            entries.push(AclEntry {
                rule_number: 32767,
                egress,
                allow: false,
                protocol: None,
                cidr: Some(Cidr::ANY),
                ports: None,
            });
        }
        entries.sort_by_key(|e| e.rule_number);
        topo.acls.push(NetworkAcl {
            id: a.id,
            name: a.name,
            vpc: a.vpc,
            default: a.default,
            subnets: a.subnets,
            entries,
        });
    }
    for g in f.security_groups {
        topo.sources.insert(g.id.clone(), file.to_owned());
        let rules = |list: &[YSgRule], ingress: bool| -> Result<Vec<SgRule>, Error> {
            let mut out = Vec::new();
            for r in list {
                let object = format!("{} {}", g.id, if ingress { "ingress" } else { "egress" });
                let protocol = parse_protocol(&r.protocol).ok_or_else(|| {
                    Error::input(
                        file,
                        Some(object.clone()),
                        format!("bad protocol {:?}", r.protocol),
                    )
                })?;
                let peer = if ingress { &r.source } else { &r.destination };
                let Some(peer) = peer else {
                    let want = if ingress { "source" } else { "destination" };
                    return Err(Error::input(
                        file,
                        Some(object),
                        format!("a rule needs a {want}"),
                    ));
                };
                let peer = if peer.starts_with("sg-") {
                    Peer::Group(peer.clone())
                } else if peer.starts_with("pl-") {
                    Peer::PrefixList(peer.clone())
                } else if peer.contains(':') {
                    Peer::Ipv6(peer.clone())
                } else {
                    Peer::Cidr(cidr(&object, peer)?)
                };
                out.push(SgRule {
                    protocol,
                    ports: if has_ports(protocol) {
                        Some(ports(file, &object, r.ports.as_ref())?.unwrap_or(Ports::ALL))
                    } else {
                        None
                    },
                    peer,
                });
            }
            Ok(out)
        };
        let ingress = rules(&g.ingress, true)?;
        let egress = match &g.egress {
            Some(list) => rules(list, false)?,
            None => vec![SgRule {
                protocol: None,
                ports: None,
                peer: Peer::Cidr(Cidr::ANY),
            }],
        };
        topo.groups.push(SecurityGroup {
            id: g.id,
            name: g.name,
            vpc: g.vpc,
            ingress,
            egress,
        });
    }
    for i in f.network_interfaces {
        topo.sources.insert(i.id.clone(), file.to_owned());
        let ip = addr(&i.id, &i.ip)?;
        let vpc = subnet_vpc(topo, &i.subnet);
        topo.interfaces.push(Interface {
            public_ip: i.public_ip.as_deref().map(|p| addr(&i.id, p)).transpose()?,
            id: i.id,
            name: i.name,
            subnet: i.subnet,
            vpc,
            private_ip: ip,
            private_ips: vec![ip],
            groups: i.security_groups,
            kind: "interface".into(),
        });
    }
    for g in f.internet_gateways {
        topo.internet_gateways.push(InternetGateway {
            id: g.id,
            name: None,
            vpcs: g.vpc.into_iter().collect(),
        });
    }
    for n in f.nat_gateways {
        topo.sources.insert(n.id.clone(), file.to_owned());
        let vpc = subnet_vpc(topo, &n.subnet);
        topo.nat_gateways.push(NatGateway {
            private_ip: n.ip.as_deref().map(|p| addr(&n.id, p)).transpose()?,
            public_ip: n.public_ip.as_deref().map(|p| addr(&n.id, p)).transpose()?,
            available: live(&n.state, "available"),
            id: n.id,
            name: None,
            vpc,
            subnet: n.subnet,
            public: !n.private,
            interface: None,
        });
    }
    for e in f.endpoints {
        let kind = match e.kind.to_ascii_lowercase().as_str() {
            "gateway" => EndpointKind::Gateway,
            "interface" => EndpointKind::Interface,
            other => {
                return Err(Error::input(
                    file,
                    Some(e.id),
                    format!("endpoint type {other:?} is not gateway or interface"),
                ));
            }
        };
        topo.endpoints.push(Endpoint {
            service: service_name(&region, &e.service),
            available: live(&e.state, "available"),
            id: e.id,
            name: None,
            vpc: e.vpc,
            kind,
            route_tables: e.route_tables,
            subnets: e.subnets,
            groups: e.security_groups,
            private_dns: e.private_dns,
            interfaces: Vec::new(),
            policy: e.policy,
        });
    }
    for p in f.prefix_lists {
        let cidrs = p
            .cidrs
            .iter()
            .map(|c| cidr(&p.id, c))
            .collect::<Result<_, _>>()?;
        topo.prefix_lists.push(PrefixList {
            id: p.id,
            name: service_name(&region, &p.name),
            cidrs,
        });
    }
    for p in f.peerings {
        topo.sources.insert(p.id.clone(), file.to_owned());
        let blocks = |vpc: &str| {
            topo.vpcs
                .iter()
                .find(|v| v.id == vpc)
                .map(|v| v.cidrs.clone())
        };
        let (Some(requester_cidrs), Some(accepter_cidrs)) =
            (blocks(&p.requester), blocks(&p.accepter))
        else {
            return Err(Error::input(
                file,
                Some(p.id),
                "peers a VPC that is not in the topology".into(),
            ));
        };
        let status = p.status.unwrap_or_else(|| "active".into());
        topo.peerings.push(Peering {
            active: status.eq_ignore_ascii_case("active"),
            status,
            id: p.id,
            name: None,
            requester_vpc: p.requester,
            requester_cidrs,
            accepter_vpc: p.accepter,
            accepter_cidrs,
        });
    }
    for g in f.vpn_gateways {
        let remote = g
            .remote
            .iter()
            .map(|c| cidr(&g.id, c).map(|c| (c, g.id.clone())))
            .collect::<Result<_, _>>()?;
        topo.vpn_gateways.push(VpnGateway {
            available: live(&g.state, "available"),
            id: g.id,
            name: None,
            vpcs: vec![g.vpc],
            remote,
        });
    }
    Ok(())
}

fn subnet_vpc(topo: &Topology, subnet: &str) -> String {
    topo.subnets
        .iter()
        .find(|s| s.id == subnet)
        .map(|s| s.vpc.clone())
        .unwrap_or_default()
}
