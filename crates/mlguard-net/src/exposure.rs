//! What the internet can reach: interfaces with a public address in a subnet
//! routed to an attached internet gateway, and the ports their security
//! groups and network ACLs open to public sources (return traffic included,
//! since ACLs are stateless).

use serde::Serialize;

use crate::Topology;
use crate::ip::{self, Cidr, PortSet, Ports, fmt_ip, is_private};
use crate::model::{Destination, Peer, Target};
use crate::reach::{LINUX_EPHEMERAL, acl_ports};

/// One open door.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Exposure {
    pub interface: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub public_ip: String,
    pub subnet: String,
    pub internet_gateway: String,
    pub protocol: String,
    /// Ports open after the network ACL, e.g. `22` or `443,8443`.
    pub ports: String,
    /// The public sources the rule admits.
    pub source: String,
    pub security_group: String,
    pub network_acl: String,
    /// `high` for administration and database ports or all ports, `medium`
    /// otherwise.
    pub severity: String,
}

/// Ports that should never face the internet.
const SENSITIVE: &[u16] = &[
    22, 23, 3389, 3306, 5432, 1433, 1521, 6379, 9200, 27017, 2049, 8888, 5900, 445, 11211,
];

/// Public addresses inside `c` to probe the network ACL with: one per ACL
/// block edge, so a deny of part of the internet does not hide the rest.
fn probes(c: &Cidr, acl: Option<&crate::model::NetworkAcl>) -> Vec<u32> {
    let mut out: Vec<u32> = public_in(c).into_iter().collect();
    for e in acl.map(|a| a.entries.as_slice()).unwrap_or_default() {
        let Some(b) = e.cidr else { continue };
        let size = 1u64 << (32u8.saturating_sub(b.len.min(32)));
        let after = u32::try_from(u64::from(b.addr).saturating_add(size)).ok();
        for ip in [Some(b.nth(1)), b.addr.checked_sub(1), after]
            .into_iter()
            .flatten()
        {
            if c.contains(ip) && !is_private(ip) && !out.contains(&ip) {
                out.push(ip);
            }
        }
    }
    out
}

/// A public address inside `c` to stand for "the internet" in ACL checks.
fn public_in(c: &Cidr) -> Option<u32> {
    // Prefer a documentation address when the block covers it.
    const PROBE: u32 = 0xc633_6401; // 198.51.100.1
    if c.contains(PROBE) {
        return Some(PROBE);
    }
    (0..64u32)
        .map(|k| c.nth(k.saturating_add(1)))
        .find(|a| !is_private(*a) && c.contains(*a))
}

/// Lists every interface reachable from the internet and on which ports.
#[must_use]
pub fn exposures(t: &Topology) -> Vec<Exposure> {
    let mut out = Vec::new();
    for eni in &t.interfaces {
        let Some(public_ip) = eni.public_ip else {
            continue;
        };
        let Some(subnet) = t.subnet(&eni.subnet) else {
            continue;
        };
        let Some(rt) = t.subnet_route_table(subnet) else {
            continue;
        };
        // A route to an attached internet gateway for public destinations.
        let igw =
            rt.routes
                .iter()
                .filter(|r| r.active)
                .find_map(|r| match (&r.destination, &r.target) {
                    (Destination::Cidr(c), Target::InternetGateway(g))
                        if t.internet_gateway(g)
                            .is_some_and(|x| x.vpcs.contains(&subnet.vpc))
                            && public_in(c).is_some() =>
                    {
                        Some(g.clone())
                    }
                    _ => None,
                });
        let Some(igw) = igw else { continue };
        let acl = t.subnet_acl(subnet);
        for gid in &eni.groups {
            let Some(g) = t.group(gid) else { continue };
            for rule in &g.ingress {
                let Peer::Cidr(c) = &rule.peer else { continue };
                let sources = probes(c, acl);
                if sources.is_empty() {
                    continue;
                }
                let range = rule
                    .ports
                    .filter(|_| ip::has_ports(rule.protocol))
                    .unwrap_or(Ports::ALL);
                let protocols: Vec<u8> = match rule.protocol {
                    Some(p) => vec![p],
                    None => vec![ip::proto::TCP, ip::proto::UDP],
                };
                for p in protocols {
                    // Open to some public source: the union over the probes.
                    let mut open = PortSet::default();
                    for src in &sources {
                        let ports = match acl {
                            Some(a) => {
                                let back = acl_ports(a, true, *src, p, LINUX_EPHEMERAL);
                                if back.is_empty() {
                                    PortSet::default()
                                } else {
                                    acl_ports(a, false, *src, p, range)
                                }
                            }
                            None => PortSet::of(range),
                        };
                        for r in ports.0 {
                            let mut fresh = PortSet::of(r);
                            for have in &open.0 {
                                let _ = fresh.take(*have);
                            }
                            open.extend(fresh);
                        }
                    }
                    if open.is_empty() {
                        continue;
                    }
                    let all = open == PortSet::of(Ports::ALL);
                    let sensitive = all
                        || SENSITIVE
                            .iter()
                            .any(|s| open.0.iter().any(|r| r.contains(*s)));
                    out.push(Exposure {
                        interface: eni.id.clone(),
                        name: eni.name.clone(),
                        public_ip: fmt_ip(public_ip),
                        subnet: subnet.id.clone(),
                        internet_gateway: igw.clone(),
                        protocol: ip::protocol_name(Some(p)),
                        ports: open.to_string(),
                        source: c.to_string(),
                        security_group: g.id.clone(),
                        network_acl: acl.map(|a| a.id.clone()).unwrap_or_default(),
                        severity: if sensitive { "high" } else { "medium" }.into(),
                    });
                }
            }
        }
    }
    out
}
