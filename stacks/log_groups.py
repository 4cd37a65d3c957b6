"""Log groups the stack creates: encrypted with the stack's key, kept for a year."""

from __future__ import annotations

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

RETENTION = logs.RetentionDays.ONE_YEAR


def encrypted_log_group(scope: Construct, construct_id: str, key: kms.IKey) -> logs.LogGroup:
    """A log group encrypted with `key`, whose policy lets CloudWatch Logs use the key."""
    group = logs.LogGroup(
        scope,
        construct_id,
        retention=RETENTION,
        encryption_key=key,
        removal_policy=RemovalPolicy.DESTROY,
    )
    # CloudWatch Logs encrypts with the key only if the key policy lets the service use it.
    key.grant_encrypt_decrypt(iam.ServicePrincipal(f"logs.{Stack.of(scope).region}.amazonaws.com"))
    return group
