"""The small things a first-time user trips over, and the token prompt."""

from __future__ import annotations

import itertools

import pytest
from pages import (
    SIZES,
    completed_job,
    create_job,
    no_horizontal_scroll,
    open_app,
    open_program,
    row,
)
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e


def test_no_equipment_ticked_says_so_instead_of_sending_an_empty_list(page: Page, server):
    open_app(page, server.url)
    sent: list[str] = []
    page.on("request", lambda req: req.url.endswith("/generate") and sent.append(req.url))
    for box in page.locator("input[name=equipment]").all():
        box.uncheck()
    page.get_by_role("button", name="Generate program").click()
    expect(page.locator("#err-equipment")).to_have_text(
        "Tick at least one: Bodyweight if you have no equipment."
    )
    expect(page.get_by_role("checkbox", name="Bodyweight")).to_be_focused()
    expect(page.get_by_role("group", name="Equipment")).to_have_accessible_description(
        "Tick what you can use; Bodyweight needs none. "
        "Tick at least one: Bodyweight if you have no equipment."
    )
    assert sent == []
    page.get_by_role("checkbox", name="Dumbbells").check()  # choosing one clears the message
    expect(page.locator("#err-equipment")).to_be_hidden()


@pytest.mark.parametrize("width", [1280, 390, 320])
def test_number_fields_show_their_range_and_line_up(page: Page, server, width):
    page.set_viewport_size({"width": width, "height": 800})
    open_app(page, server.url)
    for name, hint in [("Days per week", "1 to 7"), ("Weeks", "1 to 16"), ("Minutes", "15 to 180")]:
        field = page.get_by_role("spinbutton", name=name)
        expect(field).to_have_accessible_description(hint)
    tops = sorted(
        page.locator(".numbers input").evaluate_all(
            "inputs => inputs.map((i) => i.getBoundingClientRect().top)"
        )
    )
    for a, b in itertools.pairwise(tops):
        assert b - a < 1 or b - a > 40, f"inputs side by side must line up: {tops}"
    no_horizontal_scroll(page)


@pytest.mark.parametrize("width", [390, 320])
def test_rest_times_never_break_and_nothing_scrolls_sideways_on_a_phone(page: Page, server, width):
    job = completed_job(server.url, days_per_week=6, weeks=2, session_minutes=120)
    page.set_viewport_size({"width": width, "height": 800})
    open_program(page, server.url, job["id"])
    no_horizontal_scroll(page)
    lines = page.locator(".week.current .ex-rest").evaluate_all(
        "spans => spans.map((s) => s.getClientRects().length)"
    )
    assert lines and set(lines) == {1}, "a 'rest 120 s' broke across lines"
    open_program(page, server.url, job["id"], today=True)
    no_horizontal_scroll(page)


def test_the_favicon_is_served_and_nothing_is_missing(page: Page, server):
    missing: list[str] = []
    page.on("response", lambda res: res.status == 404 and missing.append(res.url))
    open_app(page, server.url)
    icon = page.locator("link[rel=icon]").get_attribute("href")
    res = page.request.get(f"{server.url}/{icon}")
    assert res.status == 200 and res.headers["content-type"].startswith("image/svg+xml")
    page.wait_for_timeout(500)
    assert missing == []


def test_a_401_on_submit_opens_the_prompt_and_then_the_whole_list_loads(page: Page, token_server):
    earlier = [create_job(token_server.url, token="e2e-token-0123456789") for _ in range(2)]
    page.set_viewport_size(SIZES["phone"])
    page.goto(token_server.url + "/")
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()  # the list asked first
    dialog.get_by_role("button", name="Cancel").click()
    expect(page.locator("#jobs-status")).to_contain_text("an API token is needed")

    with page.expect_response(lambda r: r.url.endswith("/generate") and r.status == 202) as info:
        page.get_by_role("button", name="Generate program").click()
        expect(dialog).to_be_visible()  # the same prompt, from the submit
        dialog.get_by_label("API token").fill("e2e-token-0123456789")
        dialog.get_by_role("button", name="Use token").click()
    made = info.value.json()
    for job in [*earlier, made]:
        expect(row(page, job["id"])).to_be_visible()  # all of them, without a Refresh
    expect(page.locator("#jobs-status")).to_be_hidden()
    expect(page.locator(f'li.job[data-id="{made["id"]}"]')).to_have_count(1)


def test_every_screen_runs_under_a_strict_content_security_policy(page: Page, server):
    """No inline script or style anywhere: the edge's `default-src 'self'` blocks nothing."""
    job = completed_job(server.url, days_per_week=2, weeks=5)
    strict = "default-src 'self'; frame-ancestors 'none'"

    def with_csp(route) -> None:
        response = route.fetch()
        route.fulfill(
            response=response, headers={**response.headers, "content-security-policy": strict}
        )

    page.route(f"{server.url}/", with_csp)
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', (e) =>"
        " (window.__csp = window.__csp || []).push(e.violatedDirective + ' ' + e.blockedURI))"
    )
    open_app(page, server.url)
    row(page, job["id"]).locator("summary").click()
    page.get_by_role("link", name=f"Open program {job['id'].replace('-', '')[-8:]}").click()
    expect(page.get_by_role("img", name="Weekly volume and effort")).to_be_visible()
    page.get_by_role("link", name="Today’s session").click()
    page.locator("#today .sets input").first.check()
    expect(page.locator("#today .set").first).to_have_css("border-top-color", "rgb(27, 122, 61)")
    assert page.evaluate("window.__csp") is None
    # The policy was in force: a style attribute, which the page never uses, is refused.
    page.evaluate("document.body.append(document.createElement('p'))")
    page.locator("body > p").last.evaluate("p => p.setAttribute('style', 'color: red')")
    page.wait_for_function("window.__csp && window.__csp.length > 0", timeout=5000)
