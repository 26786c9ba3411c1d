"""A batch: many studio submissions made from one list, CSV or prompt template.

Each valid row becomes an ordinary Job once the batch is started and the row is released (in
waves, see :mod:`flowdash.batches.services`); ``BatchRow.job`` is the row's latest job (a retry
makes a new one whose ``retry_of`` is the previous).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Batch(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Preview"
        RUNNING = "running", "Running"
        DONE = "done", "Done"

    class Source(models.TextChoices):
        PASTE = "paste", "Pasted prompts"
        CSV = "csv", "CSV file"
        TEMPLATE = "template", "Prompt template"

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="batches"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    source = models.CharField(max_length=10, choices=Source.choices)
    name = models.CharField(max_length=200, blank=True)
    note = models.CharField(max_length=300, blank=True, help_text="e.g. the template's product")
    charged_on = models.DateField(null=True, blank=True, help_text="the day its credits count")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"batch {self.pk} ({self.status})"


class BatchRow(models.Model):
    class Status(models.TextChoices):
        INVALID = "invalid", "Not valid"
        READY = "ready", "Ready"  # valid, batch not started
        WAITING = "waiting", "Waiting for its wave"  # started, no job yet (or retry pending)
        RELEASED = "released", "Released"  # its job carries the status
        CANCELLED = "cancelled", "Cancelled"

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="rows")
    number = models.PositiveIntegerField(help_text="the row as the person counts it")
    kind = models.CharField(max_length=20, blank=True)
    params = models.JSONField(default=dict, blank=True)
    account = models.ForeignKey(
        "accounts.FlowAccount", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cells = models.JSONField(default=dict, blank=True, help_text="what the source said")
    credits = models.PositiveIntegerField(null=True, blank=True)
    price_words = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, db_index=True)
    error = models.TextField(blank=True)
    job = models.OneToOneField(
        "jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="batch_row"
    )

    class Meta:
        ordering = ["batch", "number"]
        constraints = [models.UniqueConstraint(fields=["batch", "number"], name="batch_row_number")]

    def __str__(self) -> str:
        return f"batch {self.batch_id} row {self.number}"
