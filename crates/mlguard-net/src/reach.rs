//! Path analysis: does a packet from a source reach a destination, hop by
//! hop, and if not, which component stops it and why.
//!
//! The evaluation follows AWS's documented behaviour:
//! - security groups are stateful and allow-only (the source's egress rules
//!   and the destination's ingress rules; return traffic is not checked);
//!   a group reference matches the private addresses of interfaces carrying
//!   the group; a prefix-list reference matches the list's blocks;
//! - network ACLs are stateless: rules by ascending number, first match, the
//!   final `*` denies; checked when traffic leaves and enters a subnet (not
//!   within one), on the way out and on the way back (the return leg to the
//!   client's ephemeral port);
//! - routes by longest prefix; equally specific routes rank static, then
//!   prefix list, then propagated; the local route for the VPC's blocks;
//! - an internet gateway needs an attachment, a public address on the source
//!   and a public destination; a NAT gateway forwards only traffic from its
//!   own VPC and reaches the internet through its subnet's route to an
//!   internet gateway; a gateway endpoint carries TCP only; peering is not
//!   transitive and allows no edge-to-edge routing (traffic arriving over a
//!   peering is delivered only inside the peer VPC).

use serde::Serialize;

use crate::ip::{self, PortSet, Ports, fmt_ip, is_private};
use crate::model::{
    AclEntry, Destination, EndpointKind, Interface, NetworkAcl, Origin, Peer, Route, RouteTable,
    SecurityGroup, SgRule, Subnet, Target, Topology,
};

/// Where traffic starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// An existing network interface (its address and groups).
    Interface(String),
    /// A new interface in a subnet with these groups: what SageMaker creates
    /// for a training job or endpoint in VPC mode.
    Subnet { subnet: String, groups: Vec<String> },
}

/// Where traffic is going.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dest {
    /// An AWS service by endpoint service name (`s3`, `ecr.api`,
    /// `com.amazonaws.us-east-1.s3`).
    Service(String),
    /// An address (inside the network or outside it).
    Address(u32),
    /// A network interface.
    Interface(String),
    /// A new interface in a subnet with these groups (another instance of
    /// the same training job, say).
    Subnet { subnet: String, groups: Vec<String> },
}

/// One question: `protocol`/`port` from `source` to `destination`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub source: Source,
    pub destination: Dest,
    pub protocol: u8,
    pub port: u16,
}

/// A component on the path, in Reachability Analyzer's `PathComponent` shape.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PathComponent {
    pub sequence_number: u32,
    pub component: Component,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acl_rule: Option<AclRule>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_group_rule: Option<SecurityGroupRule>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route_table_route: Option<RouteTableRoute>,
    /// What happened here, in words.
    #[serde(rename = "mlguardDetail")]
    pub detail: String,
}

/// `AnalysisComponent`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Component {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// `AnalysisAclRule`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AclRule {
    pub cidr: String,
    pub egress: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port_range: Option<PortRange>,
    pub protocol: String,
    pub rule_action: String,
    pub rule_number: u32,
}

/// `PortRange`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PortRange {
    pub from: u16,
    pub to: u16,
}

/// `AnalysisSecurityGroupRule`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecurityGroupRule {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cidr: Option<String>,
    pub direction: String,
    pub security_group_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port_range: Option<PortRange>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefix_list_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub referenced_group_id: Option<String>,
    pub protocol: String,
}

/// `AnalysisRouteTableRoute`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RouteTableRoute {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination_cidr: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination_prefix_list_id: Option<String>,
    pub target: String,
    pub origin: String,
    pub state: String,
}

/// Why the path is blocked (or a warning about it), in Reachability
/// Analyzer's `Explanation` shape plus the fix.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Explanation {
    pub explanation_code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direction: Option<String>,
    pub component: Component,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acl_rule: Option<AclRule>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route_table_route: Option<RouteTableRoute>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub security_groups: Vec<Component>,
    /// What is wrong, in words.
    #[serde(rename = "mlguardMessage")]
    pub message: String,
    /// How to fix it.
    #[serde(rename = "mlguardFix")]
    pub fix: String,
}

/// The answer to a [`Query`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Analysis {
    pub network_path_found: bool,
    pub forward_path_components: Vec<PathComponent>,
    pub return_path_components: Vec<PathComponent>,
    /// Why not (empty when the path is found).
    pub explanations: Vec<Explanation>,
    /// Things that do not block this path but matter (ephemeral ports only
    /// partly open, an endpoint policy to check, assumptions made).
    #[serde(rename = "mlguardWarnings")]
    pub warnings: Vec<Explanation>,
    /// The packet analyzed.
    #[serde(rename = "mlguardPacket")]
    pub packet: Packet,
}

/// The packet the analysis followed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Packet {
    pub source_address: String,
    pub destination_address: String,
    pub protocol: String,
    pub destination_port: u16,
    /// What the destination resolved to (a service through an endpoint, the
    /// public service, an interface, an address outside the network).
    pub destination: String,
}

/// A resolved source.
struct From<'a> {
    vpc: String,
    subnet: &'a Subnet,
    ip: u32,
    public_ip: Option<u32>,
    groups: Vec<String>,
    component: Component,
}

/// A resolved destination.
#[derive(Clone)]
struct To {
    ip: u32,
    /// The interface at the destination, if the address is one.
    interface: Option<Interface>,
    /// Groups on that interface (endpoint groups for an interface endpoint).
    groups: Vec<String>,
    /// The AWS service the packet is for, if any (matches its prefix list).
    service: Option<String>,
    description: String,
    /// The address is the interface's public one: the packet reaches it
    /// through the internet gateway of its VPC.
    public: bool,
}

/// Errors in the question itself (unknown ids), not in the network.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct QueryError(pub String);

/// The Linux kernel's ephemeral ports (`ip_local_port_range`), which the
/// containers of training jobs and endpoints use as clients.
pub const LINUX_EPHEMERAL: Ports = Ports {
    from: 32768,
    to: 60999,
};

fn component(id: &str, name: Option<&String>) -> Component {
    Component {
        id: id.to_owned(),
        name: name.cloned(),
    }
}

fn acl_rule(e: &AclEntry) -> AclRule {
    AclRule {
        cidr: e.cidr.map_or_else(|| "::/0".into(), |c| c.to_string()),
        egress: e.egress,
        port_range: e.ports.map(|p| PortRange {
            from: p.from,
            to: p.to,
        }),
        protocol: e.protocol.map_or_else(|| "-1".into(), |p| p.to_string()),
        rule_action: if e.allow { "allow" } else { "deny" }.into(),
        rule_number: e.rule_number,
    }
}

fn route_view(r: &Route) -> RouteTableRoute {
    let (destination_cidr, destination_prefix_list_id) = match &r.destination {
        Destination::Cidr(c) => (Some(c.to_string()), None),
        Destination::PrefixList(p) => (None, Some(p.clone())),
    };
    RouteTableRoute {
        destination_cidr,
        destination_prefix_list_id,
        target: r.target.id().to_owned(),
        origin: match r.origin {
            Origin::Static if r.target == Target::Local => "CreateRouteTable",
            Origin::Static => "CreateRoute",
            Origin::Propagated => "EnableVgwRoutePropagation",
        }
        .into(),
        state: if r.active { "active" } else { "blackhole" }.into(),
    }
}

/// The first ACL entry (by rule number) that matches, in one direction.
#[must_use]
pub fn acl_match(
    acl: &NetworkAcl,
    egress: bool,
    peer: u32,
    protocol: u8,
    port: u16,
) -> Option<&AclEntry> {
    acl.entries.iter().find(|e| {
        e.egress == egress
            && e.cidr.is_some_and(|c| c.contains(peer))
            && e.protocol.is_none_or(|p| p == protocol)
            && e.ports
                .is_none_or(|r| !ip::has_ports(Some(protocol)) || r.contains(port))
    })
}

/// The ports in `range` an ACL admits in one direction for traffic with
/// `peer` on `protocol`, first match by rule number.
#[must_use]
pub fn acl_ports(acl: &NetworkAcl, egress: bool, peer: u32, protocol: u8, range: Ports) -> PortSet {
    let mut remaining = PortSet::of(range);
    let mut allowed = PortSet::default();
    for e in &acl.entries {
        if remaining.is_empty() {
            break;
        }
        if e.egress != egress
            || !e.cidr.is_some_and(|c| c.contains(peer))
            || e.protocol.is_some_and(|p| p != protocol)
        {
            continue;
        }
        let taken = remaining.take(
            e.ports
                .filter(|_| ip::has_ports(Some(protocol)))
                .unwrap_or(Ports::ALL),
        );
        if e.allow {
            allowed.extend(taken);
        }
    }
    allowed
}

impl Topology {
    fn prefix_list_matches(&self, pl: &str, ip: u32, service: Option<&str>) -> Option<u8> {
        let list = self.prefix_list(pl)?;
        if let Some(c) = list
            .cidrs
            .iter()
            .filter(|c| c.contains(ip))
            .max_by_key(|c| c.len)
        {
            return Some(c.len);
        }
        // A service's list whose blocks the input did not include: it still
        // carries that service's traffic, more specifically than a default
        // route (AWS's own lists hold /15–/22 blocks).
        (service.is_some_and(|s| s == list.name) && list.cidrs.is_empty()).then_some(16)
    }

    /// Longest-prefix route selection with AWS's priority between equally
    /// specific routes. Returns the chosen route and the ones it beat.
    fn select_route<'a>(
        &self,
        rt: &'a RouteTable,
        ip: u32,
        service: Option<&str>,
    ) -> Option<&'a Route> {
        rt.routes
            .iter()
            .filter_map(|r| {
                let len = match &r.destination {
                    Destination::Cidr(c) => c.contains(ip).then_some(c.len),
                    Destination::PrefixList(pl) => self.prefix_list_matches(pl, ip, service),
                }?;
                // Static CIDR (0) before prefix list (1) before propagated (2).
                let rank = match (&r.destination, r.origin) {
                    (_, Origin::Propagated) => 2u8,
                    (Destination::PrefixList(_), _) => 1,
                    (Destination::Cidr(_), Origin::Static) => 0,
                };
                Some((len, std::cmp::Reverse(rank), r))
            })
            .max_by_key(|(len, rank, _)| (*len, *rank))
            .map(|(_, _, r)| r)
    }

    /// Whether a group rule's peer matches an address (and service).
    fn peer_matches(
        &self,
        peer: &Peer,
        ip: u32,
        peer_groups: &[String],
        service: Option<&str>,
    ) -> bool {
        match peer {
            Peer::Cidr(c) => c.contains(ip),
            Peer::Group(g) => peer_groups.contains(g) || self.group_members(g).contains(&ip),
            Peer::PrefixList(pl) => self.prefix_list_matches(pl, ip, service).is_some(),
            Peer::Ipv6(_) => false,
        }
    }

    /// Whether a group rule's peer matches an address, with no knowledge of
    /// the other end's groups or service (as for a logged packet).
    #[must_use]
    pub fn rule_peer_matches(&self, peer: &Peer, ip: u32) -> bool {
        self.peer_matches(peer, ip, &[], None)
    }

    /// The first rule of these groups that admits the traffic, in one direction.
    fn sg_allows<'a>(
        &'a self,
        groups: &[String],
        egress: bool,
        other: &Other<'_>,
        protocol: u8,
        port: u16,
    ) -> Option<(&'a SecurityGroup, &'a SgRule)> {
        let Other {
            ip: peer,
            groups: peer_groups,
            service,
        } = *other;
        groups.iter().filter_map(|g| self.group(g)).find_map(|g| {
            let rules = if egress { &g.egress } else { &g.ingress };
            rules
                .iter()
                .find(|r| {
                    r.protocol.is_none_or(|p| p == protocol)
                        && r.ports
                            .is_none_or(|p| !ip::has_ports(Some(protocol)) || p.contains(port))
                        && self.peer_matches(&r.peer, peer, peer_groups, service)
                })
                .map(|r| (g, r))
        })
    }
}

fn sg_rule_view(g: &SecurityGroup, r: &SgRule, egress: bool) -> SecurityGroupRule {
    let (cidr, prefix_list_id, referenced_group_id) = match &r.peer {
        Peer::Cidr(c) => (Some(c.to_string()), None, None),
        Peer::Ipv6(c) => (Some(c.clone()), None, None),
        Peer::PrefixList(p) => (None, Some(p.clone()), None),
        Peer::Group(x) => (None, None, Some(x.clone())),
    };
    SecurityGroupRule {
        cidr,
        direction: if egress { "egress" } else { "ingress" }.into(),
        security_group_id: g.id.clone(),
        port_range: r.ports.map(|p| PortRange {
            from: p.from,
            to: p.to,
        }),
        prefix_list_id,
        referenced_group_id,
        protocol: ip::protocol_name(r.protocol),
    }
}

/// The other end of a flow, as a security group rule sees it.
#[derive(Clone, Copy)]
struct Other<'a> {
    ip: u32,
    groups: &'a [String],
    service: Option<&'a str>,
}

/// Walks one query through the topology.
struct Walk<'t> {
    t: &'t Topology,
    protocol: u8,
    port: u16,
    forward: Vec<PathComponent>,
    back: Vec<PathComponent>,
    explanations: Vec<Explanation>,
    warnings: Vec<Explanation>,
}

fn explanation(
    code: &str,
    direction: Option<&str>,
    component: Component,
    message: String,
    fix: String,
) -> Explanation {
    Explanation {
        explanation_code: code.into(),
        direction: direction.map(str::to_owned),
        component,
        acl_rule: None,
        route_table_route: None,
        security_groups: Vec::new(),
        message,
        fix,
    }
}

impl<'t> Walk<'t> {
    fn hop(&mut self, back: bool, c: Component, detail: String) -> &mut PathComponent {
        let list = if back {
            &mut self.back
        } else {
            &mut self.forward
        };
        let n = u32::try_from(list.len())
            .unwrap_or(u32::MAX)
            .saturating_add(1);
        list.push(PathComponent {
            sequence_number: n,
            component: c,
            acl_rule: None,
            security_group_rule: None,
            route_table_route: None,
            detail,
        });
        let last = list.len().saturating_sub(1);
        #[expect(clippy::indexing_slicing, reason = "an element was pushed just above")]
        &mut list[last]
    }

    fn block(&mut self, e: Explanation) -> bool {
        self.explanations.push(e);
        false
    }

    fn proto_name(&self) -> String {
        ip::protocol_name(Some(self.protocol))
    }

    /// One side's security groups: `groups` (at `at`) admit the packet to
    /// (egress) or from (ingress) `other`. `wording` is (what the groups are,
    /// the other end in words, the rule to add's peer).
    fn sg(
        &mut self,
        egress: bool,
        groups: &[String],
        other: &Other<'_>,
        at: Component,
        wording: [String; 3],
    ) -> bool {
        let dir = if egress { "egress" } else { "ingress" };
        if let Some((g, r)) = self
            .t
            .sg_allows(groups, egress, other, self.protocol, self.port)
        {
            let view = sg_rule_view(g, r, egress);
            let hop = self.hop(
                false,
                component(&g.id, g.name.as_ref()),
                format!("security group {} allows {dir}", g.id),
            );
            hop.security_group_rule = Some(view);
            return true;
        }
        let empty = groups.iter().filter_map(|g| self.t.group(g)).all(|g| {
            if egress {
                g.egress.is_empty()
            } else {
                g.ingress.is_empty()
            }
        });
        let [whose, peer, add_peer] = wording;
        let (bound, toward) = if egress {
            ("outbound", "to")
        } else {
            ("inbound", "from")
        };
        let mut e = explanation(
            if empty {
                "SG_HAS_NO_RULES"
            } else {
                "ENI_SG_RULES_MISMATCH"
            },
            Some(dir),
            at,
            format!(
                "no {bound} rule of {whose} ({}) allows {} port {} {toward} {peer}",
                groups.join(", "),
                self.proto_name(),
                self.port
            ),
            format!(
                "add an {bound} rule allowing {} port {} {toward} {add_peer} in one of {}{}",
                self.proto_name(),
                self.port,
                groups.join(", "),
                if egress {
                    ""
                } else {
                    " (security groups can only allow; there is nothing to remove)"
                }
            ),
        );
        e.security_groups = groups.iter().map(|g| component(g, None)).collect();
        self.block(e)
    }

    /// Source groups' egress, for a packet to `to`.
    fn sg_egress(&mut self, from: &From<'_>, to: &To) -> bool {
        let other = Other {
            ip: to.ip,
            groups: &to.groups,
            service: to.service.as_deref(),
        };
        let add_peer = to.service.as_ref().map_or_else(
            || fmt_ip(to.ip),
            |s| format!("{s} (its prefix list, or 0.0.0.0/0)"),
        );
        let wording = [
            "the source's security groups".to_owned(),
            to.description.clone(),
            add_peer,
        ];
        self.sg(true, &from.groups, &other, from.component.clone(), wording)
    }

    /// Destination groups' ingress, for a packet from `src_ip`.
    fn sg_ingress(&mut self, to: &To, src_ip: u32, src_groups: &[String]) -> bool {
        let Some(eni) = &to.interface else {
            return true; // an address without an interface in the model: nothing to check
        };
        if to.groups.is_empty() {
            self.warnings.push(explanation(
                "UNKNOWN_RESOURCE",
                Some("ingress"),
                component(&eni.id, eni.name.as_ref()),
                format!(
                    "{} has no security groups in the input; its inbound rules were not checked",
                    eni.id
                ),
                "include the interface's groups in the topology (describe-network-interfaces)"
                    .into(),
            ));
            return true;
        }
        let other = Other {
            ip: src_ip,
            groups: src_groups,
            service: None,
        };
        let add_peer = src_groups
            .first()
            .cloned()
            .unwrap_or_else(|| fmt_ip(src_ip));
        let wording = [
            format!("{}'s security groups", eni.id),
            fmt_ip(src_ip),
            add_peer,
        ];
        self.sg(
            false,
            &to.groups,
            &other,
            component(&eni.id, eni.name.as_ref()),
            wording,
        )
    }

    /// One network ACL check for a single port (the forward direction).
    fn acl(&mut self, subnet: &Subnet, egress: bool, peer: u32) -> bool {
        let Some(acl) = self.t.subnet_acl(subnet) else {
            return true;
        };
        let dir = if egress { "egress" } else { "ingress" };
        match acl_match(acl, egress, peer, self.protocol, self.port) {
            Some(e) if e.allow => {
                let hop = self.hop(
                    false,
                    component(&acl.id, acl.name.as_ref()),
                    format!("network ACL of {} allows {dir}", subnet.id),
                );
                hop.acl_rule = Some(acl_rule(e));
                true
            }
            found => {
                let rule = found.map_or_else(
                    || "the final * rule".to_owned(),
                    |e| format!("rule {}", e.rule_number),
                );
                let mut x = explanation(
                    "SUBNET_ACL_RESTRICTION",
                    Some(dir),
                    component(&acl.id, acl.name.as_ref()),
                    format!(
                        "network ACL {} of {} denies {dir} {} port {} {} {} ({rule})",
                        acl.id,
                        subnet.id,
                        self.proto_name(),
                        self.port,
                        if egress { "to" } else { "from" },
                        fmt_ip(peer)
                    ),
                    format!(
                        "add an {} rule to {} allowing {} port {} {} {}, numbered below any deny that matches it",
                        if egress { "outbound" } else { "inbound" },
                        acl.id,
                        self.proto_name(),
                        self.port,
                        if egress { "to" } else { "from" },
                        fmt_ip(peer)
                    ),
                );
                x.acl_rule = found.map(acl_rule);
                self.block(x)
            }
        }
    }

    /// A return-leg ACL check over the ports the other end uses.
    fn acl_return(
        &mut self,
        subnet: &Subnet,
        egress: bool,
        peer: u32,
        need: Ports,
        who: &str,
    ) -> bool {
        let Some(acl) = self.t.subnet_acl(subnet) else {
            return true;
        };
        let dir = if egress { "egress" } else { "ingress" };
        let allowed = acl_ports(acl, egress, peer, self.protocol, Ports::EPHEMERAL);
        let needed = {
            let mut a = allowed.clone();
            a.take(need)
        };
        let covers = needed == PortSet::of(need);
        let c = component(&acl.id, acl.name.as_ref());
        if covers {
            self.hop(
                true,
                c.clone(),
                format!(
                    "network ACL of {} allows return {dir} on ports {allowed}",
                    subnet.id
                ),
            );
            if allowed != PortSet::of(Ports::EPHEMERAL) {
                self.warnings.push(explanation(
                    "SUBNET_ACL_RESTRICTION",
                    Some(dir),
                    c,
                    format!(
                        "return traffic {} {} passes {} only on ports {allowed}; clients that pick other ephemeral ports (NAT gateways, load balancers and Lambda use 1024-65535) would fail",
                        if egress { "to" } else { "from" },
                        fmt_ip(peer),
                        acl.id
                    ),
                    format!("allow {} ports 1024-65535 {} {} in {}", self.proto_name(), if egress { "to" } else { "from" }, fmt_ip(peer), acl.id),
                ));
            }
            return true;
        }
        self.block(explanation(
            "SUBNET_ACL_RESTRICTION",
            Some(dir),
            c,
            format!(
                "network ACL {} of {} does not pass the return traffic {} {} on {who}'s ephemeral ports {need} (it allows {})",
                acl.id,
                subnet.id,
                if egress { "to" } else { "from" },
                fmt_ip(peer),
                if allowed.is_empty() { "none of 1024-65535".to_owned() } else { allowed.to_string() }
            ),
            format!(
                "network ACLs are stateless: add an {} rule to {} allowing {} ports 1024-65535 {} {}",
                if egress { "outbound" } else { "inbound" },
                acl.id,
                self.proto_name(),
                if egress { "to" } else { "from" },
                fmt_ip(peer)
            ),
        ))
    }

    fn route(
        &mut self,
        subnet: &Subnet,
        to: &To,
        back: bool,
    ) -> Option<(&'t RouteTable, &'t Route)> {
        let Some(rt) = self.t.subnet_route_table(subnet) else {
            self.block(explanation(
                "NO_ROUTE_TO_DESTINATION",
                None,
                component(&subnet.id, subnet.name.as_ref()),
                format!("{} has no route table", subnet.id),
                "associate a route table with the subnet".into(),
            ));
            return None;
        };
        let Some(route) = self.t.select_route(rt, to.ip, to.service.as_deref()) else {
            self.block(explanation(
                "NO_ROUTE_TO_DESTINATION",
                None,
                component(&rt.id, rt.name.as_ref()),
                format!("route table {} (of {}) has no route to {}", rt.id, subnet.id, to.description),
                match &to.service {
                    Some(s) => format!(
                        "add a VPC endpoint for {s} (a gateway endpoint for S3 and DynamoDB, an interface endpoint otherwise) or a route 0.0.0.0/0 to a NAT gateway in {}",
                        rt.id
                    ),
                    None => format!("add a route covering {} to {}", fmt_ip(to.ip), rt.id),
                },
            ));
            return None;
        };
        let hop = self.hop(
            back,
            component(&rt.id, rt.name.as_ref()),
            format!(
                "route table {} sends {} to {}",
                rt.id,
                to.description,
                route.target.id()
            ),
        );
        hop.route_table_route = Some(route_view(route));
        if !route.active {
            let mut e = explanation(
                "BAD_STATE_ROUTE",
                None,
                component(&rt.id, rt.name.as_ref()),
                format!(
                    "the route in {} to {} is a blackhole: its target no longer exists",
                    rt.id,
                    route.target.id()
                ),
                format!(
                    "replace the route's target in {} with a live gateway",
                    rt.id
                ),
            );
            e.route_table_route = Some(route_view(route));
            self.block(e);
            return None;
        }
        Some((rt, route))
    }
}

/// Answers one query.
pub fn analyze(t: &Topology, q: &Query) -> Result<Analysis, QueryError> {
    let from = resolve_source(t, &q.source)?;
    let Resolved {
        to,
        warnings,
        blocked,
    } = resolve_destination(t, &from, &q.destination)?;
    let mut w = Walk {
        t,
        protocol: q.protocol,
        port: q.port,
        forward: Vec::new(),
        back: Vec::new(),
        explanations: Vec::new(),
        warnings,
    };
    w.hop(
        false,
        from.component.clone(),
        format!("source {} in {}", fmt_ip(from.ip), from.subnet.id),
    );
    let found = match blocked {
        Some(e) => w.block(e),
        None => walk(&mut w, &from, &to),
    };
    Ok(Analysis {
        network_path_found: found,
        forward_path_components: w.forward,
        return_path_components: if found { w.back } else { Vec::new() },
        explanations: w.explanations,
        warnings: w.warnings,
        packet: Packet {
            source_address: fmt_ip(from.ip),
            destination_address: fmt_ip(to.ip),
            protocol: ip::protocol_name(Some(q.protocol)),
            destination_port: q.port,
            destination: to.description,
        },
    })
}

fn resolve_source<'t>(t: &'t Topology, s: &Source) -> Result<From<'t>, QueryError> {
    match s {
        Source::Interface(id) => {
            let id = t.resolve_name(id).unwrap_or_else(|| id.clone());
            let eni = t
                .interface(&id)
                .ok_or_else(|| QueryError(format!("no network interface {id} in the topology")))?;
            let subnet = t
                .subnet(&eni.subnet)
                .ok_or_else(|| QueryError(format!("{id}: subnet {} unknown", eni.subnet)))?;
            Ok(From {
                vpc: eni.vpc.clone(),
                subnet,
                ip: eni.private_ip,
                public_ip: eni.public_ip,
                groups: eni.groups.clone(),
                component: component(&eni.id, eni.name.as_ref()),
            })
        }
        Source::Subnet { subnet, groups } => {
            let id = t.resolve_name(subnet).unwrap_or_else(|| subnet.clone());
            let sn = t
                .subnet(&id)
                .ok_or_else(|| QueryError(format!("no subnet {id} in the topology")))?;
            let mut gs = Vec::new();
            for g in groups {
                let gid = t.resolve_name(g).unwrap_or_else(|| g.clone());
                let group = t.group(&gid).ok_or_else(|| {
                    QueryError(format!("no security group {gid} in the topology"))
                })?;
                if group.vpc != sn.vpc {
                    return Err(QueryError(format!(
                        "security group {gid} is in {}, not in {}'s VPC {}",
                        group.vpc, sn.id, sn.vpc
                    )));
                }
                gs.push(gid);
            }
            if gs.is_empty() {
                // What EC2 does for an interface created without groups.
                match t
                    .groups
                    .iter()
                    .find(|g| g.vpc == sn.vpc && g.name.as_deref() == Some("default"))
                {
                    Some(g) => gs.push(g.id.clone()),
                    None => {
                        return Err(QueryError(format!(
                            "name the security groups of the new interface in {}: its VPC {} has no group named default to fall back on",
                            sn.id, sn.vpc
                        )));
                    }
                }
            }
            // The first address AWS lets an interface have (it keeps four)
            // that no modelled interface holds.
            let ip = free_address(t, sn, 4, None);
            Ok(From {
                vpc: sn.vpc.clone(),
                subnet: sn,
                ip,
                public_ip: None,
                groups: gs,
                component: Component {
                    id: format!("{}/new-interface", sn.id),
                    name: Some(format!("a new interface in {} ({})", sn.id, fmt_ip(ip))),
                },
            })
        }
    }
}

/// An address of `sn` from the `start`th on that no interface in its VPC
/// holds (and that is not `avoid`): a new interface must not inherit another's
/// group memberships by sharing its address.
fn free_address(t: &Topology, sn: &Subnet, start: u32, avoid: Option<u32>) -> u32 {
    let size = 1u64 << (32u8.saturating_sub(sn.cidr.len.min(32)));
    let last = u32::try_from(size.saturating_sub(2)).unwrap_or(u32::MAX);
    (start..=last.max(start))
        .take(65_536)
        .map(|k| sn.cidr.nth(k))
        .find(|ip| Some(*ip) != avoid && !t.address_taken(&sn.vpc, *ip))
        .unwrap_or_else(|| sn.cidr.nth(start))
}

/// A representative public address for a service whose blocks the input
/// does not list (documentation range: never a real host).
const UNLISTED_SERVICE_ADDRESS: u32 = 0xcb00_7163; // 203.0.113.99

/// A resolved destination, what resolving it noticed, and whether it cannot
/// be reached at all (a name that does not resolve).
struct Resolved {
    to: To,
    warnings: Vec<Explanation>,
    blocked: Option<Explanation>,
}

fn resolve_destination(t: &Topology, from: &From<'_>, d: &Dest) -> Result<Resolved, QueryError> {
    let mut notes = Vec::new();
    let to = match d {
        Dest::Interface(id) => {
            let id = t.resolve_name(id).unwrap_or_else(|| id.clone());
            let eni = t
                .interface(&id)
                .ok_or_else(|| QueryError(format!("no network interface {id} in the topology")))?;
            To {
                ip: eni.private_ip,
                groups: eni.groups.clone(),
                interface: Some(eni.clone()),
                service: None,
                description: format!("{} ({})", eni.id, fmt_ip(eni.private_ip)),
                public: false,
            }
        }
        Dest::Subnet { subnet, groups } => {
            let id = t.resolve_name(subnet).unwrap_or_else(|| subnet.clone());
            let sn = t
                .subnet(&id)
                .ok_or_else(|| QueryError(format!("no subnet {id} in the topology")))?;
            let ip = free_address(t, sn, 4, Some(from.ip));
            let eni = Interface {
                id: format!("{}/new-interface", sn.id),
                name: None,
                subnet: sn.id.clone(),
                vpc: sn.vpc.clone(),
                private_ip: ip,
                private_ips: vec![ip],
                public_ip: None,
                groups: groups.clone(),
                kind: "interface".into(),
            };
            To {
                ip,
                groups: groups.clone(),
                interface: Some(eni),
                service: None,
                description: format!("a new interface in {} ({})", sn.id, fmt_ip(ip)),
                public: false,
            }
        }
        Dest::Address(ip) if t.interface_by_public_ip(*ip).is_some() => {
            let eni = t
                .interface_by_public_ip(*ip)
                .ok_or_else(|| QueryError("unreachable".into()))?;
            To {
                ip: *ip,
                groups: eni.groups.clone(),
                interface: Some(eni.clone()),
                service: None,
                description: format!("{} (public address {})", eni.id, fmt_ip(*ip)),
                public: true,
            }
        }
        Dest::Address(ip) => match t.interface_by_ip(Some(&from.vpc), *ip) {
            Some(eni) => To {
                ip: *ip,
                groups: eni.groups.clone(),
                interface: Some(eni.clone()),
                service: None,
                description: format!("{} ({})", eni.id, fmt_ip(*ip)),
                public: false,
            },
            None => To {
                ip: *ip,
                groups: Vec::new(),
                interface: None,
                service: None,
                description: fmt_ip(*ip),
                public: false,
            },
        },
        Dest::Service(name) => {
            let region = t.region.clone().unwrap_or_else(|| "us-east-1".into());
            let service = crate::yaml::service_name(&region, name);
            let vpc = t
                .vpc(&from.vpc)
                .ok_or_else(|| QueryError(format!("VPC {} unknown", from.vpc)))?;
            // With several endpoints for one service, the one whose private
            // DNS answers is the one used.
            let candidates = || {
                t.endpoints.iter().filter(|e| {
                    e.vpc == from.vpc && e.kind == EndpointKind::Interface && e.service == service
                })
            };
            let interface_ep = candidates()
                .find(|e| e.available && e.private_dns)
                .or_else(|| candidates().next());
            let mut chosen = None;
            if let Some(ep) = interface_ep {
                let c = component(&ep.id, ep.name.as_ref());
                if !ep.available {
                    notes.push(explanation(
                        "BAD_STATE",
                        None,
                        c,
                        format!(
                            "interface endpoint {} for {service} is not available",
                            ep.id
                        ),
                        "recreate the endpoint".into(),
                    ));
                } else if !vpc.dns_support {
                    // Nothing resolves at all without the Amazon DNS server.
                } else if !ep.private_dns || !vpc.dns_hostnames {
                    let why = if ep.private_dns {
                        format!("the VPC {} has enableDnsHostnames off", vpc.id)
                    } else {
                        format!("private DNS is not enabled on {}", ep.id)
                    };
                    notes.push(explanation(
                        "VPCE_PRIVATE_DNS_DISABLED",
                        None,
                        c,
                        format!("the interface endpoint {} for {service} is bypassed: {why}, so the service's default hostname resolves to its public addresses", ep.id),
                        format!("enable private DNS on {} and enableDnsSupport and enableDnsHostnames on {}", ep.id, vpc.id),
                    ));
                } else {
                    // Private DNS answers with the endpoint's address in the
                    // source's zone when it has one there.
                    let az = from.subnet.az.as_deref();
                    let enis: Vec<&Interface> = ep
                        .interfaces
                        .iter()
                        .filter_map(|i| t.interface(i))
                        .collect();
                    let pick = enis
                        .iter()
                        .find(|e| {
                            az.is_some() && t.subnet(&e.subnet).and_then(|s| s.az.as_deref()) == az
                        })
                        .or_else(|| enis.first());
                    if let Some(eni) = pick {
                        chosen = Some(To {
                            ip: eni.private_ip,
                            // The endpoint's groups are the ones AWS applies;
                            // an endpoint created without any gets the VPC's
                            // default group.
                            groups: if !ep.groups.is_empty() {
                                ep.groups.clone()
                            } else if !eni.groups.is_empty() {
                                eni.groups.clone()
                            } else {
                                t.groups
                                    .iter()
                                    .filter(|g| {
                                        g.vpc == ep.vpc && g.name.as_deref() == Some("default")
                                    })
                                    .map(|g| g.id.clone())
                                    .collect()
                            },
                            interface: Some((*eni).clone()),
                            service: None,
                            description: format!(
                                "{service} through interface endpoint {} ({})",
                                ep.id,
                                fmt_ip(eni.private_ip)
                            ),
                            public: false,
                        });
                    }
                }
            }
            if !vpc.dns_support {
                let blocked = explanation(
                    "VPC_DNS_DISABLED",
                    None,
                    component(&vpc.id, vpc.name.as_ref()),
                    format!(
                        "enableDnsSupport is off in {}: the Amazon DNS server does not answer, so {service}'s hostname does not resolve (\"Could not resolve host\")",
                        vpc.id
                    ),
                    format!(
                        "turn on enableDnsSupport (and enableDnsHostnames) for {}",
                        vpc.id
                    ),
                );
                let to = To {
                    ip: UNLISTED_SERVICE_ADDRESS,
                    groups: Vec::new(),
                    interface: None,
                    service: Some(service.clone()),
                    description: format!("{service} (not resolvable)"),
                    public: false,
                };
                return Ok(Resolved {
                    to,
                    warnings: notes,
                    blocked: Some(blocked),
                });
            }
            match chosen {
                Some(c) => c,
                None => {
                    let listed = t
                        .prefix_lists
                        .iter()
                        .find(|p| p.name == service)
                        .and_then(|p| p.cidrs.first());
                    let ip = listed.map_or(UNLISTED_SERVICE_ADDRESS, |c| c.nth(10));
                    To {
                        ip,
                        groups: Vec::new(),
                        interface: None,
                        service: Some(service.clone()),
                        description: if listed.is_some() {
                            format!("{service} ({})", fmt_ip(ip))
                        } else {
                            format!("{service} (its regional public addresses)")
                        },
                        public: false,
                    }
                }
            }
        }
    };
    Ok(Resolved {
        to,
        warnings: notes,
        blocked: None,
    })
}

fn walk(w: &mut Walk<'_>, from: &From<'_>, to: &To) -> bool {
    let t = w.t;
    if !w.sg_egress(from, to) {
        return false;
    }
    let dest_subnet = match &to.interface {
        Some(e) if !to.public => t.subnet(&e.subnet),
        Some(_) => None,
        // An address in the source's own subnet: delivered there directly.
        None => from.subnet.cidr.contains(to.ip).then_some(from.subnet),
    };
    // Within one subnet: delivered directly, no route table, no network ACL.
    if let Some(s) = dest_subnet.filter(|s| s.id == from.subnet.id) {
        if !w.sg_ingress(to, from.ip, &from.groups) {
            return false;
        }
        if let Some(e) = &to.interface {
            w.hop(
                false,
                component(&e.id, e.name.as_ref()),
                format!("destination {}", fmt_ip(to.ip)),
            );
        }
        w.hop(
            true,
            component(&s.id, s.name.as_ref()),
            format!("replies stay within {} (no route table or network ACL; security groups are stateful)", s.id),
        );
        return true;
    }
    if !w.acl(from.subnet, true, to.ip) {
        return false;
    }
    let Some((_, route)) = w.route(from.subnet, to, false) else {
        return false;
    };
    match &route.target {
        Target::Local => deliver_local(w, from, to, &from.vpc, from.ip, &from.groups, None),
        Target::InternetGateway(igw) => internet(w, from, to, igw, from.public_ip, from.ip, from.subnet, None),
        Target::NatGateway(nat) => via_nat(w, from, to, nat),
        Target::VpcEndpoint(vpce) => gateway_endpoint(w, from, to, vpce),
        Target::Peering(pcx) => via_peering(w, from, to, pcx),
        Target::VpnGateway(vgw) => via_vgw(w, from, to, vgw, from.subnet, route.origin == Origin::Propagated),
        other => w.block(explanation(
            "UNSUPPORTED_COMPONENT",
            None,
            component(other.id(), None),
            format!("the path continues through {}, which this analysis does not follow (middleboxes and transit gateways)", other.id()),
            "analyze the two halves of the path on either side of it separately".into(),
        )),
    }
}

/// Delivery inside a VPC to the destination's subnet (local route, or the
/// far side of a peering), then the return leg.
fn deliver_local(
    w: &mut Walk<'_>,
    from: &From<'_>,
    to: &To,
    vpc: &str,
    src_ip: u32,
    src_groups: &[String],
    via_peering: Option<&str>,
) -> bool {
    let t = w.t;
    if let Some(e) = to.interface.as_ref().filter(|e| e.vpc != vpc) {
        return w.block(explanation(
            "NO_POSSIBLE_DESTINATION",
            None,
            component(vpc, None),
            format!(
                "{} lies in {vpc}'s own address space, so the local route keeps the packet in {vpc}; {} is in {}, which shares the address space and is reached only by its own network",
                fmt_ip(to.ip),
                e.id,
                e.vpc
            ),
            format!("VPCs with overlapping blocks cannot be peered: re-address one of them, or reach {} through a NAT or PrivateLink", e.id),
        ));
    }
    let Some(dest_subnet) = to
        .interface
        .as_ref()
        .and_then(|e| t.subnet(&e.subnet))
        .or_else(|| t.subnet_of(vpc, to.ip))
    else {
        return w.block(explanation(
            "NO_POSSIBLE_DESTINATION",
            None,
            component(vpc, None),
            format!(
                "{} is in {vpc}'s address space but in none of its subnets",
                fmt_ip(to.ip)
            ),
            "check the destination address".into(),
        ));
    };
    w.hop(
        false,
        component(&dest_subnet.id, dest_subnet.name.as_ref()),
        format!("delivered within {vpc} to {}", dest_subnet.id),
    );
    if !w.acl(dest_subnet, false, src_ip) {
        return false;
    }
    if !w.sg_ingress(to, src_ip, src_groups) {
        return false;
    }
    if let Some(e) = &to.interface {
        w.hop(
            false,
            component(&e.id, e.name.as_ref()),
            format!("destination {}", fmt_ip(to.ip)),
        );
    }
    // Return leg: stateless ACLs on both subnets, and the way back.
    if !w.acl_return(dest_subnet, true, src_ip, LINUX_EPHEMERAL, "the source") {
        return false;
    }
    if let Some(pcx) = via_peering {
        let back = To {
            ip: src_ip,
            interface: None,
            groups: Vec::new(),
            service: None,
            description: fmt_ip(src_ip),
            public: false,
        };
        let Some((_, route)) = w.route(dest_subnet, &back, true) else {
            if let Some(e) = w.explanations.last_mut() {
                e.message = format!("{} (the return path over {pcx})", e.message);
                e.fix = format!(
                    "add a route for {}'s VPC block to {pcx} in the destination subnet's route table",
                    fmt_ip(src_ip)
                );
            }
            return false;
        };
        if route.target != Target::Peering(pcx.to_owned()) {
            return w.block(explanation(
                "NO_ROUTE_TO_DESTINATION",
                Some("ingress"),
                component(route.target.id(), None),
                format!("the return traffic to {} leaves through {}, not the peering {pcx} it came in on", fmt_ip(src_ip), route.target.id()),
                format!("route {}'s VPC block to {pcx} in the destination subnet's route table", fmt_ip(src_ip)),
            ));
        }
    }
    w.acl_return(from.subnet, false, to.ip, LINUX_EPHEMERAL, "the source")
}

#[expect(
    clippy::too_many_arguments,
    reason = "one walk step with its packet fields"
)]
fn internet(
    w: &mut Walk<'_>,
    from: &From<'_>,
    to: &To,
    igw: &str,
    public_ip: Option<u32>,
    src_ip: u32,
    out_subnet: &Subnet,
    nat: Option<&str>,
) -> bool {
    let t = w.t;
    let vpc = &out_subnet.vpc;
    let Some(g) = t.internet_gateway(igw) else {
        return w.block(explanation(
            "BAD_STATE",
            None,
            component(igw, None),
            format!("internet gateway {igw} is not in the topology"),
            "recreate the internet gateway and its route".into(),
        ));
    };
    let c = component(&g.id, g.name.as_ref());
    if !g.vpcs.contains(vpc) {
        return w.block(explanation(
            "BAD_STATE_ATTACHMENT",
            None,
            c,
            format!("internet gateway {igw} is not attached to {vpc}"),
            format!("attach {igw} to {vpc}"),
        ));
    }
    if is_private(to.ip) {
        return w.block(explanation(
            "IGW_DESTINATION_ADDRESS_NOT_IN_RFC1918_EGRESS",
            Some("egress"),
            c,
            format!(
                "an internet gateway does not carry traffic to a private address ({})",
                fmt_ip(to.ip)
            ),
            "reach private networks over peering, VPN or Direct Connect".into(),
        ));
    }
    if public_ip.is_none() {
        let who = nat.map_or_else(|| from.component.id.clone(), str::to_owned);
        return w.block(explanation(
            "IGW_PUBLIC_IP_ASSOCIATION_FOR_EGRESS",
            Some("egress"),
            c,
            format!(
                "{who} ({}) has no public IPv4 address, so the internet gateway drops its traffic{}",
                fmt_ip(src_ip),
                if nat.is_none() { " (SageMaker's interfaces never get one, even in a public subnet)" } else { "" }
            ),
            match nat {
                Some(n) => format!("give {n} an Elastic IP (a public NAT gateway needs one)"),
                None => "put the workload in a private subnet that routes 0.0.0.0/0 to a NAT gateway, or use VPC endpoints".into(),
            },
        ));
    }
    w.hop(
        false,
        c,
        format!(
            "internet gateway {igw} translates {} to {}",
            fmt_ip(src_ip),
            public_ip.map(fmt_ip).unwrap_or_default()
        ),
    );
    if let Some(dest) = to.interface.as_ref().filter(|_| to.public) {
        // Back in through the destination VPC's internet gateway: its subnet's
        // ACL and the interface's groups see the sender's public address.
        let sender = public_ip.unwrap_or(src_ip);
        let Some(dest_subnet) = t.subnet(&dest.subnet) else {
            return w.block(explanation(
                "UNKNOWN_DESTINATION",
                None,
                component(&dest.id, dest.name.as_ref()),
                format!("{}'s subnet is not in the topology", dest.id),
                String::new(),
            ));
        };
        let Some(igw_in) = t
            .internet_gateways
            .iter()
            .find(|g| g.vpcs.contains(&dest.vpc))
        else {
            return w.block(explanation(
                "IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS",
                Some("ingress"),
                component(&dest.vpc, None),
                format!(
                    "{} has no internet gateway attached, so {}'s public address receives nothing",
                    dest.vpc, dest.id
                ),
                format!("attach an internet gateway to {}", dest.vpc),
            ));
        };
        w.hop(
            false,
            component(&igw_in.id, igw_in.name.as_ref()),
            format!(
                "internet gateway {} translates {} to {}",
                igw_in.id,
                fmt_ip(to.ip),
                fmt_ip(dest.private_ip)
            ),
        );
        match w
            .t
            .subnet_route_table(dest_subnet)
            .and_then(|rt| t.select_route(rt, sender, None))
        {
            Some(r) if matches!(r.target, Target::InternetGateway(_)) && r.active => {}
            _ => {
                return w.block(explanation(
                    "NO_ROUTE_TO_DESTINATION",
                    Some("egress"),
                    component(&dest_subnet.id, dest_subnet.name.as_ref()),
                    format!(
                        "{} has no route to the internet gateway for the reply to {}",
                        dest_subnet.id,
                        fmt_ip(sender)
                    ),
                    format!(
                        "route 0.0.0.0/0 to {} in {}'s route table",
                        igw_in.id, dest_subnet.id
                    ),
                ));
            }
        }
        let dest_to = To {
            ip: dest.private_ip,
            ..to.clone()
        };
        if !w.acl(dest_subnet, false, sender) || !w.sg_ingress(&dest_to, sender, &[]) {
            return false;
        }
        w.hop(
            false,
            component(&dest.id, dest.name.as_ref()),
            format!("destination {}", to.description),
        );
        if !w.acl_return(dest_subnet, true, sender, LINUX_EPHEMERAL, "the source") {
            return false;
        }
    } else {
        w.hop(
            false,
            component(&to.description, None),
            "destination reached".into(),
        );
    }
    if nat.is_none() {
        return w.acl_return(from.subnet, false, to.ip, LINUX_EPHEMERAL, "the source");
    }
    true
}

fn via_nat(w: &mut Walk<'_>, from: &From<'_>, to: &To, nat_id: &str) -> bool {
    let t = w.t;
    let Some(nat) = t.nat_gateway(nat_id) else {
        return w.block(explanation(
            "BAD_STATE",
            None,
            component(nat_id, None),
            format!("NAT gateway {nat_id} is not in the topology"),
            "recreate the NAT gateway and point the route at it".into(),
        ));
    };
    let c = component(&nat.id, nat.name.as_ref());
    if !nat.available {
        return w.block(explanation(
            "BAD_STATE",
            None,
            c,
            format!("NAT gateway {nat_id} is not available"),
            "recreate the NAT gateway".into(),
        ));
    }
    if nat.vpc != from.vpc {
        return w.block(explanation(
            "NGW_REQUIRES_SOURCE_IN_VPC",
            None,
            c,
            format!(
                "NAT gateway {nat_id} only forwards traffic from its own VPC {}",
                nat.vpc
            ),
            "use a NAT gateway in the source's VPC".into(),
        ));
    }
    let Some(nat_subnet) = t.subnet(&nat.subnet) else {
        if nat.subnet.is_empty() {
            return w.block(explanation(
                "UNSUPPORTED_COMPONENT",
                None,
                c,
                format!("{nat_id} is a regional NAT gateway, which this analysis does not model"),
                "analyze with a zonal NAT gateway, or check the regional gateway's route table by hand".into(),
            ));
        }
        return w.block(explanation(
            "BAD_STATE",
            None,
            c,
            format!("NAT gateway {nat_id}'s subnet is not in the topology"),
            String::new(),
        ));
    };
    let nat_ip = nat.private_ip.unwrap_or_else(|| nat_subnet.cidr.nth(5));
    if nat_subnet.id != from.subnet.id && !w.acl(nat_subnet, false, from.ip) {
        return false;
    }
    w.hop(
        false,
        c.clone(),
        format!(
            "NAT gateway {nat_id} translates {} to {}",
            fmt_ip(from.ip),
            fmt_ip(nat_ip)
        ),
    );
    if !w.acl(nat_subnet, true, to.ip) {
        return false;
    }
    let Some((_, route)) = w.route(nat_subnet, to, false) else {
        return false;
    };
    let reached = match &route.target {
        Target::InternetGateway(igw) if nat.public => internet(w, from, to, igw, nat.public_ip, nat_ip, nat_subnet, Some(nat_id)),
        Target::InternetGateway(_) => w.block(explanation(
            "NGW_PRIVATE_TO_IGW",
            None,
            c,
            format!("{nat_id} is a private NAT gateway: the internet gateway drops its traffic"),
            "use a public NAT gateway (with an Elastic IP) for internet access".into(),
        )),
        Target::VpnGateway(vgw) => via_vgw(w, from, to, vgw, nat_subnet, route.origin == Origin::Propagated),
        other => w.block(explanation(
            "NO_ROUTE_TO_DESTINATION",
            None,
            component(other.id(), None),
            format!("NAT gateway {nat_id}'s subnet {} sends {} to {}, not to an internet gateway", nat_subnet.id, to.description, other.id()),
            format!("put {nat_id} in a public subnet: one whose route table sends 0.0.0.0/0 to an internet gateway"),
        )),
    };
    if !reached {
        return false;
    }
    // Return: into the NAT's subnet on the NAT's ports, out to the client on its ports.
    w.acl_return(
        nat_subnet,
        false,
        to.ip,
        Ports::EPHEMERAL,
        "the NAT gateway",
    ) && (nat_subnet.id == from.subnet.id
        || w.acl_return(nat_subnet, true, from.ip, LINUX_EPHEMERAL, "the source"))
        && (nat_subnet.id == from.subnet.id
            || w.acl_return(from.subnet, false, to.ip, LINUX_EPHEMERAL, "the source"))
}

fn gateway_endpoint(w: &mut Walk<'_>, from: &From<'_>, to: &To, vpce: &str) -> bool {
    let t = w.t;
    let Some(ep) = t.endpoint(vpce) else {
        return w.block(explanation(
            "BAD_STATE",
            None,
            component(vpce, None),
            format!("VPC endpoint {vpce} is not in the topology"),
            "recreate the gateway endpoint".into(),
        ));
    };
    let c = component(&ep.id, ep.name.as_ref());
    if !ep.available {
        return w.block(explanation(
            "BAD_STATE",
            None,
            c,
            format!("gateway endpoint {vpce} is not available"),
            "recreate the endpoint".into(),
        ));
    }
    if w.protocol != ip::proto::TCP {
        return w.block(explanation(
            "VPCE_GATEWAY_PROTOCOL_RESTRICTION",
            None,
            c,
            format!("gateway endpoint {vpce} carries only TCP"),
            "use TCP".into(),
        ));
    }
    w.hop(
        false,
        c.clone(),
        format!("gateway endpoint {vpce} for {}", ep.service),
    );
    if let Some(policy) = &ep.policy
        && !policy_allows_all(policy)
    {
        w.warnings.push(explanation(
            "VPCE_POLICY",
            None,
            c,
            format!("gateway endpoint {vpce} has a custom policy; requests it does not allow fail with AccessDenied even though the network path exists"),
            "check the endpoint policy allows the actions and buckets the workload uses".into(),
        ));
    }
    w.hop(
        false,
        component(&to.description, None),
        "destination reached".into(),
    );
    w.acl_return(from.subnet, false, to.ip, LINUX_EPHEMERAL, "the source")
}

/// Whether an endpoint policy is AWS's default full-access policy.
fn policy_allows_all(policy: &str) -> bool {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(policy) else {
        return false;
    };
    let statements = match v.get("Statement") {
        Some(serde_json::Value::Array(a)) => a.clone(),
        Some(s) => vec![s.clone()],
        None => return false,
    };
    let star = |x: Option<&serde_json::Value>| match x {
        Some(serde_json::Value::String(s)) => s == "*",
        Some(serde_json::Value::Array(a)) => a.iter().any(|e| e.as_str() == Some("*")),
        Some(serde_json::Value::Object(o)) => {
            o.get("AWS").and_then(serde_json::Value::as_str) == Some("*")
        }
        _ => false,
    };
    statements.iter().all(|s| {
        s.get("Effect").and_then(serde_json::Value::as_str) == Some("Allow")
            && s.get("Condition").is_none()
    }) && statements
        .iter()
        .any(|s| star(s.get("Action")) && star(s.get("Resource")) && star(s.get("Principal")))
}

fn via_peering(w: &mut Walk<'_>, from: &From<'_>, to: &To, pcx: &str) -> bool {
    let t = w.t;
    let Some(p) = t.peering(pcx) else {
        return w.block(explanation(
            "BAD_STATE",
            None,
            component(pcx, None),
            format!("peering connection {pcx} is not in the topology"),
            "recreate the peering connection".into(),
        ));
    };
    let c = component(&p.id, p.name.as_ref());
    if !p.active {
        return w.block(explanation(
            "BAD_STATE",
            None,
            c,
            format!("peering connection {pcx} is {}, not active", p.status),
            "accept the peering connection".into(),
        ));
    }
    let Some((peer_vpc, peer_cidrs)) = p.other_side(&from.vpc) else {
        return w.block(explanation(
            "BAD_STATE",
            None,
            c,
            format!("peering connection {pcx} does not connect {}", from.vpc),
            String::new(),
        ));
    };
    if !peer_cidrs.iter().any(|b| b.contains(to.ip)) {
        return w.block(explanation(
            "PCX_REQUIRES_ADDRESS_IN_VPC_CIDR",
            None,
            c,
            format!(
                "{} is not in {peer_vpc}'s address space ({}): peering is not transitive, and a peered VPC's gateways, NAT and endpoints cannot be used through it (no edge-to-edge routing)",
                fmt_ip(to.ip),
                peer_cidrs.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
            ),
            "peer the two VPCs directly, or use a transit gateway; give the source its own NAT gateway or endpoints".into(),
        ));
    }
    w.hop(false, c, format!("peering connection {pcx} to {peer_vpc}"));
    deliver_local(w, from, to, peer_vpc, from.ip, &from.groups, Some(pcx))
}

fn via_vgw(
    w: &mut Walk<'_>,
    from: &From<'_>,
    to: &To,
    vgw: &str,
    out_subnet: &Subnet,
    advertised: bool,
) -> bool {
    let t = w.t;
    let Some(g) = t.vpn_gateway(vgw) else {
        return w.block(explanation(
            "BAD_STATE",
            None,
            component(vgw, None),
            format!("virtual private gateway {vgw} is not in the topology"),
            String::new(),
        ));
    };
    let c = component(&g.id, g.name.as_ref());
    if !g.available || !g.vpcs.contains(&out_subnet.vpc) {
        return w.block(explanation(
            "BAD_STATE_ATTACHMENT",
            None,
            c,
            format!(
                "virtual private gateway {vgw} is not available and attached to {}",
                out_subnet.vpc
            ),
            format!("attach {vgw} to {}", out_subnet.vpc),
        ));
    }
    let remote = g
        .remote
        .iter()
        .filter(|(c, _)| c.contains(to.ip))
        .max_by_key(|(c, _)| c.len);
    match remote {
        Some((cidr, via)) => {
            w.hop(
                false,
                c,
                format!("virtual private gateway {vgw}, over {via} to on-premises {cidr}"),
            );
        }
        // The route was propagated: the on-premises router advertised it over
        // BGP, which is what the route table shows of a dynamic connection.
        None if advertised => {
            w.hop(
                false,
                c,
                format!(
                    "virtual private gateway {vgw}, over a route the on-premises network advertised"
                ),
            );
        }
        None if g.remote.is_empty() => {
            w.hop(
                false,
                c.clone(),
                format!(
                    "virtual private gateway {vgw} (its connections' routes are not in the input)"
                ),
            );
            w.warnings.push(explanation("UNKNOWN_DESTINATION", None, c, format!("the on-premises networks behind {vgw} are not in the input; assumed to include {}", fmt_ip(to.ip)), "add describe-vpn-connections (or the Direct Connect virtual interfaces) to the topology".into()));
        }
        None => {
            return w.block(explanation(
                "NO_ROUTE_TO_DESTINATION",
                None,
                c,
                format!(
                    "no VPN connection or Direct Connect interface behind {vgw} reaches {}",
                    fmt_ip(to.ip)
                ),
                format!(
                    "add a static route for {} to the VPN connection, or advertise it over BGP",
                    fmt_ip(to.ip)
                ),
            ));
        }
    }
    w.hop(
        false,
        component(&to.description, None),
        "destination reached".into(),
    );
    w.acl_return(from.subnet, false, to.ip, LINUX_EPHEMERAL, "the source")
}
