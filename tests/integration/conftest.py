"""Fixtures the integration tests share."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from live import Fake, fake_openai


@pytest.fixture
def fake() -> Iterator[Fake]:
    """A fake OpenAI server for this test."""
    with fake_openai() as control:
        yield control
