"""Corpus builders for the job steps: Processing, Training, Model, Transform, RegisterModel,
Tuning, AutoML, Job and the @step function step, each rendered by the SDK's own classes.

Two producers are missing from SDK v3 and are supplied here: `Session.auto_ml` (which
AutoMLStep names, but v3 no longer defines) and a CreateJob producer; the steps themselves
still render through the SDK's AutoMLStep and JobStep.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from testsupport.corpus.session import BUCKET, ROLE, SKLEARN_IMAGE, XGBOOST_IMAGE, render


def _processor(session: Any, **extra: Any) -> Any:
    from sagemaker.core.processing import Processor

    return Processor(
        role=ROLE,
        image_uri=SKLEARN_IMAGE,
        instance_count=1,
        instance_type="ml.m5.large",
        entrypoint=["python3", "/opt/ml/processing/input/code/prepare.py"],
        sagemaker_session=session,
        **extra,
    )


def _s3_input(name: str, uri: Any, local_path: str) -> Any:
    from sagemaker.core.shapes import ProcessingInput, ProcessingS3Input

    return ProcessingInput(
        input_name=name,
        s3_input=ProcessingS3Input(
            s3_uri=uri, local_path=local_path, s3_data_type="S3Prefix", s3_input_mode="File"
        ),
    )


def _s3_output(name: str, uri: Any, local_path: str) -> Any:
    from sagemaker.core.shapes import ProcessingOutput, ProcessingS3Output

    return ProcessingOutput(
        output_name=name,
        s3_output=ProcessingS3Output(s3_uri=uri, local_path=local_path, s3_upload_mode="EndOfJob"),
    )


def processing(session: Any) -> Any:
    """A Processing step with a property file, cache and retry policies."""
    step, data = processing_step(session)
    return render(session, "corpus-processing", [step], [data])


def processing_step(session: Any) -> tuple[Any, Any]:
    """The Processing step `Prepare` and the InputData parameter it reads."""
    from sagemaker.core.workflow.parameters import ParameterString
    from sagemaker.core.workflow.properties import PropertyFile
    from sagemaker.mlops.workflow.retry import (
        SageMakerJobExceptionTypeEnum,
        SageMakerJobStepRetryPolicy,
    )
    from sagemaker.mlops.workflow.steps import CacheConfig, ProcessingStep

    data = ParameterString("InputData", default_value=f"s3://{BUCKET}/raw/data.csv")
    report = PropertyFile(name="Report", output_name="report", path="report.json")
    step_args = _processor(session, env={"MODE": "full"}).run(
        inputs=[
            _s3_input("raw", data, "/opt/ml/processing/input/data"),
            _s3_input("code", f"s3://{BUCKET}/code/prepare/", "/opt/ml/processing/input/code"),
        ],
        outputs=[
            _s3_output("train", f"s3://{BUCKET}/out/train", "/opt/ml/processing/output/train"),
            _s3_output("report", f"s3://{BUCKET}/out/report", "/opt/ml/processing/output/report"),
        ],
        arguments=["--input", "/opt/ml/processing/input/data"],
    )
    step = ProcessingStep(
        name="Prepare",
        step_args=step_args,
        property_files=[report],
        cache_config=CacheConfig(enable_caching=True, expire_after="30d"),
        retry_policies=[
            SageMakerJobStepRetryPolicy(
                exception_types=[SageMakerJobExceptionTypeEnum.CAPACITY_ERROR], max_attempts=3
            )
        ],
    )
    return step, data


def _trainer(session: Any, hyperparameters: dict[str, Any]) -> Any:
    from sagemaker.core.training.configs import Compute
    from sagemaker.train import ModelTrainer

    return ModelTrainer(
        training_image=XGBOOST_IMAGE,
        role=ROLE,
        sagemaker_session=session,
        base_job_name="corpus",
        hyperparameters=hyperparameters,
        compute=Compute(instance_type="ml.m5.large", instance_count=1),
    )


def _training_step(session: Any, hyperparameters: dict[str, Any], name: str = "Train") -> Any:
    from sagemaker.core.training.configs import InputData
    from sagemaker.mlops.workflow.steps import TrainingStep

    step_args = _trainer(session, hyperparameters).train(
        input_data_config=[InputData(channel_name="train", data_source=f"s3://{BUCKET}/train")]
    )
    return TrainingStep(name=name, step_args=step_args)


def training(session: Any) -> Any:
    """A ModelTrainer training step whose typed parameters are passed as strings."""
    from sagemaker.core.workflow.parameters import ParameterInteger

    rounds = ParameterInteger("NumRound", default_value=100)
    step = _training_step(session, {"num_round": rounds.to_string(), "eta": "0.1"})
    return render(session, "corpus-training", [step], [rounds])


def training_typed_hyperparameters(session: Any) -> Any:
    """What ModelTrainer renders for a typed parameter passed as it is: an Integer `Get`."""
    from sagemaker.core.workflow.parameters import ParameterInteger

    rounds = ParameterInteger("NumRound", default_value=100)
    step = _training_step(session, {"num_round": rounds, "eta": "0.1"})
    return render(session, "corpus-typed-hyperparameters", [step], [rounds])


def model_and_transform(session: Any) -> Any:
    """A Model step (ModelBuilder.build) and a Transform step on the model it creates."""
    from sagemaker.core.transformer import Transformer
    from sagemaker.mlops.workflow.model_step import ModelStep
    from sagemaker.mlops.workflow.steps import TransformStep

    model = ModelStep(name="CreateModel", step_args=_model_builder(session).build())
    transformer = Transformer(
        model_name=model.properties.ModelName,
        instance_count=1,
        instance_type="ml.m5.large",
        output_path=f"s3://{BUCKET}/predictions",
        accept="text/csv",
        assemble_with="Line",
        strategy="MultiRecord",
        sagemaker_session=session,
    )
    step_args = transformer.transform(
        data=f"s3://{BUCKET}/test", content_type="text/csv", split_type="Line"
    )
    transform = TransformStep(name="Predict", step_args=step_args)
    return render(session, "corpus-transform", [model, transform])


def _model_builder(session: Any) -> Any:
    from sagemaker.serve.model_builder import ModelBuilder

    return ModelBuilder(
        s3_model_data_url=f"s3://{BUCKET}/model/model.tar.gz",
        image_uri=XGBOOST_IMAGE,
        role_arn=ROLE,
        sagemaker_session=session,
        log_level=logging.WARNING,
        env_vars={
            "SAGEMAKER_PROGRAM": "inference.py",
            "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code",
        },
    )


def register(session: Any) -> Any:
    """A RegisterModel step (ModelBuilder.register) with an approval parameter."""
    from sagemaker.core.workflow.parameters import ParameterString
    from sagemaker.mlops.workflow.model_step import ModelStep

    approval = ParameterString("Approval", default_value="PendingManualApproval")
    step_args = _model_builder(session).register(
        model_package_group_name="corpus-models",
        content_types=["text/csv"],
        response_types=["text/csv"],
        inference_instances=["ml.m5.large"],
        transform_instances=["ml.m5.large"],
        approval_status=approval,
    )
    step = ModelStep(name="Register", step_args=step_args)
    return render(session, "corpus-register", [step], [approval])


def tuning(session: Any) -> Any:
    """A Tuning step (HyperparameterTuner over a ModelTrainer)."""
    from sagemaker.core.parameter import ContinuousParameter, IntegerParameter
    from sagemaker.core.training.configs import InputData
    from sagemaker.mlops.workflow.steps import TuningStep
    from sagemaker.train.tuner import HyperparameterTuner

    tuner = HyperparameterTuner(
        model_trainer=_trainer(session, {"num_round": "100"}),
        objective_metric_name="validation:rmse",
        objective_type="Minimize",
        hyperparameter_ranges={
            "eta": ContinuousParameter(0.01, 0.3),
            "max_depth": IntegerParameter(2, 8),
        },
        metric_definitions=[{"Name": "validation:rmse", "Regex": "rmse=([0-9.]+)"}],
        max_jobs=4,
        max_parallel_jobs=2,
    )
    step_args = tuner.tune(
        inputs=[InputData(channel_name="train", data_source=f"s3://{BUCKET}/train")]
    )
    return render(session, "corpus-tuning", [TuningStep(name="Tune", step_args=step_args)])


@contextmanager
def _auto_ml_producer(session: Any) -> Iterator[Any]:
    """`Session.auto_ml`, which the SDK's AutoMLStep names but SDK v3 no longer defines."""
    from sagemaker.core.helper.session_helper import Session

    def auto_ml(self: Any, request: dict[str, Any]) -> None:
        self._intercept_create_request(request, None, "auto_ml")

    had = hasattr(Session, "auto_ml")
    previous = getattr(Session, "auto_ml", None)
    Session.auto_ml = auto_ml
    try:
        yield auto_ml
    finally:
        if had:
            Session.auto_ml = previous
        else:
            del Session.auto_ml


def automl(session: Any) -> Any:
    """An AutoML step (ensembling mode) rendered by the SDK's AutoMLStep."""
    from sagemaker.core.workflow.pipeline_context import _StepArguments
    from sagemaker.mlops.workflow.automl_step import AutoMLStep

    request = {
        "AutoMLJobName": "corpus-automl",
        "InputDataConfig": [
            {
                "DataSource": {
                    "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/train"}
                },
                "TargetAttributeName": "price",
            }
        ],
        "OutputDataConfig": {"S3OutputPath": f"s3://{BUCKET}/automl"},
        "ProblemType": "Regression",
        "AutoMLJobObjective": {"MetricName": "MSE"},
        "AutoMLJobConfig": {"Mode": "ENSEMBLING"},
        "RoleArn": ROLE,
    }

    class Producer:
        sagemaker_session = session

    with _auto_ml_producer(session) as auto_ml:
        step_args = _StepArguments("auto_ml", lambda _: auto_ml(session, request), Producer())
        step = AutoMLStep(name="AutoML", step_args=step_args)
        return render(session, "corpus-automl", [step])


def job(session: Any) -> Any:
    """A Job step (CreateJob) rendered by the SDK's JobStep."""
    from sagemaker.core.workflow.pipeline_context import _StepArguments
    from sagemaker.mlops.workflow.steps import JobStep

    request = {
        "JobName": "corpus-job",
        "JobCategory": "DataTransformation",
        "JobConfigSchemaVersion": "1.0.0",
        "JobConfigDocument": '{"OutputDataConfig": {"S3OutputPath": "s3://corpus-bucket/job"}}',
        "RoleArn": ROLE,
    }

    class Producer:
        sagemaker_session = session

        def create(self) -> None:
            session._intercept_create_request(dict(request), None, "create_job")

    producer = Producer()
    step_args = _StepArguments("create_job", Producer.create, producer)
    return render(session, "corpus-job", [JobStep(name="Job", step_args=step_args)])


def function_step(session: Any) -> Any:
    """A @step function (a Training step); its pickled payload is kept out of S3."""
    from sagemaker.core.remote_function.core import serialization
    from sagemaker.mlops.workflow.function_step import step

    logging.getLogger("sagemaker.remote_function").setLevel(logging.ERROR)

    upload = serialization._upload_bytes_to_s3
    serialization._upload_bytes_to_s3 = lambda *args, **kwargs: None
    try:

        @step(  # type: ignore[untyped-decorator]
            name="Compute",
            display_name="Compute",
            description="doubles a number",
            instance_type="ml.m5.large",
            image_uri=XGBOOST_IMAGE,
            role=ROLE,
            keep_alive_period_in_seconds=0,
        )
        def compute(x: int) -> int:
            return x * 2

        return render(session, "corpus-function", [compute(3)])
    finally:
        serialization._upload_bytes_to_s3 = upload
