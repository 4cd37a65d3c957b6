"""run-local's parameters on the shipped definition: the same rules as the cloud's."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline_definition.local.definition import LocalDefinition, load_definition
from pipeline_definition.local.runner import RunError, prepare_parameters
from pipeline_definition.local.store import LocalObjectStore
from testsupport.definitions import shipped_definition_text


@pytest.fixture(scope="module")
def shipped() -> LocalDefinition:
    """The shipped definition with local values for its placeholders."""
    return load_definition(shipped_definition_text())


def test_an_instance_type_with_instance_storage_is_refused(
    shipped: LocalDefinition, tmp_path: Path
) -> None:
    store = LocalObjectStore(tmp_path / "s3")

    with pytest.raises(RunError, match="ProcessingInstanceType must be one of the 38 values"):
        prepare_parameters(
            shipped.parameters, ("ProcessingInstanceType=ml.c5d.xlarge",), store, None
        )
