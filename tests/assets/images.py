"""Real image bytes for upload tests (made with Pillow, nothing read from disk)."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image


def png_bytes(size=(64, 48), color=(200, 80, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def jpeg_bytes(size=(80, 60), color=(30, 120, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG", quality=85)
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(width=12_000, height=12_000) -> bytes:
    """A genuine, valid PNG of ``width``×``height`` black grey pixels that weighs a few hundred
    kilobytes: decoding it would take ~150 MB of memory."""
    compressor = zlib.compressobj(9)
    row = b"\x00" + b"\x00" * width
    body = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", body)
        + _chunk(b"IEND", b"")
    )


def webp_bytes(size=(64, 48), color=(40, 160, 90)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "WEBP")
    return out.getvalue()


def gif_bytes(size=(10, 10)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (0, 0, 255)).save(out, "GIF")
    return out.getvalue()


def mp4_bytes(seconds: float = 3, size=(160, 90), fps: int = 24) -> bytes:
    """A real H.264 MP4 of ``seconds`` (PyAV), frames fading so each one differs."""
    from fractions import Fraction

    import av

    out = io.BytesIO()
    with av.open(out, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.options = {"preset": "ultrafast"}
        for n in range(round(seconds * fps)):
            frame = av.VideoFrame.from_image(Image.new("RGB", size, (n * 3 % 255, 60, 120)))
            frame.pts, frame.time_base = n, Fraction(1, fps)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()
