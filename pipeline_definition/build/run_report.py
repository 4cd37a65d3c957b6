"""What EvaluateModel's run report needs beyond the model, the test split and the champion.

The report (`report.html` and `report.md` beside `evaluation.json`, ml_scripts/evaluation/
report.py) states the run's parameters, the code it ran, the gate's verdict and where each job's
log is. A processing job cannot look these up (network isolation, no AWS calls), so the
definition passes them as container arguments:

- where the job finds its own description (its name, and its inputs' and output's S3 URIs,
  which name the execution each input came from);
- every pipeline parameter, as `--parameter NAME VALUE` (two arguments, so a 256-character
  InputData fits the API's limit on one argument);
- the code bundles' S3 keys, whose content hashes identify the code;
- the gate's threshold and tolerance, the same literals CheckQuality compares with;
- ProcessData's and TrainModel's job names, and ProcessData's job ARN (its region and account
  name the CloudWatch console; a local run's ARN names the region `local`).

Nothing here is unique to one execution: the job names and the ARN are the properties of the
jobs that made EvaluateModel's inputs (a cache hit's are the original job's), so an unchanged
run still reuses EvaluateModel from the cache. The execution ARN would not: it changes each run.
"""

from __future__ import annotations

from sagemaker.core.workflow.parameters import ParameterString
from sagemaker.mlops.workflow.steps import ProcessingStep, TrainingStep

from ml_scripts import layout
from pipeline_definition.build.code_bundles import BUNDLES, stage_bundle
from pipeline_definition.build.config import PipelineConfig
from pipeline_definition.build.offline_session import OfflinePipelineSession
from pipeline_definition.build.parameters import PipelineParameters


def report_arguments(
    config: PipelineConfig,
    session: OfflinePipelineSession,
    parameters: PipelineParameters,
    process: ProcessingStep,
    train: TrainingStep,
) -> list[object]:
    """EvaluateModel's container arguments for the run report."""
    arguments: list[object] = [
        "--processing-report-dir",
        layout.EVALUATION_PROCESSING_REPORT_DIR,
        "--job-config",
        layout.PROCESSING_JOB_CONFIG,
        "--rmse-threshold",
        repr(config.rmse_threshold),
        "--champion-tolerance",
        repr(config.champion_tolerance),
        "--processing-job-name",
        process.properties.ProcessingJobName,
        "--processing-job-arn",
        process.properties.ProcessingJobArn,
        "--training-job-name",
        train.properties.TrainingJobName,
    ]
    for bundle in BUNDLES:
        staged = stage_bundle(session.staging, config.ml_scripts_dir, bundle)
        arguments += ["--code-bundle", bundle, f"s3://{config.artifact_bucket}/{staged.key}"]
    for parameter in parameters.as_list():
        value = parameter if isinstance(parameter, ParameterString) else parameter.to_string()
        arguments += ["--parameter", parameter.name, value]
    return arguments
