//! The GitHub Action (`action.yml`), read as GitHub reads it: the gate runs before the
//! SARIF upload and whatever the upload does; the build is cached per OS and version;
//! and the steps' own scripts, run here with bash and this build of infra-lint, fail
//! on findings where they should and only there.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn action() -> Value {
    let text = std::fs::read_to_string("action.yml").expect("action.yml");
    serde_saphyr::from_str::<Value>(&text).expect("action.yml is YAML")
}

fn steps(action: &Value) -> Vec<Value> {
    assert_eq!(action["runs"]["using"], "composite");
    action["runs"]["steps"].as_array().expect("steps").clone()
}

/// The index of the one step for which `is` holds.
fn position(steps: &[Value], what: &str, is: impl Fn(&Value) -> bool) -> usize {
    let found: Vec<usize> = (0..steps.len()).filter(|&i| is(&steps[i])).collect();
    assert_eq!(found.len(), 1, "one step {what}: {found:?}");
    found[0]
}

fn uses(step: &Value, action: &str) -> bool {
    step["uses"]
        .as_str()
        .is_some_and(|u| u.split('@').next() == Some(action))
}

fn runs(step: &Value, command: &str) -> bool {
    step["run"].as_str().is_some_and(|r| r.contains(command))
}

fn condition(step: &Value) -> &str {
    step["if"].as_str().unwrap_or("")
}

#[test]
fn the_gate_runs_before_the_upload_and_the_upload_cannot_fail_the_job() {
    let action = action();
    let steps = steps(&action);
    let gate = position(&steps, "that gates", |s| {
        runs(s, "infra-lint --format github --fail-on \"$FAIL_ON\"")
    });
    let upload = position(&steps, "that uploads SARIF", |s| {
        uses(s, "github/codeql-action/upload-sarif")
    });
    let sarif = position(&steps, "that writes SARIF", |s| runs(s, "--format sarif"));
    assert!(sarif < gate && gate < upload, "SARIF, gate, upload");
    // The gate fails the action: nothing makes its failure pass, and it runs
    // unconditionally once infra-lint is installed.
    assert_eq!(steps[gate].get("continue-on-error"), None);
    assert_eq!(condition(&steps[gate]), "");
    // The upload runs after the gate whatever it decided (not when cancelled), skips
    // a fork's pull request (read-only token), and its failure is not the job's.
    assert_eq!(steps[upload]["continue-on-error"], true);
    let upload_if = condition(&steps[upload]);
    assert!(upload_if.contains("!cancelled()"), "{upload_if}");
    assert!(
        upload_if.contains("github.event.pull_request.head.repo.fork != true"),
        "{upload_if}"
    );
    assert!(upload_if.contains("inputs.sarif == 'true'"), "{upload_if}");
    // No step before the gate is allowed to fail except the cache's save, which is
    // optional: an upload, a failing step, can only come after.
    for step in &steps[..gate] {
        if step.get("continue-on-error").is_some() {
            assert!(uses(step, "actions/cache/save"), "{step}");
        }
    }
}

#[test]
fn the_build_is_cached_per_runner_and_version() {
    let action = action();
    let steps = steps(&action);
    let key = position(&steps, "that names the build", |s| s["id"] == "key");
    let restore = position(&steps, "that restores", |s| {
        uses(s, "actions/cache/restore")
    });
    let build = position(&steps, "that builds", |s| runs(s, "cargo install --locked"));
    let save = position(&steps, "that saves", |s| uses(s, "actions/cache/save"));
    let on_path = position(&steps, "that puts it on the PATH", |s| {
        runs(s, "$GITHUB_PATH")
    });
    let gate = position(&steps, "that gates", |s| s["id"] == "gate");
    assert!(key < restore && restore < build && build < save && save < on_path && on_path < gate);
    // Restore and save the same folder under the same key, the folder cargo installs to.
    for step in [restore, save] {
        assert_eq!(steps[step]["with"]["key"], "${{ steps.key.outputs.key }}");
        assert_eq!(steps[step]["with"]["path"], "${{ steps.key.outputs.root }}");
    }
    assert_eq!(steps[build]["env"]["ROOT"], "${{ steps.key.outputs.root }}");
    assert_eq!(
        steps[on_path]["env"]["ROOT"],
        "${{ steps.key.outputs.root }}"
    );
    // A hit skips the toolchain, the build and the save; the PATH is set either way.
    let miss = "steps.cache.outputs.cache-hit != 'true'";
    for step in &steps[restore + 1..=save] {
        assert!(condition(step).contains(miss), "{step}");
    }
    assert_eq!(condition(&steps[on_path]), "");
}

/// Runs a step's script as GitHub runs a bash step (`bash --noprofile --norc -eo
/// pipefail`), with `env` and this build of infra-lint first on the PATH; returns its
/// exit code, standard output and `$GITHUB_OUTPUT`.
fn run_step(step: &Value, env: &[(&str, &str)]) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("step.sh");
    std::fs::write(&script, step["run"].as_str().unwrap()).unwrap();
    let output = dir.path().join("output");
    std::fs::write(&output, "").unwrap();
    // Not a run by itself: the scripts run it, and the tests pass `--today` in
    // LINT_ARGS wherever a date could matter (the system date on purpose elsewhere:
    // a file that is not a topology holds no date).
    let bin = Path::new(env!("CARGO_BIN_EXE_infra-lint"))
        .parent()
        .unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let o = Command::new("bash")
        .args(["--noprofile", "--norc", "-eo", "pipefail"])
        .arg(&script)
        .envs(env.iter().copied())
        .env("PATH", path)
        .env("GITHUB_OUTPUT", &output)
        .env("RUNNER_TEMP", dir.path())
        .env("RUNNER_OS", "Linux")
        .env("RUNNER_ARCH", "X64")
        .output()
        .expect("bash");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8(o.stdout).unwrap(),
        std::fs::read_to_string(&output).unwrap(),
    )
}

#[test]
fn the_cache_key_names_the_os_and_the_version() {
    let action = action();
    let steps = steps(&action);
    let key = &steps[position(&steps, "that names the build", |s| s["id"] == "key")];
    let here = std::env::current_dir().unwrap();
    let here = here.to_str().unwrap();
    let (code, _, output) = run_step(key, &[("VERSION", ""), ("ACTION_PATH", here)]);
    assert_eq!(code, 0);
    let key_line = output.lines().find(|l| l.starts_with("key=")).unwrap();
    let prefix = format!("key=infra-lint-Linux-X64-v{}-", env!("CARGO_PKG_VERSION"));
    let hash = key_line.strip_prefix(&prefix).expect(key_line);
    assert_eq!(hash.len(), 16);
    assert!(hash.chars().all(|c| c.is_ascii_hexdigit()), "{key_line}");
    assert!(output.contains("\nroot=") && output.trim_end().ends_with("/infra-lint"));
    // The same sources give the same key.
    let (_, _, again) = run_step(key, &[("VERSION", ""), ("ACTION_PATH", here)]);
    assert_eq!(again.lines().next(), Some(key_line));
    // Another version asked for is cached under its own name.
    let (code, _, output) = run_step(key, &[("VERSION", "v9.9.9"), ("ACTION_PATH", here)]);
    assert_eq!(code, 0);
    assert!(
        output.contains("key=infra-lint-Linux-X64-rev-v9.9.9\n"),
        "{output}"
    );
}

#[test]
fn the_steps_scripts_gate_on_findings_and_always_write_sarif() {
    let action = action();
    let steps = steps(&action);
    let sarif = &steps[position(&steps, "that writes SARIF", |s| s["id"] == "sarif")];
    let gate = &steps[position(&steps, "that gates", |s| s["id"] == "gate")];
    let today = format!("--today {}", infra_lint::lint::TEST_TODAY);
    let findings = "examples/02-distributed.topology.yml";
    // Findings: the SARIF step succeeds and names its file; the gate fails and
    // annotates.
    let (code, _, output) = run_step(sarif, &[("LINT_PATHS", findings), ("LINT_ARGS", &today)]);
    assert_eq!(code, 0);
    let file = PathBuf::from(output.trim().strip_prefix("file=").expect(&output));
    assert!(file.ends_with("infra-lint.sarif"));
    let env = [
        ("LINT_PATHS", findings),
        ("LINT_ARGS", today.as_str()),
        ("FAIL_ON", "warning"),
    ];
    let (code, stdout, _) = run_step(gate, &env);
    assert_eq!(code, 1);
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("::error file=examples/02-distributed"))
    );
    // Raised above the findings' severities, the gate passes.
    let env = [
        ("LINT_PATHS", "examples/05-cloud-quorum.topology.yml"),
        ("LINT_ARGS", today.as_str()),
        ("FAIL_ON", "error"),
    ];
    assert_eq!(run_step(gate, &env).0, 0);
    // Not a topology: the SARIF step still succeeds, the gate fails (exit 2).
    let env = [
        ("LINT_PATHS", "examples/invalid/missing-kind.yml"),
        ("LINT_ARGS", ""),
        ("FAIL_ON", "never"),
    ];
    assert_eq!(run_step(sarif, &env).0, 0);
    assert_eq!(run_step(gate, &env).0, 2);
}

#[test]
fn the_readme_documents_the_permissions_and_timings() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let action = std::fs::read_to_string("action.yml").unwrap();
    for text in [&readme, &action] {
        assert!(text.contains("security-events: write"));
        assert!(text.contains("actions: read"));
    }
    let section = readme
        .split("**GitHub Actions**")
        .nth(1)
        .and_then(|s| s.split("**Other CI systems**").next())
        .expect("the GitHub Actions section");
    assert!(
        section.contains("cold run") && section.contains("warm run"),
        "{section}"
    );
    assert!(section.contains("fork"), "{section}");
}
