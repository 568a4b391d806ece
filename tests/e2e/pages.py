"""Helpers for the browser tests of the program view, the exports and the jobs list.

Plain functions (not fixtures), so each test file reads top to bottom; every wait
is bounded and every request goes to the test server on 127.0.0.1.
"""

from __future__ import annotations

import json
import re
import time
import urllib.request
from typing import Any

from playwright.sync_api import Page, expect

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
SIZES = {"desktop": DESKTOP, "phone": PHONE}
DONE_SECONDS = 40
POLL_URL = re.compile(r"/api/programs/jobs/[0-9a-f-]{36}$")
STREAM_URL = re.compile(r"/api/programs/jobs/[0-9a-f-]{36}/stream$")


def call(base_url: str, path: str, *, body: Any = None, token: str | None = None) -> Any:
    """One JSON request to the test server; returns the decoded answer."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(
        base_url + path,
        data=None if body is None else json.dumps(body).encode(),
        method="GET" if body is None else "POST",
        headers=headers,
    )
    with urllib.request.urlopen(req, timeout=5) as res:
        return json.load(res)


def create_job(base_url: str, *, token: str | None = None, **fields: Any) -> dict:
    body = {"goal": "strength", "experience": "beginner", "days_per_week": 2, "weeks": 1, **fields}
    return call(base_url, "/api/programs/generate", body=body, token=token)


def wait_done(base_url: str, job_id: str, *, token: str | None = None) -> dict:
    """Poll the job until it is terminal (at most DONE_SECONDS)."""
    deadline = time.monotonic() + DONE_SECONDS
    while time.monotonic() < deadline:
        job = call(base_url, f"/api/programs/jobs/{job_id}", token=token)
        if job["status"] in {"completed", "failed", "cancelled"}:
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} not finished within {DONE_SECONDS} s")


def completed_job(base_url: str, *, token: str | None = None, **fields: Any) -> dict:
    job = wait_done(base_url, create_job(base_url, token=token, **fields)["id"], token=token)
    assert job["status"] == "completed", job
    return job


def open_app(page: Page, base_url: str, hash_: str = "") -> None:
    page.goto(f"{base_url}/{hash_}")
    expect(page.locator("#jobs")).to_have_attribute("aria-busy", "false")


def open_program(page: Page, base_url: str, job_id: str, *, today: bool = False) -> None:
    """Open a program by its own link, as a person following a bookmark would."""
    page.goto(f"{base_url}/#/programs/{job_id}{'/today' if today else ''}")
    expect(page.locator("#today-title" if today else "#program-title")).to_be_focused()


def without_streams(page: Page) -> None:
    """The stream route answers 503: the page falls back to polling (tests that fake
    or count polls)."""
    page.route(STREAM_URL, lambda route: route.fulfill(status=503, json={"detail": "no stream"}))


def row(page: Page, job_id: str):
    return page.locator(f'li.job[data-id="{job_id}"]')


def no_horizontal_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def top_screenshot(page: Page, path) -> None:
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=path)
