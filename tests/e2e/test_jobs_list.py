"""The jobs list as a person reads it, and how it behaves when the server goes away."""

from __future__ import annotations

import re
import time

import pytest
from pages import SIZES, call, completed_job, create_job, open_app, row
from playwright.sync_api import Page, Route, expect

pytestmark = pytest.mark.e2e

LIST = "**/api/programs/jobs?*"
JOB_URL = re.compile(r"/api/programs/jobs/[0-9a-f-]{36}$")
OPERATOR_WORDS = re.compile(r"step \d+ of|heartbeat|instance|stale|attempt \d|OPENAI", re.I)


def visible_text(page: Page, selector: str) -> str:
    """What a person sees: innerText leaves out closed <details>."""
    return page.locator(selector).inner_text()


@pytest.mark.parametrize("size", SIZES)
def test_a_running_job_is_named_from_its_request_and_says_how_long_is_left(
    page: Page, server, size
):
    page.set_viewport_size(SIZES[size])
    open_app(page, server.url)
    page.select_option("#goal", "strength")
    page.fill("#days_per_week", "1")
    page.fill("#weeks", "16")  # 17 steps of 0.5 s
    with page.expect_response(lambda r: r.url.endswith("/generate")) as info:
        page.get_by_role("button", name="Generate program").click()
    job = info.value.json()
    r = row(page, job["id"])
    expect(r.get_by_role("heading", level=3)).to_have_text("Strength, 1 day × 16 weeks")
    expect(r.locator(".live")).to_have_text(
        re.compile(r"Writing week \d+ of 16 — (about \d+ s left|almost done)"), timeout=20_000
    )
    expect(r).to_contain_text(f"#{job['id'].replace('-', '')[-8:]}")
    assert not OPERATOR_WORDS.search(visible_text(page, f'li.job[data-id="{job["id"]}"]'))

    r.get_by_role("button", name="Cancel").click()
    expect(r).to_have_attribute("data-status", "cancelled")
    expect(page.locator("#announcer")).to_contain_text("Strength, 1 day × 16 weeks: Cancelled")
    expect(r.locator(".live")).to_contain_text("Retry carries on from where it stopped.")
    expect(r.locator(".progress")).to_be_hidden()


def test_short_ids_differ_for_jobs_made_the_same_minute(page: Page, server):
    made = [create_job(server.url) for _ in range(3)]
    assert len({j["id"][:8] for j in made}) == 1  # time-first: the old short id collided
    open_app(page, server.url)
    shorts = {j["id"].replace("-", "")[-8:] for j in made}
    assert len(shorts) == 3
    for j in made:
        expect(row(page, j["id"]).locator("p.small").first).to_contain_text(
            f"#{j['id'].replace('-', '')[-8:]}"
        )
    names = page.locator("li.job .job-details summary").all_inner_texts()
    assert len(names) == len(set(names))


@pytest.mark.parametrize("size", SIZES)
def test_details_show_the_operators_view_and_the_history(page: Page, server, size):
    page.set_viewport_size(SIZES[size])
    job = completed_job(server.url, days_per_week=1, weeks=1)
    open_app(page, server.url)
    r = row(page, job["id"])
    expect(r.get_by_role("heading", level=3)).to_have_text(job["result"]["title"])
    expect(r.locator(".facts")).to_be_hidden()
    r.get_by_text("Details").click()
    facts = r.locator(".facts")
    expect(facts).to_contain_text(f"Job id{job['id']}")
    expect(facts).to_contain_text(re.compile(r"Attemptsattempt 1 of \d"))
    expect(facts).to_contain_text("Finished")
    history = r.locator(".timeline li")
    expect(history).to_have_count(len(call(server.url, f"/api/programs/jobs/{job['id']}/events")))
    expect(history.first).to_contain_text("waiting · created")
    expect(history.last).to_contain_text("writing → ready · completed")


def _failed_and_cancelled(ids: list[str]):
    """The list with three jobs turned failed or cancelled, each for another reason."""
    key = "OpenAI rejected the API key: set OPENAI_API_KEY"
    restart = "Job terminated - server was restarted while job was running"
    changes = [
        {"status": "failed", "error": key, "attempts": 1},
        {"status": "failed", "error": restart, "attempts": 3},
        {"status": "cancelled", "error": None, "attempts": 1},
    ]

    def fake(route: Route) -> None:
        listing = route.fetch().json()
        for job in listing["items"]:
            if job["id"] in ids:
                job.update(
                    changes[ids.index(job["id"])], progress={"step": 0, "total": 3, "message": ""}
                )
        route.fulfill(json=listing)

    return fake


@pytest.mark.parametrize("size", SIZES)
def test_failed_and_cancelled_jobs_say_what_happened_in_plain_words(page: Page, server, size):
    page.set_viewport_size(SIZES[size])
    ids = [completed_job(server.url)["id"] for _ in range(3)]
    page.route(LIST, _failed_and_cancelled(ids))
    open_app(page, server.url)
    key, restart, cancelled = (row(page, i) for i in ids)
    expect(key.locator(".live")).to_have_text(
        "The program writer on this server is not set up correctly. Ask whoever runs this "
        "service to fix it (the details below say what), then press Retry."
    )
    expect(restart.locator(".live")).to_have_text(
        "The server restarted while this program was being written. It was tried 3 times. "
        "Press Retry to carry on from where it stopped."
    )
    expect(cancelled.locator(".live")).to_have_text(
        "Cancelled before it was finished. Press Retry to start it again."
    )
    for r in (key, restart, cancelled):
        expect(r.get_by_role("button", name="Retry")).to_be_visible()
        expect(r.get_by_role("button", name="Cancel")).to_be_hidden()
        expect(r.get_by_role("link", name="Open program")).to_be_hidden()
        expect(r.locator(".progress")).to_be_hidden()  # no "waiting to start · step 0 of 3"
        assert not OPERATOR_WORDS.search(r.inner_text())
    key.locator("summary").click()
    expect(key.locator(".facts")).to_contain_text("set OPENAI_API_KEY")  # the hint, for operators


@pytest.mark.parametrize("size", SIZES)
def test_the_status_filter_asks_the_server_for_those_statuses(page: Page, server, size):
    page.set_viewport_size(SIZES[size])
    done = completed_job(server.url)
    open_app(page, server.url)
    with page.expect_request(lambda r: "status=" in r.url) as info:
        page.get_by_label("Show").select_option(label="Failed or cancelled")
    assert info.value.url.endswith("?limit=20&status=failed&status=cancelled")
    expect(page.locator("#jobs")).to_have_attribute("aria-busy", "false")
    for status in page.locator("li.job").evaluate_all("rs => rs.map((r) => r.dataset.status)"):
        assert status in {"failed", "cancelled"}
    expect(row(page, done["id"])).to_have_count(0)

    page.get_by_label("Show").select_option(label="Ready")
    expect(row(page, done["id"])).to_be_visible()
    statuses = page.locator("li.job").evaluate_all("rs => rs.map((r) => r.dataset.status)")
    assert set(statuses) == {"completed"}


@pytest.mark.parametrize("size", SIZES)
def test_when_the_server_comes_back_the_page_catches_up_at_once(page: Page, server, size):
    page.set_viewport_size(SIZES[size])
    open_app(page, server.url)
    job = create_job(server.url, days_per_week=1, weeks=6)  # about 3.5 s of work
    page.get_by_role("button", name="Refresh").click()
    r = row(page, job["id"])
    expect(r).to_have_attribute("data-status", re.compile("pending|in_progress"))

    page.route("**/api/**", lambda route: route.abort())  # the server is unreachable
    page.get_by_role("button", name="Refresh").click()
    expect(page.locator("#jobs-status")).to_have_text(
        "Could not load the list: the server could not be reached."
    )
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    expect(page.locator("#health")).to_have_attribute("data-state", "down")
    page.wait_for_timeout(7000)  # the job's polls back off (2, 4 s …) while the job finishes
    assert call(server.url, f"/api/programs/jobs/{job['id']}")["status"] == "completed"

    page.unroute("**/api/**")
    expect(page.locator("#health")).to_have_attribute("data-state", "ok", timeout=4000)
    back = time.monotonic()
    expect(page.locator("#jobs-status")).to_be_hidden(timeout=2000)
    expect(row(page, job["id"])).to_have_attribute("data-status", "completed", timeout=2000)
    assert time.monotonic() - back < 2


def test_health_is_asked_less_often_when_nothing_runs_or_nobody_looks(page: Page, own_server):
    server = own_server
    checks: list[str] = []
    page.on("request", lambda req: req.url.endswith("/api/health") and checks.append(req.url))
    page.clock.install()
    page.route(LIST, lambda route: route.fulfill(json={"items": [], "next_cursor": None}))
    open_app(page, server.url)
    expect(page.locator("#health")).to_have_attribute("data-state", "ok")
    page.clock.run_for(25_000)
    assert len(checks) == 1, "nothing runs: no check within 25 s"
    page.clock.run_for(6_000)
    expect(page.locator("#health")).to_have_attribute("data-state", "ok")
    assert len(checks) == 2, "nothing runs: one check every 30 s"

    running = create_job(server.url, days_per_week=1, weeks=16)
    page.unroute(LIST)
    page.get_by_role("button", name="Refresh").click()
    expect(row(page, running["id"])).to_be_visible()
    page.clock.run_for(5_500)
    assert len(checks) == 3, "a job runs: every 5 s"

    page.evaluate("""() => {
        Object.defineProperty(document, 'hidden', {get: () => true});
        document.dispatchEvent(new Event('visibilitychange'));
    }""")
    # The check planned before the tab was hidden may still run; after it, one a minute.
    page.clock.run_for(65_000)
    assert 4 <= len(checks) <= 5, "a hidden tab: about one check a minute, not one every 5 s"
    call(server.url, f"/api/programs/jobs/{running['id']}/cancel", body={})


def test_rows_need_no_result_from_the_list(page: Page, server):
    """The list route returns JobSummary items (no `result`, a `title` once completed):
    rows are named from the title and the program comes from GET of the one job."""
    job = completed_job(server.url, days_per_week=2, weeks=2)

    def summaries(route: Route) -> None:  # the real list, its titles marked as the list's
        listing = route.fetch().json()
        for item in listing["items"]:
            assert "result" not in item, item
            if item.get("title"):
                item["title"] = f"Summary: {item['title']}"
        route.fulfill(json=listing)

    page.route(LIST, summaries)
    open_app(page, server.url)
    r = row(page, job["id"])
    expect(r.get_by_role("heading", level=3)).to_have_text(f"Summary: {job['result']['title']}")
    with page.expect_request(f"{server.url}/api/programs/jobs/{job['id']}"):
        r.get_by_role("link", name="Open program").click()
    expect(page.locator("#program-title")).to_have_text(job["result"]["title"])
    expect(page).to_have_url(f"{server.url}/#/programs/{job['id']}")
    page.get_by_role("link", name="All programs").click()
    expect(r.get_by_role("link", name="Open program")).to_be_focused()  # back where it was


def test_a_finished_job_tells_its_recovery_in_the_details(page: Page, server):
    job = completed_job(server.url)
    note = "the server restarted during week 1; resumed from the plan"

    def recovered(route: Route) -> None:
        listing = route.fetch().json()
        for item in listing["items"]:
            if item["id"] == job["id"]:
                item.update(recoveries=1, recovery_note=note)
        route.fulfill(json=listing)

    page.route(LIST, recovered)
    open_app(page, server.url)
    r = row(page, job["id"])
    expect(r.locator(".live")).to_contain_text("Ready since")
    expect(r.locator(".recovery")).to_be_hidden()  # no present tense on a finished job
    r.locator("summary").click()
    expect(r.locator(".facts")).to_contain_text(f"Recoveries{note}")


def test_the_page_says_what_it_does(page: Page, server):
    open_app(page, server.url)
    expect(page.locator("header .tagline")).to_have_text(
        "Ask for a training program: it is written in the background, and you can follow it "
        "here, week by week."
    )
