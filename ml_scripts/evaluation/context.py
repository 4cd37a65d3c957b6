"""What the run report knows about the run besides the scores: parameters, code, data, logs.

The pipeline passes it to EvaluateModel as container arguments (pipeline_definition/build/
run_report.py): the run's parameters, the code bundles, the gate's threshold and tolerance,
ProcessData's report (an input), the upstream jobs' names. The job's own description,
`/opt/ml/config/processingjobconfig.json`, gives its name and its inputs' and output's S3 URIs;
the pipeline writes every output below `s3://<bucket>/<area>/<execution id>/<step>/...`, so those
URIs name the step and the execution each job ran in (an earlier one for a cache hit).

Run by hand, without these arguments, the report says what it was not given.

ProcessData on several instances writes one report per instance (`processing_report-algo-2.json`,
ml_scripts/processing/cluster.py); the run report shows their sum. A row that was in two
instances' shards counts in both there: only the splits tell such repeats apart
(`python -m ml_scripts.processing.combine` does).
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ml_scripts import layout
from ml_scripts.common.history import TrainingHistory
from ml_scripts.inference.model import MODEL_CARD_FILE

logger = logging.getLogger(__name__)

LOCAL_REGION = "local"  # the region of a run-local job's ARN (pipeline_definition/local/names.py)
CONSOLE = "https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
LOG_GROUPS = {
    "processing": "/aws/sagemaker/ProcessingJobs",
    "training": "/aws/sagemaker/TrainingJobs",
}


@dataclass(frozen=True)
class JobLog:
    """Where one job of the run left its log."""

    step: str
    kind: str  # "processing" or "training"
    job_name: str | None
    execution_id: str | None
    region: str | None

    @property
    def is_local(self) -> bool:
        """A run-local job: its log is a file in the run-local workdir."""
        return self.region == LOCAL_REGION

    @property
    def log_group(self) -> str:
        """The job's CloudWatch log group."""
        return LOG_GROUPS[self.kind]

    @property
    def console_url(self) -> str | None:
        """The CloudWatch console, on the job's log streams (None locally or unknown)."""
        if self.job_name is None or self.region is None or self.is_local:
            return None
        group = self.log_group.replace("/", "$252F")
        return (
            CONSOLE.format(region=self.region)
            + f"#logsV2:log-groups/log-group/{group}$3FlogStreamNameFilter$3D{self.job_name}"
        )

    @property
    def local_path(self) -> str | None:
        """The log file below the run-local workdir (None in the cloud or unknown)."""
        if not self.is_local or self.execution_id is None:
            return None
        return f"executions/{self.execution_id}/logs/{self.step}.log"


@dataclass(frozen=True)
class RunContext:
    """Everything about the run that the evaluation itself does not compute."""

    parameters: dict[str, str] = field(default_factory=dict)
    code_bundles: dict[str, str] = field(default_factory=dict)
    rmse_threshold: float | None = None
    champion_tolerance: float | None = None
    processing_report: dict[str, Any] | None = None
    model_card: dict[str, Any] | None = None
    history: TrainingHistory | None = None
    jobs: tuple[JobLog, ...] = ()
    execution_id: str | None = None
    job_name: str | None = None
    libraries: dict[str, str | None] = field(default_factory=dict)

    @property
    def is_local(self) -> bool:
        """Whether the jobs ran under run-local."""
        return any(job.is_local for job in self.jobs)


def add_report_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments the pipeline passes for the run report (all optional)."""
    group = parser.add_argument_group("run report (the pipeline passes these)")
    group.add_argument("--processing-report-dir", type=Path, default=None)
    group.add_argument("--job-config", type=Path, default=None, help="processingjobconfig.json")
    group.add_argument("--rmse-threshold", type=float, default=None)
    group.add_argument("--champion-tolerance", type=float, default=None)
    group.add_argument("--processing-job-name", default="")
    group.add_argument("--processing-job-arn", default="")
    group.add_argument("--training-job-name", default="")
    for flag, what in (("--parameter", "a pipeline parameter"), ("--code-bundle", "a code bundle")):
        group.add_argument(
            flag, nargs=2, action="append", default=[], metavar=("NAME", "VALUE"), help=what
        )


def _read_json(path: Path, what: str) -> dict[str, Any] | None:
    if not path.is_file():
        logger.warning("%s not found at %s: the run report goes without it", what, path)
        return None
    try:
        document = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        logger.warning(
            "%s at %s cannot be read (%s): the run report goes without it", what, path, error
        )
        return None
    return document if isinstance(document, dict) else None


PROCESSING_COUNTS = ("rows_in", "rows_clean", "rows_quarantined", "rows_duplicate")


def merge_processing_reports(reports: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Several instances' processing reports added up: rows, reasons, files and splits."""
    merged = dict(reports[0])
    for name in PROCESSING_COUNTS:
        merged[name] = sum(int(report.get(name) or 0) for report in reports)
    reasons: Counter[str] = Counter()
    splits: Counter[str] = Counter()
    for report in reports:
        reasons.update(report.get("reasons") or {})
        splits.update(report.get("splits") or {})
    rows_in = merged["rows_in"]
    merged.update(
        reasons=dict(sorted(reasons.items())),
        splits=dict(splits),
        files=[item for report in reports for item in report.get("files") or []],
        quarantine_rate=merged["rows_quarantined"] / rows_in if rows_in else 0.0,
        invariant_holds=all(bool(report.get("invariant_holds")) for report in reports),
        status="succeeded" if all(r.get("status") == "succeeded" for r in reports) else "failed",
        hosts=[report.get("host") for report in reports],
    )
    return merged


def read_processing_report(folder: Path) -> dict[str, Any] | None:
    """ProcessData's report in `folder`: one instance's, or every instance's added up."""
    single = folder / layout.PROCESSING_REPORT_FILE
    parts = sorted(folder.glob(f"{single.stem}-*{single.suffix}"))
    if single.is_file() or not parts:
        return _read_json(single, "ProcessData's report")
    reports = [_read_json(path, "an instance's processing report") for path in parts]
    if any(report is None for report in reports):
        return None
    return merge_processing_reports([report for report in reports if report is not None])


def execution_of(uri: str | None) -> tuple[str | None, str | None]:
    """(execution id, step) of an S3 URI below `s3://<bucket>/<area>/<execution>/<step>/`."""
    if not uri or not uri.startswith("s3://"):
        return None, None
    parts = uri[len("s3://") :].split("/")
    if len(parts) < 5 or not all(parts[:4]):
        return None, None
    return parts[2], parts[3]


def _job_uris(config: Mapping[str, Any] | None) -> dict[str, str]:
    """Input and output name -> S3 URI in a processing job's description."""
    if config is None:
        return {}
    uris: dict[str, str] = {}
    for item in config.get("ProcessingInputs") or []:
        if isinstance(item, Mapping) and isinstance(item.get("S3Input"), Mapping):
            uris[str(item.get("InputName"))] = str(item["S3Input"].get("S3Uri", ""))
    for item in (config.get("ProcessingOutputConfig") or {}).get("Outputs") or []:
        if isinstance(item, Mapping) and isinstance(item.get("S3Output"), Mapping):
            uris[str(item.get("OutputName"))] = str(item["S3Output"].get("S3Uri", ""))
    return uris


def region_of(arn: str) -> str | None:
    """The region of an ARN (`arn:partition:service:region:account:resource`)."""
    parts = arn.split(":")
    if len(parts) < 6 or parts[0] != "arn" or not parts[3]:
        return None
    return parts[3]


def job_logs(args: argparse.Namespace, config: Mapping[str, Any] | None) -> tuple[JobLog, ...]:
    """ProcessData, TrainModel and this job, each with the execution it ran in."""
    uris = _job_uris(config)
    region = region_of(args.processing_job_arn)
    this_job = str(config.get("ProcessingJobName")) if config else None
    specs = [
        ("processing", args.processing_job_name, uris.get("processing-report"), "ProcessData"),
        ("training", args.training_job_name, uris.get("model"), "TrainModel"),
        ("processing", this_job, uris.get(layout.EVALUATION_OUTPUT), "EvaluateModel"),
    ]
    jobs = []
    for kind, name, uri, fallback in specs:
        execution, step = execution_of(uri)
        jobs.append(JobLog(step or fallback, kind, name or None, execution, region))
    return tuple(jobs)


def library_versions() -> dict[str, str | None]:
    """This job's Python and the versions of the libraries evaluation imports."""
    import numpy  # noqa: PLC0415 (versions only)
    import pandas  # noqa: PLC0415
    import xgboost  # noqa: PLC0415

    versions: dict[str, str | None] = {
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "pandas": pandas.__version__,
        "xgboost": xgboost.__version__,
    }
    try:
        import matplotlib  # noqa: PLC0415 (optional: plots only)

        versions["matplotlib"] = matplotlib.__version__
    except ImportError:
        versions["matplotlib"] = None
    return versions


def _pairs(values: Sequence[Sequence[str]]) -> dict[str, str]:
    return {str(name): str(value) for name, value in values}


def _history(model_dir: Path) -> TrainingHistory | None:
    try:
        return TrainingHistory.load(model_dir)
    except ValueError as error:
        logger.warning("the model's training history cannot be read (%s): no learning curve", error)
        return None


def run_context(args: argparse.Namespace, model_dir: Path) -> RunContext:
    """The run context from the step's arguments and the extracted model directory."""
    config = _read_json(args.job_config, "the job's description") if args.job_config else None
    report = None
    if args.processing_report_dir is not None:
        report = read_processing_report(args.processing_report_dir)
    jobs = job_logs(args, config)
    return RunContext(
        parameters=_pairs(args.parameter),
        code_bundles=_pairs(args.code_bundle),
        rmse_threshold=args.rmse_threshold,
        champion_tolerance=args.champion_tolerance,
        processing_report=report,
        model_card=_read_json(model_dir / MODEL_CARD_FILE, "the model card"),
        history=_history(model_dir),
        jobs=jobs,
        execution_id=jobs[-1].execution_id,
        job_name=jobs[-1].job_name,
        libraries=library_versions(),
    )


def default_report_arguments() -> argparse.Namespace:
    """The report arguments of a run by hand: none given."""
    parser = argparse.ArgumentParser(add_help=False)
    add_report_arguments(parser)
    return parser.parse_args([])
