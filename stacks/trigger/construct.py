"""The trigger construct: a new raw CSV file starts a pipeline run.

```
S3 Object Created (data bucket, raw prefix, *.csv / *.csv.gz, size > 0) ─┐
optional schedule rule ──────────────────────────────────────────────────┤ EventBridge
                                                                         │ retries, then
                                                                         v UndeliveredEvents DLQ
                                              trigger Lambda (async: 2 retries, then
                                              FailedEvents queue) ── StartPipelineExecution
```

Both queues use the stack's key and keep messages for 14 days. The function's role may start
and inspect this one pipeline, look up its champion (list the Model Registry's packages and
describe those of its group), write its own log group, send to the failed-events queue (with
`kms:GenerateDataKey` and `kms:Decrypt` on the key, all SQS needs from a producer) and write
X-Ray traces; nothing else.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

import jsii
from aws_cdk import (
    Annotations,
    ArnFormat,
    AssetHashType,
    BundlingOptions,
    Duration,
    ILocalBundling,
    RemovalPolicy,
    Stack,
    Token,
)
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from project import champion, run_parameters
from project.run_parameters import INPUT_DATA, ParameterSpec, encode_specs
from project.settings import DEFAULT_RAW_DATA_PREFIX, PREFIX_PATTERN, schedule_problem
from stacks.checkov import skip_checks
from stacks.log_groups import encrypted_log_group
from stacks.nag import acknowledge, wildcard_resource
from stacks.trigger.champion_lookup import allow_champion_lookup, champion_environment
from stacks.trigger.handler.champion import GROUP_VARIABLE
from stacks.trigger.handler.events import SUPPORTED_SUFFIXES

HANDLER_DIR = Path(__file__).resolve().parent / "handler"
RULES_MODULE = Path(run_parameters.__file__).resolve()
# The champion rules (project/champion.py) ship beside the run-parameter rules.
SHARED_MODULES = (RULES_MODULE, Path(champion.__file__).resolve())
HANDLER = "handler.handler.lambda_handler"
RUNTIME = lambda_.Runtime.PYTHON_3_14

FUNCTION_TIMEOUT = Duration.seconds(60)
FUNCTION_MEMORY_MB = 256
ASYNC_RETRY_ATTEMPTS = 2
ASYNC_MAX_EVENT_AGE = Duration.hours(6)
TARGET_RETRY_ATTEMPTS = 10
TARGET_MAX_EVENT_AGE = Duration.hours(4)
QUEUE_RETENTION = Duration.days(14)
EVENTS_SERVICE = "events.amazonaws.com"


@jsii.implements(ILocalBundling)
class HandlerAsset:
    """Builds the function's asset without Docker: the `handler` package and the rules module.

    The asset is `handler/*.py` plus `project/__init__.py`, `project/run_parameters.py` and
    `project/champion.py`, so the Lambda checks run parameters and finds the champion with the
    very modules the CLI and `run-local` use.
    """

    def try_bundle(self, output_dir: str, options: BundlingOptions) -> bool:
        """Copy the sources into `output_dir`; CDK hashes what lands there."""
        output = Path(output_dir)
        for source in sorted(HANDLER_DIR.glob("*.py")):
            _copy(source, output / "handler" / source.name)
        for source in (RULES_MODULE.parent / "__init__.py", *SHARED_MODULES):
            _copy(source, output / "project" / source.name)
        return True


def _copy(source: Path, destination: Path) -> None:
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, destination)


def handler_code() -> lambda_.Code:
    """The function's code asset, bundled locally (never with Docker)."""
    return lambda_.Code.from_asset(
        str(HANDLER_DIR),
        asset_hash_type=AssetHashType.OUTPUT,
        # jsii calls back with the options as one positional struct, not the keywords its
        # typing stub declares, so the implementation cannot match the stub.
        bundling=BundlingOptions(
            image=RUNTIME.bundling_image,
            local=HandlerAsset(),  # type: ignore[arg-type]
        ),
    )


def allow_sending(role: iam.IRole, queue: sqs.IQueue, key: kms.IKey) -> None:
    """SendMessage to an encrypted queue: the queue, and a data key from its key, nothing more.

    CDK's `grant_send_messages` would add `kms:Encrypt` and `kms:ReEncrypt*`, which SQS never
    asks a producer for.
    """
    role.add_to_principal_policy(
        iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[queue.queue_arn])
    )
    role.add_to_principal_policy(
        iam.PolicyStatement(actions=["kms:GenerateDataKey", "kms:Decrypt"], resources=[key.key_arn])
    )


@jsii.implements(lambda_.IDestination)
class QueueDestination:
    """The on-failure destination: the queue's ARN, with the narrow grant of `allow_sending`.

    The function's role already holds that grant for parking (see `PipelineTrigger`), so
    binding adds nothing; `lambda_destinations.SqsDestination` would widen it.
    """

    def __init__(self, queue: sqs.IQueue) -> None:
        self.queue = queue

    def bind(
        self, _scope: Construct, _fn: lambda_.IFunction, _options: object = None
    ) -> lambda_.DestinationConfig:
        """The destination's ARN."""
        return lambda_.DestinationConfig(destination=self.queue.queue_arn)


def key_wildcards(prefix: str) -> list[str]:
    """EventBridge wildcard patterns matching `prefix` + anything + each supported suffix."""
    # `*` is a wildcard in these patterns; a literal one in the prefix must be escaped.
    escaped = prefix.replace("\\", "\\\\").replace("*", "\\*")
    return [f"{escaped}*{suffix}" for suffix in SUPPORTED_SUFFIXES]


def pipeline_arns(stack: Stack, pipeline_name: str) -> list[str]:
    """The pipeline's ARN as IAM sees it: SageMaker lowercases names in ARNs.

    When the configured name has capitals the literal form is kept too, so the grant holds
    whichever form a request carries; both name only this pipeline.
    """
    names = dict.fromkeys([pipeline_name.lower(), pipeline_name])
    return [
        stack.format_arn(
            service="sagemaker",
            resource="pipeline",
            resource_name=name,
            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
        )
        for name in names
    ]


def rule_prefix(stack: Stack) -> str:
    """The name prefix of the stack's EventBridge rules, which the key policy names."""
    return f"{stack.stack_name}-"


def _concurrency_skips(reserved_concurrency: int | None) -> dict[str, str]:
    """Checkov's function-level concurrency check is skipped only while nothing is reserved."""
    if reserved_concurrency is not None:
        return {}
    return {
        "CKV_AWS_115": "reserved concurrency is opt-in (triggerReservedConcurrency): reserving "
        "fails in accounts at the starter concurrency limit, and starts are idempotent, so a "
        "burst of uploads starts each run once",
    }


class PipelineTrigger(Construct):
    """EventBridge rules and a Lambda function that start the pipeline."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        data_bucket: s3.IBucket,
        pipeline_name: str,
        parameters: Sequence[ParameterSpec],
        key: kms.IKey,
        raw_data_prefix: str = DEFAULT_RAW_DATA_PREFIX,
        schedule: str | None = None,
        skip_if_running: bool = False,
        reserved_concurrency: int | None = None,
        model_package_group_name: str | None = None,
        artifact_bucket: s3.IBucket | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self._check_props(pipeline_name, raw_data_prefix, parameters, schedule)
        champion_env = champion_environment(parameters, model_package_group_name, artifact_bucket)
        if reserved_concurrency is not None and reserved_concurrency < 1:
            raise ValueError(f"reserved_concurrency must be at least 1, not {reserved_concurrency}")
        stack = Stack.of(self)

        self.undelivered_events = self._queue("UndeliveredEvents", key)
        self.failed_events = self._queue("FailedEvents", key)
        self.log_group = encrypted_log_group(self, "Logs", key, purpose="trigger")
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Trigger Lambda: starts pipeline {pipeline_name} (no managed policies)",
        )
        self.log_group.grant_write(self.role)
        # Parking and the on-failure destination both send to FailedEvents.
        allow_sending(self.role, self.failed_events, key)

        self.function = lambda_.Function(
            self,
            "Function",
            description=f"Starts pipeline {pipeline_name} for new raw data under {raw_data_prefix}",
            runtime=RUNTIME,
            architecture=lambda_.Architecture.ARM_64,
            handler=HANDLER,
            code=handler_code(),
            role=self.role,
            timeout=FUNCTION_TIMEOUT,
            memory_size=FUNCTION_MEMORY_MB,
            # Opt-in: reserving takes from the account's unreserved pool, which Lambda never lets
            # fall below its minimum, so an account at the starter limit of 10 cannot reserve.
            reserved_concurrent_executions=reserved_concurrency,
            tracing=lambda_.Tracing.ACTIVE,
            log_group=self.log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            application_log_level_v2=lambda_.ApplicationLogLevel.INFO,
            system_log_level_v2=lambda_.SystemLogLevel.WARN,
            retry_attempts=ASYNC_RETRY_ATTEMPTS,
            max_event_age=ASYNC_MAX_EVENT_AGE,
            on_failure=QueueDestination(self.failed_events),  # type: ignore[arg-type]
            environment={
                "PIPELINE_NAME": pipeline_name,
                "DATA_BUCKET_NAME": data_bucket.bucket_name,
                "RAW_DATA_PREFIX": raw_data_prefix,
                "PIPELINE_PARAMETERS": encode_specs(parameters),
                "SKIP_IF_RUNNING": "true" if skip_if_running else "false",
                "FAILED_EVENTS_QUEUE_URL": self.failed_events.queue_url,
                **champion_env,
            },
        )
        self._allow_pipeline(stack, pipeline_name)
        champion_packages = (
            allow_champion_lookup(self, self.role, champion_env[GROUP_VARIABLE])
            if champion_env
            else None
        )
        skip_checks(
            self.function,
            {
                **_concurrency_skips(reserved_concurrency),
                "CKV_AWS_116": "async failures go to the FailedEvents queue through the "
                "on-failure destination, which records the error with the event (a DLQ keeps "
                "only the event)",
                "CKV_AWS_117": "the function only calls the SageMaker API; inside a VPC it "
                "would need a NAT gateway or an interface endpoint for nothing",
                "CKV_AWS_173": "the environment holds no secrets: the pipeline name, the data "
                "bucket's name, the raw prefix, parameter declarations and the failed-events "
                "queue URL",
            },
        )

        self.object_created_rule = events.Rule(
            self,
            "NewRawData",
            rule_name=f"{rule_prefix(stack)}new-raw-data",
            description=f"New *.csv / *.csv.gz under {raw_data_prefix} start {pipeline_name}",
            event_pattern=events.EventPattern(
                source=["aws.s3"],
                detail_type=["Object Created"],
                detail={
                    "bucket": {"name": [data_bucket.bucket_name]},
                    "object": {
                        "key": [
                            {"wildcard": pattern} for pattern in key_wildcards(raw_data_prefix)
                        ],
                        "size": [{"numeric": [">", 0]}],
                    },
                },
            ),
            targets=[self._target()],
        )
        self.schedule_rule: events.Rule | None = None
        if schedule is not None:
            self.schedule_rule = events.Rule(
                self,
                "Schedule",
                rule_name=f"{rule_prefix(stack)}schedule",
                description=f"Scheduled runs of {pipeline_name} with default parameters",
                schedule=events.Schedule.expression(schedule),
                targets=[self._target()],
            )
        self._allow_events_to_use_key(stack, key)
        self._acknowledge(stack, pipeline_name, champion_packages)

    @staticmethod
    def _check_props(
        pipeline_name: str,
        raw_data_prefix: str,
        parameters: Sequence[ParameterSpec],
        schedule: str | None,
    ) -> None:
        if Token.is_unresolved(pipeline_name):
            # The ARN grant needs the lowercased name, which a token cannot give.
            raise ValueError("pipeline_name must be a literal name, not a token")
        if not PREFIX_PATTERN.match(raw_data_prefix):
            raise ValueError(f"raw_data_prefix {raw_data_prefix!r} must look like data/raw/")
        if not any(spec.name == INPUT_DATA and spec.type == "String" for spec in parameters):
            raise ValueError(f"parameters must declare {INPUT_DATA} as a String")
        problem = schedule_problem(schedule) if schedule is not None else None
        if problem:
            raise ValueError(f"schedule: {problem}")

    def _queue(self, construct_id: str, key: kms.IKey) -> sqs.Queue:
        return sqs.Queue(
            self,
            construct_id,
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=key,
            data_key_reuse=Duration.hours(1),
            enforce_ssl=True,
            retention_period=QUEUE_RETENTION,
            removal_policy=RemovalPolicy.DESTROY,
        )

    def _target(self) -> targets.LambdaFunction:
        return targets.LambdaFunction(
            self.function,
            dead_letter_queue=self.undelivered_events,
            retry_attempts=TARGET_RETRY_ATTEMPTS,
            max_event_age=TARGET_MAX_EVENT_AGE,
        )

    def _execution_arns(self, stack: Stack, pipeline_name: str) -> list[str]:
        return [f"{arn}/execution/*" for arn in pipeline_arns(stack, pipeline_name)]

    def _allow_pipeline(self, stack: Stack, pipeline_name: str) -> None:
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="StartThisPipeline",
                actions=[
                    "sagemaker:StartPipelineExecution",
                    "sagemaker:ListPipelineExecutions",
                    "sagemaker:DescribePipeline",
                ],
                resources=pipeline_arns(stack, pipeline_name),
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="InspectThisPipelinesExecutions",
                actions=[
                    "sagemaker:DescribePipelineExecution",
                    "sagemaker:ListPipelineParametersForExecution",
                ],
                resources=self._execution_arns(stack, pipeline_name),
            )
        )

    def _allow_events_to_use_key(self, stack: Stack, key: kms.IKey) -> None:
        # EventBridge writes to the CMK-encrypted DLQ as itself, so the key policy must let it
        # use the key (CDK adds only the queue policy). Naming the rules' ARNs here would make
        # key -> rule -> queue -> key a cycle, so the condition is the rules' name prefix: the
        # stack's rules are named `<stack name>-...`.
        result = key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal(EVENTS_SERVICE)],
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=["*"],
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    "ArnLike": {
                        "aws:SourceArn": stack.format_arn(
                            service="events",
                            resource="rule",
                            resource_name=f"{rule_prefix(stack)}*",
                            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
                        )
                    },
                },
            )
        )
        if not result.statement_added:
            Annotations.of(self).add_warning_v2(
                "trigger:key-policy",
                "The key is imported, so its policy was not changed: allow events.amazonaws.com "
                "kms:Decrypt and kms:GenerateDataKey on it, or undelivered events are lost.",
            )

    def _acknowledge(self, stack: Stack, pipeline_name: str, packages: str | None) -> None:
        dlq_reason = "{} is itself a dead-letter queue ({}); it has no DLQ of its own."
        for queue, role in (
            (self.undelivered_events, "EventBridge target DLQ"),
            (self.failed_events, "Lambda on-failure destination and parked events"),
        ):
            reason = dlq_reason.format(queue.node.id, role)
            acknowledge(queue, {"AwsSolutions-SQS3": reason, "Serverless-SQSRedrivePolicy": reason})
        acknowledge(
            self.function,
            {
                "Serverless-LambdaDLQ": (
                    "Failed asynchronous invocations go to the on-failure destination "
                    "(FailedEvents), which records the error as well as the event."
                ),
            },
        )
        findings: dict[str, str] = {}
        for arn in self._execution_arns(stack, pipeline_name):
            findings[wildcard_resource(self, arn)] = (
                "execution ids are generated by SageMaker; the ARN names this pipeline only"
            )
        findings[wildcard_resource(self, "*")] = (
            "xray:PutTraceSegments and xray:PutTelemetryRecords have no resource-level "
            "permissions, nor has sagemaker:ListModelPackages (the champion lookup; it lists "
            "package summaries, and DescribeModelPackage is limited to this group)"
        )
        if packages is not None:
            findings[wildcard_resource(self, packages)] = (
                "each registration is a new version of this group; the champion lookup "
                "describes the newest Approved one"
            )
        acknowledge(self.role.node.find_child("DefaultPolicy"), findings)
