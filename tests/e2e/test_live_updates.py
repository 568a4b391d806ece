"""The page follows running jobs by their event stream, and polls only when it must."""

from __future__ import annotations

import re

import pytest
from pages import POLL_URL, STREAM_URL, create_job, open_app, row, without_streams
from playwright.sync_api import Page, Request, expect

from conftest import live_server

pytestmark = pytest.mark.e2e
TOKEN = "e2e-stream-token-0123456789"


def test_progress_arrives_by_the_stream_without_polls(page: Page, tmp_path) -> None:
    with live_server(tmp_path, API_TOKEN=TOKEN) as server:
        seen: list[Request] = []
        page.on("request", lambda request: seen.append(request))
        page.add_init_script(f"sessionStorage.setItem('progen.apiToken', '{TOKEN}')")
        job = create_job(server.url, token=TOKEN, days_per_week=1, weeks=8)  # 9 steps of 0.5 s
        open_app(page, server.url)
        r = row(page, job["id"])
        expect(r).to_have_attribute("data-step", re.compile(r"^[3-8]$"), timeout=10_000)
        expect(r.locator("progress")).to_be_visible()  # progress shows while it runs
        expect(r).to_have_attribute("data-status", "completed", timeout=20_000)

        urls = [request.url for request in seen]
        assert urls.count(f"{server.url}/api/programs/jobs/{job['id']}/stream") == 1
        assert not [url for url in urls if POLL_URL.search(url)], "the job was polled"
        streams = [request for request in seen if STREAM_URL.search(request.url)]
        assert streams[0].headers["authorization"] == f"Bearer {TOKEN}"
        assert not [url for url in urls if TOKEN in url], "the token appeared in a URL"


def test_the_page_polls_when_the_stream_answers_an_error(page: Page, own_server) -> None:
    server = own_server
    polls: list[str] = []
    page.on("request", lambda req: POLL_URL.search(req.url) and polls.append(req.url))
    without_streams(page)
    job = create_job(server.url, days_per_week=1, weeks=6)
    open_app(page, server.url)
    r = row(page, job["id"])
    expect(r).to_have_attribute("data-status", "completed", timeout=30_000)
    assert len(polls) >= 2  # asked again at Retry-After's pace until it was done


def test_a_stream_cut_short_is_followed_by_polls_then_a_new_stream(page: Page, own_server) -> None:
    server = own_server
    asked: list[str] = []
    page.on("request", lambda req: "/api/programs/jobs/" in req.url and asked.append(req.url))
    cut = {"left": 1}

    def cut_once(route) -> None:
        if cut["left"]:
            cut["left"] -= 1
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route(STREAM_URL, cut_once)
    job = create_job(server.url, days_per_week=1, weeks=8)
    open_app(page, server.url)
    expect(row(page, job["id"])).to_have_attribute("data-status", "completed", timeout=30_000)
    job_url = f"{server.url}/api/programs/jobs/{job['id']}"
    assert asked.count(job_url) >= 1  # the poll after the drop
    assert asked.count(f"{job_url}/stream") == 2  # and the stream again
