"""Uploaded originals: checked by content, stored once by sha256, thumbnailed, shown in the gallery.

PNG, JPEG and WebP images (20 MB) and MP4 videos (100 MB, their length read with PyAV; the
source of a V2V edit) are accepted, decided by the bytes, never by the name.

Nothing here talks to the API: putting an asset on a Google account is an ``asset_upload`` job.
"""

from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import dataclass
from typing import BinaryIO

import av
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from PIL import Image, UnidentifiedImageError

from flowdash.assets.models import Asset
from flowdash.gallery import storing
from flowdash.gallery.models import Media
from flowdash.jobs.models import Job
from flowdash.lib.media_files import image_thumbnail
from flowdash.useapi import catalog
from flowdash.useapi import validation as check

logger = logging.getLogger(__name__)

# A 20 MB PNG can claim billions of pixels (a "decompression bomb"): the header is read first and
# anything larger than this is refused before a single pixel is decoded.
MAX_PIXELS = 50_000_000
# content type -> (Pillow format, file extension); videos are read with PyAV instead.
IMAGE_FORMATS = {
    Asset.PNG: ("PNG", "png"),
    Asset.JPEG: ("JPEG", "jpg"),
    Asset.WEBP: ("WEBP", "webp"),
}
# What the first bytes say a file is. Kinds we refuse are named too, so the words are clear.
_FOREIGN = {"image/gif": "a GIF image", "image/heic": "a HEIC image", "video/quicktime": "a MOV"}
ACCEPTED_WORDS = "PNG, JPEG or WebP images, or MP4 videos"


class InvalidUpload(ValueError):
    """The file is not one we accept; the message says why, in words for people."""


@dataclass(frozen=True)
class CheckedImage:
    content_type: str
    width: int
    height: int
    size: int
    sha256: str
    extension: str
    duration_seconds: float | None = None
    thumbnail: bytes | None = None  # videos: a JPEG of the first frame, made while checking


def sniff(head: bytes) -> str | None:
    """The content type the first bytes of a file show (None: nothing we know)."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Asset.PNG
    if head.startswith(b"\xff\xd8\xff"):
        return Asset.JPEG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Asset.WEBP
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand.startswith(b"qt"):
            return "video/quicktime"
        if brand in (b"heic", b"heix", b"mif1", b"msf1"):
            return "image/heic"
        return Asset.MP4
    return None


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def check_image(upload: BinaryIO, size: int, declared: str | None = None) -> CheckedImage:
    """Decide by content whether ``upload`` is a PNG, JPEG, WebP or MP4 we accept.

    The name is ignored; ``declared`` (the type the browser sent) only sharpens the words when
    it disagrees with the content ("a WebP that is really a GIF").
    """
    if size == 0:
        raise InvalidUpload("The file is empty.")
    upload.seek(0)
    content_type = sniff(upload.read(16))
    if content_type not in Asset.EXTENSIONS:
        what = _FOREIGN.get(content_type or "", "not a PNG, JPEG, WebP or MP4 file")
        claimed = dict(Asset.CONTENT_TYPES).get(declared or "")
        if claimed:
            raise InvalidUpload(
                f"The file says it is {claimed} but its content is {what}; the API accepts "
                f"{ACCEPTED_WORDS}."
            )
        raise InvalidUpload(f"This file's content is {what}; the API accepts {ACCEPTED_WORDS}.")
    limit = check.ASSET_LIMITS[content_type]
    if size > limit:
        what = "a video" if content_type == Asset.MP4 else "an image"
        raise InvalidUpload(
            f"The file is {_megabytes(size)}; the API accepts at most "
            f"{limit // (1024 * 1024)} MB for {what}."
        )
    if content_type == Asset.MP4:
        facts = _check_video(upload)
    else:
        facts = _check_picture(upload, content_type)
    upload.seek(0)
    digest = hashlib.sha256()
    for chunk in iter(lambda: upload.read(1 << 16), b""):
        digest.update(chunk)
    upload.seek(0)
    width, height, duration, thumbnail = facts
    return CheckedImage(
        content_type,
        width,
        height,
        size,
        digest.hexdigest(),
        Asset.EXTENSIONS[content_type],
        duration,
        thumbnail,
    )


def _check_picture(upload: BinaryIO, content_type: str) -> tuple[int, int, None, None]:
    pillow_format, _ = IMAGE_FORMATS[content_type]
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            if image.format != pillow_format:
                raise InvalidUpload("The file's content does not match its image type.")
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise InvalidUpload(
                    f"The image claims {width}×{height} pixels; at most "
                    f"{MAX_PIXELS // 1_000_000} megapixels are accepted."
                )
            if getattr(image, "is_animated", False):
                raise InvalidUpload("An animated WebP is not accepted: upload a still image.")
            image.verify()
        upload.seek(0)
        with Image.open(upload) as image:
            image.load()  # verify() does not decode JPEG data; a truncated file fails here
    except InvalidUpload:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidUpload(
            f"The image has too many pixels; at most {MAX_PIXELS // 1_000_000} megapixels are "
            "accepted."
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise InvalidUpload("The image is damaged or cannot be read.") from None
    return width, height, None, None


def _check_video(upload: BinaryIO) -> tuple[int, int, float, bytes | None]:
    """Open an MP4 with PyAV: an H.264/H.265/AV1… video stream, its size, its length (from the
    stream, else the container, else by counting frames) and a JPEG of its first frame."""
    upload.seek(0)
    try:
        with av.open(upload, mode="r", format="mp4") as container:
            stream = next(iter(container.streams.video), None)
            if stream is None:
                raise InvalidUpload("The MP4 has no video track.")
            width, height = stream.codec_context.width, stream.codec_context.height
            if not width or not height or width * height > MAX_PIXELS:
                raise InvalidUpload("The video's picture size cannot be read or is too large.")
            duration = None
            if stream.duration is not None and stream.time_base is not None:
                duration = float(stream.duration * stream.time_base)
            elif container.duration is not None:
                duration = container.duration / 1_000_000
            thumbnail = None
            frames = 0
            for frame in container.decode(stream):
                if thumbnail is None:
                    still = io.BytesIO()
                    frame.to_image().save(still, "PNG")
                    thumbnail = image_thumbnail(still)
                frames += 1
                if duration is not None:
                    break  # the length is known: one decoded frame proves the track plays
            if frames == 0:
                raise InvalidUpload("The MP4 holds no video frame that can be decoded.")
            if duration is None:
                rate = float(stream.average_rate or catalog.FRAMES_PER_SECOND)
                duration = frames / rate
    except InvalidUpload:
        raise
    except (av.error.FFmpegError, ValueError, OSError, IndexError):
        raise InvalidUpload(
            "This is not a playable MP4 video (it is damaged or not an MP4)."
        ) from None
    if duration <= 0:
        raise InvalidUpload("The video's length cannot be read.")
    return width, height, round(duration, 3), thumbnail


@dataclass(frozen=True)
class StoredAsset:
    asset: Asset
    created: bool


def store_asset(upload: BinaryIO, *, name: str, size: int, user=None) -> StoredAsset:
    """Keep a checked image once (by sha256) with a thumbnail and a gallery row.

    Raises :class:`InvalidUpload`. The same bytes uploaded again give back the existing asset.
    """
    checked = check_image(upload, size, getattr(upload, "content_type", None))
    existing = Asset.objects.filter(sha256=checked.sha256).first()
    if existing is not None:
        if not Media.objects.filter(asset=existing).exists():
            _gallery_row(existing, user)  # its gallery entry was deleted: uploading brings it back
        return StoredAsset(existing, False)
    stem = checked.sha256[:24]
    thumb = checked.thumbnail
    if thumb is None and checked.content_type != Asset.MP4:
        try:
            thumb = storing.thumbnail_of(Media.Kind.IMAGE, upload)
        except Exception:  # noqa: BLE001 — a thumbnail is a convenience, the original counts
            logger.warning("no thumbnail for asset %s", stem, exc_info=True)
    upload.seek(0)
    asset = Asset(
        sha256=checked.sha256,
        content_type=checked.content_type,
        size=checked.size,
        width=checked.width,
        height=checked.height,
        duration_seconds=checked.duration_seconds,
        original_name=(name or "")[:255],
        uploaded_by=user,
    )
    storing.save_whole(asset.file, f"{stem}.{checked.extension}", upload)
    if thumb:
        storing.save_whole(asset.thumbnail, f"{stem}.jpg", ContentFile(thumb))
    try:
        with transaction.atomic():
            asset.save()
            _gallery_row(asset, user)
    except IntegrityError:
        # Someone stored the same bytes a moment ago: theirs wins, ours goes.
        _delete_files(asset)
        return StoredAsset(Asset.objects.get(sha256=checked.sha256), False)
    return StoredAsset(asset, True)


def _gallery_row(asset: Asset, user) -> Media:
    """The upload as the gallery shows it: the same stored files, nothing copied."""
    return Media.objects.create(
        kind=Media.Kind.VIDEO if asset.is_video else Media.Kind.IMAGE,
        origin=Media.Origin.UPLOADED,
        asset=asset,
        file=asset.file.name,
        thumbnail=asset.thumbnail.name if asset.thumbnail else "",
        content_type=asset.content_type,
        file_size=asset.size,
        width=asset.width,
        height=asset.height,
        duration_seconds=asset.duration_seconds,
        name=asset.original_name,
        created_by=user,
        download_status=Media.Download.STORED,
    )


def _delete_files(asset: Asset) -> None:
    for field in (asset.file, asset.thumbnail):
        if field and field.name:
            try:
                field.storage.delete(field.name)
            except OSError:
                logger.warning("could not delete %s", field.name, exc_info=True)


def jobs_using(asset: Asset, *, active_only: bool = True) -> list[Job]:
    """Jobs whose parameters name the asset (as a reference, a frame or the upload itself)."""
    jobs = Job.objects.active() if active_only else Job.objects.all()
    using = []
    for job in jobs.filter(kind__in=[Job.Kind.IMAGE, Job.Kind.VIDEO, Job.Kind.ASSET_UPLOAD]):
        params = job.params or {}
        refs = list(params.get("references") or [])
        refs += [params.get("start"), params.get("end")]
        if params.get("asset") == asset.pk or any(
            isinstance(ref, dict) and ref.get("asset") == asset.pk for ref in refs
        ):
            using.append(job)
    return using


def delete_asset(asset: Asset) -> None:
    """Remove the asset, its gallery row and its files (after the transaction commits)."""
    with transaction.atomic():
        Media.objects.filter(asset=asset).delete()
        asset.delete()
        transaction.on_commit(lambda: _delete_files(asset))
