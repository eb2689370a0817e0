//! The network analyzer's input path: any bytes as aws CLI JSON or concise
//! YAML load or fail with an error; a topology that loads answers every
//! question (subnet to service, interface to interface, exposure, the
//! matrix) without panicking, and any flow log text is explained or refused.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mlguard_net::reach::{Dest, Query, Source, analyze};

fuzz_target!(|data: &[u8]| {
    let Some((&kind, rest)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(rest);
    let (topology, log) = text.split_once("\n---flowlog---\n").unwrap_or((&text, ""));
    let name = if kind % 2 == 0 { "t.json" } else { "t.yaml" };
    let Ok(t) = mlguard_net::from_text(name, topology) else { return };
    for s in t.subnets.iter().take(8) {
        let groups: Vec<String> = t.groups.iter().filter(|g| g.vpc == s.vpc).take(2).map(|g| g.id.clone()).collect();
        for dest in ["s3", "ecr.api", "8.8.8.8"] {
            let destination = match mlguard_net::ip::parse_ip(dest) {
                Some(ip) => Dest::Address(ip),
                None => Dest::Service(dest.into()),
            };
            let q = Query { source: Source::Subnet { subnet: s.id.clone(), groups: groups.clone() }, destination, protocol: 6, port: 443 };
            let _ = analyze(&t, &q);
        }
    }
    for a in t.interfaces.iter().take(6) {
        for b in t.interfaces.iter().take(6) {
            let q = Query { source: Source::Interface(a.id.clone()), destination: Dest::Interface(b.id.clone()), protocol: kind, port: 22 };
            let _ = analyze(&t, &q);
        }
    }
    let _ = mlguard_net::exposure::exposures(&t);
    if t.subnets.len() <= 16 {
        let _ = mlguard_net::matrix::subnet_matrix(&t, &[], 6, 443, 1);
    }
    let _ = mlguard_net::flowlogs::explain(&t, log, None);
});
