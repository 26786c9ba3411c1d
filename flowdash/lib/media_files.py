"""Facts about stored media files and their thumbnails (Pillow for images, PyAV for video).

Pure helpers: paths or binary files in, plain values out. Callers save results to storage.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from PIL import Image, ImageOps

THUMBNAIL_SIZE = (480, 480)
THUMBNAIL_QUALITY = 82


@dataclass(frozen=True)
class VideoFacts:
    width: int | None
    height: int | None
    duration_seconds: float | None


def _jpeg(image: Image.Image) -> bytes:
    image = ImageOps.exif_transpose(image)
    if image.mode not in ("RGB", "L"):
        background = Image.new("RGB", image.size, (255, 255, 255))
        rgba = image.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        image = background
    image.thumbnail(THUMBNAIL_SIZE)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=THUMBNAIL_QUALITY, optimize=True)
    return out.getvalue()


def image_thumbnail(source: str | Path | BinaryIO) -> bytes:
    """A JPEG at most 480 px on its longer side (first frame of an animated GIF)."""
    with Image.open(source) as image:
        image.seek(0)
        return _jpeg(image.copy())


def image_size(source: str | Path | BinaryIO) -> tuple[int, int]:
    with Image.open(source) as image:
        return image.size


def video_facts(source: str | Path) -> VideoFacts:
    import av

    with av.open(str(source)) as container:
        stream = next(iter(container.streams.video), None)
        if stream is None:
            return VideoFacts(None, None, None)
        duration = None
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / 1_000_000
        return VideoFacts(stream.codec_context.width, stream.codec_context.height, duration)


def video_thumbnail(source: str | Path) -> bytes | None:
    """A JPEG of the first decodable frame, or None when the file has no video frame."""
    import av

    with av.open(str(source)) as container:
        if not container.streams.video:
            return None
        for frame in container.decode(video=0):
            return _jpeg(frame.to_image())
    return None
