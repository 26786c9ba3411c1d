"""Where a person is signed in: their live sessions (team.Session holds whose each one is), and
ending them, for the person themself (every browser but this one) and for an admin (a lost
laptop, someone leaving the team)."""

from __future__ import annotations

from django.db.models import Count, QuerySet
from django.utils import timezone

from flowdash.team.models import Session


def live(user) -> QuerySet[Session]:
    """The person's sessions that still sign them in."""
    return Session.objects.filter(user=user, expire_date__gt=timezone.now())


def counts() -> dict[int, int]:
    """Live sessions per person id (people with none are left out)."""
    rows = (
        Session.objects.filter(user__isnull=False, expire_date__gt=timezone.now())
        .values("user")
        .annotate(n=Count("pk"))
        .values_list("user", "n")
    )
    return dict(rows)


def others(user, keep: str | None) -> QuerySet[Session]:
    """The person's live sessions but the one ``keep`` (this browser's)."""
    return live(user).exclude(session_key=keep or "")


def end(user, keep: str | None = None) -> int:
    """Sign ``user`` out of every browser but the session ``keep``; how many were ended (their
    expired sessions are left to the hourly housekeeping)."""
    return others(user, keep).delete()[0]
