"""The newer contract (supplement.md, up to Dec 2026): for each newer request and response shape
the client sends the documented fields and reads the documented answer.

Part 1 replays the shapes over a recording HTTP server (each test names its section). Part 2
runs the same client against the simulator in both eras (``2026-02`` and ``2026-12``): what both
eras share works in both, the newer requests work in today's era and get the older era's
documented 400s. The 2026-02 contract itself stays in ``test_contract.py``, unchanged.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from flowdash.simulator import media as sim_media
from flowdash.simulator.server import SimulatorServer
from flowdash.useapi import catalog, errors
from flowdash.useapi.client import Timeouts, UseapiClient
from flowdash.useapi.types import Account, Job

from .conftest import USER_AGENT, FakeApi, fixture_json

REF = "user:12345-email:6a6f686e40676d61696c2e636f6d-image:CAMaJ{}"
VIDEO = "user:12345-email:6a6f686e40676d61696c2e636f6d-video:CAUSK1"


def sent(fake_api: FakeApi) -> dict[str, Any]:
    return fake_api.last.json()


# === Part 1: shapes over a recording server ======================================================


def test_s5_2_video_request_sends_duration_resolution_and_seven_omni_references(
    fake_api: FakeApi, api_client: UseapiClient
) -> None:
    """§5.2: ``duration``, ``resolution``, ``referenceImage_1…_7`` (omni), ``captchaToken``."""
    fake_api.reply(201, fixture="post-videos-201-async")
    refs = [REF.format(i) for i in range(1, 8)]
    job = api_client.generate_videos(
        "a fox @referenceImage_1",
        model="omni-flash",
        duration=10,
        resolution="360p",
        aspect_ratio="portrait",
        reference_images=refs,
        captcha_token="t" * 40,
    )
    assert isinstance(job, Job) and job.status == "created"
    assert sent(fake_api) == {
        "prompt": "a fox @referenceImage_1",
        "model": "omni-flash",
        **{f"referenceImage_{i}": ref for i, ref in enumerate(refs, start=1)},
        "aspectRatio": "portrait",
        "duration": 10,
        "resolution": "360p",
        "async": True,
        "captchaToken": "t" * 40,
    }


def test_s5_2_v2v_edit_sends_reference_video_and_its_frame_window(
    fake_api: FakeApi, api_client: UseapiClient
) -> None:
    """§5.2: ``referenceVideo_1`` with ``startFrameIndex_1`` / ``endFrameIndex_1``."""
    fake_api.reply(201, fixture="post-videos-201-async")
    api_client.generate_videos(
        "make it snow",
        model="omni-flash",
        reference_video=VIDEO,
        start_frame=0,
        end_frame=240,
        reference_images=[REF.format(1)],
    )
    body = sent(fake_api)
    assert body["referenceVideo_1"] == VIDEO
    assert (body["startFrameIndex_1"], body["endFrameIndex_1"]) == (0, 240)
    assert body["referenceImage_1"] == REF.format(1)
    assert "duration" not in body


@pytest.mark.parametrize(
    ("kwargs", "param", "words"),
    [
        ({"model": "veo-3.1-fast", "resolution": "360p"}, "resolution", "360p is omni only"),
        ({"model": "veo-3.1-quality", "duration": 4}, "duration", "8 seconds"),
        ({"model": "veo-3.1-lite", "duration": 10}, "duration", "4, 6, 8"),
        (
            {"model": "veo-3.1-fast", "duration": 6, "reference_images": [REF.format(1)]},
            "duration",
            "R2V mode offers 8",
        ),
        ({"model": "omni-flash", "aspect_ratio": "1:1"}, "aspectRatio", "landscape, portrait"),
        ({"model": "veo-3.1-fast", "reference_video": VIDEO}, "referenceVideo_1", "omni-flash"),
        (
            {"model": "omni-flash", "reference_video": VIDEO, "duration": 8},
            "duration",
            "frame window",
        ),
        (
            {"model": "omni-flash", "reference_video": VIDEO, "start_image": REF.format(1)},
            "referenceVideo_1",
            "startImage",
        ),
        (
            {
                "model": "omni-flash",
                "reference_video": VIDEO,
                "reference_images": [REF.format(i) for i in range(6)],
            },
            "referenceImage_6",
            "at most 5",
        ),
        (
            {"model": "omni-flash", "reference_video": VIDEO, "end_frame": 241},
            "endFrameIndex_1",
            "1 to 240",
        ),
        (
            {"model": "omni-flash", "reference_video": VIDEO, "start_frame": 50, "end_frame": 50},
            "endFrameIndex_1",
            "after",
        ),
        ({"start_frame": 3}, "startFrameIndex_1", "referenceVideo_1"),
        ({"captcha_token": "t" * 30, "captcha_retry": 2}, "captchaOrder", "captchaRetry"),
    ],
)
def test_s11_mutual_exclusions_are_refused_in_words_before_sending(
    fake_api: FakeApi, api_client: UseapiClient, kwargs: dict, param: str, words: str
) -> None:
    """§11: the rules of POST /videos are checked client-side, naming the field and the rule."""
    if param == "captchaOrder":  # captchaRetry + captchaToken: the second one named is refused
        param = "captchaToken"
    with pytest.raises(errors.RequestValidationError) as caught:
        api_client.generate_videos("a fox", **kwargs)
    assert caught.value.param == param
    assert words in str(caught.value)
    assert fake_api.requests == []


def test_s4_1_image_request_with_five_references_at_9_16(
    fake_api: FakeApi, api_client: UseapiClient
) -> None:
    """§4.1: today's ratios, up to 10 references on every nano model; ``auto`` needs one."""
    fake_api.reply(200, fixture="post-images-200")
    refs = [REF.format(i) for i in range(1, 6)]
    api_client.generate_images("a cat", model="nano-banana-2", aspect_ratio="9:16", references=refs)
    body = sent(fake_api)
    assert body["model"] == "nano-banana-2" and body["aspectRatio"] == "9:16"
    assert [body[f"reference_{i}"] for i in range(1, 6)] == refs
    with pytest.raises(errors.RequestValidationError) as caught:
        api_client.generate_images("a cat", aspect_ratio="auto")
    assert caught.value.param == "aspectRatio" and "reference" in str(caught.value)
    assert len(fake_api.requests) == 1


def test_s5_1_a_dropped_model_is_sent_as_its_replacement(
    fake_api: FakeApi, api_client: UseapiClient
) -> None:
    """§5.1: ``veo-3.1-fast-relaxed`` is gone; today the client asks for what replaced it."""
    fake_api.reply(201, fixture="post-videos-201-async")
    api_client.generate_videos("a fox", model="veo-3.1-fast-relaxed")
    assert sent(fake_api)["model"] == "veo-3.1-lite-low-priority"
    fake_api.reply(200, fixture="post-images-200")
    api_client.generate_images("a fox", model="imagen-4")  # an alias the service still takes
    assert sent(fake_api)["model"] == "imagen-4"


def test_s4_1_encoded_image_is_decoded_to_a_file_while_streaming(
    fake_api: FakeApi, api_client: UseapiClient, tmp_path: Path
) -> None:
    """§4.1: a ``generatedImage`` carries ``fifeUrl`` or ``encodedImage``; the inline one is
    written to a file, one file per image, and the result holds no base64."""
    body = fixture_json("post-images-200-encoded-image")
    second = json.loads(json.dumps(body["media"][0]))
    png = io.BytesIO()
    Image.new("RGB", (3, 2), (1, 2, 3)).save(png, "PNG")
    second["image"]["generatedImage"]["encodedImage"] = base64.b64encode(png.getvalue()).decode()
    second["image"]["generatedImage"]["mediaGenerationId"] = REF.format("second")
    body["media"].append(second)
    fake_api.reply(200, body)
    result = api_client.generate_images("a lighthouse", inline_dir=tmp_path)
    first_file, second_file = (Path(item.file) for item in result.media)
    assert first_file.read_bytes() == base64.b64decode(
        fixture_json("post-images-200-encoded-image")["media"][0]["image"]["generatedImage"][
            "encodedImage"
        ]
    )
    assert second_file.read_bytes() == png.getvalue()
    assert all(item.encoded is None and item.has_content for item in result.media)
    # Without a directory the base64 stays on the item (small answers, tests).
    fake_api.reply(200, fixture="post-images-200-encoded-image")
    plain = api_client.generate_images("a lighthouse")
    assert plain.media[0].decode() == first_file.read_bytes()


def test_s4_1_an_image_with_neither_fife_url_nor_encoded_image_is_refused(
    fake_api: FakeApi, api_client: UseapiClient
) -> None:
    body = fixture_json("post-images-200-encoded-image")
    del body["media"][0]["image"]["generatedImage"]["encodedImage"]
    fake_api.reply(200, body)
    with pytest.raises(errors.InvalidAnswer) as caught:
        api_client.generate_images("a lighthouse")
    assert "neither fifeUrl nor encodedImage" in caught.value.user_message
    assert not isinstance(caught.value, errors.MalformedResponse)  # final, not ambiguous


def test_s5_2_sync_video_result_read_from_media_first(
    fake_api: FakeApi, api_client: UseapiClient
) -> None:
    """§5.2 (≥ May 2026): ``media[]`` with ``videoUrl`` / ``thumbnailUrl``."""
    fake_api.reply(200, fixture="post-videos-200-media")
    result = api_client.generate_videos("a fox", async_=False)
    item = result.media[0]
    expected = fixture_json("post-videos-200-media")["media"][0]
    assert (item.url, item.thumbnail_url) == (expected["videoUrl"], expected["thumbnailUrl"])
    assert item.kind == "video" and item.problem() is None


def test_s6_1_job_record_with_media_and_camel_case_job_id(
    fake_api: FakeApi, api_client: UseapiClient
) -> None:
    """§6.1: completed video jobs expose ``response.media[]``; ``jobId`` as well as ``jobid``."""
    record = fixture_json("get-jobs-jobid-200-video-media")
    fake_api.reply(200, record)
    job = api_client.get_job(record["jobId"])
    assert job.job_id == record["jobId"] and job.is_completed
    assert job.media[0].url == record["response"]["media"][0]["videoUrl"]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda r: r.update(status="queued_somewhere"), "status 'queued_somewhere'"),
        (
            lambda r: r["response"]["media"][0]["video"]["generatedVideo"].update(
                model="mystery_model_9"
            ),
            "unknown model key 'mystery_model_9'",
        ),
        (lambda r: r["response"]["media"][0].pop("videoUrl"), "neither a URL"),
    ],
)
def test_s6_1_an_unusable_job_answer_fails_in_words(
    fake_api: FakeApi, api_client: UseapiClient, change: Any, words: str
) -> None:
    record = fixture_json("get-jobs-jobid-200-video-media")
    change(record)
    fake_api.reply(200, record)
    with pytest.raises(errors.InvalidAnswer) as caught:
        api_client.get_job(record["jobId"])
    assert words in caught.value.user_message
    assert caught.value.job_id == record["jobId"]


@pytest.mark.parametrize(("header", "expected"), [("120", 120.0), (None, 1180.0)])
def test_s1_2_no_eligible_account_is_its_own_error_with_retry_after(
    fake_api: FakeApi, api_client: UseapiClient, header: str | None, expected: float
) -> None:
    """§1.2: every account quarantined → 429 ``no_eligible_account``, ``Retry-After`` header
    (or the body's ``retryAfter``)."""
    headers = {"Retry-After": header} if header else {}
    fake_api.reply(429, fixture="post-videos-429-no-eligible-account", headers=headers)
    with pytest.raises(errors.NoEligibleAccount) as caught:
        api_client.generate_videos("a fox")
    error = caught.value
    assert error.retry_after == expected
    assert error.may_have_reached_service and isinstance(error, errors.RateLimited)
    assert [r["reason"] for r in error.skip_reasons] == ["quarantined", "quarantined"]
    assert error.resume_at(1000.0) == 1000.0 + expected
    assert "resting" in error.user_message


def test_s3_webp_and_mp4_assets_are_sent_raw_with_their_type(
    fake_api: FakeApi, api_client: UseapiClient
) -> None:
    """§3: ``image/webp`` (20 MB) and ``video/mp4`` (100 MB, answers ``durationSeconds``)."""
    fake_api.reply(200, fixture="post-assets-200-newer")
    asset = api_client.upload_asset(b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp", email="j@x.io")
    assert fake_api.last.headers["content-type"] == "image/webp"
    assert fake_api.last.body.startswith(b"RIFF")
    assert (asset.width, asset.height) == (1024, 768) and not asset.is_video
    fake_api.reply(
        200,
        {
            "mediaGenerationId": {"mediaGenerationId": VIDEO},
            "width": 320,
            "height": 180,
            "email": "jo***@gmail.com",
            "durationSeconds": 7.5,
        },
    )
    clip = api_client.upload_asset(b"\x00\x00\x00\x18ftypisom", "video/mp4")
    assert fake_api.last.headers["content-type"] == "video/mp4"
    assert clip.is_video and clip.duration_seconds == 7.5
    # endFrameIndex_1 from durationSeconds (§3): min(round(7.5 × 24), 240) = 180
    assert min(round(clip.duration_seconds * catalog.FRAMES_PER_SECOND), 240) == 180


def test_s2_3_account_model_keys_map_through_the_catalog() -> None:
    """§2.3: newer model keys (and unknown fields) in an account's model list."""
    account = Account.from_json(fixture_json("get-accounts-email-200-newer-models"))
    read = catalog.account_models(account.video_models)
    assert [(m.key, m.request_name) for m in read] == [
        ("veo_3_1_lite_low_priority", "veo-3.1-lite-low-priority"),
        ("omni_flash_1_1", "omni-flash"),
    ]
    assert read[1].credit_cost == 15 and read[0].generation_seconds == 240
    names = [m.name for m in catalog.runnable_models(account.paygate_tier, account.video_models)]
    assert "omni-flash" in names and "veo-3.1-fast" not in names


# === Part 2: the same client against the simulator, in both eras ================================


@pytest.fixture(scope="module", params=["2026-02", "2026-12"])
def era_sim(request: pytest.FixtureRequest) -> Iterator[SimulatorServer]:
    with SimulatorServer(speed=1000, seed=7, api=request.param) as server:
        yield server


@pytest.fixture
def client(era_sim: SimulatorServer) -> Iterator[UseapiClient]:
    era_sim.state.reset()
    with UseapiClient(
        era_sim.base_url,
        era_sim.token,
        user_agent=USER_AGENT,
        timeouts=Timeouts.uniform(30),
        era=era_sim.state.era,
    ) as c:
        yield c


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def test_both_eras_account_lists_map_through_the_catalog(client: UseapiClient) -> None:
    pro = client.get_account("pro.studio@gmail.com")
    assert pro.video_models
    for entry in catalog.account_models(pro.video_models, client.era):
        assert entry.request_name is not None, entry.key  # every key the service lists maps
    offered = catalog.runnable_models(pro.paygate_tier, pro.video_models, era_name=client.era)
    assert catalog.era(client.era).default_video in [m.name for m in offered]


def test_both_eras_an_image_with_the_default_model(client: UseapiClient, tmp_path: Path) -> None:
    result = client.generate_images("a lighthouse", count=2, seed=4, inline_dir=tmp_path)
    assert len(result.media) == 2
    for item in result.media:
        assert item.problem() is None
        assert item.url or Path(item.file).read_bytes().startswith(b"\xff\xd8")
    inline = [item for item in result.media if item.file]
    assert (len(inline) == 1) == (client.era == "2026-12")  # seeds 4, 5: the odd one inline


def test_both_eras_an_async_video_is_followed_to_its_result(
    client: UseapiClient, era_sim: SimulatorServer
) -> None:
    job = client.generate_videos("a kite", email="pro.studio@gmail.com")
    assert isinstance(job, Job) and job.status == "created"
    era_sim.state.advance(3600)
    done = client.get_job(job.job_id)
    assert done.is_completed and done.media[0].url and done.media[0].thumbnail_url
    newer = "media" in done.payload["response"]
    assert newer == (client.era == "2026-12")


def test_both_eras_png_assets_upload(client: UseapiClient) -> None:
    asset = client.upload_asset(png_bytes(), "image/png", email="pro.studio@gmail.com")
    assert (asset.width, asset.height) == (64, 48)


def test_newer_requests_work_today_and_get_the_older_eras_400(
    client: UseapiClient, era_sim: SimulatorServer
) -> None:
    if client.era == "2026-02":
        # A name the era does not know goes to the service, which answers its documented 400;
        # a parameter the era does not have is refused before sending.
        for call in (
            lambda: client.generate_videos("x", model="omni-flash"),
            lambda: client.generate_images("x", model="nano-banana-2"),
        ):
            with pytest.raises(errors.BadRequest) as caught:
                call()
            assert "Invalid model" in caught.value.api_message
        before = len(era_sim.state.requests(path="/videos"))
        with pytest.raises(errors.RequestValidationError):
            client.generate_videos("x", duration=8)
        assert len(era_sim.state.requests(path="/videos")) == before
        return
    out = io.BytesIO()
    frames = [Image.new("RGB", (160, 90), (i * 9 % 255, 80, 120)) for i in range(72)]
    sim_media._encode(out, (160, 90), frames)
    clip = client.upload_asset(out.getvalue(), "video/mp4", email="pro.studio@gmail.com")
    assert clip.is_video and clip.duration_seconds == pytest.approx(3, abs=0.05)
    last = min(round(clip.duration_seconds * 24), 240)
    edit = client.generate_videos(
        "make it snow",
        model="omni-flash",
        reference_video=clip.media_generation_id,
        start_frame=0,
        end_frame=last,
        async_=False,
    )
    assert edit.media[0].problem() is None and edit.media[0].url
    short = client.generate_videos(
        "a comet", model="omni-flash", duration=10, resolution="360p", async_=False
    )
    assert short.media[0].url
    webp = io.BytesIO()
    Image.new("RGB", (32, 32)).save(webp, "WEBP")
    assert client.upload_asset(webp.getvalue(), "image/webp").width == 32
