"""The sign-in throttle (django-axes) on every login path, and the address it counts."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

PASSWORD = "a-long-password-1"
ADMIN_LOGIN = "/django-admin/login/"


@pytest.fixture
def staff(make_user):
    """A superuser, so that the Django admin would let the right password in."""
    user = make_user("root", "admin")
    user.is_staff = user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    return user


def _admin_login(client, password: str, **extra):
    return client.post(
        ADMIN_LOGIN,
        {"username": "root", "password": password, "next": "/django-admin/"},
        **extra,
    )


def _login(client, username: str, password: str, **extra):
    return client.post(reverse("team:login"), {"username": username, "password": password}, **extra)


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_the_right_password_signs_in_to_the_django_admin(client, staff):
    response = _admin_login(client, PASSWORD)
    assert response.status_code == 302
    assert _signed_in(client)


def test_django_admin_login_failures_are_counted_and_lock_the_account(client, staff):
    statuses = [_admin_login(client, f"wrong-{i}").status_code for i in range(8)]
    # Four ordinary failures (the admin page again); the fifth locks; from then on: refused.
    assert statuses == [200] * 4 + [429] * 4
    attempt = AccessAttempt.objects.get(username="root")
    assert attempt.failures_since_start == 5
    response = _admin_login(client, PASSWORD)
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    assert not _signed_in(client)
    # ...and our own sign-in page refuses that name too, from the same or another address.
    response = _login(client, "root", PASSWORD, REMOTE_ADDR="10.9.9.9")
    assert response.status_code == 429
    assert not _signed_in(client)


def test_failures_on_our_page_also_lock_the_django_admin(client, staff):
    statuses = [_login(client, "root", f"nope-{i}").status_code for i in range(5)]
    assert statuses == [400] * 4 + [429]
    assert _admin_login(client, PASSWORD).status_code == 429
    assert not _signed_in(client)


def test_a_success_before_the_limit_clears_the_count(client, staff):
    for i in range(4):
        _login(client, "root", f"nope-{i}")
    assert _login(client, "root", PASSWORD).status_code == 302
    assert not AccessAttempt.objects.filter(username="root").exists()


# --- behind a proxy: the counted address ---------------------------------------------------------


@pytest.fixture
def behind_one_proxy(settings):
    settings.FLOWDASH_BEHIND_PROXY = True
    settings.FLOWDASH_PROXY_COUNT = 1
    return settings


PROXY = "10.0.0.1"  # the TCP peer: our reverse proxy


def _via_proxy(client, username, password, *, client_wrote: str | None, real: str):
    """A sign-in through one proxy that appends the address it saw (``real``)."""
    forwarded = f"{client_wrote}, {real}" if client_wrote else real
    return _login(client, username, password, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)


def test_the_counted_address_is_the_one_the_proxy_appended(client, behind_one_proxy, make_user):
    make_user("bob", "creator")
    _via_proxy(client, "nobody", "nope", client_wrote="203.0.113.7", real="198.51.100.20")
    attempt = AccessAttempt.objects.get()
    assert attempt.ip_address == "198.51.100.20"


def test_a_client_cannot_lock_out_an_address_of_its_choosing(client, behind_one_proxy, make_user):
    make_user("bob", "creator")
    victim = "198.51.100.50"
    # The attacker (really 203.0.113.9) writes the victim's address as the first entry,
    # with a different user name each time so only the address could add up.
    for i in range(8):
        _via_proxy(client, f"guess-{i}", "nope", client_wrote=victim, real="203.0.113.9")
    assert not AccessAttempt.objects.filter(ip_address=victim).exists()
    # The victim, coming from that address, signs in at once.
    response = _via_proxy(client, "bob", PASSWORD, client_wrote=None, real=victim)
    assert response.status_code == 302
    assert _signed_in(client)


def test_a_client_cannot_dodge_the_limit_by_changing_the_first_entry(
    client, behind_one_proxy, make_user
):
    make_user("bob", "creator")
    attacker = "203.0.113.9"
    # Different user names and a new made-up first entry every time: still one address.
    statuses = [
        _via_proxy(
            client, f"guess-{i}", "nope", client_wrote=f"192.0.2.{i}", real=attacker
        ).status_code
        for i in range(6)
    ]
    assert statuses == [400] * 4 + [429] * 2
    # Even bob's right password is refused from that address while it is locked...
    response = _via_proxy(client, "bob", PASSWORD, client_wrote="192.0.2.200", real=attacker)
    assert response.status_code == 429
    assert not _signed_in(client)
    # ...but bob signs in from his own address.
    response = _via_proxy(client, "bob", PASSWORD, client_wrote=None, real="198.51.100.77")
    assert response.status_code == 302


def test_two_proxies_count_the_entry_the_outer_proxy_appended(client, settings, db):
    settings.FLOWDASH_BEHIND_PROXY = True
    settings.FLOWDASH_PROXY_COUNT = 2
    # client-written, then what the outer proxy saw (the client), then the outer proxy itself.
    _login(
        client,
        "nobody",
        "nope",
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="192.0.2.1, 198.51.100.3, 10.0.0.2",
    )
    assert AccessAttempt.objects.get().ip_address == "198.51.100.3"


def test_without_the_proxy_setting_the_header_is_ignored(client, settings, make_user):
    settings.FLOWDASH_BEHIND_PROXY = False
    _login(
        client,
        "nobody",
        "nope",
        REMOTE_ADDR="198.51.100.8",
        HTTP_X_FORWARDED_FOR="192.0.2.1",
    )
    assert AccessAttempt.objects.get().ip_address == "198.51.100.8"


def test_a_garbled_forwarded_header_falls_back_to_the_peer(client, behind_one_proxy, db):
    _login(client, "nobody", "nope", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="not-an-ip")
    assert AccessAttempt.objects.get().ip_address == PROXY
