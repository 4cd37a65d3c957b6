"""The process environment the SageMaker SDK needs to import and render offline, quickly."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


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


@contextmanager
def botocore_data_read_once() -> Iterator[None]:
    """Let every botocore session started in the block share one data loader.

    Importing and rendering with the SDK starts several boto3 sessions, and each would parse
    botocore's JSON data again (endpoints seven times, the SageMaker API model four times: a
    fifth of a render). A loader caches what it parsed, and botocore already shares those
    results between the clients of one session, so sharing the loader changes nothing else.
    """
    from botocore import session as botocore_session  # noqa: PLC0415 - only renders need it

    original = botocore_session.create_loader
    loaders: dict[Any, Any] = {}

    def shared(search_path_string: Any = None) -> Any:
        if search_path_string not in loaders:
            loaders[search_path_string] = original(search_path_string)
        return loaders[search_path_string]

    botocore_session.create_loader = shared
    try:
        yield
    finally:
        botocore_session.create_loader = original
