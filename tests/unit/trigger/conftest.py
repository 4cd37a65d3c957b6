"""The trigger's records are captured from INFO up, as the function's log level is set; `aws`
is a fresh moto account with the pipeline and the failed-events queue."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from testsupport.lambda_logs import TRIGGER_LOGGER
from testsupport.trigger_account import Aws, mocked_account


@pytest.fixture(autouse=True)
def _trigger_logs_at_info(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=TRIGGER_LOGGER)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    """A fresh mocked account."""
    yield from mocked_account(monkeypatch)
