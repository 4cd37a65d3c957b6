"""Tiny fake jobs and definitions for the local executor's tests.

The fake package `fakejobs` is staged like real code (`<code dir>/code/fake/v1/...`) and runs
through the same container contract as the real scripts: processing modules via
`python3 -m` with PYTHONPATH on the code input, training via the ModelTrainer drivers.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline_definition.local.definition import LocalDefinition, load_definition
from pipeline_definition.local.execution import new_execution
from pipeline_definition.local.executor import Executor
from pipeline_definition.local.faults import FaultInjector
from pipeline_definition.local.results import ExecutionResult
from pipeline_definition.local.runner import prepare_parameters, seed_code
from pipeline_definition.local.steps import KINDS, StepKind
from pipeline_definition.local.store import LocalObjectStore
from pipeline_definition.local.workspace import Workspace

CODE_URI = "s3://${ArtifactBucket}/code/fake/v1/"
DRIVERS_URI = "s3://${ArtifactBucket}/code/sm_drivers/v1/"
INPUT_DEFAULT = "s3://${DataBucket}/raw/data.csv"
DRIVER_COMMAND = (
    "chmod +x /opt/ml/input/data/sm_drivers/sm_train.sh && "
    "/opt/ml/input/data/sm_drivers/sm_train.sh"
)

SPLIT = """
import argparse, json, os, sys, time
from pathlib import Path

parser = argparse.ArgumentParser()
parser.add_argument("--input-dir")
parser.add_argument("--output-dir")
parser.add_argument("--sleep", type=float, default=0.0)
args = parser.parse_args()
if os.environ.get("FAKE_FAIL"):
    print("DataContractError: " + os.environ["FAKE_FAIL"], file=sys.stderr)
    sys.exit(3)
time.sleep(args.sleep)
rows = []
for path in sorted(Path(args.input_dir).rglob("*")):
    if path.is_file():
        rows += [line for line in path.read_text().splitlines() if line]
print(f"read {len(rows)} rows")
if not rows:
    print("DataContractError: the input has no rows", file=sys.stderr)
    sys.exit(2)
out = Path(args.output_dir)
(out / "train").mkdir(parents=True, exist_ok=True)
(out / "train" / "train.csv").write_text("\\n".join(rows) + "\\n")
(out / "report").mkdir(parents=True, exist_ok=True)
report = {"rows": len(rows), "metrics": {"rows": {"value": len(rows)}}}
(out / "report" / "report.json").write_text(json.dumps(report))
"""

TRAIN = """
import argparse, json, os, sys, time
from pathlib import Path

parser = argparse.ArgumentParser()
parser.add_argument("--rounds", type=int)
parser.add_argument("--rate", type=float)
args = parser.parse_args()
host = os.environ["SM_CURRENT_HOST"]
hosts = json.loads(os.environ["SM_HOSTS"])
train = Path(os.environ["SM_CHANNEL_TRAIN"])
rows = sum(len(p.read_text().splitlines()) for p in train.rglob("*") if p.is_file())
failing = os.environ.get("FAKE_FAIL_HOST", host)
if os.environ.get("FAKE_TRAIN_FAIL") and failing == host:
    Path(os.environ["SM_OUTPUT_DIR"], "failure").write_text(os.environ["FAKE_TRAIN_FAIL"])
    sys.exit(1)
if os.environ.get("FAKE_TRAIN_FAIL"):
    time.sleep(60)  # as a host waiting for a peer that stopped would
config = json.loads(Path(os.environ["SM_INPUT_CONFIG_DIR"], "resourceconfig.json").read_text())
seen = {
    "rows": rows,
    "resourceconfig": config,
    "master": [os.environ["SM_MASTER_ADDR"], os.environ["SM_MASTER_PORT"]],
}
Path(os.environ["SM_OUTPUT_DATA_DIR"], f"host-{host}.json").write_text(json.dumps(seen))
if host != hosts[0] and not os.environ.get("FAKE_EVERY_HOST_WRITES_MODEL"):
    sys.exit(0)  # one host writes the model
model = Path(os.environ["SM_MODEL_DIR"])
state = {
    "rows": rows,
    "rounds": args.rounds,
    "rate": args.rate,
    "argv": sys.argv[1:],
    "hps": json.loads(os.environ["SM_HPS"]),
    "channels": json.loads(os.environ["SM_CHANNELS"]),
    "cwd": os.getcwd(),
    "job": os.environ["TRAINING_JOB_NAME"],
    "pythonpath": os.environ.get("PYTHONPATH"),
}
(model / "model.json").write_text(json.dumps(state))
(model / "code").mkdir()
(model / "code" / "inference.py").write_text("# serving entry\\n")
Path(os.environ["SM_OUTPUT_DATA_DIR"], "notes.txt").write_text("trained\\n")
print(f"train:loss={1 / args.rounds}")
"""

SHARD = """
import argparse, json, sys
from pathlib import Path

parser = argparse.ArgumentParser()
parser.add_argument("--input-dir")
parser.add_argument("--output-dir")
parser.add_argument("--resource-config")
args = parser.parse_args()
config = json.loads(Path(args.resource_config).read_text())
host = config["current_host"]
files = sorted(p.name for p in Path(args.input_dir).rglob("*") if p.is_file())
out = Path(args.output_dir)
(out / "train").mkdir(parents=True, exist_ok=True)
(out / "train" / f"part-{host}.json").write_text(json.dumps({"files": files, **config}))
(out / "report").mkdir(parents=True, exist_ok=True)
(out / "report" / "report.json").write_text(json.dumps({"host": host}))
print(f"{host} read {files}")
"""

EVALUATE = """
import argparse, json, tarfile
from pathlib import Path

parser = argparse.ArgumentParser()
parser.add_argument("--model-dir")
parser.add_argument("--output-dir")
args = parser.parse_args()
with tarfile.open(Path(args.model_dir) / "model.tar.gz") as archive:
    state = json.load(archive.extractfile("model.json"))
rmse = round(1 / state["rounds"], 6)
out = Path(args.output_dir)
out.mkdir(parents=True, exist_ok=True)
report = {"regression_metrics": {"rmse": {"value": rmse}, "r2": {"value": 0.5}}}
(out / "evaluation.json").write_text(json.dumps(report))
(out / "plots").mkdir(exist_ok=True)
(out / "plots" / "residuals.png").write_bytes(b"png")
"""


def write_code(code_dir: Path, entry_script: str = "fakejobs/train.py") -> Path:
    """Stage the fake package and the drivers' sourcecode.json below `code_dir/code/`."""
    package = code_dir / "code" / "fake" / "v1" / "fakejobs"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text("")
    (package / "split.py").write_text(textwrap.dedent(SPLIT))
    (package / "train.py").write_text(textwrap.dedent(TRAIN))
    (package / "shard.py").write_text(textwrap.dedent(SHARD))
    (package / "evaluate.py").write_text(textwrap.dedent(EVALUATE))
    drivers = code_dir / "code" / "sm_drivers" / "v1"
    drivers.mkdir(parents=True, exist_ok=True)
    source = {"entry_script": entry_script, "requirements": None, "command": None, "args": None}
    (drivers / "sourcecode.json").write_text(json.dumps(source))
    (drivers / "distributed.json").write_text("{}")
    (drivers / "sm_train.sh").write_text("#!/bin/bash\nexit 99\n")
    return code_dir


def get(expression: str) -> dict[str, str]:
    """A `Get` expression."""
    return {"Get": expression}


def join(*values: Any, on: str = "") -> dict[str, Any]:
    """A `Std:Join` expression."""
    return {"Std:Join": {"On": on, "Values": list(values)}}


def output_uri(step: str, name: str) -> dict[str, Any]:
    """An execution-specific output URI, as the builder writes them."""
    return join("s3://${DataBucket}/out", get("Execution.PipelineExecutionId"), step, name, on="/")


def step_output(step: str, name: str) -> dict[str, str]:
    """The SDK's reference to a processing output's URI."""
    return get(f"Steps.{step}.ProcessingOutputConfig.Outputs['{name}'].S3Output.S3Uri")


def retry_policies(interval: float = 5, attempts: int = 2) -> list[dict[str, Any]]:
    """A job retry policy and a step retry policy."""
    return [
        {
            "ExceptionType": ["SageMaker.JOB_INTERNAL_ERROR", "SageMaker.CAPACITY_ERROR"],
            "IntervalSeconds": interval,
            "BackoffRate": 2.0,
            "MaxAttempts": attempts,
        },
        {
            "ExceptionType": ["Step.SERVICE_FAULT", "Step.THROTTLING"],
            "IntervalSeconds": 1,
            "BackoffRate": 2.0,
            "MaxAttempts": 3,
        },
    ]


def processing_step(
    name: str,
    *,
    module: str,
    inputs: list[tuple[str, Any, str]],
    outputs: list[tuple[str, str]],
    arguments: list[str],
    environment: dict[str, str] | None = None,
    cache: bool = True,
    max_runtime: int = 600,
    property_files: list[dict[str, str]] | None = None,
    depends_on: list[str] | None = None,
) -> dict[str, Any]:
    """A Processing step as the SDK renders one."""
    step: dict[str, Any] = {
        "Name": name,
        "Type": "Processing",
        "Arguments": {
            "AppSpecification": {
                "ImageUri": "000000000000.dkr.ecr.us-east-1.amazonaws.com/fake:1",
                "ContainerEntrypoint": ["python3", "-m", module],
                "ContainerArguments": arguments,
            },
            "Environment": {"PYTHONPATH": "/opt/ml/processing/input/code", **(environment or {})},
            "ProcessingInputs": [
                {
                    "InputName": input_name,
                    "S3Input": {
                        "S3Uri": uri,
                        "LocalPath": local_path,
                        "S3DataType": "S3Prefix",
                        "S3InputMode": "File",
                    },
                }
                for input_name, uri, local_path in [
                    *inputs,
                    ("code", CODE_URI, "/opt/ml/processing/input/code"),
                ]
            ],
            "ProcessingOutputConfig": {
                "Outputs": [
                    {
                        "OutputName": output_name,
                        "S3Output": {
                            "S3Uri": output_uri(name, output_name),
                            "LocalPath": local_path,
                            "S3UploadMode": "EndOfJob",
                        },
                    }
                    for output_name, local_path in outputs
                ]
            },
            "ProcessingResources": {
                "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.t3.medium"}
            },
            "RoleArn": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${SageMakerRoleName}",
            "StoppingCondition": {"MaxRuntimeInSeconds": max_runtime},
        },
        "RetryPolicies": retry_policies(),
    }
    if cache:
        step["CacheConfig"] = {"Enabled": True, "ExpireAfter": "P7D"}
    if property_files:
        step["PropertyFiles"] = property_files
    if depends_on:
        step["DependsOn"] = depends_on
    return step


def split_step(name: str = "Split", *, sleep: float = 0.0, **kwargs: Any) -> dict[str, Any]:
    """The fake data step: reads InputData, writes train/ and report/."""
    return processing_step(
        name,
        module="fakejobs.split",
        inputs=[("raw", get("Parameters.InputData"), "/opt/ml/processing/input/data")],
        outputs=[
            ("train", "/opt/ml/processing/output/train"),
            ("report", "/opt/ml/processing/output/report"),
        ],
        arguments=[
            "--input-dir",
            "/opt/ml/processing/input/data",
            "--output-dir=/opt/ml/processing/output",
            "--sleep",
            str(sleep),
        ],
        **kwargs,
    )


def training_step(name: str = "Train", source: str = "Split") -> dict[str, Any]:
    """A ModelTrainer-style Training step with the driver contract."""
    return {
        "Name": name,
        "Type": "Training",
        "Arguments": {
            "AlgorithmSpecification": {
                "TrainingImage": "000000000000.dkr.ecr.us-east-1.amazonaws.com/fake:1",
                "TrainingInputMode": "File",
                "ContainerEntrypoint": ["/bin/bash"],
                "ContainerArguments": ["-c", DRIVER_COMMAND],
                "MetricDefinitions": [{"Name": "train:loss", "Regex": r"train:loss=([0-9.]+)"}],
            },
            "Environment": {"PYTHONPATH": "/opt/ml/input/data/code"},
            "HyperParameters": {
                "rate": join(get("Parameters.Rate")),
                "rounds": join(get("Parameters.Rounds")),
            },
            "InputDataConfig": [
                {
                    "ChannelName": channel,
                    "DataSource": {
                        "S3DataSource": {
                            "S3Uri": uri,
                            "S3DataType": "S3Prefix",
                            "S3DataDistributionType": "FullyReplicated",
                        }
                    },
                    "InputMode": "File",
                }
                for channel, uri in (
                    ("train", step_output(source, "train")),
                    ("code", CODE_URI),
                    ("sm_drivers", DRIVERS_URI),
                )
            ],
            "OutputDataConfig": {
                "S3OutputPath": join(
                    "s3://${ArtifactBucket}/models",
                    get("Execution.PipelineExecutionId"),
                    name,
                    on="/",
                ),
                "CompressionType": "GZIP",
            },
            "ResourceConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large"},
            "RoleArn": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${SageMakerRoleName}",
            "StoppingCondition": {"MaxRuntimeInSeconds": 600},
        },
        "CacheConfig": {"Enabled": True, "ExpireAfter": "PT1H"},
        "RetryPolicies": retry_policies(),
    }


def evaluate_step(name: str = "Evaluate", model_step: str = "Train") -> dict[str, Any]:
    """The fake evaluation: reads model.tar.gz, writes evaluation.json (a property file)."""
    return processing_step(
        name,
        module="fakejobs.evaluate",
        inputs=[
            (
                "model",
                get(f"Steps.{model_step}.ModelArtifacts.S3ModelArtifacts"),
                "/opt/ml/processing/model",
            )
        ],
        outputs=[("evaluation", "/opt/ml/processing/evaluation")],
        arguments=[
            "--model-dir",
            "/opt/ml/processing/model",
            "--output-dir",
            "/opt/ml/processing/evaluation",
        ],
        property_files=[
            {
                "PropertyFileName": "Report",
                "OutputName": "evaluation",
                "FilePath": "evaluation.json",
            }
        ],
    )


RMSE = {
    "Std:JsonGet": {
        "PropertyFile": get("Steps.Evaluate.PropertyFiles.Report"),
        "Path": "regression_metrics.rmse.value",
    }
}


def register_step() -> dict[str, Any]:
    """A RegisterModel step with a metrics file."""
    return {
        "Name": "Register",
        "Type": "RegisterModel",
        "Arguments": {
            "ModelPackageGroupName": "fake-models",
            "ModelApprovalStatus": get("Parameters.Approval"),
            "ModelPackageDescription": "fake model",
            "InferenceSpecification": {
                "Containers": [
                    {
                        "Image": "000000000000.dkr.ecr.us-east-1.amazonaws.com/fake:1",
                        "ModelDataUrl": get("Steps.Train.ModelArtifacts.S3ModelArtifacts"),
                        "Environment": {"SAGEMAKER_PROGRAM": "inference.py"},
                    }
                ],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
            "ModelMetrics": {
                "Bias": {},
                "ModelQuality": {
                    "Statistics": {
                        "ContentType": "application/json",
                        "S3Uri": join(
                            step_output("Evaluate", "evaluation"), "evaluation.json", on="/"
                        ),
                    }
                },
            },
        },
        "RetryPolicies": [retry_policies()[1]],
    }


def condition_step() -> dict[str, Any]:
    """rmse <= Threshold ? Register : Fail."""
    return {
        "Name": "Check",
        "Type": "Condition",
        "Arguments": {
            "Conditions": [
                {
                    "Type": "LessThanOrEqualTo",
                    "LeftValue": RMSE,
                    "RightValue": get("Parameters.Threshold"),
                }
            ],
            "IfSteps": [register_step()],
            "ElseSteps": [
                {
                    "Name": "Fail",
                    "Type": "Fail",
                    "Arguments": {
                        "ErrorMessage": join(
                            "rmse ", RMSE, " is above ", get("Parameters.Threshold")
                        )
                    },
                }
            ],
        },
    }


PARAMETERS: list[dict[str, Any]] = [
    {"Name": "InputData", "Type": "String", "DefaultValue": INPUT_DEFAULT},
    {"Name": "Rounds", "Type": "Integer", "DefaultValue": 10},
    {"Name": "Rate", "Type": "Float", "DefaultValue": 0.5},
    {"Name": "Threshold", "Type": "Float", "DefaultValue": 0.5},
    {
        "Name": "Approval",
        "Type": "String",
        "DefaultValue": "PendingManualApproval",
        "EnumValues": ["Approved", "Rejected", "PendingManualApproval"],
    },
]


def definition(steps: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A whole definition; by default Split -> Train -> Evaluate -> Check -> Register|Fail."""
    return {
        "Version": "2020-12-01",
        "Metadata": {},
        "Parameters": PARAMETERS,
        "Steps": steps
        if steps is not None
        else [split_step(), training_step(), evaluate_step(), condition_step()],
    }


def body(document: dict[str, Any]) -> str:
    """The definition as the renderer writes it."""
    return json.dumps(document, indent=2, sort_keys=True)


@dataclass
class LocalRun:
    """A workspace seeded with the fake code and data, and a way to run definitions in it."""

    workspace: Workspace
    code_dir: Path
    data_file: Path
    store: LocalObjectStore

    def load(
        self, document: dict[str, Any] | None = None, lambdas: tuple[str, ...] = ()
    ) -> LocalDefinition:
        """Check a definition and stage its code."""
        loaded = load_definition(body(document or definition()), lambdas=lambdas)
        seed_code(loaded, self.code_dir, self.store)
        return loaded

    def run(
        self,
        document: dict[str, Any] | None = None,
        *,
        params: tuple[str, ...] = (),
        fault_injector: FaultInjector | None = None,
        sleep: Callable[[float], None] | None = None,
        retry_interval_scale: float = 0.0,
        use_cache: bool = True,
        max_parallel: int = 2,
        lambdas: tuple[str, ...] = (),
        kinds: Mapping[str, StepKind] = KINDS,
    ) -> ExecutionResult:
        """Run a definition (default: the fake pipeline) to its end."""
        loaded = self.load(document, lambdas)
        chooses_input = any(p.startswith("InputData=") for p in params)
        data = None if chooses_input else self.data_file
        values = prepare_parameters(loaded.parameters, params, self.store, data)
        executor = Executor(
            loaded,
            workspace=self.workspace,
            execution=new_execution("fake-pipeline"),
            parameters=values,
            max_parallel=max_parallel,
            use_cache=use_cache,
            retry_interval_scale=retry_interval_scale,
            fault_injector=fault_injector,
            sleep=sleep,
            kinds=kinds,
        )
        return executor.run()
