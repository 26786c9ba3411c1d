"""What every signed-in page reads: the person with their role (one query), the menu for that
role, and the banner's API connection (the saved token's masked form, cached)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from flowdash.accounts.models import ApiToken
from flowdash.team.roles import set_role

PAGE = reverse("gallery:collections")


def queries(client, url: str = PAGE) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return [q["sql"] for q in ctx.captured_queries]


@pytest.mark.django_db
def test_the_person_and_their_role_are_one_query(client, creator_user):
    client.force_login(creator_user)
    client.get(PAGE)  # the saved token's masked form is read once, then cached
    sql = queries(client)
    people = [s for s in sql if 'FROM "auth_user"' in s or "auth_user_groups" in s]
    assert len(people) == 1 and "auth_group" in people[0]
    assert len(sql) == 3  # session, person with role, the page's collections


@pytest.mark.django_db
def test_a_role_change_shows_on_the_next_page(client, make_user):
    user = make_user("rita", "viewer")
    client.force_login(user)
    page = client.get(PAGE).text
    assert "Studio</a>" not in page and "Settings</a>" not in page
    set_role(user, "admin")
    page = client.get(PAGE).text
    assert "Studio</a>" in page and "Settings</a>" in page
    set_role(user, "creator")
    page = client.get(PAGE).text
    assert "Studio</a>" in page and "Settings</a>" not in page
    assert client.post(reverse("accounts:settings"), {}).status_code == 403


@pytest.mark.django_db
def test_a_person_without_a_role_or_made_inactive(client, make_user):
    user = make_user("nora", None)
    client.force_login(user)
    assert '<span class="badge">no role</span>' in client.get(PAGE).text
    user.is_active = False
    user.save()
    response = client.get(PAGE)
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.django_db
def test_the_menu_marks_the_open_page(client, creator_user):
    client.force_login(creator_user)
    gallery = client.get(PAGE).text
    assert 'href="/gallery/" data-search-url="/gallery/#search" aria-current="page"' in gallery
    jobs = client.get(reverse("jobs:list")).text
    assert 'href="/gallery/" data-search-url="/gallery/#search" aria-current' not in jobs
    assert f'href="{reverse("jobs:list")}" aria-current="page"' in jobs


@pytest.mark.django_db
def test_saving_or_removing_the_token_shows_on_the_next_page(settings, client, admin_user):
    settings.FLOWDASH_SANDBOX = None  # sandbox only while no token is configured
    settings.USEAPI_TOKEN = ""
    client.force_login(admin_user)
    assert "sandbox-banner" in client.get(PAGE).text
    ApiToken.store("user:1234-abcdefghijklmnopqrstuvwxyz", admin_user)
    assert "sandbox-banner" not in client.get(PAGE).text
    # Read once, then from the cache: no query for the token on the next pages.
    assert not [s for s in queries(client) if "accounts_apitoken" in s]
    ApiToken.objects.filter(pk=1).delete()
    assert "sandbox-banner" in client.get(PAGE).text


@pytest.mark.django_db
def test_a_session_read_by_plain_sql_still_ends_on_sign_out_and_on_expiry(client, creator_user):
    from datetime import timedelta

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    client.force_login(creator_user)
    old = client.cookies["sessionid"].value
    assert client.get(PAGE).status_code == 200
    client.post(reverse("team:logout"))
    client.cookies["sessionid"] = old  # the signed-out cookie, sent again
    assert client.get(PAGE).status_code == 302

    client.force_login(creator_user)
    assert client.get(PAGE).status_code == 200
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(PAGE)
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.django_db
def test_the_person_a_page_loads_is_the_one_stored(client, creator_user):
    """Read with plain SQL and the ORM's converters: every field as the ORM reads it (dates
    with their time zone, the password hash the session is checked against)."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    client.force_login(creator_user)
    loaded = client.get(PAGE).wsgi_request.user
    stored = get_user_model().objects.get(pk=creator_user.pk)
    for field in stored._meta.concrete_fields:
        assert getattr(loaded, field.attname) == getattr(stored, field.attname), field.name
    assert timezone.is_aware(loaded.last_login) and timezone.is_aware(loaded.date_joined)
    assert loaded.get_session_auth_hash() == stored.get_session_auth_hash()
