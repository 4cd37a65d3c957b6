"""The pipeline factory: the whole graph, built with the SageMaker Python SDK v3.

```
CheckInstanceLimits --(counts within 1..4)--> ProcessData -> TrainModel -> EvaluateModel -> ...
                    \\--(otherwise)---------> FailOnInstanceLimits
... -> CheckQuality --(rmse <= threshold, not worse than the champion)--> RegisterModel
                    \\--(otherwise)-------------------------------------> FailOnQuality
```

- CheckInstanceLimits ends the run before any job starts when ProcessingInstanceCount or
  TrainingInstanceCount is outside the bounds in instance_types.py (gates.py says why a
  Condition step and not allowed values).
- ProcessData (scikit-learn container) validates the raw CSV against the data contract,
  quarantines bad rows and writes train/validation/test splits (each instance its shard's).
- TrainModel (XGBoost container, `ModelTrainer` script mode; several hosts train one model)
  fits the feature transform and XGBoost blended with a robust ridge on log price (early
  stopping, then a refit on train + validation) into `model.tar.gz`, with the serving code.
- EvaluateModel (XGBoost container, one instance) scores the test split, and the champion
  (ChampionModelData: the newest Approved version's model, or a placeholder meaning none) on the
  same rows, and writes `evaluation.json` (the `EvaluationReport` property file) and the run
  report (run_report.py: what it is given besides ProcessData's report).
- CheckQuality compares `regression_metrics.rmse.value` with the RMSE threshold and
  `champion.rmse_above_champion` with the tolerance, deploy-time settings written here as
  literals (project/controls.py): no run parameter can move them.
- RegisterModel registers the model package with its metrics, with the approval status the
  deploy-time setting names (PendingManualApproval unless it says Approved); FailOnQuality
  stops the run with a message that states the measured value and the threshold.

Every job step encrypts volumes and outputs with the stack's KMS key, encrypts traffic between
containers, runs with network isolation (none of them needs the network: SageMaker moves the
inputs and outputs) and retries transient SageMaker and service errors. Caching is on, which
is sound because the definition is deterministic: unchanged code and inputs render to
byte-identical step arguments.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sagemaker.core import image_uris
from sagemaker.core.model_metrics import MetricsSource, ModelMetrics
from sagemaker.core.network import NetworkConfig
from sagemaker.core.processing import Processor
from sagemaker.core.shapes import (
    ProcessingInput,
    StoppingCondition,
)
from sagemaker.core.training.configs import (
    Compute,
    InputData,
    Networking,
    OutputDataConfig,
    SourceCode,
)
from sagemaker.core.workflow.execution_variables import ExecutionVariables
from sagemaker.core.workflow.functions import Join
from sagemaker.core.workflow.properties import PropertyFile
from sagemaker.mlops.workflow.model_step import ModelStep
from sagemaker.mlops.workflow.pipeline import Pipeline
from sagemaker.mlops.workflow.retry import (
    SageMakerJobExceptionTypeEnum,
    SageMakerJobStepRetryPolicy,
    StepExceptionTypeEnum,
    StepRetryPolicy,
)
from sagemaker.mlops.workflow.steps import CacheConfig, ProcessingStep, TrainingStep
from sagemaker.serve.model_builder import ModelBuilder
from sagemaker.train import ModelTrainer

from ml_scripts import layout
from pipeline_definition.build.champion import stage_no_champion
from pipeline_definition.build.code_bundles import stage_bundle
from pipeline_definition.build.config import SKLEARN_VERSION, XGBOOST_VERSION, PipelineConfig
from pipeline_definition.build.gates import REGISTER_STEP, instance_limits_gate, quality_gate
from pipeline_definition.build.offline_session import OfflinePipelineSession
from pipeline_definition.build.parameters import PipelineParameters, pipeline_parameters
from pipeline_definition.build.processing_io import s3_input, s3_output
from pipeline_definition.build.run_report import report_arguments
from pipeline_definition.build.serving import serving_environment
from project.champion import MODELS_AREA

# Step names are part of the contract with the executor, the diff and the monitoring CLI.
PROCESS_STEP = "ProcessData"
TRAIN_STEP = "TrainModel"
EVALUATE_STEP = "EvaluateModel"

EVALUATION_PROPERTY_FILE = "EvaluationReport"

# A reused result older than this runs again: long enough to skip repeated work in a day of
# iterating on later steps, short enough that a stale model is not silently reused.
CACHE_EXPIRY = "P7D"
# Bounded retries: transient job errors back off exponentially over roughly ten minutes.
JOB_RETRY_ATTEMPTS = 3
STEP_RETRY_ATTEMPTS = 5
MAX_RUNTIME_SECONDS = 3600
VOLUME_SIZE_GB = 30


@dataclass(frozen=True)
class _Context:
    config: PipelineConfig
    session: OfflinePipelineSession
    parameters: PipelineParameters

    @property
    def region(self) -> str:
        return self.config.region


def _retry_policies() -> list[SageMakerJobStepRetryPolicy | StepRetryPolicy]:
    return [
        SageMakerJobStepRetryPolicy(
            exception_types=[
                SageMakerJobExceptionTypeEnum.INTERNAL_ERROR,
                SageMakerJobExceptionTypeEnum.CAPACITY_ERROR,
                SageMakerJobExceptionTypeEnum.RESOURCE_LIMIT,
            ],
            interval_seconds=60,
            backoff_rate=2.0,
            max_attempts=JOB_RETRY_ATTEMPTS,
        ),
        StepRetryPolicy(
            exception_types=[
                StepExceptionTypeEnum.THROTTLING,
                StepExceptionTypeEnum.SERVICE_FAULT,
            ],
            interval_seconds=10,
            backoff_rate=2.0,
            max_attempts=STEP_RETRY_ATTEMPTS,
        ),
    ]


def _cache() -> CacheConfig:
    return CacheConfig(enable_caching=True, expire_after=CACHE_EXPIRY)


def _execution_uri(bucket: str, area: str, step: str, output: str) -> Join:
    """`s3://bucket/area/<execution id>/step/output`: every execution keeps its own outputs."""
    return Join(
        on="/",
        values=[f"s3://{bucket}/{area}", ExecutionVariables.PIPELINE_EXECUTION_ID, step, output],
    )


def _network() -> NetworkConfig:
    return NetworkConfig(enable_network_isolation=True, encrypt_inter_container_traffic=True)


def _processor(
    ctx: _Context,
    *,
    image_uri: str,
    module: str,
    base_job_name: str,
    instance_count: object,
    env: dict[str, object] | None = None,
) -> Processor:
    return Processor(
        role=ctx.config.role_arn,
        image_uri=image_uri,
        instance_count=instance_count,
        instance_type=ctx.parameters.processing_instance_type,
        entrypoint=["python3", "-m", module],
        volume_size_in_gb=VOLUME_SIZE_GB,
        volume_kms_key=ctx.config.kms_key_arn,
        output_kms_key=ctx.config.kms_key_arn,
        max_runtime_in_seconds=MAX_RUNTIME_SECONDS,
        base_job_name=base_job_name,
        sagemaker_session=ctx.session,
        env={"PYTHONPATH": layout.PROCESSING_CODE_DIR, **(env or {})},
        network_config=_network(),
    )


def _code_input(ctx: _Context, bundle: str) -> ProcessingInput:
    staged = stage_bundle(ctx.session.staging, ctx.config.ml_scripts_dir, bundle)
    return s3_input(
        "code", f"s3://{ctx.config.artifact_bucket}/{staged.key}", layout.PROCESSING_CODE_DIR
    )


def _process_step(ctx: _Context) -> ProcessingStep:
    processor = _processor(
        ctx,
        image_uri=image_uris.retrieve("sklearn", region=ctx.region, version=SKLEARN_VERSION),
        module="ml_scripts.processing",
        base_job_name="process-data",
        instance_count=ctx.parameters.processing_instance_count,
        # SageMaker's cache key for a processing step is its arguments (AppSpecification,
        # Environment, ProcessingInputs), never the data behind InputData: the input's version
        # here makes a new upload of the same key run again instead of reusing the last result.
        env={layout.INPUT_VERSION_ENV: ctx.parameters.input_version},
    )
    output_dir, params = layout.PROCESSING_OUTPUT_DIR, ctx.parameters
    # InputDataType: an object or folder (S3Prefix), or the objects a manifest lists (ManifestFile).
    raw = s3_input(
        "raw", params.input_data, layout.PROCESSING_INPUT_DIR, params.input_data_type, sharded=True
    )
    step_args = processor.run(
        # Each instance gets a share of the raw objects; a row's split depends on the row alone,
        # so the instances' parts together are what one instance would write.
        inputs=[raw, _code_input(ctx, "processing")],
        outputs=[
            s3_output(
                name,
                _execution_uri(ctx.config.data_bucket, "processed", PROCESS_STEP, name),
                f"{output_dir}/{name}",
            )
            for name in layout.PROCESSING_OUTPUTS
        ],
        # InputData and InputDataType again, so the script reads exactly what they name: S3Prefix
        # also downloads the keys that extend an object's (sales.csv.gz next to sales.csv).
        arguments=[
            "--input-dir",
            layout.PROCESSING_INPUT_DIR,
            "--input-uri",
            params.input_data,
            "--input-data-type",
            params.input_data_type,
            "--output-dir",
            output_dir,
            "--resource-config",
            layout.PROCESSING_RESOURCE_CONFIG,
            # Per-file input limits, stated in the definition (ml_scripts/common/limits.py).
            "--max-input-bytes",
            str(layout.DEFAULT_MAX_INPUT_BYTES),
            "--max-line-bytes",
            str(layout.DEFAULT_MAX_LINE_BYTES),
            "--max-rows",
            str(layout.DEFAULT_MAX_ROWS),
        ],
    )
    return ProcessingStep(
        name=PROCESS_STEP,
        step_args=step_args,
        cache_config=_cache(),
        retry_policies=_retry_policies(),
        description="Validate the raw data, quarantine bad rows, split (each instance its shard)",
    )


def _train_step(ctx: _Context, process: ProcessingStep) -> TrainingStep:
    staged = stage_bundle(ctx.session.staging, ctx.config.ml_scripts_dir, "training")
    outputs = process.properties.ProcessingOutputConfig.Outputs
    params = ctx.parameters
    trainer = ModelTrainer(
        training_image=image_uris.retrieve("xgboost", region=ctx.region, version=XGBOOST_VERSION),
        role=ctx.config.role_arn,
        sagemaker_session=ctx.session,
        base_job_name="train-model",
        source_code=SourceCode(
            source_dir=f"s3://{ctx.config.artifact_bucket}/{staged.key}",
            entry_script="ml_scripts/training/train.py",
        ),
        compute=Compute(
            instance_type=params.training_instance_type,
            instance_count=params.training_instance_count,
            volume_size_in_gb=VOLUME_SIZE_GB,
            volume_kms_key_id=ctx.config.kms_key_arn,
        ),
        networking=Networking(
            enable_network_isolation=True,
            enable_inter_container_traffic_encryption=True,
        ),
        stopping_condition=StoppingCondition(max_runtime_in_seconds=MAX_RUNTIME_SECONDS),
        output_data_config=OutputDataConfig(
            s3_output_path=_execution_uri(
                ctx.config.artifact_bucket, MODELS_AREA, TRAIN_STEP, "model"
            ),
            kms_key_id=ctx.config.kms_key_arn,
            compression_type="GZIP",
        ),
        environment={"PYTHONPATH": layout.TRAINING_CODE_DIR},
        # Hyperparameters are strings in the API; Join turns typed parameters into strings.
        hyperparameters={
            "max_depth": params.max_depth.to_string(),
            "eta": params.eta.to_string(),
            "num_round": params.num_round.to_string(),
        },
    )
    step_args = trainer.train(
        input_data_config=[
            InputData(channel_name=name, data_source=outputs[name].S3Output.S3Uri)
            for name in layout.TRAINING_CHANNELS
        ]
    )
    return TrainingStep(
        name=TRAIN_STEP,
        step_args=step_args,
        cache_config=_cache(),
        retry_policies=_retry_policies(),
        description="Fit the transform, train XGBoost + ridge on log price, refit on train+val",
    )


def _evaluate_step(
    ctx: _Context, process: ProcessingStep, train: TrainingStep, report: PropertyFile
) -> ProcessingStep:
    processor = _processor(
        ctx,
        image_uri=image_uris.retrieve("xgboost", region=ctx.region, version=XGBOOST_VERSION),
        module="ml_scripts.evaluation",
        base_job_name="evaluate-model",
        # Scoring the test split is one small job: more instances would each repeat it.
        instance_count=1,
    )
    processed = process.properties.ProcessingOutputConfig.Outputs
    step_args = processor.run(
        inputs=[
            s3_input(
                "model",
                train.properties.ModelArtifacts.S3ModelArtifacts,
                layout.EVALUATION_MODEL_DIR,
            ),
            s3_input(
                "test", processed[layout.TEST_SPLIT].S3Output.S3Uri, layout.EVALUATION_TEST_DIR
            ),
            s3_input(
                "processing-report",
                processed[layout.REPORT_OUTPUT].S3Output.S3Uri,
                layout.EVALUATION_PROCESSING_REPORT_DIR,
            ),
            # Always an object: the champion's model.tar.gz or the no-champion placeholder.
            s3_input(
                "champion", ctx.parameters.champion_model_data, layout.EVALUATION_CHAMPION_DIR
            ),
            _code_input(ctx, "evaluation"),
        ],
        outputs=[
            s3_output(
                layout.EVALUATION_OUTPUT,
                _execution_uri(ctx.config.artifact_bucket, "evaluation", EVALUATE_STEP, "report"),
                layout.EVALUATION_OUTPUT_DIR,
            )
        ],
        arguments=[
            "--model-dir",
            layout.EVALUATION_MODEL_DIR,
            "--test-dir",
            layout.EVALUATION_TEST_DIR,
            "--output-dir",
            layout.EVALUATION_OUTPUT_DIR,
            "--champion-dir",
            layout.EVALUATION_CHAMPION_DIR,
            "--champion-uri",
            ctx.parameters.champion_model_data,
            *report_arguments(ctx.config, ctx.session, ctx.parameters, process, train),
        ],
    )
    return ProcessingStep(
        name=EVALUATE_STEP,
        step_args=step_args,
        property_files=[report],
        cache_config=_cache(),
        retry_policies=_retry_policies(),
        description="Score the test split, and the champion on it; write evaluation.json and the "
        "run report",
    )


def _register_step(ctx: _Context, train: TrainingStep, evaluate: ProcessingStep) -> ModelStep:
    evaluation_uri = evaluate.properties.ProcessingOutputConfig.Outputs[layout.EVALUATION_OUTPUT]
    metrics = ModelMetrics(
        model_statistics=MetricsSource(
            s3_uri=Join(on="/", values=[evaluation_uri.S3Output.S3Uri, layout.EVALUATION_FILE]),
            content_type="application/json",
        )
    )
    builder = ModelBuilder(
        s3_model_data_url=train.properties.ModelArtifacts.S3ModelArtifacts,
        image_uri=image_uris.retrieve("xgboost", region=ctx.region, version=XGBOOST_VERSION),
        role_arn=ctx.config.role_arn,
        sagemaker_session=ctx.session,
        log_level=logging.WARNING,
        # Serve from the code in model.tar.gz, and start with no internet (serving.py).
        env_vars=serving_environment(),
    )
    step_args = builder.register(
        model_package_group_name=ctx.config.model_package_group_name,
        content_types=["text/csv", "application/json"],
        response_types=["text/csv", "application/json"],
        inference_instances=["ml.t2.medium", "ml.m5.large"],
        transform_instances=["ml.m5.large"],
        # A deploy-time setting, never a run parameter: a run cannot register Approved.
        approval_status=ctx.config.model_approval_status,
        model_metrics=metrics,
        description="House-price model: XGBoost + Huber ridge on log1p(price), from the pipeline",
    )
    return ModelStep(
        name=REGISTER_STEP,
        step_args=step_args,
        retry_policies=[_retry_policies()[1]],
        description="Register the model package with its evaluation report",
    )


def build_pipeline(config: PipelineConfig, session: OfflinePipelineSession) -> Pipeline:
    """Build the pipeline; uploads go to the session's staging folder."""
    no_champion = stage_no_champion(session.staging, config.artifact_bucket)
    parameters = pipeline_parameters(config.default_input_data, no_champion)
    ctx = _Context(config=config, session=session, parameters=parameters)
    report = PropertyFile(
        name=EVALUATION_PROPERTY_FILE,
        output_name=layout.EVALUATION_OUTPUT,
        path=layout.EVALUATION_FILE,
    )

    process = _process_step(ctx)
    train = _train_step(ctx, process)
    evaluate = _evaluate_step(ctx, process, train, report)
    register = _register_step(ctx, train, evaluate)

    # Both gates compare with deploy-time values written as literals: no run can move them.
    check = quality_gate(
        evaluate, report, config.rmse_threshold, config.champion_tolerance, register
    )
    # ProcessData runs only in the limits check's true branch; every other job follows it.
    limits = instance_limits_gate(
        [parameters.processing_instance_count, parameters.training_instance_count], [process]
    )

    return Pipeline(
        name=config.pipeline_name,
        parameters=parameters.as_list(),
        steps=[limits, train, evaluate, check],
        sagemaker_session=session,
        # Experiment tracking would need extra IAM permissions and creates resources per run.
        pipeline_experiment_config=None,
    )
