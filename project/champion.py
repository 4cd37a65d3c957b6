"""The champion: the model a new one is compared with before it may register.

The champion is the newest Approved version of the pipeline's Model Package Group. Whoever
starts a run looks it up and passes its model archive as the `ChampionModelData` parameter:
the trigger Lambda and `execute` through ListModelPackages and DescribeModelPackage, `run-local`
in its local registry. EvaluateModel scores the champion on the same test split as the new
model, and CheckQuality registers the new one only when its RMSE is within the threshold and
not worse than the champion's by more than the `championTolerance` setting.

Without a champion the parameter is not passed at all: its default names a placeholder object
the stack deploys with the code (an S3 input cannot be empty, and the jobs run without network
access, so the script cannot look anything up itself), and the evaluation script reads that
placeholder as "no champion".

A run cannot choose its champion: the three starters refuse a `ChampionModelData` value from
the user, and only a model this pipeline trained (below `s3://<artifact bucket>/models/`, which
the evaluation job may read) can be the champion. When the newest Approved version's model lies
elsewhere (for example a version the seed's scripts registered into an adopted group), the run
has no champion and the starter says why.

Standard library only: the trigger Lambda's asset ships this module beside the handler.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from project.run_parameters import ParameterError

CHAMPION_MODEL_DATA = "ChampionModelData"
APPROVED = "Approved"
# Where training jobs write model.tar.gz in the artifact bucket (`models/<execution>/...`).
MODELS_AREA = "models"
REGISTER_MODEL_STEP_TYPE = "RegisterModel"
S3_SCHEME = "s3://"


class RegistryClient(Protocol):
    """The part of a SageMaker client the lookup uses (boto3's, or a stand-in in tests)."""

    @property
    def list_model_packages(self) -> Callable[..., Mapping[str, Any]]:
        """ListModelPackages."""
        ...

    @property
    def describe_model_package(self) -> Callable[..., Mapping[str, Any]]:
        """DescribeModelPackage."""
        ...


@dataclass(frozen=True)
class Champion:
    """An Approved model package version and its model archive."""

    group: str
    version: int | None
    arn: str
    model_data_url: str

    def describe(self) -> str:
        """`group version N (model URI)`, for logs and messages."""
        return f"{self.group} version {self.version} ({self.model_data_url})"


@dataclass(frozen=True)
class ChampionLookup:
    """The champion a run compares with, or None with the reason there is none."""

    champion: Champion | None
    reason: str

    def parameters(self) -> dict[str, str]:
        """The run parameter to pass: the champion's model URI, or nothing (the default)."""
        if self.champion is None:
            return {}
        return {CHAMPION_MODEL_DATA: self.champion.model_data_url}

    def describe(self) -> str:
        """One line for the person or log that started the run."""
        if self.champion is None:
            return f"{CHAMPION_MODEL_DATA}: no champion ({self.reason})"
        return f"{CHAMPION_MODEL_DATA}: champion {self.champion.describe()}"


def refuse_champion(values: Mapping[str, object]) -> None:
    """Raise ParameterError when a run tries to choose its own champion."""
    if CHAMPION_MODEL_DATA in values:
        raise ParameterError(
            f"{CHAMPION_MODEL_DATA} is not a run's to choose: whoever starts the run sets it to "
            "the newest Approved model version of the group (approve or reject versions to "
            "change the champion)"
        )


def bucket_of(uri: str) -> str | None:
    """The bucket of an `s3://bucket/key` URI, or None for anything else."""
    if not uri.startswith(S3_SCHEME):
        return None
    bucket = uri.removeprefix(S3_SCHEME).partition("/")[0]
    return bucket or None


def models_prefix(bucket: str) -> str:
    """The prefix below which the pipeline's training jobs write their models."""
    return f"{S3_SCHEME}{bucket}/{MODELS_AREA}/"


def champion_target(definition: Mapping[str, Any]) -> tuple[str, str] | None:
    """(group, models prefix) of a definition that compares with a champion, else None.

    The group is the one its RegisterModel step registers into; the models prefix is in the
    bucket of ChampionModelData's default, the placeholder the stack ships with the code.
    """
    default = next(
        (
            parameter.get("DefaultValue")
            for parameter in definition.get("Parameters") or []
            if isinstance(parameter, Mapping) and parameter.get("Name") == CHAMPION_MODEL_DATA
        ),
        None,
    )
    bucket = bucket_of(default) if isinstance(default, str) else None
    groups = {
        step.get("Arguments", {}).get("ModelPackageGroupName")
        for step in _steps(definition.get("Steps") or [])
        if step.get("Type") == REGISTER_MODEL_STEP_TYPE
    }
    if bucket is None or len(groups) != 1:
        return None
    group = groups.pop()
    return (group, models_prefix(bucket)) if isinstance(group, str) and group else None


def _steps(steps: list[Any]) -> list[Mapping[str, Any]]:
    """Every step, the branches of Condition steps included."""
    found: list[Mapping[str, Any]] = []
    for step in steps:
        if not isinstance(step, Mapping):
            continue
        found.append(step)
        arguments = step.get("Arguments")
        if step.get("Type") == "Condition" and isinstance(arguments, Mapping):
            found.extend(_steps([*arguments.get("IfSteps", []), *arguments.get("ElseSteps", [])]))
    return found


def model_data_url(package: Mapping[str, Any]) -> str | None:
    """The model archive of a described model package (its first container's)."""
    containers = (package.get("InferenceSpecification") or {}).get("Containers") or []
    if not containers:
        return None
    first = containers[0]
    url = first.get("ModelDataUrl") or (
        (first.get("ModelDataSource") or {}).get("S3DataSource") or {}
    ).get("S3Uri")
    return url if isinstance(url, str) and url else None


def choose(champion: Champion | None, prefix: str | None, group: str) -> ChampionLookup:
    """The lookup's outcome for the newest Approved version (None: there is none)."""
    if champion is None:
        return ChampionLookup(None, f"no Approved version in {group}")
    if prefix is not None and not champion.model_data_url.startswith(prefix):
        return ChampionLookup(
            None,
            f"the newest Approved version, {champion.describe()}, was not trained by this "
            f"pipeline (its models lie below {prefix}), so EvaluateModel could not read it",
        )
    return ChampionLookup(champion, f"the newest Approved version in {group}")


def find_champion(client: RegistryClient, group: str, prefix: str | None) -> ChampionLookup:
    """Look up the newest Approved version of `group` (AWS errors propagate)."""
    listed = client.list_model_packages(
        ModelPackageGroupName=group,
        ModelApprovalStatus=APPROVED,
        SortBy="CreationTime",
        SortOrder="Descending",
        MaxResults=1,
    )
    summaries = listed.get("ModelPackageSummaryList") or []
    if not summaries:
        return choose(None, prefix, group)
    arn = str(summaries[0]["ModelPackageArn"])
    described = client.describe_model_package(ModelPackageName=arn)
    url = model_data_url(described)
    version = described.get("ModelPackageVersion")
    if url is None:
        return ChampionLookup(None, f"the newest Approved version, {arn}, names no model archive")
    champion = Champion(group, version if isinstance(version, int) else None, arn, url)
    return choose(champion, prefix, group)
