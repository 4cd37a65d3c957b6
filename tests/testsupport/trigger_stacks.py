"""Two small stacks with the trigger construct, synthesized once per session with cdk-nag.

The plain stack keeps the defaults; the scheduled one has a schedule, skip-if-running, reserved
concurrency, a capitalised pipeline name and an unbatched queue (window 0, more invocations), so
one synth covers both ends of each setting.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import App, Environment, RemovalPolicy, Stack, Validations
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks, ServerlessChecks

from project.run_parameters import definition_parameters
from project.settings import cdk_context
from stacks.nag import LAMBDA_BASIC_EXECUTION_FINDING, acknowledge
from stacks.storage import NOTIFICATIONS_HANDLER_ID
from stacks.trigger.construct import PipelineTrigger
from testsupport.definitions import SHIPPED_DEFINITION

ACCOUNT = "123456789012"
REGION = "eu-west-1"
PARAMETERS = list(definition_parameters(json.loads(SHIPPED_DEFINITION.read_text())).values())
PIPELINE = "house-price-mlops-pipeline"
CAPITALISED_PIPELINE = "House-Price-Pipeline"
# The scheduled test stack opts in to reserved concurrency; the plain one keeps the default.
RESERVED = 5
# The scheduled stack's queue: no batching window, more concurrent invocations.
UNBATCHED_MAX_CONCURRENCY = 5
GROUP = "house-price-models"


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
        "new_data": trigger.new_data,
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
        batching_window_seconds=0 if schedule is not None else 180,
        max_concurrency=UNBATCHED_MAX_CONCURRENCY if schedule is not None else 2,
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


def synthesize(outdir: Path) -> Iterator[Synthesized]:
    """One app with a trigger without and one with a schedule, checked by cdk-nag."""
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
