"""Uploaded originals: checked by content, stored once by sha256, thumbnailed, shown in the gallery.

Nothing here talks to the API: putting an asset on a Google account is an ``asset_upload`` job.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import BinaryIO

from django.core.files.base import ContentFile, File
from django.db import IntegrityError, transaction
from PIL import Image, UnidentifiedImageError

from flowdash.assets.models import Asset
from flowdash.gallery.models import Media
from flowdash.jobs.models import Job
from flowdash.lib.media_files import image_thumbnail
from flowdash.useapi.validation import MAX_ASSET_BYTES

logger = logging.getLogger(__name__)

# A 20 MB PNG can claim billions of pixels (a "decompression bomb"): the header is read first and
# anything larger than this is refused before a single pixel is decoded.
MAX_PIXELS = 50_000_000
SIGNATURES = {
    Asset.PNG: (b"\x89PNG\r\n\x1a\n", "PNG", "png"),
    Asset.JPEG: (b"\xff\xd8\xff", "JPEG", "jpg"),
}


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


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def check_image(upload: BinaryIO, size: int) -> CheckedImage:
    """Decide by content whether ``upload`` is a PNG or JPEG we accept (the name is ignored)."""
    if size == 0:
        raise InvalidUpload("The file is empty.")
    if size > MAX_ASSET_BYTES:
        raise InvalidUpload(
            f"The file is {_megabytes(size)}; the API accepts at most "
            f"{MAX_ASSET_BYTES // (1024 * 1024)} MB."
        )
    upload.seek(0)
    head = upload.read(16)
    content_type = next(
        (ctype for ctype, (magic, _, _) in SIGNATURES.items() if head.startswith(magic)), None
    )
    if content_type is None:
        raise InvalidUpload("This is not a PNG or JPEG image (its content says otherwise).")
    _, pillow_format, extension = SIGNATURES[content_type]
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
    upload.seek(0)
    digest = hashlib.sha256()
    for chunk in iter(lambda: upload.read(1 << 16), b""):
        digest.update(chunk)
    upload.seek(0)
    return CheckedImage(content_type, width, height, size, digest.hexdigest(), extension)


@dataclass(frozen=True)
class StoredAsset:
    asset: Asset
    created: bool


def store_asset(upload: BinaryIO, *, name: str, size: int, user=None) -> StoredAsset:
    """Keep a checked image once (by sha256) with a thumbnail and a gallery row.

    Raises :class:`InvalidUpload`. The same bytes uploaded again give back the existing asset.
    """
    checked = check_image(upload, size)
    existing = Asset.objects.filter(sha256=checked.sha256).first()
    if existing is not None:
        if not Media.objects.filter(asset=existing).exists():
            _gallery_row(existing, user)  # its gallery entry was deleted: uploading brings it back
        return StoredAsset(existing, False)
    stem = checked.sha256[:24]
    try:
        thumb = image_thumbnail(upload)
    except Exception:  # noqa: BLE001 — a thumbnail is a convenience, the original still counts
        logger.warning("no thumbnail for asset %s", stem, exc_info=True)
        thumb = None
    upload.seek(0)
    asset = Asset(
        sha256=checked.sha256,
        content_type=checked.content_type,
        size=checked.size,
        width=checked.width,
        height=checked.height,
        original_name=(name or "")[:255],
        uploaded_by=user,
    )
    asset.file.save(f"{stem}.{checked.extension}", File(upload), save=False)
    if thumb:
        asset.thumbnail.save(f"{stem}.jpg", ContentFile(thumb), save=False)
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
        kind=Media.Kind.IMAGE,
        origin=Media.Origin.UPLOADED,
        asset=asset,
        file=asset.file.name,
        thumbnail=asset.thumbnail.name if asset.thumbnail else "",
        content_type=asset.content_type,
        file_size=asset.size,
        width=asset.width,
        height=asset.height,
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
