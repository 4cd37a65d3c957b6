"""The trigger's queues: new data on its way to the function, and the two dead-letter queues.

```
EventBridge rules ──> NewData queue ──(batching window, max concurrency)──> trigger Lambda
   │ 10 retries in 4 h     │ after MAX_RECEIVES receives            │ parked events, failed
   v                       v                                        v async invocations
UndeliveredEvents      FailedEvents <───────────────────────────────┘
```

Every queue is encrypted with the stack's key and refuses plain HTTP. The EventBridge target
and the on-failure destination are written here rather than taken from CDK, whose versions would
grant more than each sender needs (see `QueueTarget`, `QueueDestination`).
"""

from __future__ import annotations

import jsii
from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_sqs as sqs
from aws_cdk.interfaces.aws_events import IRuleRef
from constructs import Construct

from stacks.nag import acknowledge

EVENTS_SERVICE = "events.amazonaws.com"
QUEUE_RETENTION = Duration.days(14)
# New data waits at most this long; a message that keeps coming back reaches FailedEvents long
# before (MAX_RECEIVES), and FailedEvents keeps it for 14 days from when it was first sent.
NEW_DATA_RETENTION = Duration.days(4)
# Receives of one message before SQS moves it to FailedEvents: with the delays below (1, 2, 4, 8,
# then 15 minutes) about five hours of waiting for a free execution slot.
MAX_RECEIVES = 24
RETRY_DELAY = Duration.minutes(1)
MAX_RETRY_DELAY = Duration.minutes(15)
# Messages per invocation. Lambda takes more than 10 only with a batching window of 1 s or more,
# and cuts a batch at 6 MB of payload (a few thousand S3 events).
BATCH_SIZE = 1000
UNBATCHED_SIZE = 10
TARGET_RETRY_ATTEMPTS = 10
TARGET_MAX_EVENT_AGE = Duration.hours(4)


def encrypted_queue(
    scope: Construct,
    construct_id: str,
    key: kms.IKey,
    *,
    retention: Duration = QUEUE_RETENTION,
    visibility_timeout: Duration | None = None,
    dead_letter_queue: sqs.IQueue | None = None,
) -> sqs.Queue:
    """A standard queue under the stack's key, TLS only, emptied with the stack."""
    return sqs.Queue(
        scope,
        construct_id,
        encryption=sqs.QueueEncryption.KMS,
        encryption_master_key=key,
        data_key_reuse=Duration.hours(1),
        enforce_ssl=True,
        retention_period=retention,
        visibility_timeout=visibility_timeout,
        dead_letter_queue=(
            sqs.DeadLetterQueue(max_receive_count=MAX_RECEIVES, queue=dead_letter_queue)
            if dead_letter_queue is not None
            else None
        ),
        removal_policy=RemovalPolicy.DESTROY,
    )


def new_data_visibility(function_timeout: Duration, window_seconds: int) -> Duration:
    """The NewData queue's visibility timeout: six times the function's timeout plus the
    batching window, as Lambda advises, so a throttled invocation's messages are not offered
    again while it may still run. The function sets shorter delays on what it hands back."""
    return Duration.seconds(6 * int(function_timeout.to_seconds()) + window_seconds)


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


def _allow_rule(queue: sqs.IQueue, sid: str, rule: IRuleRef) -> None:
    queue.add_to_resource_policy(
        iam.PolicyStatement(
            sid=sid,
            principals=[iam.ServicePrincipal(EVENTS_SERVICE)],
            actions=["sqs:SendMessage"],
            resources=[queue.queue_arn],
            conditions={"ArnEquals": {"aws:SourceArn": events.CfnRule.arn_for_rule(rule)}},
        )
    )


@jsii.implements(events.IRuleTarget)
class QueueTarget:
    """Send a rule's events to an encrypted queue as EventBridge, allowed for that rule alone.

    CDK's `targets.SqsQueue` on a queue with a customer-managed key allows any rule of the
    account (`aws:SourceAccount`) and grants `events.amazonaws.com` the key without condition;
    here the queue policy names the rule, and the key policy already lets only this stack's
    rules use the key (see `PipelineTrigger`).
    """

    def __init__(self, queue: sqs.IQueue, dead_letter_queue: sqs.IQueue) -> None:
        self.queue = queue
        self.dead_letter_queue = dead_letter_queue

    def bind(self, rule: IRuleRef, _id: str | None = None) -> events.RuleTargetConfig:
        """The target: the queue, with retries and the dead-letter queue for what fails."""
        _allow_rule(self.queue, f"EventsFrom{rule.node.id}", rule)
        _allow_rule(self.dead_letter_queue, f"Undelivered{rule.node.id}", rule)
        return events.RuleTargetConfig(
            arn=self.queue.queue_arn,
            dead_letter_config=events.CfnRule.DeadLetterConfigProperty(
                arn=self.dead_letter_queue.queue_arn
            ),
            retry_policy=events.CfnRule.RetryPolicyProperty(
                maximum_retry_attempts=TARGET_RETRY_ATTEMPTS,
                maximum_event_age_in_seconds=int(TARGET_MAX_EVENT_AGE.to_seconds()),
            ),
        )


def consume(
    function: lambda_.Function, queue: sqs.IQueue, *, window_seconds: int, max_concurrency: int
) -> lambda_.EventSourceMapping:
    """Read the queue in batches: the batching window, at most `max_concurrency` invocations at
    once, and partial batch responses (`batchItemFailures`), so only what failed returns."""
    function.add_event_source(
        event_sources.SqsEventSource(
            queue,
            batch_size=BATCH_SIZE if window_seconds >= 1 else UNBATCHED_SIZE,
            max_batching_window=Duration.seconds(window_seconds),
            max_concurrency=max_concurrency,
            report_batch_item_failures=True,
        )
    )
    (mapping,) = [
        child for child in function.node.children if isinstance(child, lambda_.EventSourceMapping)
    ]
    acknowledge(
        mapping,
        {
            "Serverless-LambdaEventSourceMappingDestination": (
                "an SQS event source takes no on-failure destination (only stream and Kafka "
                "sources do); the queue's redrive policy moves a message to FailedEvents after "
                f"{MAX_RECEIVES} receives"
            )
        },
    )
    return mapping
