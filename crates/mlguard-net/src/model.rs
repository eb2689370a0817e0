//! The network as the analysis sees it: one normalized model, whichever input
//! (aws CLI JSON or the concise YAML) it was read from.

use std::collections::HashMap;

use crate::ip::{Cidr, Ports, Protocol};

/// A VPC.
#[derive(Debug, Clone, PartialEq)]
pub struct Vpc {
    pub id: String,
    pub name: Option<String>,
    /// Every associated IPv4 block (primary and secondary).
    pub cidrs: Vec<Cidr>,
    /// `enableDnsSupport` (AWS default: true).
    pub dns_support: bool,
    /// `enableDnsHostnames` (AWS default: false, true in a default VPC).
    pub dns_hostnames: bool,
}

/// A subnet.
#[derive(Debug, Clone, PartialEq)]
pub struct Subnet {
    pub id: String,
    pub name: Option<String>,
    pub vpc: String,
    pub cidr: Cidr,
    pub az: Option<String>,
}

/// Where a route sends traffic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The VPC's local route.
    Local,
    /// `igw-…`.
    InternetGateway(String),
    /// `nat-…`.
    NatGateway(String),
    /// `vpce-…` (a gateway endpoint).
    VpcEndpoint(String),
    /// `pcx-…`.
    Peering(String),
    /// `vgw-…` (VPN or Direct Connect).
    VpnGateway(String),
    /// `eni-…` (a middlebox).
    NetworkInterface(String),
    /// `i-…` (a middlebox).
    Instance(String),
    /// `tgw-…`.
    TransitGateway(String),
    /// Anything else (egress-only IGW, local/carrier gateway, core network).
    Other(String),
}

impl Target {
    /// The target's id as AWS prints it.
    #[must_use]
    pub fn id(&self) -> &str {
        match self {
            Target::Local => "local",
            Target::InternetGateway(id)
            | Target::NatGateway(id)
            | Target::VpcEndpoint(id)
            | Target::Peering(id)
            | Target::VpnGateway(id)
            | Target::NetworkInterface(id)
            | Target::Instance(id)
            | Target::TransitGateway(id)
            | Target::Other(id) => id,
        }
    }

    /// Classifies a gateway id by its prefix (`GatewayId` holds IGWs, VGWs
    /// and gateway endpoints alike).
    #[must_use]
    pub fn from_id(id: &str) -> Target {
        let id = id.to_owned();
        match id.split('-').next().unwrap_or_default() {
            "local" => Target::Local,
            "igw" => Target::InternetGateway(id),
            "nat" => Target::NatGateway(id),
            "vpce" => Target::VpcEndpoint(id),
            "pcx" => Target::Peering(id),
            "vgw" => Target::VpnGateway(id),
            "eni" => Target::NetworkInterface(id),
            "i" => Target::Instance(id),
            "tgw" => Target::TransitGateway(id),
            _ => Target::Other(id),
        }
    }
}

/// A route's destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    Cidr(Cidr),
    PrefixList(String),
}

/// How a route got into its table, which decides ties between equally
/// specific routes: static, then prefix list, then propagated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Origin {
    /// Created with the table (the local route) or by `CreateRoute`.
    Static,
    /// Propagated from a virtual private gateway (or advertised).
    Propagated,
}

/// One route.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    pub destination: Destination,
    pub target: Target,
    pub origin: Origin,
    /// `active`; `blackhole` when the target is gone.
    pub active: bool,
}

/// A route table and what it is associated with.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteTable {
    pub id: String,
    pub name: Option<String>,
    pub vpc: String,
    /// The VPC's main table: used by subnets without an explicit association.
    pub main: bool,
    pub subnets: Vec<String>,
    pub routes: Vec<Route>,
}

/// One network ACL entry.
#[derive(Debug, Clone, PartialEq)]
pub struct AclEntry {
    pub rule_number: u32,
    pub egress: bool,
    pub allow: bool,
    pub protocol: Protocol,
    /// `None` for an IPv6 entry, which never matches IPv4 traffic.
    pub cidr: Option<Cidr>,
    /// `None`: every port (also for protocols without ports).
    pub ports: Option<Ports>,
}

/// A network ACL.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkAcl {
    pub id: String,
    pub name: Option<String>,
    pub vpc: String,
    pub default: bool,
    pub subnets: Vec<String>,
    /// Sorted by rule number; includes the final `*` deny (32767).
    pub entries: Vec<AclEntry>,
}

/// What a security group rule admits traffic from (ingress) or to (egress).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Peer {
    Cidr(Cidr),
    /// The private addresses of network interfaces carrying this group.
    Group(String),
    PrefixList(String),
    /// An IPv6 range: never matches IPv4 traffic.
    Ipv6(String),
}

/// One security group rule (one peer of one `IpPermission`).
#[derive(Debug, Clone, PartialEq)]
pub struct SgRule {
    pub protocol: Protocol,
    /// `None`: every port.
    pub ports: Option<Ports>,
    pub peer: Peer,
}

/// A security group.
#[derive(Debug, Clone, PartialEq)]
pub struct SecurityGroup {
    pub id: String,
    pub name: Option<String>,
    pub vpc: String,
    pub ingress: Vec<SgRule>,
    pub egress: Vec<SgRule>,
}

/// A network interface.
#[derive(Debug, Clone, PartialEq)]
pub struct Interface {
    pub id: String,
    pub name: Option<String>,
    pub subnet: String,
    pub vpc: String,
    pub private_ip: u32,
    /// Every private address (primary first).
    pub private_ips: Vec<u32>,
    /// Elastic or auto-assigned public address.
    pub public_ip: Option<u32>,
    pub groups: Vec<String>,
    /// `interface`, `vpc_endpoint`, `nat_gateway`, ...
    pub kind: String,
}

/// Gateway or interface endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointKind {
    Gateway,
    Interface,
    /// Gateway Load Balancer, Resource, ServiceNetwork: read, not analyzed.
    Other,
}

/// A VPC endpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    pub id: String,
    pub name: Option<String>,
    pub vpc: String,
    pub kind: EndpointKind,
    /// `com.amazonaws.<region>.<service>`.
    pub service: String,
    pub available: bool,
    pub route_tables: Vec<String>,
    pub subnets: Vec<String>,
    pub groups: Vec<String>,
    pub private_dns: bool,
    pub interfaces: Vec<String>,
    /// The endpoint policy, as the JSON string AWS returns.
    pub policy: Option<String>,
}

/// A NAT gateway.
#[derive(Debug, Clone, PartialEq)]
pub struct NatGateway {
    pub id: String,
    pub name: Option<String>,
    pub vpc: String,
    pub subnet: String,
    pub available: bool,
    /// `ConnectivityType: public` (the default).
    pub public: bool,
    pub private_ip: Option<u32>,
    pub public_ip: Option<u32>,
    /// Its network interface, when the input names it.
    pub interface: Option<String>,
}

/// An internet gateway.
#[derive(Debug, Clone, PartialEq)]
pub struct InternetGateway {
    pub id: String,
    pub name: Option<String>,
    /// VPCs it is attached to (attachment state `available`/`attached`).
    pub vpcs: Vec<String>,
}

/// A VPC peering connection.
#[derive(Debug, Clone, PartialEq)]
pub struct Peering {
    pub id: String,
    pub name: Option<String>,
    pub active: bool,
    pub status: String,
    pub requester_vpc: String,
    pub requester_cidrs: Vec<Cidr>,
    pub accepter_vpc: String,
    pub accepter_cidrs: Vec<Cidr>,
}

impl Peering {
    /// The other side of the connection from `vpc`, with its address blocks.
    #[must_use]
    pub fn other_side(&self, vpc: &str) -> Option<(&str, &[Cidr])> {
        if self.requester_vpc == vpc {
            Some((&self.accepter_vpc, &self.accepter_cidrs))
        } else if self.accepter_vpc == vpc {
            Some((&self.requester_vpc, &self.requester_cidrs))
        } else {
            None
        }
    }
}

/// A prefix list (AWS-managed for a service, or customer-managed).
#[derive(Debug, Clone, PartialEq)]
pub struct PrefixList {
    pub id: String,
    pub name: String,
    pub cidrs: Vec<Cidr>,
}

/// A virtual private gateway and the on-premises networks behind it
/// (VPN connections' static routes, Direct Connect virtual interfaces' prefixes).
#[derive(Debug, Clone, PartialEq)]
pub struct VpnGateway {
    pub id: String,
    pub name: Option<String>,
    pub vpcs: Vec<String>,
    pub available: bool,
    /// Remote networks, each with the connection that reaches it.
    pub remote: Vec<(Cidr, String)>,
}

/// The whole network.
#[derive(Debug, Clone, Default)]
pub struct Topology {
    pub region: Option<String>,
    pub vpcs: Vec<Vpc>,
    pub subnets: Vec<Subnet>,
    pub route_tables: Vec<RouteTable>,
    pub acls: Vec<NetworkAcl>,
    pub groups: Vec<SecurityGroup>,
    pub interfaces: Vec<Interface>,
    pub endpoints: Vec<Endpoint>,
    pub nat_gateways: Vec<NatGateway>,
    pub internet_gateways: Vec<InternetGateway>,
    pub peerings: Vec<Peering>,
    pub prefix_lists: Vec<PrefixList>,
    pub vpn_gateways: Vec<VpnGateway>,
    /// What loading repaired or set aside, for the user to see.
    pub warnings: Vec<String>,
    /// The file each object was read from, for error messages.
    pub sources: HashMap<String, String>,
    /// Subnets without an IPv4 block: left out, but others may name them.
    pub ipv6_only_subnets: std::collections::HashSet<String>,
    index: Index,
}

/// Id → position, per kind, plus the associations the analysis looks up.
#[derive(Debug, Clone, Default)]
struct Index {
    vpc: HashMap<String, usize>,
    subnet: HashMap<String, usize>,
    route_table: HashMap<String, usize>,
    acl: HashMap<String, usize>,
    group: HashMap<String, usize>,
    interface: HashMap<String, usize>,
    endpoint: HashMap<String, usize>,
    nat: HashMap<String, usize>,
    igw: HashMap<String, usize>,
    peering: HashMap<String, usize>,
    prefix_list: HashMap<String, usize>,
    vgw: HashMap<String, usize>,
    subnet_route_table: HashMap<String, usize>,
    main_route_table: HashMap<String, usize>,
    subnet_acl: HashMap<String, usize>,
    default_acl: HashMap<String, usize>,
    /// Group id → private addresses of interfaces carrying it.
    group_members: HashMap<String, Vec<u32>>,
    /// Private address → interfaces (VPCs may share address space).
    interface_by_ip: HashMap<u32, Vec<usize>>,
    /// Public address → interface.
    interface_by_public_ip: HashMap<u32, usize>,
}

fn positions<T>(items: &[T], id: impl Fn(&T) -> &str) -> HashMap<String, usize> {
    items
        .iter()
        .enumerate()
        .map(|(i, x)| (id(x).to_owned(), i))
        .collect()
}

impl Topology {
    /// Rebuilds the lookup tables; call after changing the vectors.
    pub fn reindex(&mut self) {
        let mut ix = Index {
            vpc: positions(&self.vpcs, |x| &x.id),
            subnet: positions(&self.subnets, |x| &x.id),
            route_table: positions(&self.route_tables, |x| &x.id),
            acl: positions(&self.acls, |x| &x.id),
            group: positions(&self.groups, |x| &x.id),
            interface: positions(&self.interfaces, |x| &x.id),
            endpoint: positions(&self.endpoints, |x| &x.id),
            nat: positions(&self.nat_gateways, |x| &x.id),
            igw: positions(&self.internet_gateways, |x| &x.id),
            peering: positions(&self.peerings, |x| &x.id),
            prefix_list: positions(&self.prefix_lists, |x| &x.id),
            vgw: positions(&self.vpn_gateways, |x| &x.id),
            ..Index::default()
        };
        for (i, rt) in self.route_tables.iter().enumerate() {
            if rt.main {
                ix.main_route_table.insert(rt.vpc.clone(), i);
            }
            for s in &rt.subnets {
                ix.subnet_route_table.insert(s.clone(), i);
            }
        }
        for (i, acl) in self.acls.iter().enumerate() {
            if acl.default {
                ix.default_acl.insert(acl.vpc.clone(), i);
            }
            for s in &acl.subnets {
                ix.subnet_acl.insert(s.clone(), i);
            }
        }
        for (i, eni) in self.interfaces.iter().enumerate() {
            for g in &eni.groups {
                ix.group_members
                    .entry(g.clone())
                    .or_default()
                    .extend(&eni.private_ips);
            }
            for ip in &eni.private_ips {
                ix.interface_by_ip.entry(*ip).or_default().push(i);
            }
            if let Some(p) = eni.public_ip {
                ix.interface_by_public_ip.insert(p, i);
            }
        }
        self.index = ix;
    }

    pub fn vpc(&self, id: &str) -> Option<&Vpc> {
        self.index.vpc.get(id).and_then(|i| self.vpcs.get(*i))
    }
    pub fn subnet(&self, id: &str) -> Option<&Subnet> {
        self.index.subnet.get(id).and_then(|i| self.subnets.get(*i))
    }
    pub fn route_table(&self, id: &str) -> Option<&RouteTable> {
        self.index
            .route_table
            .get(id)
            .and_then(|i| self.route_tables.get(*i))
    }
    pub fn acl(&self, id: &str) -> Option<&NetworkAcl> {
        self.index.acl.get(id).and_then(|i| self.acls.get(*i))
    }
    pub fn group(&self, id: &str) -> Option<&SecurityGroup> {
        self.index.group.get(id).and_then(|i| self.groups.get(*i))
    }
    pub fn interface(&self, id: &str) -> Option<&Interface> {
        self.index
            .interface
            .get(id)
            .and_then(|i| self.interfaces.get(*i))
    }
    pub fn endpoint(&self, id: &str) -> Option<&Endpoint> {
        self.index
            .endpoint
            .get(id)
            .and_then(|i| self.endpoints.get(*i))
    }
    pub fn nat_gateway(&self, id: &str) -> Option<&NatGateway> {
        self.index
            .nat
            .get(id)
            .and_then(|i| self.nat_gateways.get(*i))
    }
    pub fn internet_gateway(&self, id: &str) -> Option<&InternetGateway> {
        self.index
            .igw
            .get(id)
            .and_then(|i| self.internet_gateways.get(*i))
    }
    pub fn peering(&self, id: &str) -> Option<&Peering> {
        self.index
            .peering
            .get(id)
            .and_then(|i| self.peerings.get(*i))
    }
    pub fn prefix_list(&self, id: &str) -> Option<&PrefixList> {
        self.index
            .prefix_list
            .get(id)
            .and_then(|i| self.prefix_lists.get(*i))
    }
    pub fn vpn_gateway(&self, id: &str) -> Option<&VpnGateway> {
        self.index
            .vgw
            .get(id)
            .and_then(|i| self.vpn_gateways.get(*i))
    }

    /// The route table a subnet uses: its explicit association, else the
    /// VPC's main table.
    #[must_use]
    pub fn subnet_route_table(&self, subnet: &Subnet) -> Option<&RouteTable> {
        self.index
            .subnet_route_table
            .get(&subnet.id)
            .or_else(|| self.index.main_route_table.get(&subnet.vpc))
            .and_then(|i| self.route_tables.get(*i))
    }

    /// The network ACL a subnet uses: its association, else the VPC's default.
    #[must_use]
    pub fn subnet_acl(&self, subnet: &Subnet) -> Option<&NetworkAcl> {
        self.index
            .subnet_acl
            .get(&subnet.id)
            .or_else(|| self.index.default_acl.get(&subnet.vpc))
            .and_then(|i| self.acls.get(*i))
    }

    /// Private addresses of the interfaces that carry a group.
    #[must_use]
    pub fn group_members(&self, group: &str) -> &[u32] {
        self.index
            .group_members
            .get(group)
            .map_or(&[], Vec::as_slice)
    }

    /// The interface that owns a private address, in `vpc` if one there does,
    /// else in any VPC.
    #[must_use]
    pub fn interface_by_ip(&self, vpc: Option<&str>, ip: u32) -> Option<&Interface> {
        let all = self.index.interface_by_ip.get(&ip)?;
        let mut found = all.iter().filter_map(|i| self.interfaces.get(*i));
        match vpc {
            Some(v) => {
                let list: Vec<&Interface> = found.collect();
                list.iter()
                    .find(|e| e.vpc == v)
                    .or_else(|| list.first())
                    .copied()
            }
            None => found.next(),
        }
    }

    /// The interface an Elastic or auto-assigned public address belongs to.
    #[must_use]
    pub fn interface_by_public_ip(&self, ip: u32) -> Option<&Interface> {
        self.index
            .interface_by_public_ip
            .get(&ip)
            .and_then(|i| self.interfaces.get(*i))
    }

    /// Whether any interface in `vpc` holds the private address `ip`.
    #[must_use]
    pub fn address_taken(&self, vpc: &str, ip: u32) -> bool {
        self.index.interface_by_ip.get(&ip).is_some_and(|l| {
            l.iter()
                .filter_map(|i| self.interfaces.get(*i))
                .any(|e| e.vpc == vpc)
        })
    }

    /// The subnet (of any VPC in the model) whose block holds `ip` within `vpc`.
    #[must_use]
    pub fn subnet_of(&self, vpc: &str, ip: u32) -> Option<&Subnet> {
        self.subnets
            .iter()
            .filter(|s| s.vpc == vpc && s.cidr.contains(ip))
            .max_by_key(|s| s.cidr.len)
    }

    /// Finds an object of any kind by id or by its Name tag.
    #[must_use]
    pub fn resolve_name(&self, name: &str) -> Option<String> {
        let named =
            |id: &str, n: &Option<String>| (n.as_deref() == Some(name)).then(|| id.to_owned());
        self.interfaces
            .iter()
            .find_map(|x| named(&x.id, &x.name))
            .or_else(|| self.subnets.iter().find_map(|x| named(&x.id, &x.name)))
            .or_else(|| self.groups.iter().find_map(|x| named(&x.id, &x.name)))
            .or_else(|| self.vpcs.iter().find_map(|x| named(&x.id, &x.name)))
    }
}
