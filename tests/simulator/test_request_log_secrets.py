"""The simulator's request log (GET /_sim/requests) never keeps cookies or captcha keys."""

from __future__ import annotations

import json

import requests

from flowdash.useapi.client import UseapiClient
from tests.accounts.conftest import cookie_table
from tests.conftest import SIM_TOKEN

KEY = "CAP-0123456789abcdef0123456789abcdef"


def test_logged_requests_keep_no_cookie_or_captcha_key(simulator):
    simulator.state.reset()
    client = UseapiClient(simulator.base_url, SIM_TOKEN)
    cookies = cookie_table("secret.keeper@gmail.com")
    client.add_account(cookies)
    client.set_captcha_providers({"CapSolver": KEY})
    log = requests.get(
        f"{simulator.base_url.split('/v1')[0]}/_sim/requests",
        headers={"Authorization": f"Bearer {SIM_TOKEN}"},
        timeout=5,
    ).json()
    text = json.dumps(log)
    posted = [e for e in log["requests"] if e["method"] == "POST"]
    assert len(posted) == 2
    assert KEY not in text
    for line in cookies.splitlines():
        value = line.split("\t")[1]
        assert value not in text
    assert "redacted" in text
    simulator.state.reset()
