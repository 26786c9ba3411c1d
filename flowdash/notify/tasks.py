"""Thin tasks: beat's scan (events from the database, lost nudges re-sent) and one delivery."""

from __future__ import annotations

from celery import shared_task

from flowdash.notify import services


@shared_task(ignore_result=True)
def scan_notifications_task() -> None:
    services.scan()


@shared_task(ignore_result=True)
def deliver_task(delivery_id: int) -> None:
    services.deliver(delivery_id)
