from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from flowdash.accounts import alerts, services
from flowdash.accounts.connection import build_client
from flowdash.accounts.enqueue import enqueue_after_commit
from flowdash.accounts.models import (
    AccountSample,
    AccountSync,
    ConnectionCheck,
    FlowAccount,
)


@shared_task(ignore_result=True)
def check_connection_task(check_id: int) -> None:
    pending = ConnectionCheck.objects.filter(status=ConnectionCheck.Status.PENDING)
    check = pending.filter(pk=check_id).first()
    if check is None:
        return
    services.check_connection(check, build_client())


@shared_task(ignore_result=True)
def sync_accounts_task(sync_id: int | None = None) -> None:
    """Beat (no id) or a "Refresh" press (the id of a pending AccountSync row)."""
    if sync_id is None:
        sync = AccountSync.objects.create(status=AccountSync.Status.RUNNING)
    else:
        claimed = AccountSync.objects.filter(pk=sync_id, status=AccountSync.Status.PENDING).update(
            status=AccountSync.Status.RUNNING
        )
        if not claimed:
            return
        sync = AccountSync.objects.get(pk=sync_id)
    services.sync_accounts(build_client(), sync)


@shared_task(ignore_result=True)
def delete_account_task(account_id: int) -> None:
    account = FlowAccount.objects.filter(
        pk=account_id, removed_at__isnull=True, delete_requested_at__isnull=False
    ).first()
    if account is None:
        return
    services.delete_account(build_client(), account)


@shared_task(ignore_result=True)
def refresh_captcha_providers_task() -> None:
    services.refresh_captcha_providers(build_client())


@shared_task(ignore_result=True)
def send_alert_emails_task() -> None:
    alerts.send_pending_alert_emails()


def request_sync(user=None) -> AccountSync:
    """A sync of the accounts, asked for by a person: the row now, the task after commit."""
    with transaction.atomic():
        sync = AccountSync.objects.create(requested_by=user)
        enqueue_after_commit(sync_accounts_task, sync.pk, expires=120)
    return sync


@shared_task(ignore_result=True)
def prune_account_history_task() -> None:
    """Sync rows older than a week; credit samples older than FLOWDASH_SNAPSHOT_KEEP_DAYS."""
    now = timezone.now()
    AccountSync.objects.filter(created_at__lt=now - timedelta(days=7)).delete()
    keep = int(getattr(settings, "FLOWDASH_SNAPSHOT_KEEP_DAYS", 30))
    AccountSample.objects.filter(taken_at__lt=now - timedelta(days=keep)).delete()
