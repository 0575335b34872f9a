"""Fixtures of the auth tests."""

from __future__ import annotations

import logging

import pytest

from tests.core.auth.support import CodeLog


@pytest.fixture
def codes(caplog: pytest.LogCaptureFixture) -> CodeLog:
    """The verification codes issued during the test (read from the log)."""
    caplog.set_level(logging.INFO, logger="core.auth")
    return CodeLog(caplog)
