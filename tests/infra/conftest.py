"""Fixtures for CDK assertion tests."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Template


@pytest.fixture(scope="session")
def cdk_template(template: dict[str, Any]) -> Template:
    """The synthesized template wrapped for fine-grained assertions."""
    return Template.from_json(template)
