"""Credits: what each job was priced at, and how much each person may spend a day.

* :class:`JobCharge` — the credits a job was priced at when it was made (catalog + the account's
  ``creditCost``), the day it counts against, and — once it can be told from the account's credit
  readings — what it actually cost. Created in the same transaction as the job
  (:func:`flowdash.spending.services.create_priced_job`).
* :class:`SpendingPolicy` — one row: the daily limit given to people the first time they spend.
* :class:`PersonLimit` — one person's daily limit (None = no limit). Its row is also the lock a
  submission holds while it checks and records, so two submissions of one person cannot both
  pass a check that only one of them fits.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class SpendingPolicy(models.Model):
    default_daily_credits = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="given to each person the first time they submit; empty = no limit",
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"default daily limit {self.default_daily_credits}"

    @classmethod
    def current(cls) -> SpendingPolicy:
        return cls.objects.get_or_create(pk=1)[0]


class PersonLimit(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="spending_limit"
    )
    daily_credits = models.PositiveIntegerField(
        null=True, blank=True, help_text="credits a day; empty = no limit"
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.user_id}: {self.daily_credits}"


class JobChargeQuerySet(models.QuerySet):
    def counted(self):
        """Charges that count against a limit: not the jobs cancelled before they were sent, nor
        the failed ones none of whose submissions may have reached the service."""
        from flowdash.jobs.models import Job, JobAttempt

        reached = JobAttempt.objects.filter(
            job=models.OuterRef("job"), action="submit", may_have_reached_service=True
        )
        return self.exclude(job__status=Job.Status.CANCELLED).exclude(
            models.Q(job__status=Job.Status.FAILED) & ~models.Exists(reached)
        )


class JobCharge(models.Model):
    job = models.OneToOneField("jobs.Job", on_delete=models.CASCADE, related_name="charge")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="job_charges",
    )
    # The account asked for (None = auto, priced at the dearest account that can run it).
    account = models.ForeignKey(
        "accounts.FlowAccount", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=20)
    model = models.CharField(max_length=60, blank=True)
    credits = models.PositiveIntegerField(null=True, blank=True, help_text="None: not known")
    words = models.CharField(max_length=200, blank=True)
    charged_on = models.DateField(db_index=True, help_text="the day it counts against")
    created_at = models.DateTimeField(auto_now_add=True)
    actual_credits = models.IntegerField(null=True, blank=True)
    actual_note = models.CharField(max_length=300, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    objects = JobChargeQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "charged_on"])]

    def __str__(self) -> str:
        return f"job {self.job_id}: {self.credits} credits"
