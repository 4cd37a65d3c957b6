"""Regenerate docs/run-report.png: a run-local run on the embedded data, its run report captured
whole by headless Chromium (the browser the report's test uses, tools/headless_chromium.py).

    .venv/bin/python tools/screenshot_report.py                  # run-local in a fresh workdir
    .venv/bin/python tools/screenshot_report.py --report PATH    # capture an existing report.html

The page must load cleanly (no console error, every image loaded, nothing fetched) or nothing is
written. Exit code 0 on success, 1 when the run or the page fails, 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:  # run as a script: `tools` is a folder of the checkout
    sys.path.insert(0, str(PROJECT_ROOT))

from tools.headless_chromium import Browser, BrowserError, check_page  # noqa: E402

DEFAULT_OUT = PROJECT_ROOT / "docs" / "run-report.png"
REPORT_LINE = "Report: "


def run_local(workdir: Path) -> Path:
    """Run the pipeline locally on the embedded data; the report's path from its last line."""
    print(f"run-local in {workdir} ...", file=sys.stderr)
    completed = subprocess.run(
        [sys.executable, "-m", "pipeline_definition", "run-local", "--workdir", str(workdir)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = completed.stdout.rstrip().splitlines()
    if completed.returncode != 0 or not lines or not lines[-1].startswith(REPORT_LINE):
        sys.stderr.write(completed.stdout[-3000:] + completed.stderr[-3000:])
        raise RuntimeError(f"run-local failed (exit code {completed.returncode}): no report")
    report = Path(lines[-1][len(REPORT_LINE) :])
    return report if report.is_absolute() else PROJECT_ROOT / report


def capture(report: Path, out: Path, width: int, chromium: str | None) -> int:
    """Capture `report` into `out` when it loads cleanly; 0, else 1 with the problems listed."""
    with tempfile.TemporaryDirectory() as scratch:
        shot = Path(scratch) / "shot.png"
        with Browser(chromium) as browser:
            check = check_page(browser, report.resolve().as_uri(), width=width, screenshot=shot)
        if check.problems:
            print(f"{report} does not load cleanly:", file=sys.stderr)
            for problem in check.problems:
                print(f"  {problem}", file=sys.stderr)
            return 1
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(shot.read_bytes())
    print(f"wrote {out} ({out.stat().st_size:,} bytes) from {report}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="tools/screenshot_report.py", description=__doc__)
    parser.add_argument("--report", type=Path, help="an existing report.html (default: run-local)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="default: %(default)s")
    parser.add_argument("--width", type=int, default=1280, help="page width in CSS pixels")
    parser.add_argument("--chromium", help="the browser (default: $CHROMIUM or /usr/bin/chromium)")
    args = parser.parse_args(argv)
    if args.report is not None and not args.report.is_file():
        parser.error(f"--report {args.report}: no such file")
    try:
        if args.report is not None:
            return capture(args.report, args.out, args.width, args.chromium)
        with tempfile.TemporaryDirectory(prefix="run-report-") as workdir:
            return capture(run_local(Path(workdir)), args.out, args.width, args.chromium)
    except (BrowserError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
