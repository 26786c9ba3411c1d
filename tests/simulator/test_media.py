"""The media makers produce real, playable files of the documented durations."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageChops, ImageStat

from flowdash.simulator import media


def _scene(**kw) -> media.Scene:
    kw.setdefault("aspect", "landscape")
    kw.setdefault("prompt", "a paper boat on a river")
    kw.setdefault("seed", 7)
    kw.setdefault("caption", "veo-3.1-fast")
    kw.setdefault("motion_seed", 7)
    return media.Scene(**kw)


def _diff(a: Image.Image, b: Image.Image) -> float:
    a = a.convert("L").resize((64, 36))
    b = b.convert("L").resize((64, 36))
    return ImageStat.Stat(ImageChops.difference(a, b)).mean[0]


def test_image_is_a_jpeg_of_the_aspect_size(tmp_path: Path) -> None:
    path = tmp_path / "a.jpg"
    size = media.render_image(
        path, aspect="portrait", prompt="a fox", seed=3, caption="imagen-4 · 1/1"
    )
    with Image.open(path) as image:
        assert image.format == "JPEG"
        assert image.size == size == (360, 640)


def test_video_is_h264_of_eight_seconds_with_a_thumbnail(tmp_path: Path) -> None:
    info = media.render_video(tmp_path / "v.mp4", _scene(), tmp_path / "v.jpg")
    probed = media.probe_video(tmp_path / "v.mp4")
    assert probed.codec == "h264"
    assert (probed.width, probed.height) == (320, 180) == (info.width, info.height)
    assert abs(probed.duration - 8.0) < 0.05
    with Image.open(tmp_path / "v.jpg") as thumb:
        assert thumb.format == "JPEG"
        assert thumb.size == (320, 180)


def test_extension_repeats_the_last_second_then_moves_on(tmp_path: Path) -> None:
    source = tmp_path / "v.mp4"
    media.render_video(source, _scene(), tmp_path / "v.jpg")
    extended = tmp_path / "e.mp4"
    media.extend_video(
        source,
        extended,
        _scene(prompt="the boat reaches the sea", seed=8, t0=7.0),
        tmp_path / "e.jpg",
    )
    src = [f.to_image() for f in media.decode_frames(source)]
    ext = [f.to_image() for f in media.decode_frames(extended)]
    assert abs(len(ext) / media.FPS - 8.0) < 0.05
    # the first second of the extension is the source's last second
    assert _diff(ext[0], src[7 * media.FPS]) < 3
    assert _diff(ext[23], src[-1]) < 3
    # afterwards it shows something new (the new prompt), not the old clip
    assert _diff(ext[60], src[-1]) > 5


def test_upscales_are_larger(tmp_path: Path) -> None:
    image = tmp_path / "a.jpg"
    media.render_image(image, aspect="landscape", prompt="x", seed=1, caption="c")
    for resolution, factor in (("2k", 2), ("4k", 3)):
        with Image.open(io.BytesIO(media.upscale_image(image, resolution))) as big:
            assert big.format == "JPEG"
            assert big.size == (640 * factor, 360 * factor)
    source = tmp_path / "v.mp4"
    media.render_video(source, _scene(), tmp_path / "v.jpg")
    info = media.upscale_video(source, tmp_path / "u.mp4", "1080p", tmp_path / "u.jpg")
    probed = media.probe_video(tmp_path / "u.mp4")
    assert (probed.width, probed.height) == (640, 360) == (info.width, info.height)
    assert abs(probed.duration - 8.0) < 0.05


def test_concatenation_duration_is_the_sum_minus_trims(tmp_path: Path) -> None:
    a, b = tmp_path / "a.mp4", tmp_path / "b.mp4"
    media.render_video(a, _scene(), tmp_path / "a.jpg")
    media.render_video(b, _scene(seed=9, motion_seed=9), tmp_path / "b.jpg")
    data, info = media.concatenate_videos([(a, 0.5, 0.0), (b, 1.0, 2.0)])
    probed = media.probe_video(data)
    assert abs(probed.duration - (8 + 8 - 0.5 - 1.0 - 2.0)) < 0.5
    assert abs(info.duration - probed.duration) < 0.05


def test_gif_has_several_frames(tmp_path: Path) -> None:
    source = tmp_path / "v.mp4"
    media.render_video(source, _scene(), tmp_path / "v.jpg")
    with Image.open(io.BytesIO(media.make_gif(source))) as gif:
        assert gif.format == "GIF"
        assert gif.n_frames >= 10
