"""The thin task entry points, run in-process: ids in, claim first, do nothing when moved on."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from flowdash.accounts.models import AccountSample, AccountSync, FlowAccount
from flowdash.accounts.tasks import (
    delete_account_task,
    prune_account_history_task,
    sync_accounts_task,
)
from flowdash.stats.models import CaptchaStatsSnapshot, LoadSnapshot
from flowdash.stats.tasks import prune_snapshots_task, snapshot_captcha_stats_task

pytestmark = pytest.mark.django_db


def test_a_sync_request_runs_once_even_when_delivered_twice(sim, known_addresses):
    sync = AccountSync.objects.create()
    sync_accounts_task(sync.pk)
    sync_accounts_task(sync.pk)  # a duplicate delivery: the row is no longer pending
    assert len(sim.state.requests(path="/accounts", method="GET")) == 1
    sync.refresh_from_db()
    assert sync.status == "ok"
    sync_accounts_task()  # beat: a row of its own
    assert AccountSync.objects.filter(status="ok").count() == 2


def test_a_delete_runs_only_for_a_requested_delete(sim, known_addresses):
    account = FlowAccount.objects.get(email="pr***@gmail.com")
    delete_account_task(account.pk)  # nobody asked
    assert sim.state.account("pro.studio@gmail.com") is not None
    FlowAccount.objects.filter(pk=account.pk).update(delete_requested_at=timezone.now())
    delete_account_task(account.pk)
    assert sim.state.account("pro.studio@gmail.com") is None
    account.refresh_from_db()
    assert account.removed_at is not None and account.delete_requested_at is None


def test_beat_takes_todays_and_the_anonymized_captcha_figures(sim):
    snapshot_captcha_stats_task()
    keys = set(CaptchaStatsSnapshot.objects.values_list("query_key", flat=True))
    assert keys == {f"date={timezone.now().date().isoformat()}", "anonymized=True"}
    assert all(CaptchaStatsSnapshot.objects.values_list("scheduled", flat=True))


def test_old_history_is_pruned(db, settings):
    settings.FLOWDASH_SNAPSHOT_KEEP_DAYS = 10
    old = timezone.now() - timedelta(days=11)
    LoadSnapshot.objects.create(taken_at=old)
    LoadSnapshot.objects.create(taken_at=timezone.now())
    CaptchaStatsSnapshot.objects.create(taken_at=old, query_key="x")
    account = FlowAccount.objects.create(email="a@x.com")
    AccountSample.objects.create(account=account, taken_at=old, state="ok")
    AccountSample.objects.create(account=account, taken_at=timezone.now(), state="ok")
    sync = AccountSync.objects.create(status="ok")
    AccountSync.objects.filter(pk=sync.pk).update(created_at=old)
    prune_snapshots_task()
    prune_account_history_task()
    assert LoadSnapshot.objects.count() == 1 and not CaptchaStatsSnapshot.objects.exists()
    assert AccountSample.objects.count() == 1 and not AccountSync.objects.exists()
