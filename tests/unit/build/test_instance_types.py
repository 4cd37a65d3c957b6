"""The instance-type parameters allow only EBS-only types, which accept an encrypted volume."""

from __future__ import annotations

import re

import botocore.session
import pytest
from botocore.model import StringShape

from pipeline_definition.build.instance_types import (
    DEFAULT_PROCESSING_INSTANCE_TYPE,
    DEFAULT_TRAINING_INSTANCE_TYPE,
    PROCESSING_INSTANCE_TYPES,
    TRAINING_INSTANCE_TYPES,
)
from project.run_parameters import (
    ParameterError,
    definition_parameters,
    encode_specs,
    resolve,
)
from testsupport.definitions import shipped_definition

SAGEMAKER = botocore.session.get_session().get_service_model("sagemaker")
SPECS = definition_parameters(shipped_definition())
# Families with local NVMe instance storage, on which SageMaker refuses VolumeKmsKeyId: the `d`
# variants (m5d, c5d, r5d, m6id, p3dn, p4d, ...) and the GPU and accelerator families, whose
# storage varies by generation (g4dn, g5, g6, p5, trn1, ...).
INSTANCE_STORAGE = re.compile(r"^ml\.([a-z]+\d+[a-z]*d[a-z]*|g\d.*|p\d.*|trn\d.*|inf\d.*)\.")
# Lambda allows 4 KB for all of a function's environment variables together; the trigger's
# PIPELINE_PARAMETERS must leave room for the others.
TRIGGER_PARAMETERS_BUDGET = 3072


@pytest.mark.parametrize(
    ("values", "shape"),
    [
        (PROCESSING_INSTANCE_TYPES, "ProcessingInstanceType"),
        (TRAINING_INSTANCE_TYPES, "TrainingInstanceType"),
    ],
)
def test_every_allowed_type_is_one_the_job_kind_accepts(
    values: tuple[str, ...], shape: str
) -> None:
    enum = SAGEMAKER.shape_for(shape)
    assert isinstance(enum, StringShape)
    accepted = set(enum.enum)

    assert values
    assert [value for value in values if value not in accepted] == []


def test_no_allowed_type_has_instance_storage() -> None:
    allowed = {*PROCESSING_INSTANCE_TYPES, *TRAINING_INSTANCE_TYPES}

    assert [value for value in sorted(allowed) if INSTANCE_STORAGE.match(value)] == []
    # The pattern itself catches the families the review named.
    for storage in ("ml.m5d.large", "ml.c5d.xlarge", "ml.r5d.large", "ml.g4dn.xlarge"):
        assert INSTANCE_STORAGE.match(storage), storage
    for storage in ("ml.g5.xlarge", "ml.p3dn.24xlarge", "ml.m6id.large", "ml.p4de.24xlarge"):
        assert INSTANCE_STORAGE.match(storage), storage


def test_the_definition_declares_them_with_the_old_defaults() -> None:
    processing, training = SPECS["ProcessingInstanceType"], SPECS["TrainingInstanceType"]

    assert processing.enum_values == PROCESSING_INSTANCE_TYPES
    assert training.enum_values == TRAINING_INSTANCE_TYPES
    assert (processing.default, training.default) == ("ml.t3.medium", "ml.m5.large")
    assert DEFAULT_PROCESSING_INSTANCE_TYPE in PROCESSING_INSTANCE_TYPES
    assert DEFAULT_TRAINING_INSTANCE_TYPE in TRAINING_INSTANCE_TYPES


@pytest.mark.parametrize(
    ("name", "value", "closest"),
    [
        ("ProcessingInstanceType", "ml.m5d.large", "ml.m5.large"),
        ("TrainingInstanceType", "ml.g4dn.xlarge", "ml.m5.xlarge"),
    ],
)
def test_a_type_with_instance_storage_is_refused_in_one_line(
    name: str, value: str, closest: str
) -> None:
    with pytest.raises(ParameterError) as refused:
        resolve(SPECS, {name: value})

    message = str(refused.value)
    assert message.startswith(f"{name} must be one of the {len(SPECS[name].enum_values)} values")
    assert closest in message
    assert message.endswith(f"got {value!r}")
    assert "\n" not in message


def test_the_trigger_carries_the_declarations_within_lambdas_environment_limit() -> None:
    encoded = encode_specs(SPECS.values())

    assert "ml.m7i.4xlarge" in encoded
    assert len(encoded.encode()) < TRIGGER_PARAMETERS_BUDGET
