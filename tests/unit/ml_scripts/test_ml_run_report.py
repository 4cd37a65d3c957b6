"""The run report: what the evaluation step knows about the run, the verdict, the rendering."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from ml_scripts.common.io import read_split
from ml_scripts.evaluation.context import (
    JobLog,
    RunContext,
    default_report_arguments,
    execution_of,
    job_logs,
    region_of,
)
from ml_scripts.evaluation.document import (
    Callout,
    Code,
    Document,
    Figure,
    Figures,
    Link,
    Paragraph,
    Section,
    Strong,
    table,
    text,
)
from ml_scripts.evaluation.evaluate import main
from ml_scripts.evaluation.importance import permutation_importance
from ml_scripts.evaluation.render_html import render_html
from ml_scripts.evaluation.render_markdown import render_markdown
from ml_scripts.evaluation.report_quality import verdict
from ml_scripts.evaluation.segments import error_by_segment, largest_errors
from ml_scripts.inference.model import HousePriceModel

REGION = "eu-west-1"
ARN = f"arn:aws:sagemaker:{REGION}:123456789012:processing-job/pipelines-abc-processdata"


def test_an_outputs_uri_names_the_execution_and_the_step_it_ran_in() -> None:
    assert execution_of("s3://bucket/evaluation/exec-7/EvaluateModel/report") == (
        "exec-7",
        "EvaluateModel",
    )
    model = "s3://b/models/exec-1/TrainModel/model/pipelines-x-TrainModel/output/model.tar.gz"
    assert execution_of(model) == ("exec-1", "TrainModel")
    for other in ("", None, "s3://bucket/x.csv", "/opt/ml/model", "s3://b//e/S/o"):
        assert execution_of(other) == (None, None)


def test_the_region_comes_from_a_job_arn() -> None:
    assert region_of(ARN) == REGION
    assert region_of("arn:aws:sagemaker:local:000000000000:processing-job/x") == "local"
    assert region_of("") is None
    assert region_of("not-an-arn") is None


def test_a_cloud_job_links_to_its_log_streams_in_the_cloudwatch_console() -> None:
    job = JobLog("TrainModel", "training", "pipelines-abc-TrainModel-Xy12", "exec-1", REGION)

    assert job.console_url == (
        f"https://{REGION}.console.aws.amazon.com/cloudwatch/home?region={REGION}"
        "#logsV2:log-groups/log-group/$252Faws$252Fsagemaker$252FTrainingJobs"
        "$3FlogStreamNameFilter$3Dpipelines-abc-TrainModel-Xy12"
    )
    assert job.local_path is None


def test_a_local_job_names_its_log_file_below_the_workdir() -> None:
    job = JobLog("ProcessData", "processing", "pipelines-abc-ProcessData", "local-1", "local")

    assert job.console_url is None
    assert job.local_path == "executions/local-1/logs/ProcessData.log"


def test_each_job_is_found_with_the_execution_it_ran_in() -> None:
    args = default_report_arguments()
    args.processing_job_name, args.processing_job_arn = "pipelines-abc-ProcessData", ARN
    args.training_job_name = "pipelines-abc-TrainModel"
    config = {
        "ProcessingJobName": "pipelines-def-EvaluateModel",
        "ProcessingInputs": [
            {
                "InputName": "processing-report",
                "S3Input": {"S3Uri": "s3://d/processed/old/ProcessData/report"},
            },
            {
                "InputName": "model",
                "S3Input": {"S3Uri": "s3://a/models/old/TrainModel/model/j/output/model.tar.gz"},
            },
        ],
        "ProcessingOutputConfig": {
            "Outputs": [
                {
                    "OutputName": "evaluation",
                    "S3Output": {"S3Uri": "s3://a/evaluation/new/EvaluateModel/report"},
                }
            ]
        },
    }

    jobs = job_logs(args, config)

    assert [(j.step, j.job_name, j.execution_id, j.region) for j in jobs] == [
        ("ProcessData", "pipelines-abc-ProcessData", "old", REGION),
        ("TrainModel", "pipelines-abc-TrainModel", "old", REGION),
        ("EvaluateModel", "pipelines-def-EvaluateModel", "new", REGION),
    ]


def _report(rmse: float, above: float = 0.0, *, champion: bool = False) -> dict[str, Any]:
    metric = {"value": rmse, "standard_deviation": 0.01}
    return {
        "rows": 352,
        "regression_metrics": {"rmse": metric, "mae": metric, "r2": metric},
        "price_metrics": {"rmse_usd": 20000.0, "mae_usd": 12000.0, "mape": 0.07},
        "champion": {
            "present": champion,
            "model_uri": "s3://a/models/v1/model.tar.gz" if champion else None,
            "regression_metrics": {"rmse": metric, "mae": metric, "r2": metric}
            if champion
            else None,
            "price_metrics": {"rmse_usd": 19000.0, "mae_usd": 11000.0, "mape": 0.06}
            if champion
            else None,
            "rmse_above_champion": above,
            "description": "there is no champion to compare with",
        },
    }


def _callout(section: Section) -> Callout:
    found = [b for b in section.blocks if isinstance(b, Callout)]
    assert len(found) == 1
    return found[0]


GATE = RunContext(rmse_threshold=0.15, champion_tolerance=0.005)


def test_the_verdict_passes_with_both_margins() -> None:
    section = verdict(_report(0.12), GATE)

    assert _callout(section).tone == "pass"
    html = render_html(Document("t", text(), (section,)))
    assert "+0.0300" in html  # 0.15 - 0.12
    assert "0 (no champion)" in html


def test_the_verdict_fails_above_the_threshold_or_behind_the_champion() -> None:
    assert _callout(verdict(_report(0.16), GATE)).tone == "fail"
    behind = verdict(_report(0.12, above=0.0167, champion=True), GATE)
    assert _callout(behind).tone == "fail"
    html = render_html(Document("t", text(), (behind,)))
    assert "-0.0117" in html  # the tolerance's margin: 0.005 - 0.0167
    assert "s3://a/models/v1/model.tar.gz" in html
    assert "$1,000" in html  # the RMSE in dollars against the champion's


def test_without_the_gates_literals_the_report_says_so() -> None:
    assert _callout(verdict(_report(0.12), RunContext())).tone == "note"


def _document() -> Document:
    return Document(
        "Report <1>",
        text("by ", Code("a|b")),
        (
            Section(
                "S & T",
                (
                    Paragraph(text("<script>alert(1)</script> *not bold*")),
                    Paragraph(
                        text(
                            Link("safe", "https://example.org/?a=1&b=2"),
                            Link("bad", "javascript:alert(1)"),
                        )
                    ),
                    table(("name", "value"), [("a|b", "1")], (False, True)),
                    Figures((Figure("plots/x.png", b"\x89PNG", "A figure"),)),
                ),
            ),
        ),
    )


def test_html_escapes_every_text_and_links_only_http() -> None:
    page = render_html(_document())

    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert '<a href="https://example.org/?a=1&amp;b=2">safe</a>' in page
    assert "javascript:" not in page
    assert 'src="data:image/png;base64,iVBORw=="' in page
    assert '<td class="num">1</td>' in page


def test_markdown_escapes_table_cells_and_links_the_figure_files() -> None:
    markdown = render_markdown(_document())

    assert markdown.startswith("# Report \\<1\\>\n")
    assert "| a\\|b | 1 |" in markdown
    assert "\\*not bold\\*" in markdown
    assert "[safe](<https://example.org/?a=1&b=2>)" in markdown
    assert "javascript:" not in markdown
    assert "![A figure](plots/x.png)" in markdown
    assert "| --- | ---: |" in markdown


def test_markdown_keeps_the_spaces_around_code_and_emphasis() -> None:
    document = Document(
        "t",
        text("Execution ", Code("local-1"), " · written"),
        (Section("s", (Paragraph(text(Strong("Champion: "), "none.")),)),),
    )

    markdown = render_markdown(document)

    assert "Execution `local-1` · written" in markdown
    assert "**Champion:** none." in markdown


def test_segments_are_ordered_by_error_with_their_row_counts() -> None:
    test = pd.DataFrame({"Sale Condition": pd.Categorical(["Normal", "Normal", "Abnorml", None])})
    actual = np.log1p(np.array([100.0, 100.0, 100.0, 100.0]))
    predicted = actual + np.array([0.1, -0.1, 0.5, 0.2])

    found = error_by_segment(test, actual, predicted, "Sale Condition")

    assert [(s["segment"], s["rows"]) for s in found] == [
        ("Abnorml", 1),
        ("(missing)", 1),
        ("Normal", 2),
    ]
    assert found[0]["rmse"] == pytest.approx(0.5)
    assert found[2]["bias"] == pytest.approx(0.0)


def test_the_largest_errors_come_first_with_what_describes_the_house() -> None:
    test = pd.DataFrame(
        {"Neighborhood": pd.Categorical(["A", "B", "C"]), "Gr Liv Area": [1.0, 2.0, 3.0]}
    )
    errors = largest_errors(
        test, np.array([100.0, 100.0, 100.0]), np.array([110.0, 300.0, 50.0]), 2
    )

    assert [(e["row"], e["Neighborhood"], e["Gr Liv Area"]) for e in errors] == [
        (1, "B", 2.0),
        (2, "C", 3.0),
    ]


@pytest.fixture(scope="module")
def model(model_dir: Path) -> HousePriceModel:
    return HousePriceModel.load(model_dir)


def test_permutation_importance_is_seeded_and_ranks_living_area_high(
    model: HousePriceModel, processed_dir: Path
) -> None:
    test = read_split(processed_dir / "test").iloc[:120]

    first, rows = permutation_importance(model, test, repeats=2, seed=5)
    again, _ = permutation_importance(model, test, repeats=2, seed=5)
    capped, capped_rows = permutation_importance(model, test, repeats=2, seed=5, max_rows=50)

    assert first == again
    assert (rows, capped_rows) == (120, 50)
    assert {"Gr Liv Area", "Overall Qual"} & {f.column for f in first[:3]}
    assert len(first) == len(capped) == 79
    # A column whose values are all the same cannot change anything when shuffled.
    constant = test.assign(**{"Pool Area": 0.0})
    found, _ = permutation_importance(model, constant, repeats=2, seed=5)
    assert next(f for f in found if f.column == "Pool Area").rmse_increase == 0.0


def test_the_step_writes_a_report_of_a_failing_gate_with_the_runs_context(
    model_dir: Path, processed_dir: Path, tmp_path: Path
) -> None:
    archive = tmp_path / "model" / "model.tar.gz"
    archive.parent.mkdir()
    with tarfile.open(archive, "w:gz") as tar:
        for item in sorted(model_dir.iterdir()):
            tar.add(item, arcname=item.name)
    job_config = tmp_path / "processingjobconfig.json"
    job_config.write_text(
        json.dumps(
            {
                "ProcessingJobName": "pipelines-e-EvaluateModel",
                "ProcessingOutputConfig": {
                    "Outputs": [
                        {
                            "OutputName": "evaluation",
                            "S3Output": {"S3Uri": "s3://a/evaluation/e-1/EvaluateModel/report"},
                        }
                    ]
                },
            }
        )
    )
    output = tmp_path / "evaluation"

    code = main(
        [
            *("--model-dir", str(archive.parent), "--test-dir", str(processed_dir / "test")),
            *(
                "--output-dir",
                str(output),
                "--processing-report-dir",
                str(processed_dir / "report"),
            ),
            *("--job-config", str(job_config), "--rmse-threshold", "0.0001"),
            *("--champion-tolerance", "0.005", "--processing-job-arn", ARN),
            *(
                "--parameter",
                "NumRound",
                "150",
                "--code-bundle",
                "evaluation",
                "s3://a/code/evaluation/0123/",
            ),
        ]
    )

    assert code == 0
    page = (output / "report.html").read_text()
    assert "Fails the quality gate" in page
    assert "<code>pipelines-e-EvaluateModel</code>" in page
    assert "<code>e-1</code>" in page
    assert "s3://a/code/evaluation/0123/" in page
    assert "Garage Yr Blt" in page or "quarantined" in page
    assert "console.aws.amazon.com/cloudwatch" in page
    evaluation = json.loads((output / "evaluation.json").read_text())
    assert evaluation["permutation_importance"]["repeats"] == 3
    assert set(evaluation["error_by_segment"]) == {"Sale Condition", "Neighborhood"}
    assert set(evaluation["price_metrics_standard_deviation"]) == {"rmse_usd", "mae_usd", "mape"}
