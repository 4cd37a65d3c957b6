"""The run report of a real run-local run: opened in headless Chromium, it renders with no console
error, every image loaded and nothing fetched; it states the run's own figures; run-local names
it last. It reads the session's run-local run (tests/integration/conftest.py), runs nothing new.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from testsupport.run_local import NUM_ROUND, Run, evaluation_folder, store_path
from tools.headless_chromium import Browser, check_page

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

FIGURES = {
    "predicted_vs_actual.png",
    "residuals.png",
    "learning_curve.png",
    "error_by_sale_condition.png",
    "error_by_neighborhood.png",
    "feature_importance.png",
}


@pytest.fixture(scope="module")
def folder(run_local_workdir: Path, first_run_local: Run) -> Path:
    """EvaluateModel's output folder of the session's run."""
    assert first_run_local.code == 0, first_run_local.stdout + first_run_local.stderr
    return evaluation_folder(run_local_workdir, first_run_local)


@pytest.fixture(scope="module")
def html(folder: Path) -> str:
    """report.html."""
    return (folder / "report.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the module."""
    with Browser() as running:
        yield running


def test_run_local_names_the_report_last(first_run_local: Run, folder: Path) -> None:
    last = first_run_local.stdout.rstrip().splitlines()[-1]
    assert last == f"Report: {folder / 'report.html'}"


def test_the_report_renders_with_no_console_error_and_every_image_loaded(
    browser: Browser, folder: Path
) -> None:
    check = check_page(browser, (folder / "report.html").as_uri())

    assert check.problems == []
    assert check.title == "Run report: house-price model"
    assert len(check.images) == len(FIGURES)
    assert all(image["width"] > 0 for image in check.images)


def test_the_report_is_one_file_that_fetches_nothing(html: str, folder: Path) -> None:
    sources = re.findall(r'\b(?:src|href)="([^"]*)"', html)
    assert sources, "the report has no images"
    embedded_or_links = [s for s in sources if s.startswith(("data:", "https://"))]
    assert embedded_or_links == sources
    assert all(not s.startswith("https://") for s in re.findall(r'\bsrc="([^"]*)"', html))
    assert "<script" not in html
    assert "stylesheet" not in html
    assert {p.name for p in (folder / "plots").iterdir()} == FIGURES


def test_the_report_states_this_runs_figures(
    html: str, folder: Path, first_run_local: Run, run_local_workdir: Path
) -> None:
    evaluation: dict[str, Any] = json.loads((folder / "evaluation.json").read_text())
    # This run's ProcessData report (other runs in the session's workdir read other data).
    outputs = first_run_local.step("ProcessData")["Properties"]["ProcessingOutputConfig"]
    (uri,) = [o["S3Output"]["S3Uri"] for o in outputs["Outputs"] if o["OutputName"] == "report"]
    processing = json.loads(
        (store_path(run_local_workdir, uri) / "processing_report.json").read_text()
    )
    rmse = evaluation["regression_metrics"]["rmse"]
    assert repr(rmse["value"]) in html
    assert f"{rmse['standard_deviation']:.4f}" in html
    assert "Passes the quality gate" in html
    assert "200 bootstrap resamples" in html
    assert f"{processing['rows_in']:,}" in html
    assert next(iter(processing["reasons"])) in html
    for count in processing["splits"].values():
        assert f"{count:,}" in html
    assert f"<code>{NUM_ROUND}</code>" in html
    inputs = first_run_local.step("ProcessData")["Properties"]["ProcessingInputs"]
    code = next(i["S3Input"]["S3Uri"] for i in inputs if i["InputName"] == "code")
    assert code.startswith("s3://local-artifacts/code/processing/")
    assert code in html
    assert evaluation["run_report"] == ["report.html", "report.md"]


def test_the_logs_are_the_local_log_files_of_each_job(
    html: str, first_run_local: Run, run_local_workdir: Path
) -> None:
    execution = first_run_local.record["PipelineExecutionId"]
    for step in ("ProcessData", "TrainModel", "EvaluateModel"):
        relative = f"executions/{execution}/logs/{step}.log"
        assert relative in html
        assert (run_local_workdir / relative).is_file()
    assert "console.aws.amazon.com" not in html


def test_the_markdown_links_every_figure_file(folder: Path) -> None:
    markdown = (folder / "report.md").read_text(encoding="utf-8")
    linked = re.findall(r"!\[[^\]]*\]\((plots/[^)]+)\)", markdown)
    assert {Path(link).name for link in linked} == FIGURES
    assert all((folder / link).is_file() for link in linked)
    assert markdown.startswith("# Run report: house-price model\n")


def test_the_check_catches_what_a_broken_page_does(browser: Browser, tmp_path: Path) -> None:
    """The browser check is not vacuous: each fault of a broken page is reported."""
    page = tmp_path / "broken.html"
    page.write_text(
        '<!DOCTYPE html><html><head><title>broken</title><link rel="icon" href="data:,"></head>'
        '<body><img src="data:image/png;base64,AAAA"><img src="http://127.0.0.1:9/x.png">'
        '<script>console.error("boom"); missingFunction();</script></body></html>'
    )

    check = check_page(browser, page.as_uri())

    assert "console error: boom" in check.problems
    assert any("missingFunction is not defined" in p for p in check.problems)
    assert "request outside the page: http://127.0.0.1:9/x.png" in check.problems
    assert len(check.broken_images) == 2
