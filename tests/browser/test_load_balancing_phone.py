"""The operator pages fit a phone, and still open when no worker or broker is there (the pages
read stored data; asking for fresh data fails quietly)."""

from __future__ import annotations

import pytest

from tests.accounts.conftest import FULL_EMAILS
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_operator_pages_fit_a_phone(page, make_user, use_simulator):
    from flowdash.accounts.connection import build_client
    from flowdash.accounts.models import FlowAccount
    from flowdash.accounts.services import refresh_captcha_providers, sync_accounts
    from flowdash.stats.services import snapshot_load

    use_simulator.state.reset()
    for masked, full in FULL_EMAILS.items():
        FlowAccount.objects.create(email=masked, full_email=full)
    api = build_client()
    sync_accounts(api)
    snapshot_load(api)
    refresh_captcha_providers(api)
    make_user("alice", "admin")
    page.set_viewport_size({"width": 390, "height": 800})
    sign_in(page, "alice", "a-long-password-1")
    page.wait_for_url("**/")
    for url in [
        "/accounts/",
        "/load-balancing/?range=1h",
        "/captcha/",
        "/accounts/add/",
        "/alerts/",
    ]:
        assert page.goto(url).status == 200, url
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, url
