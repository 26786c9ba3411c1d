"""The connection check over real HTTP: OK with N accounts, 401, unreachable host."""

from __future__ import annotations

import pytest

from flowdash.accounts.models import ConnectionCheck
from flowdash.accounts.services import check_connection
from flowdash.lib.ports import free_port
from flowdash.useapi.client import UseapiClient
from tests.conftest import SIM_TOKEN

pytestmark = pytest.mark.django_db


def run_check(base_url: str, token: str) -> ConnectionCheck:
    check = ConnectionCheck.objects.create(base_url=base_url)
    return check_connection(check, UseapiClient(base_url, token))


def test_ok_names_the_number_of_accounts(simulator):
    check = run_check(simulator.base_url, SIM_TOKEN)
    assert check.status == ConnectionCheck.Status.OK
    assert check.account_count == len(simulator.state.accounts) > 0
    assert f"answered with {check.account_count} Google accounts" in check.message


def test_a_wrong_token_is_reported_as_401(simulator):
    check = run_check(simulator.base_url, "user:1-not-the-token")
    assert check.status == ConnectionCheck.Status.FAILED
    assert check.http_status == 401 and "token was refused" in check.message


def test_an_unreachable_host_is_reported(simulator):
    base_url = f"http://127.0.0.1:{free_port()}/v1/google-flow"
    check = run_check(base_url, SIM_TOKEN)
    assert check.status == ConnectionCheck.Status.FAILED
    assert "unreachable" in check.message and base_url in check.message


def test_without_a_token_nothing_is_called():
    check = ConnectionCheck.objects.create(base_url="https://api.useapi.net/v1/google-flow")
    check = check_connection(check, None)
    assert check.status == ConnectionCheck.Status.FAILED
    assert "No API token" in check.message
