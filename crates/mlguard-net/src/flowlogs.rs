//! VPC Flow Logs: read records (the default version 2 format or a custom
//! `${field}` format) and explain each REJECT with the rule that caused it.
//!
//! A flow log record is one interface's view of a flow: for traffic arriving
//! at the interface the network ACL's inbound rules and the security groups'
//! inbound rules decide; for traffic leaving it, the outbound ones. A
//! rejected packet whose source port is a service port and whose destination
//! port is ephemeral is usually the reply to the interface's own connection,
//! dropped by a stateless ACL.

use serde::Serialize;

use crate::Topology;
use crate::ip::{self, Ports, fmt_ip, parse_ip};
use crate::reach::{acl_match, acl_ports};

/// The default format's fields, in order.
pub const DEFAULT_FORMAT: &str = "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}";

/// A malformed format or record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct FlowLogError {
    pub line: usize,
    pub message: String,
}

/// Field names of a `${a} ${b}` format string.
pub fn parse_format(format: &str) -> Result<Vec<String>, FlowLogError> {
    let mut fields = Vec::new();
    for token in format.split_whitespace() {
        let name = token
            .strip_prefix("${")
            .and_then(|t| t.strip_suffix('}'))
            .filter(|t| !t.is_empty() && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
            .ok_or_else(|| FlowLogError {
                line: 0,
                message: format!("bad field {token:?} in the log format (want ${{name}})"),
            })?;
        fields.push(name.to_owned());
    }
    for required in [
        "interface-id",
        "srcaddr",
        "dstaddr",
        "dstport",
        "protocol",
        "action",
    ] {
        if !fields.iter().any(|f| f == required) {
            return Err(FlowLogError {
                line: 0,
                message: format!(
                    "the log format lacks ${{{required}}}, which explaining a record needs"
                ),
            });
        }
    }
    Ok(fields)
}

/// One rejected record and why.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rejection {
    pub line: usize,
    pub interface: String,
    pub source: String,
    pub destination: String,
    pub protocol: String,
    pub destination_port: u16,
    /// `ingress` or `egress`, seen from the interface.
    pub direction: String,
    /// The component that rejected it (`acl-…`, `sg-…`), if one does now.
    pub component: Option<String>,
    pub reason: String,
}

/// What reading a log found.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FlowLogReport {
    pub records: usize,
    pub accepted: usize,
    pub rejected: usize,
    /// Records without data (`NODATA`, `SKIPDATA`) or for interfaces not in
    /// the topology.
    pub skipped: usize,
    pub rejections: Vec<Rejection>,
}

/// Reads flow log text (CloudWatch Logs export or S3 file, whose first line
/// may name the fields) with `format` (the default when `None`).
pub fn explain(
    t: &Topology,
    text: &str,
    format: Option<&str>,
) -> Result<FlowLogReport, FlowLogError> {
    let mut fields = parse_format(format.unwrap_or(DEFAULT_FORMAT))?;
    let mut report = FlowLogReport::default();
    for (i, line) in text.lines().enumerate() {
        let n = i.saturating_add(1);
        let values: Vec<&str> = line.split_whitespace().collect();
        if values.is_empty() {
            continue;
        }
        // An S3 file starts with the field names.
        if i == 0
            && values
                .iter()
                .all(|v| v.chars().all(|c| c.is_ascii_lowercase() || c == '-'))
        {
            fields = values.iter().map(|v| (*v).to_owned()).collect();
            continue;
        }
        if values.len() != fields.len() {
            return Err(FlowLogError {
                line: n,
                message: format!("{} fields, the format has {}", values.len(), fields.len()),
            });
        }
        report.records = report.records.saturating_add(1);
        let get = |name: &str| {
            fields
                .iter()
                .position(|f| f == name)
                .and_then(|p| values.get(p).copied())
                .unwrap_or("-")
        };
        match get("action") {
            "ACCEPT" => {
                report.accepted = report.accepted.saturating_add(1);
                continue;
            }
            "REJECT" => {}
            "-" => {
                report.skipped = report.skipped.saturating_add(1);
                continue;
            }
            other => {
                return Err(FlowLogError {
                    line: n,
                    message: format!("action {other:?} is not ACCEPT or REJECT"),
                });
            }
        }
        report.rejected = report.rejected.saturating_add(1);
        let bad = |what: &str, v: &str| FlowLogError {
            line: n,
            message: format!("bad {what} {v:?}"),
        };
        let (src, dst) = (get("srcaddr"), get("dstaddr"));
        if src.contains(':') || dst.contains(':') {
            report.skipped = report.skipped.saturating_add(1);
            continue; // IPv6: outside this analysis
        }
        let src_ip = parse_ip(src).ok_or_else(|| bad("srcaddr", src))?;
        let dst_ip = parse_ip(dst).ok_or_else(|| bad("dstaddr", dst))?;
        let protocol: u8 = get("protocol")
            .parse()
            .map_err(|_| bad("protocol", get("protocol")))?;
        let port = |name: &str| -> Result<u16, FlowLogError> {
            match get(name) {
                "-" => Ok(0),
                v => v.parse().map_err(|_| bad(name, v)),
            }
        };
        let (src_port, dst_port) = (port("srcport")?, port("dstport")?);
        let Some(eni) = t.interface(get("interface-id")) else {
            report.skipped = report.skipped.saturating_add(1);
            continue;
        };
        let ingress = match get("flow-direction") {
            "ingress" => true,
            "egress" => false,
            _ => eni.private_ips.contains(&dst_ip) || eni.public_ip == Some(dst_ip),
        };
        let peer = if ingress { src_ip } else { dst_ip };
        let subnet = t.subnet(&eni.subnet);
        // Within one subnet no ACL applies.
        let acl = subnet
            .filter(|s| !s.cidr.contains(peer))
            .and_then(|s| t.subnet_acl(s));
        // A reply to the interface's own connection (service port to an
        // ephemeral port): security groups pass replies, ACLs do not.
        let reply = src_port > 0 && src_port < 1024 && dst_port >= 1024;
        let (component, reason) = match acl.map(|a| (a, acl_match(a, !ingress, peer, protocol, dst_port))) {
            Some((a, found)) if found.is_none_or(|e| !e.allow) => {
                let rule = found.map_or_else(|| "the final * rule".to_owned(), |e| format!("rule {}", e.rule_number));
                let mut reason = format!(
                    "network ACL {} denies {} {} port {dst_port} {} {} ({rule})",
                    a.id,
                    if ingress { "inbound" } else { "outbound" },
                    ip::protocol_name(Some(protocol)),
                    if ingress { "from" } else { "to" },
                    fmt_ip(peer)
                );
                if reply {
                    let open = acl_ports(a, !ingress, peer, protocol, Ports::EPHEMERAL);
                    reason.push_str(&format!(
                        "; this is the reply to a connection from port {src_port}, and network ACLs are stateless: it opens {} of the ephemeral ports 1024-65535",
                        if open.is_empty() { "none".to_owned() } else { open.to_string() }
                    ));
                }
                (Some(a.id.clone()), reason)
            }
            _ if reply => (
                None,
                "a reply, which security groups always pass and the network ACL now allows; the rules may have changed since it was logged".to_owned(),
            ),
            _ => {
                let allowed = eni.groups.iter().filter_map(|g| t.group(g)).any(|g| {
                    let rules = if ingress { &g.ingress } else { &g.egress };
                    rules.iter().any(|r| {
                        r.protocol.is_none_or(|p| p == protocol)
                            && r.ports.is_none_or(|p| !ip::has_ports(Some(protocol)) || p.contains(dst_port))
                            && t.rule_peer_matches(&r.peer, peer)
                    })
                });
                if allowed {
                    (None, "the current rules allow this flow; they may have changed since it was logged".to_owned())
                } else {
                    (
                        eni.groups.first().cloned(),
                        format!(
                            "no {} rule of {}'s security groups ({}) allows {} port {dst_port} {} {}",
                            if ingress { "inbound" } else { "outbound" },
                            eni.id,
                            eni.groups.join(", "),
                            ip::protocol_name(Some(protocol)),
                            if ingress { "from" } else { "to" },
                            fmt_ip(peer)
                        ),
                    )
                }
            }
        };
        report.rejections.push(Rejection {
            line: n,
            interface: eni.id.clone(),
            source: format!("{}:{src_port}", fmt_ip(src_ip)),
            destination: format!("{}:{dst_port}", fmt_ip(dst_ip)),
            protocol: ip::protocol_name(Some(protocol)),
            destination_port: dst_port,
            direction: if ingress { "ingress" } else { "egress" }.into(),
            component,
            reason,
        });
    }
    Ok(report)
}
