//! Ports and address ranges as firewall rules use them.

use std::net::IpAddr;

/// The ports an allow rule admits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PortSpec {
    /// Every port.
    Any,
    /// An inclusive range.
    Range(u16, u16),
}

impl std::fmt::Display for PortSpec {
    /// As written in a topology: `any`, `443` or `8000-8100`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PortSpec::Any => f.write_str("any"),
            PortSpec::Range(lo, hi) if lo == hi => write!(f, "{lo}"),
            PortSpec::Range(lo, hi) => write!(f, "{lo}-{hi}"),
        }
    }
}

impl PortSpec {
    /// Parses a written port: an integer, `"8000-8100"` or `any`.
    pub fn parse(text: &str) -> Option<PortSpec> {
        if text == "any" {
            return Some(PortSpec::Any);
        }
        let (lo, hi) = text.split_once('-').unwrap_or((text, text));
        let lo = port(lo.trim())?;
        let hi = port(hi.trim())?;
        (lo <= hi).then_some(PortSpec::Range(lo, hi))
    }

    /// Whether a link's port passes (a link without a port passes any rule's port).
    pub fn admits(self, port: Option<u16>) -> bool {
        match (self, port) {
            (PortSpec::Any, _) | (_, None) => true,
            (PortSpec::Range(lo, hi), Some(p)) => lo <= p && p <= hi,
        }
    }
}

/// A port number: 1..65535.
pub fn port(text: &str) -> Option<u16> {
    text.parse::<u16>().ok().filter(|&p| p != 0)
}

/// An IPv4 or IPv6 address range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    /// The network address.
    pub addr: IpAddr,
    /// The prefix length.
    pub prefix: u8,
}

impl Cidr {
    /// Parses `10.0.1.0/24` (a bare address is a /32 or /128).
    pub fn parse(text: &str) -> Option<Cidr> {
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a.parse::<IpAddr>().ok()?, Some(p.parse::<u8>().ok()?)),
            None => (text.parse::<IpAddr>().ok()?, None),
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(Cidr { addr, prefix })
    }

    /// Whether this range covers every address.
    pub fn is_everything(&self) -> bool {
        self.prefix == 0
    }

    fn bits(addr: IpAddr) -> (u128, u8) {
        match addr {
            IpAddr::V4(a) => (u128::from(u32::from(a)), 32),
            IpAddr::V6(a) => (u128::from(a), 128),
        }
    }

    /// Whether the two ranges share an address.
    pub fn overlaps(&self, other: &Cidr) -> bool {
        self.contains(other) || other.contains(self)
    }

    /// Whether `other` lies inside this range.
    pub fn contains(&self, other: &Cidr) -> bool {
        let (a, width) = Self::bits(self.addr);
        let (b, other_width) = Self::bits(other.addr);
        if width != other_width || other.prefix < self.prefix {
            return false;
        }
        let shift = u32::from(width - self.prefix);
        shift >= 128 || (a >> shift) == (b >> shift)
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::{Cidr, PortSpec};

    #[test]
    fn ports_and_ranges() {
        assert_eq!(PortSpec::parse("any"), Some(PortSpec::Any));
        assert_eq!(
            PortSpec::parse("8000-8100"),
            Some(PortSpec::Range(8000, 8100))
        );
        assert_eq!(PortSpec::parse("8100-8000"), None);
        assert_eq!(PortSpec::parse("0"), None);
        assert_eq!(PortSpec::parse("70000"), None);
        assert!(PortSpec::Range(8000, 8100).admits(Some(8080)));
        assert!(!PortSpec::Range(8000, 8100).admits(Some(443)));
    }

    #[test]
    fn cidr_containment() {
        let net = Cidr::parse("10.0.0.0/16").unwrap();
        assert!(net.contains(&Cidr::parse("10.0.1.0/24").unwrap()));
        assert!(!net.contains(&Cidr::parse("10.1.0.0/24").unwrap()));
        assert!(!net.contains(&Cidr::parse("10.0.0.0/8").unwrap()));
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains(&net));
        assert!(Cidr::parse("::/0").unwrap().is_everything());
        assert!(
            Cidr::parse("10.0.1.0/25")
                .unwrap()
                .overlaps(&Cidr::parse("10.0.1.0/24").unwrap())
        );
        assert!(
            !Cidr::parse("10.0.2.0/24")
                .unwrap()
                .overlaps(&Cidr::parse("10.0.1.0/24").unwrap())
        );
        assert_eq!(Cidr::parse("10.0.1.0/33"), None);
        assert_eq!(Cidr::parse("10.0.1/24"), None);
    }
}
