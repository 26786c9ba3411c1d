"""Job: one request of one kind, with everything needed to resume it (design.md "Jobs: the rules").

The row is the truth; Celery messages are nudges. Every transition is a conditional update
(`Job.objects.filter(pk=…, status=OLD).update(…) == 1`), see :meth:`Job.move`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Kind(models.TextChoices):
    IMAGE = "image", "Image"
    VIDEO = "video", "Video"
    IMAGE_UPSCALE = "image_upscale", "Image upscale"
    VIDEO_UPSCALE = "video_upscale", "Video upscale"
    EXTEND = "extend", "Extend"
    GIF = "gif", "GIF"
    CONCATENATE = "concatenate", "Concatenate"
    ASSET_UPLOAD = "asset_upload", "Asset upload"


# Kinds the API runs as async jobs followed by GET /jobs/{jobId} (design rule 4).
ASYNC_KINDS = frozenset({Kind.VIDEO, Kind.VIDEO_UPSCALE, Kind.EXTEND})


class Status(models.TextChoices):
    QUEUED = "queued", "Queued"
    SUBMITTING = "submitting", "Submitting"
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"
    NEEDS_ATTENTION = "needs_attention", "Needs attention"


FINISHED = frozenset({Status.COMPLETED, Status.FAILED, Status.CANCELLED})
# Statuses in which the pipeline still has work to do (the reconciler's concern).
ACTIVE = frozenset({Status.QUEUED, Status.SUBMITTING, Status.RUNNING})

# Which status may follow which: the pipeline's rules in one table (Job.move refuses the rest).
# A finished job never moves again; only a person's decision leaves needs-attention.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.QUEUED: frozenset({Status.QUEUED, Status.SUBMITTING, Status.CANCELLED, Status.FAILED}),
    Status.SUBMITTING: frozenset(
        {
            Status.SUBMITTING,  # a step ends, the job stays (a lookup scheduled)
            Status.QUEUED,  # surely not sent: wait and send again
            Status.RUNNING,  # accepted (async) or found
            Status.COMPLETED,
            Status.FAILED,
            Status.NEEDS_ATTENTION,  # sent, fate unknown
        }
    ),
    Status.RUNNING: frozenset(
        {Status.RUNNING, Status.COMPLETED, Status.FAILED, Status.NEEDS_ATTENTION}
    ),
    Status.NEEDS_ATTENTION: frozenset(
        {
            Status.QUEUED,  # "submit again"
            Status.SUBMITTING,  # "look it up again" (a submission to find)
            Status.RUNNING,  # "look it up again" (a remote job to check)
            Status.FAILED,  # "give up"
        }
    ),
}


def due_q(now) -> Q:
    """The one "due" condition: the next step's time has come and no live task holds the job
    (its lease ran out)."""
    return (Q(next_check_at__isnull=True) | Q(next_check_at__lte=now)) & (
        Q(lease_until__isnull=True) | Q(lease_until__lte=now)
    )


class JobQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status__in=ACTIVE)

    def finished(self):
        return self.filter(status__in=FINISHED)

    def due(self, now=None):
        """Active jobs whose next step is due and that no live task holds (lease expired)."""
        return self.active().filter(due_q(now or timezone.now()))

    def for_user(self, user):
        return self.filter(requested_by=user)

    def filtered(self, *, status: str = "", kind: str = "", account_id=None, user_id=None):
        """The Jobs page's filters (the REST API's too): status, kind, the account it ran on
        (or was asked for, while it has none), and who asked."""
        jobs = self
        if status:
            jobs = jobs.filter(status=status)
        if kind:
            jobs = jobs.filter(kind=kind)
        if account_id:
            jobs = jobs.filter(
                Q(account_id=account_id) | Q(account__isnull=True, requested_account_id=account_id)
            )
        if user_id:
            jobs = jobs.filter(requested_by_id=user_id)
        return jobs


class Job(models.Model):
    Kind = Kind
    Status = Status

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=20, choices=Kind.choices, db_index=True)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    # What the person asked for, as the form cleaned it (model, prompt, count, seed, aspect
    # ratio, references as asset/media ids, captcha options…): enough to submit and to remix.
    params = models.JSONField(default=dict, blank=True)
    # The account chosen in the form; null = auto: the API's load balancing for videos, an
    # account with a free image slot for images (jobs/capacity.py).
    requested_account = models.ForeignKey(
        "accounts.FlowAccount",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The account the job actually runs on, once known (from the API's answer).
    account = models.ForeignKey(
        "accounts.FlowAccount",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="jobs",
    )
    account_email = models.CharField(max_length=254, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="flow_jobs",
    )
    # Post-production: the media item the job works on (upscale / extend / gif).
    source_media = models.ForeignKey(
        "gallery.Media",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="derived_jobs",
    )
    # Remix / retry: the job this one was copied from.
    retry_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="retries"
    )

    remote_job_id = models.CharField(max_length=300, blank=True, db_index=True)
    remote_status = models.CharField(max_length=20, blank=True)

    # Who goes first when jobs wait for the same image slot: a person's own job (1) before the
    # rows of a batch (0), so a batch never starves a single generation sent after it.
    priority = models.SmallIntegerField(default=1)

    submit_attempts = models.PositiveIntegerField(default=0)
    check_count = models.PositiveIntegerField(default=0)
    # Failed GET /jobs/{jobId} in a row (a check that reads the job sets it back to 0).
    check_errors = models.PositiveIntegerField(default=0)
    # Where the job's time budget (FLOWDASH_JOB_DEADLINE_MINUTES) starts: its creation, or the
    # moment a person submitted it again. Null = ``created_at``.
    deadline_from = models.DateTimeField(null=True, blank=True)
    next_check_at = models.DateTimeField(null=True, blank=True, db_index=True)
    lease_until = models.DateTimeField(null=True, blank=True)

    captcha = models.JSONField(default=dict, blank=True)
    captcha_attempts = models.PositiveIntegerField(default=0)

    error_status = models.PositiveIntegerField(null=True, blank=True)
    error_code = models.CharField(max_length=60, blank=True)
    error_reason = models.TextField(blank=True, help_text="the API's own words")
    error_message = models.TextField(blank=True, help_text="our words for people")
    attention_reason = models.TextField(blank=True)

    webhook_token_hash = models.CharField(max_length=64, blank=True)
    last_webhook_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "next_check_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} job {self.pk}"

    # --- state ---------------------------------------------------------------------------------

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED

    @property
    def is_async_kind(self) -> bool:
        return self.kind in ASYNC_KINDS

    @property
    def status_words(self) -> str:
        """The status as people read it on cards, lists and in the API."""
        resting = self.resting_until
        if resting is not None:
            return f"All accounts are resting until {timezone.localtime(resting):%H:%M}"
        if self.is_retrying:
            return "Waiting to try again"
        if self.waits_for_slot:
            return "Waiting for a free image slot"
        return STATUS_WORDS.get(self.status, self.get_status_display())

    @property
    def waits_for_slot(self) -> bool:
        """Queued until an account it may use has a free image slot (not waiting for a worker:
        every account it may use runs as many images as it takes)."""
        return self.status == self.Status.QUEUED and self.error_code == SLOT_WAIT

    @property
    def resting_until(self):
        """When the job waits out a 429 ``no_eligible_account`` (every Google account
        quarantined, supplement §1.2): the time it will be sent again (the Retry-After the
        pipeline honoured), else None."""
        if (
            self.is_retrying
            and self.error_status == 429
            and self.error_reason == "no_eligible_account"
            and self.next_check_at is not None
        ):
            return self.next_check_at
        return None

    @property
    def is_retrying(self) -> bool:
        """Back in the queue after a 429/503 that did not reach the service."""
        return (
            self.status == self.Status.QUEUED
            and self.submit_attempts > 0
            and bool(self.error_message)
        )

    def manageable_by(self, user) -> bool:
        """Cancel, submit again, give up: admins, and the creator who asked for the job."""
        from flowdash.team.roles import ADMIN, CREATOR, has_role

        if has_role(user, ADMIN):
            return True
        return has_role(user, CREATOR) and self.requested_by_id == user.pk

    def move(self, expected: str | tuple[str, ...], new: str, **fields) -> bool:
        """Conditional transition: True when this call moved the row (and refreshes self).
        A transition the table (:data:`TRANSITIONS`) does not allow is a bug: ValueError."""
        expected_set = (expected,) if isinstance(expected, str) else tuple(expected)
        for old in expected_set:
            if new not in TRANSITIONS.get(old, ()):
                raise ValueError(f"a job cannot go from {old} to {new}")
        fields["status"] = new
        fields["updated_at"] = timezone.now()
        if new in FINISHED and "finished_at" not in fields:
            fields["finished_at"] = fields["updated_at"]
        moved = Job.objects.filter(pk=self.pk, status__in=expected_set).update(**fields) == 1
        self.refresh_from_db()
        return moved

    def claim(self, expected: str, lease_seconds: float, **fields) -> bool:
        """Take the job for one step: a conditional update (the expected status, due, no live
        lease) that sets a lease. True when this caller won (self is then refreshed)."""
        if "status" in fields and fields["status"] not in TRANSITIONS.get(expected, ()):
            raise ValueError(f"a job cannot go from {expected} to {fields['status']}")
        now = timezone.now()
        won = (
            Job.objects.filter(pk=self.pk, status=expected)
            .filter(due_q(now))
            .update(lease_until=now + timedelta(seconds=lease_seconds), updated_at=now, **fields)
            == 1
        )
        if won:
            self.refresh_from_db()
        return won

    def release(
        self, expected: str, new_status: str | None = None, *, after: float | None = None, **fields
    ) -> bool:
        """End a step: move (or keep) the job and drop its lease. With ``after`` (seconds), the
        next step is due then, and the job is nudged (now) or its timer armed (later) once the
        transaction commits. False when someone else moved the job meanwhile."""
        fields.setdefault("lease_until", None)
        if after is not None:
            fields["next_check_at"] = timezone.now() + timedelta(seconds=max(after, 0.0))
        moved = self.move(expected, new_status or expected, **fields)
        if moved and after is not None:
            from flowdash.jobs.nudges import nudge

            nudge(self.pk, countdown=after if after > 0 else None)
        return moved

    # --- webhooks ------------------------------------------------------------------------------

    def webhook_token(self) -> str:
        """The job's webhook secret (sent as ``replyRef`` and in the ``replyUrl`` path).

        Derived from SECRET_KEY and the job's uuid, so any worker can rebuild it after a
        restart without it being stored; the row keeps only its sha256 for the comparison.
        """
        digest = hmac.new(
            settings.SECRET_KEY.encode(), f"flowdash-webhook:{self.uuid}".encode(), "sha256"
        ).digest()
        return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")

    def set_webhook_token_hash(self) -> None:
        self.webhook_token_hash = hashlib.sha256(self.webhook_token().encode()).hexdigest()

    def webhook_token_matches(self, token: str) -> bool:
        if not self.webhook_token_hash:
            return False
        given = hashlib.sha256(token.encode()).hexdigest()
        return hmac.compare_digest(given, self.webhook_token_hash)

    # --- display -------------------------------------------------------------------------------

    @property
    def elapsed(self) -> timedelta:
        end = self.finished_at or timezone.now()
        return end - (self.submitted_at or self.created_at)


# error_code of an image job parked until an account has a free image slot (capacity.py).
SLOT_WAIT = "waiting_for_slot"

STATUS_WORDS = {
    Job.Status.QUEUED: "Waiting for a worker",
    Job.Status.SUBMITTING: "Sending to the API",
    Job.Status.RUNNING: "Generating",
    Job.Status.COMPLETED: "Done",
    Job.Status.FAILED: "Failed",
    Job.Status.CANCELLED: "Cancelled",
    Job.Status.NEEDS_ATTENTION: "Needs a decision",
}


class JobAttemptQuerySet(models.QuerySet):
    def record(self, job: Job, action: str, *, number: int | None = None, **fields) -> JobAttempt:
        """Write one attempt of ``action`` for ``job``, numbered after the last one."""
        if number is None:
            number = self.filter(job=job, action=action).count() + 1
        return self.create(job=job, action=action, number=number, **fields)

    def paid(self):
        """Submissions that may have reached the service (and cost captcha solves or credits):
        the ones that count toward ``MAX_SUBMIT_ATTEMPTS``."""
        return self.filter(action="submit", may_have_reached_service=True)


class JobAttempt(models.Model):
    """One try at a request to the API for a job: what was sent, and what came of it."""

    class Outcome(models.TextChoices):
        SENT = "sent", "Sent, no answer yet"
        ACCEPTED = "accepted", "Accepted"
        NOT_DELIVERED = "not_delivered", "Did not reach the service"
        REJECTED = "rejected", "Rejected"
        UNKNOWN = "unknown", "Outcome unknown"

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveIntegerField()
    action = models.CharField(max_length=40, default="submit")
    outcome = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.SENT)
    http_status = models.PositiveIntegerField(null=True, blank=True)
    message = models.TextField(blank=True)
    account_email = models.CharField(max_length=254, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # False once we know the request was not processed (no connection; a 429 / 503 that came
    # without captcha solves): it does not count toward the cap on paid attempts.
    may_have_reached_service = models.BooleanField(default=True)

    objects = JobAttemptQuerySet.as_manager()

    class Meta:
        ordering = ["job", "number"]
        constraints = [
            models.UniqueConstraint(fields=["job", "action", "number"], name="attempt_number")
        ]

    def __str__(self) -> str:
        return f"{self.job} {self.action} #{self.number}: {self.outcome}"

    ACTION_WORDS = {
        "submit": "submission",
        "lookup": "lookup",
        "hint": "webhook",
        "upload": "reference upload",
    }

    @property
    def action_words(self) -> str:
        return self.ACTION_WORDS.get(self.action, self.action)

    @property
    def outcome_words(self) -> str:
        """The outcome as people read it: a webhook that named the job is a note, not an
        unknown outcome."""
        if self.action == "hint":
            return "named the job"
        return self.get_outcome_display()
