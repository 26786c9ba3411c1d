"""Settings → "Test connection": a real worker calls GET /accounts on the simulator."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_test_connection_says_ok_with_the_simulated_accounts(
    page, make_user, use_simulator, celery_worker_process
):
    make_user("alice", "admin")
    sign_in(page, "alice", "a-long-password-1")
    page.goto("/settings/")
    expect(page.locator("#sandbox-banner")).to_be_visible()
    page.get_by_role("button", name="Test connection").click()
    result = page.locator("[data-check-status]")
    expect(result).to_have_attribute("data-check-status", "ok", timeout=20_000)
    accounts = len(use_simulator.state.accounts)
    expect(result).to_contain_text(f"OK — the API answered with {accounts} Google accounts.")
