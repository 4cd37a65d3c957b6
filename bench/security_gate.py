"""Security gate figures: cdk-nag, cfn-lint and checkov on one fresh synth of the app.

Prints the counts and writes `bench/results/security.md`: findings per tool, unacknowledged
ones (must be zero) and every acknowledgement or skip with its reason.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RESULTS = PROJECT_ROOT / "bench" / "results" / "security.md"
CHECKOV = PROJECT_ROOT / ".venv-security" / "bin" / "checkov"
# Where CDK records Validations.of(...).acknowledge(...) in the cloud assembly.
ACKNOWLEDGED = "aws:cdk:acknowledged-rules"


def _synth(outdir: Path) -> None:
    cdk = PROJECT_ROOT / "node_modules" / ".bin" / "cdk"
    subprocess.run(
        [str(cdk), "synth", "--quiet", "--output", str(outdir)],
        cwd=PROJECT_ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def _acknowledgements(outdir: Path) -> list[tuple[str, str, str]]:
    """(construct path, finding, reason) for every cdk-nag acknowledgement in the assembly."""
    found: list[tuple[str, str, str]] = []
    for metadata_file in sorted(outdir.glob("*.metadata.json")):
        for path, entries in json.loads(metadata_file.read_text()).items():
            for entry in entries:
                if entry.get("type") != ACKNOWLEDGED:
                    continue
                for finding, reason in entry.get("data", {}).items():
                    found.append((path, finding.removeprefix("Annotation::"), str(reason)))
    return found


def _nag_violations(outdir: Path) -> list[str]:
    report_path = outdir / "validation-report.json"
    if not report_path.exists():
        return []
    report = json.loads(report_path.read_text())
    return [
        f"{v['ruleName']} {c['constructPath']}"
        for plugin in report.get("pluginReports", [])
        for v in plugin.get("violations", [])
        for c in v["violatingConstructs"]
    ]


def _cfn_lint(templates: list[Path]) -> tuple[int, int]:
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    result = subprocess.run(
        [str(cfn_lint), "--format", "json", *map(str, templates)],
        capture_output=True,
        text=True,
        check=False,
    )
    findings = json.loads(result.stdout or "[]")
    errors = sum(1 for f in findings if f["Level"] == "Error")
    return errors, len(findings) - errors


def _checkov(outdir: Path) -> dict[str, Any]:
    # Run outside the project so that .checkov.yaml (quiet: only failures) does not apply:
    # the JSON report must list the skipped checks too.
    result = subprocess.run(
        [
            str(CHECKOV),
            "--framework",
            "cloudformation",
            "--skip-download",
            "--output",
            "json",
            "--directory",
            str(outdir),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=outdir,
    )
    report = json.loads(result.stdout)
    reports = report if isinstance(report, list) else [report]
    summary = {"passed": 0, "failed": 0, "skipped": 0}
    skips: list[tuple[str, str, str]] = []
    for entry in reports:
        for key in summary:
            summary[key] += entry["summary"][key]
        for check in entry["results"].get("skipped_checks", []):
            comment = check.get("check_result", {}).get("suppress_comment", "")
            skips.append((check["resource"], check["check_id"], comment))
    return {"summary": summary, "skips": skips}


def main() -> int:
    """Synthesize, run the three tools, print and record the figures."""
    with tempfile.TemporaryDirectory() as scratch:
        outdir = Path(scratch) / "cdk.out"
        _synth(outdir)
        violations = _nag_violations(outdir)
        acknowledgements = _acknowledgements(outdir)
        errors, warnings = _cfn_lint(sorted(outdir.glob("*.template.json")))
        checkov = _checkov(outdir) if CHECKOV.exists() else None
    lines = [
        "## Security gate",
        "",
        "Command: `make security` (or `.venv/bin/python bench/security_gate.py`), one synth.",
        "",
        "| tool | findings | unacknowledged | acknowledged / skipped |",
        "| --- | --- | --- | --- |",
        f"| cdk-nag AwsSolutions + Serverless | {len(violations) + len(acknowledgements)} "
        f"| {len(violations)} | {len(acknowledgements)} |",
        f"| cfn-lint | {errors} errors, {warnings} warnings | {errors + warnings} | 0 |",
    ]
    if checkov:
        s = checkov["summary"]
        total = s["passed"] + s["failed"] + s["skipped"]
        lines.append(
            f"| checkov | {s['failed'] + s['skipped']} (of {total} checks) "
            f"| {s['failed']} failed | {s['skipped']} skipped |"
        )
    lines += [
        "",
        "### cdk-nag acknowledgements",
        "",
        "| construct | finding | reason |",
        "| --- | --- | --- |",
    ]
    lines += [f"| `{p}` | `{f}` | {r} |" for p, f, r in sorted(acknowledgements)]
    if checkov:
        lines += [
            "",
            "### checkov skips",
            "",
            "| resource | check | reason |",
            "| --- | --- | --- |",
        ]
        lines += [f"| `{r}` | {c} | {m} |" for r, c, m in sorted(checkov["skips"])]
    text = "\n".join(lines) + "\n"
    print(text)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text)
    failed = checkov["summary"]["failed"] if checkov else 0
    return 0 if not violations and errors == 0 and failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
