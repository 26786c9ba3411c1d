"""Media rows with real files in storage, as the job pipeline or an upload would leave them."""

from __future__ import annotations

import io
from datetime import datetime

from django.core.files.base import ContentFile
from PIL import Image

from flowdash.gallery.models import Media


def png_bytes(
    color: tuple[int, int, int] = (200, 80, 40), size: tuple[int, int] = (64, 48)
) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def mp4_bytes(frames: int = 12, size: tuple[int, int] = (64, 36)) -> bytes:
    import av

    out = io.BytesIO()
    container = av.open(out, "w", format="mp4")
    stream = container.add_stream("libx264", rate=12)
    stream.width, stream.height = size
    stream.pix_fmt = "yuv420p"
    stream.options = {"preset": "ultrafast"}
    for n in range(frames):
        image = Image.new("RGB", size, (20 * n % 255, 120, 200))
        for packet in stream.encode(av.VideoFrame.from_image(image)):
            container.mux(packet)
    for packet in stream.encode():
        container.mux(packet)
    container.close()
    return out.getvalue()


def make_media(
    *,
    kind: str = Media.Kind.IMAGE,
    prompt: str = "a red fox in the snow at dawn",
    model: str = "imagen-4",
    seed: int | None = 42,
    aspect_ratio: str = "16:9",
    with_file: bool = True,
    data: bytes | None = None,
    created_at: datetime | None = None,
    **fields,
) -> Media:
    media = Media(
        kind=kind,
        prompt=prompt,
        model=model,
        seed=seed,
        aspect_ratio=aspect_ratio,
        download_status=Media.Download.STORED if with_file else Media.Download.PENDING,
        **fields,
    )
    if with_file:
        if data is None:
            data = mp4_bytes() if kind == Media.Kind.VIDEO else png_bytes()
        ext, content_type = {
            Media.Kind.VIDEO: (".mp4", "video/mp4"),
            Media.Kind.GIF: (".gif", "image/gif"),
        }.get(kind, (".png", "image/png"))
        media.content_type = content_type
        media.file_size = len(data)
        media.file.save(f"result{ext}", ContentFile(data), save=False)
    media.save()
    if created_at is not None:
        Media.objects.filter(pk=media.pk).update(created_at=created_at)
        media.created_at = created_at
    return media
