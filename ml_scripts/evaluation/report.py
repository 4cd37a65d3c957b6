"""The run report: one page that says what a run did, beside evaluation.json.

`report.html` is self-contained (styles inline, figures as `data:` URIs: it opens offline and
fetches nothing); `report.md` says the same in Markdown and links to the PNG files in `plots/`.
Both are written by EvaluateModel, in the cloud and under run-local, before CheckQuality runs:
the verdict they state is the one CheckQuality reaches, because it compares the same figures
with the same literals (the threshold and tolerance are passed to the job).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ml_scripts import layout
from ml_scripts.evaluation import report_quality, report_run
from ml_scripts.evaluation.context import RunContext
from ml_scripts.evaluation.document import Code, Document, text
from ml_scripts.evaluation.render_html import render_html
from ml_scripts.evaluation.render_markdown import render_markdown

TITLE = "Run report: house-price model"


def _subtitle(report: Mapping[str, Any], context: RunContext, written: datetime) -> tuple[Any, ...]:
    parts: list[Any] = []
    if context.execution_id:
        parts += ["Execution ", Code(context.execution_id), " · "]
    parts.append(f"written {written:%Y-%m-%d %H:%M} UTC by EvaluateModel")
    if context.job_name:
        parts += [" (job ", Code(context.job_name), ")"]
    parts.append(f" · {int(report['rows']):,} test rows")
    return text(*parts)


def build_document(
    report: Mapping[str, Any],
    context: RunContext,
    figures: Mapping[str, bytes],
    largest_errors: Sequence[Mapping[str, Any]],
    *,
    written: datetime | None = None,
) -> Document:
    """The report's content, from evaluation.json's content and the run's context."""
    moment = written or datetime.now(UTC)
    segments = report.get("error_by_segment") or {}
    importance = report.get("permutation_importance") or {}
    sections = (
        report_quality.verdict(report, context),
        report_quality.metrics(report, report.get("price_metrics_standard_deviation") or {}),
        report_quality.predictions(figures, largest_errors),
        report_quality.segments(figures, segments),
        report_run.training(figures, context, importance),
        report_run.data(context),
        report_run.parameters(context),
        report_run.logs(context),
        report_run.files(),
    )
    return Document(TITLE, _subtitle(report, context, moment), sections)


def write_run_report(
    output_dir: Path, document: Document, figures: Mapping[str, bytes]
) -> list[str]:
    """Write plots/*.png, report.html and report.md; return the report files' names."""
    plots = output_dir / "plots"
    plots.mkdir(parents=True, exist_ok=True)
    for name, png in figures.items():
        (plots / name).write_bytes(png)
    (output_dir / layout.REPORT_HTML_FILE).write_text(render_html(document), encoding="utf-8")
    (output_dir / layout.REPORT_MARKDOWN_FILE).write_text(
        render_markdown(document), encoding="utf-8"
    )
    return [layout.REPORT_HTML_FILE, layout.REPORT_MARKDOWN_FILE]
