"""Where a person is signed in: the password page lists their other browsers and signs them out;
an admin signs a person out of every browser from the Users page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from flowdash.team.models import Session

PASSWORD = reverse("team:password")
USERS = reverse("team:users")
PAGE = reverse("gallery:collections")


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def signed_in(client: Client) -> bool:
    response = client.get(PAGE)
    assert response.status_code in (200, 302)
    return response.status_code == 200


@pytest.mark.django_db
def test_signing_out_the_other_browsers_keeps_this_one(make_user):
    rosa, otto = make_user("rosa", "creator"), make_user("otto", "creator")
    laptop, phone, tablet, others = browser(rosa), browser(rosa), browser(rosa), browser(otto)
    # an expired session of hers is not counted (the hourly housekeeping removes it)
    old = browser(rosa)
    Session.objects.filter(session_key=old.cookies["sessionid"].value).update(
        expire_date=timezone.now() - timedelta(minutes=1)
    )

    page = laptop.get(PASSWORD).text
    assert "This browser and 2 others are signed in as you." in page
    assert "Sign out the other browsers</button>" in page

    response = laptop.post(reverse("team:sign-out-others"), follow=True)
    assert "Signed out of 2 other browsers." in response.text
    assert "Only this browser is signed in as you." in response.text
    assert signed_in(laptop) and signed_in(others)
    assert not signed_in(phone) and not signed_in(tablet)
    live = Session.objects.filter(user=rosa, expire_date__gt=timezone.now())
    assert list(live.values_list("session_key", flat=True)) == [laptop.cookies["sessionid"].value]

    again = laptop.post(reverse("team:sign-out-others"), follow=True)
    assert "No other browser was signed in." in again.text


@pytest.mark.django_db
def test_an_admin_signs_a_person_out_everywhere(make_user, admin_user):
    admin, lena = browser(admin_user), make_user("lena", "viewer")
    first, second = browser(lena), browser(lena)
    page = admin.get(USERS).text
    assert "2 browsers</td>" in page
    # their own browsers are ended from the password page, which the count links to
    assert f'<a href="{PASSWORD}#browsers-title">1 browser</a>' in page
    response = admin.post(reverse("team:user-sign-out", args=[lena.pk]), follow=True)
    assert "lena was signed out of 2 browsers." in response.text
    assert not signed_in(first) and not signed_in(second)
    assert signed_in(admin)
    lena.refresh_from_db()
    assert lena.check_password("a-long-password-1")  # the password stays as it was
    assert "nowhere" in admin.get(USERS).text
    again = admin.post(reverse("team:user-sign-out", args=[lena.pk]), follow=True)
    assert "lena was not signed in anywhere." in again.text


@pytest.mark.django_db
def test_only_an_admin_signs_others_out_and_not_themself(make_user, admin_user):
    admin, carl = browser(admin_user), make_user("carl", "creator")
    carls = browser(carl)
    assert carls.post(reverse("team:user-sign-out", args=[admin_user.pk])).status_code == 403
    assert signed_in(admin)
    response = admin.post(reverse("team:user-sign-out", args=[admin_user.pk]), follow=True)
    assert "this browser stays signed in" in response.text
    assert signed_in(admin)
    assert admin.post(reverse("team:user-sign-out", args=[999999])).status_code == 404
    assert admin.get(reverse("team:user-sign-out", args=[carl.pk])).status_code == 405
    assert signed_in(carls)


@pytest.mark.django_db
def test_a_new_password_or_switching_off_ends_the_sessions_it_makes_useless(make_user, admin_user):
    """A session that no longer signs in (another password, a person switched off) is removed
    at once, so the counts above are of browsers really signed in."""
    nina = make_user("nina", "creator")
    laptop, phone = browser(nina), browser(nina)
    response = laptop.post(
        PASSWORD,
        {
            "old_password": "a-long-password-1",
            "new_password1": "another-long-phrase-2",
            "new_password2": "another-long-phrase-2",
        },
        follow=True,
    )
    assert "Your password was changed. 1 other browser signed out." in response.text
    assert signed_in(laptop) and not signed_in(phone)
    assert Session.objects.filter(user=nina).count() == 1

    admin = browser(admin_user)
    admin.post(reverse("team:user-password", args=[nina.pk]))
    assert not Session.objects.filter(user=nina).exists() and not signed_in(laptop)

    ivan = make_user("ivan", "viewer")
    desk = browser(ivan)
    admin.post(reverse("team:user-update", args=[ivan.pk]), {"role": "viewer"})  # not active
    assert not Session.objects.filter(user=ivan).exists() and not signed_in(desk)
    admin.post(reverse("team:user-update", args=[ivan.pk]), {"role": "viewer", "is_active": "on"})
    assert browser(ivan).get(PAGE).status_code == 200  # back on, they sign in again
