//! The import benchmark: `cargo bench --bench import`.
//!
//! Generates a 5,000-service Compose file and a 20,000-object manifest stream (cached
//! under target/bench/), writes the topology each imports to (`infra-lint import`),
//! then times, each in a fresh process of the release binary and three times (the
//! median shown), `infra-lint --from X --format json SOURCE` against `infra-lint
//! --format json IMPORTED.topology.yml`: the cost of importing over linting the
//! equivalent topology file. Issue 16 asks for under 2x.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// A Compose file of `cells` cells of five services: an nginx published on a port,
/// two app containers it depends on, each reaching a Postgres and a Redis by env.
fn compose(cells: usize) -> String {
    let mut out = String::from("services:\n");
    for i in 0..cells {
        out += &format!(
            "  proxy-{i}:\n    image: nginx:1.25\n    ports: [\"{}:80\"]\n    depends_on: [app-{i}-a, app-{i}-b]\n",
            10_000 + i
        );
        for side in ["a", "b"] {
            out += &format!(
                "  app-{i}-{side}:\n    build: ./app\n    expose: [\"8000\"]\n    environment:\n      DATABASE_URL: postgres://app:secret@db-{i}:5432/app\n      REDIS_HOST: cache-{i}\n      POSTGRES_HOST_AUTH_METHOD: trust\n"
            );
        }
        out += &format!(
            "  db-{i}:\n    image: postgres:16\n    volumes: [db-{i}:/var/lib/postgresql/data]\n  cache-{i}:\n    image: redis:7\n"
        );
    }
    out
}

/// A manifest stream of `cells` cells of ten objects: a web Deployment with an HPA
/// and a ConfigMap, its LoadBalancer Service, a Postgres and a Redis with their
/// Services, and a NetworkPolicy for each store.
fn manifests(cells: usize) -> String {
    let mut docs = Vec::with_capacity(cells * 10);
    for i in 0..cells {
        docs.push(format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web-{i}\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {{ app: web-{i} }}\n  template:\n    metadata:\n      labels: {{ app: web-{i} }}\n    spec:\n      containers:\n        - name: web\n          image: example/web:1.{i}\n          envFrom: [{{ configMapRef: {{ name: web-{i} }} }}]\n          env:\n            - {{ name: DB_ADDR, value: \"db-{i}:5432\" }}\n          ports: [{{ containerPort: 8080, name: http }}]\n          readinessProbe: {{ httpGet: {{ path: /ready, port: http }} }}"
        ));
        docs.push(format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-{i}\ndata:\n  CACHE_ADDR: \"cache-{i}:6379\""
        ));
        docs.push(format!(
            "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web-{i}\nspec:\n  scaleTargetRef: {{ kind: Deployment, name: web-{i} }}\n  minReplicas: 3\n  maxReplicas: 10"
        ));
        docs.push(format!(
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: web-{i}-public\nspec:\n  type: LoadBalancer\n  selector: {{ app: web-{i} }}\n  ports: [{{ name: http, port: 80, targetPort: http }}]"
        ));
        for (store, image, port) in [("db", "postgres:16", 5432), ("cache", "redis:7", 6379)] {
            docs.push(format!(
                "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: {store}-{i}\nspec:\n  replicas: 1\n  selector:\n    matchLabels: {{ app: {store}-{i} }}\n  template:\n    metadata:\n      labels: {{ app: {store}-{i} }}\n    spec:\n      containers:\n        - name: {store}\n          image: {image}\n          ports: [{{ containerPort: {port} }}]"
            ));
            docs.push(format!(
                "apiVersion: v1\nkind: Service\nmetadata:\n  name: {store}-{i}\nspec:\n  selector: {{ app: {store}-{i} }}\n  ports: [{{ port: {port} }}]"
            ));
            docs.push(format!(
                "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: {store}-{i}\nspec:\n  podSelector: {{ matchLabels: {{ app: {store}-{i} }} }}\n  ingress:\n    - from: [{{ podSelector: {{ matchLabels: {{ app: web-{i} }} }} }}]\n      ports: [{{ port: {port} }}]"
            ));
        }
    }
    docs.join("\n---\n") + "\n"
}

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

fn time(args: &[&str]) -> Duration {
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_infra-lint"))
        .args(args)
        .args([
            "--today",
            "2026-11-24",
            "--format",
            "json",
            "-o",
            "/dev/null",
        ])
        .output()
        .expect("run infra-lint");
    let elapsed = start.elapsed();
    // 0 or 1: findings or none; 2 would mean the input was refused.
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    elapsed
}

fn write(path: &Path, text: &str) {
    if !path.exists() {
        std::fs::write(path, text).expect("write the input");
    }
}

fn main() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    std::fs::create_dir_all(&dir).expect("target/bench");
    let cases = [
        (
            "compose",
            "5,000 services",
            dir.join("import-5000.compose.yaml"),
            compose(1000),
        ),
        (
            "k8s",
            "20,000 objects",
            dir.join("import-20000.k8s.yaml"),
            manifests(2000),
        ),
    ];
    println!("| source | size | import + lint | lint of the imported topology | ratio |");
    println!("|---|---|---|---|---|");
    for (from, size, path, text) in cases {
        write(&path, &text);
        let topology = path.with_extension("topology.yml");
        let status = Command::new(env!("CARGO_BIN_EXE_infra-lint"))
            .args(["import", "--from", from])
            .arg(&path)
            .arg("-o")
            .arg(&topology)
            .status()
            .expect("import");
        assert!(status.success(), "import of {}", path.display());
        let source = path.to_string_lossy().into_owned();
        let imported = topology.to_string_lossy().into_owned();
        let mut with_import = Vec::new();
        let mut plain = Vec::new();
        for _ in 0..3 {
            with_import.push(time(&["--from", from, &source]));
            plain.push(time(&[&imported]));
        }
        let (a, b) = (median(with_import), median(plain));
        println!(
            "| {from} | {size} | {:.0} ms | {:.0} ms | {:.2} |",
            a.as_secs_f64() * 1000.0,
            b.as_secs_f64() * 1000.0,
            a.as_secs_f64() / b.as_secs_f64()
        );
    }
}
