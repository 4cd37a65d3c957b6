"""run-local's summary ends with the run report's path when the evaluation wrote one."""

from __future__ import annotations

from pathlib import Path

from pipeline_definition.local.run_report import report_paths
from pipeline_definition.local.summary import artifacts, display_path, summary_lines

from .local_fakes import LocalRun


def test_the_summary_names_the_run_report_last(local_run: LocalRun) -> None:
    result = local_run.run()
    loaded = local_run.load()
    folders = dict(artifacts(result, local_run.store))

    assert not summary_lines(result, loaded, local_run.store)[-1].startswith("Report:")
    report = folders["Evaluate/evaluation"] / "report.html"
    report.write_text("<!DOCTYPE html><title>report</title>")

    assert summary_lines(result, loaded, local_run.store)[-1] == f"Report: {display_path(report)}"


def test_only_folders_that_hold_a_report_count(tmp_path: Path) -> None:
    (tmp_path / "with").mkdir()
    (tmp_path / "with" / "report.html").write_text("x")
    (tmp_path / "without").mkdir()
    (tmp_path / "model.tar.gz").write_bytes(b"x")

    found = report_paths(
        [("a", tmp_path / "with"), ("b", tmp_path / "without"), ("c", tmp_path / "model.tar.gz")]
    )

    assert found == [tmp_path / "with" / "report.html"]
