"""The trigger's records are captured from INFO up, as the function's log level is set."""

from __future__ import annotations

import logging

import pytest

from testsupport.lambda_logs import TRIGGER_LOGGER


@pytest.fixture(autouse=True)
def _trigger_logs_at_info(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=TRIGGER_LOGGER)
