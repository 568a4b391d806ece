"""The browser frontend against a real server (only /api/health and one XSS job are faked)."""

from __future__ import annotations

import itertools
import json
import re
import time
import urllib.request

import pytest
from pages import without_streams
from playwright.sync_api import Page, Route, expect

pytestmark = pytest.mark.e2e

XSS = '<img src=x onerror="window.__xss=1">'
JOB_URL = re.compile(r"/api/programs/jobs/[0-9a-f-]{36}$")


def open_app(page: Page, base_url: str) -> None:
    page.goto(base_url + "/")
    expect(page.locator("#jobs")).to_have_attribute("aria-busy", "false")


def submit(page: Page, **fields) -> dict:
    """Fill the form and submit it; return the created job from the 202 answer."""
    for name, value in fields.items():
        if name in {"goal", "experience"}:
            page.select_option(f"#{name}", value)
        else:
            page.fill(f"#{name}", str(value))
    with page.expect_response(lambda r: r.url.endswith("/api/programs/generate")) as info:
        page.get_by_role("button", name="Generate program").click()
    assert info.value.status == 202, info.value.text()
    job = info.value.json()
    expect(row(page, job["id"])).to_be_visible()
    return job


def row(page: Page, job_id: str):
    return page.locator(f'li.job[data-id="{job_id}"]')


def top_screenshot(page: Page, path) -> None:
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=path)


def create_job(base_url: str, **fields) -> dict:
    body = {"goal": "endurance", "experience": "beginner", "days_per_week": 1, "weeks": 1, **fields}
    req = urllib.request.Request(
        base_url + "/api/programs/generate",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=5) as res:
        return json.load(res)


def server_job_ids(base_url: str) -> set[str]:
    with urllib.request.urlopen(base_url + "/api/programs/jobs?limit=100", timeout=5) as res:
        return {job["id"] for job in json.load(res)["items"]}


def test_submit_shows_live_progress_then_the_program(page: Page, server, shots):
    open_app(page, server.url)
    job = submit(
        page,
        goal="strength",
        experience="intermediate",
        days_per_week=3,
        weeks=10,
        notes="Sore left shoulder: no overhead pressing.",
    )
    r = row(page, job["id"])
    # Record every status/step the row shows, so the order can be checked afterwards.
    r.evaluate("""li => {
        window.__seen = [];
        const note = () => window.__seen.push([li.dataset.status, Number(li.dataset.step ?? -1)]);
        note();
        new MutationObserver(note).observe(
            li, {attributes: true, attributeFilter: ['data-status', 'data-step']});
    }""")
    expect(r).to_have_attribute("data-status", "in_progress")
    page.wait_for_function(
        "id => Number(document.querySelector(`li.job[data-id='${id}']`).dataset.step) >= 2",
        arg=job["id"],
        timeout=20_000,
    )
    expect(r.locator(".live")).to_contain_text(re.compile(r"Writing week \d+ of 10"))
    r.get_by_text("Details").click()  # the operator's view is one click away
    expect(r.locator(".facts")).to_contain_text(re.compile(r"Heartbeat\s*\d+ s ago"))
    expect(r.locator(".facts")).to_contain_text("attempt 1 of")
    top_screenshot(page, shots / "running-job.png")

    expect(r).to_have_attribute("data-status", "completed", timeout=30_000)
    seen = page.evaluate("window.__seen")
    statuses = [status for status, _ in seen]
    assert statuses[0] in {"pending", "in_progress"}  # the stream may say "running" at once
    assert statuses.index("in_progress") < statuses.index("completed")
    running_steps = [step for status, step in seen if status == "in_progress" and step >= 0]
    assert len(set(running_steps)) >= 2 and running_steps == sorted(running_steps), seen
    expect(r.get_by_role("button", name="Cancel")).to_be_hidden()  # nothing to do: no button
    expect(r.get_by_role("button", name="Retry")).to_be_hidden()
    r.get_by_text("Details").click()
    top_screenshot(page, shots / "form-and-jobs.png")

    r.get_by_role("link", name="Open program").click()
    view = page.locator("#program")
    expect(view).to_be_visible()
    expect(page.locator("#program-title")).not_to_be_empty()
    expect(view.locator(".week")).to_have_count(10)
    expect(view.locator(".session")).to_have_count(30)
    expect(view.locator(".exercise").first).to_contain_text(re.compile(r"\d+ × \S+"))
    expect(view.locator(".exercise").first).to_contain_text(re.compile(r"rest \d+\s+s"))

    with page.expect_download() as download:
        view.get_by_role("button", name="Download JSON").click()
    saved = json.loads(download.value.path().read_text())
    assert saved["request"]["weeks"] == 10 and saved["request"]["notes"] == job["request"]["notes"]
    program = saved["program"]
    assert len(program["weeks"]) == 10
    assert program["title"] == page.locator("#program-title").inner_text()


def test_validation_error_is_shown_next_to_its_field(page: Page, server):
    open_app(page, server.url)
    before = server_job_ids(server.url)
    rows_before = page.locator("li.job").count()
    page.locator("#weeks").evaluate("el => { el.value = '40'; }")  # past max: native checks are off
    with page.expect_response(lambda r: r.url.endswith("/api/programs/generate")) as info:
        page.get_by_role("button", name="Generate program").click()
    assert info.value.status == 422
    assert info.value.json()["detail"][0]["loc"] == ["body", "weeks"]
    expect(page.locator("#err-weeks")).to_have_text("Enter a whole number from 1 to 16.")
    expect(page.locator("#weeks")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#weeks")).to_be_focused()
    expect(page.locator("#err-days_per_week")).to_be_hidden()
    assert server_job_ids(server.url) == before
    expect(page.locator("li.job")).to_have_count(rows_before)

    page.fill("#weeks", "4")  # editing the field clears its error
    expect(page.locator("#err-weeks")).to_be_hidden()
    expect(page.locator("#weeks")).not_to_have_attribute("aria-invalid", "true")


def test_cancel_then_retry(page: Page, server):
    open_app(page, server.url)
    job = submit(page, days_per_week=2, weeks=16)  # 17 steps of 0.5 s: time to cancel
    r = row(page, job["id"])
    cancel = r.get_by_role("button", name="Cancel")
    retry = r.get_by_role("button", name="Retry")
    expect(cancel).to_be_enabled()
    expect(retry).to_be_hidden()
    expect(r).to_have_attribute("data-status", "in_progress")

    cancel.click()
    expect(r).to_have_attribute("data-status", "cancelled")
    expect(r.locator(".badge")).to_have_text("cancelled")
    expect(retry).to_be_enabled()
    expect(cancel).to_be_hidden()

    retry.click()
    expect(r).to_have_attribute("data-status", re.compile(r"^(pending|in_progress)$"))
    expect(cancel).to_be_enabled()
    expect(retry).to_be_hidden()
    expect(r).to_have_attribute("data-status", "completed", timeout=30_000)  # polled to the end


def _fake_completed(route: Route) -> None:
    """Answer a job poll with the real job turned completed, its program full of markup."""
    job = route.fetch().json()
    exercise = {"name": f"Squat {XSS}", "sets": 3, "reps": "8-10", "rest_seconds": 90, "notes": XSS}
    session = {"day": 1, "name": f"Legs {XSS}", "duration_minutes": 45, "exercises": [exercise]}
    job.update(
        status="completed",
        error=None,
        finished_at=job["updated_at"],
        progress={"step": 2, "total": 2, "message": "done"},
        result={
            "title": f"Title {XSS}",
            "summary": XSS,
            "generator": "template",
            "weeks": [{"week": 1, "focus": XSS, "sessions": [session]}],
        },
    )
    route.fulfill(status=200, json=job)


def test_markup_in_user_and_model_text_renders_as_text(page: Page, server):
    without_streams(page)  # the faked job comes by poll
    page.route(JOB_URL, _fake_completed)
    open_app(page, server.url)
    job = submit(page, days_per_week=1, weeks=1, notes=f"my notes {XSS}")
    r = row(page, job["id"])
    expect(r.locator(".req-notes")).to_have_text(f"Notes: my notes {XSS}")
    expect(r).to_have_attribute("data-status", "completed")

    r.get_by_role("link", name="Open program").click()
    view = page.locator("#program")
    expect(page.locator("#program-title")).to_have_text(f"Title {XSS}")
    expect(view.locator(".ex-name")).to_have_text(f"Squat {XSS}")
    expect(view.locator(".session h4")).to_contain_text(f"Legs {XSS}")
    page.wait_for_timeout(500)  # an injected <img src=x> would have fired onerror by now
    assert page.locator("img").count() == 0
    assert page.evaluate("typeof window.__xss") == "undefined"


def test_updates_stop_when_a_job_is_terminal(page: Page, server):
    requests: list[str] = []
    page.on("request", lambda req: req.method == "GET" and requests.append(req.url))
    open_app(page, server.url)
    job = submit(page, days_per_week=1, weeks=2)
    job_url = f"{server.url}/api/programs/jobs/{job['id']}"

    def updates() -> int:
        return requests.count(job_url) + requests.count(f"{job_url}/stream")

    expect(row(page, job["id"])).to_have_attribute("data-status", "completed", timeout=30_000)
    asked = updates()
    assert asked >= 1
    page.wait_for_timeout(3500)
    assert updates() == asked, "the page kept asking about a completed job"

    requests.clear()  # a job that is already terminal in the list is never asked about
    open_app(page, server.url)
    expect(row(page, job["id"])).to_have_attribute("data-status", "completed")
    page.wait_for_timeout(3000)
    assert updates() == 0


def test_load_more_shows_the_next_page_without_repeats(page: Page, server):
    for _ in range(25):
        create_job(server.url)
    total = len(server_job_ids(server.url))
    assert 25 <= total < 100  # the list endpoint answered with every job
    open_app(page, server.url)
    rows, more = page.locator("li.job"), page.get_by_role("button", name="Load more")
    expect(rows).to_have_count(20)
    expect(more).to_be_visible()
    more.click()
    expect(rows).to_have_count(min(total, 40))
    shown = rows.evaluate_all("rows => rows.map((r) => r.dataset.id)")
    assert len(set(shown)) == len(shown), "a job was listed twice"
    assert set(shown) <= server_job_ids(server.url)
    if total <= 40:
        expect(more).to_be_hidden()


def test_health_panel_turns_red_and_recovers(page: Page, server, shots):
    health = page.locator("#health")
    open_app(page, server.url)
    expect(health).to_have_attribute("data-state", "ok")

    def degraded(route: Route) -> None:
        route.fulfill(
            status=503,
            json={
                "status": "degraded",
                "database": "error: disk I/O error",
                "scheduler": "running",
                "monitor_last_run_at": None,
                "instance_id": "e2e",
                "version": "0.1.0",
                "jobs": {"pending": 0, "in_progress": 0, "stale": 0},
            },
        )

    page.route("**/api/health", degraded)
    recheck = "document.dispatchEvent(new Event('visibilitychange'))"  # as a tab coming back does
    page.evaluate(recheck)  # with nothing running, health is asked only every 30 s
    expect(health).to_have_attribute("data-state", "degraded", timeout=12_000)
    expect(page.locator("#health-summary")).to_contain_text("database error: disk I/O error")
    expect(health).to_have_css("border-top-color", "rgb(179, 38, 30)")
    top_screenshot(page, shots / "health-degraded.png")

    page.unroute("**/api/health")
    page.route("**/api/health", lambda route: route.abort())
    page.evaluate(recheck)
    expect(health).to_have_attribute("data-state", "down", timeout=12_000)
    expect(page.locator("#health-summary")).to_have_text("Server unreachable")

    page.unroute("**/api/health")
    expect(health).to_have_attribute("data-state", "ok", timeout=12_000)
    expect(page.locator("#health-summary")).to_have_text("System ok")


def test_phone_width_has_no_horizontal_scroll(page: Page, server):
    page.set_viewport_size({"width": 360, "height": 740})
    open_app(page, server.url)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.keyboard.press("Tab")  # keyboard reaches the form, through the skip link
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(page.locator("#goal")).to_be_focused()


def test_polls_honour_retry_after_and_back_off_on_errors(page: Page, own_server):
    server = own_server  # its JOB_URL route counts every job's polls: only this test's job
    seen: list[float] = []

    def flaky(route: Route) -> None:
        """Two 503s, then two answers saying Retry-After: 3, then the real server."""
        seen.append(time.monotonic())
        if len(seen) <= 2:
            route.fulfill(status=503, json={"detail": "unavailable"})
        elif len(seen) <= 4:
            job = route.fetch().json()
            job["status"] = "in_progress"
            route.fulfill(status=200, json=job, headers={"Retry-After": "3"})
        else:
            route.continue_()

    without_streams(page)
    page.route(JOB_URL, flaky)
    open_app(page, server.url)
    job = submit(page, days_per_week=1, weeks=1)
    expect(row(page, job["id"])).to_have_attribute("data-status", "completed", timeout=40_000)
    gaps = [round(b - a, 1) for a, b in itertools.pairwise(seen)]
    assert len(gaps) == 4, gaps
    assert 1.6 <= gaps[0] <= 3.0, gaps  # first failure: 2 s
    assert 3.4 <= gaps[1] <= 5.5, gaps  # second failure: 4 s
    assert all(2.6 <= gap <= 4.5 for gap in gaps[2:]), gaps  # Retry-After: 3


def test_recovered_jobs_say_so(page: Page, server):
    noted = create_job(server.url)
    unnoted = create_job(server.url)
    note = "server restarted during step 3 of 9; resumed at step 4"

    def recovered(route: Route) -> None:
        """The job list with one recovery explained by a note and one only by events,
        both still running (a finished job tells it in its details instead)."""
        listing = route.fetch().json()
        for job in listing["items"]:
            if job["id"] == noted["id"]:
                job.update(status="in_progress", recoveries=1, recovery_note=note)
            elif job["id"] == unnoted["id"]:
                job.update(status="in_progress", recoveries=2, recovery_note=None)
        route.fulfill(status=200, json=listing)

    events = [
        {
            "at": "2026-01-01T10:00:00Z",
            "from_status": None,
            "to_status": "pending",
            "attempt": 0,
            "reason": "created",
            "message": "",
        },
        {
            "at": "2026-01-01T10:01:00Z",
            "from_status": "in_progress",
            "to_status": "pending",
            "attempt": 1,
            "reason": "owner_dead",
            "message": "heartbeat stale for 95 s",
        },
    ]
    page.route("**/api/programs/jobs?limit=20", recovered)
    page.route(
        f"**/api/programs/jobs/{unnoted['id']}/events",
        lambda route: route.fulfill(status=200, json=events),
    )
    without_streams(page)
    page.route(JOB_URL, lambda route: route.abort())  # keep the faked rows as they are
    open_app(page, server.url)
    expect(row(page, noted["id"]).locator(".recovery")).to_have_text(f"Recovered: {note}")
    explained = row(page, unnoted["id"]).locator(".recovery")
    expect(explained).to_contain_text(
        "Recovered 2× after losing its worker; last time the server running it stopped"
    )
    expect(explained).to_contain_text("heartbeat stale for 95 s")
