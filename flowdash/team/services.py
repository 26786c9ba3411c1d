"""Sign-in throttling: failures are counted per user name and per address in the database."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from flowdash.team.models import LoginFailure


def client_ip(request: HttpRequest) -> str:
    if getattr(settings, "USE_X_FORWARDED_HOST", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR") or "0.0.0.0"  # noqa: S104 - a label, not a bind


def login_blocked_for(username: str, ip: str) -> timedelta | None:
    """How long this sign-in must wait, or None when it may go ahead."""
    now = timezone.now()
    failures = LoginFailure.objects.recent(now).for_attempt(username, ip)
    limit = settings.LOGIN_FAILURE_LIMIT
    times = list(failures.order_by("-at").values_list("at", flat=True)[:limit])
    if len(times) < limit:
        return None
    # Blocked until the oldest of the last LIMIT failures leaves the window.
    return times[-1] + settings.LOGIN_FAILURE_WINDOW - now


def record_login_failure(username: str, ip: str) -> None:
    LoginFailure.objects.create(username=username.lower()[:150], ip=ip, at=timezone.now())


def clear_login_failures(username: str) -> None:
    LoginFailure.objects.filter(username=username.lower()).delete()
