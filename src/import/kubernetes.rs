//! Kubernetes manifests to a topology (`design/importers.md`, Kubernetes specifics).
//!
//! Decisions the design left open:
//! - The topology's name is `kubernetes`; namespaces are zones (trust `private`), named
//!   by the namespace, and a workload without one is in `default`.
//! - Workloads are Deployments, StatefulSets, DaemonSets, ReplicationControllers,
//!   ReplicaSets and bare Pods; Jobs and CronJobs start no service and are skipped. A
//!   DaemonSet states no count (one per node): its instances are left unsaid.
//! - A reference names a Service as `svc`, `svc:port`, `svc.ns[.svc[.cluster.local]]`,
//!   a URL, or a StatefulSet pod `pod-N.svc[...]`; it is looked for in env values,
//!   container args and command, and the ConfigMaps a container takes with `envFrom`.
//!   A bare word counts only under a host-like variable name, as in Compose.
//! - A reference's port picks the Service port it names; the link's port is that port's
//!   resolved `targetPort` (a named one through the selected pods' container ports).
//! - The `infra-lint.io/kind` annotation states a kind, `infra-lint.io/links` (names,
//!   comma-separated) declares links, and `infra-lint.io/suppress` holds one
//!   `CODE: reason` per line.
//! - NetworkPolicy peers: a `namespaceSelector` matching `kubernetes.io/metadata.name`
//!   is that namespace's zone; any other `namespaceSelector` (with or without a
//!   `podSelector`) admits `any`, the conservative reading; a named port is resolved
//!   through the selected pods' container ports, else the rule admits any port.
//! - A Service whose selector selects nothing is IMP002; a LoadBalancer or Ingress with
//!   no workload behind it gives no load balancer.
//! - Replicas of a leader: a `role: follower/replica/slave` workload replicates from the
//!   leader with the same `app` label in its namespace (else the only leader there).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::heuristics::{self, Guess};
use super::ids::Ids;
use super::node::{self, Node};
use super::topology::{
    Allow, At, Certificate, Component, Firewall, Link, Listener, Suppression, Topology, Zone,
};
use super::{Imported, Links, SourceKind, imp, invalid, reader_errors};
use crate::finding::Finding;
use crate::model::document::Kind;
use crate::rules::import::{IMP001, IMP002, IMP003, IMP004, IMP005};
use crate::source::{SourceFile, Span};
use crate::yaml::Limits;

const WORKLOADS: &[&str] = &[
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicationController",
    "ReplicaSet",
    "Pod",
];

/// One object of the stream.
struct Object<'a> {
    kind: String,
    name: String,
    namespace: String,
    node: &'a Node,
    /// The `metadata.name` value: findings about the object point here.
    name_span: Span,
    /// Whether it is a document of its own (not a `List` item): fixes edit only those.
    top_level: bool,
}

struct Workload<'a> {
    obj: Object<'a>,
    id: String,
    labels: BTreeMap<String, String>,
    /// The pod spec.
    pod: &'a Node,
    replicas: Option<At<u64>>,
    stated_kind: Option<Kind>,
    guess: Option<(Guess, Span, &'static str)>,
}

struct Service<'a> {
    obj: Object<'a>,
    selected: Vec<usize>,
    ports: &'a [Node],
}

/// Reads a manifest stream.
pub fn import(source: &SourceFile, limits: Limits) -> Result<Imported, Vec<Finding>> {
    let (docs, errors) = node::read_stream(source, limits);
    if !errors.is_empty() {
        let mut findings = reader_errors(errors);
        if source.text.contains("{{") {
            for f in &mut findings {
                f.help = Some(
                    "this looks like a Helm template: render it first (`helm template . | infra-lint --from k8s -`)"
                        .into(),
                );
            }
        }
        return Err(findings);
    }
    let mut findings = Vec::new();
    let mut errors = Vec::new();
    let mut objects: Vec<Object> = Vec::new();
    for doc in &docs {
        collect(doc, true, &mut objects, &mut errors);
    }
    if errors.is_empty() && objects.is_empty() {
        errors.push(invalid(
            Span::new(0, 0),
            "the input holds no Kubernetes objects",
            "nothing here",
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    // Objects in a stable order: by kind, namespace and name.
    objects.sort_by(|a, b| (&a.kind, &a.namespace, &a.name).cmp(&(&b.kind, &b.namespace, &b.name)));
    for o in &objects {
        if let Some(span) = template_in(o.node) {
            findings.push(imp(
                &IMP005,
                span,
                "",
                format!(
                    "{} `{}` holds Helm template syntax `{{{{ }}}}`: render the chart first (`helm template`)",
                    o.kind, o.name
                ),
            ));
        }
    }

    let mut ids = Ids::default();
    let mut workloads: Vec<Workload> = Vec::new();
    let mut services: Vec<Service> = Vec::new();
    let mut others: Vec<Object> = Vec::new();
    for o in objects {
        if WORKLOADS.contains(&o.kind.as_str()) {
            let spec = o.node.get("spec");
            let pod = if o.kind == "Pod" {
                spec
            } else {
                spec.and_then(|s| s.at(&["template", "spec"]))
            };
            let Some(pod) = pod else {
                errors.push(invalid(
                    o.name_span,
                    format!(
                        "{} `{}` has no {}",
                        o.kind,
                        o.name,
                        if o.kind == "Pod" {
                            "`spec`"
                        } else {
                            "`spec.template.spec`"
                        }
                    ),
                    "no pod spec",
                ));
                continue;
            };
            let labels_node = if o.kind == "Pod" {
                o.node.at(&["metadata", "labels"])
            } else {
                o.node.at(&["spec", "template", "metadata", "labels"])
            };
            let labels = string_map(labels_node);
            let replicas = match o.kind.as_str() {
                "Pod" => None,
                "DaemonSet" => None,
                _ => match o.node.at(&["spec", "replicas"]) {
                    // Scaled to zero: nothing runs, nothing to say about redundancy.
                    Some(r) if r.int() == Some(0) => None,
                    Some(r) => r
                        .int()
                        .and_then(|n| super::instances(n, r.span, &o.name, &mut findings)),
                    None => Some(At::new(1, o.name_span)),
                },
            };
            let annotations = o.node.at(&["metadata", "annotations"]);
            let kind_hint = annotations.and_then(|a| a.get("infra-lint.io/kind"));
            let stated_kind = kind_hint
                .and_then(Node::str)
                .and_then(super::compose::hint_kind);
            if let Some(hint) = kind_hint
                && stated_kind.is_none()
            {
                errors.push(
                    invalid(
                        hint.span,
                        format!(
                            "`{}` is not a component kind",
                            hint.text().unwrap_or_default()
                        ),
                        "unknown kind",
                    )
                    .help(super::compose::HINT_KINDS),
                );
            }
            let image = pod
                .get("containers")
                .and_then(|c| c.items().first())
                .and_then(|c| c.get("image"));
            let guess = image
                .and_then(|i| {
                    i.str()
                        .map(|s| (heuristics::guess(heuristics::image_name(s)), i.span))
                })
                .and_then(|(g, span)| g.map(|g| (g, span, "image")))
                .or_else(|| heuristics::guess(&o.name).map(|g| (g, o.name_span, "name")));
            workloads.push(Workload {
                id: String::new(),
                labels,
                pod,
                replicas,
                stated_kind,
                guess,
                obj: o,
            });
        } else if o.kind == "Service" {
            let Some(spec) = o.node.get("spec").filter(|s| s.is_map()) else {
                errors.push(invalid(
                    o.name_span,
                    format!("Service `{}` has no `spec`", o.name),
                    "no spec",
                ));
                continue;
            };
            services.push(Service {
                ports: spec.get("ports").map_or(&[][..], Node::items),
                selected: Vec::new(),
                obj: o,
            });
        } else {
            others.push(o);
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    // Ids: workloads by name (sorted), then the rest.
    let mut order: Vec<usize> = (0..workloads.len()).collect();
    order.sort_by(|&a, &b| {
        (&workloads[a].obj.name, &workloads[a].obj.namespace)
            .cmp(&(&workloads[b].obj.name, &workloads[b].obj.namespace))
    });
    for i in order {
        workloads[i].id = ids.claim(&workloads[i].obj.name);
    }

    // HPAs raise instances to their minimum.
    let mut by_workload_name: HashMap<(&str, &str, &str), usize> = HashMap::new();
    for (i, w) in workloads.iter().enumerate() {
        by_workload_name.insert((&w.obj.namespace, &w.obj.kind, &w.obj.name), i);
    }
    let mut hpa_min: Vec<(usize, At<u64>)> = Vec::new();
    for o in others
        .iter()
        .filter(|o| o.kind == "HorizontalPodAutoscaler")
    {
        let target = o.node.at(&["spec", "scaleTargetRef"]);
        let kind = target
            .and_then(|t| t.get("kind"))
            .and_then(Node::str)
            .unwrap_or("");
        let name = target
            .and_then(|t| t.get("name"))
            .and_then(Node::str)
            .unwrap_or("");
        let min = o.node.at(&["spec", "minReplicas"]);
        if let Some(&w) = by_workload_name.get(&(o.namespace.as_str(), kind, name)) {
            let n = min.and_then(Node::int).unwrap_or(1);
            let span = min.map_or(o.name_span, |m| m.span);
            if let Some(n) = super::instances(n, span, &o.name, &mut findings) {
                hpa_min.push((w, n));
            }
        }
    }
    let mut scaled = vec![false; workloads.len()];
    for (w, n) in hpa_min {
        workloads[w].replicas = Some(n);
        scaled[w] = true;
    }

    // Label index: (namespace, key, value) -> workloads.
    let mut by_label: HashMap<(&str, &str, &str), Vec<usize>> = HashMap::new();
    let mut by_namespace: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, w) in workloads.iter().enumerate() {
        by_namespace.entry(&w.obj.namespace).or_default().push(i);
        for (k, v) in &w.labels {
            by_label
                .entry((&w.obj.namespace, k, v))
                .or_default()
                .push(i);
        }
    }
    let select = |ns: &str, selector: &BTreeMap<String, String>| -> Vec<usize> {
        if selector.is_empty() {
            return by_namespace.get(ns).cloned().unwrap_or_default();
        }
        let sets: Vec<&Vec<usize>> = selector
            .iter()
            .map(|(k, v)| by_label.get(&(ns, k.as_str(), v.as_str())))
            .collect::<Option<Vec<_>>>()
            .unwrap_or_default();
        let Some(smallest) = sets.iter().min_by_key(|s| s.len()) else {
            return Vec::new();
        };
        smallest
            .iter()
            .copied()
            .filter(|&i| {
                selector
                    .iter()
                    .all(|(k, v)| workloads[i].labels.get(k) == Some(v))
            })
            .collect()
    };
    for s in &mut services {
        let selector = s.obj.node.at(&["spec", "selector"]);
        if let Some(sel) = selector.filter(|s| s.is_map() && !s.entries().is_empty()) {
            s.selected = select(&s.obj.namespace, &string_map(Some(sel)));
            if s.selected.is_empty() {
                findings.push(imp(
                    &IMP002,
                    sel.span,
                    "",
                    format!(
                        "the selector of Service `{}` selects no workload in this input",
                        s.obj.name
                    ),
                ));
            }
        }
    }
    let mut service_by_name: HashMap<(&str, &str), usize> = HashMap::new();
    for (i, s) in services.iter().enumerate() {
        service_by_name.insert((&s.obj.namespace, &s.obj.name), i);
    }
    let namespaces: BTreeSet<&str> = workloads
        .iter()
        .map(|w| w.obj.namespace.as_str())
        .chain(services.iter().map(|s| s.obj.namespace.as_str()))
        .collect();
    let config_maps: HashMap<(&str, &str), &Object> = others
        .iter()
        .filter(|o| o.kind == "ConfigMap")
        .map(|o| ((o.namespace.as_str(), o.name.as_str()), o))
        .collect();
    let workload_by_name: HashMap<(&str, &str), usize> = workloads
        .iter()
        .enumerate()
        .map(|(i, w)| ((w.obj.namespace.as_str(), w.obj.name.as_str()), i))
        .collect();

    // Links from references.
    let mut links = Links::default();
    for (wi, w) in workloads.iter().enumerate() {
        for (var, value, span) in references(w, &config_maps) {
            let Some((scheme, host, port)) = heuristics::host_of(&value) else {
                continue;
            };
            let host_named = var.as_deref().is_some_and(heuristics::names_a_host);
            if scheme.is_none() && port.is_none() && !host_named && !host.contains('.') {
                continue;
            }
            let Some(si) = resolve_service(host, &w.obj.namespace, &service_by_name, &namespaces)
            else {
                let single = !host.contains('.') && host != "localhost";
                if host_named && single && host.parse::<f64>().is_err() {
                    findings.push(imp(
                        &IMP002,
                        span,
                        &w.id,
                        format!(
                            "`{}` of `{}` names `{host}`, which is no Service in this input",
                            var.as_deref().unwrap_or("a value"),
                            w.obj.name
                        ),
                    ));
                }
                continue;
            };
            let svc = &services[si];
            let sport = pick_port(svc.ports, port);
            let protocol = sport
                .and_then(named_port_protocol)
                .or_else(|| scheme.and_then(heuristics::scheme_protocol));
            for &t in &svc.selected {
                if t == wi {
                    continue;
                }
                let target_port = sport.and_then(|p| target_port(p, &workloads[t]));
                links.add(Link {
                    from: w.id.clone(),
                    to: workloads[t].id.clone(),
                    protocol,
                    port: target_port.or(port),
                    tls: protocol
                        .map(|p| matches!(p, "https" | "tls" | "grpcs"))
                        .filter(|t| *t),
                    access: None,
                    origin: span,
                });
            }
        }
        // Declared links.
        let declared = w
            .obj
            .node
            .at(&["metadata", "annotations", "infra-lint.io/links"]);
        if let Some(d) = declared {
            for name in d
                .text()
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|n| !n.is_empty())
            {
                let ns = w.obj.namespace.as_str();
                let targets: Vec<usize> = match service_by_name.get(&(ns, name)) {
                    Some(&si) => services[si].selected.clone(),
                    None => workload_by_name
                        .get(&(ns, name))
                        .map(|&t| vec![t])
                        .unwrap_or_default(),
                };
                if targets.is_empty() {
                    findings.push(imp(&IMP002, d.span, &w.id, format!("`infra-lint.io/links` of `{}` names `{name}`, which is no Service or workload here", w.obj.name)));
                }
                for t in targets {
                    links.add(Link {
                        from: w.id.clone(),
                        to: workloads[t].id.clone(),
                        protocol: None,
                        port: None,
                        tls: None,
                        access: None,
                        origin: d.span,
                    });
                }
            }
        }
    }

    // Kinds.
    let callers = links.callers();
    let kinds: Vec<Kind> = workloads
        .iter()
        .map(|w| {
            heuristics::kind_of(
                w.stated_kind,
                w.guess.as_ref().map(|(g, _, _)| g.kind),
                callers.contains(w.id.as_str()),
            )
        })
        .collect();
    // A load balancer pod needs targets: its links are its targets here.
    let mut lb_targets: HashMap<usize, Vec<String>> = HashMap::new();
    let index_of: HashMap<String, usize> = workloads
        .iter()
        .enumerate()
        .map(|(i, w)| (w.id.clone(), i))
        .collect();
    links.links.retain(|l| {
        let (Some(&f), Some(&t)) = (index_of.get(&l.from), index_of.get(&l.to)) else {
            return true;
        };
        if kinds[f] == Kind::LoadBalancer && !kinds[t].is_data_store() {
            lb_targets.entry(f).or_default().push(l.to.clone());
            false
        } else {
            true
        }
    });
    links.infer_protocols(
        |to| {
            index_of
                .get(to)
                .map(|&t| workloads[t].guess.as_ref().and_then(|(g, _, _)| g.engine))
        },
        &mut findings,
    );

    let mut topology = Topology {
        name: "kubernetes".into(),
        description: format!("Imported from {} (Kubernetes manifests).", source.path),
        origin: docs.first().map_or(Span::new(0, 0), |d| d.span),
        ..Topology::default()
    };
    if !workloads.is_empty() && !others.iter().any(|o| o.kind == "Node") {
        let first = workloads
            .iter()
            .map(|w| w.obj.name_span)
            .min_by_key(|s| s.start)
            .unwrap_or_default();
        findings.push(imp(
            &IMP004,
            first,
            "",
            "no Node objects in the input: workloads are placed on no host, each its own failure domain",
        ));
    }
    let mut zone_of: HashMap<&str, String> = HashMap::new();
    for ns in &namespaces {
        let id = ids.claim(ns);
        let origin = workloads
            .iter()
            .map(|w| &w.obj)
            .chain(services.iter().map(|s| &s.obj))
            .filter(|o| o.namespace == *ns)
            .map(|o| o.name_span)
            .min_by_key(|s| s.start)
            .unwrap_or_default();
        topology.zones.push(Zone {
            id: id.clone(),
            trust: "private",
            origin,
            from: format!("namespace {ns}"),
        });
        zone_of.insert(ns, id);
    }

    // Internal callers, for IMP003 and entrypoints.
    let mut called: HashMap<String, usize> = HashMap::new();
    for l in &links.links {
        *called.entry(l.to.clone()).or_default() += 1;
    }
    for targets in lb_targets.values() {
        for t in targets {
            *called.entry(t.clone()).or_default() += 1;
        }
    }

    // Replication roles.
    let mut leaders: HashMap<(&str, Option<&str>), Vec<usize>> = HashMap::new();
    for (i, w) in workloads.iter().enumerate() {
        if matches!(
            w.labels.get("role").map(String::as_str),
            Some("master" | "leader" | "primary")
        ) {
            let app = w.labels.get("app").map(String::as_str);
            leaders.entry((&w.obj.namespace, app)).or_default().push(i);
            leaders.entry((&w.obj.namespace, None)).or_default().push(i);
        }
    }
    let mut is_primary = vec![false; workloads.len()];
    let mut replica_of: Vec<Option<usize>> = vec![None; workloads.len()];
    for (i, w) in workloads.iter().enumerate() {
        if matches!(
            w.labels.get("role").map(String::as_str),
            Some("replica" | "follower" | "slave")
        ) {
            let app = w.labels.get("app").map(String::as_str);
            let leader = leaders
                .get(&(w.obj.namespace.as_str(), app))
                .filter(|l| l.len() == 1)
                .or_else(|| {
                    leaders
                        .get(&(w.obj.namespace.as_str(), None))
                        .filter(|l| l.len() == 1)
                })
                .map(|l| l[0]);
            if let Some(l) = leader {
                replica_of[i] = Some(l);
                is_primary[l] = true;
            }
        }
    }

    let mut extra_replicas: Vec<Component> = Vec::new();
    let mut replicas = HashMap::new();
    let mut components: Vec<Component> = Vec::new();
    for (i, w) in workloads.iter().enumerate() {
        let kind = kinds[i];
        let mut c = Component::new(
            w.id.clone(),
            kind,
            w.obj.name_span,
            format!("{} {}/{}", w.obj.kind, w.obj.namespace, w.obj.name),
        );
        c.zone = zone_of.get(w.obj.namespace.as_str()).cloned();
        if let Some(image) = w
            .pod
            .get("containers")
            .and_then(|c| c.items().first())
            .and_then(|c| c.get("image"))
            .and_then(Node::str)
        {
            let name = heuristics::image_name(image);
            if !name.is_empty() {
                c.software = Some(name.to_string());
            }
            c.version = heuristics::image_tag(image).map(str::to_string);
        }
        if let Some((g, span, what)) = &w.guess
            && w.stated_kind.is_none()
        {
            let engine = g
                .engine
                .map_or(String::new(), |e| format!(" with engine `{e}`"));
            findings.push(imp(
                &IMP001,
                *span,
                &w.id,
                format!(
                    "`{}` is taken for a {}{engine} from its {what}",
                    w.id,
                    kind.as_str()
                ),
            ));
        }
        let engine = w.guess.as_ref().and_then(|(g, _, _)| g.engine);
        if matches!(kind, Kind::Database | Kind::Cache) {
            c.engine = engine.map(str::to_string);
        }
        c.instances = w.replicas.clone();
        // One more replica, where `spec.replicas` says it (not under an HPA, whose
        // minimum rules; not for data stores, whose copies are not replicas).
        let controller = matches!(
            w.obj.kind.as_str(),
            "Deployment" | "StatefulSet" | "ReplicaSet" | "ReplicationController"
        );
        if controller && w.obj.top_level && !scaled[i] && !kind.is_data_store() {
            let n = c
                .instances
                .as_ref()
                .map_or(1, |n| n.value)
                .saturating_add(1);
            replicas.insert(
                w.id.clone(),
                super::ReplicaFix {
                    description: format!(
                        "run {n} replicas of {} `{}` (`spec.replicas: {n}`)",
                        w.obj.kind, w.obj.name
                    ),
                    yaml: format!("spec:\n  replicas: {n}\n"),
                    scope: w.obj.node.span,
                },
            );
        }
        if kind == Kind::LoadBalancer {
            c.targets = lb_targets.remove(&i).unwrap_or_default();
            if c.targets.is_empty() {
                c.kind = Kind::WebServer;
            }
        }
        if matches!(kind, Kind::Database | Kind::Cache) {
            if let Some(l) = replica_of[i] {
                c.role = Some("replica");
                c.replicates_from = Some(workloads[l].id.clone());
            } else if is_primary[i] {
                c.role = Some("primary");
            } else if w.obj.kind == "StatefulSet"
                && c.instances.as_ref().is_some_and(|n| n.value > 1)
                && !engine.is_some_and(|e| heuristics::CONSENSUS.contains(&e))
            {
                // One primary plus the rest as replicas.
                let n = c.instances.as_ref().map_or(1, |n| n.value);
                let origin = c.instances.as_ref().map_or(w.obj.name_span, |n| n.origin);
                c.role = Some("primary");
                c.instances = Some(At::new(1, origin));
                let replica_id = ids.claim_as(&w.id, "replica");
                let mut r = Component::new(
                    replica_id.clone(),
                    kind,
                    origin,
                    format!(
                        "the replicas of {} {}/{}",
                        w.obj.kind, w.obj.namespace, w.obj.name
                    ),
                );
                r.zone = c.zone.clone();
                r.software = c.software.clone();
                r.version = c.version.clone();
                r.engine = c.engine.clone();
                r.role = Some("replica");
                r.replicates_from = Some(w.id.clone());
                r.instances = Some(At::new(n - 1, origin));
                findings.push(imp(&IMP004, origin, &w.id, format!("the {n} replicas of StatefulSet `{}` state no roles: taken as one primary `{}` and {} replicas `{replica_id}`", w.obj.name, w.id, n - 1)));
                extra_replicas.push(r);
            }
        }
        if kind.is_data_store() && !called.contains_key(&w.id) {
            findings.push(
                imp(&IMP003, w.obj.name_span, &w.id, format!("no workload in this input links to the {} `{}`: its clients name it only in their code", kind.as_str(), w.id))
                    .help(format!("declare the link on each client: the annotation `infra-lint.io/links: {}`", w.obj.name)),
            );
        }
        if let Some(s) = w
            .obj
            .node
            .at(&["metadata", "annotations", "infra-lint.io/suppress"])
        {
            for line in s.text().unwrap_or_default().lines() {
                if let Some((rule, reason)) = line.split_once(':') {
                    c.suppress.push(Suppression {
                        rule: rule.trim().to_string(),
                        reason: Some(reason.trim().to_string()).filter(|r| !r.is_empty()),
                        origin: s.span,
                    });
                }
            }
        }
        components.push(c);
    }

    // Load balancers and clients of Services and Ingresses.
    for s in &services {
        let ty = s
            .obj
            .node
            .at(&["spec", "type"])
            .and_then(Node::str)
            .unwrap_or("ClusterIP");
        if !matches!(ty, "LoadBalancer" | "NodePort") || s.selected.is_empty() {
            continue;
        }
        let client_id = ids.claim_as("internet", &s.obj.name);
        let mut client = Component::new(
            client_id.clone(),
            Kind::Client,
            s.obj.name_span,
            format!(
                "the clients of {ty} Service {}/{}",
                s.obj.namespace, s.obj.name
            ),
        );
        let first_port = s.ports.first();
        if ty == "LoadBalancer" {
            let lb_id = if ids.taken(&s.obj.name) {
                ids.claim_as(&s.obj.name, "lb")
            } else {
                ids.claim(&s.obj.name)
            };
            let mut lb = Component::new(
                lb_id.clone(),
                Kind::LoadBalancer,
                s.obj.name_span,
                format!("LoadBalancer Service {}/{}", s.obj.namespace, s.obj.name),
            );
            lb.managed = Some(true);
            lb.zone = zone_of.get(s.obj.namespace.as_str()).cloned();
            lb.targets = s
                .selected
                .iter()
                .map(|&t| workloads[t].id.clone())
                .collect();
            let ports: BTreeSet<Option<u16>> = s
                .ports
                .iter()
                .map(|p| {
                    s.selected
                        .first()
                        .and_then(|&t| target_port(p, &workloads[t]))
                })
                .collect();
            if ports.len() == 1 {
                lb.backend_port = ports.into_iter().next().flatten();
            }
            lb.health_check = readiness(&s.selected, &workloads);
            for p in s.ports {
                if let Some(port) = p
                    .get("port")
                    .and_then(Node::int)
                    .and_then(|n| u16::try_from(n).ok())
                    .filter(|n| *n > 0)
                {
                    lb.listeners.push(Listener {
                        port,
                        protocol: listener_protocol(p, port),
                        certificate: None,
                        origin: p.span,
                    });
                }
            }
            if lb.listeners.first().is_some_and(|l| l.protocol == "https") {
                // An https listener needs a certificate the manifest does not show.
                for l in &mut lb.listeners {
                    l.protocol = "tcp";
                }
            }
            for p in s.ports {
                let port = p
                    .get("port")
                    .and_then(Node::int)
                    .and_then(|n| u16::try_from(n).ok())
                    .filter(|n| *n > 0);
                links.add(Link {
                    from: client_id.clone(),
                    to: lb_id.clone(),
                    protocol: Some(listener_protocol(p, port.unwrap_or(0)))
                        .filter(|p| *p != "https"),
                    port,
                    tls: None,
                    access: None,
                    origin: p.span,
                });
            }
            components.push(lb);
        } else {
            for p in s.ports {
                for &t in &s.selected {
                    links.add(Link {
                        from: client_id.clone(),
                        to: workloads[t].id.clone(),
                        protocol: None,
                        port: target_port(p, &workloads[t]),
                        tls: None,
                        access: None,
                        origin: p.span,
                    });
                }
            }
        }
        let _ = first_port;
        if ty == "NodePort"
            && s.selected
                .iter()
                .any(|&t| called.contains_key(&workloads[t].id) || kinds[t].is_data_store())
        {
            client.entrypoint = Some(false);
        }
        components.push(client);
    }
    for o in others.iter().filter(|o| o.kind == "Ingress") {
        let mut backends: Vec<(&str, Span)> = Vec::new();
        if let Some(b) = o
            .node
            .at(&["spec", "defaultBackend", "service", "name"])
            .and_then(|n| n.str().map(|s| (s, n.span)))
        {
            backends.push(b);
        }
        for rule in o.node.at(&["spec", "rules"]).map_or(&[][..], Node::items) {
            for path in rule.at(&["http", "paths"]).map_or(&[][..], Node::items) {
                if let Some(n) = path
                    .at(&["backend", "service", "name"])
                    .or_else(|| path.at(&["backend", "serviceName"]))
                    && let Some(s) = n.str()
                {
                    backends.push((s, n.span));
                }
            }
        }
        let mut targets: Vec<usize> = Vec::new();
        for (name, span) in backends {
            match service_by_name.get(&(o.namespace.as_str(), name)) {
                Some(&si) => targets.extend(services[si].selected.iter().copied()),
                None => findings.push(imp(
                    &IMP002,
                    span,
                    "",
                    format!(
                        "Ingress `{}` routes to `{name}`, which is no Service in this input",
                        o.name
                    ),
                )),
            }
        }
        targets.sort_unstable();
        targets.dedup();
        if targets.is_empty() {
            continue;
        }
        let lb_id = if ids.taken(&o.name) {
            ids.claim_as(&o.name, "ingress")
        } else {
            ids.claim(&o.name)
        };
        let mut lb = Component::new(
            lb_id.clone(),
            Kind::LoadBalancer,
            o.name_span,
            format!("Ingress {}/{}", o.namespace, o.name),
        );
        lb.managed = Some(true);
        lb.zone = zone_of.get(o.namespace.as_str()).cloned();
        lb.targets = targets.iter().map(|&t| workloads[t].id.clone()).collect();
        lb.health_check = readiness(&targets, &workloads);
        let tls = o.node.at(&["spec", "tls"]).map_or(&[][..], Node::items);
        let client_id = ids.claim_as("internet", &o.name);
        let mut cert_id = None;
        for t in tls {
            let secret = t
                .get("secretName")
                .and_then(Node::text)
                .unwrap_or_else(|| format!("{}-tls", o.name));
            let id = ids.claim(&secret);
            let domains: Vec<String> = t
                .get("hosts")
                .map_or(&[][..], Node::items)
                .iter()
                .filter_map(Node::text)
                .collect();
            topology.certificates.push(Certificate {
                id: id.clone(),
                domains,
                origin: t.span,
            });
            cert_id.get_or_insert((id, t.span));
        }
        match cert_id {
            Some((id, span)) => {
                lb.listeners.push(Listener {
                    port: 443,
                    protocol: "https",
                    certificate: Some(id),
                    origin: span,
                });
                links.add(Link {
                    from: client_id.clone(),
                    to: lb_id.clone(),
                    protocol: Some("https"),
                    port: Some(443),
                    tls: None,
                    access: None,
                    origin: span,
                });
            }
            None => {
                lb.listeners.push(Listener {
                    port: 80,
                    protocol: "http",
                    certificate: None,
                    origin: o.name_span,
                });
                links.add(Link {
                    from: client_id.clone(),
                    to: lb_id.clone(),
                    protocol: Some("http"),
                    port: Some(80),
                    tls: None,
                    access: None,
                    origin: o.name_span,
                });
            }
        }
        components.push(lb);
        components.push(Component::new(
            client_id,
            Kind::Client,
            o.name_span,
            format!("the clients of Ingress {}/{}", o.namespace, o.name),
        ));
    }

    // NetworkPolicies: firewalls on the selected workloads.
    let mut firewalls: HashMap<usize, Firewall> = HashMap::new();
    for o in others.iter().filter(|o| o.kind == "NetworkPolicy") {
        let Some(spec) = o.node.get("spec") else {
            continue;
        };
        let types: Vec<String> = spec
            .get("policyTypes")
            .map_or(&[][..], Node::items)
            .iter()
            .filter_map(Node::text)
            .collect();
        let ingress = spec.get("ingress");
        if !(types.is_empty() || types.iter().any(|t| t == "Ingress")) {
            continue;
        }
        if let Some(expr) = spec.at(&["podSelector", "matchExpressions"]) {
            findings.push(imp(
                &IMP005,
                expr.span,
                "",
                format!("NetworkPolicy `{}` selects pods by `matchExpressions`, which is not followed: the policy is not imported", o.name),
            ));
            continue;
        }
        let selected = select(
            &o.namespace,
            &string_map(spec.at(&["podSelector", "matchLabels"])),
        );
        for &t in &selected {
            let fw = firewalls.entry(t).or_insert_with(|| Firewall {
                allow: Vec::new(),
                origin: o.name_span,
            });
            for rule in ingress.map_or(&[][..], Node::items) {
                let mut froms: Vec<String> = Vec::new();
                match rule.get("from") {
                    None => froms.push("any".into()),
                    Some(peers) => {
                        for peer in peers.items() {
                            if let Some(cidr) = peer.at(&["ipBlock", "cidr"]).and_then(Node::text) {
                                froms.push(cidr);
                            } else if let Some(ns_sel) = peer.get("namespaceSelector") {
                                match ns_sel
                                    .at(&["matchLabels", "kubernetes.io/metadata.name"])
                                    .and_then(Node::text)
                                    .and_then(|n| zone_of.get(n.as_str()))
                                {
                                    Some(zone) if peer.get("podSelector").is_none() => {
                                        froms.push(zone.clone())
                                    }
                                    _ => froms.push("any".into()),
                                }
                            } else if let Some(pod_sel) = peer.get("podSelector") {
                                let labels = string_map(pod_sel.get("matchLabels"));
                                match zone_of.get(o.namespace.as_str()) {
                                    // Every pod of the namespace: its zone.
                                    Some(zone) if labels.is_empty() => froms.push(zone.clone()),
                                    _ => {
                                        for p in select(&o.namespace, &labels) {
                                            froms.push(workloads[p].id.clone());
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                let mut ports: Vec<String> = Vec::new();
                match rule.get("ports") {
                    None => ports.push("any".into()),
                    Some(list) => {
                        for p in list.items() {
                            let port = match p.get("port") {
                                Some(n) if n.int().is_some() => n.int().map(|n| n.to_string()),
                                Some(n) => n
                                    .str()
                                    .and_then(|name| container_port_named(&workloads[t], name))
                                    .map(|n| n.to_string()),
                                None => None,
                            };
                            let port = match (port, p.get("endPort").and_then(Node::int)) {
                                (Some(a), Some(b)) => format!("{a}-{b}"),
                                (Some(a), None) => a,
                                (None, _) => "any".into(),
                            };
                            ports.push(port);
                        }
                    }
                }
                for from in &froms {
                    for port in &ports {
                        fw.allow.push(Allow {
                            port: port.clone(),
                            from: from.clone(),
                            origin: rule.span,
                        });
                    }
                }
            }
        }
    }
    // Components were pushed in workload order: workload `t` is component `t`.
    for (t, fw) in firewalls {
        components[t].firewall = Some(fw);
    }

    // Prometheus scrapes what asks to be scraped.
    let scraped: Vec<String> = workloads
        .iter()
        .filter(|w| {
            let ann = if w.obj.kind == "Pod" {
                w.obj.node.at(&["metadata", "annotations"])
            } else {
                w.obj
                    .node
                    .at(&["spec", "template", "metadata", "annotations"])
            };
            ann.and_then(|a| a.get("prometheus.io/scrape"))
                .and_then(Node::text)
                .as_deref()
                == Some("true")
        })
        .map(|w| w.id.clone())
        .collect();
    // And what a ServiceMonitor selects: Services by their labels, then their pods.
    let mut scraped = scraped;
    let mut service_by_label: HashMap<(&str, &str, &str), Vec<usize>> = HashMap::new();
    for (i, s) in services.iter().enumerate() {
        for (k, v) in s
            .obj
            .node
            .at(&["metadata", "labels"])
            .map_or(&[][..], Node::entries)
        {
            if let Some(v) = v.str() {
                service_by_label
                    .entry((s.obj.namespace.as_str(), k.value.as_str(), v))
                    .or_default()
                    .push(i);
            }
        }
    }
    for o in others.iter().filter(|o| o.kind == "ServiceMonitor") {
        let selector = string_map(o.node.at(&["spec", "selector", "matchLabels"]));
        let Some((k, v)) = selector.iter().next() else {
            continue;
        };
        let names: Vec<String> = o
            .node
            .at(&["spec", "namespaceSelector", "matchNames"])
            .map_or(&[][..], Node::items)
            .iter()
            .filter_map(Node::text)
            .collect();
        let namespaces = if names.is_empty() {
            vec![o.namespace.clone()]
        } else {
            names
        };
        for ns in &namespaces {
            for &si in service_by_label
                .get(&(ns.as_str(), k.as_str(), v.as_str()))
                .map_or(&[][..], Vec::as_slice)
            {
                let labels = string_map(services[si].obj.node.at(&["metadata", "labels"]));
                if selector.iter().all(|(k, v)| labels.get(k) == Some(v)) {
                    scraped.extend(
                        services[si]
                            .selected
                            .iter()
                            .map(|&t| workloads[t].id.clone()),
                    );
                }
            }
        }
    }
    if !scraped.is_empty() {
        for c in components.iter_mut().filter(|c| c.kind == Kind::Monitoring) {
            c.monitors = scraped.iter().filter(|s| **s != c.id).cloned().collect();
        }
    }

    components.extend(extra_replicas);
    topology.components = components;
    topology.links = links.links;
    Ok(Imported {
        kind: SourceKind::Kubernetes,
        topology,
        findings,
        replicas,
    })
}

/// The objects of one document: itself, or a `List`'s items.
fn collect<'a>(
    doc: &'a Node,
    top_level: bool,
    out: &mut Vec<Object<'a>>,
    errors: &mut Vec<Finding>,
) {
    if doc.is_null() {
        return;
    }
    if !doc.is_map() {
        errors.push(invalid(
            doc.span,
            format!("a Kubernetes object is a mapping, not {}", doc.type_name()),
            "not an object",
        ));
        return;
    }
    let kind = doc.get("kind").and_then(Node::str);
    let api = doc.get("apiVersion").and_then(Node::str);
    let (Some(kind), Some(_)) = (kind, api) else {
        errors.push(invalid(
            doc.span,
            "a Kubernetes object needs `apiVersion` and `kind`",
            "no apiVersion or kind",
        ));
        return;
    };
    if kind == "List" || kind.ends_with("List") {
        for item in doc.get("items").map_or(&[][..], Node::items) {
            collect(item, false, out, errors);
        }
        return;
    }
    let name = doc.at(&["metadata", "name"]);
    let Some(name_text) = name.and_then(Node::text) else {
        errors.push(invalid(
            doc.span,
            format!("{kind} has no `metadata.name`"),
            "no name",
        ));
        return;
    };
    let namespace = doc
        .at(&["metadata", "namespace"])
        .and_then(Node::text)
        .unwrap_or_else(|| "default".into());
    out.push(Object {
        kind: kind.to_string(),
        name: name_text,
        namespace,
        node: doc,
        name_span: name.map_or(doc.span, |n| n.span),
        top_level,
    });
}

/// The first string in an object holding Helm template syntax.
fn template_in(node: &Node) -> Option<Span> {
    match &node.value {
        node::Value::Str(s) if s.contains("{{") => Some(node.span),
        node::Value::Seq(items) => items.iter().find_map(template_in),
        node::Value::Map(entries) => entries.iter().find_map(|(k, v)| {
            if k.value.contains("{{") {
                Some(k.span)
            } else {
                template_in(v)
            }
        }),
        _ => None,
    }
}

fn string_map(node: Option<&Node>) -> BTreeMap<String, String> {
    node.map_or(&[][..], Node::entries)
        .iter()
        .filter_map(|(k, v)| Some((k.value.clone(), v.text()?)))
        .collect()
}

/// The values of a workload that may name a Service: env values, args and command
/// words, and the data of ConfigMaps taken with `envFrom`; with their variable's name.
fn references(
    w: &Workload,
    config_maps: &HashMap<(&str, &str), &Object>,
) -> Vec<(Option<String>, String, Span)> {
    let mut out = Vec::new();
    let containers = w
        .pod
        .get("initContainers")
        .map_or(&[][..], Node::items)
        .iter()
        .chain(w.pod.get("containers").map_or(&[][..], Node::items));
    for c in containers {
        for e in c.get("env").map_or(&[][..], Node::items) {
            if let (Some(name), Some(v)) = (e.get("name").and_then(Node::text), e.get("value"))
                && let Some(text) = v.text()
            {
                out.push((Some(name), text, v.span));
            }
        }
        for key in ["args", "command"] {
            for a in c.get(key).map_or(&[][..], Node::items) {
                if let Some(text) = a.text() {
                    for word in text.split_whitespace() {
                        let (var, value) = match word.split_once('=') {
                            Some((k, v)) => (Some(k.trim_start_matches('-').replace('-', "_")), v),
                            None => (None, word),
                        };
                        out.push((var, value.to_string(), a.span));
                    }
                }
            }
        }
        for from in c.get("envFrom").map_or(&[][..], Node::items) {
            if let Some(name) = from.at(&["configMapRef", "name"]).and_then(Node::str)
                && let Some(cm) = config_maps.get(&(w.obj.namespace.as_str(), name))
            {
                for (k, v) in cm.node.get("data").map_or(&[][..], Node::entries) {
                    if let Some(text) = v.text() {
                        out.push((Some(k.value.clone()), text, v.span));
                    }
                }
            }
        }
    }
    out
}

/// The Service a host names, seen from namespace `ns`.
fn resolve_service(
    host: &str,
    ns: &str,
    services: &HashMap<(&str, &str), usize>,
    namespaces: &BTreeSet<&str>,
) -> Option<usize> {
    let labels: Vec<&str> = host.split('.').collect();
    let svc_ns = |name: &str, rest: &[&str]| -> Option<usize> {
        let in_ns = match rest.first() {
            Some(n) if namespaces.contains(n) => *n,
            Some(&"svc") | None => ns,
            Some(_) => return None,
        };
        services.get(&(in_ns, name)).copied()
    };
    if let Some(s) = svc_ns(labels[0], &labels[1..]) {
        return Some(s);
    }
    // A StatefulSet pod through its headless Service: `pod-0.svc[.ns...]`.
    if labels.len() >= 2
        && labels[0]
            .rsplit_once('-')
            .is_some_and(|(_, n)| n.parse::<u32>().is_ok())
    {
        return svc_ns(labels[1], &labels[2..]);
    }
    None
}

/// The Service port a reference's port names (else the first).
fn pick_port(ports: &[Node], port: Option<u16>) -> Option<&Node> {
    port.and_then(|want| {
        ports
            .iter()
            .find(|p| p.get("port").and_then(Node::int) == Some(i64::from(want)))
    })
    .or_else(|| ports.first())
}

/// A Service port's `targetPort` on a workload: a number, a container port's name, or
/// the port itself.
fn target_port(p: &Node, w: &Workload) -> Option<u16> {
    let n = match p.get("targetPort") {
        Some(t) if t.int().is_some() => t.int(),
        Some(t) => t
            .str()
            .and_then(|name| container_port_named(w, name))
            .map(i64::from),
        None => p.get("port").and_then(Node::int),
    }?;
    u16::try_from(n).ok().filter(|n| *n > 0)
}

fn container_port_named(w: &Workload, name: &str) -> Option<u16> {
    w.pod
        .get("containers")
        .map_or(&[][..], Node::items)
        .iter()
        .flat_map(|c| c.get("ports").map_or(&[][..], Node::items))
        .find(|p| p.get("name").and_then(Node::str) == Some(name))
        .and_then(|p| p.get("containerPort"))
        .and_then(Node::int)
        .and_then(|n| u16::try_from(n).ok())
        .filter(|n| *n > 0)
}

/// The protocol a Service port names: its `appProtocol`, else its name's prefix.
fn named_port_protocol(p: &Node) -> Option<&'static str> {
    ["appProtocol", "name"].into_iter().find_map(|key| {
        p.get(key)
            .and_then(Node::str)
            .and_then(heuristics::named_protocol)
    })
}

/// A listener's protocol from a Service port: its `appProtocol` or name, else its
/// number (80 http, 443 https), else tcp.
fn listener_protocol(p: &Node, port: u16) -> &'static str {
    let named = named_port_protocol(p).or_else(|| heuristics::port_protocol(port));
    match named {
        Some("http") => "http",
        Some("https") => "https",
        _ => "tcp",
    }
}

/// A health check from the selected workloads' readiness probes (all must have one).
fn readiness(selected: &[usize], workloads: &[Workload]) -> Option<At<Option<String>>> {
    let mut found = None;
    for &t in selected {
        let probe = workloads[t]
            .pod
            .get("containers")
            .map_or(&[][..], Node::items)
            .iter()
            .find_map(|c| c.get("readinessProbe"))?;
        let path = probe.at(&["httpGet", "path"]).and_then(Node::text);
        found.get_or_insert(At::new(path, probe.span));
    }
    found
}
