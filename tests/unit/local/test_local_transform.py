"""Model and Transform steps locally: the model's own serving code through model_fn, input_fn,
predict_fn and output_fn, split, batched and assembled as the job asks."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
import textwrap
from typing import Any

import pytest

from pipeline_definition.local.definition import load_definition
from pipeline_definition.local.errors import DefinitionError
from pipeline_definition.local.results import StepStatus
from pipeline_definition.local.serving_worker import ServingError, assemble, records, requests

from .local_fakes import LocalRun, body, definition, get

MODEL_URI = "s3://local-artifacts/models/fake/model.tar.gz"
INPUT_URI = "s3://local-data/batch/"
OUTPUT_URI = "s3://local-data/predictions"
# One response per request: how many numbers it held, then each times the model's factor.
SERVING = """
import json
from pathlib import Path

def model_fn(model_dir):
    return json.loads((Path(model_dir) / "model.json").read_text())["factor"]

def input_fn(body, content_type):
    if content_type != "text/csv":
        raise ValueError(f"unsupported content type {content_type}")
    return [float(value) for value in body.decode().split()]

def predict_fn(data, model):
    return [value * model for value in data]

def output_fn(prediction, accept):
    return f"{len(prediction)}:" + ",".join(f"{value:g}" for value in prediction)
"""


def model_archive(serving: str = SERVING) -> bytes:
    """model.tar.gz: model.json and code/inference.py, as training packs it."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, text in (
            ("model.json", json.dumps({"factor": 2})),
            ("code/inference.py", textwrap.dedent(serving)),
        ):
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def model_step(url: str = MODEL_URI) -> dict[str, Any]:
    """A Model step as ModelBuilder.build() renders it."""
    return {
        "Name": "CreateModel",
        "Type": "Model",
        "Arguments": {
            "ExecutionRoleArn": "arn:aws:iam::000000000000:role/r",
            "PrimaryContainer": {
                "Image": "000000000000.dkr.ecr.us-east-1.amazonaws.com/fake:1",
                "ModelDataUrl": url,
                "Environment": {
                    "SAGEMAKER_PROGRAM": "inference.py",
                    "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code",
                },
            },
        },
    }


def transform_step(**arguments: Any) -> dict[str, Any]:
    """A Transform step on the model of CreateModel."""
    split_type = arguments.pop("split_type", "Line")
    return {
        "Name": "Predict",
        "Type": "Transform",
        "Arguments": {
            "ModelName": get("Steps.CreateModel.ModelName"),
            "TransformInput": {
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": INPUT_URI}},
                "ContentType": "text/csv",
                "SplitType": split_type,
                **arguments.pop("input", {}),
            },
            "TransformOutput": {
                "S3OutputPath": OUTPUT_URI,
                "Accept": "text/csv",
                "AssembleWith": "Line",
            },
            "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
            **arguments,
        },
    }


@pytest.fixture
def batch(local_run: LocalRun) -> LocalRun:
    """The store holds the model archive and two input files."""
    local_run.store.put_bytes(model_archive(), MODEL_URI)
    local_run.store.put_bytes(b"1\n2\n3\n", INPUT_URI + "a.csv")
    local_run.store.put_bytes(b"10\n20\n", INPUT_URI + "more/b.csv")
    return local_run


def output(run: LocalRun, name: str) -> str:
    """The text of one output object."""
    return run.store.path(f"{OUTPUT_URI}/{name}").read_text()


def test_each_record_is_one_request_and_each_file_one_output(batch: LocalRun) -> None:
    steps = [model_step(), transform_step(BatchStrategy="SingleRecord")]
    result = batch.run(definition(steps))
    assert result.status == "Succeeded", result.failure_reason
    assert output(batch, "a.csv.out") == "1:2\n1:4\n1:6\n"
    assert output(batch, "more/b.csv.out") == "1:20\n1:40\n"
    model = result.step("CreateModel").properties
    assert model is not None
    assert (batch.workspace.models / f"{model['ModelName']}.json").is_file()
    predict = result.step("Predict").properties
    assert predict is not None
    assert predict["ModelName"] == model["ModelName"]
    assert predict["TransformJobStatus"] == "Completed"


def test_multi_record_batches_records_into_one_request(batch: LocalRun) -> None:
    result = batch.run(definition([model_step(), transform_step(BatchStrategy="MultiRecord")]))
    assert result.status == "Succeeded", result.failure_reason
    assert output(batch, "a.csv.out") == "3:2,4,6\n"


def test_split_type_none_sends_each_file_whole(batch: LocalRun) -> None:
    result = batch.run(definition([model_step(), transform_step(split_type="None")]))
    assert result.status == "Succeeded", result.failure_reason
    assert output(batch, "more/b.csv.out") == "2:20,40\n"


def test_gzip_inputs_are_decompressed(batch: LocalRun) -> None:
    batch.store.put_bytes(gzip.compress(b"5\n"), INPUT_URI + "more/b.csv")
    batch.store.put_bytes(gzip.compress(b"4\n"), INPUT_URI + "a.csv")
    steps = [model_step(), transform_step(input={"CompressionType": "Gzip"})]
    result = batch.run(definition(steps))
    assert result.status == "Succeeded", result.failure_reason
    assert output(batch, "a.csv.out") == "1:8\n"


@pytest.mark.parametrize(
    ("serving", "reason"),
    [
        ("def model_fn(d):\n    return 1\n", "defines no input_fn, predict_fn, output_fn"),
        (SERVING.replace('"text/csv"', '"application/json"'), "ValueError: unsupported content"),
    ],
)
def test_serving_code_that_cannot_answer_fails_the_step(
    batch: LocalRun, serving: str, reason: str
) -> None:
    batch.store.put_bytes(model_archive(serving), MODEL_URI)
    result = batch.run(definition([model_step(), transform_step()]))
    step = result.step("Predict")
    assert step.status == StepStatus.FAILED
    assert step.failure_reason is not None and reason in step.failure_reason


def test_a_model_whose_data_is_missing_fails_its_step(local_run: LocalRun) -> None:
    result = local_run.run(definition([model_step(), transform_step()]))
    assert result.step("CreateModel").failure_reason == (
        f"ModelDataUrl '{MODEL_URI}' does not exist in the local store"
    )
    assert result.step("Predict").status == StepStatus.SKIPPED


def test_a_model_no_step_created_is_a_client_error(batch: LocalRun) -> None:
    step = transform_step(ModelName="made-elsewhere")
    result = batch.run(definition([step]))
    reason = result.step("Predict").failure_reason
    assert reason is not None and reason.startswith("no model named 'made-elsewhere'")


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"DataProcessing": {"InputFilter": "$[1:]"}}, "DataProcessing.InputFilter '$[1:]'"),
        ({"DataProcessing": {"JoinSource": "Input"}}, "DataProcessing.JoinSource 'Input'"),
        ({"split_type": "RecordIO"}, "TransformInput.SplitType 'RecordIO' is not supported"),
        ({"BatchStrategy": "Sometimes"}, "BatchStrategy 'Sometimes' is not supported locally"),
        ({"DataCaptureConfig": {"DestinationS3Uri": "s3://x/y"}}, "captures data"),
    ],
)
def test_what_does_not_run_locally_is_refused_up_front(
    change: dict[str, Any], problem: str
) -> None:
    with pytest.raises(DefinitionError) as error:
        load_definition(body(definition([model_step(), transform_step(**change)])))
    assert any(problem in found for found in error.value.problems), error.value.problems


def test_requests_respect_the_payload_limit() -> None:
    found = records(b"aaaa\nbb\ncccc\n", "Line")
    assert list(requests(found, "MultiRecord", 8, "x")) == [b"aaaa\nbb\n", b"cccc\n"]
    assert list(requests(found, "SingleRecord", 8, "x")) == [b"aaaa\n", b"bb\n", b"cccc\n"]
    with pytest.raises(ServingError, match="a record of 5 bytes is larger than MaxPayloadInMB"):
        list(requests(found, "MultiRecord", 4, "x"))


def test_assemble_with_line_ends_every_response_with_a_newline() -> None:
    assert assemble([b"a", b"b\n"], "Line") == b"a\nb\n"
    assert assemble([b"a", b"b"], "None") == b"ab"
