"""deploy/: the alert rules pass promtool (and its unit tests), and the dashboard and the
rules name only metrics the service exports."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from api import rejections
from jobs import metrics

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "prometheus" / "progen-alerts.yml"
RULE_TESTS = ROOT / "deploy" / "prometheus" / "progen-alerts.test.yml"
DASHBOARD = ROOT / "deploy" / "grafana" / "progen-dashboard.json"
NAME = re.compile(r"\bprogen_[a-z_]+")
SUFFIXES = ("_bucket", "_sum", "_count", "_total")


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("promtool is missing: apt-get install prometheus (scripts/test.sh does)")
    return subprocess.run(
        [promtool, *args], capture_output=True, text=True, timeout=60, check=False
    )


def test_alert_rules_pass_promtool_check():
    checked = _promtool("check", "rules", str(RULES))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 6 rules found" in checked.stdout


def test_each_alert_fires_when_it_should_and_not_otherwise():
    tested = _promtool("test", "rules", str(RULE_TESTS))
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_promtool_rejects_a_broken_rule_file(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text(RULES.read_text().replace("> 60", "> > 60", 1))
    checked = _promtool("check", "rules", str(broken))
    assert checked.returncode != 0
    assert "FAILED" in checked.stdout + checked.stderr


def _exported() -> set[str]:
    text = metrics.render(metrics.Metrics().registry, rejections.REGISTRY).decode()
    return {_family(name) for name in re.findall(r"^# TYPE (\S+) ", text, re.MULTILINE)}


def _family(name: str) -> str:
    for suffix in SUFFIXES:
        name = name.removesuffix(suffix)
    return name


def _dashboard_queries() -> list[str]:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return [target["expr"] for panel in panels for target in panel["targets"]]


def test_the_dashboard_and_the_rules_use_only_exported_metrics():
    used = set(NAME.findall(RULES.read_text())) | {
        name for query in _dashboard_queries() for name in NAME.findall(query)
    }
    assert used, "no progen metric found in deploy/"
    missing = {name for name in used if _family(name) not in _exported()}
    assert missing == set()


def test_the_contracts_metrics_are_exported():
    contract = {
        "progen_jobs_submitted",
        "progen_jobs_finished",
        "progen_job_queue_wait_seconds",
        "progen_job_duration_seconds",
        "progen_attempt_duration_seconds",
        "progen_reclaims",
        "progen_jobs",
        "progen_tokens",
        "progen_http_requests_rejected",
    }
    assert contract <= _exported()
