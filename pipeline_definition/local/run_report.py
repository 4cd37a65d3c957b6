"""Where a run's report is: the `report.html` that EvaluateModel wrote beside evaluation.json.

The summary names it last, so the one file worth opening after a run is the last line printed.
A cache hit names the report of the run that produced the reused result.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ml_scripts.layout import REPORT_HTML_FILE


def report_paths(artifacts: Iterable[tuple[str, Path]]) -> list[Path]:
    """The run reports among a run's artifacts (label, local folder), in order."""
    return [
        path / REPORT_HTML_FILE
        for _, path in artifacts
        if path.is_dir() and (path / REPORT_HTML_FILE).is_file()
    ]
