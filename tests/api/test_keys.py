"""API keys: made on the "API keys" page, shown once, stored hashed, scoped by role, revocable;
Bearer only, one error shape, a rate limit in Redis."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from flowdash.api.models import ApiKey
from tests.api.conftest import bearer

pytestmark = pytest.mark.django_db


def error_of(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}, body
    assert {"code", "message"} <= set(body["error"])
    return body["error"]


def test_a_key_made_on_the_page_is_shown_once_and_stored_hashed(client, creator_user):
    client.force_login(creator_user)
    page = client.post(
        "/api-keys/", {"name": "nightly shots", "expires": "30", "scopes": ["read", "generate"]}
    )
    assert page.status_code == 200
    key = ApiKey.objects.get(user=creator_user)
    raw = page.context["new_key"]
    assert raw.startswith(f"fdk_{key.prefix}_") and raw in page.content.decode()
    assert key.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in json.dumps(list(ApiKey.objects.values()), default=str)
    assert page["Cache-Control"] == "no-store"
    again = client.get("/api-keys/")
    assert raw not in again.content.decode() and key.shown_prefix in again.content.decode()
    assert key.expires_at - timezone.now() > timedelta(days=29)
    me = client.get("/api/v1/me", **bearer(raw))
    assert me.status_code == 200 and me.json()["username"] == "carol"
    assert me.json()["key"]["scopes"] == ["read", "generate"]
    key.refresh_from_db()
    assert key.last_used_at is not None


def test_a_key_never_exceeds_its_owners_role(client, viewer_user, make_key):
    client.force_login(viewer_user)
    page = client.post("/api-keys/", {"name": "x", "expires": "30", "scopes": ["generate"]})
    assert page.status_code == 400 and not ApiKey.objects.exists()
    # a key made while the owner was a creator stops generating when the role is lowered
    _, raw = make_key(viewer_user, ["generate"])
    refused = client.post(
        "/api/v1/jobs/image", {"prompt": "a cat"}, content_type="application/json", **bearer(raw)
    )
    assert refused.status_code == 403
    assert error_of(refused)["code"] == "role"


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "missing_key"),
        ({"HTTP_AUTHORIZATION": "Basic dXNlcjpwYXNz"}, "bad_scheme"),
        ({"HTTP_AUTHORIZATION": "Bearer fdk_00000000_nope"}, "invalid_key"),
        ({"HTTP_AUTHORIZATION": "Bearer something-else"}, "invalid_key"),
    ],
)
def test_missing_or_wrong_keys_are_401_in_one_shape(client, headers, code):
    response = client.get("/api/v1/me", **headers)
    assert response.status_code == 401
    assert error_of(response)["code"] == code
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_revoked_and_expired_keys_are_401_with_the_reason(client, creator_user, make_key):
    key, raw = make_key(creator_user, ["read"], name="old")
    client.force_login(creator_user)
    assert client.post(f"/api-keys/{key.pk}/revoke/").status_code == 302
    client.logout()
    response = client.get("/api/v1/me", **bearer(raw))
    assert response.status_code == 401 and error_of(response)["code"] == "revoked_key"

    _, raw2 = make_key(creator_user, ["read"], expires_at=timezone.now() - timedelta(seconds=1))
    response = client.get("/api/v1/me", **bearer(raw2))
    assert response.status_code == 401 and error_of(response)["code"] == "expired_key"


def test_someone_elses_key_cannot_be_revoked(client, creator_user, viewer_user, make_key):
    key, raw = make_key(creator_user)
    client.force_login(viewer_user)
    assert client.post(f"/api-keys/{key.pk}/revoke/").status_code == 404
    assert client.get("/api/v1/me", **bearer(raw)).status_code == 200


def test_a_key_in_the_query_string_is_refused(client, creator_user, make_key):
    _, raw = make_key(creator_user)
    for query in (f"?api_key={raw}", f"?whatever={raw}", "?token=abc"):
        response = client.get(f"/api/v1/me{query}", **bearer(raw))
        assert response.status_code == 401
        assert error_of(response)["code"] == "key_in_query"


def test_a_session_alone_does_not_open_the_api(client, admin_user):
    client.force_login(admin_user)
    response = client.get("/api/v1/me")
    assert response.status_code == 401


def test_keyed_posts_need_no_csrf_token(creator_user, make_key):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    _, raw = make_key(creator_user, ["generate"])
    response = strict.post(
        "/api/v1/jobs/image", {"prompt": ""}, content_type="application/json", **bearer(raw)
    )
    assert response.status_code == 400  # the form's refusal, not a CSRF 403
    assert error_of(response)["field"] == "prompt"


def test_read_scope_cannot_generate(client, creator_user, make_key):
    _, raw = make_key(creator_user, ["read"])
    response = client.post(
        "/api/v1/jobs/image", {"prompt": "a cat"}, content_type="application/json", **bearer(raw)
    )
    assert response.status_code == 403
    assert error_of(response) == {
        "code": "scope",
        "message": "This API key does not have the generate scope.",
    }


def test_the_rate_limit_answers_429_with_retry_after(
    client, creator_user, make_key, settings, redis_server
):
    from flowdash.celery import app

    old = app.conf.broker_url
    app.conf.broker_url = redis_server.url
    settings.FLOWDASH_API_RATE_LIMIT = 3
    try:
        key, raw = make_key(creator_user)
        answers = [client.get("/api/v1/me", **bearer(raw)) for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert error_of(answers[-1])["code"] == "rate_limited"
        assert 1 <= int(answers[-1]["Retry-After"]) <= 60
        # another key has its own allowance
        _, other = make_key(creator_user)
        assert client.get("/api/v1/me", **bearer(other)).status_code == 200
    finally:
        app.conf.broker_url = old
