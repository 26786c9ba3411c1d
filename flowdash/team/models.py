from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models


class LoginFailureQuerySet(models.QuerySet):
    def recent(self, now: datetime) -> LoginFailureQuerySet:
        return self.filter(at__gte=now - settings.LOGIN_FAILURE_WINDOW)

    def for_attempt(self, username: str, ip: str) -> LoginFailureQuerySet:
        return self.filter(models.Q(username=username.lower()) | models.Q(ip=ip))


class LoginFailure(models.Model):
    """One failed sign-in; too many recent ones for a name or an address slow that down."""

    username = models.CharField(max_length=150, db_index=True)
    ip = models.GenericIPAddressField(db_index=True)
    at = models.DateTimeField(db_index=True)

    objects = LoginFailureQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.username} from {self.ip} at {self.at:%Y-%m-%d %H:%M}"
