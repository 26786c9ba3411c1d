"""Sandbox mode knows its simulator's accounts: no "needs the full address" for a newcomer."""

from __future__ import annotations

import pytest

from flowdash.accounts.connection import build_client
from flowdash.accounts.models import FlowAccount
from flowdash.accounts.services import sync_accounts
from tests.conftest import SIM_TOKEN

pytestmark = pytest.mark.django_db


def test_sandbox_sync_fills_in_the_simulators_full_addresses(settings, sim):
    settings.FLOWDASH_SANDBOX = True
    settings.SANDBOX_BASE_URL = sim.base_url
    settings.FLOWDASH_SIM_TOKEN = SIM_TOKEN
    sync_accounts(build_client())
    accounts = {a.email: a for a in FlowAccount.objects.all()}
    assert len(accounts) == 3
    assert all("***" in email for email in accounts)  # the API lists masked addresses
    assert {a.full_email for a in accounts.values()} == {
        "ultra.creator@gmail.com",
        "pro.studio@gmail.com",
        "free.tester@gmail.com",
    }
    ultra = next(a for a in accounts.values() if a.full_email.startswith("ultra"))
    assert ultra.state == FlowAccount.State.OK and ultra.credits is not None  # details were read


def test_with_a_real_token_masked_addresses_still_need_a_person(sim):
    sync_accounts(build_client())  # use_simulator: not sandbox mode
    assert FlowAccount.objects.count() == 3
    assert all(a.needs_full_email for a in FlowAccount.objects.all())
