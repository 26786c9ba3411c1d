"""Media: every result file kept on our storage, with lineage, favourites, tags and collections."""

from __future__ import annotations

import re
import unicodedata

from django.conf import settings
from django.db import models
from django.db.models import Q

_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)


def search_words(text: str) -> list[str]:
    """Lower-case, accent-free words of ``text``: the same rule for stored text and queries."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return [w for w in _NOT_WORD.split(plain) if w]


def search_text_for(prompt: str, name: str = "") -> str:
    """The ``search_text`` column: words separated and surrounded by single spaces, so a word
    prefix is found with ``LIKE '% word%'`` on any database."""
    words = search_words(f"{prompt} {name}")
    return f" {' '.join(words)} " if words else ""


class MediaQuerySet(models.QuerySet):
    def stored(self):
        return self.filter(download_status=Media.Download.STORED)

    def shown(self):
        """Not archived: what the gallery shows unless asked for the archive."""
        return self.filter(archived=False)

    def newest_first(self):
        return self.order_by("-created_at", "-pk")

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for obj in objs:
            obj.search_text = search_text_for(obj.prompt, obj.name)
        return super().bulk_create(objs, *args, **kwargs)

    def matching(self, query: str, max_words: int = 8):
        """Items whose prompt (or name) has every word of ``query`` as a word or word start."""
        words = search_words(query)[:max_words]
        return self.filter(*[Q(search_text__contains=f" {word[:60]}") for word in words])


class Media(models.Model):
    class Kind(models.TextChoices):
        IMAGE = "image", "Image"
        VIDEO = "video", "Video"
        GIF = "gif", "GIF"

    class Origin(models.TextChoices):
        GENERATED = "generated", "Generated"
        UPLOADED = "uploaded", "Uploaded"
        UPSCALED = "upscaled", "Upscaled"
        EXTENDED = "extended", "Extended"
        JOINED = "joined", "Joined"
        GIF = "gif", "GIF of a video"

    class Download(models.TextChoices):
        PENDING = "pending", "Downloading"
        STORED = "stored", "Stored"
        LOST = "lost", "Lost"

    kind = models.CharField(max_length=10, choices=Kind.choices, db_index=True)
    origin = models.CharField(max_length=12, choices=Origin.choices, default=Origin.GENERATED)
    file = models.FileField(upload_to="media/%Y/%m/", max_length=300, blank=True)
    thumbnail = models.FileField(upload_to="media/thumbs/%Y/%m/", max_length=300, blank=True)
    content_type = models.CharField(max_length=40, blank=True)
    file_size = models.PositiveBigIntegerField(null=True, blank=True)

    # The result as the API described it.
    media_generation_id = models.CharField(max_length=300, blank=True, db_index=True)
    source_url = models.TextField(blank=True, help_text="signed URL; dies within about a day")
    thumbnail_url = models.TextField(blank=True)
    name = models.CharField(max_length=300, blank=True)
    account = models.ForeignKey(
        "accounts.FlowAccount",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="media",
    )
    account_email = models.CharField(max_length=254, blank=True)
    prompt = models.TextField(blank=True)
    model = models.CharField(max_length=60, blank=True, db_index=True)
    seed = models.BigIntegerField(null=True, blank=True)
    aspect_ratio = models.CharField(max_length=60, blank=True, db_index=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    resolution = models.CharField(
        max_length=10, blank=True, help_text="upscales: 2k, 4k, 1080p, 4K"
    )
    # Extends: the seconds at its start that repeat the end of its source.
    overlap_seconds = models.FloatField(null=True, blank=True)

    job = models.ForeignKey(
        "jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="media"
    )
    asset = models.OneToOneField(
        "assets.Asset", null=True, blank=True, on_delete=models.CASCADE, related_name="media"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="media",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    download_status = models.CharField(
        max_length=10, choices=Download.choices, default=Download.PENDING
    )
    download_attempts = models.PositiveIntegerField(default=0)
    download_error = models.TextField(blank=True)
    next_download_at = models.DateTimeField(null=True, blank=True)

    # Filed away by a Compare view's "keep this one"; the gallery hides archived items by default.
    archived = models.BooleanField(default=False, db_index=True)

    # Normalised words of prompt and name (see search_text_for); kept by save() and bulk_create.
    search_text = models.TextField(blank=True, default="", editable=False)

    favourited_by = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="favourite_media", through="Favourite"
    )
    tags = models.ManyToManyField("Tag", blank=True, related_name="media", through="Tagging")

    objects = MediaQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "media"
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="media_newest"),
            # What the grid reads (not archived, newest first) and what each card's cache key
            # needs, in the index itself: PostgreSQL walks it without visiting the table, e.g.
            # past the 99 of 100 items a favourites+tag page tests and skips. (SQLite has no
            # INCLUDE and makes it a plain partial index.)
            models.Index(
                fields=["-created_at", "-id"],
                name="media_shown_newest",
                include=["download_status"],
                condition=models.Q(archived=False),
            ),
            # The same columns found by id: a favourites or tag filter with few rows names its
            # items by id, and each is then read from the index alone, not from its wide row
            # (favourites+tag at 100,000 items: 4.5 ms to 2.4 ms on SQLite, 6.3 to 2.2 ms on
            # PostgreSQL). Not partial: SQLite's planner does not use a partial one here.
            models.Index(
                fields=["id", "created_at", "download_status", "archived"],
                name="media_shown_by_id",
            ),
            # The gallery's filters walk these newest first and stop after one page.
            models.Index(fields=["kind", "-created_at", "-id"], name="media_kind_newest"),
            models.Index(fields=["model", "-created_at", "-id"], name="media_model_newest"),
            models.Index(fields=["aspect_ratio", "-created_at", "-id"], name="media_aspect_newest"),
            models.Index(fields=["created_by", "-created_at", "-id"], name="media_creator_newest"),
            models.Index(fields=["account", "-created_at", "-id"], name="media_account_newest"),
        ]

    def __str__(self) -> str:
        words = " ".join(self.prompt.split()[:6])
        return f"{self.get_kind_display()} {self.pk}" + (f": {words}" if words else "")

    def save(self, *args, **kwargs):
        self.search_text = search_text_for(self.prompt, self.name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and ({"prompt", "name"} & set(update_fields)):
            kwargs["update_fields"] = {*update_fields, "search_text"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("gallery:detail", args=[self.pk])


class ItemRowQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        """Each row gets its item's ``created_at`` (one query per 10,000 rows): this is how
        ``media.favourited_by.add(…)``, ``tag.media.add(…)`` and the like write rows."""
        objs = list(objs)
        missing = list({obj.media_id for obj in objs if obj.media_created_at is None})
        if missing:
            moments = {}
            for start in range(0, len(missing), 10_000):  # SQLite takes 32,766 parameters
                ids = missing[start : start + 10_000]
                rows = Media.objects.filter(pk__in=ids).values_list("pk", "created_at")
                moments.update(rows.order_by())
            for obj in objs:
                if obj.media_created_at is None:
                    obj.media_created_at = moments.get(obj.media_id)
        return super().bulk_create(objs, *args, **kwargs)


class ItemRow(models.Model):
    """A row that names a gallery item (its ``media``) and keeps the item's ``created_at``, so
    that the rows of one person (favourites) or one tag can be read in the gallery's order,
    newest first, from one index, and a page of them stops after one page. Without it such a
    page walked the whole gallery newest first and looked each item up: with 1% of the items
    named, 100 rows read per card shown, which grows with the gallery. An item's
    ``created_at`` is set once, when it is made, and never changes."""

    media_created_at = models.DateTimeField()

    objects = ItemRowQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.media_created_at is None:
            self.media_created_at = Media.objects.values_list("created_at", flat=True).get(
                pk=self.media_id
            )
        super().save(*args, **kwargs)


class Favourite(ItemRow):
    """Someone's favourite item: the rows of ``Media.favourited_by`` (see ItemRow)."""

    media = models.ForeignKey(Media, on_delete=models.CASCADE, related_name="favourite_rows")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        # The table Django made for the relation before it had a model of its own.
        db_table = "gallery_media_favourited_by"
        unique_together = [("media", "user")]
        indexes = [
            models.Index(fields=["user", "-media_created_at", "-media"], name="favourite_newest")
        ]

    def __str__(self) -> str:
        return f"{self.media_id} by {self.user_id}"


class Tagging(ItemRow):
    """An item's tag: the rows of ``Media.tags`` (see ItemRow)."""

    media = models.ForeignKey(Media, on_delete=models.CASCADE, related_name="tagging_rows")
    tag = models.ForeignKey("Tag", on_delete=models.CASCADE, related_name="+")

    class Meta:
        # The table Django made for the relation before it had a model of its own.
        db_table = "gallery_media_tags"
        unique_together = [("media", "tag")]
        indexes = [
            models.Index(fields=["tag", "-media_created_at", "-media"], name="tagging_newest")
        ]

    def __str__(self) -> str:
        return f"{self.media_id} tagged {self.tag_id}"


class Lineage(models.Model):
    """`media` came from `source`: upscaled from, extended from, a GIF of, or joined from
    (several rows, ordered by `position`, with the trims used)."""

    class Relation(models.TextChoices):
        UPSCALED_FROM = "upscaled_from", "Upscaled from"
        EXTENDED_FROM = "extended_from", "Extended from"
        GIF_OF = "gif_of", "GIF of"
        JOINED_FROM = "joined_from", "Joined from"
        REFERENCE = "reference", "Used as reference"
        START_FRAME = "start_frame", "Start frame"
        END_FRAME = "end_frame", "End frame"

    media = models.ForeignKey(Media, on_delete=models.CASCADE, related_name="sources")
    source = models.ForeignKey(Media, on_delete=models.CASCADE, related_name="derived")
    relation = models.CharField(max_length=20, choices=Relation.choices)
    position = models.PositiveSmallIntegerField(default=0)
    trim_start = models.FloatField(null=True, blank=True)
    trim_end = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["media", "position", "pk"]

    def __str__(self) -> str:
        return f"{self.media_id} {self.relation} {self.source_id}"


class Tag(models.Model):
    name = models.CharField(max_length=50, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Collection(models.Model):
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    cover = models.ForeignKey(
        Media, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="collections",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    items = models.ManyToManyField(Media, through="CollectionItem", related_name="collections")

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class CollectionItem(models.Model):
    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="entries")
    media = models.ForeignKey(Media, on_delete=models.CASCADE, related_name="collection_entries")
    position = models.PositiveIntegerField(default=0)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["collection", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["collection", "media"], name="media_once_per_collection"
            )
        ]

    def __str__(self) -> str:
        return f"{self.media_id} in {self.collection_id}"
