"""The process environment the SageMaker SDK needs to import and render offline."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def sdk_render_environment(region: str) -> Iterator[None]:
    """Set what the SDK needs to import and render offline, and restore it afterwards.

    Importing `sagemaker.mlops` builds a boto3 client from the default session, which needs
    a region and, without credentials, would ask the EC2 metadata service for some; the SDK's
    role validation calls IAM unless SAGEMAKER_VALIDATE_ROLE is false.
    """
    wanted = {
        "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION") or region,
        "AWS_EC2_METADATA_DISABLED": "true",
        "SAGEMAKER_VALIDATE_ROLE": "false",
    }
    previous = {name: os.environ.get(name) for name in wanted}
    os.environ.update(wanted)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
