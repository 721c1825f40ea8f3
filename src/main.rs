//! The `infra-lint` command: parses arguments, calls the library, picks the exit code.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use infra_lint::baseline::Baseline;
use infra_lint::config::{self, Config, FailOn};
use infra_lint::finding::Severity;
use infra_lint::import::From as ImportFrom;
use infra_lint::lint::LintOptions;
use infra_lint::output::{self, Format, HumanOptions};
use infra_lint::{rules, spelling};

/// Audits an infrastructure topology before anyone builds it.
#[derive(Parser)]
#[command(name = "infra-lint", version, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    check: CheckArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Lint files and directories (the default command).
    Check(CheckArgs),
    /// List every rule: code, name, category, default severity.
    Rules {
        /// Output format.
        #[arg(long, value_enum, default_value_t = RulesFormat::Text)]
        format: RulesFormat,
    },
    /// Show a rule's documentation page.
    Explain {
        /// A rule code (SPOF001) or name (single-point-of-failure).
        rule: String,
    },
    /// A markdown report: summary, diagram, findings and fixes (same as --format markdown).
    Report(CheckArgs),
    /// The topology as a diagram, with findings marked.
    Graph {
        /// The topology file.
        file: PathBuf,
        /// Diagram language.
        #[arg(long, value_enum, default_value_t = DiagramFormat::Mermaid)]
        format: DiagramFormat,
        /// Write the diagram to FILE instead of stdout.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// The JSON Schema of the topology format, for editors and validators.
    Schema,
    /// Write a commented starter topology that passes with no warning.
    Init {
        /// Where to write it.
        #[arg(default_value = "topology.yml")]
        file: PathBuf,
        /// The day written as the backups' last restore test, YYYY-MM-DD (default:
        /// today).
        #[arg(long, value_name = "DATE", value_parser = parse_date)]
        today: Option<infra_lint::model::Date>,
    },
    /// What stops when components, hosts or failure-domain values (rack:r1) fail
    /// together. Exit 1 when an entrypoint is lost.
    WhatIf {
        /// The topology file.
        file: PathBuf,
        /// What fails: component or host ids, or level:value (comma-separated or repeated).
        #[arg(long, required = true, value_delimiter = ',', value_name = "ID")]
        fail: Vec<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = WhatIfFormat::Human)]
        format: WhatIfFormat,
        /// Largest file read, in bytes.
        #[arg(long, value_name = "BYTES")]
        max_file_size: Option<u64>,
    },
    /// Write the topology a Compose file, Kubernetes manifests or a Threagile model
    /// import to, commented with what each part came from.
    Import {
        /// The file to import (`-` reads stdin).
        file: PathBuf,
        /// What the file is: auto tells by its content.
        #[arg(long, value_enum, default_value_t = ImportFrom::Auto)]
        from: ImportFrom,
        /// Import the Compose services of this profile too (repeatable).
        #[arg(long, value_name = "PROFILE")]
        profile: Vec<String>,
        /// Write the topology to FILE instead of stdout (never over the input).
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Largest file read, in bytes.
        #[arg(long, value_name = "BYTES")]
        max_file_size: Option<u64>,
    },
    /// A language server over stdio: diagnostics, quick fixes, navigation by id,
    /// completion and hover, for any editor with an LSP client.
    Server {
        /// The date certificate checks use, YYYY-MM-DD (default: today).
        #[arg(long, value_name = "DATE", value_parser = parse_date)]
        today: Option<infra_lint::model::Date>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum DiagramFormat {
    Mermaid,
    Dot,
}

#[derive(Clone, Copy, ValueEnum)]
enum WhatIfFormat {
    Human,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum RulesFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Args)]
struct CheckArgs {
    /// Files and directories to lint (default: the current directory).
    paths: Vec<PathBuf>,
    /// Output format [default: human].
    #[arg(
        long,
        visible_alias = "output-format",
        value_enum,
        env = "INFRA_LINT_OUTPUT_FORMAT"
    )]
    format: Option<Format>,
    /// Write the output to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// The lowest severity that makes the exit code 1 [default: warning, or the config's].
    #[arg(long, value_enum)]
    fail_on: Option<FailOn>,
    /// Exit 0 whatever is found (still 2 when the run cannot do its job).
    #[arg(long)]
    exit_zero: bool,
    /// Only these rules: codes, names, prefixes (TLS), categories or ALL,
    /// comma-separated; replaces the config's selection.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    select: Vec<String>,
    /// Add these rules to the selection (the config's or --select's).
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    extend_select: Vec<String>,
    /// Not these rules: codes, names, prefixes or categories, comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    ignore: Vec<String>,
    /// Override a rule's severity, e.g. TLS003=warning (repeatable).
    #[arg(long, value_name = "CODE=LEVEL")]
    severity: Vec<String>,
    /// Configuration file [default: the nearest infra-lint.toml upward from here].
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Report only findings not in this baseline.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Write the current findings to this baseline file and exit 0.
    #[arg(long, value_name = "FILE")]
    write_baseline: Option<PathBuf>,
    /// Counts per rule instead of findings.
    #[arg(long)]
    statistics: bool,
    /// Apply the safe fixes to the files, then report what is left.
    #[arg(long)]
    fix: bool,
    /// With --fix or --diff, apply the unsafe fixes too (they add machines, move
    /// components, or state decisions).
    #[arg(long)]
    unsafe_fixes: bool,
    /// Print the fixes as a unified diff instead of applying them (exit 1 when there
    /// is one); `patch -p1` and `git apply` take it.
    #[arg(long)]
    diff: bool,
    /// With --fix, list the fixes applied.
    #[arg(long)]
    show_fixes: bool,
    /// Colour: auto honours NO_COLOR and non-terminal output.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    color: Color,
    /// Only findings, no summary.
    #[arg(short, long)]
    quiet: bool,
    /// Print nothing; the exit code says whether there are findings.
    #[arg(short, long, conflicts_with = "quiet")]
    silent: bool,
    /// List suppressed findings too, with their reasons (human and concise formats;
    /// the other formats always carry them).
    #[arg(long)]
    show_suppressed: bool,
    /// The path standard input (`-`) stands for: shown in the output, matched by
    /// per-file ignores.
    #[arg(long, value_name = "PATH")]
    stdin_filename: Option<PathBuf>,
    /// Say on stderr which configuration file is used and which files are linted.
    #[arg(short, long)]
    verbose: bool,
    /// Print the configuration file in use and the resolved settings, then exit.
    #[arg(long)]
    show_settings: bool,
    /// Read the inputs as Docker Compose files, Kubernetes manifests or Threagile
    /// models (auto: by content) and lint the import; `-` reads stdin, directories are
    /// walked for every YAML file.
    #[arg(long, value_enum, value_name = "FORMAT")]
    from: Option<ImportFrom>,
    /// With --from, import the Compose services of this profile too (repeatable).
    #[arg(long, value_name = "PROFILE", requires = "from")]
    profile: Vec<String>,
    /// Largest file read, in bytes.
    #[arg(long, value_name = "BYTES")]
    max_file_size: Option<u64>,
    /// Deepest YAML nesting accepted.
    #[arg(long, value_name = "LEVELS")]
    max_depth: Option<usize>,
    /// Most YAML events that aliases and merge keys may expand to.
    #[arg(long, value_name = "EVENTS")]
    max_alias_events: Option<usize>,
    /// Most ids (components, hosts, zones, certificates) in one file.
    #[arg(long, value_name = "IDS")]
    max_ids: Option<usize>,
    /// The date certificate checks use, YYYY-MM-DD (default: today).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    today: Option<infra_lint::model::Date>,
    /// Most set elements the availability analysis may handle.
    #[arg(long, value_name = "ELEMENTS")]
    max_analysis_work: Option<usize>,
}

fn parse_date(text: &str) -> Result<infra_lint::model::Date, String> {
    infra_lint::model::Date::parse(text)
        .ok_or_else(|| format!("`{text}` is not a date: write YYYY-MM-DD"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        None => check(cli.check),
        Some(Command::Check(args)) => check(args),
        Some(Command::Rules { format }) => list_rules(format),
        Some(Command::Explain { rule }) => explain(&rule),
        Some(Command::Report(mut args)) => {
            let from_env = std::env::var("INFRA_LINT_OUTPUT_FORMAT")
                .is_ok_and(|v| Format::from_str(&v, true).is_ok_and(|f| Some(f) == args.format));
            match args.format {
                Some(f) if f != Format::Markdown && !from_env => {
                    eprintln!(
                        "infra-lint: `report` writes markdown; for --format {} use `infra-lint check --format {}`",
                        format_name(f),
                        format_name(f)
                    );
                    2
                }
                _ => {
                    args.format = Some(Format::Markdown);
                    check(args)
                }
            }
        }
        Some(Command::Graph {
            file,
            format,
            output,
        }) => graph(&file, format, output.as_deref()),
        Some(Command::Schema) => print_or_fail(&(infra_lint::schema::json_schema() + "\n")),
        Some(Command::Init { file, today }) => {
            init(&file, today.unwrap_or_else(infra_lint::model::Date::today))
        }
        Some(Command::WhatIf {
            file,
            fail,
            format,
            max_file_size,
        }) => what_if(&file, &fail, format, max_file_size),
        Some(Command::Import {
            file,
            from,
            profile,
            output,
            max_file_size,
        }) => import(&file, from, profile, output.as_deref(), max_file_size),
        Some(Command::Server { today }) => {
            let options = infra_lint::server::ServerOptions {
                today: today.unwrap_or_else(infra_lint::model::Date::today),
            };
            infra_lint::server::run(options).clamp(0, 255) as u8
        }
    };
    ExitCode::from(code)
}

/// A format's name as its flag takes it.
fn format_name(format: Format) -> String {
    format
        .to_possible_value()
        .map_or_else(String::new, |v| v.get_name().to_string())
}

/// The width help text wraps at: `COLUMNS` when set, else the terminal's when the
/// output is one; None (no wrapping) for a pipe or a file, as compilers do.
fn terminal_width(to_terminal: bool) -> Option<usize> {
    if let Some(columns) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&c| c > 0)
    {
        return Some(columns.max(20));
    }
    if !to_terminal {
        return None;
    }
    terminal_size::terminal_size_of(std::io::stdout())
        .map(|(terminal_size::Width(w), _)| usize::from(w).max(20))
}

fn list_rules(format: RulesFormat) -> u8 {
    let text = match format {
        RulesFormat::Text => rules::catalog(),
        RulesFormat::Json => match serde_json::to_string_pretty(&rules::catalog_entries()) {
            Ok(json) => json + "\n",
            Err(e) => {
                eprintln!("infra-lint: {e}");
                return 2;
            }
        },
    };
    print_or_fail(&text)
}

fn explain(query: &str) -> u8 {
    match rules::find(query) {
        Some(rule) => print_or_fail(&(rules::explain(rule) + "\n")),
        None => {
            let names = rules::RULES.iter().flat_map(|r| [r.code, r.name]);
            match spelling::closest(query, names) {
                Some(best) => eprintln!("infra-lint: no rule `{query}`; did you mean `{best}`?"),
                None => eprintln!("infra-lint: no rule `{query}`; `infra-lint rules` lists them"),
            }
            2
        }
    }
}

fn graph(file: &std::path::Path, format: DiagramFormat, output: Option<&std::path::Path>) -> u8 {
    let options = LintOptions {
        outline: true,
        ..LintOptions::default()
    };
    // The file as check shows it: relative to the project root.
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let root = infra_lint::discover::Root::find(config::discover(&cwd).as_deref(), &cwd);
    let report = infra_lint::lint::lint_path(file, &root.show(file), &options);
    if !report.valid {
        return show_invalid(report);
    }
    let text = match format {
        DiagramFormat::Mermaid => output::diagram::mermaid(&report),
        DiagramFormat::Dot => output::diagram::dot(&report),
    };
    if let Some(out) = output
        && refuse_input(out, "the output", &[file.to_path_buf()])
    {
        return 2;
    }
    let code = write_output(output, text.as_bytes());
    if let Some(out) = output
        && code == 0
    {
        let language = match format {
            DiagramFormat::Mermaid => "Mermaid",
            DiagramFormat::Dot => "Graphviz",
        };
        eprintln!(
            "infra-lint: wrote the {language} diagram of `{}` to `{}`",
            report.source.path,
            out.display()
        );
    }
    code
}

fn init(file: &std::path::Path, today: infra_lint::model::Date) -> u8 {
    match infra_lint::init::write_starter(file, today) {
        Ok(()) => {
            eprintln!(
                "infra-lint: wrote a starter topology to {}; run `infra-lint {}` on it",
                file.display(),
                file.display()
            );
            0
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            eprintln!(
                "infra-lint: `{}` already exists; not overwriting it",
                file.display()
            );
            2
        }
        Err(e) => {
            eprintln!("infra-lint: cannot write `{}`: {e}", file.display());
            2
        }
    }
}

/// `infra-lint import`: the imported topology to stdout or a file (never the input).
fn import(
    file: &std::path::Path,
    from: ImportFrom,
    profiles: Vec<String>,
    output: Option<&std::path::Path>,
    max_file_size: Option<u64>,
) -> u8 {
    if let Some(output) = output
        && file.as_os_str() != "-"
        && refuse_input(output, "the topology", &[file.to_path_buf()])
    {
        return 2;
    }
    let mut options = LintOptions::default();
    if let Some(n) = max_file_size {
        options.max_file_size = n;
    }
    // The file as check shows it: relative to the project root.
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let root = infra_lint::discover::Root::find(config::discover(&cwd).as_deref(), &cwd);
    let display = root.show(file);
    let source = match infra_lint::lint::read_source(file, &display, &options) {
        Ok(source) => source,
        Err(report) => return show_invalid(*report),
    };
    let import = infra_lint::import::ImportOptions {
        from: Some(from),
        profiles,
    };
    match infra_lint::lint::import_text(source, &import, &options) {
        Ok(text) => write_output(output, text.as_bytes()),
        Err(report) => show_invalid(*report),
    }
}

/// Prints an invalid file's input errors (human format) and returns exit code 2.
fn show_invalid(report: infra_lint::lint::FileReport) -> u8 {
    let terminal = std::io::stdout().is_terminal();
    let human = HumanOptions {
        color: terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        width: terminal_width(terminal),
        ..HumanOptions::default()
    };
    let mut buffer = Vec::new();
    let run = output::Run {
        files: std::slice::from_ref(&report),
        rules: rules::RULES,
        human,
        root: None,
        fail_on: Some(Severity::Warning),
    };
    let _ = output::write(Format::Human, &run, &mut buffer);
    let _ = print_or_fail(&String::from_utf8_lossy(&buffer));
    2
}

/// Whether `output` names one of `inputs`; if so, says so (the caller exits 2): an
/// output never replaces what the run reads.
fn refuse_input(output: &std::path::Path, what: &str, inputs: &[PathBuf]) -> bool {
    match infra_lint::safe_write::names_an_input(output, inputs) {
        Some(input) => {
            eprintln!(
                "infra-lint: not writing {what} to `{}`: it is the input `{}`, which would be lost; name another file",
                output.display(),
                input.display()
            );
            true
        }
        None => false,
    }
}

/// Writes bytes to a file (atomically: a temporary file renamed over it), or stdout
/// when none is named.
fn write_output(path: Option<&std::path::Path>, bytes: &[u8]) -> u8 {
    match path {
        Some(path) => match infra_lint::safe_write::write_atomic(path, bytes) {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("infra-lint: cannot write `{}`: {e}", path.display());
                2
            }
        },
        None => print_or_fail(&String::from_utf8_lossy(bytes)),
    }
}

fn what_if(
    file: &std::path::Path,
    fail: &[String],
    format: WhatIfFormat,
    max_file_size: Option<u64>,
) -> u8 {
    let mut limits = LintOptions::default();
    if let Some(n) = max_file_size {
        limits.max_file_size = n;
    }
    match infra_lint::what_if(file, fail, &limits) {
        Ok(answer) => {
            let text = match format {
                WhatIfFormat::Human => answer.text(),
                WhatIfFormat::Json => match serde_json::to_string_pretty(&answer) {
                    Ok(json) => json + "\n",
                    Err(e) => {
                        eprintln!("infra-lint: {e}");
                        return 2;
                    }
                },
            };
            match print_or_fail(&text) {
                0 => u8::from(!answer.entrypoints_lost.is_empty()),
                code => code,
            }
        }
        Err(infra_lint::WhatIfError::Message(message)) => {
            eprintln!("infra-lint: {message}");
            2
        }
        Err(infra_lint::WhatIfError::Invalid(report)) => show_invalid(*report),
    }
}

fn print_or_fail(text: &str) -> u8 {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => 0,
        // A closed pipe (`| head`) is not a failure of ours.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
        Err(e) => {
            eprintln!("infra-lint: {e}");
            2
        }
    }
}

fn check(args: CheckArgs) -> u8 {
    let mut limits = LintOptions::default();
    if let Some(n) = args.max_file_size {
        limits.max_file_size = n;
    }
    if let Some(n) = args.max_depth {
        limits.yaml.max_depth = n;
    }
    if let Some(n) = args.max_alias_events {
        limits.yaml.max_alias_events = n;
    }
    if let Some(n) = args.max_ids {
        limits.model.max_ids = n;
    }
    limits.analysis_work = args.max_analysis_work;
    if let Some(today) = args.today {
        limits.today = today;
    }
    let config = match load_config(args.config.as_deref()) {
        Ok(config) => config,
        Err(message) => {
            // One line per error, each with its place.
            for line in message.lines() {
                eprintln!("infra-lint: {line}");
            }
            return 2;
        }
    };
    for selector in args
        .select
        .iter()
        .chain(&args.extend_select)
        .chain(&args.ignore)
    {
        if let Err(message) = config::check_selector(selector) {
            eprintln!("infra-lint: --select/--extend-select/--ignore: {message}");
            return 2;
        }
    }
    let format = args.format.unwrap_or(Format::Human);
    let stdin = args.paths.iter().any(|p| p.as_os_str() == "-");
    if stdin && (args.fix || args.diff) {
        eprintln!(
            "infra-lint: --fix and --diff rewrite files; standard input (`-`) is not one: save it to a file first"
        );
        return 2;
    }
    if args.statistics && !matches!(format, Format::Human | Format::Concise | Format::Json) {
        eprintln!(
            "infra-lint: --statistics writes a table (human) or JSON, not {}",
            format_name(format)
        );
        return 2;
    }
    let mut severity = config.severity.clone();
    for entry in &args.severity {
        match parse_severity(entry) {
            Ok((code, level)) => {
                severity.insert(code, level);
            }
            Err(message) => {
                eprintln!("infra-lint: --severity {entry}: {message}");
                return 2;
            }
        }
    }
    // The command line overrides the config: its selection replaces the config's, its
    // ignores add to them.
    let mut select = if args.select.is_empty() {
        config.select.clone()
    } else {
        Some(args.select.clone())
    };
    // Extending "every rule" selects nothing more.
    if let Some(select) = &mut select {
        select.extend(args.extend_select.iter().cloned());
    }
    let mut ignore = config.ignore.clone();
    ignore.extend(args.ignore.iter().cloned());
    limits.rules = config::rule_set(select.as_deref(), &ignore, &severity);
    limits.outline = format == Format::Markdown;
    // Fixes are planned only for what shows or applies them.
    limits.fixes = args.fix
        || args.diff
        || !(args.statistics
            || args.silent
            || matches!(format, Format::Concise | Format::Github | Format::Gitlab));
    let fail_on = args.fail_on.or(config.fail_on).unwrap_or(FailOn::Warning);
    let config_used = match &config.path {
        Some(path) => format!("`{}`", path.display()),
        None => "none (the defaults)".to_string(),
    };
    if args.show_settings {
        let list = |items: &[String]| format!("[{}]", items.join(", "));
        let mut text = format!("config file: {config_used}\n");
        text.push_str(&format!(
            "select: {}\n",
            select.as_deref().map_or("all".to_string(), list)
        ));
        text.push_str(&format!("ignore: {}\n", list(&ignore)));
        let severity: Vec<String> = severity
            .iter()
            .map(|(c, l)| format!("{c}={}", l.as_str()))
            .collect();
        text.push_str(&format!("severity: {}\n", list(&severity)));
        text.push_str(&format!(
            "fail-on: {}\n",
            format!("{fail_on:?}").to_lowercase()
        ));
        text.push_str(&format!("include: {}\n", list(&config.include)));
        text.push_str(&format!("exclude: {}\n", list(&config.exclude)));
        let rules: Vec<String> = limits
            .rules
            .enabled
            .iter()
            .map(|r| r.code.to_string())
            .collect();
        text.push_str(&format!("rules: {}\n", list(&rules)));
        text.push_str(&format!("max-file-size: {}\n", limits.max_file_size));
        return print_or_fail(&text);
    }
    if args.verbose {
        eprintln!("infra-lint: configuration file: {config_used}");
    }

    let implicit = args.paths.is_empty();
    let paths = if implicit {
        vec![PathBuf::from(".")]
    } else {
        args.paths
    };
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let root = infra_lint::discover::Root::find(config.path.as_deref(), &cwd);
    let root_dir = root.dir.clone();
    let import = args.from.map(|from| infra_lint::import::ImportOptions {
        from: Some(from),
        profiles: args.profile.clone(),
    });
    let mut inputs = match &import {
        Some(import) => {
            let from = import.from.unwrap_or(infra_lint::import::From::Auto);
            let (inputs, notes) = infra_lint::import_inputs(
                &paths,
                &config,
                from,
                root,
                args.stdin_filename.as_deref(),
            );
            for note in notes {
                if !args.silent {
                    eprintln!("infra-lint: {}", output::escape_control(&note, false));
                }
            }
            inputs
        }
        None => infra_lint::inputs_from_root(&paths, &config, root, args.stdin_filename.as_deref()),
    };
    for note in infra_lint::discover::take_skipped(&mut inputs) {
        if !args.silent {
            eprintln!("infra-lint: {}", output::escape_control(&note, false));
        }
    }
    if implicit {
        // Nothing named: an empty folder is a warning, not an error.
        inputs.retain(|input| match input {
            infra_lint::discover::Input::Empty(_, why) => {
                if !args.silent {
                    eprintln!(
                        "infra-lint: warning: {}",
                        output::escape_control(why, false)
                    );
                }
                false
            }
            _ => true,
        });
    }
    // No output may replace an input: a topology, the configuration, or (for `-o`) the
    // baseline read. `--write-baseline` may name the baseline read, to refresh it.
    let mut read = infra_lint::input_paths(&inputs);
    read.extend(config.path.clone());
    if let Some(path) = &args.write_baseline
        && refuse_input(path, "the baseline", &read)
    {
        return 2;
    }
    read.extend(args.baseline.clone());
    if let Some(path) = &args.output
        && refuse_input(path, "the output", &read)
    {
        return 2;
    }
    if args.verbose {
        for input in &inputs {
            if let infra_lint::discover::Input::File(_, shown) = input {
                eprintln!(
                    "infra-lint: linting {}",
                    output::escape_control(shown, false)
                );
            }
        }
    }
    let read_from: Vec<Option<PathBuf>> = inputs
        .iter()
        .map(|input| match input {
            infra_lint::discover::Input::File(path, _) => Some(path.clone()),
            infra_lint::discover::Input::Error(..)
            | infra_lint::discover::Input::Skipped(_)
            | infra_lint::discover::Input::Empty(..) => None,
        })
        .collect();
    let mut files = match &import {
        Some(import) => infra_lint::lint_imports(inputs, &limits, &config, import),
        None => infra_lint::lint_inputs(inputs, &limits, &config),
    };
    if args.fix || args.diff {
        let done = match infra_lint::fix_files_with(
            &mut files,
            &read_from,
            &limits,
            &config,
            args.unsafe_fixes,
            !args.diff,
            import.as_ref(),
        ) {
            Ok(done) => done,
            Err(message) => {
                eprintln!("infra-lint: {message}");
                return 2;
            }
        };
        let count: usize = done.iter().map(|d| d.applied.len()).sum();
        for d in done.iter().filter(|d| d.stopped) {
            eprintln!(
                "infra-lint: {}: fixes were still applying after {} rounds; run again to go on",
                output::escape_control(&d.path, false),
                infra_lint::fix::apply::MAX_ROUNDS
            );
        }
        if args.diff {
            let mut patch = String::new();
            for d in &done {
                patch.push_str(&infra_lint::fix::apply::unified_diff(
                    &d.path, &d.old, &d.new,
                ));
            }
            if write_output(args.output.as_deref(), patch.as_bytes()) != 0 {
                return 2;
            }
            eprintln!(
                "infra-lint: {count} fix{} would change {} file{}",
                if count == 1 { "" } else { "es" },
                done.len(),
                if done.len() == 1 { "" } else { "s" }
            );
            return u8::from(!done.is_empty());
        }
        if args.show_fixes {
            for d in &done {
                for a in &d.applied {
                    eprintln!("  {}: {} {}: {}", d.path, a.code, a.subject, a.description);
                }
            }
        }
        eprintln!(
            "infra-lint: applied {count} fix{} to {} file{}",
            if count == 1 { "" } else { "es" },
            done.len(),
            if done.len() == 1 { "" } else { "s" }
        );
    }
    if let Some(path) = &args.baseline {
        match Baseline::load(path, limits.max_file_size) {
            Ok(baseline) => baseline.filter(&mut files),
            Err(message) => {
                eprintln!("infra-lint: {message}");
                return 2;
            }
        }
    }
    if let Some(path) = &args.write_baseline {
        let unlinted = files.iter().filter(|f| !f.valid).count();
        if unlinted > 0 {
            // A baseline from a partial run would drop the accepted findings of the
            // files it could not lint: keep the old one, and show why.
            eprintln!(
                "infra-lint: not writing the baseline `{}`: {unlinted} of {} files could not be linted",
                path.display(),
                files.len()
            );
        } else {
            let baseline = Baseline::of(&files);
            if let Err(e) = baseline.write(path) {
                eprintln!("infra-lint: cannot write `{}`: {e}", path.display());
                return 2;
            }
            eprintln!(
                "infra-lint: wrote {} fingerprints to {}",
                baseline.fingerprints.len(),
                path.display()
            );
            return 0;
        }
    }

    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let color = match args.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => args.output.is_none() && !no_color && std::io::stdout().is_terminal(),
    };
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let human = HumanOptions {
        color,
        quiet: args.quiet,
        width: terminal_width(to_terminal),
        show_suppressed: args.show_suppressed,
    };
    let run = output::Run {
        files: &files,
        rules: &limits.rules.enabled,
        human,
        root: Some(root_dir),
        fail_on: fail_on.threshold(),
    };
    let exit = |files: &[infra_lint::lint::FileReport]| -> u8 {
        let code = infra_lint::exit_code(files, fail_on.threshold()) as u8;
        if args.exit_zero && code == 1 { 0 } else { code }
    };
    if args.silent {
        return exit(&files);
    }
    let render = |out: &mut dyn Write| -> std::io::Result<()> {
        if args.statistics {
            let text = match format {
                Format::Json => infra_lint::statistics::json(&files),
                _ => infra_lint::statistics::table(&files),
            };
            out.write_all(text.as_bytes())
        } else {
            output::write(format, &run, out)
        }
    };
    // The report is written as it is rendered, to stdout or to a temporary file that
    // then replaces the output: a report of many findings is never held whole in
    // memory, and the output file is never seen half written.
    match args.output.as_deref() {
        None => {
            let mut stdout = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
            match render(&mut stdout).and_then(|()| stdout.flush()) {
                Ok(()) => {}
                // A closed pipe (`| head`) is not a failure of ours.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                Err(e) => {
                    eprintln!("infra-lint: cannot write the output: {e}");
                    return 2;
                }
            }
        }
        Some(path) => {
            if let Err(e) = infra_lint::safe_write::write_atomic_with(path, render) {
                eprintln!("infra-lint: cannot write `{}`: {e}", path.display());
                return 2;
            }
        }
    }
    if let Some(path) = &args.output
        && !args.quiet
    {
        let what = if args.statistics {
            "the statistics".to_string()
        } else {
            format!("the {} report", format_name(format))
        };
        eprintln!(
            "infra-lint: wrote {what} to `{}` ({})",
            path.display(),
            output::summary_text(&files)
        );
    }
    let code = exit(&files);
    // The process ends with this: what the reports hold goes back to the system with
    // it, rather than one allocation at a time (a findings-heavy file's 80,000 findings
    // take 50 ms to free), as rustc leaves its own at exit.
    std::mem::forget(files);
    code
}

/// The configuration: the named file, else the nearest `infra-lint.toml` upward from
/// the current folder, else the defaults.
fn load_config(path: Option<&std::path::Path>) -> Result<Config, String> {
    let found = match path {
        Some(p) => Some(p.to_path_buf()),
        None => std::env::current_dir()
            .ok()
            .and_then(|dir| config::discover(&dir)),
    };
    match found {
        Some(p) => config::load(&p).map_err(|e| e.message),
        None => Ok(Config::default()),
    }
}

/// `CODE=LEVEL` for --severity.
fn parse_severity(entry: &str) -> Result<(String, Severity), String> {
    let (code, level) = entry
        .split_once('=')
        .ok_or("expected CODE=LEVEL, e.g. TLS003=warning")?;
    let rule = rules::find(code.trim()).ok_or_else(|| {
        config::check_selector(code.trim())
            .err()
            .unwrap_or_else(|| format!("`{code}` is not one rule"))
    })?;
    let level = match level.trim() {
        "error" => Severity::Error,
        "warning" => Severity::Warning,
        "info" => Severity::Info,
        other => {
            return Err(format!(
                "unknown level `{other}`: use error, warning or info"
            ));
        }
    };
    Ok((rule.code.to_string(), level))
}
