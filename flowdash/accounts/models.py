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


# --- Google Flow accounts ----------------------------------------------------------------------

SESSION_EXPIRED_MARKERS = ("refresh session", "session expired", "session has expired", "596")


def credit_alert_threshold() -> int:
    return int(getattr(settings, "FLOWDASH_CREDIT_ALERT_THRESHOLD", 100))


class FlowAccountQuerySet(models.QuerySet):
    def present(self) -> FlowAccountQuerySet:
        """Accounts the API still lists."""
        return self.filter(removed_at__isnull=True)

    def removed(self) -> FlowAccountQuerySet:
        return self.filter(removed_at__isnull=False)

    def usable(self) -> FlowAccountQuerySet:
        return self.present().filter(state=FlowAccount.State.OK)

    def addressable(self) -> FlowAccountQuerySet:
        """Usable accounts flowdash can name in a request (their full address is known)."""
        return self.usable().exclude(full_email="", email__contains="***")

    def sorted_by(self, key: str) -> FlowAccountQuerySet:
        """Order by one of SORTS (a leading "-" reverses); unknown keys fall back to email."""
        field = FlowAccount.SORTS.get(key.lstrip("-"), "email")
        desc = key.startswith("-")
        nulls = (
            models.F(field).desc(nulls_last=True) if desc else models.F(field).asc(nulls_last=True)
        )
        return self.order_by(nulls, "email")


class FlowAccount(models.Model):
    """One Google account configured on useapi.net, as last seen by the account sync.

    Cookies are never stored: the API redacts them, and flowdash drops them before saving.
    """

    class State(models.TextChoices):
        OK = "ok", "OK"
        ATTENTION = "attention", "Needs attention"
        SESSION_EXPIRED = "session_expired", "Session expired"
        ERROR = "error", "Error"

    SORTS = {
        "email": "email",
        "state": "state_rank",
        "credits": "credits",
        "tier": "paygate_tier",
        "expires": "session_expires_at",
        "added": "api_created_at",
    }
    STATE_RANK = {State.SESSION_EXPIRED: 0, State.ERROR: 1, State.ATTENTION: 2, State.OK: 3}

    email = models.CharField(max_length=254, unique=True, help_text="as GET /accounts lists it")
    full_email = models.EmailField(
        blank=True, help_text="the whole address, when the API lists a masked one (jo***@…)"
    )
    health = models.TextField(blank=True, help_text='"OK" or the API\'s error text')
    state = models.CharField(max_length=20, choices=State.choices, default=State.OK)
    state_rank = models.PositiveSmallIntegerField(default=3)
    state_reason = models.CharField(max_length=300, blank=True)
    credits = models.IntegerField(null=True, blank=True)
    paygate_tier = models.CharField(max_length=60, blank=True)
    video_models = models.JSONField(default=list, blank=True)
    session_expires_at = models.DateTimeField(null=True, blank=True)
    next_refresh_at = models.DateTimeField(null=True, blank=True)
    api_created_at = models.DateTimeField(null=True, blank=True, help_text="added on useapi.net")
    project_title = models.CharField(max_length=200, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    delete_requested_at = models.DateTimeField(null=True, blank=True)
    first_seen_at = models.DateTimeField(auto_now_add=True)

    objects = FlowAccountQuerySet.as_manager()

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.email

    # --- addresses -----------------------------------------------------------------------------

    @property
    def is_masked(self) -> bool:
        return "***" in self.email

    @property
    def address(self) -> str:
        """The address to call GET/DELETE /accounts/{email} with."""
        return self.full_email or self.email

    @property
    def needs_full_email(self) -> bool:
        return self.is_masked and not self.full_email

    def is_named_by(self, email: str) -> bool:
        """Whether ``email`` (as the API wrote it, masked or not) is this account's address."""
        email = email.strip().lower()
        if email in (self.email.lower(), self.address.lower()):
            return True
        return bool(self.full_email) and self.mask_matches(email, self.full_email)

    @staticmethod
    def mask_matches(masked: str, full: str) -> bool:
        """Whether ``full`` (john@gmail.com) is the address behind ``masked`` (jo***@gmail.com)."""
        masked, full = masked.strip().lower(), full.strip().lower()
        if "***" not in masked:
            return masked == full
        head, _, tail = masked.partition("***")
        return len(full) > len(head) + len(tail) and full.startswith(head) and full.endswith(tail)

    # --- state rules ---------------------------------------------------------------------------

    @staticmethod
    def is_session_error(text: str | None) -> bool:
        lowered = (text or "").lower()
        return any(marker in lowered for marker in SESSION_EXPIRED_MARKERS)

    @property
    def credits_matter(self) -> bool:
        """Whether any offered video model costs credits (free tiers and unlimited plans don't)."""
        return any(m.get("credit_cost") is not None for m in self.video_models or [])

    @property
    def credits_low(self) -> bool:
        return (
            self.credits is not None
            and self.credits_matter
            and self.credits < credit_alert_threshold()
        )

    def compute_state(self, now=None) -> tuple[str, str]:
        """The badge and its reason in words, from health, credits, expiry and the last error."""
        from django.utils import timezone

        now = now or timezone.now()
        if self.health and self.health != "OK":
            if self.is_session_error(self.health):
                return self.State.SESSION_EXPIRED, "The Google session could not be refreshed."
            return self.State.ERROR, self.health[:300]
        if self.is_session_error(self.last_error):
            return self.State.SESSION_EXPIRED, "The Google session could not be refreshed."
        if self.needs_full_email:
            return (
                self.State.ATTENTION,
                "The API lists a masked address; enter the full one to read credits and models.",
            )
        if self.credits_low:
            return (
                self.State.ATTENTION,
                f"Only {self.credits} credits left (alert below {credit_alert_threshold()}).",
            )
        if self.session_expires_at and self.session_expires_at < now:
            return self.State.ATTENTION, "The session expiry has passed without a refresh."
        if self.last_error:
            return self.State.ATTENTION, f"Details could not be read: {self.last_error}"[:300]
        return self.State.OK, ""

    def apply_state(self, now=None) -> None:
        self.state, self.state_reason = self.compute_state(now)
        self.state_rank = self.STATE_RANK[self.state]

    @property
    def badge_class(self) -> str:
        return {
            self.State.OK: "badge-ok",
            self.State.ATTENTION: "badge-warn",
            self.State.SESSION_EXPIRED: "badge-danger",
            self.State.ERROR: "badge-danger",
        }.get(self.state, "")

    @property
    def is_removed(self) -> bool:
        return self.removed_at is not None

    DELETE_WAIT_SECONDS = 120

    @property
    def deleting(self) -> bool:
        """A delete was asked for recently (after that, the button comes back)."""
        from django.utils import timezone

        return bool(
            self.delete_requested_at
            and (timezone.now() - self.delete_requested_at).total_seconds()
            < self.DELETE_WAIT_SECONDS
        )

    # --- jobs run in flowdash ------------------------------------------------------------------

    def job_summary(self) -> dict:
        """Counts of this account's flowdash jobs and the last failure's explanation."""
        from flowdash.jobs.models import Job

        jobs = Job.objects.filter(account=self)
        failed = jobs.filter(status=Job.Status.FAILED)
        last = failed.order_by("-pk").first()
        last_error = (last.error_message or last.error_reason) if last else ""
        return {"total": jobs.count(), "failed": failed.count(), "last_error": last_error}


class AccountSample(models.Model):
    """One account's figures at one sync, kept for the credits chart."""

    account = models.ForeignKey(FlowAccount, on_delete=models.CASCADE, related_name="samples")
    taken_at = models.DateTimeField(db_index=True)
    state = models.CharField(max_length=20, choices=FlowAccount.State.choices)
    credits = models.IntegerField(null=True, blank=True)

    class Meta:
        ordering = ["taken_at"]

    def __str__(self) -> str:
        return f"{self.account_id} {self.credits} at {self.taken_at:%Y-%m-%d %H:%M}"


class AccountSync(models.Model):
    """One run of the account sync (GET /accounts and GET /accounts/{email} for each)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for the worker"
        RUNNING = "running", "Running"
        OK = "ok", "Done"
        FAILED = "failed", "Failed"

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    message = models.TextField(blank=True)
    http_status = models.PositiveIntegerField(null=True, blank=True)
    account_count = models.PositiveIntegerField(null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_status_display()} {self.created_at:%Y-%m-%d %H:%M:%S}"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.OK, self.Status.FAILED)


class RefreshClaim(models.Model):
    """Debounce for on-demand refreshes: one row per name, claimed with a conditional update."""

    name = models.CharField(max_length=200, primary_key=True)
    claimed_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name

    @classmethod
    def claim(cls, name: str, min_interval) -> bool:
        """True for the one caller allowed to refresh ``name`` now (at most once per interval)."""
        from django.db import IntegrityError, transaction
        from django.utils import timezone

        now = timezone.now()
        name = name[:200]
        if cls.objects.filter(name=name, claimed_at__lte=now - min_interval).update(claimed_at=now):
            return True
        try:
            with transaction.atomic():
                cls.objects.create(name=name, claimed_at=now)
        except IntegrityError:
            return False
        return True

    @classmethod
    def due(cls, name: str, taken_at, max_age) -> bool:
        """True for the one caller that should ask for fresh figures ``name`` now: the stored
        ones (taken at ``taken_at``; None when there are none) are older than ``max_age``, and
        nobody asked within it."""
        from django.utils import timezone

        stale = taken_at is None or timezone.now() - taken_at > max_age
        return stale and cls.claim(name, max_age)

    @classmethod
    def release(cls, name: str) -> None:
        cls.objects.filter(name=name[:200]).delete()


# --- alerts ------------------------------------------------------------------------------------


class AlertQuerySet(models.QuerySet):
    def open(self) -> AlertQuerySet:
        return self.filter(resolved_at__isnull=True)

    def unacknowledged(self) -> AlertQuerySet:
        return self.open().filter(acknowledged_at__isnull=True)


class Alert(models.Model):
    """A condition an admin should know about. One open alert per (kind, subject) at a time."""

    class Kind(models.TextChoices):
        SESSION_EXPIRED = "session_expired", "Session expired"
        UNHEALTHY = "unhealthy", "Account unhealthy"
        LOW_CREDITS = "low_credits", "Credits low"
        TOKEN_REJECTED = "token_rejected", "API token rejected"
        NOTIFY_FAILED = "notify_failed", "Notifications failing"

    TOKEN_SUBJECT = "api-token"  # noqa: S105 - a label, not a secret

    kind = models.CharField(max_length=20, choices=Kind.choices)
    subject = models.CharField(max_length=254, help_text="the account's email, or api-token")
    account = models.ForeignKey(
        FlowAccount, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts"
    )
    message = models.TextField()
    raised_at = models.DateTimeField(auto_now_add=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)  # its email went out (or no one's)

    objects = AlertQuerySet.as_manager()

    class Meta:
        ordering = ["-raised_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "subject"],
                condition=models.Q(resolved_at__isnull=True),
                name="one_open_alert_per_condition",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


# --- captcha providers -------------------------------------------------------------------------


class CaptchaProviderSnapshot(models.Model):
    """GET /accounts/captcha-providers as fetched: the API's masked keys or the free credits.

    The keys themselves are never stored; only the API's own masked form ("abc12…").
    """

    masked_keys = models.JSONField(default=dict, blank=True)
    free_credits = models.IntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    http_status = models.PositiveIntegerField(null=True, blank=True)
    taken_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-taken_at", "-pk"]
        get_latest_by = "taken_at"

    def __str__(self) -> str:
        return f"captcha providers at {self.taken_at:%Y-%m-%d %H:%M:%S}"

    @property
    def ok(self) -> bool:
        return not self.error
