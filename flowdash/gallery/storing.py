"""The one path that stores a file: a result's, a post-production output's or an asset's.

A stored file gets its facts (size, content type, frame size, length) and a thumbnail, and a
failed write leaves nothing behind. :func:`media_from_item` is the one builder of a Media row
from an API media item: inline bytes are stored at once, a URL is left pending for the
downloads (``jobs/downloads.py``).

Nothing here talks to the API or imports the jobs app: the pipeline, post-production and the
assets call in.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from django.core.files import File
from django.core.files.base import ContentFile

from flowdash.gallery.models import Media
from flowdash.lib import media_files
from flowdash.lib.storage_files import local_path

if TYPE_CHECKING:
    from django.db.models.fields.files import FieldFile

    from flowdash.useapi.types import MediaItem

logger = logging.getLogger(__name__)

Kind = Media.Kind
EXTENSIONS = {Kind.IMAGE: "jpg", Kind.VIDEO: "mp4", Kind.GIF: "gif"}
CONTENT_TYPES = {Kind.IMAGE: "image/jpeg", Kind.VIDEO: "video/mp4", Kind.GIF: "image/gif"}


def save_whole(field_file: FieldFile, name: str, content) -> None:
    """Save ``content`` into the field's storage under ``name``, or leave nothing: a failed
    write (a full disk) removes the partial file it left, instead of keeping it forever."""
    storage = field_file.storage
    target = field_file.field.generate_filename(field_file.instance, name)
    target = storage.get_available_name(target, max_length=field_file.field.max_length)
    try:
        saved = storage.save(
            target, File(content, name=name), max_length=field_file.field.max_length
        )
    except Exception:
        try:
            storage.delete(target)
        except Exception:  # noqa: BLE001 — the original error matters more
            logger.warning("could not remove the partial file %s", target)
        raise
    setattr(field_file.instance, field_file.field.attname, saved)


def facts_of(kind: str, source: str | Path) -> tuple[int | None, int | None, float | None]:
    """Width, height and length (videos) of a local file; raises when it cannot be read."""
    if kind == Kind.VIDEO:
        facts = media_files.video_facts(source)
        return facts.width, facts.height, facts.duration_seconds
    width, height = media_files.image_size(source)
    return width, height, None


def thumbnail_of(kind: str, source: str | Path | BinaryIO) -> bytes | None:
    """A JPEG thumbnail of a local file (a video's first frame); raises when it cannot be read."""
    if kind == Kind.VIDEO:
        return media_files.video_thumbnail(source)  # type: ignore[arg-type]
    return media_files.image_thumbnail(source)


def save_thumbnail(media, data: bytes | None) -> None:
    """Keep ``data`` as the row's thumbnail (``thumb-<pk>.jpg`` under the field's folder)."""
    if data:
        save_whole(media.thumbnail, f"thumb-{media.pk or 'new'}.jpg", ContentFile(data))


def store_file(media: Media, name: str) -> Media:
    """A file already in the media storage (``name``) becomes the row's stored file: size,
    content type, frame size, length and thumbnail read from it. A file the decoders cannot
    read is kept without facts. The row is not saved."""
    media.file.name = name
    storage = media.file.storage
    media.file_size = storage.size(name)
    media.content_type = CONTENT_TYPES.get(media.kind, "application/octet-stream")
    thumb = None
    with local_path(storage, name) as path:
        try:
            media.width, media.height, duration = facts_of(media.kind, path)
            if duration is not None:
                media.duration_seconds = duration
            thumb = thumbnail_of(media.kind, path)
        except Exception:  # noqa: BLE001 — a file PyAV/Pillow cannot read keeps no facts
            logger.warning("media %s: file %s could not be read", media.pk, name)
    save_thumbnail(media, thumb)
    media.download_status = Media.Download.STORED
    media.next_download_at = None
    return media


def store_inline(media: Media, item: MediaItem) -> Media:
    """An item's inline bytes stored as the saved row's file, then :func:`store_file`; none
    left behind if the disk fills. Bytes the client decoded into a local file while the answer
    streamed (``item.file``) are copied from it in chunks and the file removed; only an answer
    read whole leaves them in ``item.encoded``."""
    ext = EXTENSIONS.get(media.kind, "bin")
    name = f"{media.kind}-{media.pk}.{ext}"
    if item.file:
        decoded = Path(item.file)
        try:
            with decoded.open("rb") as fh:
                save_whole(media.file, name, fh)
        finally:
            decoded.unlink(missing_ok=True)
    else:
        data = item.decode() or b""
        save_whole(media.file, name, ContentFile(data))
        del data
    store_file(media, media.file.name)
    media.save()
    return media


def media_from_item(item: MediaItem, *, first_try_at: datetime | None = None, **fields) -> Media:
    """The one builder of a Media row from an API media item, saved: ``fields`` say what the
    request and its sources know (kind, origin, prompt, model, job, account, …); the item adds
    its id, links and name. Inline bytes are stored at once; a URL stays pending, its first
    download due at ``first_try_at``."""
    media = Media(**fields)
    media.media_generation_id = item.media_generation_id or media.media_generation_id
    media.source_url = item.url or ""
    media.thumbnail_url = item.thumbnail_url or ""
    media.name = (item.name or "")[:300]
    media.download_status = Media.Download.PENDING
    media.next_download_at = first_try_at
    media.save()
    if item.encoded or item.file:
        store_inline(media, item)
    return media
