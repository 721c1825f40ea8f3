"""Reads infra-lint's reports the way their consumers do, with the consumers' own
libraries from PyPI, and compares what they read with the JSON report.

    check-reports.py sarif  REPORT.sarif SCHEMA.json FINDINGS.json
    check-reports.py junit  REPORT.xml   SCHEMA.xsd  FINDINGS.json
    check-reports.py gitlab REPORT.json  SCHEMA.json FINDINGS.json

FINDINGS.json is `--format json` of the same run. Prints what it read; exits 1 with
every reason when a consumer rejects the report or reads something else than the JSON
report says.
"""

import json
import sys
from collections import Counter

problems = []


def problem(text):
    problems.append(text)


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def schema_errors(instance, schema_path):
    """Every error of `instance` against the JSON Schema at `schema_path`, with the
    formats checked (uri, uri-reference, date-time: jsonschema[format-nongpl])."""
    import jsonschema

    schema = load_json(schema_path)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    for e in errors:
        where = "/".join(str(p) for p in e.absolute_path) or "(top)"
        problem(f"{schema_path}: at {where}: {e.message}")
    return len(errors)


def unsuppressed(findings):
    return [f for f in findings["findings"] if f.get("suppressed") is None]


def check_sarif(report, schema, findings):
    log = load_json(report)
    n = schema_errors(log, schema)
    print(f"jsonschema: {report}: {n} error(s) against {schema}")

    # sarif-tools (PyPI `sarif-tools`, what `sarif summary` / `sarif ls` run on).
    from sarif import loader

    sarif_file = loader.load_sarif_file(report)
    read = sarif_file.get_records()
    print(f"sarif-tools: {len(read)} result(s) read")
    levels = Counter(r["Severity"] for r in read)
    print(f"sarif-tools: by level: {dict(sorted(levels.items()))}")
    # What SARIF viewers show: every finding not suppressed, each at its level
    # (error/warning/note for error/warning/info).
    want = Counter(
        {"error": "error", "warning": "warning", "info": "note"}[f["severity"]]
        for f in unsuppressed(findings)
    )
    if levels != want:
        problem(
            f"sarif-tools reads {dict(sorted(levels.items()))} results by level; "
            f"the JSON report has {dict(sorted(want.items()))} unsuppressed findings"
        )
    for r in read:
        if not r.get("Location") or r.get("Line") in (None, "", "-1"):
            problem(f"sarif-tools reads a result without a file and line: {r}")


def check_junit(report, xsd, findings):
    import junitparser
    import xmlschema

    schema = xmlschema.XMLSchema(xsd)
    errors = list(schema.iter_errors(report))
    for e in errors:
        problem(f"{xsd}: {e.path}: {e.reason}")
    print(f"xmlschema: {report}: {len(errors)} error(s) against {xsd}")

    xml = junitparser.JUnitXml.fromfile(report)
    suites = list(xml) if isinstance(xml, junitparser.JUnitXml) else [xml]
    tests = failures = skipped = errors_ = 0
    for suite in suites:
        for case in suite:
            tests += 1
            kinds = {type(r).__name__ for r in case.result}
            failures += "Failure" in kinds
            skipped += "Skipped" in kinds
            errors_ += "Error" in kinds
        # The counts a suite states are what CI pages show first.
        stated = (suite.tests, suite.failures, suite.skipped, suite.errors)
        counted = (
            len(list(suite)),
            sum(any(type(r).__name__ == "Failure" for r in c.result) for c in suite),
            sum(any(type(r).__name__ == "Skipped" for r in c.result) for c in suite),
            sum(any(type(r).__name__ == "Error" for r in c.result) for c in suite),
        )
        if stated != counted:
            problem(
                f"suite {suite.name}: states tests/failures/skipped/errors {stated}, "
                f"holds {counted}"
            )
    print(
        f"junitparser: {len(suites)} suite(s), {tests} test(s), {failures} failure(s), "
        f"{skipped} skipped, {errors_} error(s)"
    )

    # One testcase per finding (plus a passing "valid topology" case for a file with
    # no failure), failing at or above the default --fail-on (warning), skipped when
    # suppressed.
    all_findings = findings["findings"]
    fails = sum(
        1 for f in unsuppressed(findings) if f["severity"] in ("error", "warning")
    )
    suppressed = sum(1 for f in all_findings if f.get("suppressed") is not None)
    if failures != fails:
        problem(f"junitparser reads {failures} failures; the JSON report has {fails} "
                "unsuppressed findings at or above warning")
    if skipped != suppressed:
        problem(f"junitparser reads {skipped} skipped; the JSON report has "
                f"{suppressed} suppressed findings")
    if errors_:
        problem(f"junitparser reads {errors_} errors; infra-lint writes none")
    if not len(all_findings) <= tests <= len(all_findings) + len(suites):
        problem(f"junitparser reads {tests} tests for {len(all_findings)} findings "
                f"in {len(suites)} files")


def check_gitlab(report, schema, findings):
    issues = load_json(report)
    n = schema_errors(issues, schema)
    print(f"jsonschema: {report}: {n} error(s) against {schema}")
    if not isinstance(issues, list):
        return
    # GitLab keys an issue by its fingerprint: two alike would show as one.
    prints = Counter(i.get("fingerprint") for i in issues if isinstance(i, dict))
    for fp, count in prints.items():
        if count > 1:
            problem(f"fingerprint {fp} is on {count} issues; GitLab shows them as one")
    # One issue per unsuppressed finding, with the JSON report's fingerprint.
    want = {f["fingerprint"] for f in unsuppressed(findings)}
    if len(issues) != len(unsuppressed(findings)):
        problem(f"{len(issues)} issues; the JSON report has "
                f"{len(unsuppressed(findings))} unsuppressed findings")
    if set(prints) - want:
        problem(f"fingerprints not in the JSON report: {sorted(map(str, set(prints) - want))}")
    if want - set(prints):
        problem(f"findings of the JSON report missing: {sorted(want - set(prints))}")
    by = Counter(i.get("severity") for i in issues if isinstance(i, dict))
    print(f"gitlab: {len(issues)} issue(s), by severity {dict(sorted(by.items()))}")


def main():
    if len(sys.argv) != 5 or sys.argv[1] not in ("sarif", "junit", "gitlab"):
        print(__doc__, file=sys.stderr)
        return 2
    kind, report, schema, findings = sys.argv[1:]
    check = {"sarif": check_sarif, "junit": check_junit, "gitlab": check_gitlab}[kind]
    try:
        check(report, schema, load_json(findings))
    except Exception as e:  # a consumer that cannot read the report at all
        problem(f"{type(e).__name__}: {e}")
    for p in problems:
        print(f"check-reports: {kind}: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
