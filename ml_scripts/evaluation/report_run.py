"""The run report's sections on the run itself: training and what the model relies on, the data
that went in, the parameters and code, and where each job's log is."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ml_scripts.evaluation.context import JobLog, RunContext
from ml_scripts.evaluation.document import (
    Block,
    Code,
    Figure,
    Figures,
    Inline,
    Link,
    Paragraph,
    Section,
    Strong,
    Text,
    table,
    text,
)
from ml_scripts.evaluation.report_quality import DASH, pct

TOP_REASONS = 5
NOT_GIVEN = "not given (a run by hand?)"
HYPERPARAMETERS = (
    "max_depth",
    "eta",
    "num_round",
    "early_stopping_rounds",
    "subsample",
    "colsample_bytree",
    "min_child_weight",
    "linear_weight",
    "ridge_alpha",
    "ridge_huber",
    "refit_on_validation",
    "seed",
)


def _model_summary(card: Mapping[str, Any]) -> Text:
    model = card.get("model") or {}
    hp = card.get("hyperparameters") or {}
    blend = (
        f", blended with a Huber ridge regression (weight {hp['linear_weight']})"
        if model.get("linear_file") and "linear_weight" in hp
        else ""
    )
    return text(
        Strong("Model: "),
        f"XGBoost, {model.get('trees', '?')} trees of depth {hp.get('max_depth', '?')}{blend}, "
        f"on {model.get('features', '?')} features of log price; fitted on "
        f"{model.get('fitted_on', '?')}.",
    )


def training(
    figures: Mapping[str, bytes], context: RunContext, importance: Mapping[str, Any]
) -> Section:
    """The model, its learning curve, and the permutation importance of the blend."""
    blocks: list[Block] = []
    if context.model_card is not None:
        blocks.append(Paragraph(_model_summary(context.model_card)))
    shown = []
    if "learning_curve.png" in figures and context.history is not None:
        history = context.history
        shown.append(
            Figure(
                "plots/learning_curve.png",
                figures["learning_curve.png"],
                f"Learning curve of the early-stopping fit; "
                f"{history.best_iteration + 1} rounds kept",
            )
        )
    elif context.history is None:
        blocks.append(Paragraph(text("No learning curve: the model holds no training history.")))
    if "feature_importance.png" in figures:
        shown.append(
            Figure(
                "plots/feature_importance.png",
                figures["feature_importance.png"],
                "Permutation importance of the blend (trees and ridge together)",
            )
        )
    if shown:
        blocks.append(Figures(tuple(shown)))
    if importance:
        blocks.append(
            Paragraph(
                text(
                    Strong("Importance: "),
                    f"each input column in turn is shuffled across {importance['rows']:,} test "
                    "rows and the whole model (trees and ridge blended) predicts again; the bar "
                    "is the rise in RMSE of log price, the whisker its spread over "
                    f"{importance['repeats']} seeded shuffles (seed {importance['seed']}).",
                )
            )
        )
    return Section("Training and what the model relies on", tuple(blocks))


def _reasons(report: Mapping[str, Any]) -> list[Block]:
    reasons = sorted((report.get("reasons") or {}).items(), key=lambda kv: (-kv[1], kv[0]))
    if not reasons:
        return []
    shown = [(reason, f"{count:,}") for reason, count in reasons[:TOP_REASONS]]
    more = len(reasons) - TOP_REASONS
    blocks: list[Block] = [
        table(("why rows were quarantined (top reasons)", "rows"), shown, (False, True))
    ]
    if more > 0:
        blocks.append(Paragraph(text(f"and {more} more reason(s): see quarantine.csv.")))
    return blocks


def _by_instances(report: Mapping[str, Any]) -> str:
    hosts = report.get("hosts") or []
    if len(hosts) < 2:
        return ""
    return (
        f" by {len(hosts)} instances, each its shard (their reports added up: a row in two"
        " shards counts in both)"
    )


def data(context: RunContext) -> Section:
    """Rows in, quarantined with the top reasons, duplicates, the splits."""
    report = context.processing_report
    if report is None:
        return Section("Data", (Paragraph(text(f"ProcessData's report: {NOT_GIVEN}.")),))
    rows_in = int(report.get("rows_in", 0))
    splits = report.get("splits") or {}
    card_rows = (context.model_card or {}).get("rows") or {}
    counts = [
        ("rows in", f"{rows_in:,}", ""),
        ("clean", f"{report.get('rows_clean', 0):,}", ""),
        (
            "quarantined",
            f"{report.get('rows_quarantined', 0):,}",
            f"{pct(report.get('quarantine_rate'), 2)} (the step fails above "
            f"{pct(report.get('max_quarantine_rate'), 0)})",
        ),
        ("exact duplicates (dropped)", f"{report.get('rows_duplicate', 0):,}", ""),
    ]
    for name in ("train", "validation", "test"):
        note = ""
        if name == "train" and "train_excluded" in card_rows:
            note = f"{card_rows['train_excluded']} excluded from fitting (Gr Liv Area > 4000)"
        counts.append((f"{name} split", f"{splits.get(name, 0):,}", note))
    split = report.get("split") or {}
    blocks: list[Block] = [
        Paragraph(
            text(
                Strong("Input: "),
                Code(str(report.get("input_uri"))),
                " version ",
                Code(str(report.get("input_version") or "(none)")),
                f"; {len(report.get('files') or [])} file(s) read{_by_instances(report)}.",
            )
        ),
        table(("rows", "count", ""), counts, (False, True, False)),
        *_reasons(report),
        Paragraph(
            text(
                f"Split: {split.get('method', '?')} (seed {split.get('seed', '?')}); "
                f"validation {pct(split.get('validation_fraction'), 0)}, test "
                f"{pct(split.get('test_fraction'), 0)}. Every row is accounted for: "
                f"rows in = clean + quarantined + duplicates "
                f"({'holds' if report.get('invariant_holds') else 'DOES NOT HOLD'})."
            )
        ),
    ]
    return Section("Data", tuple(blocks))


def _versions(context: RunContext) -> Block:
    trained = (context.model_card or {}).get("library_versions") or {}
    names = sorted(set(trained) | set(context.libraries))
    rows = [
        (name, str(trained.get(name) or DASH), str(context.libraries.get(name) or DASH))
        for name in names
    ]
    return table(("library", "training job", "evaluation job"), rows)


def parameters(context: RunContext) -> Section:
    """The run's parameters, the hyperparameters training used, the code and its libraries."""
    blocks: list[Block] = []
    if context.parameters:
        blocks.append(
            table(
                ("pipeline parameter", "value"),
                [(k, Code(v)) for k, v in context.parameters.items()],
            )
        )
    else:
        blocks.append(Paragraph(text(f"Pipeline parameters: {NOT_GIVEN}.")))
    hp = (context.model_card or {}).get("hyperparameters") or {}
    if hp:
        used = ", ".join(f"{name} {hp[name]}" for name in HYPERPARAMETERS if name in hp)
        blocks.append(Paragraph(text(Strong("Hyperparameters training used: "), used, ".")))
    if context.code_bundles:
        blocks.append(Paragraph(text("Code: each bundle's S3 key ends in a hash of its content.")))
        blocks.append(
            table(
                ("code bundle", "location"), [(k, Code(v)) for k, v in context.code_bundles.items()]
            )
        )
    else:
        blocks.append(Paragraph(text(f"Code bundles: {NOT_GIVEN}.")))
    blocks.append(_versions(context))
    return Section("Parameters and code", tuple(blocks))


def _log_cell(job: JobLog) -> Text:
    if job.console_url is not None:
        return text(Link("CloudWatch Logs", job.console_url), " (", Code(job.log_group), ")")
    if job.local_path is not None:
        return text(Code(job.local_path))
    return text(DASH)


def logs(context: RunContext) -> Section:
    """Where each job's log is: the CloudWatch console, or the run-local workdir's files."""
    rows: list[tuple[Inline | Text, ...]] = []
    for job in context.jobs:
        ran = job.execution_id or DASH
        if job.execution_id and context.execution_id and job.execution_id != context.execution_id:
            ran += " (reused from the cache)"
        rows.append((job.step, Code(job.job_name or DASH), ran, _log_cell(job)))
    if context.is_local:
        note = text(
            "A local run: each path is below the run-local workdir (",
            Code(".local/run"),
            " unless --workdir said otherwise).",
        )
    else:
        note = text("Each link opens the job's log streams in the CloudWatch console.")
    blocks: list[Block] = [
        table(("step", "job", "ran in execution", "log"), rows),
        Paragraph(note),
    ]
    return Section("Logs", tuple(blocks))


def files() -> Section:
    """What lies beside the report."""
    return Section(
        "Files",
        (
            Paragraph(
                text(
                    "Beside this report: ",
                    Code("evaluation.json"),
                    " (every figure above, machine-readable; the gate reads it), ",
                    Code("report.md"),
                    " (this report as Markdown) and ",
                    Code("plots/"),
                    " (the figures as PNG files). Log price is log1p(SalePrice): a difference "
                    "of 0.01 in it is a price about 1% apart.",
                )
            ),
        ),
    )
