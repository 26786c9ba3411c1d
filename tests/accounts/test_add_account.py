"""Adding a Google account: the form, the in-request POST /accounts, and the cookies' fate."""

from __future__ import annotations

import logging

import pytest
from django.core.management import call_command
from django.urls import reverse

from flowdash.accounts.forms import AddAccountForm
from flowdash.accounts.models import FlowAccount
from tests.accounts.conftest import cookie_table

pytestmark = pytest.mark.django_db
ADD = reverse("accounts:add")


def posted_accounts(sim) -> list:
    return sim.state.requests(path="/accounts", method="POST")


@pytest.mark.parametrize(
    ("paste", "reason"),
    [
        ("", "The paste is empty"),
        ("   \n  \n", "The paste is empty"),
        ("SID=abc; HSID=def; SSID=ghi", "Cookie header"),
        ("SID abc .google.com / 2027", "tab-separated"),
        ("Name\tValue\tDomain\tPath\tExpires", "header row but no cookies"),
        ("SID\tabc\tnot a domain\t/\t2027-01-01", "domain"),
        ("SID\tabc\t.google.com\tnope\t2027-01-01", "path"),
        (
            "NID\tabc\t.google.com\t/\t2027-01-01\n1P_JAR\tx\t.google.com\t/\t2027",
            "SID, HSID, SSID are missing",
        ),
        (
            "SID\tabc\t.flow.google\t/\t2027\nHSID\tx\t.flow.google\t/\t2027\n"
            "SSID\ty\t.flow.google\t/\t2027",
            "missing",
        ),
    ],
)
def test_cookies_in_the_wrong_form_are_refused_before_any_call(admin_client, sim, paste, reason):
    response = admin_client.post(ADD, {"cookies": paste})
    assert response.status_code == 400
    assert reason in response.content.decode()
    assert posted_accounts(sim) == []


def test_the_form_accepts_the_devtools_table_with_a_header_row():
    table = "Name\tValue\tDomain\tPath\tExpires / Max-Age\n" + cookie_table("a.b@gmail.com")
    assert AddAccountForm({"cookies": table}).is_valid()


def test_adding_an_account_calls_the_api_once_and_keeps_no_cookie(
    admin_client, sim, caplog, settings
):
    caplog.set_level(logging.DEBUG)
    cookies = cookie_table("new.person@gmail.com", tier="ultra")
    response = admin_client.post(
        ADD, {"cookies": cookies, "email": "new.person@gmail.com"}, follow=True
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Added ne***@gmail.com (201 Created)" in page
    assert len(posted_accounts(sim)) == 1
    account = FlowAccount.objects.get(email="ne***@gmail.com")
    assert account.full_email == "new.person@gmail.com"
    # never stored, never logged, never echoed
    dump = _dumpdata()
    assert "secretvalue" not in dump and "secretvalue" not in caplog.text
    assert "secretvalue" not in page

    again = admin_client.post(ADD, {"cookies": cookies}, follow=True).content.decode()
    assert "Updated the cookies of ne***@gmail.com (200 OK)" in again


def test_a_subscription_problem_is_told_in_words(admin_client, sim):
    sim.state.faults.add("no_subscription", endpoint="accounts", method="POST", times=1)
    response = admin_client.post(ADD, {"cookies": cookie_table("x.y@gmail.com")})
    page = response.content.decode()
    assert response.status_code == 400
    assert "402" in page and "subscription is missing or expired" in page
    assert "secretvalue" not in page  # the paste is not echoed back


def test_cookies_the_api_refuses_are_explained(admin_client, sim):
    sim.state.faults.add(
        "custom",
        endpoint="accounts",
        method="POST",
        times=1,
        status=400,
        message="Failed to validate cookies: 401 Unauthorized",
    )
    page = admin_client.post(ADD, {"cookies": cookie_table("x.y@gmail.com")}).content.decode()
    assert "refused the cookies (400)" in page
    assert "Failed to validate cookies: 401 Unauthorized" in page


def test_an_api_outage_while_adding_shows_a_message_not_a_trace(admin_client, sim):
    sim.state.faults.add(
        "custom", endpoint="accounts", method="POST", times=1, status=500, message="boom"
    )
    response = admin_client.post(ADD, {"cookies": cookie_table("x.y@gmail.com")})
    page = response.content.decode()
    assert response.status_code == 502
    assert "The API answered with an error (HTTP 500)" in page
    assert "Traceback" not in page


def test_a_viewer_cannot_add_an_account(viewer_client, sim):
    response = viewer_client.post(ADD, {"cookies": cookie_table("x.y@gmail.com")})
    assert response.status_code == 403
    assert posted_accounts(sim) == []
    assert not FlowAccount.objects.exists()


def test_the_add_page_explains_the_copy_and_prefills_a_readd(admin_client):
    FlowAccount.objects.create(
        email="pr***@gmail.com",
        full_email="pro.studio@gmail.com",
        health="Failed to refresh session",
        state="session_expired",
    )
    page = admin_client.get(ADD + "?email=pr***@gmail.com").content.decode()
    assert "flow.google.com" in page and "https://accounts.google.com" in page
    assert "Re-add pr***@gmail.com" in page
    assert 'value="pro.studio@gmail.com"' in page


def _dumpdata() -> str:
    import io

    out = io.StringIO()
    call_command("dumpdata", "accounts", "stats", stdout=out)
    return out.getvalue()
