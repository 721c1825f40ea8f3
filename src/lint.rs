//! The driver: one file's text to its findings, through each stage once.

use std::path::Path;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::analysis::{Analysed, Context};
use crate::availability::WorkLimitExceeded;
use crate::finding::Finding;
use crate::graph::Graph;
use crate::model::{self, Document, ModelLimits};
use crate::rules::{AvailabilityCheck, Category, Check, PlainCheck, Rule, input};
use crate::source::{SourceFile, Span};
use crate::yaml::{self, ErrorKind, Limits};

/// The date every test, fixture and benchmark lints as of (`today` in [`LintOptions`],
/// `--today` on the command line), so that no result depends on the day they run:
/// certificates expire and suppressions lapse, but a snapshot must not.
pub const TEST_TODAY: model::Date = model::Date {
    year: 2026,
    month: 11,
    day: 24,
};

/// How a run lints: bounds on input (every one can be raised by a flag) and the date
/// certificate checks use.
#[derive(Clone, Debug)]
pub struct LintOptions {
    /// Which rules run, at what severity.
    pub rules: crate::config::RuleSet,
    /// The date certificate and suppression checks compare against.
    pub today: model::Date,
    /// Whether to keep each valid file's [`Outline`] (for diagrams).
    pub outline: bool,
    /// Largest file read, in bytes (checked before reading a regular file, and while
    /// reading a pipe or device).
    pub max_file_size: u64,
    /// YAML reader limits.
    pub yaml: Limits,
    /// Validation limits.
    pub model: ModelLimits,
    /// Most set elements the availability analysis may handle; None: 64 per component,
    /// host and link, plus a million.
    pub analysis_work: Option<usize>,
    /// Whether findings keep their suggested fixes, planned as edits of the file. The
    /// formats that show no fix (concise, github, gitlab), statistics and a silent run
    /// leave them out: planning is a large part of a findings-heavy run, and keeping
    /// the file's events for it a large part of its memory.
    pub fixes: bool,
}

impl Default for LintOptions {
    fn default() -> Self {
        LintOptions {
            rules: crate::config::RuleSet::default(),
            today: model::Date::today(),
            outline: false,
            // A 1M-component topology is about 400 MB.
            max_file_size: 512 * 1024 * 1024,
            yaml: Limits::default(),
            model: ModelLimits::default(),
            analysis_work: None,
            fixes: true,
        }
    }
}

impl LintOptions {
    /// The reader's limits: the YAML ones, with the id limit and an explicit analysis
    /// work bound counted as the ids and components are read, so that a file over
    /// either is refused before the rest of it is parsed. (The default work bound grows
    /// with the file, 64 set elements per component and host, so no count can pass it.)
    pub fn reader(&self) -> Limits {
        Limits {
            max_ids: self.model.max_ids,
            max_elements: self.analysis_work.unwrap_or(usize::MAX),
            ..self.yaml
        }
    }
}

/// What one file produced.
#[derive(Debug)]
pub struct FileReport {
    /// The file and its text (empty when it could not be read).
    pub source: SourceFile,
    /// Whether it is a valid topology (no IL finding).
    pub valid: bool,
    /// Findings, sorted by position then code.
    pub findings: Vec<Finding>,
    /// The topology's shape, for diagrams (when asked for and the file is valid).
    pub outline: Option<Outline>,
}

/// The shape of a topology, for diagrams: what an output format may draw without
/// knowing the model.
#[derive(Clone, Debug, Default)]
pub struct Outline {
    /// The topology's name.
    pub name: String,
    /// Its description.
    pub description: Option<String>,
    /// Components, in file order.
    pub nodes: Vec<OutlineNode>,
    /// Links, declared ones first, then load balancers' target links.
    pub edges: Vec<OutlineEdge>,
    /// Replication streams (`replicates_from`), in the replicas' file order: what
    /// TLS006 and the DB rules are about, though no link states them.
    pub replications: Vec<OutlineReplication>,
}

/// A component in an [`Outline`].
#[derive(Clone, Debug)]
pub struct OutlineNode {
    /// Its id.
    pub id: String,
    /// Its kind, as written.
    pub kind: &'static str,
    /// Its host's id.
    pub host: Option<String>,
    /// Its zone's id.
    pub zone: String,
}

/// A link in an [`Outline`], by node index.
#[derive(Clone, Debug)]
pub struct OutlineEdge {
    /// The source node.
    pub from: usize,
    /// The target node.
    pub to: usize,
    /// The protocol, as written.
    pub protocol: &'static str,
    /// Whether it is encrypted.
    pub tls: bool,
    /// Whether a load balancer's targets imply it.
    pub implied: bool,
}

/// A replication stream in an [`Outline`], by node index: from the source (the
/// primary) to the replica.
#[derive(Clone, Debug)]
pub struct OutlineReplication {
    /// The node the data comes from.
    pub from: usize,
    /// The replica.
    pub to: usize,
    /// `async`, `semi_sync` or `sync`.
    pub mode: &'static str,
    /// Whether it is encrypted.
    pub tls: bool,
}

impl Outline {
    /// The outline of a validated model.
    pub fn of(model: &model::Model) -> Outline {
        Outline {
            name: model.name.clone(),
            description: model.description.clone(),
            nodes: model
                .components
                .iter()
                .map(|c| OutlineNode {
                    id: c.id.value.clone(),
                    kind: c.kind.value.as_str(),
                    host: c.host.map(|h| model.host(h).id.value.clone()),
                    zone: model.zone(c.zone).id.value.clone(),
                })
                .collect(),
            edges: model
                .links
                .iter()
                .map(|l| OutlineEdge {
                    from: l.from.index(),
                    to: l.to.index(),
                    protocol: l.protocol.as_str(),
                    tls: l.tls,
                    implied: l.origin != model::LinkOrigin::Declared,
                })
                .collect(),
            replications: model
                .components
                .iter()
                .enumerate()
                .filter_map(|(to, c)| {
                    let store = c.data_store.as_deref()?;
                    let (from, _) = store.replicates_from?;
                    Some(OutlineReplication {
                        from: from.index(),
                        to,
                        mode: store.replication_mode.as_str(),
                        tls: store.replication_tls,
                    })
                })
                .collect(),
        }
    }
}

impl FileReport {
    /// A file that could not be read at all.
    pub fn unreadable(
        path: impl Into<String>,
        message: impl Into<String>,
        help: Option<String>,
    ) -> FileReport {
        let mut f = Finding::new(&input::IL001, Span::default(), message).label("cannot be read");
        f.help = help.map(Into::into);
        FileReport {
            source: SourceFile::new(path, String::new()),
            valid: false,
            findings: vec![f],
            outline: None,
        }
    }
}

/// Reads one file (`-`: standard input), refusing it by size before reading it (or,
/// when its size is not known in advance, once it passes the limit); a file that
/// cannot be read or is not UTF-8 is a report of its own.
pub fn read_source(
    path: &Path,
    display: &str,
    limits: &LintOptions,
) -> Result<SourceFile, Box<FileReport>> {
    let unreadable = |e: std::io::Error| {
        Box::new(FileReport::unreadable(
            display,
            format!("cannot read `{display}`: {}", io_text(&e)),
            None,
        ))
    };
    let read = if path.as_os_str() == crate::discover::STDIN {
        crate::source::read_stdin_bounded(limits.max_file_size)
    } else {
        crate::source::read_bounded(path, limits.max_file_size)
    };
    let bytes = match read {
        Ok(bytes) => bytes,
        Err(crate::source::ReadError::Io(e)) => return Err(unreadable(e)),
        Err(crate::source::ReadError::TooBig(size)) => {
            let size = match size {
                Some(n) => format!("is {n} bytes"),
                None => "holds more".into(),
            };
            return Err(Box::new(FileReport::unreadable(
                display,
                format!(
                    "`{display}` {size}, over the file size limit of {} bytes",
                    limits.max_file_size
                ),
                Some("raise the limit with --max-file-size if this file is legitimate".into()),
            )));
        }
    };
    String::from_utf8(bytes)
        .map(|text| SourceFile::new(display, text))
        .map_err(|e| {
            let at = e.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            let f = Finding::new(
                &input::IL001,
                Span::new(at, at + 1),
                "the file is not valid UTF-8",
            )
            .label("invalid byte here")
            .help("save the file as UTF-8");
            Box::new(FileReport {
                source: SourceFile::new(display, text),
                valid: false,
                findings: vec![f],
                outline: None,
            })
        })
}

/// Reads and lints one file.
pub fn lint_path(path: &Path, display: &str, limits: &LintOptions) -> FileReport {
    match read_source(path, display, limits) {
        Ok(source) => lint_source(source, limits),
        Err(report) => *report,
    }
}

fn io_text(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// Converts a reader error to its IL finding.
pub(crate) fn input_finding(e: yaml::Error) -> Finding {
    let rule = match e.kind {
        ErrorKind::Syntax | ErrorKind::Limit => &input::IL001,
        ErrorKind::Duplicate => &input::IL004,
        ErrorKind::Schema | ErrorKind::MissingField | ErrorKind::Recovered => &input::IL002,
    };
    let mut f = Finding::new(rule, e.span.unwrap_or_default(), e.message);
    f.label = e.label.unwrap_or_default();
    f.help = e.help.map(Into::into);
    f
}

/// Reads and validates one file's text: the model, or every input error in it.
pub fn load_model(source: &SourceFile, limits: &LintOptions) -> Result<model::Model, Vec<Finding>> {
    load(source, limits, false).0
}

/// [`load_model`], keeping the file's events as the reader met them when `marked`.
fn load(
    source: &SourceFile,
    limits: &LintOptions,
    marked: bool,
) -> (Result<model::Model, Vec<Finding>>, yaml::Marks) {
    let reader = limits.reader();
    let (document, errors, marks) = if marked {
        yaml::from_source_marked::<Document>(source, reader)
    } else {
        let (document, errors) = yaml::from_source::<Document>(source, reader);
        (document, errors, yaml::Marks::default())
    };
    (load_document(source, limits, document, errors), marks)
}

fn load_document(
    source: &SourceFile,
    limits: &LintOptions,
    document: Option<Document>,
    errors: Vec<yaml::Error>,
) -> Result<model::Model, Vec<Finding>> {
    let mut findings: Vec<Finding> = errors.into_iter().map(input_finding).collect();
    let fatal = findings.iter().any(|f| f.rule.code == input::IL001.code);
    if let Some(doc) = document
        && !fatal
    {
        // What the parse freed (its event batches, lists it outgrew) goes back first,
        // so the model is not built beside those pages.
        release_freed_memory(source, limits);
        let validated = model::validate_with(doc, limits.model, threads_for(source, limits));
        // The document is freed as it is validated: give its pages back before the
        // analysis and the findings take other sizes.
        release_freed_memory(source, limits);
        match validated {
            Ok(model) if findings.is_empty() => return Ok(model),
            Ok(_) => {}
            Err(errors) => findings.extend(errors),
        }
    }
    if findings.is_empty() {
        // Unreachable: no document comes with an error. Kept total for safety.
        findings.push(Finding::new(
            &input::IL002,
            Span::default(),
            "the file holds no topology",
        ));
    }
    sort(&mut findings);
    Err(findings)
}

/// Gives memory freed while linting a large file back to the system (see
/// `alloc::release_freed_memory`); a small file frees too little to be worth it.
fn release_freed_memory(source: &SourceFile, limits: &LintOptions) {
    if threads_for(source, limits) > 1 {
        crate::alloc::release_freed_memory();
    }
}

/// Threads worth using on a file (see [`Limits::threads_for`]).
fn threads_for(source: &SourceFile, limits: &LintOptions) -> usize {
    limits.yaml.threads_for(source.text.len())
}

/// The availability analysis's work bound for a model: the limits' own, or 64 set
/// elements per component, host and link, plus a million.
pub fn work_limit(model: &model::Model, limits: &LintOptions) -> usize {
    limits.analysis_work.unwrap_or(
        64 * (model.components.len() + model.hosts.len() + model.links.len()) + 1_000_000,
    )
}

/// IL001: the availability analysis would pass its work bound.
fn work_limit_finding(model: &model::Model, e: WorkLimitExceeded) -> Box<Finding> {
    Box::new(
        Finding::new(
            &input::IL001,
            model.name_span,
            format!(
                "the availability analysis of this topology would exceed its work limit of {} set elements",
                e.limit
            ),
        )
        .label("this topology")
        .help("raise the limit with --max-analysis-work if this topology is legitimate"),
    )
}

/// The availability analysis of a context within the limits' work bound, or IL001.
pub fn analyse<'a>(
    cx: &'a Context<'a>,
    limits: &LintOptions,
) -> Result<Analysed<'a>, Box<Finding>> {
    Analysed::new(cx, work_limit(cx.model, limits)).map_err(|e| work_limit_finding(cx.model, e))
}

/// Checks with their places in rule order; a thread takes the next one not yet taken.
struct Queue<F> {
    checks: Vec<(usize, F)>,
    next: AtomicUsize,
}

type Found = Vec<(usize, Vec<Finding>)>;

impl<F: Copy> Queue<F> {
    fn new() -> Queue<F> {
        Queue {
            checks: Vec::new(),
            next: AtomicUsize::new(0),
        }
    }

    /// Runs, one at a time, the checks no thread has taken yet.
    fn drain(&self, done: &mut Found, run: impl Fn(F, &mut Vec<Finding>)) {
        while let Some(&(i, check)) = self.checks.get(self.next.fetch_add(1, Ordering::Relaxed)) {
            let mut found = Vec::new();
            run(check, &mut found);
            done.push((i, found));
        }
    }
}

/// The enabled checks, by whether they read the availability analysis.
struct Checks {
    plain: Queue<PlainCheck>,
    with_availability: Queue<AvailabilityCheck>,
}

impl Checks {
    fn new(rules: &[&'static Rule]) -> Checks {
        let mut checks = Checks {
            plain: Queue::new(),
            with_availability: Queue::new(),
        };
        for (i, check) in rules.iter().filter_map(|r| r.check).enumerate() {
            match check {
                Check::Plain(f) => checks.plain.checks.push((i, f)),
                Check::Availability(f) => checks.with_availability.checks.push((i, f)),
            }
        }
        checks
    }

    fn run_plain(&self, cx: &Context, done: &mut Found) {
        self.plain.drain(done, |check, found| check(cx, found));
    }

    fn run_with_availability(&self, analysed: &Analysed, done: &mut Found) {
        self.with_availability
            .drain(done, |check, found| check(analysed, found));
    }
}

/// Findings in rule order, whichever thread ran which check. Gathered into a list of
/// their exact number: collected as they come, the list would double as it grows, and
/// a findings-heavy file's run peaks here with the checks' lists still held.
fn in_rule_order(mut done: Found) -> Vec<Finding> {
    done.sort_unstable_by_key(|(i, _)| *i);
    let mut all = Vec::with_capacity(done.iter().map(|(_, found)| found.len()).sum());
    for (_, found) in done {
        all.extend(found);
    }
    all
}

/// Publishes "no analysis" if the thread building it unwinds, so that the thread
/// waiting for it never waits forever (the panic then surfaces at the join).
struct PublishOnUnwind<'x, T>(&'x OnceLock<Option<T>>);

impl<T> Drop for PublishOnUnwind<'_, T> {
    fn drop(&mut self) {
        // Does nothing when the analysis was published.
        let _ = self.0.set(None);
    }
}

/// Runs the enabled rules' checks and the availability analysis they read, within
/// `work_limit`. On two threads, the analysis is built on one while the other starts on
/// the checks that do not read it; then both share what is left. Findings come out in
/// rule order either way.
pub fn check(
    cx: &Context,
    rules: &[&'static Rule],
    work_limit: usize,
    threads: usize,
) -> Result<Vec<Finding>, WorkLimitExceeded> {
    let checks = Checks::new(rules);
    let mut done = Vec::new();
    if threads <= 1 {
        let analysed = Analysed::new(cx, work_limit)?;
        checks.run_plain(cx, &mut done);
        checks.run_with_availability(&analysed, &mut done);
        return Ok(in_rule_order(done));
    }
    let analysed = OnceLock::new();
    std::thread::scope(|scope| {
        let helper = std::thread::Builder::new()
            .name("availability".into())
            .spawn_scoped(scope, || {
                let mut done = Vec::new();
                {
                    let _publish = PublishOnUnwind(&analysed);
                    let _ = analysed.set(Some(Analysed::new(cx, work_limit)));
                }
                // Past the work limit no finding is kept: stop here.
                if let Some(Some(Ok(a))) = analysed.get() {
                    checks.run_with_availability(a, &mut done);
                    checks.run_plain(cx, &mut done);
                }
                done
            })
            .ok();
        if helper.is_none() {
            // No thread to be had: the analysis is built here.
            let _ = analysed.set(Some(Analysed::new(cx, work_limit)));
        }
        checks.run_plain(cx, &mut done);
        if let Some(Ok(a)) = analysed.wait() {
            checks.run_with_availability(a, &mut done);
        }
        // A check that panicked there panics here, as it would on one thread.
        if let Some(helper) = helper {
            done.extend(
                helper
                    .join()
                    .unwrap_or_else(|e| std::panic::resume_unwind(e)),
            );
        }
    });
    match analysed.into_inner() {
        Some(Some(Err(e))) => Err(e),
        _ => Ok(in_rule_order(done)),
    }
}

/// Runs the enabled rules' checks given the availability analysis, on `threads`
/// threads (the benchmark measures the analysis and the checks apart with it).
pub fn run_checks(analysed: &Analysed, rules: &[&'static Rule], threads: usize) -> Vec<Finding> {
    let checks = Checks::new(rules);
    let work = || {
        let mut done = Vec::new();
        checks.run_with_availability(analysed, &mut done);
        checks.run_plain(analysed, &mut done);
        done
    };
    let done = std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
        let mut done = work();
        for helper in helpers {
            done.extend(
                helper
                    .join()
                    .unwrap_or_else(|e| std::panic::resume_unwind(e)),
            );
        }
        done
    });
    in_rule_order(done)
}

/// Sorts findings by place, code and message, keeping the order of ties. The order is
/// found on their indexes and then applied by swaps: a stable sort of the findings
/// themselves would take a scratch copy of half of them.
fn sort(findings: &mut [Finding]) {
    let mut order: Vec<usize> = (0..findings.len()).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (&findings[a], &findings[b]);
        (a.span.start, a.rule.code, &a.message).cmp(&(b.span.start, b.rule.code, &b.message))
    });
    permute(findings, &mut order);
}

/// Reorders `items` so that item `k` is the one that was at `order[k]`, following each
/// cycle of the permutation (`order` is left as the identity).
fn permute<T>(items: &mut [T], order: &mut [usize]) {
    for start in 0..items.len() {
        let mut k = start;
        while order[k] != k {
            let from = std::mem::replace(&mut order[k], k);
            if from == start {
                break;
            }
            items.swap(k, from);
            k = from;
        }
    }
}

/// Builds the graph of a valid model and runs the selected rules on it.
fn run_rules(
    model: &model::Model,
    threads: usize,
    limits: &LintOptions,
) -> Result<Vec<Finding>, WorkLimitExceeded> {
    let graph = Graph::build(model);
    let cx = Context::new(model, &graph, limits.today);
    check(
        &cx,
        &limits.rules.enabled,
        work_limit(model, limits),
        threads,
    )
}

/// Applies the topology's suppressions (the findings they add about themselves go
/// through `on_new`), keeps suppression findings only of rules that run, and sets each
/// finding's configured severity.
fn settle(
    model: &model::Model,
    findings: &mut Vec<Finding>,
    limits: &LintOptions,
    mut on_new: impl FnMut(&mut Finding),
) {
    let first = findings.len();
    crate::suppress::apply(model, findings, &limits.rules, limits.today);
    for f in &mut findings[first..] {
        on_new(f);
    }
    findings.retain(|f| f.rule.category != Category::Suppression || limits.rules.runs(f.rule));
    for f in findings.iter_mut() {
        f.severity = limits.rules.severity_of(f.rule);
    }
}

/// Lints one file's text.
pub fn lint_source(source: SourceFile, limits: &LintOptions) -> FileReport {
    let (model, marks) = load(&source, limits, limits.fixes);
    let model = match model {
        Ok(model) => model,
        Err(findings) => {
            return FileReport {
                source,
                valid: false,
                findings,
                outline: None,
            };
        }
    };
    let (valid, mut findings) = match run_rules(&model, threads_for(&source, limits), limits) {
        Ok(mut findings) => {
            settle(&model, &mut findings, limits, |_| {});
            (true, findings)
        }
        Err(e) => (false, vec![*work_limit_finding(&model, e)]),
    };
    // The source map the fixes are planned against needs only the file and its events:
    // on a large file, it is built on another thread while this one finishes the
    // findings and lets the model go.
    let plan = limits.fixes && valid && findings.iter().any(|f| f.fix.is_some());
    let outline = limits.outline.then(|| Outline::of(&model));
    std::thread::scope(|scope| {
        let map = (plan && threads_for(&source, limits) > 1)
            .then(|| {
                std::thread::Builder::new()
                    .name("source-map".into())
                    .spawn_scoped(scope, || crate::fix::SourceMap::new(&source, Some(&marks)))
                    .ok()
            })
            .flatten();
        sort(&mut findings);
        // Ids YAML would read as another type (`true`, `1.5`) are quoted in the fixes
        // that name them; a file with none (nearly every file) skips the pass.
        let quote_ids = plan && model.ids().any(|id| crate::fix::scalar(id) != id);
        drop(model);
        release_freed_memory(&source, limits);
        if !limits.fixes {
            for f in &mut findings {
                f.fix = None;
            }
        } else if plan {
            if quote_ids {
                for fix in findings.iter_mut().filter_map(|f| f.fix.as_mut()) {
                    fix.yaml = crate::fix::quote::ids(&fix.yaml);
                }
            }
            let map = match map {
                Some(map) => map.join().unwrap_or_else(|e| std::panic::resume_unwind(e)),
                None => crate::fix::SourceMap::new(&source, Some(&marks)),
            };
            map.attach_edits(&mut findings);
        }
    });
    drop(marks);
    FileReport {
        source,
        valid,
        findings,
        outline,
    }
}

/// Lints a Compose file, Kubernetes manifests or a Threagile model: the import is
/// written as a topology and linted like one; the findings (and the import's own IMP
/// findings) point into the source file. A single point of failure the source can
/// scale gets its fix as edits of the source (one more replica); other fixes are
/// advice, without edits or YAML, which would be in the written topology's terms.
pub fn lint_import(
    source: SourceFile,
    import: &crate::import::ImportOptions,
    limits: &LintOptions,
) -> FileReport {
    let invalid = |source, mut findings: Vec<Finding>| {
        sort(&mut findings);
        FileReport {
            source,
            valid: false,
            findings,
            outline: None,
        }
    };
    // `--from auto` over a folder meets topologies too: they are linted as they are.
    if import.from.unwrap_or(crate::import::From::Auto) == crate::import::From::Auto
        && crate::import::detect(&source.text, &source.path).is_none()
        && crate::import::is_topology(&source.text)
    {
        return lint_source(source, limits);
    }
    let mut imported = match crate::import::import(&source, import, limits.yaml) {
        Ok(imported) => imported,
        Err(findings) => return invalid(source, findings),
    };
    let (text, map) = imported.write(&source.path);
    let written = SourceFile::new(source.path.clone(), text);
    let model = match load(&written, limits, false).0 {
        Ok(model) => model,
        Err(mut findings) => {
            // An importer's output that does not validate is a bug of the importer.
            for f in &mut findings {
                f.message = format!("the import is not a valid topology: {}", f.message);
                map_to_source(f, &map);
            }
            return invalid(source, findings);
        }
    };
    let (valid, mut findings) = match run_rules(&model, threads_for(&written, limits), limits) {
        Ok(mut findings) => {
            for f in &mut findings {
                map_to_source(f, &map);
            }
            findings.extend(
                imported
                    .findings
                    .drain(..)
                    .filter(|f| limits.rules.runs(f.rule)),
            );
            crate::import::attach_replica_fixes(&source, &imported.replicas, &mut findings);
            settle(&model, &mut findings, limits, |f| map_to_source(f, &map));
            (true, findings)
        }
        Err(e) => {
            let mut f = *work_limit_finding(&model, e);
            map_to_source(&mut f, &map);
            (false, vec![f])
        }
    };
    sort(&mut findings);
    let outline = limits.outline.then(|| Outline::of(&model));
    FileReport {
        source,
        valid,
        findings,
        outline,
    }
}

/// Points a finding on a written import at the source it came from; its fix becomes
/// advice (no edits: they would be of the written topology).
fn map_to_source(f: &mut Finding, map: &crate::import::topology::SourceMap) {
    f.span = map.source_of(f.span);
    for label in &mut f.related {
        label.span = map.source_of(label.span);
    }
    if let Some(fix) = &mut f.fix {
        fix.applicability = crate::fix::Applicability::None;
        fix.edits.clear();
        fix.remove.clear();
        fix.yaml.clear();
    }
}

/// The topology an import writes (`infra-lint import`), or the report of why it
/// cannot be written (the source's own input errors).
pub fn import_text(
    source: SourceFile,
    import: &crate::import::ImportOptions,
    limits: &LintOptions,
) -> Result<String, Box<FileReport>> {
    match crate::import::import(&source, import, limits.yaml) {
        Ok(mut imported) => Ok(imported.write(&source.path).0),
        Err(mut findings) => {
            sort(&mut findings);
            Err(Box::new(FileReport {
                source,
                valid: false,
                findings,
                outline: None,
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::permute;

    /// Every permutation of five items (and a few longer cycles) lands each item where
    /// the order says, as building a new list would.
    #[test]
    fn permute_places_each_item_where_the_order_says() {
        fn each_order(n: usize, prefix: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
            if prefix.len() == n {
                out.push(prefix.clone());
                return;
            }
            for i in 0..n {
                if !prefix.contains(&i) {
                    prefix.push(i);
                    each_order(n, prefix, out);
                    prefix.pop();
                }
            }
        }
        let mut orders = Vec::new();
        each_order(5, &mut Vec::new(), &mut orders);
        orders.push((1..100).chain([0]).collect());
        orders.push((0..100).rev().collect());
        for order in orders {
            let items: Vec<String> = (0..order.len()).map(|i| format!("item {i}")).collect();
            let expected: Vec<String> = order.iter().map(|&i| items[i].clone()).collect();
            let mut permuted = items.clone();
            let mut scratch = order.clone();
            permute(&mut permuted, &mut scratch);
            assert_eq!(permuted, expected, "order {order:?}");
        }
    }
}
