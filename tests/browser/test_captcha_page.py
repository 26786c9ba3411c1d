"""Chromium on the captcha page: keys set and shown masked, statistics filtered by a worker."""

from __future__ import annotations

import datetime as dt

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sim(use_simulator, celery_worker_process):
    use_simulator.state.reset()
    yield use_simulator
    use_simulator.state.reset()


def make_images(sim, n: int) -> None:
    for _ in range(n):
        response = requests.post(
            f"{sim.base_url}/images",
            json={"prompt": "a kite", "count": 1},
            headers={"Authorization": f"Bearer {sim.token}"},
            timeout=30,
        )
        assert response.status_code == 200, response.text


def test_an_admin_sets_captcha_keys_and_sees_them_masked(page, make_user, sim):
    make_user("alice", "admin")
    sign_in(page, "alice", "a-long-password-1")
    page.get_by_role("link", name="Captcha").click()
    expect(page.locator("#free-credits")).to_contain_text("100", timeout=30_000)  # by the worker

    capsolver = page.locator('tr[data-provider="CapSolver"]')
    capsolver.get_by_label("CapSolver API key").fill("CAP-secret 123")
    capsolver.get_by_role("button", name="Save").click()
    expect(page.locator("#key-errors")).to_contain_text("spaces or line breaks")
    assert sim.state.captcha.keys == {}

    capsolver = page.locator('tr[data-provider="CapSolver"]')
    capsolver.get_by_label("CapSolver API key").fill("CAP-0123456789abcdef")
    capsolver.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved the key of CapSolver")).to_be_visible()
    anti = page.locator('tr[data-provider="AntiCaptcha"]')
    anti.get_by_label("AntiCaptcha API key").fill("anti-key-42")
    anti.get_by_role("button", name="Save").click()
    expect(page.locator('tr[data-provider="CapSolver"] [data-masked]')).to_have_text("CAP-0…")
    expect(page.locator('tr[data-provider="AntiCaptcha"] [data-masked]')).to_have_text("anti-…")
    expect(page.locator("#free-credits")).to_have_count(0)
    assert "0123456789abcdef" not in page.content()

    page.locator('tr[data-provider="AntiCaptcha"]').get_by_role("button", name="Remove").click()
    expect(page.get_by_text("Removed the key of AntiCaptcha")).to_be_visible()
    expect(page.locator('tr[data-provider="AntiCaptcha"]')).to_contain_text("not set")
    assert sim.state.captcha.keys == {"CapSolver": "CAP-0123456789abcdef"}


def test_a_viewer_filters_the_captcha_statistics(page, make_user, sim):
    sim.state.captcha.set_keys({"CapSolver": "cap-key", "AntiCaptcha": "anti-key"})
    make_images(sim, 4)
    make_user("victor", "viewer")
    sign_in(page, "victor", "a-long-password-1")
    page.goto("/captcha/")
    summary = page.locator("#stats-summary")
    expect(summary).to_be_visible(timeout=30_000)  # today's figures, fetched by the worker
    total = sim.state.captcha.stats({}, sim.state.now())["total"]
    expect(summary.locator("[data-total]")).to_have_text(str(total))
    expect(page.locator("#captcha-filters")).to_be_visible()

    future = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    page.get_by_label("Date").fill(future)
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text("That date is in the future")).to_be_visible()

    page.get_by_label("Date").fill("")
    page.get_by_label("Limit").fill("100")
    page.get_by_label("Provider").select_option("CapSolver")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#stats-summary")).to_contain_text(
        "last 100 attempts, CapSolver only", timeout=30_000
    )
    rows = page.locator("#stats-providers tbody tr")
    expect(rows).to_have_count(1)
    expected = sim.state.captcha.stats({"limit": "100", "provider": "CapSolver"}, sim.state.now())[
        "summary"
    ]["sample_size_by_provider"]
    expect(rows.first).to_contain_text(str(expected["CapSolver"]))
    expect(page.locator('figure[data-chart="Success rate by provider"] svg')).to_be_visible()

    page.get_by_label("Limit").fill("60000")  # the browser itself refuses it (max=50000)
    page.get_by_role("button", name="Show").click()
    assert page.get_by_label("Limit").evaluate("e => e.validity.rangeOverflow")
    page.goto("/captcha/?limit=60000")  # and so does the server, when a URL says so
    expect(page.get_by_text("at most 50,000 records")).to_be_visible()
