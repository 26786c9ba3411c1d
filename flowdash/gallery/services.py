"""Gallery work on stored files: readable names, thumbnails, serving, deleting, zips, checks.

Files are reached only through Django's storage API (``default_storage`` / the field's
storage), so a deployment may keep media on S3-compatible storage as well as on local disk.
"""

from __future__ import annotations

import mimetypes
import os
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone

from flowdash.assets.models import Asset
from flowdash.gallery.models import Collection, Media, search_words
from flowdash.lib.media_files import image_thumbnail, video_thumbnail
from flowdash.lib.storage_files import local_path

CHUNK = 256 * 1024
EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "image/gif": ".gif",
    "video/mp4": ".mp4",
    "video/webm": ".webm",
    "video/quicktime": ".mov",
}
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


# --- names ---------------------------------------------------------------------------------------


def extension_of(media: Media) -> str:
    ext = os.path.splitext(media.file.name or "")[1].lower()
    if ext:
        return ext
    return EXTENSIONS.get(media.content_type, ".bin")


def content_type_of(media: Media) -> str:
    if media.content_type:
        return media.content_type
    guessed, _ = mimetypes.guess_type(media.file.name or "")
    return guessed or "application/octet-stream"


def download_name(media: Media, max_words: int = 8) -> str:
    """A file name people can read: the prompt's first words, the seed, the extension."""
    words = [w for w in search_words(media.prompt)[:max_words] if w.isascii()]
    stem = "-".join(words)[:80].strip("-") or f"{media.kind}-{media.pk}"
    if media.seed is not None:
        stem += f"-seed{media.seed}"
    return stem + extension_of(media)


def download_name_for_collection(collection: Collection) -> str:
    words = [w for w in search_words(collection.name)[:8] if w.isascii()]
    return ("-".join(words)[:80].strip("-") or f"collection-{collection.pk}") + ".zip"


# --- thumbnails ----------------------------------------------------------------------------------


def ensure_thumbnail(media: Media) -> bool:
    """Make the item's thumbnail once, from its stored file. True when one exists afterwards."""
    if media.thumbnail and media.thumbnail.storage.exists(media.thumbnail.name):
        return True
    if not media.file or not media.file.storage.exists(media.file.name):
        return False
    try:
        if media.kind == Media.Kind.VIDEO:
            data = _video_thumbnail(media)
        else:
            with media.file.open("rb") as handle:
                data = image_thumbnail(handle)
    except Exception:  # noqa: BLE001 - a broken file gets no thumbnail, the page still works
        return False
    if not data:
        return False
    media.thumbnail.save(f"{media.pk}.jpg", ContentFile(data), save=False)
    Media.objects.filter(pk=media.pk).update(thumbnail=media.thumbnail.name)
    return True


def _video_thumbnail(media: Media) -> bytes | None:
    with local_path(media.file.storage, media.file.name) as path:
        return video_thumbnail(path)


# --- serving -------------------------------------------------------------------------------------


def _chunks(handle, length: int) -> Iterator[bytes]:
    try:
        remaining = length
        while remaining > 0:
            data = handle.read(min(CHUNK, remaining))
            if not data:
                break
            remaining -= len(data)
            yield data
    finally:
        handle.close()


def file_response(
    storage, name: str, content_type: str, range_header: str = "", attachment: str | None = None
) -> HttpResponse:
    """Stream a stored file, whole (200) or one byte range (206), with its length.

    Browsers' video players ask for ranges to seek; a range outside the file gets 416.
    """
    size = storage.size(name)
    start, end, status = 0, size - 1, 200
    match = _RANGE.match(range_header.strip()) if range_header else None
    if match and (match.group(1) or match.group(2)):
        first, last = match.group(1), match.group(2)
        if first:
            start = int(first)
            end = min(int(last), size - 1) if last else size - 1
        else:  # the last N bytes
            start = max(size - int(last), 0)
        if start >= size or start > end:
            response = HttpResponse(status=416)
            response["Content-Range"] = f"bytes */{size}"
            return response
        status = 206
    handle = storage.open(name, "rb")
    if start:
        handle.seek(start)
    length = end - start + 1 if size else 0
    response = StreamingHttpResponse(_chunks(handle, length), status=status)
    response["Content-Type"] = content_type
    response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    if status == 206:
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    if attachment:
        from django.utils.http import content_disposition_header

        response["Content-Disposition"] = content_disposition_header(True, attachment)
    return response


# --- deleting ------------------------------------------------------------------------------------


def delete_media(media: Media) -> None:
    """Delete the row, then its files once the deletion is committed."""
    names = [(f.storage, f.name) for f in (media.file, media.thumbnail) if f]

    def remove_files() -> None:
        for storage, name in names:
            if Media.objects.filter(file=name).exists():
                continue  # another row shares it (e.g. a copy); keep the file
            if Asset.objects.filter(Q(file=name) | Q(thumbnail=name)).exists():
                continue  # an uploaded original: the asset keeps its files
            storage.delete(name)

    with transaction.atomic():
        media.delete()
        transaction.on_commit(remove_files)


# --- collections as zip --------------------------------------------------------------------------


class _Pipe:
    """A write-only, unseekable file: zipfile writes into it, the response reads from it."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.written = 0

    def write(self, data: bytes) -> int:
        if data:
            self.parts.append(bytes(data))
            self.written += len(data)
        return len(data)

    def tell(self) -> int:
        return self.written

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data, self.parts = b"".join(self.parts), []
        return data


def zip_entries(collection: Collection) -> list[tuple[str, Media]]:
    """(name in the zip, item) in the collection's order; names are unique and readable."""
    return numbered_entries(
        entry.media
        for entry in collection.entries.select_related("media").order_by("position", "pk")
    )


def numbered_entries(items: Iterable[Media]) -> list[tuple[str, Media]]:
    """(name in the zip, item) for the items with a file, numbered in the given order."""
    entries, seen = [], set()
    media_list = [media for media in items if media.file]
    width = max(2, len(str(len(media_list))))
    for number, media in enumerate(media_list, start=1):
        name = f"{number:0{width}d}-{download_name(media)}"
        while name in seen:
            name = f"{media.pk}-{name}"
        seen.add(name)
        entries.append((name, media))
    return entries


def stream_zip(entries: Iterable[tuple[str, Media]]) -> Iterator[bytes]:
    """The zip, a piece at a time: memory stays at about one read chunk whatever the sizes.

    Media files are already compressed, so entries are stored, not deflated. Files missing
    from storage are skipped and listed in MISSING.txt at the end.
    """
    pipe = _Pipe()
    missing = []
    with zipfile.ZipFile(pipe, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for name, media in entries:
            storage = media.file.storage
            try:
                source = storage.open(media.file.name, "rb")
            except (FileNotFoundError, OSError):
                missing.append(name)
                continue
            info = zipfile.ZipInfo(name, date_time=_zip_time(media.created_at))
            info.compress_type = zipfile.ZIP_STORED
            info.file_size = media.file_size or 0
            with source, zf.open(info, "w", force_zip64=True) as target:
                for chunk in iter(lambda source=source: source.read(CHUNK), b""):
                    target.write(chunk)
                    if pipe.parts:
                        yield pipe.take()
            yield pipe.take()
        if missing:
            zf.writestr("MISSING.txt", "Missing from storage:\n" + "\n".join(missing) + "\n")
    yield pipe.take()


def _zip_time(moment: datetime) -> tuple[int, int, int, int, int, int]:
    local = timezone.localtime(moment)
    year = max(local.year, 1980)
    return (year, local.month, local.day, local.hour, local.minute, local.second)


# --- storage check -------------------------------------------------------------------------------


@dataclass
class StorageReport:
    missing: list[Media] = field(default_factory=list)
    missing_thumbnails: list[Media] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)
    young_orphans: list[str] = field(default_factory=list)


def walk(storage, folder: str) -> Iterator[str]:
    try:
        dirs, files = storage.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return
    for name in files:
        yield f"{folder}/{name}" if folder else name
    for sub in dirs:
        yield from walk(storage, f"{folder}/{sub}" if folder else sub)


def check_storage(
    storage=None, folder: str = "media", grace: timedelta = timedelta(hours=1)
) -> StorageReport:
    """Compare the Media rows with the files under ``folder``.

    Missing: a stored item whose file is gone. Orphan: a file under ``folder`` that no row
    names, older than ``grace`` (a younger one may belong to a download in progress).
    """
    storage = storage or default_storage
    report = StorageReport()
    known: set[str] = set()
    rows = Media.objects.only("pk", "kind", "prompt", "file", "thumbnail", "download_status")
    for media in rows.iterator(chunk_size=2000):
        for f in (media.file, media.thumbnail):
            if f:
                known.add(f.name)
        if media.download_status == Media.Download.STORED and (
            not media.file or not storage.exists(media.file.name)
        ):
            report.missing.append(media)
        elif media.thumbnail and not storage.exists(media.thumbnail.name):
            report.missing_thumbnails.append(media)
    now = timezone.now()
    for name in walk(storage, folder):
        if name in known or name.startswith(f"{QUARANTINE}/"):
            continue
        try:
            young = now - storage.get_modified_time(name) < grace
        except (NotImplementedError, OSError):
            young = False
        (report.young_orphans if young else report.orphans).append(name)
    return report


QUARANTINE = "media/quarantine"


def repair_storage(report: StorageReport, storage=None) -> list[str]:
    """Mark missing items lost, forget missing thumbnails, move orphans to the quarantine.

    Orphans are moved, not deleted, so a mistake can be undone by moving a file back.
    Returns where each orphan went.
    """
    storage = storage or default_storage
    for media in report.missing:
        Media.objects.filter(pk=media.pk).update(
            download_status=Media.Download.LOST,
            download_error="The file is missing from storage (found by check_storage).",
        )
    for media in report.missing_thumbnails:
        Media.objects.filter(pk=media.pk).update(thumbnail="")
    moved = []
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    for name in report.orphans:
        relative = name.split("/", 1)[1] if "/" in name else name
        target = f"{QUARANTINE}/{stamp}/{relative}"
        with storage.open(name, "rb") as source:
            saved = storage.save(target, source)
        storage.delete(name)
        moved.append(saved)
    return moved
