"""Media makers: real, small JPEG/PNG images, H.264 MP4 clips, thumbnails and GIFs.

Everything here is pure (paths and parameters in, files or bytes out) so it can be tested and
cached by the media store. Sizes are deliberately small to keep rendering fast:

* images: 640x360 (landscape), 360x640 (portrait), 480x480 (square);
* videos: 320x180 / 180x320 / 240x240, 24 fps, 8 s (192 frames), H.264 yuv420p;
* upscaled images: 2x ("2k") or 3x ("4k"); upscaled videos: 2x ("1080p") or 4x ("4K").

Video frames show a ball that moves along a path fixed by ``motion_seed`` and the clip's
position ``t0`` on that path, so an extension continues the motion of its source.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

import av
from PIL import Image, ImageDraw, ImageFont

FPS = 24
VIDEO_SECONDS = 8
OVERLAP_SECONDS = 1

IMAGE_SIZES: dict[str, tuple[int, int]] = {
    "landscape": (640, 360),
    "portrait": (360, 640),
    "square": (480, 480),
    "4:3": (480, 360),
    "3:4": (360, 480),
}
# 720p (the default resolution) scaled down to keep rendering cheap; 360p is half of it.
VIDEO_SIZES: dict[str, tuple[int, int]] = {
    "landscape": (320, 180),
    "portrait": (180, 320),
    "square": (240, 240),
    "4:3": (240, 180),
    "3:4": (180, 240),
}
IMAGE_UPSCALE_FACTORS = {"2k": 2, "4k": 3}
VIDEO_UPSCALE_FACTORS = {"1080p": 2, "4k": 4}


@dataclass(frozen=True)
class VideoInfo:
    width: int
    height: int
    frames: int
    duration: float
    codec: str


Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@lru_cache(maxsize=16)
def _font(size: int) -> Font:
    try:
        return ImageFont.load_default(size=size)
    except (OSError, TypeError):  # Pillow built without FreeType
        return ImageFont.load_default()


def _palette(seed: int) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    digest = hashlib.sha256(str(seed).encode()).digest()
    top = (40 + digest[0] % 150, 40 + digest[1] % 150, 40 + digest[2] % 150)
    bottom = (digest[3] % 90, digest[4] % 90, digest[5] % 90)
    return top, bottom


def _gradient(size: tuple[int, int], seed: int) -> Image.Image:
    top, bottom = _palette(seed)
    column = Image.new("RGB", (1, 256))
    for y in range(256):
        f = y / 255
        column.putpixel(
            (0, y), tuple(int(a + (b - a) * f) for a, b in zip(top, bottom, strict=True))
        )
    return column.resize(size, Image.Resampling.BILINEAR)


def _wrap(
    draw: ImageDraw.ImageDraw, text: str, font: Font, width: int, max_lines: int
) -> list[str]:
    words = text.split()
    lines: list[str] = []
    line = ""
    for word in words:
        candidate = f"{line} {word}".strip()
        if draw.textlength(candidate, font=font) <= width or not line:
            line = candidate
        else:
            lines.append(line)
            line = word
        if len(lines) == max_lines:
            break
    if line and len(lines) < max_lines:
        lines.append(line)
    if len(lines) == max_lines and " ".join(lines) != " ".join(words):
        lines[-1] = lines[-1].rstrip(".") + "…"
    return lines


def _cover(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Scale and centre-crop ``image`` to fill ``size``."""
    image = image.convert("RGB")
    scale = max(size[0] / image.width, size[1] / image.height)
    resized = image.resize(
        (max(1, round(image.width * scale)), max(1, round(image.height * scale))),
        Image.Resampling.BILINEAR,
    )
    left = (resized.width - size[0]) // 2
    top = (resized.height - size[1]) // 2
    return resized.crop((left, top, left + size[0], top + size[1]))


def _draw_text_block(
    image: Image.Image, lines: Sequence[tuple[str, int]], *, margin: int, bottom: bool = False
) -> None:
    """Draw (text, font size) lines on a translucent band."""
    draw = ImageDraw.Draw(image, "RGBA")
    heights = [size + 4 for _, size in lines]
    total = sum(heights) + margin
    y = image.height - total - margin if bottom else margin
    draw.rectangle((0, y - margin // 2, image.width, y + total), fill=(0, 0, 0, 110))
    for (text, size), h in zip(lines, heights, strict=True):
        draw.text((margin, y), text, font=_font(size), fill=(255, 255, 255))
        y += h


# --------------------------------------------------------------------------- images


def render_image(
    path: Path,
    *,
    aspect: str,
    prompt: str,
    seed: int,
    caption: str,
    references: Sequence[Path] = (),
) -> tuple[int, int]:
    """Draw a JPEG showing the prompt and seed; returns (width, height)."""
    size = IMAGE_SIZES.get(aspect, IMAGE_SIZES["landscape"])
    image = _gradient(size, seed)
    draw = ImageDraw.Draw(image, "RGBA")
    digest = hashlib.sha256(f"{seed}:{prompt}".encode()).digest()
    for i in range(6):
        x = digest[i * 4] / 255 * size[0]
        y = digest[i * 4 + 1] / 255 * size[1]
        r = 20 + digest[i * 4 + 2] / 255 * size[0] / 5
        color = (digest[i * 4 + 3], digest[(i * 4 + 5) % 32], digest[(i * 4 + 7) % 32], 120)
        if i % 2:
            draw.ellipse((x - r, y - r, x + r, y + r), fill=color)
        else:
            draw.rectangle((x - r, y - r / 2, x + r, y + r / 2), fill=color)
    margin = max(8, size[0] // 40)
    text_size = max(14, size[0] // 26)
    prompt_lines = _wrap(draw, prompt, _font(text_size), size[0] - 2 * margin, 4)
    _draw_text_block(image, [(line, text_size) for line in prompt_lines], margin=margin)
    _draw_text_block(
        image, [(f"seed {seed}", text_size), (caption, text_size - 4)], margin=margin, bottom=True
    )
    thumb = size[0] // 6
    for i, ref in enumerate(references[:10]):
        try:
            with Image.open(ref) as src:
                small = _cover(src, (thumb, thumb))
        except OSError:
            continue
        image.paste(small, (size[0] - (i % 3 + 1) * (thumb + 4), size[1] // 2 + (i // 3) * 4))
    _atomic_write(path, lambda fh: image.save(fh, "JPEG", quality=85))
    return size


def upscale_image(source: Path, resolution: str) -> bytes:
    """Return JPEG bytes of ``source`` enlarged by the factor of ``resolution`` (2k / 4k)."""
    factor = IMAGE_UPSCALE_FACTORS[resolution.lower()]
    with Image.open(source) as src:
        image = src.convert("RGB")
    big = image.resize((image.width * factor, image.height * factor), Image.Resampling.BICUBIC)
    label = f"upscaled {resolution.upper()}"
    size = max(16, big.width // 40)
    draw = ImageDraw.Draw(big, "RGBA")
    width = draw.textlength(label, font=_font(size))
    draw.rectangle((big.width - width - 24, 8, big.width - 8, 16 + size), fill=(0, 0, 0, 140))
    draw.text((big.width - width - 16, 10), label, font=_font(size), fill=(255, 255, 0))
    out = io.BytesIO()
    big.save(out, "JPEG", quality=80)
    return out.getvalue()


def image_dimensions(data: bytes) -> tuple[int, int, str]:
    """Open image bytes with Pillow; returns (width, height, format). Raises ValueError."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
        with Image.open(io.BytesIO(data)) as image:
            return image.width, image.height, (image.format or "").upper()
    except (OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ValueError(str(exc)) from exc


# --------------------------------------------------------------------------- videos


def _ball_position(t: float, size: tuple[int, int], motion_seed: int) -> tuple[float, float]:
    """A deterministic path: a ball bouncing horizontally with a vertical wobble."""
    w, h = size
    radius = max(6, min(w, h) // 12)
    period = 3.0 + (motion_seed % 7) * 0.5
    phase = (t / period + (motion_seed % 100) / 100) % 2.0
    fx = phase if phase <= 1 else 2 - phase
    x = radius + fx * (w - 2 * radius)
    wobble = ((t * 1.3 + motion_seed % 11) % 2.0) - 1.0
    y = h * 0.62 + wobble * h * 0.12
    return x, y


@dataclass(frozen=True)
class Scene:
    """What a generated clip shows."""

    aspect: str
    prompt: str
    seed: int
    caption: str
    motion_seed: int
    t0: float = 0.0
    start_image: Path | None = None
    end_image: Path | None = None
    references: tuple[Path, ...] = ()
    seconds: int = VIDEO_SECONDS


def _scene_background(
    scene: Scene, size: tuple[int, int]
) -> tuple[Image.Image, Image.Image | None]:
    base = _cover_file(scene.start_image, size)
    if base is None:
        base = _gradient(size, scene.seed)
    return base, _cover_file(scene.end_image, size)


def _cover_file(path: Path | None, size: tuple[int, int]) -> Image.Image | None:
    """The image at ``path`` cropped to cover ``size``; None when there is none or it is unreadable."""
    if path is None:
        return None
    try:
        with Image.open(path) as src:
            return _cover(src, size)
    except OSError:
        return None


def _scene_overlay(scene: Scene, image: Image.Image) -> Image.Image:
    size = image.size
    margin = 4
    text_size = max(10, size[0] // 22)
    draw = ImageDraw.Draw(image)
    lines = _wrap(draw, scene.prompt, _font(text_size), size[0] - 2 * margin, 3)
    _draw_text_block(image, [(line, text_size) for line in lines], margin=margin)
    _draw_text_block(
        image,
        [(f"seed {scene.seed}", text_size), (scene.caption, max(9, text_size - 3))],
        margin=margin,
        bottom=True,
    )
    thumb = size[0] // 6
    for i, ref in enumerate(scene.references[:7]):
        try:
            with Image.open(ref) as src:
                image.paste(
                    _cover(src, (thumb, thumb)), (size[0] - (i + 1) * (thumb + 2), size[1] // 3)
                )
        except OSError:
            continue
    return image


def scene_frames(
    scene: Scene, size: tuple[int, int], first: int, count: int
) -> Iterator[Image.Image]:
    """Frames ``first`` … ``first + count - 1`` of the scene (frame i is at t0 + i / FPS)."""
    base, end = _scene_background(scene, size)
    start_layer = _scene_overlay(scene, base.copy())
    end_layer = _scene_overlay(scene, end.copy()) if end is not None else None
    radius = max(6, min(size) // 12)
    total = scene.seconds * FPS
    small = _font(max(9, size[0] // 26))
    for i in range(first, first + count):
        if end_layer is not None:
            frame = Image.blend(start_layer, end_layer, min(1.0, i / (total - 1)))
        else:
            frame = start_layer.copy()
        t = scene.t0 + i / FPS
        x, y = _ball_position(t, size, scene.motion_seed)
        draw = ImageDraw.Draw(frame)
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=(255, 214, 10))
        draw.text((size[0] - 46, size[1] // 2 - 30), f"{t:5.2f}s", font=small, fill=(255, 255, 255))
        yield frame


def _atomic_write(path: Path, writer: Callable[[BinaryIO], object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            writer(fh)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _encode(
    path: Path | io.BytesIO,
    size: tuple[int, int],
    frames: Iterable[Image.Image | av.VideoFrame],
    *,
    thumbnail: Path | None = None,
) -> int:
    """Encode frames to H.264 MP4; returns the number of frames written."""

    def write(target: BinaryIO | io.BytesIO) -> int:
        container = av.open(target, "w", format="mp4")
        try:
            stream = container.add_stream("libx264", rate=FPS)
            stream.width, stream.height = size
            stream.pix_fmt = "yuv420p"
            stream.options = {"preset": "ultrafast", "crf": "28", "g": str(FPS)}
            n = 0
            for item in frames:
                if isinstance(item, Image.Image):
                    if thumbnail is not None and n == 0:
                        _atomic_write(
                            thumbnail, lambda fh, im=item: im.save(fh, "JPEG", quality=80)
                        )
                    frame = av.VideoFrame.from_image(item)
                    if item.size != size:
                        frame = frame.reformat(width=size[0], height=size[1])
                else:
                    frame = item.reformat(width=size[0], height=size[1], format="yuv420p")
                    frame.pict_type = av.video.frame.PictureType.NONE
                    if thumbnail is not None and n == 0:
                        image = frame.to_image()
                        _atomic_write(
                            thumbnail, lambda fh, im=image: im.save(fh, "JPEG", quality=80)
                        )
                frame.pts = n
                frame.time_base = Fraction(1, FPS)
                for packet in stream.encode(frame):
                    container.mux(packet)
                n += 1
            for packet in stream.encode():
                container.mux(packet)
            return n
        finally:
            container.close()

    if isinstance(path, io.BytesIO):
        return write(path)
    result: list[int] = []
    _atomic_write(path, lambda fh: result.append(write(fh)))
    return result[0]


def decode_frames(path: Path) -> Iterator[av.VideoFrame]:
    with av.open(str(path)) as container:
        yield from container.decode(video=0)


def probe_video(source: Path | bytes) -> VideoInfo:
    """Read width/height/frame count/duration of an MP4 by decoding it."""
    target = io.BytesIO(source) if isinstance(source, bytes) else str(source)
    with av.open(target) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(video=0))
        rate = stream.average_rate or FPS
        return VideoInfo(
            width=stream.codec_context.width,
            height=stream.codec_context.height,
            frames=frames,
            duration=frames / float(rate),
            codec=stream.codec_context.name,
        )


def video_size(aspect: str, resolution: str = "720p") -> tuple[int, int]:
    width, height = VIDEO_SIZES.get(aspect, VIDEO_SIZES["landscape"])
    if resolution == "360p":
        return (width // 4 * 2, height // 4 * 2)  # half, kept even for H.264
    return width, height


def render_video(
    path: Path, scene: Scene, thumbnail: Path, *, resolution: str = "720p"
) -> VideoInfo:
    """Render a ``scene.seconds`` clip (8 s by default) plus a JPEG of its first frame."""
    size = video_size(scene.aspect, resolution)
    total = scene.seconds * FPS
    n = _encode(path, size, scene_frames(scene, size, 0, total), thumbnail=thumbnail)
    return VideoInfo(size[0], size[1], n, n / FPS, "h264")


def edit_video(
    source: Path, path: Path, first: int, last: int, caption: str, thumbnail: Path, resolution: str
) -> VideoInfo:
    """A V2V edit: frames ``first`` … ``last - 1`` of the source (24 per second), with the
    edit's prompt drawn over them."""
    info = probe_video(source)
    size = video_size("landscape" if info.width >= info.height else "portrait", resolution)
    font = _font(max(9, size[0] // 22))

    def frames() -> Iterator[Image.Image]:
        for index, frame in enumerate(decode_frames(source)):
            if index >= last:
                break
            if index < first:
                continue
            image = _cover(frame.to_image(), size)
            draw = ImageDraw.Draw(image, "RGBA")
            draw.rectangle((0, 0, size[0], size[1] // 5), fill=(120, 0, 160, 120))
            draw.text((4, 2), caption, font=font, fill=(255, 255, 255))
            yield image

    n = _encode(path, size, frames(), thumbnail=thumbnail)
    if n == 0:
        raise ValueError("the frame window holds no frame of the source video")
    return VideoInfo(size[0], size[1], n, n / FPS, "h264")


def extend_video(source: Path, path: Path, scene: Scene, thumbnail: Path) -> VideoInfo:
    """An 8 s clip whose first second repeats the source's last second, then continues.

    ``scene.t0`` must be the source's t0 + its duration - 1 s, so the ball keeps moving along
    the same path; the new prompt is drawn on the new frames.
    """
    info = probe_video(source)
    size = (info.width, info.height)
    overlap = OVERLAP_SECONDS * FPS
    tail_from = max(0, info.frames - overlap)

    def frames() -> Iterator[Image.Image | av.VideoFrame]:
        copied = 0
        for index, frame in enumerate(decode_frames(source)):
            if index >= tail_from:
                copied += 1
                yield frame
        total = VIDEO_SECONDS * FPS
        yield from scene_frames(scene, size, copied, total - copied)

    n = _encode(path, size, frames(), thumbnail=thumbnail)
    return VideoInfo(size[0], size[1], n, n / FPS, "h264")


def upscale_video(source: Path, path: Path, resolution: str, thumbnail: Path) -> VideoInfo:
    info = probe_video(source)
    factor = VIDEO_UPSCALE_FACTORS[resolution.lower()]
    size = (info.width * factor, info.height * factor)
    n = _encode(path, size, decode_frames(source), thumbnail=thumbnail)
    return VideoInfo(size[0], size[1], n, n / FPS, "h264")


def concatenate_videos(parts: Sequence[tuple[Path, float, float]]) -> tuple[bytes, VideoInfo]:
    """Join (path, trim_start, trim_end) clips in order; returns MP4 bytes and their info."""
    first = probe_video(parts[0][0])
    size = (first.width, first.height)

    def frames() -> Iterator[av.VideoFrame]:
        for source, trim_start, trim_end in parts:
            info = probe_video(source)
            start = round(trim_start * FPS)
            stop = info.frames - round(trim_end * FPS)
            for index, frame in enumerate(decode_frames(source)):
                if start <= index < stop:
                    yield frame

    out = io.BytesIO()
    n = _encode(out, size, frames())
    return out.getvalue(), VideoInfo(size[0], size[1], n, n / FPS, "h264")


def make_gif(source: Path, *, step: int = 4, max_width: int = 240) -> bytes:
    """An animated GIF of the clip at FPS/step frames per second."""
    images: list[Image.Image] = []
    for index, frame in enumerate(decode_frames(source)):
        if index % step:
            continue
        image = frame.to_image()
        if image.width > max_width:
            image = image.resize(
                (max_width, round(image.height * max_width / image.width)),
                Image.Resampling.BILINEAR,
            )
        images.append(image.convert("P", palette=Image.Palette.ADAPTIVE, colors=64))
    out = io.BytesIO()
    images[0].save(
        out,
        "GIF",
        save_all=True,
        append_images=images[1:],
        duration=round(1000 * step / FPS),
        loop=0,
        optimize=False,
    )
    return out.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
