"""Fixtures for CDK assertion tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from aws_cdk.assertions import Template

from testsupport.trigger_stacks import Synthesized, synthesize


@pytest.fixture(scope="session")
def cdk_template(template: dict[str, Any]) -> Template:
    """The synthesized template wrapped for fine-grained assertions."""
    return Template.from_json(template)


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synthesized]:
    """The trigger construct's two test stacks, synthesized once with cdk-nag."""
    yield from synthesize(tmp_path_factory.mktemp("trigger-cdk.out"))
