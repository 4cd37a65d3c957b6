"""Log groups the stack creates: encrypted with the stack's key, kept for a year.

Each is named `/<stack name>/<purpose>`, so the key policy can let CloudWatch Logs use the key
for exactly these groups: its statement holds only when the encryption context names a log
group below `/<stack name>/` (`kms:EncryptionContext:aws:logs:arn`). Naming the groups by
reference instead would make key -> log group -> key a cycle.
"""

from __future__ import annotations

from aws_cdk import Annotations, ArnFormat, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

RETENTION = logs.RetentionDays.ONE_YEAR
# What CloudWatch Logs asks the key for (its documentation's list).
LOGS_KEY_ACTIONS = (
    "kms:Encrypt*",
    "kms:Decrypt*",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:Describe*",
)
LOGS_ENCRYPTION_CONTEXT = "kms:EncryptionContext:aws:logs:arn"


def log_group_prefix(scope: Construct) -> str:
    """The name prefix of the stack's log groups: `/<stack name>/`."""
    return f"/{Stack.of(scope).stack_name}/"


def log_groups_arn(scope: Construct) -> str:
    """The ARN pattern of every log group below the stack's prefix."""
    return Stack.of(scope).format_arn(
        service="logs",
        resource="log-group",
        resource_name=f"{log_group_prefix(scope)}*",
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )


def allow_logs_to_use(scope: Construct, key: kms.IKey) -> None:
    """Let CloudWatch Logs use the key for the stack's log groups only (once per key)."""
    stack = Stack.of(scope)
    added = key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="LogsEncryptThisStacksLogGroups",
            principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
            actions=list(LOGS_KEY_ACTIONS),
            resources=["*"],
            conditions={"ArnLike": {LOGS_ENCRYPTION_CONTEXT: log_groups_arn(scope)}},
        )
    )
    if not added.statement_added:
        Annotations.of(scope).add_warning_v2(
            "log-groups:key-policy",
            "The key is imported: let CloudWatch Logs use it for the stack's log groups, or "
            "their creation fails.",
        )


def encrypted_log_group(
    scope: Construct, construct_id: str, key: kms.IKey, *, purpose: str
) -> logs.LogGroup:
    """A log group `/<stack name>/<purpose>` encrypted with `key`, which Logs may use."""
    group = logs.LogGroup(
        scope,
        construct_id,
        log_group_name=f"{log_group_prefix(scope)}{purpose}",
        retention=RETENTION,
        encryption_key=key,
        removal_policy=RemovalPolicy.DESTROY,
    )
    # Identical statements are merged in the key policy, so each group may ask.
    allow_logs_to_use(scope, key)
    return group
