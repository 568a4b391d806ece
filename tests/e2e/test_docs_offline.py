"""/docs and /redoc in a real browser: drawn from the service's own files under its
Content-Security-Policy, with every request to another origin blocked (no internet),
and the policy blocking nothing of ours."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    ("path", "drawn"),
    [("/docs", ".opblock-summary-path"), ("/redoc", "[data-section-id^='tag/programs']")],
)
def test_the_docs_draw_offline_with_no_csp_violation(page: Page, server, path, drawn):
    outside: list[str] = []
    violations: list[str] = []
    origin = server.url

    def only_ours(route) -> None:
        if route.request.url.startswith(origin) or route.request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_ours)
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.goto(server.url + path)
    expect(page.locator(drawn).first).to_be_visible(timeout=15_000)
    assert outside == []
    # ReDoc's bundle shows its vendor's logo from a CDN: the policy blocking that is the
    # policy working. Anything else it blocked (an inline script, our own files) is a bug.
    ours = [text for text in violations if "cdn.redoc.ly" not in text]
    assert ours == []
