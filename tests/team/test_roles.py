from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from flowdash.accounts.models import ApiToken
from flowdash.team.roles import role_of

User = get_user_model()


def test_a_viewer_posting_to_admin_endpoints_gets_403_and_nothing_changes(
    viewer_client, admin_user
):
    posts = [
        (reverse("team:users"), {"username": "mallory", "role": "admin", "password": ""}),
        (reverse("team:user-update", args=[admin_user.pk]), {"role": "viewer"}),
        (reverse("team:user-password", args=[admin_user.pk]), {}),
        (reverse("accounts:settings"), {"token": "user:1-abcdefghijklmnop"}),
        (reverse("accounts:token-delete"), {}),
        (reverse("accounts:test-connection"), {}),
    ]
    password_before = User.objects.get(pk=admin_user.pk).password
    for url, data in posts:
        response = viewer_client.post(url, data)
        assert response.status_code == 403, url
    assert not User.objects.filter(username="mallory").exists()
    assert role_of(User.objects.get(pk=admin_user.pk)) == "admin"
    assert User.objects.get(pk=admin_user.pk).password == password_before
    assert not ApiToken.objects.exists()


def test_a_creator_cannot_open_the_admin_pages(client, creator_user):
    client.force_login(creator_user)
    assert client.get(reverse("team:users")).status_code == 403
    assert client.get(reverse("accounts:settings")).status_code == 403


def test_the_menu_shows_admin_links_only_to_admins(client, creator_user, admin_user):
    client.force_login(creator_user)
    page = client.get(reverse("dashboard:home")).content.decode()
    assert reverse("accounts:settings") not in page
    client.force_login(admin_user)
    page = client.get(reverse("dashboard:home")).content.decode()
    assert reverse("accounts:settings") in page and reverse("team:users") in page


def test_an_admin_creates_a_user_with_a_role_and_a_generated_password(admin_client):
    response = admin_client.post(
        reverse("team:users"),
        {"username": "dora", "email": "", "role": "viewer", "password": ""},
        follow=True,
    )
    page = response.content.decode()
    user = User.objects.get(username="dora")
    assert role_of(user) == "viewer"
    assert "not shown again" in page
    # The password shown once really works.
    shown = page.split("with the password ")[1].split(" ")[0]
    assert user.check_password(shown)


def test_a_duplicate_user_name_is_refused_with_the_field_message(admin_client, make_user):
    make_user("dora", "viewer")
    response = admin_client.post(
        reverse("team:users"), {"username": "Dora", "role": "creator", "password": ""}
    )
    assert response.status_code == 400
    assert "There is already a user called Dora" in response.content.decode()
    assert User.objects.filter(username__iexact="dora").count() == 1


def test_an_admin_changes_a_role_and_switches_a_user_off(admin_client, make_user):
    bob = make_user("bob", "viewer")
    admin_client.post(reverse("team:user-update", args=[bob.pk]), {"role": "creator"})
    bob = User.objects.get(pk=bob.pk)
    assert list(bob.groups.values_list("name", flat=True)) == ["creator"]
    assert not bob.is_active and role_of(bob) is None  # switched off: no role at all


def test_an_admin_cannot_demote_themselves(admin_client, admin_user):
    admin_client.post(
        reverse("team:user-update", args=[admin_user.pk]), {"role": "viewer", "is_active": "on"}
    )
    assert role_of(User.objects.get(pk=admin_user.pk)) == "admin"


@pytest.mark.django_db
def test_the_first_admin_is_created_once(monkeypatch):
    from flowdash.team.bootstrap import ensure_first_admin

    password = ensure_first_admin(None)
    assert password and User.objects.get(username="admin").check_password(password)
    assert role_of(User.objects.get(username="admin")) == "admin"
    assert ensure_first_admin(None) is None  # an admin exists: nothing happens
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_the_first_admin_takes_the_configured_password():
    from flowdash.team.bootstrap import ensure_first_admin

    assert ensure_first_admin("configured-secret-9") is None  # nothing to print
    assert User.objects.get(username="admin").check_password("configured-secret-9")
