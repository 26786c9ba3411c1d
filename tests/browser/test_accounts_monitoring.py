"""Chromium against the live server, a real worker and the simulator: the accounts pages."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.accounts.conftest import cookie_table
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)
WORKER = 30_000  # ms: waits that include a task on the worker (generous on a busy machine)


@pytest.fixture
def sim(use_simulator, celery_worker_process):
    use_simulator.state.reset()
    yield use_simulator
    use_simulator.state.reset()


def test_an_admin_adds_an_account_with_cookies_and_sees_it_in_the_list(page, make_user, sim):
    make_user("alice", "admin")
    sign_in(page, "alice", "a-long-password-1")
    page.get_by_role("link", name="Accounts", exact=True).click()
    page.get_by_role("link", name="Add an account").click()
    expect(page.get_by_role("heading", name="How to copy the cookies")).to_be_visible()

    page.get_by_label("Cookies of https://accounts.google.com").fill("  \n  ")  # blank paste
    page.get_by_role("button", name="Add account").click()
    expect(page.get_by_text("The paste is empty")).to_be_visible()

    page.get_by_label("Cookies of https://accounts.google.com").fill("SID=1; HSID=2; SSID=3")
    page.get_by_role("button", name="Add account").click()
    expect(page.get_by_text("not the DevTools table")).to_be_visible()
    assert sim.state.requests(path="/accounts", method="POST") == []

    page.get_by_label("The Google account's address").fill("new.person@gmail.com")
    page.get_by_label("Cookies of https://accounts.google.com").fill(
        cookie_table("new.person@gmail.com", tier="ultra")
    )
    page.get_by_role("button", name="Add account").click()
    expect(page.get_by_text("Added ne***@gmail.com (201 Created)")).to_be_visible()
    row = page.locator('tr[data-account="ne***@gmail.com"]')
    expect(row).to_contain_text("new.person@gmail.com", timeout=WORKER)
    expect(row.locator(".badge").first).to_have_text("OK", timeout=WORKER)
    expect(row).to_contain_text("25000")
    expect(row).to_contain_text("unlimited")
    expect(page.locator('tr[data-account="ul***@gmail.com"]')).to_be_visible()


def test_a_session_expired_account_shows_its_badge_and_alert_after_a_refresh(page, make_user, sim):
    make_user("alice", "admin")
    sign_in(page, "alice", "a-long-password-1")
    page.goto("/accounts/")
    page.get_by_role("button", name="Refresh now").click()
    pro = page.locator('tr[data-account="pr***@gmail.com"]')
    expect(pro).to_be_visible(timeout=WORKER)
    pro.get_by_label("Full address of pr***@gmail.com").fill("pro.studio@gmail.com")
    pro.get_by_role("button", name="Save address").click()
    expect(pro).to_contain_text("1000", timeout=WORKER)
    expect(page.locator("#alerts-banner")).to_have_count(0)

    sim.state.set_account_state("pro.studio@gmail.com", "session_expired")
    page.get_by_role("button", name="Refresh now").click()
    badge = pro.get_by_role("link", name=re.compile(r"Session expired \(596\)"))
    expect(badge).to_be_visible(timeout=WORKER)
    page.reload()
    expect(page.locator("#alerts-banner")).to_contain_text("Session expired: pr***@gmail.com")

    page.get_by_role("link", name="Review the alerts").click()
    expect(page.locator('tr[data-alert-kind="session_expired"]')).to_contain_text("pr***@gmail.com")
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.locator("#alerts-banner")).to_have_count(0)

    page.goto("/accounts/")
    page.locator('tr[data-account="pr***@gmail.com"]').get_by_role(
        "link", name=re.compile("Session expired")
    ).click()
    expect(page.get_by_role("heading", name="Re-add pr***@gmail.com")).to_be_visible()
    expect(page.get_by_label("The Google account's address")).to_have_value("pro.studio@gmail.com")


def test_a_refused_token_is_told_on_the_page_and_in_the_banner(page, make_user, sim, settings):
    make_user("alice", "admin")
    sign_in(page, "alice", "a-long-password-1")
    page.goto("/accounts/add/")
    settings.USEAPI_TOKEN = "user:42-not-the-right-one"  # only this process: the add is in-request
    page.get_by_label("Cookies of https://accounts.google.com").fill(cookie_table("x.y@gmail.com"))
    page.get_by_role("button", name="Add account").click()
    expect(page.locator("#add-outcome")).to_contain_text("401")
    expect(page.locator("#alerts-banner")).to_contain_text("API token rejected")
