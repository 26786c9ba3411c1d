"""Notifications: admin-managed targets, people's choices, events, and an outbox of deliveries.

* **Target** — where messages go: any Apprise URL (Slack, Discord, Telegram, Microsoft Teams,
  ntfy, email…) or a signed JSON webhook. The URL (and a webhook's signing secret) are stored
  encrypted like the API token.
* **Choice** — one person's choice of which events reach one target (job events: their own
  jobs or everybody's).
* **Event** — something worth telling, once: the unique ``key`` makes deriving it idempotent
  (a scan that runs twice, or two scanners, still make one event).
* **Delivery** — the outbox: one row per (event, target), claimed with a conditional update
  before sending, so it is never sent by two workers; retried with backoff within a deadline.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from flowdash.lib import crypto


class EventKind(models.TextChoices):
    JOB_COMPLETED = "job_completed", "Job completed"
    JOB_FAILED = "job_failed", "Job failed"
    JOB_NEEDS_ATTENTION = "job_needs_attention", "Job needs a decision"
    BATCH_FINISHED = "batch_finished", "Batch finished"
    SESSION_EXPIRED = "session_expired", "Account session expired"
    LOW_CREDITS = "low_credits", "Account credits low"
    TOKEN_REJECTED = "token_rejected", "API token rejected"
    CAPTCHA_CREDITS_LOW = "captcha_credits_low", "Captcha credits running out"
    SPENDING_LIMIT = "spending_limit", "Spending limit reached"
    TEST = "test", "Test message"


# Events about one person's jobs: a choice says "my jobs" or "everybody's".
JOB_EVENTS = frozenset(
    {
        EventKind.JOB_COMPLETED,
        EventKind.JOB_FAILED,
        EventKind.JOB_NEEDS_ATTENTION,
        EventKind.BATCH_FINISHED,
    }
)
CHOOSABLE = [(k, label) for k, label in EventKind.choices if k != EventKind.TEST]


class Target(models.Model):
    class Kind(models.TextChoices):
        APPRISE = (
            "apprise",
            "Chat or email (an Apprise URL: Slack, Discord, Telegram, Teams, ntfy…)",
        )
        WEBHOOK = "webhook", "JSON webhook for programs (signed)"

    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.APPRISE)
    url_encrypted = models.TextField()
    secret_encrypted = models.TextField(blank=True, help_text="a webhook's signing secret")
    enabled = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    failing_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def url(self) -> str:
        return crypto.decrypt(self.url_encrypted)

    def set_url(self, url: str) -> None:
        self.url_encrypted = crypto.encrypt(url)

    @property
    def secret(self) -> str:
        return crypto.decrypt(self.secret_encrypted) if self.secret_encrypted else ""

    def set_secret(self, secret: str) -> None:
        self.secret_encrypted = crypto.encrypt(secret)

    @property
    def masked_url(self) -> str:
        try:
            url = self.url
        except crypto.InvalidToken:
            return "(cannot be read: the encryption key changed)"
        scheme, sep, rest = url.partition("://")
        return f"{scheme}{sep}{crypto.mask(rest)}" if sep else crypto.mask(url)

    @property
    def alert_subject(self) -> str:
        return f"notify-target-{self.pk}"


class Choice(models.Model):
    class Scope(models.TextChoices):
        OWN = "own", "my jobs"
        ALL = "all", "everybody's jobs"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notify_choices"
    )
    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="choices")
    kinds = models.JSONField(default=list, blank=True)
    job_scope = models.CharField(max_length=3, choices=Scope.choices, default=Scope.OWN)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "target"], name="one_choice_per_target")
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.target}: {', '.join(self.kinds)}"

    def wants(self, kind: str, owner_id: int | None) -> bool:
        if kind not in self.kinds:
            return False
        if kind in JOB_EVENTS and self.job_scope == self.Scope.OWN:
            return owner_id is not None and owner_id == self.user_id
        return True


class Event(models.Model):
    kind = models.CharField(max_length=24, choices=EventKind.choices)
    key = models.CharField(max_length=200, unique=True, help_text="what makes it happen once")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(max_length=300)
    message = models.TextField()
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.title}"


class Delivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Gave up"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    queued_at = models.DateTimeField(null=True, blank=True, help_text="last nudge sent")
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["event", "target"], name="one_delivery_per_target")
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.event} → {self.target}: {self.status}"


class ScanCursor(models.Model):
    """How far the event scan has looked (per source); events themselves are idempotent."""

    name = models.CharField(max_length=40, unique=True)
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.at:%Y-%m-%d %H:%M:%S}"
