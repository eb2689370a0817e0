//! `mlguard net`: VPC network analysis over aws CLI `describe-*` output or
//! the concise YAML (see the mlguard-net crate and docs/net.md).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use mlguard_net::reach::{Analysis, Dest, Explanation, PathComponent, Query, Source};
use mlguard_net::{Topology, exposure, flowlogs, ip, matrix, sagemaker};
use serde_json::{Value, json};

/// Exit status when the answer is "no" (not reachable, a requirement unmet,
/// an exposure at or above `--fail-on`, a rejection explained).
const EXIT_FINDINGS: u8 = 1;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum OutputFormat {
    Table,
    Json,
    Sarif,
}

#[derive(Debug, Subcommand)]
pub(crate) enum NetCommand {
    /// Can traffic get from a source to a destination? Forward and return path hop by hop, or what blocks it.
    Reach(ReachArgs),
    /// Check subnets and security groups for everything a SageMaker job or endpoint in VPC mode needs.
    Sagemaker(SagemakerArgs),
    /// List what the internet can reach: public interfaces and the ports open to them.
    Exposure(ExposureArgs),
    /// Explain each REJECT in VPC Flow Log records with the rule that caused it.
    Flowlogs(FlowlogsArgs),
    /// All-pairs subnet reachability for one port.
    Matrix(MatrixArgs),
}

#[derive(Debug, Args)]
pub(crate) struct TopologyArg {
    /// A directory of `aws ec2 describe-*` JSON outputs (any file names) and/or concise YAML files, or one such file.
    #[arg(long)]
    topology: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: OutputFormat,
}

#[derive(Debug, Args)]
pub(crate) struct ReachArgs {
    #[command(flatten)]
    common: TopologyArg,
    /// Source: a network interface (eni-…) or a subnet (subnet-…), by id or Name tag.
    #[arg(long)]
    from: String,
    /// Security groups of a new interface in the --from subnet (what SageMaker creates its interfaces with).
    #[arg(long, value_delimiter = ',')]
    security_groups: Vec<String>,
    /// Destination: a service (s3, ecr.api, com.amazonaws.us-east-1.sts), an address, a CIDR block, or an interface.
    #[arg(long)]
    to: String,
    /// Destination port.
    #[arg(long)]
    port: u16,
    /// tcp, udp, or a protocol number.
    #[arg(long, default_value = "tcp")]
    protocol: String,
}

#[derive(Debug, Args)]
pub(crate) struct SagemakerArgs {
    #[command(flatten)]
    common: TopologyArg,
    /// The job's VpcConfig.Subnets.
    #[arg(long, value_delimiter = ',', required = true)]
    subnets: Vec<String>,
    /// The job's VpcConfig.SecurityGroupIds.
    #[arg(long, value_delimiter = ',', required = true)]
    security_groups: Vec<String>,
    /// Only these services (default: s3, ecr.api, ecr.dkr, logs, sts, kms, sagemaker.api, sagemaker.runtime).
    #[arg(long, value_delimiter = ',')]
    services: Vec<String>,
    /// The job runs on more than one instance: check instance-to-instance traffic too.
    #[arg(long)]
    distributed: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum FailOn {
    Medium,
    High,
}

#[derive(Debug, Args)]
pub(crate) struct ExposureArgs {
    #[command(flatten)]
    common: TopologyArg,
    /// Exit 1 when an exposure of this severity or higher is found.
    #[arg(long, value_enum)]
    fail_on: Option<FailOn>,
}

#[derive(Debug, Args)]
pub(crate) struct FlowlogsArgs {
    #[command(flatten)]
    common: TopologyArg,
    /// Flow log files (CloudWatch Logs exports or S3 objects, plain text).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// The flow log's LogFormat (`${version} ${account-id} ...`); default: version 2's fields.
    #[arg(long)]
    log_format: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct MatrixArgs {
    #[command(flatten)]
    common: TopologyArg,
    /// Destination port.
    #[arg(long)]
    port: u16,
    /// tcp, udp, or a protocol number.
    #[arg(long, default_value = "tcp")]
    protocol: String,
    /// Groups of the interfaces at both ends, per VPC (default: each VPC's `default` group).
    #[arg(long, value_delimiter = ',')]
    security_groups: Vec<String>,
    /// Worker threads (default: every core).
    #[arg(long)]
    threads: Option<usize>,
}

pub(crate) fn run(cmd: NetCommand) -> Result<ExitCode, String> {
    match cmd {
        NetCommand::Reach(a) => reach(a),
        NetCommand::Sagemaker(a) => sagemaker_check(a),
        NetCommand::Exposure(a) => exposure_list(a),
        NetCommand::Flowlogs(a) => flow_logs(a),
        NetCommand::Matrix(a) => matrix_cmd(a),
    }
}

fn load(common: &TopologyArg) -> Result<Topology, String> {
    let t = mlguard_net::load(&common.topology).map_err(|e| e.to_string())?;
    for w in &t.warnings {
        eprintln!("mlguard: warning: {w}");
    }
    Ok(t)
}

fn protocol(s: &str) -> Result<u8, String> {
    match ip::parse_protocol(s) {
        Some(Some(p)) => Ok(p),
        _ => Err(format!(
            "--protocol must be tcp, udp, icmp or a protocol number, not {s:?}"
        )),
    }
}

fn exit(found: bool) -> ExitCode {
    if found {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FINDINGS)
    }
}

fn emit(value: &Value) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)
        .map_err(std::io::Error::from)
        .and_then(|()| writeln!(out))
        .map_err(|e| crate::report_write_error(&e))
}

fn sarif(results: Vec<Value>, rules: &[(&str, &str)]) -> Value {
    let rules = rules
        .iter()
        .map(|(id, text)| crate::sarif::rule(id, text))
        .collect();
    crate::sarif::document(rules, results, Vec::new())
}

fn explanation_result(e: &Explanation, level: &str, topology: &std::path::Path) -> Value {
    json!({
        "ruleId": e.explanation_code,
        "level": level,
        "message": {"text": format!("{} Fix: {}", e.message, e.fix)},
        "locations": [{
            "physicalLocation": {"artifactLocation": {"uri": topology.to_string_lossy()}},
            "logicalLocations": [{"name": e.component.id, "kind": "resource"}],
        }],
    })
}

fn codes<'a>(explanations: impl Iterator<Item = &'a Explanation>) -> Vec<(&'a str, &'a str)> {
    let mut v: Vec<(&str, &str)> = explanations
        .map(|e| (e.explanation_code.as_str(), "network path analysis"))
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

fn reach(a: ReachArgs) -> Result<ExitCode, String> {
    let t = load(&a.common)?;
    let from = t.resolve_name(&a.from).unwrap_or_else(|| a.from.clone());
    let source = if t.interface(&from).is_some() {
        if !a.security_groups.is_empty() {
            return Err(
                "--security-groups goes with a subnet source; an interface has its own".into(),
            );
        }
        Source::Interface(from)
    } else if t.subnet(&from).is_some() {
        Source::Subnet {
            subnet: from,
            groups: a.security_groups.clone(),
        }
    } else {
        return Err(format!(
            "--from {}: no interface or subnet with that id or Name in the topology",
            a.from
        ));
    };
    let to = t.resolve_name(&a.to).unwrap_or_else(|| a.to.clone());
    // Digits and dots are an address meant, never a service name
    // (`999.1.1.1` is a typo, not com.amazonaws.REGION.999.1.1.1).
    let looks_numeric = !to.is_empty() && to.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    let destination = if let Some(ip) = ip::parse_ip(&to) {
        Dest::Address(ip)
    } else if looks_numeric {
        return Err(format!("--to {to}: not an IPv4 address"));
    } else if to.contains('/') {
        let c = ip::Cidr::parse(&to).ok_or_else(|| format!("--to {to}: not a CIDR block"))?;
        Dest::Address(if c.len >= 31 { c.addr } else { c.nth(1) })
    } else if t.interface(&to).is_some() {
        Dest::Interface(to)
    } else if t.subnet(&to).is_some() {
        return Err(format!(
            "--to {to}: give an interface, an address or a service, not a subnet"
        ));
    } else {
        Dest::Service(to)
    };
    let q = Query {
        source,
        destination,
        protocol: protocol(&a.protocol)?,
        port: a.port,
    };
    let analysis = mlguard_net::reach::analyze(&t, &q).map_err(|e| e.to_string())?;
    match a.common.format {
        OutputFormat::Json => emit(&serde_json::to_value(&analysis).map_err(|e| e.to_string())?)?,
        OutputFormat::Table => print_analysis(&analysis),
        OutputFormat::Sarif => {
            let results = analysis
                .explanations
                .iter()
                .map(|e| explanation_result(e, "error", &a.common.topology))
                .chain(
                    analysis
                        .warnings
                        .iter()
                        .map(|e| explanation_result(e, "warning", &a.common.topology)),
                )
                .collect();
            emit(&sarif(
                results,
                &codes(analysis.explanations.iter().chain(&analysis.warnings)),
            ))?;
        }
    }
    Ok(exit(analysis.network_path_found))
}

fn print_hops(label: &str, hops: &[PathComponent]) {
    if hops.is_empty() {
        return;
    }
    println!("{label}:");
    for h in hops {
        let rule = if let Some(r) = &h.acl_rule {
            format!(
                "  [rule {} {} {} {}]",
                r.rule_number,
                r.rule_action,
                r.cidr,
                r.port_range.map_or_else(
                    || "all ports".into(),
                    |p| format!("ports {}-{}", p.from, p.to)
                )
            )
        } else if let Some(r) = &h.security_group_rule {
            let peer = r
                .cidr
                .clone()
                .or_else(|| r.referenced_group_id.clone())
                .or_else(|| r.prefix_list_id.clone())
                .unwrap_or_default();
            format!(
                "  [{} {} {} {}]",
                r.direction,
                r.protocol,
                r.port_range
                    .map_or_else(|| "all ports".into(), |p| format!("{}-{}", p.from, p.to)),
                peer
            )
        } else if let Some(r) = &h.route_table_route {
            format!(
                "  [{} -> {}]",
                r.destination_cidr
                    .clone()
                    .or_else(|| r.destination_prefix_list_id.clone())
                    .unwrap_or_default(),
                r.target
            )
        } else {
            String::new()
        };
        println!(
            "  {:>2}  {:<28} {}{rule}",
            h.sequence_number, h.component.id, h.detail
        );
    }
}

fn print_analysis(a: &Analysis) {
    let p = &a.packet;
    println!(
        "{}  {}/{}  {} -> {}",
        if a.network_path_found {
            "REACHABLE"
        } else {
            "NOT REACHABLE"
        },
        p.protocol,
        p.destination_port,
        p.source_address,
        p.destination
    );
    print_hops("forward path", &a.forward_path_components);
    print_hops("return path", &a.return_path_components);
    for e in &a.explanations {
        println!(
            "blocked by {} at {}{}",
            e.explanation_code,
            e.component.id,
            e.direction
                .as_ref()
                .map_or(String::new(), |d| format!(" ({d})"))
        );
        println!("  {}", e.message);
        println!("  fix: {}", e.fix);
    }
    for e in &a.warnings {
        println!(
            "warning {} at {}: {}",
            e.explanation_code, e.component.id, e.message
        );
        println!("  fix: {}", e.fix);
    }
}

fn sagemaker_check(a: SagemakerArgs) -> Result<ExitCode, String> {
    let t = load(&a.common)?;
    let r = sagemaker::check(
        &t,
        &a.subnets,
        &a.security_groups,
        &a.services,
        a.distributed,
    )
    .map_err(|e| e.to_string())?;
    match a.common.format {
        OutputFormat::Json => emit(&serde_json::to_value(&r).map_err(|e| e.to_string())?)?,
        OutputFormat::Table => {
            println!(
                "{:<22} {:<44} {:<14} detail",
                "requirement", "subnet", "result"
            );
            for q in &r.requirements {
                let detail = match (&q.symptom, q.analysis.explanations.first()) {
                    (Some(s), Some(e)) => format!(
                        "{s}; blocked by {} at {}: {}",
                        e.explanation_code, e.component.id, e.fix
                    ),
                    _ => q.why.clone(),
                };
                let result = if q.reachable {
                    format!("ok ({})", q.via.as_deref().unwrap_or(""))
                } else {
                    "FAIL".into()
                };
                println!(
                    "{:<22} {:<44} {:<14} {detail}",
                    q.requirement, q.subnet, result
                );
            }
            for f in &r.findings {
                println!("FAIL  {f}");
            }
            println!(
                "{}",
                if r.ok() {
                    "everything the job needs is reachable"
                } else {
                    "the job would fail; see FAIL lines"
                }
            );
        }
        OutputFormat::Sarif => {
            let mut results: Vec<Value> = r
                .requirements
                .iter()
                .filter(|q| !q.reachable)
                .map(|q| {
                    let level = if q.required { "error" } else { "warning" };
                    let e = q.analysis.explanations.first();
                    json!({
                        "ruleId": format!("SAGEMAKER_{}", q.requirement.to_ascii_uppercase().replace(['.', '-'], "_")),
                        "level": level,
                        "message": {"text": format!("{} from {}: {} ({}). {}", q.requirement, q.subnet, q.symptom.clone().unwrap_or_default(),
                            e.map_or(String::new(), |e| e.explanation_code.clone()), e.map_or(String::new(), |e| format!("Fix: {}", e.fix)))},
                        "locations": [{"physicalLocation": {"artifactLocation": {"uri": a.common.topology.to_string_lossy()}},
                                       "logicalLocations": [{"name": e.map_or_else(|| q.subnet.clone(), |e| e.component.id.clone()), "kind": "resource"}]}],
                    })
                })
                .collect();
            for f in &r.findings {
                results.push(json!({"ruleId": "SAGEMAKER_SG_SELF_REFERENCE", "level": "error", "message": {"text": f},
                    "locations": [{"physicalLocation": {"artifactLocation": {"uri": a.common.topology.to_string_lossy()}}}]}));
            }
            let ids: Vec<String> = results
                .iter()
                .filter_map(|v| v["ruleId"].as_str().map(str::to_owned))
                .collect();
            let mut rules: Vec<(&str, &str)> = ids
                .iter()
                .map(|i| (i.as_str(), "SageMaker VPC-mode requirement"))
                .collect();
            rules.sort_unstable();
            rules.dedup();
            emit(&sarif(results, &rules))?;
        }
    }
    Ok(exit(r.ok()))
}

fn exposure_list(a: ExposureArgs) -> Result<ExitCode, String> {
    let t = load(&a.common)?;
    let list = exposure::exposures(&t);
    match a.common.format {
        OutputFormat::Json => emit(&json!({"exposures": list}))?,
        OutputFormat::Table => {
            if list.is_empty() {
                println!("nothing in this network is reachable from the internet");
            }
            for x in &list {
                println!(
                    "{:<6} {:<24} {:<16} {}/{:<14} from {:<18} via {} ({}, {})",
                    x.severity,
                    x.interface,
                    x.public_ip,
                    x.protocol,
                    x.ports,
                    x.source,
                    x.internet_gateway,
                    x.security_group,
                    x.network_acl
                );
            }
        }
        OutputFormat::Sarif => {
            let results = list
                .iter()
                .map(|x| {
                    json!({
                        "ruleId": "INTERNET_EXPOSURE",
                        "level": if x.severity == "high" { "error" } else { "warning" },
                        "message": {"text": format!("{} ({}) accepts {} {} from {} through {} ({}, {})", x.interface, x.public_ip, x.protocol, x.ports, x.source, x.internet_gateway, x.security_group, x.network_acl)},
                        "locations": [{"physicalLocation": {"artifactLocation": {"uri": a.common.topology.to_string_lossy()}},
                                       "logicalLocations": [{"name": x.interface, "kind": "resource"}]}],
                    })
                })
                .collect();
            emit(&sarif(
                results,
                &[("INTERNET_EXPOSURE", "reachable from the internet")],
            ))?;
        }
    }
    let fail = a.fail_on.is_some_and(|f| {
        list.iter().any(|x| {
            let sev = if x.severity == "high" {
                FailOn::High
            } else {
                FailOn::Medium
            };
            sev >= f
        })
    });
    Ok(exit(!fail))
}

fn flow_logs(a: FlowlogsArgs) -> Result<ExitCode, String> {
    let t = load(&a.common)?;
    let mut reports = Vec::new();
    for f in &a.files {
        let text = std::fs::read_to_string(f).map_err(|e| format!("{}: {e}", f.display()))?;
        let r = flowlogs::explain(&t, &text, a.log_format.as_deref())
            .map_err(|e| format!("{}: {e}", f.display()))?;
        reports.push((f, r));
    }
    match a.common.format {
        OutputFormat::Json => emit(
            &json!({"files": reports.iter().map(|(f, r)| json!({"file": f.to_string_lossy(), "report": r})).collect::<Vec<_>>()}),
        )?,
        OutputFormat::Table => {
            for (f, r) in &reports {
                println!(
                    "{}: {} records, {} accepted, {} rejected, {} skipped",
                    f.display(),
                    r.records,
                    r.accepted,
                    r.rejected,
                    r.skipped
                );
                for x in &r.rejections {
                    println!(
                        "  line {:<5} {:<22} {} -> {} {} {}: {}",
                        x.line,
                        x.interface,
                        x.source,
                        x.destination,
                        x.protocol,
                        x.direction,
                        x.reason
                    );
                }
            }
        }
        OutputFormat::Sarif => {
            let results = reports
                .iter()
                .flat_map(|(f, r)| {
                    r.rejections.iter().map(move |x| {
                        json!({
                            "ruleId": "FLOW_REJECTED",
                            "level": "warning",
                            "message": {"text": format!("{} {} -> {} {} ({}): {}", x.interface, x.source, x.destination, x.protocol, x.direction, x.reason)},
                            "locations": [{"physicalLocation": {"artifactLocation": {"uri": f.to_string_lossy()}, "region": {"startLine": x.line}}}],
                        })
                    })
                })
                .collect();
            emit(&sarif(
                results,
                &[(
                    "FLOW_REJECTED",
                    "a rejected flow and the rule that rejected it",
                )],
            ))?;
        }
    }
    Ok(exit(reports.iter().all(|(_, r)| r.rejected == 0)))
}

fn matrix_cmd(a: MatrixArgs) -> Result<ExitCode, String> {
    let t = load(&a.common)?;
    let threads = a
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, std::num::NonZero::get));
    if matches!(a.common.format, OutputFormat::Sarif) {
        return Err("net matrix writes table or json".into());
    }
    let m = matrix::subnet_matrix(
        &t,
        &a.security_groups,
        protocol(&a.protocol)?,
        a.port,
        threads,
    )
    .map_err(|e| e.to_string())?;
    match a.common.format {
        OutputFormat::Json | OutputFormat::Sarif => {
            emit(&serde_json::to_value(&m).map_err(|e| e.to_string())?)?
        }
        OutputFormat::Table => {
            println!(
                "{} of {} subnet pairs reach {}/{}",
                m.reachable_pairs(),
                m.subnets.len().saturating_mul(m.subnets.len()),
                m.protocol,
                m.port
            );
            for (i, s) in m.subnets.iter().enumerate() {
                let row: String = m
                    .reachable
                    .get(i)
                    .map(|r| r.iter().map(|x| if *x { '#' } else { '.' }).collect())
                    .unwrap_or_default();
                println!("{s:<28} {row}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
