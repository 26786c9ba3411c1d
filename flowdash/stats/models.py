"""Load-balancing and captcha figures as fetched from the API, with their time, for charts."""

from __future__ import annotations

from django.db import models


class SnapshotQuerySet(models.QuerySet):
    def succeeded(self):
        return self.filter(error="")

    def failed(self):
        return self.exclude(error="")

    def between(self, since, until=None):
        qs = self.filter(taken_at__gte=since)
        return qs.filter(taken_at__lte=until) if until else qs


class Snapshot(models.Model):
    """One answer of the API kept with its time, or the error that came instead."""

    taken_at = models.DateTimeField(db_index=True)
    error = models.TextField(blank=True)
    http_status = models.PositiveIntegerField(null=True, blank=True)

    objects = SnapshotQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["-taken_at", "-pk"]

    @property
    def ok(self) -> bool:
        return not self.error


class LoadSnapshot(Snapshot):
    """One GET /jobs?options=history answer (or the error that came instead)."""

    emails = models.JSONField(default=list, blank=True)
    executing = models.JSONField(default=list, blank=True)
    history = models.JSONField(default=list, blank=True)

    def __str__(self) -> str:
        return f"load at {self.taken_at:%Y-%m-%d %H:%M:%S}"


class LoadSample(models.Model):
    """One account's figures in one category (videos, images, combined) of a LoadSnapshot."""

    class Kind(models.TextChoices):
        VIDEOS = "videos", "Videos"
        IMAGES = "images", "Images"
        COMBINED = "combined", "Combined"

    snapshot = models.ForeignKey(LoadSnapshot, on_delete=models.CASCADE, related_name="samples")
    taken_at = models.DateTimeField(db_index=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    email = models.CharField(max_length=254)
    executing = models.IntegerField(default=0)
    completed = models.IntegerField(default=0)
    failed = models.IntegerField(default=0)
    rate_limited = models.IntegerField(default=0)
    avg_response_ms = models.FloatField(null=True, blank=True)
    score = models.FloatField(default=0)

    class Meta:
        ordering = ["taken_at", "email"]
        indexes = [models.Index(fields=["kind", "taken_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.email} score {self.score:g}"

    @property
    def avg_response_s(self) -> float | None:
        return None if self.avg_response_ms is None else self.avg_response_ms / 1000

    @property
    def formula_score(self) -> int:
        """The documented formula, to show next to the API's own score."""
        return self.executing + 10 * self.failed + 20 * self.rate_limited


class CaptchaStatsSnapshot(Snapshot):
    """One GET /accounts/captcha-stats answer for one query (or the error that came instead)."""

    query_key = models.CharField(max_length=200, db_index=True)
    query = models.JSONField(default=dict, blank=True)
    scheduled = models.BooleanField(default=False, help_text="taken by beat (charted over time)")
    date = models.CharField(max_length=10, blank=True)
    total = models.IntegerField(null=True, blank=True)
    time_span = models.CharField(max_length=200, blank=True)
    summary = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"captcha stats {self.query_key} at {self.taken_at:%Y-%m-%d %H:%M:%S}"

    @property
    def anonymized(self) -> bool:
        return bool(self.query.get("anonymized"))


class CaptchaProviderSample(models.Model):
    """One provider's figures in one CaptchaStatsSnapshot."""

    snapshot = models.ForeignKey(
        CaptchaStatsSnapshot, on_delete=models.CASCADE, related_name="providers"
    )
    taken_at = models.DateTimeField(db_index=True)
    provider = models.CharField(max_length=40)
    sample_size = models.IntegerField(null=True, blank=True)
    success_rate = models.FloatField(null=True, blank=True, help_text="percent")
    avg_duration_ms = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["provider"]

    def __str__(self) -> str:
        return f"{self.provider} {self.success_rate}%"
