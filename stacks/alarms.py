"""Alarms and notifications: someone is told when an event is parked or a run fails.

```
UndeliveredEvents holds a message ─┐ CloudWatch alarm (ApproximateNumberOfMessagesVisible > 0)
FailedEvents holds a message ──────┤ CloudWatch alarm (the same)
trigger function errors ───────────┤ CloudWatch alarm (Errors > 0)           SNS topic
pipeline execution Failed/Stopped ─┴ EventBridge rule (SageMaker status) ──> (stack key) ──> email
```

The topic is encrypted with the stack's key, so the key policy lets the two publishers use it,
each only for this stack's alarms or rules (`aws:SourceAccount`, `aws:SourceArn`); the topic
policy lets them publish, with the same conditions, and refuses plain HTTP. Alarm and rule
names start with the stack name, which is what those conditions match: naming the resources
themselves would make key -> alarm -> topic -> key a cycle.
"""

from __future__ import annotations

from collections.abc import Mapping

import jsii
from aws_cdk import Annotations, ArnFormat, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from stacks.nag import acknowledge
from stacks.trigger.construct import rule_prefix

CLOUDWATCH_SERVICE = "cloudwatch.amazonaws.com"
EVENTS_SERVICE = "events.amazonaws.com"
PIPELINE_STATUS_CHANGE = "SageMaker Model Building Pipeline Execution Status Change"
FAILED_STATUSES = ("Failed", "Stopped")
ALARM_PERIOD = Duration.minutes(5)
TARGET_RETRY_ATTEMPTS = 10
TARGET_MAX_EVENT_AGE = Duration.hours(4)
STATUS_COMMAND = "python -m pipeline_definition status"


def failure_message() -> events.RuleTargetInput:
    """What the topic says about a failed or stopped execution: which one, and how to look."""
    execution = events.EventField.from_path("$.detail.pipelineExecutionArn")
    return events.RuleTargetInput.from_text(
        f"Pipeline execution {execution} "
        f"({events.EventField.from_path('$.detail.pipelineExecutionDisplayName')}) ended "
        f"{events.EventField.from_path('$.detail.currentPipelineExecutionStatus')} at "
        f"{events.EventField.from_path('$.time')}. Steps and reasons: {STATUS_COMMAND} {execution}"
    )


@jsii.implements(events.IRuleTarget)
class TopicTarget:
    """Publish to the topic as EventBridge itself, allowed by the topic and key policies.

    CDK's `targets.SnsTopic` would grant `events.amazonaws.com` the topic and the key with no
    condition; these grants name this stack's rules instead (see `PipelineAlarms`).
    """

    def __init__(
        self, topic: sns.ITopic, message: events.RuleTargetInput, dead_letter_queue: sqs.IQueue
    ) -> None:
        self.topic = topic
        self.message = message
        self.dead_letter_queue = dead_letter_queue

    def bind(self, rule: events.IRule, _id: str | None = None) -> events.RuleTargetConfig:
        """The target: the topic, the message, retries, and the dead-letter queue."""
        # What EventBridge cannot deliver waits in the queue, whose own alarm then fires.
        self.dead_letter_queue.add_to_resource_policy(
            iam.PolicyStatement(
                sid="UndeliveredFailureNotices",
                principals=[iam.ServicePrincipal(EVENTS_SERVICE)],
                actions=["sqs:SendMessage"],
                resources=[self.dead_letter_queue.queue_arn],
                conditions={"ArnEquals": {"aws:SourceArn": rule.rule_arn}},
            )
        )
        return events.RuleTargetConfig(
            arn=self.topic.topic_arn,
            input=self.message,
            dead_letter_config=events.CfnRule.DeadLetterConfigProperty(
                arn=self.dead_letter_queue.queue_arn
            ),
            retry_policy=events.CfnRule.RetryPolicyProperty(
                maximum_retry_attempts=TARGET_RETRY_ATTEMPTS,
                maximum_event_age_in_seconds=int(TARGET_MAX_EVENT_AGE.to_seconds()),
            ),
        )


class PipelineAlarms(Construct):
    """An encrypted topic, three alarms on the trigger and a rule on the pipeline's failures."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        key: kms.IKey,
        pipeline_arns: list[str],
        queues: Mapping[str, sqs.IQueue],
        function: lambda_.IFunction,
        dead_letter_queue: sqs.IQueue,
        email: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.name_prefix = rule_prefix(stack)
        self.topic = sns.Topic(
            self,
            "Topic",
            display_name=f"{stack.stack_name}: parked events, trigger errors, failed runs",
            master_key=key,
            enforce_ssl=True,
        )
        self.subscription: sns.Subscription | None = None
        if email is not None:
            self.subscription = sns.Subscription(
                self,
                "Email",
                topic=self.topic,
                protocol=sns.SubscriptionProtocol.EMAIL,
                endpoint=email,
            )
            acknowledge(
                self.subscription,
                {
                    "Serverless-SNSRedrivePolicy": "An email subscription: SNS retries delivery "
                    "itself, and what fails is an address problem that a queue of undelivered "
                    "notices would not fix; the alarms stay in ALARM in CloudWatch and the parked "
                    "events stay in their queues, so nothing is lost with the email.",
                },
            )
        self.alarms: dict[str, cloudwatch.Alarm] = {}
        for name, queue in queues.items():
            self.alarms[name] = self._alarm(
                name,
                queue.metric_approximate_number_of_messages_visible(
                    period=ALARM_PERIOD, statistic="Maximum"
                ),
                f"{name} holds a message: an event that did not start a run. Read it with "
                "`aws sqs receive-message`; it is kept for 14 days.",
            )
        self.alarms["TriggerErrors"] = self._alarm(
            "TriggerErrors",
            function.metric_errors(period=ALARM_PERIOD, statistic="Sum"),
            "The trigger function raised (a retryable AWS error, or a bug): see its log group.",
        )
        self.failure_rule = events.Rule(
            self,
            "PipelineFailed",
            rule_name=f"{self.name_prefix}pipeline-failed",
            description="A pipeline execution of this stack failed or was stopped",
            event_pattern=events.EventPattern(
                source=["aws.sagemaker"],
                detail_type=[PIPELINE_STATUS_CHANGE],
                detail={
                    "pipelineArn": pipeline_arns,
                    "currentPipelineExecutionStatus": list(FAILED_STATUSES),
                },
            ),
            targets=[
                TopicTarget(self.topic, failure_message(), dead_letter_queue)  # type: ignore[list-item]
            ],
        )
        self._allow_publishers(stack, key)

    def _alarm(
        self, construct_id: str, metric: cloudwatch.IMetric, description: str
    ) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            self,
            construct_id,
            alarm_name=f"{self.name_prefix}{construct_id}",
            alarm_description=description,
            metric=metric,
            threshold=0,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(cloudwatch_actions.SnsAction(self.topic))
        return alarm

    def source_conditions(self, stack: Stack) -> dict[str, dict[str, dict[str, str]]]:
        """Per publisher, the conditions naming this stack's alarms or rules and its account."""
        alarms = stack.format_arn(
            service="cloudwatch",
            resource="alarm",
            resource_name=f"{self.name_prefix}*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        rules = stack.format_arn(
            service="events",
            resource="rule",
            resource_name=f"{self.name_prefix}*",
            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
        )
        return {
            service: {
                "StringEquals": {"aws:SourceAccount": stack.account},
                "ArnLike": {"aws:SourceArn": source},
            }
            for service, source in ((CLOUDWATCH_SERVICE, alarms), (EVENTS_SERVICE, rules))
        }

    def _allow_publishers(self, stack: Stack, key: kms.IKey) -> None:
        for service, conditions in self.source_conditions(stack).items():
            # SNS encrypts each published message with a data key the publisher asks for. The
            # EventBridge statement is the trigger's own (its dead-letter queues), merged into one.
            added = key.add_to_resource_policy(
                iam.PolicyStatement(
                    principals=[iam.ServicePrincipal(service)],
                    actions=["kms:Decrypt", "kms:GenerateDataKey"],
                    resources=["*"],
                    conditions=conditions,
                )
            )
            if not added.statement_added:
                Annotations.of(self).add_warning_v2(
                    "alarms:key-policy",
                    f"The key is imported: allow {service} kms:Decrypt and kms:GenerateDataKey "
                    "on it, or the encrypted alarm topic receives nothing.",
                )
            self.topic.add_to_resource_policy(
                iam.PolicyStatement(
                    sid=f"{service.split('.')[0].capitalize()}Publishes",
                    principals=[iam.ServicePrincipal(service)],
                    actions=["sns:Publish"],
                    resources=[self.topic.topic_arn],
                    conditions=conditions,
                )
            )
