//! Reading the JSON the aws CLI prints for `aws ec2 describe-*`.
//!
//! Each file is recognized by its top-level key (`Vpcs`, `Subnets`, ...), never
//! by its name, so a user can dump an account with whatever file names they
//! like. Member names are botocore's (PascalCase); absent members take AWS's
//! defaults. State strings compare case-insensitively: the CLI prints
//! `available` where the model's enum says `Available`.

use serde::Deserialize;
use serde_json::Value;

use crate::Error;
use crate::ip::{Cidr, Ports, parse_ip, parse_protocol};
use crate::model::{
    AclEntry, Destination, Endpoint, EndpointKind, Interface, InternetGateway, NatGateway,
    NetworkAcl, Origin, Peer, Peering, PrefixList, Route, RouteTable, SecurityGroup, SgRule,
    Subnet, Target, Topology, Vpc, VpnGateway,
};

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct Tag {
    key: String,
    value: String,
}

fn name_of(tags: &[Tag]) -> Option<String> {
    tags.iter()
        .find(|t| t.key == "Name")
        .map(|t| t.value.clone())
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct CidrAssoc {
    cidr_block: String,
    cidr_block_state: Option<StateOnly>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct StateOnly {
    state: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawVpc {
    vpc_id: String,
    cidr_block: String,
    cidr_block_association_set: Vec<CidrAssoc>,
    is_default: bool,
    tags: Vec<Tag>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawSubnet {
    subnet_id: String,
    vpc_id: String,
    cidr_block: Option<String>,
    availability_zone: Option<String>,
    tags: Vec<Tag>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawAssociation {
    main: bool,
    subnet_id: Option<String>,
    gateway_id: Option<String>,
    association_state: Option<StateOnly>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawRoute {
    destination_cidr_block: Option<String>,
    destination_ipv6_cidr_block: Option<String>,
    destination_prefix_list_id: Option<String>,
    gateway_id: Option<String>,
    nat_gateway_id: Option<String>,
    network_interface_id: Option<String>,
    instance_id: Option<String>,
    transit_gateway_id: Option<String>,
    vpc_peering_connection_id: Option<String>,
    egress_only_internet_gateway_id: Option<String>,
    local_gateway_id: Option<String>,
    carrier_gateway_id: Option<String>,
    core_network_arn: Option<String>,
    origin: Option<String>,
    state: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawRouteTable {
    route_table_id: String,
    vpc_id: String,
    associations: Vec<RawAssociation>,
    routes: Vec<RawRoute>,
    tags: Vec<Tag>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawPortRange {
    from: Option<i64>,
    to: Option<i64>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawAclEntry {
    rule_number: i64,
    protocol: String,
    rule_action: String,
    egress: bool,
    cidr_block: Option<String>,
    ipv6_cidr_block: Option<String>,
    port_range: Option<RawPortRange>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawAclAssociation {
    subnet_id: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawAcl {
    network_acl_id: String,
    vpc_id: String,
    is_default: bool,
    associations: Vec<RawAclAssociation>,
    entries: Vec<RawAclEntry>,
    tags: Vec<Tag>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawIpRange {
    cidr_ip: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawIpv6Range {
    cidr_ipv6: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawPrefixListId {
    prefix_list_id: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawGroupPair {
    group_id: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawPermission {
    ip_protocol: String,
    from_port: Option<i64>,
    to_port: Option<i64>,
    ip_ranges: Vec<RawIpRange>,
    ipv6_ranges: Vec<RawIpv6Range>,
    prefix_list_ids: Vec<RawPrefixListId>,
    user_id_group_pairs: Vec<RawGroupPair>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawGroup {
    group_id: String,
    group_name: Option<String>,
    vpc_id: String,
    ip_permissions: Vec<RawPermission>,
    ip_permissions_egress: Vec<RawPermission>,
    tags: Vec<Tag>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawEniAssociation {
    public_ip: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawPrivateIp {
    private_ip_address: String,
    primary: bool,
    association: Option<RawEniAssociation>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawGroupRef {
    group_id: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawEni {
    network_interface_id: String,
    subnet_id: String,
    vpc_id: String,
    interface_type: Option<String>,
    private_ip_address: String,
    private_ip_addresses: Vec<RawPrivateIp>,
    association: Option<RawEniAssociation>,
    groups: Vec<RawGroupRef>,
    tag_set: Vec<Tag>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawEndpoint {
    vpc_endpoint_id: String,
    vpc_endpoint_type: String,
    vpc_id: String,
    service_name: String,
    state: String,
    policy_document: Option<String>,
    route_table_ids: Vec<String>,
    subnet_ids: Vec<String>,
    groups: Vec<RawGroupRef>,
    private_dns_enabled: bool,
    network_interface_ids: Vec<String>,
    tags: Vec<Tag>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawNatAddress {
    private_ip: Option<String>,
    public_ip: Option<String>,
    network_interface_id: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawNat {
    nat_gateway_id: String,
    subnet_id: String,
    vpc_id: String,
    state: String,
    connectivity_type: Option<String>,
    nat_gateway_addresses: Vec<RawNatAddress>,
    tags: Vec<Tag>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawAttachment {
    vpc_id: String,
    state: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawIgw {
    internet_gateway_id: String,
    attachments: Vec<RawAttachment>,
    tags: Vec<Tag>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawCidrOnly {
    cidr_block: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawPeerVpc {
    vpc_id: String,
    cidr_block: Option<String>,
    cidr_block_set: Vec<RawCidrOnly>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawStatus {
    code: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawPeering {
    vpc_peering_connection_id: String,
    status: RawStatus,
    requester_vpc_info: RawPeerVpc,
    accepter_vpc_info: RawPeerVpc,
    tags: Vec<Tag>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawPrefixList {
    prefix_list_id: String,
    prefix_list_name: String,
    cidrs: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawVgw {
    vpn_gateway_id: String,
    state: String,
    vpc_attachments: Vec<RawAttachment>,
    tags: Vec<Tag>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawVpnRoute {
    destination_cidr_block: String,
    state: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawVpnConnection {
    vpn_connection_id: String,
    vpn_gateway_id: Option<String>,
    state: String,
    routes: Vec<RawVpnRoute>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct RawVif {
    virtual_interface_id: String,
    virtual_gateway_id: Option<String>,
    virtual_interface_state: String,
    route_filter_prefixes: Vec<RawCidrPrefix>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct RawCidrPrefix {
    cidr: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RawBool {
    value: bool,
}

#[derive(Deserialize)]
struct RawEntries {
    #[serde(rename = "PrefixListId")]
    prefix_list_id: Option<String>,
    #[serde(rename = "Entries")]
    entries: Vec<RawEntry>,
}

#[derive(Deserialize)]
struct RawEntry {
    #[serde(rename = "Cidr")]
    cidr: String,
}

/// Everything read so far, before it is joined into a [`Topology`].
#[derive(Default)]
pub(crate) struct Collected {
    vpcs: Vec<(String, RawVpc)>,
    subnets: Vec<(String, RawSubnet)>,
    route_tables: Vec<(String, RawRouteTable)>,
    acls: Vec<(String, RawAcl)>,
    groups: Vec<(String, RawGroup)>,
    enis: Vec<(String, RawEni)>,
    endpoints: Vec<(String, RawEndpoint)>,
    nats: Vec<(String, RawNat)>,
    igws: Vec<(String, RawIgw)>,
    peerings: Vec<(String, RawPeering)>,
    prefix_lists: Vec<(String, RawPrefixList)>,
    prefix_entries: Vec<(String, RawEntries)>,
    vgws: Vec<(String, RawVgw)>,
    vpns: Vec<(String, RawVpnConnection)>,
    vifs: Vec<(String, RawVif)>,
    dns_support: Vec<(String, bool)>,
    dns_hostnames: Vec<(String, bool)>,
}

fn list<T: for<'de> Deserialize<'de>>(
    file: &str,
    key: &str,
    v: Value,
    out: &mut Vec<(String, T)>,
) -> Result<(), Error> {
    let items: Vec<Value> = serde_json::from_value(v)
        .map_err(|e| Error::input(file, None, format!("{key} is not a list: {e}")))?;
    for (i, item) in items.into_iter().enumerate() {
        let parsed = serde_json::from_value(item)
            .map_err(|e| Error::input(file, Some(format!("{key}[{i}]")), e.to_string()))?;
        out.push((file.to_owned(), parsed));
    }
    Ok(())
}

impl Collected {
    /// Reads one file's JSON by its top-level keys. Returns how many keys were
    /// recognized (0: not a describe output this analyzer reads).
    pub(crate) fn add(&mut self, file: &str, json: Value) -> Result<usize, Error> {
        let Value::Object(map) = json else {
            return Err(Error::input(file, None, "not a JSON object".into()));
        };
        let vpc_id = map.get("VpcId").and_then(Value::as_str).map(str::to_owned);
        let mut known = 0usize;
        for (key, v) in map {
            match key.as_str() {
                "Vpcs" => list(file, &key, v, &mut self.vpcs)?,
                "Subnets" => list(file, &key, v, &mut self.subnets)?,
                "RouteTables" => list(file, &key, v, &mut self.route_tables)?,
                "NetworkAcls" => list(file, &key, v, &mut self.acls)?,
                "SecurityGroups" => list(file, &key, v, &mut self.groups)?,
                "NetworkInterfaces" => list(file, &key, v, &mut self.enis)?,
                "VpcEndpoints" => list(file, &key, v, &mut self.endpoints)?,
                "NatGateways" => list(file, &key, v, &mut self.nats)?,
                "InternetGateways" => list(file, &key, v, &mut self.igws)?,
                "VpcPeeringConnections" => list(file, &key, v, &mut self.peerings)?,
                "PrefixLists" => list(file, &key, v, &mut self.prefix_lists)?,
                "VpnGateways" => list(file, &key, v, &mut self.vgws)?,
                "VpnConnections" => list(file, &key, v, &mut self.vpns)?,
                "virtualInterfaces" => list(file, &key, v, &mut self.vifs)?,
                // Read so a full dump loads; the VPN connections' routes say
                // which networks lie behind them.
                "CustomerGateways" => {}
                // describe-vpc-attribute's third attribute: no effect on paths.
                "EnableNetworkAddressUsageMetrics" => {}
                "Entries" => {
                    // get-managed-prefix-list-entries prints only Entries; the
                    // list id comes from a PrefixListId member we accept beside
                    // it, or the file name (`pl-….json`).
                    let mut obj = serde_json::Map::new();
                    obj.insert("Entries".into(), v);
                    obj.insert(
                        "PrefixListId".into(),
                        Value::String(prefix_list_id_from_name(file).unwrap_or_default()),
                    );
                    let parsed: RawEntries = serde_json::from_value(Value::Object(obj))
                        .map_err(|e| Error::input(file, Some("Entries".into()), e.to_string()))?;
                    self.prefix_entries.push((file.to_owned(), parsed));
                }
                "EnableDnsSupport" | "EnableDnsHostnames" => {
                    let Some(vpc) = vpc_id.clone() else {
                        return Err(Error::input(
                            file,
                            Some(key),
                            "a describe-vpc-attribute output without VpcId".into(),
                        ));
                    };
                    let b: RawBool = serde_json::from_value(v)
                        .map_err(|e| Error::input(file, Some(key.clone()), e.to_string()))?;
                    if key == "EnableDnsSupport" {
                        self.dns_support.push((vpc, b.value));
                    } else {
                        self.dns_hostnames.push((vpc, b.value));
                    }
                }
                // VpcId, NextToken and anything else: not a collection.
                _ => continue,
            }
            known = known.saturating_add(1);
        }
        Ok(known)
    }

    /// Joins everything read into a checked topology.
    pub(crate) fn build(self, topo: &mut Topology) -> Result<(), Error> {
        for (file, v) in self.vpcs {
            topo.sources.insert(v.vpc_id.clone(), file.clone());
            let mut cidrs = Vec::new();
            for a in &v.cidr_block_association_set {
                let state = a
                    .cidr_block_state
                    .as_ref()
                    .map(|s| s.state.to_ascii_lowercase());
                if matches!(
                    state.as_deref(),
                    Some("disassociated" | "disassociating" | "failed")
                ) {
                    continue;
                }
                cidrs.push(cidr(&file, &v.vpc_id, &a.cidr_block)?);
            }
            if cidrs.is_empty() {
                cidrs.push(cidr(&file, &v.vpc_id, &v.cidr_block)?);
            }
            topo.vpcs.push(Vpc {
                id: v.vpc_id,
                name: name_of(&v.tags),
                cidrs,
                dns_support: true,
                dns_hostnames: v.is_default,
            });
        }
        for (vpc, value) in self.dns_support {
            if let Some(v) = topo.vpcs.iter_mut().find(|v| v.id == vpc) {
                v.dns_support = value;
            }
        }
        for (vpc, value) in self.dns_hostnames {
            if let Some(v) = topo.vpcs.iter_mut().find(|v| v.id == vpc) {
                v.dns_hostnames = value;
            }
        }
        for (file, s) in self.subnets {
            topo.sources.insert(s.subnet_id.clone(), file.clone());
            let Some(block) = s.cidr_block.as_deref() else {
                // IPv6-only: outside an IPv4 analysis, but other objects may
                // name it.
                topo.ipv6_only_subnets.insert(s.subnet_id.clone());
                continue;
            };
            topo.subnets.push(Subnet {
                cidr: cidr(&file, &s.subnet_id, block)?,
                id: s.subnet_id,
                name: name_of(&s.tags),
                vpc: s.vpc_id,
                az: s.availability_zone,
            });
        }
        for (file, rt) in self.route_tables {
            topo.sources.insert(rt.route_table_id.clone(), file.clone());
            let mut routes = Vec::new();
            for (i, r) in rt.routes.iter().enumerate() {
                if r.destination_ipv6_cidr_block.is_some() {
                    continue;
                }
                let obj = || format!("{} route {i}", rt.route_table_id);
                let destination = match (&r.destination_cidr_block, &r.destination_prefix_list_id) {
                    (Some(c), _) => Destination::Cidr(Cidr::parse(c).ok_or_else(|| {
                        Error::input(
                            &file,
                            Some(obj()),
                            format!("bad DestinationCidrBlock {c:?}"),
                        )
                    })?),
                    (None, Some(pl)) => Destination::PrefixList(pl.clone()),
                    (None, None) => {
                        return Err(Error::input(
                            &file,
                            Some(obj()),
                            "route without a destination".into(),
                        ));
                    }
                };
                let target = if let Some(id) = &r.nat_gateway_id {
                    Target::NatGateway(id.clone())
                } else if let Some(id) = &r.vpc_peering_connection_id {
                    Target::Peering(id.clone())
                } else if let Some(id) = &r.transit_gateway_id {
                    Target::TransitGateway(id.clone())
                } else if let Some(id) = &r.network_interface_id {
                    Target::NetworkInterface(id.clone())
                } else if let Some(id) = &r.instance_id {
                    Target::Instance(id.clone())
                } else if let Some(id) = &r.gateway_id {
                    Target::from_id(id)
                } else if let Some(id) = r
                    .egress_only_internet_gateway_id
                    .as_ref()
                    .or(r.local_gateway_id.as_ref())
                    .or(r.carrier_gateway_id.as_ref())
                    .or(r.core_network_arn.as_ref())
                {
                    Target::Other(id.clone())
                } else {
                    // A target kind newer than this reader (OdbNetworkArn, ...):
                    // kept, and a path through it stops as unsupported.
                    topo.warnings.push(format!(
                        "{file}: {}: a route target this analyzer does not know",
                        obj()
                    ));
                    Target::Other("(unknown target)".into())
                };
                let origin = match r.origin.as_deref() {
                    Some(o)
                        if o.eq_ignore_ascii_case("EnableVgwRoutePropagation")
                            || o.eq_ignore_ascii_case("Advertisement") =>
                    {
                        Origin::Propagated
                    }
                    _ => Origin::Static,
                };
                let active = r
                    .state
                    .as_deref()
                    .is_none_or(|s| s.eq_ignore_ascii_case("active"));
                routes.push(Route {
                    destination,
                    target,
                    origin,
                    active,
                });
            }
            let live = |a: &RawAssociation| {
                a.association_state
                    .as_ref()
                    .is_none_or(|s| s.state.eq_ignore_ascii_case("associated"))
            };
            topo.route_tables.push(RouteTable {
                main: rt.associations.iter().any(|a| a.main && live(a)),
                subnets: rt
                    .associations
                    .iter()
                    .filter(|a| live(a) && a.gateway_id.is_none())
                    .filter_map(|a| a.subnet_id.clone())
                    .collect(),
                id: rt.route_table_id,
                name: name_of(&rt.tags),
                vpc: rt.vpc_id,
                routes,
            });
        }
        for (file, a) in self.acls {
            topo.sources.insert(a.network_acl_id.clone(), file.clone());
            let mut entries = Vec::new();
            for (i, e) in a.entries.iter().enumerate() {
                let obj = || format!("{} entry {i}", a.network_acl_id);
                let protocol = parse_protocol(&e.protocol).ok_or_else(|| {
                    Error::input(&file, Some(obj()), format!("bad Protocol {:?}", e.protocol))
                })?;
                let cidr = match (&e.cidr_block, &e.ipv6_cidr_block) {
                    (Some(c), _) => Some(Cidr::parse(c).ok_or_else(|| {
                        Error::input(&file, Some(obj()), format!("bad CidrBlock {c:?}"))
                    })?),
                    (None, Some(_)) => None,
                    (None, None) => {
                        return Err(Error::input(
                            &file,
                            Some(obj()),
                            "entry without a CIDR block".into(),
                        ));
                    }
                };
                let allow = match e.rule_action.to_ascii_lowercase().as_str() {
                    "allow" => true,
                    "deny" => false,
                    other => {
                        return Err(Error::input(
                            &file,
                            Some(obj()),
                            format!("bad RuleAction {other:?}"),
                        ));
                    }
                };
                let ports = if crate::ip::has_ports(protocol) {
                    e.port_range
                        .as_ref()
                        .map(|p| port_range(&file, &obj(), p.from, p.to))
                        .transpose()?
                } else {
                    None
                };
                entries.push(AclEntry {
                    rule_number: u32::try_from(e.rule_number).map_err(|_| {
                        Error::input(
                            &file,
                            Some(obj()),
                            format!("bad RuleNumber {}", e.rule_number),
                        )
                    })?,
                    egress: e.egress,
                    allow,
                    protocol,
                    cidr,
                    ports,
                });
            }
            entries.sort_by_key(|e| e.rule_number);
            topo.acls.push(NetworkAcl {
                default: a.is_default,
                subnets: a.associations.iter().map(|s| s.subnet_id.clone()).collect(),
                id: a.network_acl_id,
                name: name_of(&a.tags),
                vpc: a.vpc_id,
                entries,
            });
        }
        for (file, g) in self.groups {
            topo.sources.insert(g.group_id.clone(), file.clone());
            let ingress = permissions(&file, &g.group_id, &g.ip_permissions)?;
            let egress = permissions(&file, &g.group_id, &g.ip_permissions_egress)?;
            topo.groups.push(SecurityGroup {
                name: name_of(&g.tags).or(g.group_name),
                id: g.group_id,
                vpc: g.vpc_id,
                ingress,
                egress,
            });
        }
        for (file, e) in self.enis {
            topo.sources
                .insert(e.network_interface_id.clone(), file.clone());
            let ip = |s: &str| {
                parse_ip(s).ok_or_else(|| {
                    Error::input(
                        &file,
                        Some(e.network_interface_id.clone()),
                        format!("bad address {s:?}"),
                    )
                })
            };
            if e.private_ip_address.is_empty() {
                // EFA-only and IPv6-only interfaces carry no IPv4 address.
                topo.warnings.push(format!(
                    "{}: no IPv4 address (an EFA-only or IPv6-only interface); left out of the analysis",
                    e.network_interface_id
                ));
                continue;
            }
            let primary = ip(&e.private_ip_address)?;
            let mut private_ips = vec![primary];
            let mut public_ip = e
                .association
                .as_ref()
                .and_then(|a| a.public_ip.as_deref())
                .map(ip)
                .transpose()?;
            for p in &e.private_ip_addresses {
                let addr = ip(&p.private_ip_address)?;
                if !private_ips.contains(&addr) {
                    private_ips.push(addr);
                }
                if p.primary && public_ip.is_none() {
                    public_ip = p
                        .association
                        .as_ref()
                        .and_then(|a| a.public_ip.as_deref())
                        .map(ip)
                        .transpose()?;
                }
            }
            topo.interfaces.push(Interface {
                name: name_of(&e.tag_set),
                id: e.network_interface_id.clone(),
                subnet: e.subnet_id,
                vpc: e.vpc_id,
                private_ip: primary,
                private_ips,
                public_ip,
                groups: e.groups.into_iter().map(|g| g.group_id).collect(),
                kind: e.interface_type.unwrap_or_else(|| "interface".into()),
            });
        }
        for (_, e) in self.endpoints {
            let kind = match e.vpc_endpoint_type.to_ascii_lowercase().as_str() {
                "gateway" => EndpointKind::Gateway,
                "interface" => EndpointKind::Interface,
                _ => EndpointKind::Other,
            };
            topo.endpoints.push(Endpoint {
                name: name_of(&e.tags),
                id: e.vpc_endpoint_id,
                vpc: e.vpc_id,
                kind,
                service: e.service_name,
                available: e.state.eq_ignore_ascii_case("available"),
                route_tables: e.route_table_ids,
                subnets: e.subnet_ids,
                groups: e.groups.into_iter().map(|g| g.group_id).collect(),
                private_dns: e.private_dns_enabled,
                interfaces: e.network_interface_ids,
                policy: e.policy_document,
            });
        }
        for (file, n) in self.nats {
            if ["deleted", "deleting", "failed"]
                .iter()
                .any(|x| n.state.eq_ignore_ascii_case(x))
            {
                continue; // gone: a route to it is a blackhole, which routes say
            }
            topo.sources.insert(n.nat_gateway_id.clone(), file.clone());
            let addr = n.nat_gateway_addresses.first();
            let ip = |s: Option<&String>| -> Result<Option<u32>, Error> {
                s.map(|s| {
                    parse_ip(s).ok_or_else(|| {
                        Error::input(
                            &file,
                            Some(n.nat_gateway_id.clone()),
                            format!("bad address {s:?}"),
                        )
                    })
                })
                .transpose()
            };
            topo.nat_gateways.push(NatGateway {
                private_ip: ip(addr.and_then(|a| a.private_ip.as_ref()))?,
                public_ip: ip(addr.and_then(|a| a.public_ip.as_ref()))?,
                name: name_of(&n.tags),
                id: n.nat_gateway_id.clone(),
                vpc: n.vpc_id,
                subnet: n.subnet_id,
                available: n.state.eq_ignore_ascii_case("available"),
                interface: addr.and_then(|a| a.network_interface_id.clone()),
                public: n
                    .connectivity_type
                    .as_deref()
                    .is_none_or(|c| c.eq_ignore_ascii_case("public")),
            });
        }
        for (_, g) in self.igws {
            topo.internet_gateways.push(InternetGateway {
                name: name_of(&g.tags),
                id: g.internet_gateway_id,
                vpcs: g
                    .attachments
                    .iter()
                    .filter(|a| {
                        a.state.eq_ignore_ascii_case("available")
                            || a.state.eq_ignore_ascii_case("attached")
                    })
                    .map(|a| a.vpc_id.clone())
                    .collect(),
            });
        }
        for (file, p) in self.peerings {
            topo.sources
                .insert(p.vpc_peering_connection_id.clone(), file.clone());
            let side = |info: &RawPeerVpc| -> Result<Vec<Cidr>, Error> {
                let mut blocks: Vec<&str> = info
                    .cidr_block_set
                    .iter()
                    .map(|c| c.cidr_block.as_str())
                    .collect();
                if blocks.is_empty()
                    && let Some(c) = &info.cidr_block
                {
                    blocks.push(c);
                }
                blocks
                    .into_iter()
                    .map(|c| cidr(&file, &p.vpc_peering_connection_id, c))
                    .collect()
            };
            topo.peerings.push(Peering {
                requester_cidrs: side(&p.requester_vpc_info)?,
                accepter_cidrs: side(&p.accepter_vpc_info)?,
                name: name_of(&p.tags),
                id: p.vpc_peering_connection_id.clone(),
                active: p.status.code.eq_ignore_ascii_case("active"),
                status: p.status.code.clone(),
                requester_vpc: p.requester_vpc_info.vpc_id.clone(),
                accepter_vpc: p.accepter_vpc_info.vpc_id.clone(),
            });
        }
        for (file, pl) in self.prefix_lists {
            let cidrs = pl
                .cidrs
                .iter()
                .map(|c| cidr(&file, &pl.prefix_list_id, c))
                .collect::<Result<_, _>>()?;
            match topo
                .prefix_lists
                .iter_mut()
                .find(|p| p.id == pl.prefix_list_id)
            {
                // The same list from describe-prefix-lists and
                // describe-managed-prefix-lists: keep every block and a name.
                Some(p) => {
                    for c in cidrs {
                        if !p.cidrs.contains(&c) {
                            p.cidrs.push(c);
                        }
                    }
                    if p.name.is_empty() || p.name == p.id {
                        p.name = pl.prefix_list_name;
                    }
                }
                None => topo.prefix_lists.push(PrefixList {
                    id: pl.prefix_list_id,
                    name: pl.prefix_list_name,
                    cidrs,
                }),
            }
        }
        for (file, e) in self.prefix_entries {
            let id = e.prefix_list_id.unwrap_or_default();
            if id.is_empty() {
                return Err(Error::input(
                    &file,
                    Some("Entries".into()),
                    "prefix list entries without a list id: name the file after the list (pl-….json)".into(),
                ));
            }
            let cidrs: Vec<Cidr> = e
                .entries
                .iter()
                .filter(|x| !x.cidr.contains(':'))
                .map(|x| cidr(&file, &id, &x.cidr))
                .collect::<Result<_, _>>()?;
            match topo.prefix_lists.iter_mut().find(|p| p.id == id) {
                Some(p) => p.cidrs.extend(cidrs),
                None => topo.prefix_lists.push(PrefixList {
                    name: id.clone(),
                    id,
                    cidrs,
                }),
            }
        }
        for (_, g) in self.vgws {
            topo.vpn_gateways.push(VpnGateway {
                name: name_of(&g.tags),
                id: g.vpn_gateway_id,
                available: g.state.eq_ignore_ascii_case("available"),
                vpcs: g
                    .vpc_attachments
                    .iter()
                    .filter(|a| a.state.eq_ignore_ascii_case("attached"))
                    .map(|a| a.vpc_id.clone())
                    .collect(),
                remote: Vec::new(),
            });
        }
        for (file, c) in self.vpns {
            let Some(vgw) = c.vpn_gateway_id.as_deref() else {
                continue; // attached to a transit gateway: outside this model
            };
            let up = c.state.eq_ignore_ascii_case("available");
            let mut remote = Vec::new();
            for r in &c.routes {
                if up && r.state.eq_ignore_ascii_case("available") {
                    remote.push((
                        cidr(&file, &c.vpn_connection_id, &r.destination_cidr_block)?,
                        c.vpn_connection_id.clone(),
                    ));
                }
            }
            if let Some(g) = topo.vpn_gateways.iter_mut().find(|g| g.id == vgw) {
                g.remote.extend(remote);
            }
        }
        for (file, v) in self.vifs {
            let Some(vgw) = v.virtual_gateway_id.as_deref() else {
                continue;
            };
            if !v.virtual_interface_state.eq_ignore_ascii_case("available") {
                continue;
            }
            let mut remote = Vec::new();
            for p in &v.route_filter_prefixes {
                remote.push((
                    cidr(&file, &v.virtual_interface_id, &p.cidr)?,
                    v.virtual_interface_id.clone(),
                ));
            }
            if let Some(g) = topo.vpn_gateways.iter_mut().find(|g| g.id == vgw) {
                g.remote.extend(remote);
            }
        }
        Ok(())
    }
}

/// `pl-0123abcd.json` → `pl-0123abcd`.
fn prefix_list_id_from_name(file: &str) -> Option<String> {
    let stem = std::path::Path::new(file).file_stem()?.to_str()?;
    stem.starts_with("pl-").then(|| stem.to_owned())
}

fn cidr(file: &str, object: &str, s: &str) -> Result<Cidr, Error> {
    Cidr::parse(s).ok_or_else(|| {
        Error::input(
            file,
            Some(object.to_owned()),
            format!("bad CIDR block {s:?}"),
        )
    })
}

fn port_range(
    file: &str,
    object: &str,
    from: Option<i64>,
    to: Option<i64>,
) -> Result<Ports, Error> {
    let port = |p: Option<i64>| -> Result<Option<u16>, Error> {
        match p {
            None | Some(-1) => Ok(None),
            Some(p) => u16::try_from(p)
                .map(Some)
                .map_err(|_| Error::input(file, Some(object.to_owned()), format!("bad port {p}"))),
        }
    };
    Ok(match (port(from)?, port(to)?) {
        (Some(from), Some(to)) if from <= to => Ports { from, to },
        (Some(from), Some(to)) => {
            return Err(Error::input(
                file,
                Some(object.to_owned()),
                format!("port range {from}-{to} runs backwards"),
            ));
        }
        _ => Ports::ALL,
    })
}

fn permissions(file: &str, group: &str, perms: &[RawPermission]) -> Result<Vec<SgRule>, Error> {
    let mut rules = Vec::new();
    for (i, p) in perms.iter().enumerate() {
        let obj = format!("{group} permission {i}");
        let protocol = parse_protocol(&p.ip_protocol).ok_or_else(|| {
            Error::input(
                file,
                Some(obj.clone()),
                format!("bad IpProtocol {:?}", p.ip_protocol),
            )
        })?;
        let ports = if crate::ip::has_ports(protocol) {
            Some(port_range(file, &obj, p.from_port, p.to_port)?)
        } else {
            None
        };
        let mut push = |peer| {
            rules.push(SgRule {
                protocol,
                ports,
                peer,
            });
        };
        for r in &p.ip_ranges {
            push(Peer::Cidr(cidr(file, &obj, &r.cidr_ip)?));
        }
        for r in &p.ipv6_ranges {
            push(Peer::Ipv6(r.cidr_ipv6.clone()));
        }
        for r in &p.prefix_list_ids {
            push(Peer::PrefixList(r.prefix_list_id.clone()));
        }
        for r in &p.user_id_group_pairs {
            push(Peer::Group(r.group_id.clone()));
        }
    }
    Ok(rules)
}
