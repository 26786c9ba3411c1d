"""Result files: fetched at once, streamed to storage, thumbnailed; never silently dropped.

A Media row made from a URL starts ``download_status=pending`` with ``next_download_at`` now.
:func:`download` claims it (conditional update, a lease in ``next_download_at``), streams the
URL to a temporary file (64 KB at a time, from allowed hosts only — ``lib.safe_download``),
reads its facts, makes a thumbnail and moves it into storage. A failure schedules another try
while the signed URL can still work (its ``Expires``, else about a day); after that, or after
too many tries, the row becomes ``lost`` with the reason in words.
"""

from __future__ import annotations

import logging
import os
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from flowdash.gallery import storing
from flowdash.gallery.models import Media
from flowdash.lib import media_files
from flowdash.lib.safe_download import (
    DownloadError,
    DownloadFailed,
    DownloadRefused,
    DownloadTooLarge,
    download_to,
)

logger = logging.getLogger(__name__)

Download = Media.Download
RETRY_DELAYS = (10, 30, 60, 120, 300, 600, 1200, 1800, 3600)
DOWNLOAD_LEASE = timedelta(minutes=15)  # nominal: divided by the job time scale
# A download's lease is never shorter than this (real time): a scaled-down lease must still
# outlast a healthy, slow download (a live try whose lease ran out can be taken by another).
DOWNLOAD_LEASE_FLOOR = timedelta(seconds=30)
# A new result is nudged at once; the reconciler steps in only if that message was lost.
FIRST_TRY_GRACE = timedelta(seconds=60)
URL_LIFETIME = timedelta(hours=24)
THUMB_MAX_BYTES = 20 << 20
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "video/mp4": "mp4"}


# Temporary files of downloads in progress: ``<MEDIA_ROOT>/tmp/media-<pk>-<random>.part``. A
# killed worker leaves its file behind; the next try of the same result removes it, and any
# older than the download lease is removed by age (:func:`clean_temp_files`; also what
# ``check_storage`` can report and clean).
TEMP_DIR = "tmp"
TEMP_PREFIX = "media-{pk}-"
TEMP_SUFFIX = ".part"
TEMP_GLOB = "media-*-*.part"
# lib.safe_download writes a path target through a hidden sibling ``.<name>.<random>.part``
# and renames it at the end: a killed download leaves that one behind instead.
# … and an image answer's inline bytes decoded while it streamed (jobs/handlers.inline_dir)
TEMP_GLOBS = (TEMP_GLOB, "." + TEMP_GLOB + ".*.part", "encodedImage-*.bin")


def temp_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / TEMP_DIR


def temp_files(older_than: timedelta | None = None) -> list[Path]:
    """Download temp files (the :data:`TEMP_GLOB` pattern in :func:`temp_dir`), only those
    untouched for ``older_than`` when given (a live download writes to its file all along)."""
    folder = temp_dir()
    if not folder.is_dir():
        return []
    cutoff = None
    if older_than is not None:
        cutoff = timezone.now().timestamp() - older_than.total_seconds()
    found = []
    for path in (p for pattern in TEMP_GLOBS for p in folder.glob(pattern)):
        try:
            if cutoff is None or path.stat().st_mtime < cutoff:
                found.append(path)
        except FileNotFoundError:  # removed meanwhile
            continue
    return found


def clean_temp_files(older_than: timedelta = DOWNLOAD_LEASE) -> int:
    """Remove download temp files abandoned for longer than a download's lease (a killed
    worker's). Returns how many were removed."""
    removed = 0
    for path in temp_files(older_than):
        path.unlink(missing_ok=True)
        removed += 1
    if removed:
        logger.info("removed %d abandoned download temp files", removed)
    return removed


def _clean_own_leftovers(media: Media) -> None:
    """A new try at a result removes what an earlier, killed try of it left (we hold the
    claim: no other download of this result is live)."""
    own = TEMP_PREFIX.format(pk=media.pk) + "*" + TEMP_SUFFIX
    for pattern in (own, f".{own}.*{TEMP_SUFFIX}"):
        for path in temp_dir().glob(pattern):
            path.unlink(missing_ok=True)


def max_attempts() -> int:
    return int(getattr(settings, "FLOWDASH_DOWNLOAD_MAX_ATTEMPTS", 12))


def max_bytes() -> int:
    return int(getattr(settings, "FLOWDASH_MAX_DOWNLOAD_BYTES", 4 << 30))


def _extra_base() -> str | None:
    from flowdash.accounts.connection import current_connection

    try:
        return current_connection().base_url
    except Exception:  # noqa: BLE001
        return settings.USEAPI_BASE_URL


def url_deadline(media: Media) -> datetime:
    """When the signed URL stops working: its ``Expires`` (GCS v2) or ``X-Goog-Date`` +
    ``X-Goog-Expires`` (v4) when it says, else a day after the result was recorded."""
    try:
        query = parse_qs(urlsplit(media.source_url).query)
    except ValueError:
        query = {}
    try:
        if "Expires" in query:
            return datetime.fromtimestamp(int(query["Expires"][0]), tz=UTC)
        if "X-Goog-Date" in query and "X-Goog-Expires" in query:
            start = datetime.strptime(query["X-Goog-Date"][0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            return start + timedelta(seconds=int(query["X-Goog-Expires"][0]))
    except (ValueError, OverflowError):
        pass
    return (media.created_at or timezone.now()) + URL_LIFETIME


def download_lease() -> timedelta:
    """How long a claimed download holds its row: :data:`DOWNLOAD_LEASE` scaled by the job
    time scale like every other wait (a killed worker's download is taken up again that much
    later), never less than :data:`DOWNLOAD_LEASE_FLOOR` nor more than the nominal lease."""
    from flowdash.jobs.pipeline.timing import time_scale

    scaled = DOWNLOAD_LEASE / time_scale()
    return min(DOWNLOAD_LEASE, max(scaled, DOWNLOAD_LEASE_FLOOR))


def claim(media: Media) -> bool:
    now = timezone.now()
    won = (
        Media.objects.filter(pk=media.pk, download_status=Download.PENDING)
        .filter(
            Q(next_download_at__isnull=True)
            | Q(next_download_at__lte=now)
            | Q(download_attempts=0)  # the first try, nudged at once, need not wait
        )
        .update(
            next_download_at=now + download_lease(), download_attempts=F("download_attempts") + 1
        )
        == 1
    )
    if won:
        media.refresh_from_db()
    return won


# --- holds: a worker process's downloads, waiting or under way ------------------------------------
#
# A worker's download threads (``flowdash.jobs.worker.DownloadThreads``) hold the rows they have
# in hand by writing one future time of their own (a token) into ``next_download_at``: a short
# *queued hold* for the ones waiting for a thread, the full :func:`download_lease` for the ones
# under way. Both are renewed by the process while it lives, so a killed worker's rows fall due
# (and the reconciler sends them again) a short hold later, not a whole lease later; and each
# step is conditional on the token, so a row taken over by someone else is simply skipped.

QUEUED_HOLD = timedelta(seconds=30)  # nominal: divided by the job time scale; < FIRST_TRY_GRACE
QUEUED_HOLD_FLOOR = timedelta(seconds=15)  # real time: outlasts renewals slowed by a busy machine


def queued_hold() -> timedelta:
    """How long a waiting download stays held without being renewed (scaled, floored)."""
    from flowdash.jobs.pipeline.timing import time_scale

    return min(QUEUED_HOLD, max(QUEUED_HOLD / time_scale(), QUEUED_HOLD_FLOOR))


def _pending(media_ids) -> Q:
    return Q(pk__in=list(media_ids), download_status=Download.PENDING) & ~Q(source_url="")


def hold(media_ids: list[int], until: datetime, *, fresh: bool = False) -> list[int]:
    """Take the queued hold of those rows that are pending and due; with ``fresh`` (the first
    hand-over of new results) also of rows never tried, which need not wait for their grace.
    Never a row another worker holds: the reconciler sends only due rows, so two workers never
    take turns at one. Returns the ids held (two statements, whatever their number)."""
    now = timezone.now()
    free = Q(next_download_at__isnull=True) | Q(next_download_at__lte=now)
    if fresh:
        # new and never held: its first try's grace still lies beyond any worker's hold
        free |= Q(download_attempts=0, next_download_at__gt=now + queued_hold())
    ids = [int(i) for i in media_ids]
    if not ids:
        return []
    Media.objects.filter(_pending(ids) & free).update(next_download_at=until)
    return list(
        Media.objects.filter(_pending(ids), next_download_at=until).values_list("pk", flat=True)
    )


def start_held(media_id: int, token: datetime, lease_until: datetime) -> bool:
    """A thread starts on a held row: the try is counted and the hold becomes the lease; False
    when the row is no longer ours (taken over, finished)."""
    return bool(
        Media.objects.filter(_pending([media_id]), next_download_at=token).update(
            next_download_at=lease_until, download_attempts=F("download_attempts") + 1
        )
    )


def renew(media_ids, token: datetime, until: datetime) -> int:
    """Move the rows still holding ``token`` on to ``until``; how many were."""
    ids, renewed = list(media_ids), 0
    for start in range(0, len(ids), 500):
        renewed += Media.objects.filter(
            _pending(ids[start : start + 500]), next_download_at=token
        ).update(next_download_at=until)
    return renewed


def release(media_ids, token: datetime) -> int:
    """Give back held rows that never started (a worker stopping): due at once."""
    return renew(media_ids, token, timezone.now())


def due_media_ids(limit: int = 200) -> list[int]:
    now = timezone.now()
    return list(
        Media.objects.filter(download_status=Download.PENDING)
        .filter(Q(next_download_at__isnull=True) | Q(next_download_at__lte=now))
        .exclude(source_url="")
        .order_by("next_download_at")
        .values_list("pk", flat=True)[:limit]
    )


def download(media: Media) -> Media:
    """One try at fetching the media's file (no-op unless it is pending and due)."""
    if not media.source_url:
        return media
    if not claim(media):
        return media
    return fetch_claimed(media)


def fetch_claimed(media: Media) -> Media:
    """The try itself, once :func:`claim` has taken the row."""
    if not media.source_url:
        return media
    workdir = temp_dir()
    workdir.mkdir(parents=True, exist_ok=True)
    _clean_own_leftovers(media)
    handle, temp_name = tempfile.mkstemp(
        dir=workdir, prefix=TEMP_PREFIX.format(pk=media.pk), suffix=TEMP_SUFFIX
    )
    os.close(handle)
    temp = Path(temp_name)
    try:
        return _fetch(media, temp)
    except Exception as exc:  # a storage or database hiccup: a failed try, not a stuck row
        logger.exception("download of media %s broke", media.pk)
        return _failed(media, DownloadFailed(f"flowdash could not store it ({type(exc).__name__})"))
    finally:
        temp.unlink(missing_ok=True)


def _fetch(media: Media, temp: Path) -> Media:
    try:
        result = download_to(
            media.source_url,
            temp,
            extra_allowed_base=_extra_base(),
            max_bytes=max_bytes(),
        )
    except DownloadError as exc:
        return _failed(media, exc)
    content_type = (result.content_type or "").split(";")[0].strip().lower()
    if content_type not in EXTENSIONS:
        content_type = "video/mp4" if media.kind == Media.Kind.VIDEO else "image/jpeg"
    try:
        facts = storing.facts_of(media.kind, temp)
    except Exception as exc:  # noqa: BLE001 — a file we cannot read is a failed download
        return _failed(media, DownloadFailed(f"the file could not be read ({exc})"))
    name = f"{media.kind}-{media.pk}.{EXTENSIONS[content_type]}"
    with temp.open("rb") as fh:
        storing.save_whole(media.file, name, fh)
    media.content_type = content_type
    media.file_size = result.bytes_written
    media.width, media.height, media.duration_seconds = facts
    _thumbnail(media, temp)
    media.download_status = Download.STORED
    media.download_error = ""
    media.next_download_at = None
    media.save()
    return media


def _thumbnail(media: Media, path: Path) -> None:
    data = None
    if media.kind == Media.Kind.VIDEO and media.thumbnail_url:
        data = _thumbnail_from_url(media)
    if data is None:
        data = storing.thumbnail_of(media.kind, path)
    storing.save_thumbnail(media, data)


def _thumbnail_from_url(media: Media) -> bytes | None:
    """The API's own thumbnail (``servingBaseUri``), made into our JPEG; None if it fails."""
    buffer = tempfile.SpooledTemporaryFile(max_size=THUMB_MAX_BYTES)  # noqa: SIM115
    try:
        download_to(
            media.thumbnail_url,
            buffer,
            extra_allowed_base=_extra_base(),
            max_bytes=THUMB_MAX_BYTES,
            timeout=(10.0, 30.0),
        )
        buffer.seek(0)
        return media_files.image_thumbnail(buffer)
    except Exception:  # noqa: BLE001 — the first frame of the video will do
        logger.info("thumbnail of media %s not fetched; using the first frame", media.pk)
        return None
    finally:
        buffer.close()


def _failed(media: Media, exc: Exception) -> Media:
    """Schedule another try while the URL lives; else mark the result lost, in words."""
    reason = str(exc)
    attempts = media.download_attempts
    delay = timedelta(seconds=RETRY_DELAYS[min(attempts - 1, len(RETRY_DELAYS) - 1)])
    now = timezone.now()
    permanent = isinstance(exc, DownloadRefused | DownloadTooLarge)
    expired = now + delay > url_deadline(media)
    if permanent or expired or attempts >= max_attempts():
        if permanent:
            why = f"The result could not be downloaded: {reason}."
        elif expired:
            why = (
                f"The result's link expired before it could be downloaded "
                f"({attempts} tries; last error: {reason})."
            )
        else:
            why = (
                f"The result could not be downloaded after {attempts} tries (last error: {reason})."
            )
        logger.warning("media %s lost: %s", media.pk, why)
        Media.objects.filter(pk=media.pk, download_status=Download.PENDING).update(
            download_status=Download.LOST, download_error=why, next_download_at=None
        )
    else:
        Media.objects.filter(pk=media.pk, download_status=Download.PENDING).update(
            download_error=f"Try {attempts} failed ({reason}); trying again.",
            next_download_at=now + delay,
        )
    media.refresh_from_db()
    return media
