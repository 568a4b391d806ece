"""axe-core (served from the test's own copy, no CDN) on each screen, and the checks
axe cannot make: focus ring contrast, headings, landmarks, skip links, announcements."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from pages import SIZES, completed_job, open_app, open_program, row
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

AXE = Axe()


def assert_no_serious_violations(page: Page) -> None:
    results = AXE.run(page)
    bad = [v for v in results.response["violations"] if v["impact"] in {"serious", "critical"}]
    assert not bad, results.generate_report()


@pytest.fixture(scope="module")
def job(server) -> dict:
    return completed_job(server.url, days_per_week=3, weeks=5)


@pytest.mark.parametrize("size", SIZES)
def test_the_form_and_the_list_have_no_serious_violations(page: Page, server, job, size):
    page.set_viewport_size(SIZES[size])
    open_app(page, server.url)
    expect(row(page, job["id"])).to_be_visible()
    row(page, job["id"]).locator("summary").click()
    expect(row(page, job["id"]).locator(".timeline li").first).to_be_visible()
    assert_no_serious_violations(page)

    page.fill("#weeks", "40")  # the form with its errors shown
    page.get_by_role("button", name="Generate program").click()
    expect(page.locator("#err-weeks")).to_be_visible()
    assert_no_serious_violations(page)


@pytest.mark.parametrize("size", SIZES)
def test_a_program_and_today_mode_have_no_serious_violations(page: Page, server, job, size):
    page.set_viewport_size(SIZES[size])
    open_program(page, server.url, job["id"])
    assert_no_serious_violations(page)
    open_program(page, server.url, job["id"], today=True)
    page.locator("#today .sets input").first.check()
    assert_no_serious_violations(page)


def _contrast(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    def luminance(rgb: tuple[float, ...]) -> float:
        channels = [c / 255 for c in rgb[:3]]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _rgb(css: str) -> tuple[float, ...]:
    return tuple(float(v) for v in css[css.index("(") + 1 : -1].split(",")[:3])


def test_the_focus_ring_has_3_to_1_contrast_on_every_background(page: Page, server):
    open_app(page, server.url)
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    focused = page.locator(":focus-visible")
    expect(focused).to_have_count(1)
    style = focused.evaluate(
        "e => { const s = getComputedStyle(e); return [s.outlineColor, s.outlineWidth]; }"
    )
    ring = _rgb(style[0])
    assert float(style[1][:-2]) >= 2
    page_bg = _rgb(page.evaluate("getComputedStyle(document.documentElement).backgroundColor"))
    for background in [(255, 255, 255), page_bg]:
        assert _contrast(ring, background) >= 3, (style, background)


def test_a_program_has_landmarks_skip_links_and_a_heading_per_week(page: Page, server, job):
    open_program(page, server.url, job["id"])
    expect(page.get_by_role("main")).to_have_count(1)
    nav = page.get_by_role("navigation", name="In this program")
    expect(nav.get_by_role("link")).to_have_count(3)
    nav.get_by_role("link", name="Skip to the weeks").click()
    expect(page.locator("#program-weeks")).to_be_focused()
    for week in range(1, 6):
        page.get_by_role("tab", name=f"Week {week}").click()
        expect(page.get_by_role("heading", level=3, name=f"Week {week}:")).to_be_visible()
    page.keyboard.press("Home")

    page.goto(server.url + "/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


def test_every_job_row_has_a_heading_and_status_changes_are_announced(page: Page, server):
    open_app(page, server.url)
    expect(page.locator("#announcer")).to_have_attribute("aria-live", "polite")
    rows = page.locator("li.job")
    expect(rows.first).to_be_visible()
    assert rows.count() == page.locator("li.job h3").count()
    heading = rows.first.get_by_role("heading", level=3)
    expect(rows.first).to_have_accessible_name(heading.inner_text())
