"""A trainee's program: its own link, weeks in tabs, the overview, the chart, print."""

from __future__ import annotations

import re

import pytest
from pages import SIZES, call, completed_job, create_job, no_horizontal_scroll, open_program
from playwright.sync_api import Page, Route, expect

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def long_job(server) -> dict:
    """8 weeks × 3 days: two training blocks, each ending in a deload week."""
    return completed_job(server.url, days_per_week=3, weeks=8, goal="hypertrophy")


@pytest.mark.parametrize("size", SIZES)
def test_a_program_opens_from_its_own_link_one_week_at_a_time(
    page: Page, server, long_job, size, shots
):
    page.set_viewport_size(SIZES[size])
    open_program(page, server.url, long_job["id"])
    program = long_job["result"]
    expect(page.locator("#program-title")).to_have_text(program["title"])
    expect(page.locator("#request-form")).to_be_hidden()  # the program alone, not the jobs page
    page.screenshot(path=shots / f"program-{size}.png")

    tabs = page.get_by_role("tab")
    expect(tabs).to_have_count(8)
    expect(page.get_by_role("tab", name="Week 1")).to_have_attribute("aria-selected", "true")
    expect(page.locator(".week:visible")).to_have_count(1)
    expect(page.get_by_role("heading", name=re.compile(r"^Week 1: "))).to_be_visible()

    page.get_by_role("tab", name="Week 3").click()
    week3 = page.get_by_role("tabpanel")
    expect(week3).to_have_count(1)
    expect(week3.get_by_role("heading", level=3)).to_have_text(
        f"Week 3: {program['weeks'][2]['focus']}"
    )
    expect(week3.locator(".session")).to_have_count(3)
    page.keyboard.press("ArrowRight")  # the tabs pattern: arrows move between weeks
    expect(page.get_by_role("tab", name="Week 4")).to_be_focused()
    expect(page.get_by_role("tab", name="Week 4")).to_have_attribute("aria-selected", "true")
    no_horizontal_scroll(page)


def test_the_overview_is_a_grid_of_weeks_and_days_with_deloads_marked(page: Page, server, long_job):
    page.set_viewport_size(SIZES["desktop"])
    open_program(page, server.url, long_job["id"])
    table = page.locator("table.overview")
    expect(table.locator("thead th")).to_have_text(["Week", "Day 1", "Day 2", "Day 3", "Sets"])
    expect(table.locator("tbody tr")).to_have_count(8)
    deloads = [w["week"] for w in long_job["result"]["weeks"] if "deload" in w["focus"].lower()]
    assert deloads, "the template writes a deload week into an 8-week program"
    expect(table.locator("tbody tr.deload")).to_have_count(len(deloads))
    for week in deloads:
        expect(table.locator("tbody tr").nth(week - 1)).to_contain_text("deload")

    table.get_by_role("button", name=f"Week {deloads[0]}").click()  # a row opens its week
    expect(page.get_by_role("tab", name=f"Week {deloads[0]}")).to_have_attribute(
        "aria-selected", "true"
    )
    expect(page.locator(f"#week-{deloads[0]}")).to_be_focused()


def test_the_chart_draws_weekly_volume_and_effort_with_deloads_lower(
    page: Page, server, long_job, shots
):
    page.set_viewport_size(SIZES["desktop"])
    open_program(page, server.url, long_job["id"])
    chart = page.get_by_role("img", name="Weekly volume and effort")
    expect(chart).to_be_visible()
    bars = chart.locator("rect.bar")
    expect(bars).to_have_count(8)
    heights = [float(h) for h in bars.evaluate_all("bs => bs.map((b) => b.getAttribute('height'))")]
    sets = [
        sum(x["sets"] for s in w["sessions"] for x in s["exercises"])
        for w in long_job["result"]["weeks"]
    ]
    # Bar heights follow the weekly sets, so a deload week is visibly lower.
    for height, count in zip(heights, sets, strict=True):
        assert abs(height / heights[0] - count / sets[0]) < 0.02, (heights, sets)
    deload_index = bars.evaluate_all("bs => bs.findIndex((b) => b.classList.contains('deload'))")
    assert deload_index > 0 and heights[deload_index] < heights[deload_index - 1]
    # Effort (RPE, or 10 - reps in reserve) is a dot per week that gives one; a deload's is lower.
    rpe_weeks = [
        w
        for w in long_job["result"]["weeks"]
        if any(
            re.search(r"RPE|RIR|reps? in reserve", x["notes"])
            for s in w["sessions"]
            for x in s["exercises"]
        )
    ]
    dots = chart.locator("circle.effort-dot")
    expect(dots).to_have_count(len(rpe_weeks))
    heights_of_effort = [
        float(cy) for cy in dots.evaluate_all("ds => ds.map((d) => d.getAttribute('cy'))")
    ]
    assert heights_of_effort[deload_index] > heights_of_effort[deload_index - 1]  # lower on screen
    expect(chart.locator("polyline.effort").first).to_be_visible()
    expect(chart.locator("desc")).to_contain_text("(deload)")
    same_origin = (
        "performance.getEntriesByType('resource').every((r) => r.name.startsWith(location.origin))"
    )
    assert page.evaluate(same_origin), "the page loads nothing from another origin (no CDN)"
    chart.screenshot(path=shots / "program-chart.png")


@pytest.mark.parametrize("size", SIZES)
def test_print_shows_the_program_alone_one_week_per_page(page: Page, server, shots, size):
    job = completed_job(server.url, days_per_week=2, weeks=4)
    page.set_viewport_size(SIZES[size])
    open_program(page, server.url, job["id"])
    page.emulate_media(media="print")
    for hidden in (
        "header.top",
        "#request-form",
        "#jobs",
        ".tabs",
        "#program-exports",
        ".skip-links",
    ):
        expect(page.locator(hidden)).to_be_hidden()
    expect(page.locator("#program-title")).to_be_visible()
    expect(page.locator(".week")).to_have_count(4)
    for week in page.locator(".week").all():
        expect(week).to_be_visible()  # every week, not only the chosen tab
    breaks = page.locator(".week").evaluate_all(
        "ws => ws.map((w) => getComputedStyle(w).breakBefore)"
    )
    assert breaks == ["auto", "page", "page", "page"], breaks
    pdf = page.pdf(format="A4")
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 4, "one page per week"
    page.set_viewport_size({"width": 794, "height": 1123})  # A4's width at 96 dpi
    first_page = page.locator(".week").nth(1).evaluate("w => w.getBoundingClientRect().top")
    page.screenshot(  # the first printed page: the title and week 1, up to week 2's page break
        path=shots / "program-printed.png",
        clip={"x": 0, "y": 0, "width": 794, "height": min(first_page, 1123)},
    )


MARKUP = '<img src=x onerror="window.__xss=1">'


def test_optional_fields_are_shown_when_a_program_has_them(page: Page, server):
    job = completed_job(server.url, days_per_week=1, weeks=2)

    def richer(route: Route) -> None:
        """The job as a newer generator writes it: warm-ups, warnings, cues, effort."""
        body = route.fetch().json()
        program = body["result"]
        program["warnings"] = [f"Stop if the shoulder hurts {MARKUP}", "See a doctor first"]
        for week in program["weeks"]:
            warmup = "5 min walk" if week["week"] == 1 else ["5 min bike", f"circles {MARKUP}"]
            for session in week["sessions"]:
                session["warmup"] = warmup
                for exercise in session["exercises"]:
                    exercise.update(cue=f"Brace {MARKUP}", effort="RPE 8")
        route.fulfill(json=body)

    page.route(f"**/api/programs/jobs/{job['id']}", richer)
    open_program(page, server.url, job["id"])
    note = page.get_by_role("note", name="Before you start")
    expect(note.locator("li")).to_have_text(
        [f"Stop if the shoulder hurts {MARKUP}", "See a doctor first"]
    )
    session = page.locator(".week.current .session").first
    expect(session.locator(".warmup")).to_have_text("Warm-up: 5 min walk")
    assert session.evaluate(
        "s => s.querySelector('.warmup').compareDocumentPosition(s.querySelector('ol'))"
        " & Node.DOCUMENT_POSITION_FOLLOWING"
    ), "the warm-up comes before the exercises"
    expect(session.locator(".ex-notes").first).to_have_text(f"Brace {MARKUP}")
    expect(page.locator("circle.effort-dot")).to_have_count(2)  # RPE from the effort field
    page.get_by_role("tab", name="Week 2").click()
    expect(page.locator(".week.current .warmup")).to_have_text(
        f"Warm-up: 5 min bike; circles {MARKUP}"
    )

    open_program(page, server.url, job["id"], today=True)
    expect(page.locator("#today .warmup")).to_have_text("Warm-up: 5 min walk")
    expect(page.locator("#today .ex-notes").first).to_have_text(f"Brace {MARKUP}")
    assert page.locator("img").count() == 0
    assert page.evaluate("typeof window.__xss") == "undefined"


def test_a_link_to_no_program_or_an_unfinished_one_says_so(page: Page, server):
    page.goto(f"{server.url}/#/programs/01a23bed-0000-7000-8000-000000000000")
    expect(page.get_by_role("alert")).to_have_text("No program has this link.")
    running = create_job(server.url, days_per_week=1, weeks=16)
    page.goto(f"{server.url}/#/programs/{running['id']}")
    expect(page.get_by_role("alert")).to_have_text(
        "This program is not written yet: the list shows how far it has got."
    )
    page.get_by_role("link", name="All programs").click()
    expect(page.locator(f'li.job[data-id="{running["id"]}"]')).to_be_visible()
    call(server.url, f"/api/programs/jobs/{running['id']}/cancel", body={})
