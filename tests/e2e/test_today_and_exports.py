"""Today mode at the gym, and the program taken elsewhere: calendar, sheet, JSON."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, time, timedelta

import icalendar
import pytest
from pages import SIZES, completed_job, no_horizontal_scroll, open_program
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def job(server) -> dict:
    """3 days × 2 weeks: six sessions."""
    return completed_job(server.url, days_per_week=3, weeks=2, goal="strength")


def first_rested(session: dict) -> tuple[int, dict]:
    """The first exercise of a session that has a rest between sets."""
    return next((i, x) for i, x in enumerate(session["exercises"]) if x["rest_seconds"] > 0)


@pytest.mark.parametrize("size", SIZES)
def test_today_shows_one_session_and_a_tick_starts_the_rest_timer(
    page: Page, server, job, size, shots
):
    page.set_viewport_size(SIZES[size])
    page.clock.install()  # the timer's end is reached by moving the clock, not by waiting
    open_program(page, server.url, job["id"], today=True)
    session = job["result"]["weeks"][0]["sessions"][0]
    today = page.locator("#today")
    expect(page.locator("#today-title")).to_have_text(session["name"])
    expect(today).not_to_contain_text("null")
    expect(today.locator(".today-where")).to_contain_text("Week 1 · day 1")
    expect(today.locator(".today-exercise")).to_have_count(len(session["exercises"]))
    assert (
        float(page.locator("#today-title").evaluate("h => getComputedStyle(h).fontSize")[:-2]) >= 28
    )
    no_horizontal_scroll(page)

    index, exercise = first_rested(session)
    item = today.locator(".today-exercise").nth(index)
    expect(item.get_by_role("heading")).to_have_text(exercise["name"])
    item.get_by_role("checkbox", name="Set 1").check()
    timer = page.get_by_role("timer")
    expect(timer).to_be_visible()
    expect(timer).to_contain_text(f"Rest after {exercise['name']}")
    minutes, seconds = divmod(exercise["rest_seconds"], 60)
    expect(page.locator("#rest-left")).to_have_text(f"{minutes}:{seconds:02d}")
    expect(page.locator("#announcer")).to_have_text(f"Rest {exercise['rest_seconds']} seconds.")
    if size == "phone":  # the README shows today mode where it is used
        page.screenshot(path=shots / "today-phone.png")

    page.clock.fast_forward(exercise["rest_seconds"] * 1000 + 500)
    expect(timer).to_be_hidden()
    expect(page.locator("#announcer")).to_have_text("Rest over: next set.")

    page.reload()  # ticks are kept in the browser
    expect(page.locator("#today-title")).to_be_focused()
    item = page.locator(".today-exercise").nth(index)
    expect(item.get_by_role("checkbox", name="Set 1")).to_be_checked()
    expect(item.get_by_role("checkbox", name="Set 2")).not_to_be_checked()
    item.get_by_role("checkbox", name="Set 2").check()
    expect(page.get_by_role("timer")).to_be_visible()
    page.get_by_role("button", name="Skip rest").click()
    expect(page.get_by_role("timer")).to_be_hidden()


def test_today_moves_on_to_the_next_session_once_every_set_is_ticked(page: Page, server, job):
    page.set_viewport_size(SIZES["phone"])
    open_program(page, server.url, job["id"], today=True)
    boxes = page.locator("#today .sets input")
    for i in range(boxes.count()):
        boxes.nth(i).check()
    page.reload()
    second = job["result"]["weeks"][0]["sessions"][1]
    expect(page.locator("#today-title")).to_have_text(second["name"])
    expect(page.locator(".today-where")).to_contain_text("Week 1 · day 2")
    page.get_by_role("button", name="Previous").click()
    expect(page.locator(".today-where")).to_contain_text("Week 1 · day 1 · 60\u00a0min · done")
    page.get_by_role("link", name="Whole program").click()
    expect(page.locator("#program-title")).to_be_focused()


def weekday_choice(page: Page, days: list[str]) -> None:
    for box in page.locator("#program-exports input[name=days]").all():
        box.set_checked(box.get_attribute("value") in days)


@pytest.mark.parametrize("size", SIZES)
def test_the_calendar_has_one_event_per_session_on_the_chosen_days(page: Page, server, job, size):
    page.set_viewport_size(SIZES[size])
    open_program(page, server.url, job["id"])
    page.get_by_role("link", name="Skip to calendar and files").click()
    expect(page.locator("#program-exports")).to_be_focused()
    page.get_by_label("First week starts").fill("2027-03-01")  # a Monday
    page.get_by_label("Time", exact=True).fill("07:30")
    page.get_by_label("Time zone").fill("Europe/Paris")
    weekday_choice(page, ["tue", "thu", "sat"])
    with page.expect_download() as download:
        page.get_by_role("button", name="Download calendar (.ics)").click()
    assert download.value.suggested_filename.endswith(".ics")
    calendar = icalendar.Calendar.from_ical(download.value.path().read_bytes())
    events = list(calendar.walk("VEVENT"))
    sessions = [s for w in job["result"]["weeks"] for s in w["sessions"]]
    assert [str(e["SUMMARY"]) for e in events] == [s["name"] for s in sessions]
    first = date(2027, 3, 2)
    wanted = [first + timedelta(days=7 * w + d) for w in range(2) for d in (0, 2, 4)]
    starts = [e.decoded("DTSTART") for e in events]
    assert [s.date() for s in starts] == wanted
    assert {s.strftime("%a") for s in starts} == {"Tue", "Thu", "Sat"}
    assert all(s.time() == time(7, 30) and str(s.tzinfo) == "Europe/Paris" for s in starts)
    assert isinstance(starts[0], datetime)
    no_horizontal_scroll(page)


def test_calendar_options_are_checked_next_to_their_field(page: Page, server, job):
    page.set_viewport_size(SIZES["desktop"])
    open_program(page, server.url, job["id"])
    requests: list[str] = []
    page.on("request", lambda req: "program.ics" in req.url and requests.append(req.url))
    weekday_choice(page, ["mon", "tue"])
    page.get_by_role("button", name="Download calendar (.ics)").click()
    expect(page.locator("#ics-days-error")).to_have_text(
        "Tick 3 days: one for each session of a week (2 ticked)."
    )
    assert requests == []  # nothing sent until the choice can work

    weekday_choice(page, ["mon", "wed", "fri"])
    page.get_by_label("Time zone").fill("Mars/Olympus")
    page.get_by_role("button", name="Download calendar (.ics)").click()
    expect(page.locator("#ics-tz-error")).to_contain_text("is not an IANA time zone name")
    expect(page.get_by_label("Time zone")).to_be_focused()
    expect(page.locator("#ics-days-error")).to_be_hidden()


def test_the_sheet_and_the_json_download(page: Page, server, job):
    page.set_viewport_size(SIZES["phone"])
    open_program(page, server.url, job["id"])
    with page.expect_download() as download:
        page.get_by_role("button", name="Download sheet (.csv)").click()
    rows = list(csv.reader(io.StringIO(download.value.path().read_text())))
    assert rows[0] == [
        "week", "day", "session", "order", "exercise", "sets", "reps", "rest_seconds", "notes"
    ]  # fmt: skip
    exercises = [x for w in job["result"]["weeks"] for s in w["sessions"] for x in s["exercises"]]
    assert len(rows) - 1 == len(exercises)

    with page.expect_download() as download:
        page.get_by_role("button", name="Download JSON").click()
    saved = json.loads(download.value.path().read_text())
    assert saved == {"request": job["request"], "program": job["result"]}
    assert download.value.suggested_filename.endswith(f"{job['id'].replace('-', '')[-8:]}.json")


def test_downloads_send_the_token(page: Page, token_server):
    job = completed_job(token_server.url, token="e2e-token-0123456789", days_per_week=2, weeks=1)
    page.set_viewport_size(SIZES["desktop"])
    auth: dict[str, str | None] = {}
    page.on(
        "request",
        lambda req: auth.update({req.url.split("?")[0][-3:]: req.headers.get("authorization")}),
    )
    page.goto(f"{token_server.url}/#/programs/{job['id']}")
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("API token").fill("e2e-token-0123456789")
    dialog.get_by_role("button", name="Use token").click()
    expect(page.locator("#program-title")).to_have_text(job["result"]["title"])
    with page.expect_download() as download:
        page.get_by_role("button", name="Download calendar (.ics)").click()
    assert (
        len(list(icalendar.Calendar.from_ical(download.value.path().read_bytes()).walk("VEVENT")))
        == 2
    )
    with page.expect_download():
        page.get_by_role("button", name="Download sheet (.csv)").click()
    assert auth["ics"] == auth["csv"] == "Bearer e2e-token-0123456789"
