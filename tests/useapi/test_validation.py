"""Requests the reference calls invalid are refused before sending, naming the parameter."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any

import pytest

from flowdash.useapi.client import Timeouts, UseapiClient
from flowdash.useapi.errors import RequestValidationError
from flowdash.useapi.types import ConcatItem

from .conftest import TOKEN, USER_AGENT, FakeApi

M = "user:1-email:aa-video:x"
REFS = [f"user:1-email:aa-image:{i}" for i in range(1, 12)]
BIG = 20 * 1024 * 1024 + 1

INVALID: list[tuple[str, Callable[[UseapiClient], Any], str]] = [
    ("empty prompt", lambda c: c.generate_images(""), "prompt"),
    ("blank prompt", lambda c: c.generate_videos("   "), "prompt"),
    ("count 0", lambda c: c.generate_images("a", count=0), "count"),
    ("count 5", lambda c: c.generate_videos("a", count=5), "count"),
    ("count bool", lambda c: c.generate_images("a", count=True), "count"),
    ("count text", lambda c: c.extend_video(M, "a", count="2"), "count"),
    ("negative seed", lambda c: c.generate_images("a", seed=-1), "seed"),
    ("float seed", lambda c: c.generate_videos("a", seed=1.5), "seed"),
    (
        "pro refs",
        lambda c: c.generate_images("a", model="nano-banana-pro", references=REFS),
        "reference_11",
    ),
    ("auto refs", lambda c: c.generate_images("a", references=REFS), "reference_11"),
    ("empty ref", lambda c: c.generate_images("a", references=["x", ""]), "reference_2"),
    ("refs as text", lambda c: c.generate_images("a", references="user:1"), "reference_"),
    ("retry 0", lambda c: c.generate_images("a", captcha_retry=0), "captchaRetry"),
    ("retry 11", lambda c: c.upscale_video(M, captcha_retry=11), "captchaRetry"),
    (
        "retry+order",
        lambda c: c.generate_images("a", captcha_retry=3, captcha_order="CapSolver"),
        "captchaOrder",
    ),
    (
        "order+token",
        lambda c: c.extend_video(M, "a", captcha_order="X", captcha_token="t" * 30),
        "captchaToken",
    ),
    (
        "order too long",
        lambda c: c.generate_videos("a", captcha_order=",".join(["EzCaptcha"] * 11)),
        "captchaOrder",
    ),
    (
        "order empty entry",
        lambda c: c.generate_images("a", captcha_order="EzCaptcha,,CapSolver"),
        "captchaOrder",
    ),
    ("reply url scheme", lambda c: c.generate_images("a", reply_url="ftp://x/y"), "replyUrl"),
    ("reply url relative", lambda c: c.generate_videos("a", reply_url="/hooks/1"), "replyUrl"),
    ("reply ref length", lambda c: c.generate_videos("a", reply_ref="r" * 1025), "replyRef"),
    ("end without start", lambda c: c.generate_videos("a", end_image="e"), "endImage"),
    (
        "frames with refs",
        lambda c: c.generate_videos("a", start_image="s", reference_images=["r"]),
        "referenceImage_1",
    ),
    (
        "end+start with refs",
        lambda c: c.generate_videos("a", start_image="s", end_image="e", reference_images=["r"]),
        "referenceImage_1",
    ),
    ("veo refs", lambda c: c.generate_videos("a", reference_images=REFS[:4]), "referenceImage_4"),
    (
        "quality refs",
        lambda c: c.generate_videos("a", model="veo-3.1-quality", reference_images=REFS[:1]),
        "referenceImage_1",
    ),
    (
        "too many refs",
        lambda c: c.generate_videos("a", model="omni-flash", reference_images=REFS[:8]),
        "referenceImage_8",
    ),
    ("extend no id", lambda c: c.extend_video("", "a"), "mediaGenerationId"),
    ("extend no prompt", lambda c: c.extend_video(M, ""), "prompt"),
    (
        "image upscale 8k",
        lambda c: c.upscale_image(M, resolution="8k", dest=io.BytesIO()),
        "resolution",
    ),
    ("video upscale 720p", lambda c: c.upscale_video(M, resolution="720p"), "resolution"),
    ("gif no id", lambda c: c.make_gif("", dest=io.BytesIO()), "mediaGenerationId"),
    ("bad dest", lambda c: c.make_gif(M, dest=42), "dest"),
    ("concat 1", lambda c: c.concatenate_videos([M], dest=io.BytesIO()), "media"),
    ("concat 11", lambda c: c.concatenate_videos([M] * 11, dest=io.BytesIO()), "media"),
    ("concat text", lambda c: c.concatenate_videos(M, dest=io.BytesIO()), "media"),
    (
        "trim 9",
        lambda c: c.concatenate_videos([M, ConcatItem(M, trim_start=9)], dest=io.BytesIO()),
        "media[1].trimStart",
    ),
    (
        "trim negative",
        lambda c: c.concatenate_videos([ConcatItem(M, trim_end=-0.5), M], dest=io.BytesIO()),
        "media[0].trimEnd",
    ),
    (
        "concat empty id",
        lambda c: c.concatenate_videos(["", M], dest=io.BytesIO()),
        "media[0].mediaGenerationId",
    ),
    ("asset gif", lambda c: c.upload_asset(b"GIF89a", "image/gif"), "Content-Type"),
    ("asset heic", lambda c: c.upload_asset(b"....ftypheic", "image/heic"), "Content-Type"),
    ("asset mp4 too big", lambda c: c.upload_asset(b"\x00" * (BIG * 5), "video/mp4"), "body"),
    ("asset too big", lambda c: c.upload_asset(b"\x00" * BIG, "image/png"), "body"),
    ("asset empty", lambda c: c.upload_asset(b"", "image/png"), "body"),
    ("asset text", lambda c: c.upload_asset("not bytes", "image/png"), "body"),
    ("asset no email", lambda c: c.upload_asset(b"x", "image/png", email=""), "email"),
    ("stats limit", lambda c: c.get_captcha_stats(limit=50_001), "limit"),
    ("stats limit 0", lambda c: c.get_captcha_stats(limit=0), "limit"),
    ("stats date format", lambda c: c.get_captcha_stats(date="2026-2-4"), "date"),
    ("stats impossible date", lambda c: c.get_captcha_stats(date="2026-02-30"), "date"),
    ("stats datetime", lambda c: c.get_captcha_stats(date=dt.datetime(2026, 2, 4)), "date"),
    ("jobs options", lambda c: c.get_jobs("all"), "options"),
    ("job id", lambda c: c.get_job(""), "jobId"),
    ("account email", lambda c: c.get_account(""), "email"),
    ("delete email", lambda c: c.delete_account("  "), "email"),
    ("cookies", lambda c: c.add_account(""), "cookies"),
    ("no providers", lambda c: c.set_captcha_providers({}), "body"),
    ("provider key type", lambda c: c.set_captcha_providers({"CapSolver": None}), "CapSolver"),
    ("extra overrides", lambda c: c.generate_images("a", count=2, extra={"count": 3}), "count"),
]


@pytest.mark.parametrize(("case", "call", "param"), INVALID, ids=[c[0] for c in INVALID])
def test_invalid_request_is_not_sent(
    fake_api: FakeApi, api_client: UseapiClient, case: str, call: Any, param: str
) -> None:
    with pytest.raises(RequestValidationError) as caught:
        call(api_client)
    assert caught.value.param == param
    assert param in str(caught.value) and caught.value.user_message
    assert caught.value.may_have_reached_service is False
    assert isinstance(caught.value, ValueError)
    assert fake_api.requests == []


# The documented contract (2026-02): imagen-4 and nano-banana take at most 3 references, and
# WebP is not an asset type yet. Today both nano models take 10 (supplement §4.1) and WebP is.
ERA_2026_02_INVALID: list[tuple[str, Callable[[UseapiClient], Any], str]] = [
    (
        "imagen-4 refs",
        lambda c: c.generate_images("a", model="imagen-4", references=REFS[:4]),
        "reference_4",
    ),
    (
        "nano-banana refs",
        lambda c: c.generate_images("a", model="nano-banana", references=REFS[:4]),
        "reference_4",
    ),
    ("square image", lambda c: c.generate_images("a", aspect_ratio="1:1"), "aspectRatio"),
    ("asset webp", lambda c: c.upload_asset(b"RIFF", "image/webp"), "Content-Type"),
    ("asset mp4", lambda c: c.upload_asset(b"....ftypisom", "video/mp4"), "Content-Type"),
    ("v2v", lambda c: c.generate_videos("a", reference_video=M), "referenceVideo_1"),
    ("duration", lambda c: c.generate_videos("a", duration=8), "duration"),
    ("resolution", lambda c: c.generate_videos("a", resolution="720p"), "resolution"),
]


@pytest.mark.parametrize(
    ("case", "call", "param"), ERA_2026_02_INVALID, ids=[c[0] for c in ERA_2026_02_INVALID]
)
def test_invalid_in_the_documented_era_is_not_sent(
    fake_api: FakeApi, case: str, call: Any, param: str
) -> None:
    with (
        UseapiClient(
            fake_api.base_url,
            TOKEN,
            user_agent=USER_AGENT,
            timeouts=Timeouts.uniform(5),
            era="2026-02",
        ) as client,
        pytest.raises(RequestValidationError) as caught,
    ):
        call(client)
    assert caught.value.param == param
    assert fake_api.requests == []


def test_oversized_file_is_refused_by_its_size(
    fake_api: FakeApi, api_client: UseapiClient, tmp_path: Any
) -> None:
    path = tmp_path / "huge.png"
    with path.open("wb") as handle:
        handle.truncate(BIG)  # sparse: the size is known without reading it
    with path.open("rb") as handle, pytest.raises(RequestValidationError) as caught:
        api_client.upload_asset(handle, "image/png")
    assert caught.value.param == "body"
    with pytest.raises(RequestValidationError):
        api_client.upload_asset(path, "image/png")
    assert fake_api.requests == []


def test_limits_the_reference_leaves_to_the_api_are_sent(
    fake_api: FakeApi, api_client: UseapiClient
) -> None:
    # today's models (supplement §4.1, §5.2): every nano model takes 10, omni-flash 7
    fake_api.reply(200, fixture="post-images-200")
    api_client.generate_images("a", model="nano-banana-2", references=REFS[:10], aspect_ratio="1:1")
    assert fake_api.last.json()["reference_10"] == REFS[9]
    fake_api.reply(201, fixture="post-videos-201-async")
    api_client.generate_videos(
        "a", model="omni-flash", reference_images=REFS[:7], aspect_ratio="portrait"
    )
    assert fake_api.last.json()["referenceImage_7"] == REFS[6]
    fake_api.reply(200, fixture="post-images-200")
    api_client.generate_images("a", references=REFS[:10])  # auto: nano-banana-2 takes 10
    fake_api.reply(200, fixture="post-videos-concatenate-200")
    api_client.concatenate_videos(
        [ConcatItem(M, trim_start=0, trim_end=8)] + [M] * 9, dest=io.BytesIO()
    )
    assert len(fake_api.last.json()["media"]) == 10
    fake_api.reply(200, fixture="get-accounts-captcha-stats-200")
    api_client.get_captcha_stats(limit=50_000, date="2024-02-29")
    assert len(fake_api.requests) == 5
