from __future__ import annotations

from django.conf import settings
from django.db import models

from flowdash.lib import crypto


class ApiToken(models.Model):
    """The useapi.net API token entered on the Settings page, encrypted at rest (one row)."""

    encrypted_token = models.TextField()
    masked = models.CharField(max_length=40)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "useapi.net API token"

    def __str__(self) -> str:
        return self.masked

    def __repr__(self) -> str:
        return f"<ApiToken {self.masked}>"

    @classmethod
    def store(cls, token: str, user=None) -> ApiToken:
        row, _ = cls.objects.update_or_create(
            pk=1,
            defaults={
                "encrypted_token": crypto.encrypt(token),
                "masked": crypto.mask(token),
                "updated_by": user,
            },
        )
        return row

    def reveal(self) -> str | None:
        """The plain token, or None when it cannot be read (the key changed)."""
        try:
            return crypto.decrypt(self.encrypted_token)
        except crypto.InvalidToken:
            return None


class ConnectionCheck(models.Model):
    """One press of "Test connection": GET /accounts, run by a worker, answered in words."""

    class Status(models.TextChoices):
        PENDING = "pending", "Checking…"
        OK = "ok", "Connected"
        FAILED = "failed", "Failed"

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    base_url = models.CharField(max_length=300)
    message = models.TextField(blank=True)
    account_count = models.PositiveIntegerField(null=True, blank=True)
    http_status = models.PositiveIntegerField(null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_status_display()} {self.base_url}"

    @property
    def finished(self) -> bool:
        return self.status != self.Status.PENDING
