"""Uploaded originals (Asset) and their copies on Google accounts (AssetUpload).

An asset is stored once, by content (sha256). Using it with a job on an account where it has no
AssetUpload yet uploads it there first (POST /assets/{email}) and records the mediaGenerationId.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from flowdash.useapi import catalog


class AssetQuerySet(models.QuerySet):
    def newest_first(self):
        return self.order_by("-created_at", "-pk")


class Asset(models.Model):
    PNG = "image/png"
    JPEG = "image/jpeg"
    WEBP = "image/webp"
    MP4 = "video/mp4"
    CONTENT_TYPES = [(PNG, "PNG"), (JPEG, "JPEG"), (WEBP, "WebP"), (MP4, "MP4 video")]
    EXTENSIONS = {PNG: "png", JPEG: "jpg", WEBP: "webp", MP4: "mp4"}

    sha256 = models.CharField(max_length=64, unique=True)
    file = models.FileField(upload_to="assets/%Y/%m/", max_length=300)
    thumbnail = models.FileField(upload_to="assets/thumbs/%Y/%m/", max_length=300, blank=True)
    content_type = models.CharField(max_length=20, choices=CONTENT_TYPES)
    size = models.PositiveBigIntegerField(help_text="bytes")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    duration_seconds = models.FloatField(
        null=True, blank=True, help_text="MP4 videos: length read from the file"
    )
    original_name = models.CharField(max_length=255, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assets",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = AssetQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.original_name or f"asset {self.sha256[:12]}"

    def upload_on(self, account) -> AssetUpload | None:
        return self.uploads.filter(account=account).first()

    @property
    def is_video(self) -> bool:
        return self.content_type == self.MP4

    @property
    def extension(self) -> str:
        return self.EXTENSIONS.get(self.content_type, "bin")

    def v2v_problem(self) -> str | None:
        """Why this asset cannot be the source of a V2V edit (``referenceVideo_1``), in words;
        None when it can (an MP4 of at most 10 s, supplement §5.2)."""
        if not self.is_video:
            return "Only an MP4 video can be the source of a video edit."
        if self.duration_seconds is None:
            return "The video's length is unknown; upload it again."
        if self.duration_seconds > catalog.MAX_V2V_SECONDS + 0.05:
            return (
                f"The video is {self.duration_seconds:.1f} s long; a video edit takes at most "
                f"{catalog.MAX_V2V_SECONDS} s."
            )
        return None

    def v2v_end_frame(self) -> int | None:
        """``endFrameIndex_1`` for the whole clip: min(round(seconds × 24), 240)."""
        if self.duration_seconds is None:
            return None
        frames = round(self.duration_seconds * catalog.FRAMES_PER_SECOND)
        return max(1, min(frames, catalog.MAX_V2V_FRAMES))


class AssetUpload(models.Model):
    """The asset on one Google account: the mediaGenerationId POST /assets answered there."""

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="uploads")
    account = models.ForeignKey(
        "accounts.FlowAccount", on_delete=models.CASCADE, related_name="asset_uploads"
    )
    media_generation_id = models.CharField(max_length=300)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["asset", "account"], name="one_upload_per_account")
        ]

    def __str__(self) -> str:
        return f"{self.asset} on {self.account}"
