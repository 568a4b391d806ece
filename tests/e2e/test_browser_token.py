"""The frontend against a server started with API_TOKEN."""

from __future__ import annotations

import json
import urllib.request

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e


def create_job(base_url: str, token: str) -> dict:
    body = {"goal": "endurance", "experience": "beginner", "days_per_week": 2, "weeks": 1}
    req = urllib.request.Request(
        base_url + "/api/programs/generate",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(req, timeout=5) as res:
        assert res.status == 202
        return json.load(res)


def test_page_asks_for_the_token_once_and_keeps_it(page: Page, token_server):
    job = create_job(token_server.url, "e2e-token-0123456789")
    auth_headers: list[str | None] = []
    page.on(
        "request",
        lambda req: (
            "/api/programs/" in req.url and auth_headers.append(req.headers.get("authorization"))
        ),
    )
    page.goto(token_server.url + "/")

    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#token-error")).to_be_hidden()
    expect(page.locator("#health")).to_have_attribute("data-state", "ok")  # health needs no token

    dialog.get_by_label("API token").fill("wrong-token")
    dialog.get_by_role("button", name="Use token").click()
    expect(page.locator("#token-error")).to_be_visible()  # asked again, saying why
    dialog.get_by_label("API token").fill("e2e-token-0123456789")
    dialog.get_by_role("button", name="Use token").click()

    expect(dialog).to_be_hidden()
    expect(page.locator(f'li.job[data-id="{job["id"]}"]')).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('progen.apiToken')") == "e2e-token-0123456789"
    assert "Bearer e2e-token-0123456789" in auth_headers

    auth_headers.clear()
    page.reload()  # the tab keeps its token: no second question
    expect(page.locator(f'li.job[data-id="{job["id"]}"]')).to_be_visible()
    expect(dialog).to_be_hidden()
    assert auth_headers and set(auth_headers) == {"Bearer e2e-token-0123456789"}
