"""The API keys page and the API reference in Chromium: a key made on the page works once
copied, and the reference is Swagger UI from our own static files (no other host is asked)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_person_makes_a_key_and_reads_the_api_reference(page, make_user, live_server, client):
    make_user("carol", "creator")
    hosts, broken = set(), []
    page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
    page.on("console", lambda m: broken.append(m.text) if m.type == "error" else None)
    page.goto("/login/")
    sign_in(page, "carol", "a-long-password-1")
    page.get_by_role("navigation").get_by_role("link", name="API keys").click()
    page.get_by_label("Name").fill("nightly shots")
    page.locator("input[name=scopes][value=generate]").check()
    page.get_by_role("button", name="Make key").click()
    key = page.locator("#new-key-value").inner_text()
    assert key.startswith("fdk_")
    expect(page.locator("#api-keys")).to_contain_text("nightly shots")
    me = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert me.status_code == 200 and me.json()["key"]["scopes"] == ["read", "generate"]

    page.goto("/api/v1/docs/")
    # Swagger UI reads the document and renders it (slow on a busy machine: a long wait)
    expect(page.get_by_text("flowdash API", exact=False).first).to_be_visible(timeout=60_000)
    expect(page.locator(".opblock-summary-path[data-path='/api/v1/jobs/image']")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert hosts == {urlsplit(live_server.url).netloc}
    assert broken == []
