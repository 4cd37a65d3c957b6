"""Read the deployed pipeline: `DescribePipeline` for the definition and properties, `ListTags`.

CloudFormation has resolved every value of the deployed pipeline: its `${...}` placeholders are
replaced by bucket names and ARNs, which the comparison matches against the placeholders and
`Fn::Sub` variables of the other side. Its code lives only in S3, so it has no local bundles.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pipeline_definition.diff.model import MISSING
from pipeline_definition.diff.side import (
    CodeSource,
    LoadedDefinition,
    PipelineProperties,
    SourceError,
    parse_definition,
)

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient

NOT_FOUND = re.compile(r"does not exist|could not find|not found", re.IGNORECASE)
NO_LOCAL_CODE = "the deployed pipeline's code bundles are in S3 only, with no local copy"


def described(
    answer: Mapping[str, Any],
    label: str,
    tags: Mapping[str, Any] | None = None,
    code: CodeSource | None = None,
) -> LoadedDefinition:
    """A side from a `DescribePipeline` answer (live or saved); `tags` None means unknown."""
    body = answer.get("PipelineDefinition")
    if not body:
        raise SourceError(f"{label}: DescribePipeline returned no PipelineDefinition")
    properties = PipelineProperties(
        name=answer.get("PipelineName", MISSING),
        role_arn=answer.get("RoleArn", MISSING),
        description=answer.get("PipelineDescription", MISSING),
        display_name=answer.get("PipelineDisplayName", MISSING),
        parallelism=answer.get("ParallelismConfiguration", MISSING),
        tags=tags,
        substitutions=None,
        resolved=True,
    )
    return LoadedDefinition(
        label=label,
        definition=parse_definition(body, label),
        properties=properties,
        code=code or CodeSource((), NO_LOCAL_CODE),
    )


def _tags(client: SageMakerClient, arn: str) -> dict[str, Any] | None:
    """The pipeline's tags, or None when they cannot be read (no sagemaker:ListTags)."""
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

    tags: dict[str, Any] = {}
    try:
        for page in client.get_paginator("list_tags").paginate(ResourceArn=arn):
            tags.update({tag["Key"]: tag.get("Value", "") for tag in page.get("Tags", [])})
    except (ClientError, BotoCoreError):
        return None
    return tags


def load_deployed(
    pipeline_name: str,
    *,
    region: str | None = None,
    profile: str | None = None,
    fallback_region: str | None = None,
    client: SageMakerClient | None = None,
    code: CodeSource | None = None,
) -> LoadedDefinition:
    """The deployed pipeline, from `DescribePipeline` and `ListTags`.

    The credentials are `profile`'s, else boto3's chain (AWS_PROFILE, ...). The region is
    `region`, else the one boto3 finds (AWS_DEFAULT_REGION, the profile), else `fallback_region`.
    """
    import boto3  # noqa: PLC0415 - only this source needs the AWS SDK
    from botocore.exceptions import (  # noqa: PLC0415
        BotoCoreError,
        ClientError,
        NoCredentialsError,
        PartialCredentialsError,
        ProfileNotFound,
    )

    try:
        if client is None:
            session = boto3.session.Session(profile_name=profile or None)
            # The endpoint is left to boto3, which honours AWS_ENDPOINT_URL(_SAGEMAKER) itself.
            client = session.client(
                "sagemaker", region_name=region or session.region_name or fallback_region
            )
        region_name = client.meta.region_name
        label = f"deployed:{pipeline_name} ({region_name})"
        answer = client.describe_pipeline(PipelineName=pipeline_name)
    except (NoCredentialsError, PartialCredentialsError) as error:
        raise SourceError(
            f"no AWS credentials to read the deployed pipeline ({error}); "
            "set AWS_PROFILE or sign in, or compare against a file instead"
        ) from error
    except ProfileNotFound as error:
        raise SourceError(f"AWS profile problem: {error}") from error
    except ClientError as error:
        code_name = error.response.get("Error", {}).get("Code", "")
        message = error.response.get("Error", {}).get("Message", str(error))
        # SageMaker says ResourceNotFound; some emulators say ValidationException "not find".
        if code_name in {"ResourceNotFound", "ResourceNotFoundException"} or NOT_FOUND.search(
            message
        ):
            raise SourceError(
                f"pipeline {pipeline_name!r} not found in {region_name}: {message}"
            ) from error
        raise SourceError(
            f"AWS error reading pipeline {pipeline_name!r}: {code_name}: {message}"
        ) from error
    except BotoCoreError as error:
        raise SourceError(f"AWS error reading pipeline {pipeline_name!r}: {error}") from error
    arn = answer.get("PipelineArn")
    tags = _tags(client, arn) if arn else None
    return described(dict(answer), label, tags, code)
