//! The stage benchmark: `cargo bench --bench stages [-- SIZES...]`.
//!
//! For each size (components; default 1000 10000 100000 1000000) it generates a
//! topology once (cached under target/bench/), then measures, each in a fresh process
//! so peak memory is that run's alone, three times: the floor (saphyr-parser's bare
//! event loop over the same file) and infra-lint's stages (read, parse, validate,
//! graph, availability, rules, render json) with the peak resident memory. It prints
//! the median of the three runs per size as a table. Criterion's many samples do not
//! fit a 1M-component run on two cores.
//!
//! `cargo bench --bench stages -- --shapes [SIZES...]` (default 100000) measures other
//! shapes of the same size: the estate, every cell defective (about one finding per
//! component), each written as JSON on one line, every component on one host, one
//! service group of every component and its twin without the group. For each: the
//! floor, end to end in json and in the human format, peak memory, and a run that the
//! analysis work bound refuses.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use infra_lint::analysis::Context;
use infra_lint::generate::{COMPONENTS_PER_CELL, Shape, one_host, service_group, topology};
use infra_lint::graph::Graph;
use infra_lint::lint::{FileReport, LintOptions, TEST_TODAY, analyse, lint_path, run_checks};
use infra_lint::model::{Document, validate_with};
use infra_lint::output::{self, Format, HumanOptions, Run};
use infra_lint::source::SourceFile;
use infra_lint::yaml::from_source_marked;

const STAGES: [&str; 8] = [
    "read",
    "parse",
    "validate",
    "graph",
    "availability",
    "rules",
    "fix edits",
    "render json",
];

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).map(|l| {
                l.split_whitespace()
                    .nth(1)
                    .unwrap_or("0")
                    .parse()
                    .unwrap_or(0)
            })
        })
        .unwrap_or(0)
}

/// The options of every measured run: the defaults, at a fixed date.
fn options() -> LintOptions {
    LintOptions {
        today: TEST_TODAY,
        ..LintOptions::default()
    }
}

/// Renders one file's report in `format` (human: no colour, 100 columns, as in a CI
/// log) to a file under target/bench/, streamed through a buffer as the CLI writes to
/// stdout redirected to a file; returns its findings' count. The report is not freed:
/// the CLI leaves it to the end of the process too.
fn render(report: FileReport, format: Format) -> usize {
    let count = report.findings.len();
    let files = std::mem::ManuallyDrop::new([report]);
    let run = Run {
        files: &files[..],
        rules: infra_lint::rules::RULES,
        human: HumanOptions::default(),
        root: None,
        fail_on: Some(infra_lint::finding::Severity::Warning),
    };
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench/out");
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("out"));
    output::write(format, &run, &mut out).expect("render");
    std::io::Write::flush(&mut out).expect("flush");
    count
}

/// The bare event loop: every event of the file, nothing kept.
fn floor(path: &Path) -> f64 {
    let start = Instant::now();
    let text = std::fs::read_to_string(path).expect("read");
    let mut events = 0usize;
    for event in saphyr_parser::Parser::new_from_str(&text) {
        event.expect("valid YAML");
        events += 1;
    }
    assert!(events > 0);
    start.elapsed().as_secs_f64()
}

/// infra-lint's stages, each timed; prints one line: seconds per stage, peak KiB,
/// findings.
fn stages(path: &Path) {
    let mut times = Vec::new();
    let mut t = Instant::now();
    let trace = std::env::var_os("STAGES_TRACE").is_some();
    let mut lap = |times: &mut Vec<f64>| {
        times.push(t.elapsed().as_secs_f64());
        if trace {
            let rss = std::fs::read_to_string("/proc/self/status")
                .ok()
                .and_then(|s| {
                    s.lines()
                        .find(|l| l.starts_with("VmRSS:"))
                        .map(str::to_owned)
                })
                .unwrap_or_default();
            eprintln!(
                "{}: {rss} (peak {} KiB)",
                STAGES[times.len() - 1],
                peak_rss_kib()
            );
        }
        t = Instant::now();
    };
    let text = std::fs::read_to_string(path).expect("read");
    let source = SourceFile::new(path.to_string_lossy(), text);
    lap(&mut times);
    let (doc, errors, marks) = from_source_marked::<Document>(&source, Default::default());
    assert!(errors.is_empty(), "{:?}", errors.first());
    lap(&mut times);
    let options = options();
    let model = validate_with(doc.expect("a document"), options.model, 2)
        .unwrap_or_else(|e| panic!("{:?}", e.first().map(|f| &f.message)));
    lap(&mut times);
    let graph = Graph::build(&model);
    lap(&mut times);
    let cx = Context::new(&model, &graph, options.today);
    let analysed = analyse(&cx, &options).unwrap_or_else(|e| panic!("{}", e.message));
    lap(&mut times);
    let mut findings = run_checks(&analysed, &options.rules.enabled, 2);
    infra_lint::suppress::apply(&model, &mut findings, &options.rules, options.today);
    lap(&mut times);
    infra_lint::fix::attach_edits(&source, Some(&marks), &mut findings);
    lap(&mut times);
    let count = render(
        FileReport {
            source,
            valid: true,
            findings,
            outline: None,
        },
        Format::Json,
    );
    lap(&mut times);
    let line: Vec<String> = times.iter().map(|t| format!("{t:.4}")).collect();
    println!("{} {} {count}", line.join(" "), peak_rss_kib());
}

/// The stages after the rules, each run five times on the same findings (planning the
/// fixes' edits, rendering JSON): prints the fastest run of each, in seconds. Less
/// noisy than a whole run, for comparing two builds of one stage.
fn repeated(path: &Path) {
    let text = std::fs::read_to_string(path).expect("read");
    let source = SourceFile::new(path.to_string_lossy(), text);
    let (doc, errors, marks) = from_source_marked::<Document>(&source, Default::default());
    assert!(errors.is_empty(), "{:?}", errors.first());
    let options = options();
    let model = validate_with(doc.expect("a document"), options.model, 2)
        .unwrap_or_else(|e| panic!("{:?}", e.first().map(|f| &f.message)));
    let graph = Graph::build(&model);
    let cx = Context::new(&model, &graph, options.today);
    let analysed = analyse(&cx, &options).unwrap_or_else(|e| panic!("{}", e.message));
    let findings = run_checks(&analysed, &options.rules.enabled, 2);
    let (mut plan, mut json) = (f64::MAX, f64::MAX);
    for _ in 0..5 {
        let mut planned = findings.clone();
        let t = Instant::now();
        infra_lint::fix::attach_edits(&source, Some(&marks), &mut planned);
        plan = plan.min(t.elapsed().as_secs_f64());
        let report = FileReport {
            source: SourceFile::new(source.path.clone(), source.text.clone()),
            valid: true,
            findings: planned,
            outline: None,
        };
        let t = Instant::now();
        render(report, Format::Json);
        json = json.min(t.elapsed().as_secs_f64());
    }
    println!("{plan:.4} {json:.4}");
}

/// What a user gets: the path the CLI takes (`lint_path`, then the report in `format`),
/// with the scanning thread and the analysis overlapping the rules. Prints seconds,
/// peak KiB and findings.
fn end_to_end(path: &Path, format: Format) {
    let start = Instant::now();
    let report = lint_path(path, &path.to_string_lossy(), &options());
    assert!(report.valid, "{:?}", report.findings.first());
    let count = render(report, format);
    let seconds = start.elapsed().as_secs_f64();
    println!("{seconds:.4} {} {count}", peak_rss_kib());
}

/// A run with an analysis work bound of 100 set elements, which refuses (IL001) any
/// file the analysis has work for: seconds, and 1 when it refused.
fn refused(path: &Path) {
    let start = Instant::now();
    let options = LintOptions {
        analysis_work: Some(100),
        ..options()
    };
    let report = lint_path(path, &path.to_string_lossy(), &options);
    let refused = report.findings.iter().any(|f| f.rule.code == "IL001");
    println!("{:.4} {}", start.elapsed().as_secs_f64(), u8::from(refused));
}

/// The benchmark's shapes beside the generated estate, each at `components`: its file
/// (cached under target/bench/) and a name.
fn shape_files(components: usize) -> Vec<(&'static str, PathBuf)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    std::fs::create_dir_all(&dir).expect("target/bench");
    let estate = |defect_every| {
        topology(Shape {
            cells: (components / COMPONENTS_PER_CELL).max(1),
            defect_every,
            ..Shape::default()
        })
    };
    let make = |name: &'static str, text: &dyn Fn() -> String| {
        let slug = name.replace(", ", "-").replace(' ', "-");
        let path = dir.join(format!("{components}-{slug}.topology.yml"));
        if !path.exists() {
            std::fs::write(&path, text()).expect("write");
        }
        (name, path)
    };
    vec![
        make("estate", &|| estate(10)),
        make("estate, one line", &|| one_line(&estate(10))),
        make("defects", &|| estate(1)),
        make("defects, one line", &|| one_line(&estate(1))),
        make("one host", &|| one_host(components)),
        make("one service group", &|| service_group(components, true)),
        make("no service group", &|| service_group(components, false)),
    ]
}

/// The same topology written as JSON on one line (JSON is YAML), through an independent
/// reader.
fn one_line(text: &str) -> String {
    let mut options = serde_saphyr::Options::default();
    options.budget = None;
    let value: serde_json::Value =
        serde_saphyr::from_str_with_options(text, options).expect("generated YAML");
    serde_json::to_string(&value).expect("JSON")
}

/// The shapes table: for each size and shape, the floor, end to end in json and in the
/// human format, peak memory, and a run refused by the analysis work bound.
fn shapes(sizes: &[usize]) {
    println!(
        "| shape | components | file MB | floor s | json s | json / floor | human s | human / json | peak MB | peak / file | refused s | refused / json | findings |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let numbers = |text: String| -> Vec<f64> {
        text.split_whitespace()
            .map(|x| x.parse().expect("a number"))
            .collect()
    };
    for &size in sizes {
        for (name, path) in shape_files(size) {
            let mb = std::fs::metadata(&path).expect("meta").len() as f64 / 1e6;
            let (mut floors, mut jsons, mut humans, mut refusals) =
                (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            for _ in 0..3 {
                floors.push(numbers(child("floor", &path))[0]);
                jsons.push(numbers(child("end-to-end", &path)));
                humans.push(numbers(child("end-to-end-human", &path))[0]);
                refusals.push(numbers(child("refused", &path)));
            }
            let floor = median(floors);
            let json = median(jsons.iter().map(|r| r[0]).collect());
            let peak = median(jsons.iter().map(|r| r[1]).collect()) / 1024.0;
            let human = median(humans);
            let refused = median(refusals.iter().map(|r| r[0]).collect());
            let refused_cell = if refusals[0][1] > 0.0 {
                format!("{refused:.3} | {:.2}", refused / json)
            } else {
                "not refused | -".to_string()
            };
            println!(
                "| {name} | {size} | {mb:.1} | {floor:.3} | {json:.3} | {:.2} | {human:.3} | {:.2} | {peak:.0} | {:.1} | {refused_cell} | {} |",
                json / floor,
                human / json,
                peak / mb,
                jsons[0][2]
            );
        }
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn file_for(components: usize) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    std::fs::create_dir_all(&dir).expect("target/bench");
    let path = dir.join(format!("{components}.topology.yml"));
    if !path.exists() {
        let text = topology(Shape {
            cells: (components / COMPONENTS_PER_CELL).max(1),
            ..Shape::default()
        });
        std::fs::write(&path, text).expect("write");
    }
    path
}

fn child(mode: &str, path: &Path) -> String {
    let exe = std::env::current_exe().expect("exe");
    let out = Command::new(exe)
        .args(["--child", mode])
        .arg(path)
        .output()
        .expect("spawn");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    if args.first().map(String::as_str) == Some("--child") {
        let path = Path::new(&args[2]);
        match args[1].as_str() {
            "floor" => println!("{:.4} {}", floor(path), peak_rss_kib()),
            "end-to-end" => end_to_end(path, Format::Json),
            "end-to-end-human" => end_to_end(path, Format::Human),
            "refused" => refused(path),
            "repeated" => repeated(path),
            _ => stages(path),
        }
        return;
    }
    if args.first().map(String::as_str) == Some("--shapes") {
        let sizes: Vec<usize> = args[1..].iter().filter_map(|a| a.parse().ok()).collect();
        shapes(if sizes.is_empty() { &[100_000] } else { &sizes });
        return;
    }
    let sizes: Vec<usize> = if args.is_empty() {
        vec![1_000, 10_000, 100_000, 1_000_000]
    } else {
        args.iter().filter_map(|a| a.parse().ok()).collect()
    };
    let numbers = |text: String| -> Vec<f64> {
        text.split_whitespace()
            .map(|x| x.parse().expect("a number"))
            .collect()
    };
    // What any run costs before it reads anything: the binary, the allocator, thread
    // stacks. Measured on the smallest example.
    let tiny = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/01-one-server.topology.yml");
    let base = numbers(child("end-to-end", &tiny))[1] / 1024.0;
    println!("Base: a run on the smallest example peaks at {base:.1} MB.\n");
    println!(
        "| components | file MB | floor s | {} | end to end s | end to end / floor | peak MB | peak / file | (peak - base) / file | findings |",
        STAGES.map(|s| format!("{s} s")).join(" | ")
    );
    println!(
        "|---:|---:|---:|{}---:|---:|---:|---:|---:|---:|",
        "---:|".repeat(STAGES.len())
    );
    for size in sizes {
        let path = file_for(size);
        let mb = std::fs::metadata(&path).expect("meta").len() as f64 / 1e6;
        // Three rounds, each running the three measurements, so that a slower spell
        // of the machine touches all of them alike.
        let (mut floors, mut ends, mut stage_runs) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..3 {
            floors.push(numbers(child("floor", &path))[0]);
            ends.push(numbers(child("end-to-end", &path)));
            stage_runs.push(numbers(child("stages", &path)));
        }
        let stage_medians: Vec<f64> = (0..STAGES.len())
            .map(|i| median(stage_runs.iter().map(|r| r[i]).collect()))
            .collect();
        let total = median(ends.iter().map(|r| r[0]).collect());
        let peak = median(ends.iter().map(|r| r[1]).collect()) / 1024.0;
        let findings = ends[0][2];
        assert_eq!(
            findings,
            stage_runs[0][STAGES.len() + 1],
            "both runs find the same"
        );
        let floor = median(floors);
        println!(
            "| {size} | {mb:.1} | {floor:.3} | {} | {total:.3} | {:.2} | {peak:.0} | {:.1} | {:.1} | {findings} |",
            stage_medians
                .iter()
                .map(|s| format!("{s:.3}"))
                .collect::<Vec<_>>()
                .join(" | "),
            total / floor,
            peak / mb,
            (peak - base) / mb
        );
    }
}
