//! IPv4 addresses, CIDR blocks and port ranges.
//!
//! The analysis is IPv4, as Reachability Analyzer's is; IPv6 rules and routes
//! are read (so files load) and kept aside, never matched.

use std::fmt;
use std::net::Ipv4Addr;

/// An IPv4 CIDR block, normalized (host bits cleared).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cidr {
    /// Network address.
    pub addr: u32,
    /// Prefix length, 0..=32.
    pub len: u8,
}

impl Cidr {
    /// Every IPv4 address: `0.0.0.0/0`.
    pub const ANY: Cidr = Cidr { addr: 0, len: 0 };

    /// Parses `a.b.c.d/n` (or a bare address, as a /32). `None` if malformed.
    #[must_use]
    pub fn parse(s: &str) -> Option<Cidr> {
        let (ip, len) = match s.trim().split_once('/') {
            Some((ip, len)) => (ip, len.parse::<u8>().ok().filter(|l| *l <= 32)?),
            None => (s.trim(), 32),
        };
        let addr = u32::from(ip.parse::<Ipv4Addr>().ok()?);
        Some(Cidr {
            addr: addr & mask(len),
            len,
        })
    }

    /// The block of one address.
    #[must_use]
    pub fn host(ip: u32) -> Cidr {
        Cidr { addr: ip, len: 32 }
    }

    /// Whether `ip` is in this block.
    #[must_use]
    pub fn contains(&self, ip: u32) -> bool {
        ip & mask(self.len) == self.addr
    }

    /// Whether this block lies entirely within `other`.
    #[must_use]
    pub fn within(&self, other: &Cidr) -> bool {
        self.len >= other.len && other.contains(self.addr)
    }

    /// Whether the two blocks share any address.
    #[must_use]
    pub fn overlaps(&self, other: &Cidr) -> bool {
        self.within(other) || other.within(self)
    }

    /// The `n`th address of the block (wrapping inside it).
    #[must_use]
    pub fn nth(&self, n: u32) -> u32 {
        let size_mask = !mask(self.len);
        self.addr | (n & size_mask)
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", Ipv4Addr::from(self.addr), self.len)
    }
}

/// Network mask of a prefix length.
fn mask(len: u8) -> u32 {
    match len {
        0 => 0,
        l => u32::MAX << (32u8.saturating_sub(l.min(32))),
    }
}

/// Parses a dotted IPv4 address.
#[must_use]
pub fn parse_ip(s: &str) -> Option<u32> {
    s.trim().parse::<Ipv4Addr>().ok().map(u32::from)
}

/// Formats an address.
#[must_use]
pub fn fmt_ip(ip: u32) -> String {
    Ipv4Addr::from(ip).to_string()
}

/// RFC 1918 private space, where an internet gateway never sends traffic.
#[must_use]
pub fn is_private(ip: u32) -> bool {
    const PRIVATE: [Cidr; 3] = [
        Cidr {
            addr: 0x0a00_0000,
            len: 8,
        },
        Cidr {
            addr: 0xac10_0000,
            len: 12,
        },
        Cidr {
            addr: 0xc0a8_0000,
            len: 16,
        },
    ];
    PRIVATE.iter().any(|c| c.contains(ip))
}

/// IANA protocol numbers the analysis names.
pub mod proto {
    /// ICMP.
    pub const ICMP: u8 = 1;
    /// TCP.
    pub const TCP: u8 = 6;
    /// UDP.
    pub const UDP: u8 = 17;
    /// ICMPv6.
    pub const ICMPV6: u8 = 58;
}

/// A protocol as rules spell it: `None` is all protocols (`-1`).
pub type Protocol = Option<u8>;

/// Parses `-1`, `all`, `tcp`, `udp`, `icmp`, `icmpv6` or a protocol number.
#[must_use]
pub fn parse_protocol(s: &str) -> Option<Protocol> {
    match s.trim().to_ascii_lowercase().as_str() {
        "-1" | "all" | "" => Some(None),
        "tcp" => Some(Some(proto::TCP)),
        "udp" => Some(Some(proto::UDP)),
        "icmp" => Some(Some(proto::ICMP)),
        "icmpv6" => Some(Some(proto::ICMPV6)),
        n => n.parse::<u8>().ok().map(Some),
    }
}

/// Name of a protocol for output.
#[must_use]
pub fn protocol_name(p: Protocol) -> String {
    match p {
        None => "all".into(),
        Some(proto::TCP) => "tcp".into(),
        Some(proto::UDP) => "udp".into(),
        Some(proto::ICMP) => "icmp".into(),
        Some(n) => n.to_string(),
    }
}

/// Whether the protocol carries ports (rules on other protocols match every
/// port, as AWS documents for `-1` and numbers other than 6 and 17).
#[must_use]
pub fn has_ports(p: Protocol) -> bool {
    matches!(p, Some(proto::TCP | proto::UDP))
}

/// An inclusive port range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ports {
    /// First port.
    pub from: u16,
    /// Last port.
    pub to: u16,
}

impl Ports {
    /// Every port.
    pub const ALL: Ports = Ports {
        from: 0,
        to: u16::MAX,
    };

    /// The ports clients pick for their end of a connection, as AWS advises
    /// network ACLs to allow for return traffic (NAT gateways, ELB and Lambda
    /// use all of 1024–65535; Linux 32768–60999; Windows 49152–65535).
    pub const EPHEMERAL: Ports = Ports {
        from: 1024,
        to: u16::MAX,
    };

    /// One port.
    #[must_use]
    pub fn one(p: u16) -> Ports {
        Ports { from: p, to: p }
    }

    /// Whether `p` is in the range.
    #[must_use]
    pub fn contains(&self, p: u16) -> bool {
        self.from <= p && p <= self.to
    }
}

impl fmt::Display for Ports {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.from == self.to {
            write!(f, "{}", self.from)
        } else if *self == Ports::ALL {
            f.write_str("all")
        } else {
            write!(f, "{}-{}", self.from, self.to)
        }
    }
}

/// A set of ports as sorted, disjoint, inclusive ranges.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PortSet(pub Vec<Ports>);

impl PortSet {
    /// The set holding one range.
    #[must_use]
    pub fn of(r: Ports) -> PortSet {
        PortSet(vec![r])
    }

    /// Whether the set is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Splits off the part of the set inside `r`: returns it and keeps the rest.
    pub fn take(&mut self, r: Ports) -> PortSet {
        let mut taken = Vec::new();
        let mut kept = Vec::new();
        for p in self.0.drain(..) {
            if p.to < r.from || p.from > r.to {
                kept.push(p);
                continue;
            }
            if p.from < r.from {
                kept.push(Ports {
                    from: p.from,
                    to: r.from.saturating_sub(1),
                });
            }
            taken.push(Ports {
                from: p.from.max(r.from),
                to: p.to.min(r.to),
            });
            if p.to > r.to {
                kept.push(Ports {
                    from: r.to.saturating_add(1),
                    to: p.to,
                });
            }
        }
        self.0 = kept;
        PortSet(taken)
    }

    /// Adds the ranges of `other` (the two must be disjoint).
    pub fn extend(&mut self, other: PortSet) {
        self.0.extend(other.0);
        self.0.sort_by_key(|p| p.from);
        let mut merged: Vec<Ports> = Vec::with_capacity(self.0.len());
        for p in self.0.drain(..) {
            match merged.last_mut() {
                Some(last) if u32::from(last.to).saturating_add(1) >= u32::from(p.from) => {
                    last.to = last.to.max(p.to);
                }
                _ => merged.push(p),
            }
        }
        self.0 = merged;
    }
}

impl fmt::Display for PortSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&parts.join(","))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn cidrs_parse_and_contain() {
        let c = Cidr::parse("10.0.1.7/24").unwrap();
        assert_eq!(c.to_string(), "10.0.1.0/24");
        assert!(c.contains(parse_ip("10.0.1.255").unwrap()));
        assert!(!c.contains(parse_ip("10.0.2.0").unwrap()));
        assert!(Cidr::ANY.contains(parse_ip("8.8.8.8").unwrap()));
        assert!(c.within(&Cidr::parse("10.0.0.0/16").unwrap()));
        assert!(Cidr::parse("10.0.0.0/33").is_none());
        assert!(Cidr::parse("10.0.0/8").is_none());
        assert_eq!(Cidr::parse("1.2.3.4").unwrap().len, 32);
        assert_eq!(fmt_ip(c.nth(4)), "10.0.1.4");
    }

    #[test]
    fn port_sets_split_and_merge() {
        let mut s = PortSet::of(Ports::EPHEMERAL);
        let taken = s.take(Ports {
            from: 32768,
            to: 65535,
        });
        assert_eq!(taken.to_string(), "32768-65535");
        assert_eq!(s.to_string(), "1024-32767");
        let mut all = s.clone();
        all.extend(taken);
        assert_eq!(all, PortSet::of(Ports::EPHEMERAL));
        assert!(s.take(Ports::one(80)).is_empty());
    }
}
