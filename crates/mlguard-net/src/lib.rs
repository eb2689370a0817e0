//! Offline VPC network analysis: can this training job reach S3, and what
//! blocks it?
//!
//! The input is what a user can dump from a real account with the aws CLI
//! (`aws ec2 describe-*`, one JSON file per command, recognized by its
//! top-level key) or a concise YAML written by hand ([`yaml`]). Both become one
//! [`Topology`], on which [`reach`] evaluates a path the way AWS documents
//! routing, network ACLs, security groups, gateways, endpoints and peering —
//! hop by hop, forward and return, naming the component that blocks it with
//! Reachability Analyzer's explanation codes. Design: `docs/net.md`.

mod aws;
pub mod exposure;
pub mod flowlogs;
pub mod ip;
pub mod matrix;
pub mod model;
pub mod reach;
pub mod sagemaker;
pub mod yaml;

use std::path::Path;

pub use model::Topology;

/// Input that cannot be used, naming the file and the object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}{}: {message}", object.as_ref().map(|o| format!(": {o}")).unwrap_or_default())]
pub struct Error {
    /// The file the problem is in.
    pub file: String,
    /// The object (`subnet-…`, `RouteTables[3]`, ...), when one is to blame.
    pub object: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl Error {
    pub(crate) fn input(file: &str, object: Option<String>, message: String) -> Self {
        Error {
            file: file.to_owned(),
            object,
            message,
        }
    }
}

/// Reads a topology: a directory of aws CLI JSON (and YAML) files, or a
/// single such file. Files whose keys are none this analyzer reads are
/// refused, so a typo'd dump does not silently analyze an empty network.
pub fn load(path: &Path) -> Result<Topology, Error> {
    let mut files = Vec::new();
    if path.is_dir() {
        let entries = std::fs::read_dir(path)
            .map_err(|e| Error::input(&path.display().to_string(), None, e.to_string()))?;
        for entry in entries {
            let p = entry
                .map_err(|e| Error::input(&path.display().to_string(), None, e.to_string()))?
                .path();
            let ext = p.extension().and_then(|e| e.to_str()).unwrap_or_default();
            if p.is_file() && matches!(ext, "json" | "yaml" | "yml") {
                files.push(p);
            }
        }
        files.sort();
        if files.is_empty() {
            return Err(Error::input(
                &path.display().to_string(),
                None,
                "no .json, .yaml or .yml files in the topology directory".into(),
            ));
        }
    } else {
        files.push(path.to_path_buf());
    }
    load_files(&files)
}

/// Reads a topology from these files (aws CLI JSON, or YAML by extension),
/// as [`load`] reads a directory's.
pub fn load_files(files: &[std::path::PathBuf]) -> Result<Topology, Error> {
    let mut collected = aws::Collected::default();
    let mut topo = Topology::default();
    for f in files {
        let name = f.display().to_string();
        let text =
            std::fs::read_to_string(f).map_err(|e| Error::input(&name, None, e.to_string()))?;
        let ext = f.extension().and_then(|e| e.to_str()).unwrap_or_default();
        if matches!(ext, "yaml" | "yml") {
            yaml::read(&name, &text, &mut topo)?;
            continue;
        }
        let json: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| Error::input(&name, None, format!("not JSON: {e}")))?;
        if collected.add(&name, json)? == 0 {
            return Err(Error::input(
                &name,
                None,
                "no key this analyzer reads (Vpcs, Subnets, RouteTables, NetworkAcls, SecurityGroups, \
                 NetworkInterfaces, VpcEndpoints, NatGateways, InternetGateways, VpcPeeringConnections, \
                 PrefixLists, Entries, VpnGateways, VpnConnections, CustomerGateways, virtualInterfaces, \
                 EnableDnsSupport, \
                 EnableDnsHostnames)"
                    .into(),
            ));
        }
    }
    collected.build(&mut topo)?;
    finish(topo)
}

/// Reads one file's text (JSON, or YAML when the name ends in `.yaml`/`.yml`)
/// as a whole topology.
pub fn from_text(name: &str, text: &str) -> Result<Topology, Error> {
    let mut topo = Topology::default();
    if name.ends_with(".yaml") || name.ends_with(".yml") {
        yaml::read(name, text, &mut topo)?;
        return finish(topo);
    }
    let json: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| Error::input(name, None, format!("not JSON: {e}")))?;
    let mut collected = aws::Collected::default();
    if collected.add(name, json)? == 0 {
        return Err(Error::input(
            name,
            None,
            "no key this analyzer reads".into(),
        ));
    }
    collected.build(&mut topo)?;
    finish(topo)
}

/// Indexes a topology and checks that it holds together: every reference
/// resolves, every subnet lies in its VPC, peered VPCs do not overlap.
pub fn finish(mut topo: Topology) -> Result<Topology, Error> {
    infer_region(&mut topo);
    // Objects read before their subnet's file (YAML split over files).
    let vpc_of: std::collections::HashMap<String, String> = topo
        .subnets
        .iter()
        .map(|s| (s.id.clone(), s.vpc.clone()))
        .collect();
    for e in &mut topo.interfaces {
        if e.vpc.is_empty()
            && let Some(v) = vpc_of.get(&e.subnet)
        {
            e.vpc.clone_from(v);
        }
    }
    for n in &mut topo.nat_gateways {
        if n.vpc.is_empty()
            && let Some(v) = vpc_of.get(&n.subnet)
        {
            n.vpc.clone_from(v);
        }
    }
    set_aside_service_interfaces(&mut topo);
    complete(&mut topo);
    topo.reindex();
    check(&topo)?;
    Ok(topo)
}

/// The region, when the input does not say: from endpoint service names
/// (`com.amazonaws.<region>.s3`), else from availability zones (`eu-west-1a`).
fn infer_region(t: &mut Topology) {
    if t.region.is_some() {
        return;
    }
    let from_services = t
        .endpoints
        .iter()
        .map(|e| e.service.as_str())
        .chain(t.prefix_lists.iter().map(|p| p.name.as_str()))
        .find_map(|name| {
            let rest = name.strip_prefix("com.amazonaws.")?;
            let region = rest.split('.').next()?;
            (region.contains('-') && region.bytes().any(|b| b.is_ascii_digit()))
                .then(|| region.to_owned())
        });
    let from_zones = || {
        t.subnets.iter().find_map(|s| {
            let az = s.az.as_deref()?;
            let region = az.trim_end_matches(|c: char| c.is_ascii_lowercase());
            (region.len() < az.len() && region.ends_with(|c: char| c.is_ascii_digit()))
                .then(|| region.to_owned())
        })
    };
    t.region = from_services.or_else(from_zones);
}

/// Interfaces that an endpoint or NAT gateway owns but whose address lies
/// outside their subnet (moto reports them so; AWS never does) are set aside
/// with a warning, and the owner gets an interface in its subnet as for a
/// partial dump. Any other interface outside its subnet is an error
/// ([`check`]).
fn set_aside_service_interfaces(t: &mut Topology) {
    let owned: std::collections::HashSet<String> = t
        .endpoints
        .iter()
        .flat_map(|e| e.interfaces.iter().cloned())
        .chain(t.nat_gateways.iter().filter_map(|n| n.interface.clone()))
        .collect();
    let subnets: std::collections::HashMap<String, ip::Cidr> =
        t.subnets.iter().map(|s| (s.id.clone(), s.cidr)).collect();
    let mut warnings = Vec::new();
    t.interfaces.retain(|e| {
        let outside = subnets.get(&e.subnet).is_some_and(|c| !c.contains(e.private_ip));
        if outside && owned.contains(&e.id) {
            warnings.push(format!(
                "{}: address {} is outside its subnet {}; set aside (its endpoint or NAT gateway is placed in the subnet instead)",
                e.id,
                ip::fmt_ip(e.private_ip),
                e.subnet
            ));
            return false;
        }
        true
    });
    for n in &mut t.nat_gateways {
        let outside = n
            .private_ip
            .zip(subnets.get(&n.subnet))
            .is_some_and(|(a, c)| !c.contains(a));
        if outside {
            warnings.push(format!(
                "{}: private address {} is outside its subnet {}; an address in the subnet is assumed",
                n.id,
                n.private_ip.map(ip::fmt_ip).unwrap_or_default(),
                n.subnet
            ));
            n.private_ip = None;
        }
    }
    t.warnings.extend(warnings);
}

/// Adds what AWS creates on its own when the input leaves it out (the
/// concise YAML always does; a partial dump may): a local route per VPC block
/// in every route table, a main route table and a default network ACL per
/// VPC, each gateway endpoint's prefix-list route in its route tables, and a
/// network interface per interface endpoint subnet.
fn complete(t: &mut Topology) {
    use model::{
        AclEntry, Destination, EndpointKind, Interface, NetworkAcl, Origin, PrefixList, Route,
        RouteTable, Target,
    };
    let vpcs: Vec<(String, Vec<ip::Cidr>)> = t
        .vpcs
        .iter()
        .map(|v| (v.id.clone(), v.cidrs.clone()))
        .collect();
    for (vpc, cidrs) in &vpcs {
        if !t.route_tables.iter().any(|r| &r.vpc == vpc && r.main) {
            t.route_tables.push(RouteTable {
                id: format!("rtb-main-{vpc}"),
                name: Some("main (implied)".into()),
                vpc: vpc.clone(),
                main: true,
                subnets: Vec::new(),
                routes: Vec::new(),
            });
        }
        if !t.acls.iter().any(|a| &a.vpc == vpc && a.default) {
            let rule = |egress, rule_number, allow| AclEntry {
                rule_number,
                egress,
                allow,
                protocol: None,
                cidr: Some(ip::Cidr::ANY),
                ports: None,
            };
            t.acls.push(NetworkAcl {
                id: format!("acl-default-{vpc}"),
                name: Some("default (implied)".into()),
                vpc: vpc.clone(),
                default: true,
                subnets: Vec::new(),
                entries: vec![
                    rule(false, 100, true),
                    rule(true, 100, true),
                    rule(false, 32767, false),
                    rule(true, 32767, false),
                ],
            });
        }
        for rt in t.route_tables.iter_mut().filter(|r| &r.vpc == vpc) {
            for c in cidrs {
                let has = rt
                    .routes
                    .iter()
                    .any(|r| r.target == Target::Local && r.destination == Destination::Cidr(*c));
                if !has {
                    rt.routes.push(Route {
                        destination: Destination::Cidr(*c),
                        target: Target::Local,
                        origin: Origin::Static,
                        active: true,
                    });
                }
            }
        }
    }
    let region = t.region.clone().unwrap_or_else(|| "us-east-1".into());
    for i in 0..t.endpoints.len() {
        let Some(e) = t.endpoints.get(i).cloned() else {
            continue;
        };
        match e.kind {
            EndpointKind::Gateway => {
                let service = yaml::service_name(&region, &e.service);
                // Its routes name its prefix list; make sure the list exists
                // (a dump without describe-prefix-lists) and carries the service.
                let named: Vec<String> = t
                    .route_tables
                    .iter()
                    .flat_map(|rt| rt.routes.iter())
                    .filter(|r| r.target == Target::VpcEndpoint(e.id.clone()))
                    .filter_map(|r| match &r.destination {
                        Destination::PrefixList(pl) => Some(pl.clone()),
                        Destination::Cidr(_) => None,
                    })
                    .collect();
                for pl in named {
                    match t.prefix_lists.iter_mut().find(|p| p.id == pl) {
                        Some(p) if p.name.is_empty() || p.name == p.id => {
                            p.name.clone_from(&service)
                        }
                        Some(_) => {}
                        None => t.prefix_lists.push(PrefixList {
                            id: pl,
                            name: service.clone(),
                            cidrs: Vec::new(),
                        }),
                    }
                }
                let pl = match t.prefix_lists.iter().find(|p| p.name == service) {
                    Some(p) => p.id.clone(),
                    None => {
                        let id = format!("pl-{}", service.rsplit('.').next().unwrap_or("service"));
                        t.prefix_lists.push(PrefixList {
                            id: id.clone(),
                            name: service.clone(),
                            cidrs: Vec::new(),
                        });
                        id
                    }
                };
                for rt in t
                    .route_tables
                    .iter_mut()
                    .filter(|r| e.route_tables.contains(&r.id))
                {
                    let has = rt
                        .routes
                        .iter()
                        .any(|r| r.target == Target::VpcEndpoint(e.id.clone()));
                    if !has {
                        rt.routes.push(Route {
                            destination: Destination::PrefixList(pl.clone()),
                            target: Target::VpcEndpoint(e.id.clone()),
                            origin: Origin::Static,
                            active: true,
                        });
                    }
                }
            }
            EndpointKind::Interface => {
                let mut ids = e.interfaces.clone();
                for (k, subnet) in e.subnets.iter().enumerate() {
                    let present = t
                        .interfaces
                        .iter()
                        .any(|x| ids.contains(&x.id) && &x.subnet == subnet);
                    let Some(s) = t.subnets.iter().find(|s| &s.id == subnet) else {
                        continue;
                    };
                    if present {
                        continue;
                    }
                    // An address near the top of the subnet, clear of the
                    // broadcast address and of hand-written ones at the bottom.
                    let offset = u32::try_from(k)
                        .unwrap_or(0)
                        .saturating_add(2)
                        .saturating_add(u32::try_from(i).unwrap_or(0));
                    let addr = s.cidr.nth(u32::MAX.wrapping_sub(offset));
                    let id = format!("{}@{}", e.id, subnet);
                    t.interfaces.push(Interface {
                        id: id.clone(),
                        name: None,
                        subnet: subnet.clone(),
                        vpc: e.vpc.clone(),
                        private_ip: addr,
                        private_ips: vec![addr],
                        public_ip: None,
                        groups: e.groups.clone(),
                        kind: "vpc_endpoint".into(),
                    });
                    ids.push(id);
                }
                if let Some(x) = t.endpoints.get_mut(i) {
                    x.interfaces = ids;
                }
            }
            EndpointKind::Other => {}
        }
    }
}

fn check(t: &Topology) -> Result<(), Error> {
    let bad = |object: &str, message: String| {
        let file = t.sources.get(object).map_or("topology", String::as_str);
        Error::input(file, Some(object.to_owned()), message)
    };
    let mut seen = std::collections::HashSet::new();
    let ids = t
        .vpcs
        .iter()
        .map(|x| &x.id)
        .chain(t.subnets.iter().map(|x| &x.id))
        .chain(t.route_tables.iter().map(|x| &x.id))
        .chain(t.acls.iter().map(|x| &x.id))
        .chain(t.groups.iter().map(|x| &x.id))
        .chain(t.interfaces.iter().map(|x| &x.id))
        .chain(t.endpoints.iter().map(|x| &x.id))
        .chain(t.nat_gateways.iter().map(|x| &x.id))
        .chain(t.internet_gateways.iter().map(|x| &x.id))
        .chain(t.peerings.iter().map(|x| &x.id));
    for id in ids {
        if id.is_empty() {
            return Err(bad("(unnamed)", "an object without an id".into()));
        }
        if !seen.insert(id.as_str()) {
            return Err(bad(id, "defined twice".into()));
        }
    }
    for s in &t.subnets {
        let vpc = t
            .vpc(&s.vpc)
            .ok_or_else(|| bad(&s.id, format!("its VPC {} is not in the topology", s.vpc)))?;
        if !vpc.cidrs.iter().any(|c| s.cidr.within(c)) {
            return Err(bad(
                &s.id,
                format!("{} is outside every CIDR block of {}", s.cidr, vpc.id),
            ));
        }
    }
    for rt in &t.route_tables {
        if t.vpc(&rt.vpc).is_none() {
            return Err(bad(
                &rt.id,
                format!("its VPC {} is not in the topology", rt.vpc),
            ));
        }
        for s in &rt.subnets {
            if t.subnet(s).is_none() && !t.ipv6_only_subnets.contains(s) {
                return Err(bad(&rt.id, format!("associated with unknown subnet {s}")));
            }
        }
    }
    for a in &t.acls {
        for s in &a.subnets {
            if t.subnet(s).is_none() && !t.ipv6_only_subnets.contains(s) {
                return Err(bad(&a.id, format!("associated with unknown subnet {s}")));
            }
        }
    }
    for e in &t.interfaces {
        let s = t.subnet(&e.subnet).ok_or_else(|| {
            bad(
                &e.id,
                format!("its subnet {} is not in the topology", e.subnet),
            )
        })?;
        if !s.cidr.contains(e.private_ip) {
            return Err(bad(
                &e.id,
                format!(
                    "private address {} is outside its subnet {}",
                    ip::fmt_ip(e.private_ip),
                    s.cidr
                ),
            ));
        }
    }
    for n in &t.nat_gateways {
        // A regional NAT gateway has no subnet.
        if !n.subnet.is_empty() && t.subnet(&n.subnet).is_none() {
            return Err(bad(
                &n.id,
                format!("its subnet {} is not in the topology", n.subnet),
            ));
        }
    }
    for p in &t.peerings {
        for a in &p.requester_cidrs {
            if p.accepter_cidrs.iter().any(|b| a.overlaps(b)) && p.active {
                return Err(bad(
                    &p.id,
                    format!(
                        "peers VPCs with overlapping CIDR blocks ({a}); AWS refuses such a peering"
                    ),
                ));
            }
        }
    }
    Ok(())
}
