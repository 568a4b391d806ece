"""API tests build apps from explicit settings: nothing from the developer's env or .env."""

from __future__ import annotations

import pytest

import factories


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch, tmp_path):
    for name in factories.PROGEN_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
