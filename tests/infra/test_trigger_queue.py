"""The NewData queue between the rules and the trigger: encryption, redrive, batching, policies."""

from __future__ import annotations

from typing import Any

from aws_cdk.assertions import Match

from stacks.trigger.queues import MAX_RECEIVES
from testsupport.trigger_stacks import UNBATCHED_MAX_CONCURRENCY, Synthesized


def _properties(template: dict[str, Any], logical_id: str) -> dict[str, Any]:
    properties: dict[str, Any] = template["Resources"][logical_id]["Properties"]
    return properties


def test_every_queue_uses_the_key_and_refuses_plain_http(synthesized: Synthesized) -> None:
    ids = synthesized.ids
    synthesized.plain.resource_count_is("AWS::SQS::Queue", 3)
    retention = {"undelivered": 14, "failed": 14, "new_data": 4}
    for name, days in retention.items():
        queue = _properties(synthesized.plain_json, ids[name])
        assert queue["KmsMasterKeyId"] == {"Fn::GetAtt": [ids["key"], "Arn"]}, name
        assert queue["MessageRetentionPeriod"] == days * 24 * 3600, name
        synthesized.plain.has_resource_properties(
            "AWS::SQS::QueuePolicy",
            {
                "Queues": [{"Ref": ids[name]}],
                "PolicyDocument": {
                    "Statement": Match.array_with(
                        [
                            {
                                "Action": "sqs:*",
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                                "Effect": "Deny",
                                "Principal": {"AWS": "*"},
                                "Resource": {"Fn::GetAtt": [ids[name], "Arn"]},
                            }
                        ]
                    )
                },
            },
        )


def test_a_message_that_keeps_coming_back_moves_to_failed_events(
    synthesized: Synthesized,
) -> None:
    new_data = _properties(synthesized.plain_json, synthesized.ids["new_data"])
    assert new_data["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [synthesized.ids["failed"], "Arn"]},
        "maxReceiveCount": MAX_RECEIVES,
    }
    # Six times the function's 120 s timeout plus the batching window, as Lambda advises.
    assert new_data["VisibilityTimeout"] == 6 * 120 + 180
    unbatched = _properties(synthesized.scheduled_json, synthesized.scheduled_ids["new_data"])
    assert unbatched["VisibilityTimeout"] == 6 * 120


def test_the_function_reads_the_queue_in_batches_with_partial_failures(
    synthesized: Synthesized,
) -> None:
    synthesized.plain.has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {
            "EventSourceArn": {"Fn::GetAtt": [synthesized.ids["new_data"], "Arn"]},
            "FunctionName": {"Ref": synthesized.ids["function"]},
            "BatchSize": 1000,
            "MaximumBatchingWindowInSeconds": 180,
            "ScalingConfig": {"MaximumConcurrency": 2},
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
        },
    )
    # Without a batching window Lambda takes at most 10 messages an invocation.
    synthesized.scheduled.has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {
            "BatchSize": 10,
            "MaximumBatchingWindowInSeconds": 0,
            "ScalingConfig": {"MaximumConcurrency": UNBATCHED_MAX_CONCURRENCY},
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
        },
    )


def _events_statements(template: dict[str, Any], queue: str) -> list[dict[str, Any]]:
    policies = [
        resource["Properties"]["PolicyDocument"]["Statement"]
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::SQS::QueuePolicy"
        and resource["Properties"]["Queues"] == [{"Ref": queue}]
    ]
    return [
        statement
        for statements in policies
        for statement in statements
        if statement.get("Principal") == {"Service": "events.amazonaws.com"}
    ]


def test_only_this_stacks_rules_may_send_to_the_queue(synthesized: Synthesized) -> None:
    template = synthesized.scheduled_json
    rules = sorted(
        logical_id
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Events::Rule"
    )
    statements = _events_statements(template, synthesized.scheduled_ids["new_data"])
    assert (
        sorted(s["Condition"]["ArnEquals"]["aws:SourceArn"]["Fn::GetAtt"][0] for s in statements)
        == rules
    )
    for statement in statements:
        assert statement["Action"] == "sqs:SendMessage"
        assert set(statement["Condition"]) == {"ArnEquals"}


def test_the_key_policy_is_not_widened_for_the_queue(synthesized: Synthesized) -> None:
    """CDK's SqsQueue target would let events.amazonaws.com use the key for any rule; the one
    statement for EventBridge names this stack's rules by their prefix."""
    (key,) = [
        resource
        for resource in synthesized.plain_json["Resources"].values()
        if resource["Type"] == "AWS::KMS::Key"
    ]
    for_events = [
        statement
        for statement in key["Properties"]["KeyPolicy"]["Statement"]
        if statement.get("Principal") == {"Service": "events.amazonaws.com"}
    ]
    assert len(for_events) == 1
    assert for_events[0]["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert "ArnLike" in for_events[0]["Condition"]
