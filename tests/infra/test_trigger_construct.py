"""The trigger construct on a small test stack: rules, queues, function, grants, cdk-nag."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Environment, RemovalPolicy, Stack, Validations
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Capture, Match, Template
from cdk_nag import AwsSolutionsChecks, ServerlessChecks

from project import champion, run_parameters
from project.run_parameters import ParameterSpec, definition_parameters, encode_specs
from project.settings import cdk_context
from stacks.nag import LAMBDA_BASIC_EXECUTION_FINDING, acknowledge
from stacks.storage import NOTIFICATIONS_HANDLER_ID
from stacks.trigger.construct import RUNTIME, PipelineTrigger
from testsupport.definitions import SHIPPED_DEFINITION

ACCOUNT = "123456789012"
REGION = "eu-west-1"
DEFINITION = SHIPPED_DEFINITION
PARAMETERS = list(definition_parameters(json.loads(DEFINITION.read_text())).values())
PIPELINE = "house-price-mlops-pipeline"
CAPITALISED_PIPELINE = "House-Price-Pipeline"
# The scheduled test stack opts in to reserved concurrency; the plain one keeps the default.
RESERVED = 3
GROUP = "house-price-models"
HANDLER_MODULES = {
    "handler/__init__.py",
    "handler/aws_errors.py",
    "handler/champion.py",
    "handler/config.py",
    "handler/events.py",
    "handler/handler.py",
    "handler/logs.py",
    "handler/parking.py",
    "handler/run_requests.py",
    "handler/running.py",
    "handler/tokens.py",
    "project/__init__.py",
    "project/champion.py",
    "project/run_parameters.py",
}


@dataclass(frozen=True)
class Synthesized:
    """The two test stacks, synthesized once, and the logical ids of what the tests look at."""

    outdir: Path
    plain: Template
    scheduled: Template
    plain_json: dict[str, Any]
    scheduled_json: dict[str, Any]
    ids: dict[str, str]
    scheduled_ids: dict[str, str]


def _logical_ids(
    stack: Stack, bucket: s3.Bucket, key: kms.Key, trigger: PipelineTrigger
) -> dict[str, str]:
    """Logical ids read from the constructs, so no test spells a hashed id."""
    constructs: dict[str, Any] = {
        "bucket": bucket,
        "key": key,
        "undelivered": trigger.undelivered_events,
        "failed": trigger.failed_events,
        "function": trigger.function,
        "log_group": trigger.log_group,
        "role": trigger.role,
        "policy": trigger.role.node.find_child("DefaultPolicy"),
    }
    return {
        name: stack.get_logical_id(construct.node.default_child)
        for name, construct in constructs.items()
    }


def _test_stack(
    app: App, name: str, *, pipeline_name: str, schedule: str | None
) -> tuple[Stack, dict[str, str]]:
    stack = Stack(app, name, env=Environment(account=ACCOUNT, region=REGION))
    key = kms.Key(stack, "Key", enable_key_rotation=True, removal_policy=RemovalPolicy.DESTROY)
    bucket = s3.Bucket(
        stack,
        "Data",
        encryption_key=key,
        enforce_ssl=True,
        versioned=True,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        event_bridge_enabled=True,
    )
    acknowledge(bucket, {"AwsSolutions-S1": "Test bucket; the app's data bucket logs access."})
    trigger = PipelineTrigger(
        stack,
        "Trigger",
        data_bucket=bucket,
        pipeline_name=pipeline_name,
        parameters=PARAMETERS,
        key=key,
        schedule=schedule,
        skip_if_running=schedule is not None,
        reserved_concurrency=RESERVED if schedule is not None else None,
        # One bucket in both parts, as with the S3_BUCKET setting.
        model_package_group_name=GROUP,
        artifact_bucket=bucket,
    )
    handler = stack.node.find_child(NOTIFICATIONS_HANDLER_ID)
    acknowledge(
        handler.node.find_child("Role"),
        {LAMBDA_BASIC_EXECUTION_FINDING: "CDK's bucket-notifications handler, as in storage.py."},
    )
    return stack, _logical_ids(stack, bucket, key, trigger)


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synthesized]:
    """One app with a trigger without and one with a schedule, checked by cdk-nag."""
    outdir = tmp_path_factory.mktemp("trigger-cdk.out")
    app = App(context=cdk_context(), outdir=str(outdir))
    plain, ids = _test_stack(app, "PlainTrigger", pipeline_name=PIPELINE, schedule=None)
    scheduled, scheduled_ids = _test_stack(
        app, "ScheduledTrigger", pipeline_name=CAPITALISED_PIPELINE, schedule="cron(0 6 ? * MON *)"
    )
    Validations.of(app).add_plugins(AwsSolutionsChecks(app), ServerlessChecks(app))
    app.synth()  # raises ValidationFailed on any unacknowledged error finding
    plain_json = json.loads((outdir / f"{plain.stack_name}.template.json").read_text())
    scheduled_json = json.loads((outdir / f"{scheduled.stack_name}.template.json").read_text())
    yield Synthesized(
        outdir,
        Template.from_json(plain_json),
        Template.from_json(scheduled_json),
        plain_json,
        scheduled_json,
        ids,
        scheduled_ids,
    )


def test_cdk_nag_finds_nothing_unacknowledged(synthesized: Synthesized) -> None:
    # Synth already raised on any unacknowledged error; the report also lists warnings.
    report = json.loads((synthesized.outdir / "validation-report.json").read_text())
    assert report["pluginReports"] == []


def test_rule_matches_new_csv_files_under_the_raw_prefix(synthesized: Synthesized) -> None:
    bucket = Capture()
    synthesized.plain.has_resource_properties(
        "AWS::Events::Rule",
        {
            "EventPattern": {
                "source": ["aws.s3"],
                "detail-type": ["Object Created"],
                "detail": {
                    "bucket": {"name": [{"Ref": bucket}]},
                    "object": {
                        "key": [
                            {"wildcard": "data/raw/*.csv"},
                            {"wildcard": "data/raw/*.csv.gz"},
                        ],
                        "size": [{"numeric": [">", 0]}],
                    },
                },
            },
            "State": "ENABLED",
        },
    )
    assert bucket.as_string() == synthesized.ids["bucket"]


def test_targets_retry_then_dead_letter_into_an_encrypted_queue(synthesized: Synthesized) -> None:
    queue = Capture()
    function = Capture()
    synthesized.plain.has_resource_properties(
        "AWS::Events::Rule",
        {
            "Targets": [
                {
                    "Arn": {"Fn::GetAtt": [function, "Arn"]},
                    "Id": Match.any_value(),
                    "RetryPolicy": {"MaximumRetryAttempts": 10, "MaximumEventAgeInSeconds": 14400},
                    "DeadLetterConfig": {"Arn": {"Fn::GetAtt": [queue, "Arn"]}},
                }
            ]
        },
    )
    template = synthesized.plain_json
    assert queue.as_string() == synthesized.ids["undelivered"]
    assert function.as_string() == synthesized.ids["function"]
    key = synthesized.ids["key"]
    dead_letters = template["Resources"][queue.as_string()]["Properties"]
    assert dead_letters["KmsMasterKeyId"] == {"Fn::GetAtt": [key, "Arn"]}
    assert dead_letters["MessageRetentionPeriod"] == 14 * 24 * 3600


def test_both_queues_use_the_key_and_refuse_plain_http(synthesized: Synthesized) -> None:
    key = synthesized.ids["key"]
    synthesized.plain.resource_count_is("AWS::SQS::Queue", 2)
    synthesized.plain.all_resources_properties(
        "AWS::SQS::Queue",
        {
            "KmsMasterKeyId": {"Fn::GetAtt": [key, "Arn"]},
            "MessageRetentionPeriod": 1209600,
        },
    )
    for queue in (synthesized.ids["undelivered"], synthesized.ids["failed"]):
        synthesized.plain.has_resource_properties(
            "AWS::SQS::QueuePolicy",
            {
                "Queues": [{"Ref": queue}],
                "PolicyDocument": {
                    "Statement": Match.array_with(
                        [
                            {
                                "Action": "sqs:*",
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                                "Effect": "Deny",
                                "Principal": {"AWS": "*"},
                                "Resource": {"Fn::GetAtt": [queue, "Arn"]},
                            }
                        ]
                    )
                },
            },
        )


def test_eventbridge_may_use_the_key_for_its_dead_letters(synthesized: Synthesized) -> None:
    synthesized.plain.has_resource_properties(
        "AWS::KMS::Key",
        {
            "KeyPolicy": {
                "Statement": Match.array_with(
                    [
                        {
                            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                            "Condition": {
                                "StringEquals": {"aws:SourceAccount": ACCOUNT},
                                "ArnLike": {
                                    # Only this stack's rules, named <stack name>-...
                                    "aws:SourceArn": (
                                        f"arn:aws:events:{REGION}:{ACCOUNT}:rule/PlainTrigger-*"
                                    )
                                },
                            },
                            "Effect": "Allow",
                            "Principal": {"Service": "events.amazonaws.com"},
                            "Resource": "*",
                        }
                    ]
                )
            }
        },
    )


def test_function_settings(synthesized: Synthesized) -> None:
    template = synthesized.plain_json
    failed = synthesized.ids["failed"]
    log_group = Capture()
    synthesized.plain.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Runtime": RUNTIME.name,
            "Handler": "handler.handler.lambda_handler",
            "Timeout": 60,
            "MemorySize": 256,
            "TracingConfig": {"Mode": "Active"},
            "LoggingConfig": {
                "LogGroup": {"Ref": log_group},
                "LogFormat": "JSON",
                "ApplicationLogLevel": "INFO",
                "SystemLogLevel": "WARN",
            },
            "Environment": {
                "Variables": {
                    "PIPELINE_NAME": PIPELINE,
                    "RAW_DATA_PREFIX": "data/raw/",
                    "PIPELINE_PARAMETERS": encode_specs(PARAMETERS),
                    "SKIP_IF_RUNNING": "false",
                    "FAILED_EVENTS_QUEUE_URL": {"Ref": failed},
                    "MODEL_PACKAGE_GROUP_NAME": GROUP,
                    "CHAMPION_MODELS_PREFIX": {
                        "Fn::Join": ["", ["s3://", {"Ref": synthesized.ids["bucket"]}, "/models/"]]
                    },
                }
            },
        },
    )
    assert RUNTIME.name == "python3.14"
    assert template["Resources"][log_group.as_string()]["Properties"]["RetentionInDays"] == 365


def _function(template: dict[str, Any], logical_id: str) -> dict[str, Any]:
    resource: dict[str, Any] = template["Resources"][logical_id]
    return resource


def _checkov_skips(resource: dict[str, Any]) -> set[str]:
    return {skip["id"] for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])}


def test_reserved_concurrency_is_off_by_default_with_checkov_told_why(
    synthesized: Synthesized,
) -> None:
    # Reserving fails in accounts at the starter limit of 10, so the default reserves none.
    function = _function(synthesized.plain_json, synthesized.ids["function"])
    assert "ReservedConcurrentExecutions" not in function["Properties"]
    assert "CKV_AWS_115" in _checkov_skips(function)


def test_reserved_concurrency_is_set_when_opted_in(synthesized: Synthesized) -> None:
    function = _function(synthesized.scheduled_json, synthesized.scheduled_ids["function"])
    assert function["Properties"]["ReservedConcurrentExecutions"] == RESERVED
    assert "CKV_AWS_115" not in _checkov_skips(function)


def test_failed_async_invocations_go_to_the_failed_events_queue(
    synthesized: Synthesized,
) -> None:
    failed = synthesized.ids["failed"]
    synthesized.plain.has_resource_properties(
        "AWS::Lambda::EventInvokeConfig",
        {
            "MaximumRetryAttempts": 2,
            "MaximumEventAgeInSeconds": 21600,
            "DestinationConfig": {"OnFailure": {"Destination": {"Fn::GetAtt": [failed, "Arn"]}}},
        },
    )


def _trigger_statements(template: dict[str, Any], ids: dict[str, str]) -> list[dict[str, Any]]:
    policy = ids["policy"]
    statements: list[dict[str, Any]] = template["Resources"][policy]["Properties"][
        "PolicyDocument"
    ]["Statement"]
    return statements


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_the_role_may_start_and_read_this_pipeline_only(synthesized: Synthesized) -> None:
    pipeline_arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:pipeline/{PIPELINE}"
    sagemaker = [
        statement
        for statement in _trigger_statements(synthesized.plain_json, synthesized.ids)
        if any(action.startswith("sagemaker:") for action in _as_list(statement["Action"]))
    ]

    pipeline = [s for s in sagemaker if "ModelPackage" not in json.dumps(s["Action"])]
    actions = sorted(action for statement in pipeline for action in statement["Action"])
    assert actions == [
        "sagemaker:DescribePipeline",
        "sagemaker:DescribePipelineExecution",
        "sagemaker:ListPipelineExecutions",
        "sagemaker:ListPipelineParametersForExecution",
        "sagemaker:StartPipelineExecution",
    ]
    resources = {resource for statement in pipeline for resource in _as_list(statement["Resource"])}
    assert resources == {pipeline_arn, f"{pipeline_arn}/execution/*"}
    role = synthesized.ids["role"]
    assert "ManagedPolicyArns" not in synthesized.plain_json["Resources"][role]["Properties"]


def test_other_grants_name_their_own_resources(synthesized: Synthesized) -> None:
    template = synthesized.plain_json
    log_group = synthesized.ids["log_group"]
    failed = synthesized.ids["failed"]
    by_action = {
        action: statement["Resource"]
        for statement in _trigger_statements(template, synthesized.ids)
        for action in _as_list(statement["Action"])
    }
    assert by_action["logs:PutLogEvents"] == {"Fn::GetAtt": [log_group, "Arn"]}
    assert by_action["sqs:SendMessage"] == {"Fn::GetAtt": [failed, "Arn"]}
    # X-Ray's write actions have no resource-level permissions.
    assert by_action["xray:PutTraceSegments"] == "*"
    wildcard_actions = {action for action, resource in by_action.items() if resource == "*"}
    assert wildcard_actions == {
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "sagemaker:ListModelPackages",
    }


def test_the_champion_lookup_describes_only_this_groups_versions(
    synthesized: Synthesized,
) -> None:
    (describe,) = [
        statement
        for statement in _trigger_statements(synthesized.plain_json, synthesized.ids)
        if statement.get("Sid") == "DescribeThisGroupsModelPackages"
    ]
    assert describe["Action"] == "sagemaker:DescribeModelPackage"
    assert describe["Resource"] == f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/{GROUP}/*"


def test_capitalised_pipeline_names_are_granted_in_the_arn_form_sagemaker_uses(
    synthesized: Synthesized,
) -> None:
    resources = {
        resource
        for statement in _trigger_statements(synthesized.scheduled_json, synthesized.scheduled_ids)
        if statement.get("Sid") == "StartThisPipeline"
        for resource in _as_list(statement["Resource"])
    }
    prefix = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:pipeline/"
    assert resources == {prefix + CAPITALISED_PIPELINE.lower(), prefix + CAPITALISED_PIPELINE}


def test_the_schedule_rule_exists_only_when_a_schedule_is_set(synthesized: Synthesized) -> None:
    schedule = {"ScheduleExpression": Match.any_value()}
    synthesized.plain.resource_properties_count_is("AWS::Events::Rule", schedule, 0)
    synthesized.scheduled.resource_properties_count_is("AWS::Events::Rule", schedule, 1)
    synthesized.scheduled.has_resource_properties(
        "AWS::Events::Rule",
        {
            "ScheduleExpression": "cron(0 6 ? * MON *)",
            "Targets": [
                Match.object_like(
                    {
                        "RetryPolicy": {
                            "MaximumRetryAttempts": 10,
                            "MaximumEventAgeInSeconds": 14400,
                        },
                        "DeadLetterConfig": Match.any_value(),
                    }
                )
            ],
        },
    )
    synthesized.scheduled.has_resource_properties(
        "AWS::Lambda::Function",
        {"Environment": {"Variables": Match.object_like({"SKIP_IF_RUNNING": "true"})}},
    )


def test_the_asset_holds_the_handler_and_the_shared_rules_only(synthesized: Synthesized) -> None:
    code = synthesized.plain_json["Resources"][synthesized.ids["function"]]["Properties"]["Code"]
    asset_hash = code["S3Key"].removesuffix(".zip")
    asset_dir = synthesized.outdir / f"asset.{asset_hash}"
    files = {str(p.relative_to(asset_dir)) for p in asset_dir.rglob("*") if p.is_file()}
    assert files == HANDLER_MODULES
    shipped_rules = (asset_dir / "project" / "run_parameters.py").read_bytes()
    assert shipped_rules == Path(run_parameters.__file__).read_bytes()
    shipped_champion = (asset_dir / "project" / "champion.py").read_bytes()
    assert shipped_champion == Path(champion.__file__).read_bytes()


def test_the_asset_imports_on_its_own_as_lambda_loads_it(synthesized: Synthesized) -> None:
    code = synthesized.plain_json["Resources"][synthesized.ids["function"]]["Properties"]["Code"]
    asset_dir = synthesized.outdir / f"asset.{code['S3Key'].removesuffix('.zip')}"
    environ = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(
        [sys.executable, "-c", "import handler.handler as h; print(h.lambda_handler.__module__)"],
        cwd=asset_dir,
        env=environ,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "handler.handler"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"raw_data_prefix": "/data/raw"}, "raw_data_prefix"),
        ({"parameters": [ParameterSpec("MaxDepth", "Integer")]}, "must declare InputData"),
        ({"parameters": [ParameterSpec("InputData", "Integer")]}, "must declare InputData"),
        ({"schedule": "every day"}, "schedule: .every day. must be an EventBridge expression"),
        ({"reserved_concurrency": 0}, "reserved_concurrency must be at least 1"),
        ({"model_package_group_name": None}, "the champion lookup needs"),
    ],
)
def test_bad_props_are_refused_before_synth(overrides: dict[str, Any], message: str) -> None:
    stack = Stack(App(context=cdk_context()), "Refused")
    key = kms.Key(stack, "Key")
    props: dict[str, Any] = {
        "data_bucket": s3.Bucket(stack, "Data", event_bridge_enabled=True),
        "pipeline_name": PIPELINE,
        "parameters": PARAMETERS,
        "key": key,
        "model_package_group_name": GROUP,
        "artifact_bucket": s3.Bucket(stack, "Artifacts"),
        **overrides,
    }
    with pytest.raises(ValueError, match=message):
        PipelineTrigger(stack, "Trigger", **props)
