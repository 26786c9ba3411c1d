from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.db import connection

from flowdash.accounts.connection import build_client
from flowdash.lib.database import refresh_statistics
from flowdash.stats import services


@shared_task(ignore_result=True)
def snapshot_load_task() -> None:
    services.snapshot_load(build_client())


@shared_task(ignore_result=True)
def snapshot_captcha_stats_task() -> None:
    """Beat: today's figures and the anonymized comparison, kept for the charts."""
    client = build_client()
    for query in services.scheduled_captcha_queries():
        services.fetch_captcha_stats(client, query, scheduled=True)


@shared_task(ignore_result=True)
def fetch_captcha_stats_task(query: dict) -> None:
    """On demand, for the filters someone chose on the Captcha page."""
    services.fetch_captcha_stats(build_client(), query)


@shared_task(ignore_result=True)
def prune_snapshots_task() -> None:
    services.prune_snapshots(int(getattr(settings, "FLOWDASH_SNAPSHOT_KEEP_DAYS", 30)))


@shared_task(ignore_result=True)
def refresh_database_statistics_task() -> None:
    refresh_statistics(connection)
