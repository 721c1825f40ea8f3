//! The `infra-lint` command: parses arguments, calls the library, picks the exit code.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use infra_lint::finding::Severity;
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
    },
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
enum FailOn {
    Error,
    Warning,
    Info,
    Never,
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
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Write the output to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// The lowest severity that makes the exit code 1.
    #[arg(long, value_enum, default_value_t = FailOn::Warning)]
    fail_on: FailOn,
    /// Colour: auto honours NO_COLOR and non-terminal output.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    color: Color,
    /// Only findings, no summary.
    #[arg(short, long)]
    quiet: bool,
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
        Some(Command::WhatIf { file, fail, format }) => what_if(&file, &fail, format),
    };
    ExitCode::from(code)
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

fn what_if(file: &std::path::Path, fail: &[String], format: WhatIfFormat) -> u8 {
    match infra_lint::what_if(file, fail, &LintOptions::default()) {
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
        Err(infra_lint::WhatIfError::Invalid(report)) => {
            let human = HumanOptions {
                color: std::io::stdout().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
                quiet: false,
                width: 100,
            };
            let mut buffer = Vec::new();
            let run = output::Run {
                files: std::slice::from_ref(&*report),
                rules: rules::RULES,
                human,
            };
            let _ = output::write(Format::Human, &run, &mut buffer);
            let _ = print_or_fail(&String::from_utf8_lossy(&buffer));
            2
        }
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
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths
    };
    let files = infra_lint::check(&paths, &limits);

    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let color = match args.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => args.output.is_none() && !no_color && std::io::stdout().is_terminal(),
    };
    let human = HumanOptions {
        color,
        quiet: args.quiet,
        width: 100,
    };
    let mut buffer = Vec::new();
    let run = output::Run {
        files: &files,
        rules: rules::RULES,
        human,
    };
    if let Err(e) = output::write(args.format, &run, &mut buffer) {
        eprintln!("infra-lint: cannot render the output: {e}");
        return 2;
    }
    match &args.output {
        Some(path) => {
            if let Err(e) = std::fs::write(path, &buffer) {
                eprintln!("infra-lint: cannot write `{}`: {e}", path.display());
                return 2;
            }
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            if let Err(e) = stdout.write_all(&buffer).and_then(|()| stdout.flush())
                && e.kind() != std::io::ErrorKind::BrokenPipe
            {
                eprintln!("infra-lint: {e}");
                return 2;
            }
        }
    }
    let fail_on = match args.fail_on {
        FailOn::Error => Some(Severity::Error),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Info => Some(Severity::Info),
        FailOn::Never => None,
    };
    infra_lint::exit_code(&files, fail_on) as u8
}
