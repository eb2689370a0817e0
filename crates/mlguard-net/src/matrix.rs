//! All-pairs subnet reachability for one port: which subnets can open a
//! connection to which, through the whole evaluation (routes, ACLs both ways,
//! groups, peering), on every core.

use serde::Serialize;

use crate::Topology;
use crate::reach::{Dest, Query, QueryError, Source, analyze};

/// The matrix: `reachable[i][j]` is whether `subnets[i]` reaches `subnets[j]`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Matrix {
    pub subnets: Vec<String>,
    pub protocol: String,
    pub port: u16,
    pub reachable: Vec<Vec<bool>>,
    /// For each unreachable pair, the first explanation code (same layout).
    pub blocked_by: Vec<Vec<Option<String>>>,
}

impl Matrix {
    /// How many ordered pairs are reachable.
    #[must_use]
    pub fn reachable_pairs(&self) -> usize {
        self.reachable.iter().flatten().filter(|r| **r).count()
    }
}

/// One row: reachability and, where blocked, the first explanation code.
type Row = (Vec<bool>, Vec<Option<String>>);

/// The groups an interface in `subnet` gets: `groups` where they belong to its
/// VPC, else the VPC's `default` group, else none.
fn groups_for(t: &Topology, subnet: &str, groups: &[String]) -> Vec<String> {
    let Some(vpc) = t.subnet(subnet).map(|s| s.vpc.clone()) else {
        return Vec::new();
    };
    let mine: Vec<String> = groups
        .iter()
        .filter(|g| t.group(g).is_some_and(|x| x.vpc == vpc))
        .cloned()
        .collect();
    if !mine.is_empty() {
        return mine;
    }
    t.groups
        .iter()
        .find(|g| g.vpc == vpc && g.name.as_deref() == Some("default"))
        .map(|g| vec![g.id.clone()])
        .unwrap_or_default()
}

/// Computes the matrix over every subnet (sorted by id), with new interfaces
/// carrying `groups` (per VPC; the VPC's default group where none apply), on
/// `threads` threads.
pub fn subnet_matrix(
    t: &Topology,
    groups: &[String],
    protocol: u8,
    port: u16,
    threads: usize,
) -> Result<Matrix, QueryError> {
    let mut subnets: Vec<String> = t.subnets.iter().map(|s| s.id.clone()).collect();
    subnets.sort();
    let ends: Vec<Vec<String>> = subnets.iter().map(|s| groups_for(t, s, groups)).collect();
    let n = subnets.len();
    let threads = threads.clamp(1, n.max(1));
    let row = |i: usize| -> Result<Row, QueryError> {
        let (mut r, mut why) = (Vec::with_capacity(n), Vec::with_capacity(n));
        let (Some(src), Some(src_groups)) = (subnets.get(i), ends.get(i)) else {
            return Ok((r, why));
        };
        for (dst, dst_groups) in subnets.iter().zip(&ends) {
            if src_groups.is_empty() || dst_groups.is_empty() {
                r.push(false);
                why.push(Some("NO_SECURITY_GROUP".into()));
                continue;
            }
            let q = Query {
                source: Source::Subnet {
                    subnet: src.clone(),
                    groups: src_groups.clone(),
                },
                destination: Dest::Subnet {
                    subnet: dst.clone(),
                    groups: dst_groups.clone(),
                },
                protocol,
                port,
            };
            let a = analyze(t, &q)?;
            why.push(a.explanations.first().map(|e| e.explanation_code.clone()));
            r.push(a.network_path_found);
        }
        Ok((r, why))
    };
    let mut rows: Vec<Option<Result<Row, QueryError>>> = (0..n).map(|_| None).collect();
    std::thread::scope(|scope| {
        let chunk = n.div_ceil(threads).max(1);
        let handles: Vec<_> = rows
            .chunks_mut(chunk)
            .enumerate()
            .map(|(k, slots)| {
                let row = &row;
                scope.spawn(move || {
                    for (j, slot) in slots.iter_mut().enumerate() {
                        *slot = Some(row(k.saturating_mul(chunk).saturating_add(j)));
                    }
                })
            })
            .collect();
        for h in handles {
            let _ = h.join();
        }
    });
    let (mut reachable, mut blocked_by) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for r in rows {
        let (a, b) = r.ok_or_else(|| QueryError("a worker thread failed".into()))??;
        reachable.push(a);
        blocked_by.push(b);
    }
    Ok(Matrix {
        subnets,
        protocol: crate::ip::protocol_name(Some(protocol)),
        port,
        reachable,
        blocked_by,
    })
}
