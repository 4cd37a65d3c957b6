"""Alarms and notifications: the encrypted topic, the three alarms, the failed-run rule, and
the key and topic policies that let exactly those publish."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Capture, Match, Template

from stacks.alarms import PIPELINE_STATUS_CHANGE

STACK = "house-price-ml-pipeline"
PIPELINE = "house-price-mlops-pipeline"


def _logical_id(template: dict[str, Any], resource_type: str, prefix: str) -> str:
    (found,) = [
        str(logical_id)
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == resource_type and logical_id.startswith(prefix)
    ]
    return found


def _arn(resource: str) -> dict[str, Any]:
    """An ARN of this stack's region and account, as the template writes it."""
    service, rest = resource.split(":", 1)
    return {"Fn::Join": ["", [f"arn:aws:{service}:us-east-1:", {"Ref": "AWS::AccountId"}, rest]]}


@pytest.fixture(scope="module")
def ids(template: dict[str, Any]) -> dict[str, str]:
    return {
        "key": _logical_id(template, "AWS::KMS::Key", "DataStorageKey"),
        "topic": _logical_id(template, "AWS::SNS::Topic", "AlarmsTopic"),
        "undelivered": _logical_id(template, "AWS::SQS::Queue", "TriggerUndeliveredEvents"),
        "failed": _logical_id(template, "AWS::SQS::Queue", "TriggerFailedEvents"),
        "function": _logical_id(template, "AWS::Lambda::Function", "TriggerFunction"),
    }


def test_the_topic_is_encrypted_with_the_stack_key(
    cdk_template: Template, ids: dict[str, str]
) -> None:
    cdk_template.resource_count_is("AWS::SNS::Topic", 1)
    cdk_template.has_resource_properties(
        "AWS::SNS::Topic", {"KmsMasterKeyId": {"Fn::GetAtt": [ids["key"], "Arn"]}}
    )


def test_no_subscription_without_an_email_setting(cdk_template: Template) -> None:
    cdk_template.resource_count_is("AWS::SNS::Subscription", 0)


@pytest.mark.parametrize(
    ("queue", "name"), [("undelivered", "UndeliveredEvents"), ("failed", "FailedEvents")]
)
def test_a_message_in_either_dead_letter_queue_raises_an_alarm(
    cdk_template: Template, ids: dict[str, str], queue: str, name: str
) -> None:
    cdk_template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "AlarmName": f"{STACK}-{name}",
            "Namespace": "AWS/SQS",
            "MetricName": "ApproximateNumberOfMessagesVisible",
            "Dimensions": [
                {"Name": "QueueName", "Value": {"Fn::GetAtt": [ids[queue], "QueueName"]}}
            ],
            "Statistic": "Maximum",
            "Period": 300,
            "EvaluationPeriods": 1,
            "ComparisonOperator": "GreaterThanThreshold",
            "Threshold": 0,
            "TreatMissingData": "notBreaching",
            "AlarmActions": [{"Ref": ids["topic"]}],
        },
    )


def test_trigger_errors_raise_an_alarm(cdk_template: Template, ids: dict[str, str]) -> None:
    cdk_template.resource_count_is("AWS::CloudWatch::Alarm", 3)
    cdk_template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "AlarmName": f"{STACK}-TriggerErrors",
            "Namespace": "AWS/Lambda",
            "MetricName": "Errors",
            "Dimensions": [{"Name": "FunctionName", "Value": {"Ref": ids["function"]}}],
            "Statistic": "Sum",
            "Period": 300,
            "ComparisonOperator": "GreaterThanThreshold",
            "Threshold": 0,
            "TreatMissingData": "notBreaching",
            "AlarmActions": [{"Ref": ids["topic"]}],
        },
    )


def test_a_failed_or_stopped_run_of_this_pipeline_is_published_with_its_execution(
    cdk_template: Template, ids: dict[str, str]
) -> None:
    template_text = Capture()
    cdk_template.has_resource_properties(
        "AWS::Events::Rule",
        {
            "Name": f"{STACK}-pipeline-failed",
            "EventPattern": {
                "source": ["aws.sagemaker"],
                "detail-type": [PIPELINE_STATUS_CHANGE],
                "detail": {
                    "pipelineArn": [_arn(f"sagemaker::pipeline/{PIPELINE}")],
                    "currentPipelineExecutionStatus": ["Failed", "Stopped"],
                },
            },
            "Targets": [
                {
                    "Arn": {"Ref": ids["topic"]},
                    "Id": Match.any_value(),
                    "InputTransformer": {
                        "InputPathsMap": {
                            "detail-pipelineExecutionArn": "$.detail.pipelineExecutionArn",
                            "detail-pipelineExecutionDisplayName": (
                                "$.detail.pipelineExecutionDisplayName"
                            ),
                            "detail-currentPipelineExecutionStatus": (
                                "$.detail.currentPipelineExecutionStatus"
                            ),
                            "time": "$.time",
                        },
                        "InputTemplate": template_text,
                    },
                    "RetryPolicy": {"MaximumRetryAttempts": 10, "MaximumEventAgeInSeconds": 14400},
                    "DeadLetterConfig": {"Arn": {"Fn::GetAtt": [ids["undelivered"], "Arn"]}},
                }
            ],
        },
    )
    message = template_text.as_string()
    assert message.startswith('"Pipeline execution <detail-pipelineExecutionArn> ')
    assert "ended <detail-currentPipelineExecutionStatus>" in message
    assert "python -m pipeline_definition status <detail-pipelineExecutionArn>" in message


def _statements(template: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    (resource,) = [r for r in template["Resources"].values() if r["Type"] == resource_type]
    key = "KeyPolicy" if resource_type == "AWS::KMS::Key" else "PolicyDocument"
    statements: list[dict[str, Any]] = resource["Properties"][key]["Statement"]
    return statements


def _by_service(statements: list[dict[str, Any]], service: str) -> list[dict[str, Any]]:
    return [s for s in statements if s.get("Principal") == {"Service": service}]


@pytest.mark.parametrize(
    ("service", "source"),
    [
        ("cloudwatch.amazonaws.com", f"cloudwatch::alarm:{STACK}-*"),
        ("events.amazonaws.com", f"events::rule/{STACK}-*"),
    ],
)
def test_only_this_stacks_alarms_and_rules_may_use_the_key_and_publish(
    template: dict[str, Any], service: str, source: str
) -> None:
    conditions = {
        "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
        "ArnLike": {"aws:SourceArn": _arn(source)},
    }
    (key_statement,) = _by_service(_statements(template, "AWS::KMS::Key"), service)
    assert key_statement["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert key_statement["Condition"] == conditions
    (publish,) = _by_service(_statements(template, "AWS::SNS::TopicPolicy"), service)
    assert publish["Action"] == "sns:Publish"
    assert publish["Condition"] == conditions


def test_the_topic_refuses_plain_http(template: dict[str, Any]) -> None:
    denies = [s for s in _statements(template, "AWS::SNS::TopicPolicy") if s["Effect"] == "Deny"]
    assert [d["Condition"] for d in denies] == [{"Bool": {"aws:SecureTransport": "false"}}]


def test_the_failed_run_rule_may_dead_letter_into_undelivered_events(
    template: dict[str, Any], ids: dict[str, str]
) -> None:
    rule = _logical_id(template, "AWS::Events::Rule", "AlarmsPipelineFailed")
    (policy,) = [
        r
        for r in template["Resources"].values()
        if r["Type"] == "AWS::SQS::QueuePolicy"
        and r["Properties"]["Queues"] == [{"Ref": ids["undelivered"]}]
    ]
    sources = [
        s["Condition"]["ArnEquals"]["aws:SourceArn"]
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if s["Effect"] == "Allow"
    ]
    assert {"Fn::GetAtt": [rule, "Arn"]} in sources


def test_the_topic_arn_is_an_output(template: dict[str, Any], ids: dict[str, str]) -> None:
    assert template["Outputs"]["AlarmTopicArn"]["Value"] == {"Ref": ids["topic"]}
