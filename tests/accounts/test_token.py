from __future__ import annotations

import logging

from django.db import connection
from django.test import override_settings
from django.urls import reverse

from flowdash.accounts.connection import current_connection
from flowdash.accounts.models import ApiToken

TOKEN = "user:12345-SuperSecretTokenValue987"


def test_the_token_is_stored_encrypted_and_shown_only_masked(admin_client, caplog):
    caplog.set_level(logging.DEBUG)
    response = admin_client.post(reverse("accounts:settings"), {"token": TOKEN}, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert TOKEN not in page
    row = ApiToken.objects.get()
    assert row.masked in page
    with connection.cursor() as cursor:
        cursor.execute("SELECT encrypted_token, masked FROM accounts_apitoken")
        raw = " ".join(cursor.fetchone())
    assert "SuperSecret" not in raw
    assert row.reveal() == TOKEN
    assert "SuperSecret" not in caplog.text
    assert TOKEN not in repr(row) and TOKEN not in str(row)


def test_a_token_unreadable_after_a_key_change_is_reported(admin_client, admin_user):
    ApiToken.store(TOKEN)
    with override_settings(SECRET_KEY="another-secret-key-" * 4):
        assert ApiToken.objects.get().reveal() is None
        admin_client.force_login(admin_user)  # the old session was signed with the old key
        page = admin_client.get(reverse("accounts:settings")).content.decode()
    assert "cannot be decrypted" in page


def test_a_malformed_token_is_refused_with_the_field_message(admin_client):
    response = admin_client.post(reverse("accounts:settings"), {"token": "hello world"})
    assert response.status_code == 400
    assert "spaces or line breaks" in response.content.decode()
    assert not ApiToken.objects.exists()


@override_settings(USEAPI_TOKEN=None, FLOWDASH_SANDBOX=None)
def test_without_a_token_flowdash_is_in_sandbox_mode_with_a_banner(admin_client, settings):
    conn = current_connection()
    assert conn.sandbox and conn.base_url == settings.SANDBOX_BASE_URL
    page = admin_client.get(reverse("dashboard:home")).content.decode()
    assert 'id="sandbox-banner"' in page


@override_settings(
    USEAPI_TOKEN=None,
    FLOWDASH_SANDBOX=None,
    USEAPI_BASE_URL="https://api.useapi.net/v1/google-flow",
)
def test_a_stored_token_leaves_sandbox_mode(admin_client):
    ApiToken.store(TOKEN)
    conn = current_connection()
    assert not conn.sandbox and conn.token == TOKEN and conn.token_source == "settings page"
    page = admin_client.get(reverse("dashboard:home")).content.decode()
    assert 'id="sandbox-banner"' not in page


@override_settings(
    USEAPI_TOKEN="user:1-fromtheenvironment",
    FLOWDASH_SANDBOX=None,
    USEAPI_BASE_URL="http://127.0.0.1:9/v1/google-flow",
)
def test_a_real_token_through_a_local_proxy_is_not_called_a_sandbox(admin_client):
    # A loopback base URL with a real token is a local proxy in front of the paid service.
    assert not current_connection().is_simulator
    page = admin_client.get(reverse("dashboard:home")).content.decode()
    assert 'id="sandbox-banner"' not in page
    assert "costs credits" not in page
    assert "badge-sandbox" not in page


@override_settings(FLOWDASH_SANDBOX=None, USEAPI_BASE_URL="http://127.0.0.1:9/v1/google-flow")
def test_a_stored_real_token_with_a_loopback_url_is_not_called_a_sandbox(admin_client, settings):
    settings.USEAPI_TOKEN = None
    ApiToken.store(TOKEN)
    page = admin_client.get(reverse("dashboard:home")).content.decode()
    assert 'id="sandbox-banner"' not in page


@override_settings(FLOWDASH_SANDBOX=None, USEAPI_BASE_URL="http://127.0.0.1:9/v1/google-flow")
def test_the_simulators_own_token_on_loopback_shows_the_banner(admin_client, settings):
    settings.USEAPI_TOKEN = settings.FLOWDASH_SIM_TOKEN
    assert current_connection().is_simulator
    page = admin_client.get(reverse("dashboard:home")).content.decode()
    assert 'id="sandbox-banner"' in page and "Nothing here costs credits" in page


@override_settings(FLOWDASH_SANDBOX=None, USEAPI_BASE_URL="https://api.example.net/v1/google-flow")
def test_the_simulators_token_sent_elsewhere_is_not_called_a_sandbox(admin_client, settings):
    settings.USEAPI_TOKEN = settings.FLOWDASH_SIM_TOKEN
    assert 'id="sandbox-banner"' not in admin_client.get(reverse("dashboard:home")).content.decode()


def test_the_connection_check_region_is_served_alone_to_htmx(admin_client):
    response = admin_client.get(
        reverse("accounts:settings"),
        headers={"HX-Request": "true", "HX-Target": "connection-check"},
    )
    page = response.content.decode()
    assert 'id="connection-check"' in page
    assert "<html" not in page and "sidebar" not in page
