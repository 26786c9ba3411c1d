"""The account sync against the simulator: what the accounts page and the alerts will show."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from flowdash.accounts.models import AccountSync, Alert, FlowAccount
from flowdash.accounts.services import sync_accounts

pytestmark = pytest.mark.django_db


def test_sync_lists_every_account_and_asks_for_the_full_address_of_masked_ones(api):
    sync = sync_accounts(api)
    assert sync.status == "ok" and sync.account_count == 3
    accounts = {a.email: a for a in FlowAccount.objects.all()}
    assert set(accounts) == {"ul***@gmail.com", "pr***@gmail.com", "fr***@gmail.com"}
    ultra = accounts["ul***@gmail.com"]
    assert ultra.health == "OK"
    assert ultra.session_expires_at and ultra.next_refresh_at and ultra.api_created_at
    assert ultra.credits is None  # details need the full address
    assert ultra.state == FlowAccount.State.ATTENTION
    assert "full one" in ultra.state_reason


def test_sync_reads_credits_tier_and_models_with_the_full_address(api, known_addresses):
    sync_accounts(api)
    ultra = FlowAccount.objects.get(email="ul***@gmail.com")
    assert ultra.state == FlowAccount.State.OK and ultra.state_reason == ""
    assert ultra.credits == 25000 and ultra.paygate_tier == "PAYGATE_TIER_TWO"
    fast = next(m for m in ultra.video_models if m["key"] == "veo_3_1_t2v_fast_ultra")
    assert fast["credit_cost"] is None  # unlimited on Ultra
    assert fast["generation_seconds"] == 100
    quality = next(m for m in ultra.video_models if m["key"] == "veo_3_1_t2v")
    assert quality["credit_cost"] == 100
    pro = FlowAccount.objects.get(email="pr***@gmail.com")
    assert pro.credits == 1000 and pro.paygate_tier == "PAYGATE_TIER_ONE"
    free = FlowAccount.objects.get(email="fr***@gmail.com")
    assert free.credits == 0 and free.video_models == []
    assert free.state == FlowAccount.State.OK  # no model costs credits: 0 is not "low"
    assert not Alert.objects.exists()


def test_a_session_expired_account_gets_its_badge_and_one_alert_until_it_clears(
    sim, api, known_addresses
):
    sim.state.set_account_state("pro.studio@gmail.com", "session_expired")
    sync_accounts(api)
    sync_accounts(api)  # the same ongoing condition: still one alert
    pro = FlowAccount.objects.get(email="pr***@gmail.com")
    assert pro.state == FlowAccount.State.SESSION_EXPIRED
    assert "refresh session" in pro.health
    alerts = Alert.objects.open().filter(subject="pr***@gmail.com")
    assert [a.kind for a in alerts] == [Alert.Kind.SESSION_EXPIRED]

    sim.state.set_account_state("pro.studio@gmail.com", "ok")
    sync_accounts(api)
    pro.refresh_from_db()
    assert pro.state == FlowAccount.State.OK
    assert not Alert.objects.open().exists()
    assert Alert.objects.get().resolved_at is not None


def test_an_unhealthy_account_shows_the_api_error_text(sim, api, known_addresses):
    sim.state.set_account_state(
        "ultra.creator@gmail.com", "unhealthy", health="Error: Google said no"
    )
    sync_accounts(api)
    ultra = FlowAccount.objects.get(email="ul***@gmail.com")
    assert ultra.state == FlowAccount.State.ERROR
    assert ultra.health == "Error: Google said no"
    assert ultra.credits == 25000 or ultra.credits is None  # last known figure kept, if any
    alert = Alert.objects.open().get(subject="ul***@gmail.com")
    assert alert.kind == Alert.Kind.UNHEALTHY and "Google said no" in alert.message


def test_credits_under_the_threshold_need_attention_and_alert(sim, api, known_addresses, settings):
    settings.FLOWDASH_CREDIT_ALERT_THRESHOLD = 500
    sim.state.set_account_state("pro.studio@gmail.com", credits=120)
    sync_accounts(api)
    pro = FlowAccount.objects.get(email="pr***@gmail.com")
    assert pro.state == FlowAccount.State.ATTENTION and "120 credits" in pro.state_reason
    assert Alert.objects.open().get(subject="pr***@gmail.com").kind == Alert.Kind.LOW_CREDITS
    sim.state.set_account_state("pro.studio@gmail.com", credits=900)
    sync_accounts(api)
    assert not Alert.objects.open().exists()


def test_an_account_gone_from_the_api_is_marked_removed_not_deleted(sim, api, known_addresses):
    sync_accounts(api)
    sim.state.remove_account("free.tester@gmail.com")
    sync_accounts(api)
    free = FlowAccount.objects.get(email="fr***@gmail.com")
    assert free.removed_at is not None
    assert set(FlowAccount.objects.present().values_list("email", flat=True)) == {
        "ul***@gmail.com",
        "pr***@gmail.com",
    }


def test_a_refused_token_raises_one_alert_that_resolves_when_the_token_works(
    bad_token_api, api, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    first = sync_accounts(bad_token_api)
    sync_accounts(bad_token_api)
    assert first.status == "failed" and first.http_status == 401
    assert "401" in first.message
    alert = Alert.objects.open().get()
    assert alert.kind == Alert.Kind.TOKEN_REJECTED
    sync_accounts(api)
    assert not Alert.objects.open().exists()
    assert mail.outbox == []  # emails go out from a worker task, after the commit


def test_an_unreachable_api_keeps_the_last_known_accounts(api, unreachable_api, known_addresses):
    sync_accounts(api)
    failed = sync_accounts(unreachable_api)
    assert failed.status == "failed" and "unreachable" in failed.message
    assert FlowAccount.objects.present().count() == 3
    assert FlowAccount.objects.get(email="ul***@gmail.com").credits == 25000


def test_the_state_badge_rules():
    now = timezone.now()
    account = FlowAccount(
        email="a@gmail.com",
        health="OK",
        credits=5000,
        video_models=[{"key": "k", "credit_cost": 10}],
    )
    assert account.compute_state(now)[0] == "ok"
    account.health = "Failed to refresh session: 500 Internal Server Error"
    assert account.compute_state(now)[0] == "session_expired"
    account.health = "Error: quota checker down"
    assert account.compute_state(now) == ("error", "Error: quota checker down")
    account.health, account.credits = "OK", 20
    assert account.compute_state(now)[0] == "attention"
    account.credits, account.session_expires_at = 5000, now - timedelta(minutes=1)
    assert account.compute_state(now)[0] == "attention"
    account.session_expires_at, account.last_error = now + timedelta(hours=1), "HTTP 503"
    assert account.compute_state(now)[0] == "attention"
    masked = FlowAccount(email="jo***@gmail.com", health="OK")
    assert masked.compute_state(now)[0] == "attention"
    assert FlowAccount.mask_matches("jo***@gmail.com", "john@gmail.com")
    assert not FlowAccount.mask_matches("jo***@gmail.com", "jane@gmail.com")
    assert not FlowAccount.mask_matches("jo***@gmail.com", "john@yahoo.com")


def test_accounts_sort_by_state_with_the_worst_first(db):
    for email, health in [
        ("a@x.com", "OK"),
        ("b@x.com", "Failed to refresh session"),
        ("c@x.com", "Error: boom"),
    ]:
        account = FlowAccount(email=email, health=health)
        account.apply_state()
        account.save()
    assert list(FlowAccount.objects.sorted_by("state").values_list("email", flat=True)) == [
        "b@x.com",
        "c@x.com",
        "a@x.com",
    ]
    assert list(FlowAccount.objects.sorted_by("-email").values_list("email", flat=True)) == [
        "c@x.com",
        "b@x.com",
        "a@x.com",
    ]


def test_alert_emails_go_to_admins_when_email_is_configured(make_user, settings):
    from flowdash.accounts.alerts import raise_alert, send_alert_email

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    make_user("alice", "admin")
    make_user("victor", "viewer")
    alert = raise_alert(Alert.Kind.LOW_CREDITS, "x@gmail.com", "x has 3 credits left")
    assert raise_alert(Alert.Kind.LOW_CREDITS, "x@gmail.com", "again") is None
    assert send_alert_email(alert) == 1
    assert mail.outbox[0].to == ["alice@example.com"]
    assert "x has 3 credits left" in mail.outbox[0].body


def test_the_worker_loop_emails_each_new_alert_once(make_user, settings):
    """Raising an alert only writes its row; the worker's loop over unsent rows emails it, once."""
    from flowdash.accounts.alerts import raise_alert, send_pending_alert_emails

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    make_user("alice", "admin")
    raise_alert(Alert.Kind.LOW_CREDITS, "x@gmail.com", "x has 3 credits left")
    raise_alert(Alert.Kind.UNHEALTHY, "y@gmail.com", "y is unhealthy")
    assert mail.outbox == []
    assert send_pending_alert_emails() == 2
    assert send_pending_alert_emails() == 0  # each alert once
    assert sorted(m.subject for m in mail.outbox) == [
        "[flowdash] Account unhealthy: y@gmail.com",
        "[flowdash] Credits low: x@gmail.com",
    ]


def test_no_alert_email_without_email_configured(make_user, settings):
    from flowdash.accounts.alerts import raise_alert, send_alert_email

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "localhost"
    make_user("alice", "admin")
    alert = raise_alert(Alert.Kind.LOW_CREDITS, "x@gmail.com", "low")
    assert send_alert_email(alert) == 0


def test_a_sync_row_records_the_run(api):
    sync_accounts(api)
    row = AccountSync.objects.get()
    assert row.finished and row.finished_at is not None and "3 accounts" in row.message
