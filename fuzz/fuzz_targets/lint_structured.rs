//! Valid topologies built from structured input (kinds, hosts, racks, LB pools with
//! backend access, peers, replication with sync replicas, service groups, quorums,
//! managed services, firewalls, monitoring, links with cycles): each must be
//! a valid topology, and linting and rendering it in every format must not panic.
//! The file's name and an output path are fuzzed too: no name can forge a line of
//! concise or github output or send a control character to a terminal, and an output
//! is written whole (atomically), refused when it names the input, and leaves no
//! temporary file.
//! (The availability analysis is checked against a brute-force oracle by the property
//! test in src/availability/tests.rs.)
#![no_main]

use arbitrary::Arbitrary;
use infra_lint::lint::{LintOptions, lint_source};
use infra_lint::output::{self, Format, HumanOptions, Run};
use infra_lint::source::SourceFile;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Plan {
    hosts: Vec<(Option<u8>, bool)>,
    components: Vec<Comp>,
    links: Vec<(u8, u8, u8, bool)>,
    file_name: String,
    output_name: String,
}

#[derive(Arbitrary, Debug)]
struct Comp {
    kind: u8,
    host: Option<u8>,
    two_instances: bool,
    service: Option<u8>,
    critical: bool,
    targets: Vec<u8>,
    peer: Option<u8>,
    failover: u8,
    role: u8,
    source: Option<u8>,
    protects: Vec<u8>,
    firewall: Option<(u16, u8)>,
    agent: bool,
    managed: bool,
    quorum: Option<(Vec<u8>, u8, bool)>,
    access: u8,
    sync: bool,
}

const KINDS: [&str; 9] =
    ["client", "load_balancer", "web_server", "app_server", "service", "database", "cache", "firewall", "monitoring"];

impl Plan {
    fn yaml(&self) -> Option<String> {
        let comps = &self.components[..self.components.len().min(24)];
        let hosts = &self.hosts[..self.hosts.len().min(8)];
        let n = comps.len();
        if n == 0 {
            return None;
        }
        let kind = |i: usize| KINDS[comps[i].kind as usize % KINDS.len()];
        let mut y = String::from("version: 1\nname: fuzz\nzones:\n  dmz: { trust: dmz, cidr: 10.0.0.0/16 }\nhosts:\n");
        if hosts.is_empty() {
            y = y.replace("hosts:\n", "hosts: {}\n");
        }
        for (i, (rack, dmz)) in hosts.iter().enumerate() {
            let rack = rack.map(|r| format!(", failure_domains: {{ rack: r{} }}", r % 3)).unwrap_or_default();
            let zone = if *dmz { "zone: dmz" } else { "zone: private" };
            y.push_str(&format!("  h{i}: {{ {zone}{rack} }}\n"));
        }
        // Replication first: a store that is replicated (or replicates) takes no label.
        let store = |i: usize| matches!(kind(i), "database" | "cache");
        let role = |i: usize| ["primary", "replica", "standalone"][comps[i].role as usize % 3];
        let source = |i: usize| {
            comps[i].source.map(|s| usize::from(s) % n).filter(|s| *s != i && store(i) && store(*s) && role(i) == "replica")
        };
        let mut replicated = vec![false; n];
        for i in 0..n {
            if let Some(s) = source(i) {
                replicated[i] = true;
                replicated[s] = true;
            }
        }
        y.push_str("components:\n");
        let mut implied = std::collections::HashSet::new();
        for (i, c) in comps.iter().enumerate() {
            let k = kind(i);
            let mut f = vec![format!("kind: {k}")];
            if let Some(h) = c.host.map(usize::from).filter(|h| *h < hosts.len()) {
                f.push(format!("host: h{h}"));
            } else if c.managed {
                f.push("managed: true".into());
            }
            if c.two_instances && k != "client" {
                f.push("instances: 2".into());
            }
            if let Some(s) = c.service.filter(|_| k != "client" && !replicated[i]) {
                f.push(format!("service: {k}-{}", s % 2));
            }
            if !c.critical {
                f.push("critical: false".into());
            }
            if c.agent && k != "firewall" {
                f.push("monitoring: { agent: a }".into());
            }
            if let Some((port, from)) = c.firewall.filter(|_| k != "firewall") {
                let from = usize::from(from) % n;
                f.push(format!("firewall: {{ allow: [{{ port: {}, from: c{from} }}] }}", port.max(1)));
            }
            match k {
                "load_balancer" => {
                    let mut t: Vec<usize> = c.targets.iter().map(|t| usize::from(*t) % n).filter(|t| *t != i && !matches!(kind(*t), "client" | "firewall")).collect();
                    t.sort_unstable();
                    t.dedup();
                    if t.is_empty() {
                        t.push(n);
                    }
                    for x in &t {
                        implied.insert((i, *x));
                    }
                    let names: Vec<String> = t.iter().map(|x| format!("c{x}")).collect();
                    let access = ["", ", backend: { access: read }", ", backend: { access: write }"][c.access as usize % 3];
                    f.push(format!("balancing: {{ targets: [{}]{access} }}", names.join(", ")));
                    if let Some(p) = c.peer.map(|p| usize::from(p) % n).filter(|p| *p != i && kind(*p) == "load_balancer") {
                        f.push(format!("peers: [c{p}]"));
                        f.push(format!("failover: {}", ["vrrp", "none", "dns"][c.failover as usize % 3]));
                    }
                }
                "database" | "cache" => {
                    f.push(format!("role: {}", role(i)));
                    if let Some(s) = source(i) {
                        f.push(format!("replicates_from: c{s}"));
                        if c.sync {
                            f.push("replication: { mode: sync }".into());
                        }
                    }
                    f.push(format!("failover: {}", ["automatic", "none", "manual"][c.failover as usize % 3]));
                }
                "firewall" => {
                    let mut p: Vec<String> = c.protects.iter().map(|p| usize::from(*p) % (n + hosts.len())).map(|p| if p < n { format!("c{p}") } else { format!("h{}", p - n) }).filter(|p| *p != format!("c{i}")).collect();
                    p.sort();
                    p.dedup();
                    f.push(format!("protects: [{}]", p.join(", ")));
                    f.push("allow: [{ port: 443, from: any }]".into());
                }
                "monitoring" => f.push("monitors: [c0]".into()),
                _ => {}
            }
            if let Some((voters, needs, writes)) = &c.quorum {
                let primary = store(i) && role(i) == "primary";
                let automatic = c.failover as usize % 3 == 0;
                let mut v: Vec<usize> = voters.iter().take(7).map(|v| usize::from(*v) % (n + 1)).collect();
                v.sort_unstable();
                v.dedup();
                if !v.is_empty() && (!primary || automatic) {
                    let needs = usize::from(*needs) % v.len() + 1;
                    let names: Vec<String> = v.iter().map(|x| format!("c{x}")).collect();
                    let gates = if primary && *writes { ", for: writes" } else { "" };
                    f.push(format!("quorum: {{ voters: [{}], needs: {needs}{gates} }}", names.join(", ")));
                }
            }
            y.push_str(&format!("  c{i}: {{ {} }}\n", f.join(", ")));
        }
        y.push_str(&format!("  c{n}: {{ kind: web_server }}\n  entry: {{ kind: client }}\nlinks:\n  - {{ from: entry, to: c{n}, protocol: https }}\n"));
        let mut seen = implied;
        for (from, to, access, tls) in self.links.iter().take(40) {
            let (from, to) = (usize::from(*from) % n, usize::from(*to) % n);
            if from == to || !seen.insert((from, to)) || kind(from) == "firewall" || matches!(kind(to), "firewall" | "client") {
                continue;
            }
            let access = ["read", "write", "read_write"][*access as usize % 3];
            y.push_str(&format!("  - {{ from: c{from}, to: c{to}, access: {access}, tls: {tls}, port: 443 }}\n"));
        }
        Some(y)
    }
}

/// A fuzzed name as one file name in the scratch folder: no separator, not `.`/`..`.
fn file_name(name: &str) -> String {
    let name: String = name.chars().take(60).map(|c| if c == '/' || c == '\0' { '_' } else { c }).collect();
    if name.is_empty() || name == "." || name == ".." { "out".into() } else { name }
}

fn scratch() -> &'static std::path::Path {
    static DIR: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("infra-lint-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a scratch folder");
        dir
    })
}

/// Writes `bytes` to a fuzzed output name beside a fuzzed input: refused when it is
/// the input, else written whole, with no temporary file left.
fn check_output(input_name: &str, output_name: &str, yaml: &str, bytes: &[u8]) {
    let dir = scratch();
    let input = dir.join(file_name(input_name));
    let output = dir.join(file_name(output_name));
    std::fs::write(&input, yaml).expect("write the input");
    let same = file_name(input_name) == file_name(output_name);
    let refused = infra_lint::safe_write::names_an_input(&output, &[input.clone()]).is_some();
    assert_eq!(refused, same, "{input:?} vs {output:?}");
    if !refused {
        infra_lint::safe_write::write_atomic(&output, bytes).expect("write the output");
        assert!(std::fs::read(&output).expect("read it back") == bytes, "not written whole");
        let _ = std::fs::remove_file(&output);
    }
    let _ = std::fs::remove_file(&input);
    let left = std::fs::read_dir(dir).expect("list the scratch folder").count();
    assert_eq!(left, 0, "a file was left in {dir:?}");
}

fuzz_target!(|plan: Plan| {
    let Some(yaml) = plan.yaml() else { return };
    let options = LintOptions { outline: true, ..LintOptions::default() };
    let name: String = plan.file_name.chars().take(200).collect();
    // Whatever the name, it is shown without inventing a root.
    let shown = infra_lint::discover::display(std::path::Path::new(&name));
    assert!(!shown.starts_with('/') || name.starts_with('/'), "{name:?} shown as {shown:?}");
    let report = lint_source(SourceFile::new(name.clone(), yaml.clone()), &options);
    assert!(report.valid, "a generated topology is valid: {:?}\n{yaml}", report.findings.first().map(|f| &f.message));
    // The paths of large files (a second thread to scan, validate and check) find the
    // same, in the same order.
    let mut threaded = options.clone();
    threaded.yaml.threaded_from_bytes = 0;
    threaded.yaml.split_from_bytes = 0;
    let other = lint_source(SourceFile::new(name.clone(), yaml.clone()), &threaded);
    let json = |files: &[infra_lint::lint::FileReport]| {
        let run = Run { files, rules: infra_lint::rules::RULES, human: HumanOptions::default(), root: None, fail_on: Some(infra_lint::finding::Severity::Warning) };
        let mut out = Vec::new();
        output::write(Format::Json, &run, &mut out).expect("rendering to memory cannot fail");
        out
    };
    let files = [report];
    assert!(json(&files) == json(&[other]), "one thread and two differ:\n{yaml}");
    let run = Run { files: &files, rules: infra_lint::rules::RULES, human: HumanOptions::default(), root: None, fail_on: Some(infra_lint::finding::Severity::Warning) };
    let shown = files[0].findings.iter().filter(|f| f.suppressed.is_none()).count();
    for format in [Format::Human, Format::Concise, Format::Json, Format::Sarif, Format::Junit, Format::Github, Format::Gitlab, Format::Markdown] {
        let mut out = Vec::new();
        output::write(format, &run, &mut out).expect("rendering to memory cannot fail");
        let text = String::from_utf8(out).expect("UTF-8 output");
        match format {
            // One line per finding, then the summary: the name forges none.
            Format::Concise | Format::Github => assert_eq!(text.lines().count(), shown + 1, "{name:?}\n{text}"),
            Format::Human => assert!(!text.chars().any(|c| c.is_control() && c != '\n'), "{name:?}: a control character reaches the terminal"),
            Format::Junit => {
                assert!(!text.chars().any(|c| matches!(c, '\u{fffe}' | '\u{ffff}') || (c.is_control() && !matches!(c, '\t' | '\n' | '\r'))), "{name:?}: not XML")
            }
            _ => {}
        }
        if format == Format::Json {
            check_output(&name, &plan.output_name, &yaml, text.as_bytes());
        }
    }
});
