from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

PAGES_BEHIND_LOGIN = [
    "dashboard:home",
    "jobs:studio",
    "jobs:list",
    "gallery:index",
    "accounts:list",
    "accounts:settings",
    "stats:load-balancing",
    "stats:captcha",
    "team:users",
    "team:password",
]


@pytest.mark.django_db
@pytest.mark.parametrize("name", PAGES_BEHIND_LOGIN)
def test_every_page_sends_a_stranger_to_sign_in(client, name):
    url = reverse(name)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('team:login')}?next={url}"


@pytest.mark.django_db
def test_health_check_answers_without_login(client):
    assert client.get("/healthz/").json() == {"status": "ok"}


def test_a_wrong_password_gets_a_clear_message(client, admin_user):
    response = client.post(reverse("team:login"), {"username": "alice", "password": "wrong"})
    assert response.status_code == 400
    assert "do not match" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_signing_in_lands_on_the_page_asked_for(client, admin_user):
    response = client.post(
        reverse("team:login"),
        {"username": "alice", "password": "a-long-password-1", "next": "/gallery/"},
    )
    assert response.status_code == 302 and response["Location"] == "/gallery/"


def test_an_outside_next_address_is_ignored(client, admin_user):
    response = client.post(
        reverse("team:login"),
        {"username": "alice", "password": "a-long-password-1", "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("dashboard:home")


def test_repeated_failures_are_slowed_down_even_with_the_right_password(client, admin_user):
    for _ in range(5):
        client.post(reverse("team:login"), {"username": "alice", "password": "nope"})
    response = client.post(
        reverse("team:login"), {"username": "alice", "password": "a-long-password-1"}
    )
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_failures_from_one_address_slow_down_guesses_at_other_names(client, make_user):
    make_user("bob", "creator")
    for name in ["x1", "x2", "x3", "x4", "x5"]:
        client.post(reverse("team:login"), {"username": name, "password": "nope"})
    response = client.post(
        reverse("team:login"), {"username": "bob", "password": "a-long-password-1"}
    )
    assert response.status_code == 429


def test_a_successful_sign_in_clears_the_failures_of_that_name(client, admin_user):
    for _ in range(3):
        client.post(reverse("team:login"), {"username": "alice", "password": "nope"})
    client.post(reverse("team:login"), {"username": "alice", "password": "a-long-password-1"})
    assert not AccessAttempt.objects.filter(username="alice").exists()


def test_sign_out_is_a_post(admin_client):
    assert admin_client.get(reverse("team:logout")).status_code == 405
    response = admin_client.post(reverse("team:logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in admin_client.session
