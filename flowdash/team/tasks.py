"""The team's housekeeping, run by the schedule (CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from celery import shared_task

from flowdash.team.sessions import SessionStore


@shared_task(ignore_result=True)
def clear_expired_sessions_task() -> None:
    """Sessions past their expiry are never read again (see sessions.py); Django leaves their
    rows behind until they are cleared, so the hourly housekeeping clears them."""
    SessionStore.clear_expired()
