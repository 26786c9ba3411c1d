"""Fixtures for the account pages: the simulator, fresh for each test, and clients for it."""

from __future__ import annotations

import pytest

from flowdash.lib.ports import free_port
from tests.conftest import SIM_TOKEN

COOKIE_COLUMNS = "\t{domain}\t/\t2027-11-10T12:00:00.000Z\t42\t✓\t✓\tLax\t\tHigh"


def cookie_table(
    email: str, tier: str | None = None, names=("SID", "HSID", "SSID", "APISID", "SAPISID")
) -> str:
    """A DevTools-style cookie table for a Google account (the email rides in a cookie value,
    which is how the simulator tells accounts apart)."""
    rows = [
        f"{name}\tv{i}-{email.split('@')[0]}-secretvalue{i}"
        + COOKIE_COLUMNS.format(domain=".google.com")
        for i, name in enumerate(names)
    ]
    rows.append(
        "ACCOUNT_CHOOSER\t"
        + email.replace("@", "%40")
        + COOKIE_COLUMNS.format(domain="accounts.google.com")
    )
    if tier:
        rows.append(f"SIM_TIER\t{tier}" + COOKIE_COLUMNS.format(domain="accounts.google.com"))
    return "\n".join(rows)


@pytest.fixture
def sim(use_simulator):
    """The shared simulator, reset to its three default accounts, with this process using it."""
    use_simulator.state.reset()
    yield use_simulator
    use_simulator.state.reset()


@pytest.fixture
def api(sim):
    from flowdash.accounts.connection import build_client

    return build_client()


@pytest.fixture
def bad_token_api(sim):
    from flowdash.useapi.client import UseapiClient

    return UseapiClient(sim.base_url, "user:999-not-the-token")


@pytest.fixture
def unreachable_api():
    from flowdash.useapi.client import Timeouts, UseapiClient

    return UseapiClient(
        f"http://127.0.0.1:{free_port()}/v1/google-flow", SIM_TOKEN, timeouts=Timeouts.uniform(2)
    )


FULL_EMAILS = {
    "ul***@gmail.com": "ultra.creator@gmail.com",
    "pr***@gmail.com": "pro.studio@gmail.com",
    "fr***@gmail.com": "free.tester@gmail.com",
}


@pytest.fixture
def known_addresses(db):
    """flowdash knows the full addresses behind the simulator's masked ones."""
    from flowdash.accounts.models import FlowAccount

    for masked, full in FULL_EMAILS.items():
        FlowAccount.objects.create(email=masked, full_email=full)
