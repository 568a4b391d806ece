"""deploy/progen.service is a unit systemd accepts, and starts the service the way the
README says (nginx's file is checked by tests/integration/test_nginx_edge.py)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "deploy" / "progen.service"


def test_the_unit_bounds_uvicorn_and_trusts_only_the_local_proxy():
    text = UNIT.read_text()
    for flag in ("--limit-concurrency", "--timeout-keep-alive", "--proxy-headers"):
        assert flag in text
    assert "--forwarded-allow-ips 127.0.0.1" in text
    assert "Environment=HOST=127.0.0.1" in text


def test_systemd_accepts_the_unit(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (Debian: the systemd package)")
    unit = tmp_path / "progen.service"  # pointed at this checkout, which exists here
    unit.write_text(UNIT.read_text().replace("/opt/progen", str(ROOT)))
    checked = subprocess.run(
        [analyze, "verify", "--man=no", str(unit)], capture_output=True, text=True, timeout=60
    )
    assert checked.returncode == 0, checked.stderr
    assert "progen.service" not in checked.stderr, checked.stderr
