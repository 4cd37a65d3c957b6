"""How SageMaker spells what a local run creates: ARNs, job names and describe times."""

from __future__ import annotations

import re
from datetime import datetime

LOCAL_REGION = "local"
LOCAL_ACCOUNT = "000000000000"
MAX_JOB_NAME_LENGTH = 63


def arn(resource: str) -> str:
    """A SageMaker ARN in the local partition of this machine."""
    return f"arn:aws:sagemaker:{LOCAL_REGION}:{LOCAL_ACCOUNT}:{resource}"


def job_name(token: str, step_name: str, attempt: int) -> str:
    """`pipelines-<token>-<Step>` (plus `-a<n>` for retries), valid as a SageMaker job name."""
    name = f"pipelines-{token}-{step_name}" + (f"-a{attempt}" if attempt > 1 else "")
    cleaned = re.sub(r"[^A-Za-z0-9-]+", "-", name)
    return cleaned[:MAX_JOB_NAME_LENGTH].rstrip("-")


def timestamp(moment: datetime) -> str:
    """ISO 8601 with milliseconds, as describe calls return times."""
    return moment.isoformat(timespec="milliseconds")
