"""Deploy-time values in the rendered definition, written as CloudFormation `Fn::Sub` variables.

The definition is rendered once, offline, before anything is deployed, so the names of the
buckets, the KMS key and the role are not known yet. They appear as `${Name}` placeholders:
the CDK construct resolves them with `Fn::Sub`, and the local executor with local values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

ARTIFACT_BUCKET = "ArtifactBucket"
DATA_BUCKET = "DataBucket"
KMS_KEY_ARN = "KmsKeyArn"
ROLE_NAME = "SageMakerRoleName"
PARTITION = "AWS::Partition"
ACCOUNT_ID = "AWS::AccountId"

# Variables the construct must map; the pseudo parameters are resolved by CloudFormation.
VARIABLES = (ARTIFACT_BUCKET, DATA_BUCKET, KMS_KEY_ARN, ROLE_NAME)
PSEUDO_PARAMETERS = (PARTITION, ACCOUNT_ID)

PLACEHOLDER_PATTERN = re.compile(r"\$\{([^}]*)\}")


def ref(name: str) -> str:
    """Return the `${name}` placeholder for a deploy-time value."""
    return "${" + name + "}"


# The SDK checks that a role looks like an IAM role ARN, so the role keeps the ARN shape.
ROLE_ARN = f"arn:{ref(PARTITION)}:iam::{ref(ACCOUNT_ID)}:role/{ref(ROLE_NAME)}"


def is_placeholder(value: object) -> bool:
    """Whether `value` is a string with a named `${...}` placeholder in it."""
    return isinstance(value, str) and any(PLACEHOLDER_PATTERN.findall(value))


def placeholders_in(text: str) -> set[str]:
    """Return the names of every `${...}` placeholder in `text`."""
    return set(PLACEHOLDER_PATTERN.findall(text))


def unknown_placeholders(text: str) -> set[str]:
    """Return placeholders in `text` that neither the construct nor CloudFormation resolves."""
    return placeholders_in(text) - set(VARIABLES) - set(PSEUDO_PARAMETERS)


def substitute(text: str, values: Mapping[str, str]) -> str:
    """Replace every placeholder with its value; raise KeyError naming any missing one."""
    missing = placeholders_in(text) - set(values)
    if missing:
        raise KeyError(f"no value for placeholder(s): {', '.join(sorted(missing))}")
    return PLACEHOLDER_PATTERN.sub(lambda m: values[m.group(1)], text)
