//! Ids from the names a source uses: sanitised to the format's id rules (1 to 63
//! letters, digits, `-`, `_`, `.`, starting with a letter or digit) deterministically,
//! a collision getting a stable suffix. Names are claimed in an order that does not
//! depend on the input's order (the importers sort them first), so ids are stable.

use std::collections::{HashMap, HashSet};

/// The longest id.
const MAX: usize = 63;

/// A name as an id: other characters become `-`, leading non-alphanumerics are dropped,
/// the result is cut at 63 characters; an empty result is `x`.
pub fn sanitise(name: &str) -> String {
    let mapped: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let trimmed = mapped.trim_start_matches(|c: char| !c.is_ascii_alphanumeric());
    let mut id: String = trimmed.chars().take(MAX).collect();
    if id.is_empty() {
        id.push('x');
    }
    id
}

/// The ids given so far in one topology (components, hosts, zones and certificates
/// share one namespace).
#[derive(Debug, Default)]
pub struct Ids {
    used: HashSet<String>,
    /// The next number to try per base, so that many colliding names cost no more
    /// than distinct ones.
    next: HashMap<String, usize>,
}

impl Ids {
    /// The id for `name`: sanitised, and suffixed `-2`, `-3`... when taken.
    pub fn claim(&mut self, name: &str) -> String {
        let base = sanitise(name);
        if self.used.insert(base.clone()) {
            return base;
        }
        self.claim_suffixed(&base, 2)
    }

    /// The id `base-suffix` (`web-lb`), or with a number after it when taken.
    pub fn claim_as(&mut self, base: &str, suffix: &str) -> String {
        let id = sanitise(&format!("{base}-{suffix}"));
        if self.used.insert(id.clone()) {
            return id;
        }
        self.claim_suffixed(&id, 2)
    }

    fn claim_suffixed(&mut self, base: &str, from: usize) -> String {
        let mut n = self.next.get(base).copied().unwrap_or(from);
        loop {
            let id = with_suffix(base, &n.to_string());
            n += 1;
            if self.used.insert(id.clone()) {
                self.next.insert(base.to_string(), n);
                return id;
            }
        }
    }

    /// Whether an id is taken.
    pub fn taken(&self, id: &str) -> bool {
        self.used.contains(id)
    }
}

/// `base-suffix`, with `base` cut so the whole fits in 63 characters.
fn with_suffix(base: &str, suffix: &str) -> String {
    let room = MAX.saturating_sub(suffix.len() + 1);
    let cut: String = base.chars().take(room).collect();
    format!("{cut}-{suffix}")
}

#[cfg(test)]
mod tests {
    use super::{Ids, sanitise};

    #[test]
    fn names_become_valid_ids() {
        assert_eq!(sanitise("web"), "web");
        assert_eq!(sanitise("my app/v2"), "my-app-v2");
        assert_eq!(sanitise("_private"), "private");
        assert_eq!(sanitise("ünï"), "n-");
        assert_eq!(sanitise("!!!"), "x");
        assert_eq!(sanitise(&"a".repeat(100)).len(), 63);
    }

    #[test]
    fn collisions_get_stable_suffixes() {
        let mut ids = Ids::default();
        assert_eq!(ids.claim("web"), "web");
        assert_eq!(ids.claim("web"), "web-2");
        assert_eq!(ids.claim("web"), "web-3");
        assert_eq!(ids.claim("web!"), "web-");
        assert_eq!(ids.claim("web?"), "web--2");
        assert_eq!(ids.claim_as("web", "lb"), "web-lb");
        assert_eq!(ids.claim_as("web", "lb"), "web-lb-2");
        assert_eq!(ids.claim_as("internet", "a b"), "internet-a-b");
        let long = "b".repeat(70);
        assert_eq!(ids.claim(&long).len(), 63);
        assert_eq!(ids.claim(&long).len(), 63);
    }
}
