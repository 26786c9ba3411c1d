"""What every signed-in page reads: the person with their role (one query), the menu for that
role, and the banner's API connection (the saved token's masked form, cached)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from flowdash.accounts.models import ApiToken
from flowdash.team.roles import set_role
from tests.conftest import sent_sql

PAGE = reverse("gallery:collections")


def queries(client, url: str = PAGE) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return sent_sql(ctx.captured_queries)


@pytest.mark.django_db
def test_the_session_the_person_and_their_role_are_one_query(client, creator_user):
    client.force_login(creator_user)
    client.get(PAGE)  # the saved token's masked form is read once, then cached
    sql = queries(client)
    people = [s for s in sql if "auth_user_groups" in s]
    assert len(people) == 1 and "team_session" in people[0] and "auth_group" in people[0]
    assert len(sql) == 2  # session with person and role, the page's collections
    assert client.get(PAGE).wsgi_request.user == creator_user


@pytest.mark.django_db
def test_a_session_is_saved_with_its_person(client, creator_user, make_user):
    from flowdash.team.models import Session

    client.get(reverse("team:login"))
    client.force_login(creator_user)
    assert list(Session.objects.values_list("user_id", flat=True)) == [creator_user.pk]
    # signing in as someone else in the same browser: a new session, theirs
    other = make_user("otto", "viewer")
    client.force_login(other)
    assert client.get(PAGE).wsgi_request.user == other
    assert Session.objects.get(session_key=client.cookies["sessionid"].value).user_id == other.pk


@pytest.mark.django_db
def test_removing_a_person_ends_their_sessions(client, make_user):
    from flowdash.team.models import Session

    leaving = make_user("lea", "creator")
    client.force_login(leaving)
    assert client.get(PAGE).status_code == 200
    leaving.delete()
    assert not Session.objects.exists()
    response = client.get(PAGE)
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.django_db
def test_a_changed_password_still_ends_the_other_sessions(client, creator_user):
    """The person comes with the session's query, and Django still checks the session's
    password hash against them: a password changed elsewhere signs this browser out."""
    client.force_login(creator_user)
    assert client.get(PAGE).status_code == 200
    creator_user.set_password("an-entirely-new-phrase")
    creator_user.save()
    response = client.get(PAGE)
    assert response.status_code == 302 and "/login/" in response["Location"]


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
def test_your_password_page_is_not_marked_as_the_users_page(client, admin_user):
    client.force_login(admin_user)
    users = f'href="{reverse("team:users")}" aria-current="page"'
    assert users in client.get(reverse("team:users")).text
    assert users not in client.get(reverse("team:password")).text


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

    from django.utils import timezone

    from flowdash.team.models import Session

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


@pytest.mark.django_db(transaction=True)
def test_people_signed_in_before_the_upgrade_stay_signed_in(client, make_user):
    """Migration team 0003 carries the open sessions over, each with its person."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore as DjangoStore
    from django.db.migrations.executor import MigrationExecutor

    from flowdash.team.models import Session

    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate([("team", "0002_drop_loginfailure")])
    try:
        ines = make_user("ines", "creator")
        old = DjangoStore()
        old[SESSION_KEY] = str(ines.pk)
        old[BACKEND_SESSION_KEY] = "flowdash.team.backends.RoleBackend"
        old[HASH_SESSION_KEY] = ines.get_session_auth_hash()
        old.create()
        anonymous = DjangoStore()
        anonymous["seen"] = True
        anonymous.create()
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(latest)
    assert dict(Session.objects.values_list("session_key", "user_id")) == {
        old.session_key: ines.pk,
        anonymous.session_key: None,
    }
    client.cookies["sessionid"] = old.session_key
    response = client.get(PAGE)
    assert response.status_code == 200 and response.wsgi_request.user == ines


@pytest.mark.django_db
def test_the_hourly_housekeeping_clears_expired_sessions(client, creator_user, make_user):
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    from flowdash.team.models import Session
    from flowdash.team.tasks import clear_expired_sessions_task

    client.force_login(creator_user)
    live = client.cookies["sessionid"].value
    gone = Client()
    gone.force_login(make_user("gus", "viewer"))
    Session.objects.filter(user__username="gus").update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    task = settings.CELERY_BEAT_SCHEDULE["clear-expired-sessions"]["task"]
    assert task == clear_expired_sessions_task.name
    clear_expired_sessions_task()
    assert list(Session.objects.values_list("session_key", flat=True)) == [live]
    assert client.get(PAGE).status_code == 200
