"""The simulator in today's era (2026-12, supplement §3, §4.1, §5, §10) and the older era's
refusals of the newer names."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from typing import Any

import av
import pytest
import requests
from PIL import Image

from flowdash.simulator import media
from flowdash.simulator.server import SimulatorServer

from .conftest import FREE, PRO, ULTRA, Api, image_bytes


@pytest.fixture(scope="module")
def sim_new() -> Iterator[SimulatorServer]:
    with SimulatorServer(speed=500, seed=20261203, api="2026-12") as server:
        yield server


@pytest.fixture
def new(sim_new: SimulatorServer) -> Iterator[Api]:
    sim_new.state.reset()
    yield Api(sim_new)
    sim_new.state.reset()


def mp4_bytes(seconds: float = 3, size=(160, 90)) -> bytes:
    out = io.BytesIO()
    frames = [Image.new("RGB", size, (i * 4 % 255, 90, 160)) for i in range(int(seconds * 24))]
    media._encode(out, size, frames)
    return out.getvalue()


def webp_bytes(size=(64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 200, 10)).save(out, "WEBP")
    return out.getvalue()


def upload(api: Api, data: bytes, ctype: str, email: str = PRO) -> Any:
    return api.post(f"/assets/{email}", data=data, headers={"Content-Type": ctype})


def video_seconds(api: Api, url: str) -> tuple[float, int, int]:
    data = _get(url)
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(video=0))
        return frames / 24, stream.codec_context.width, stream.codec_context.height


def _get(url: str) -> bytes:
    r = requests.get(url, timeout=30)
    assert r.status_code == 200
    return r.content


def wait_done(api: Api, job_id: str) -> dict[str, Any]:
    api.sim.state.advance(3600)
    r = api.get(f"/jobs/{job_id}")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "completed", r.json()
    return r.json()


# --- accounts: today's models per plan (§2.3, §5.1) ---------------------------------------------


def test_account_model_lists_show_todays_models_per_plan(new: Api) -> None:
    def keys(email: str) -> dict[str, Any]:
        body = new.get(f"/accounts/{email}").json()
        return {m["key"]: m for m in body["models"]["videoModels"]}

    ultra, pro = keys(ULTRA), keys(PRO)
    assert "veo_3_1_t2v_lite_low_priority" in ultra and "veo_3_1_t2v_lite_low_priority" not in pro
    assert pro["veo_3_1_t2v_fast"]["creditCost"] == 20
    assert ultra["veo_3_1_t2v_fast_ultra"]["creditCost"] == 10
    assert "VIDEO_MODEL_CAPABILITY_VIDEO_EDIT" in pro["omni_flash_1_1"]["capabilities"]
    assert not any("relaxed" in key for key in ultra)
    assert new.get(f"/accounts/{FREE}").json()["models"]["videoModels"] == []


# --- the older era refuses the newer names -------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "words"),
    [
        ("/images", {"model": "nano-banana-2"}, "Invalid model: nano-banana-2"),
        ("/videos", {"model": "omni-flash"}, "Invalid model: omni-flash"),
        ("/videos", {"model": "veo-3.1-lite"}, "Invalid model: veo-3.1-lite"),
        ("/videos", {"aspectRatio": "4:3"}, "Invalid aspectRatio"),
        ("/images", {"aspectRatio": "9:16"}, "Invalid aspectRatio"),
        ("/videos", {"referenceImage_4": "x"}, "referenceImage_1 to referenceImage_3"),
    ],
)
def test_the_older_era_rejects_newer_requests(api: Api, path, body, words) -> None:
    r = api.post(path, json={"prompt": "a fox", **body})
    assert r.status_code == 400
    assert words in r.json()["error"]
    assert api.sim.state.requests(path=path)[-1]["status"] == 400


def test_the_older_era_refuses_webp_and_mp4(api: Api) -> None:
    assert upload(api, webp_bytes(), "image/webp").status_code == 400
    assert upload(api, mp4_bytes(1), "video/mp4").status_code == 400


# --- images (§4.1) -------------------------------------------------------------------------------


def test_deprecated_image_names_run_todays_models(new: Api) -> None:
    body = new.image(model="imagen-4")
    assert body["media"][0]["image"]["generatedImage"]["modelNameType"] == "GEM_PIX_2_LITE"
    default = new.image()
    assert default["media"][0]["image"]["generatedImage"]["modelNameType"] == "GEM_PIX_2_LITE"


def test_nano_banana_2_with_five_references_at_9_16(new: Api) -> None:
    refs = {f"reference_{i}": new.upload(PRO) for i in range(1, 6)}
    body = new.image(model="nano-banana-2", aspectRatio="9:16", email=PRO, **refs)
    generated = body["media"][0]["image"]["generatedImage"]
    assert generated["aspectRatio"] == "IMAGE_ASPECT_RATIO_PORTRAIT"
    assert (
        len(generated["requestData"]["imageGenerationRequestData"]["imageGenerationImageInputs"])
        == 5
    )


def test_auto_aspect_needs_a_reference(new: Api) -> None:
    r = new.post("/images", json={"prompt": "a fox", "aspectRatio": "auto"})
    assert r.status_code == 400 and "auto" in r.json()["error"]
    ref = new.upload(PRO, size=(48, 64))
    body = new.image(aspectRatio="auto", reference_1=ref)
    assert body["media"][0]["image"]["generatedImage"]["aspectRatio"].endswith("PORTRAIT")


def test_some_images_come_back_inline(new: Api) -> None:
    body = new.image(count=4, seed=10)
    items = [m["image"]["generatedImage"] for m in body["media"]]
    inline = [g["seed"] for g in items if "encodedImage" in g]
    assert inline == [11, 13]
    for g in items:
        assert ("fifeUrl" in g) != ("encodedImage" in g)  # never both, never neither
    jpeg = base64.b64decode(items[1]["encodedImage"])
    assert jpeg.startswith(b"\xff\xd8\xff")


# --- videos (§5.1, §5.2) -------------------------------------------------------------------------


def test_a_6_second_lite_video_comes_back_as_media(new: Api) -> None:
    r = new.post(
        "/videos",
        json={
            "prompt": "waves",
            "model": "veo-3.1-lite",
            "duration": 6,
            "async": True,
            "email": PRO,
        },
    )
    assert r.status_code == 201, r.text
    record = wait_done(new, r.json()["jobid"])
    item = record["response"]["media"][0]
    assert "operations" not in record["response"]
    seconds, _, _ = video_seconds(new, item["videoUrl"])
    assert seconds == pytest.approx(6, abs=0.05)
    assert item["thumbnailUrl"]
    # Pro plan: lite costs 10 credits (supplement §5.1).
    assert record["response"]["remainingCredits"] == 1000 - 10


def test_a_10_second_360p_omni_video(new: Api) -> None:
    r = new.post(
        "/videos",
        json={
            "prompt": "a comet",
            "model": "omni-flash",
            "duration": 10,
            "resolution": "360p",
            "email": PRO,
        },
    )
    assert r.status_code == 200, r.text
    item = r.json()["media"][0]
    seconds, width, height = video_seconds(new, item["videoUrl"])
    assert seconds == pytest.approx(10, abs=0.05)
    assert (width, height) == media.video_size("landscape", "360p")
    assert r.json()["remainingCredits"] == 1000 - 7  # 360p 10 s: 7 credits


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"model": "veo-3.1-fast", "resolution": "360p"}, "Invalid resolution"),
        ({"model": "veo-3.1-fast-relaxed"}, "Invalid model"),
        ({"model": "veo-3.1-quality", "duration": 4}, "duration 4"),
        ({"model": "omni-flash", "aspectRatio": "1:1"}, "Invalid aspectRatio"),
        ({"model": "veo-3.1-fast", "duration": 10}, "duration 10"),
        ({"startFrameIndex_1": 5}, "require referenceVideo_1"),
    ],
)
def test_video_rules_of_today(new: Api, body, words) -> None:
    r = new.post("/videos", json={"prompt": "a fox", **body})
    assert r.status_code == 400, r.text
    assert words in r.json()["error"]


def test_veo_references_are_8_seconds_and_omni_takes_7(new: Api) -> None:
    refs = {f"referenceImage_{i}": new.upload(PRO) for i in range(1, 8)}
    few = {k: refs[k] for k in list(refs)[:3]}
    r = new.post("/videos", json={"prompt": "x", "duration": 6, **few})
    assert r.status_code == 400 and "duration 6" in r.json()["error"]
    r = new.post("/videos", json={"prompt": "x", "model": "veo-3.1-fast", **refs})
    assert r.status_code == 400 and "maximum of 3" in r.json()["error"]
    r = new.post("/videos", json={"prompt": "x", "model": "omni-flash", "async": True, **refs})
    assert r.status_code == 201, r.text


def test_v2v_edit_of_an_uploaded_mp4(new: Api) -> None:
    up = upload(new, mp4_bytes(3), "video/mp4")
    assert up.status_code == 200, up.text
    assert up.json()["durationSeconds"] == pytest.approx(3, abs=0.05)
    source = up.json()["mediaGenerationId"]["mediaGenerationId"]
    assert "-video:" in source
    r = new.post(
        "/videos",
        json={"prompt": "make it snow", "model": "veo-3.1-fast", "referenceVideo_1": source},
    )
    assert r.status_code == 400 and "omni-flash" in r.json()["error"]
    r = new.post(
        "/videos",
        json={
            "prompt": "make it snow",
            "model": "omni-flash",
            "referenceVideo_1": source,
            "duration": 8,
        },
    )
    assert r.status_code == 400 and "frame window" in r.json()["error"]
    r = new.post(
        "/videos",
        json={
            "prompt": "make it snow",
            "model": "omni-flash",
            "referenceVideo_1": source,
            "startFrameIndex_1": 12,
            "endFrameIndex_1": 60,
        },
    )
    assert r.status_code == 200, r.text
    seconds, _, _ = video_seconds(new, r.json()["media"][0]["videoUrl"])
    assert seconds == pytest.approx(2, abs=0.05)  # frames 12..59
    assert r.json()["remainingCredits"] == 1000 - 20  # V2V 720p: 20 credits


# --- assets (§3) ---------------------------------------------------------------------------------


def test_webp_and_mp4_are_checked_by_content(new: Api) -> None:
    ok = upload(new, webp_bytes(), "image/webp")
    assert ok.status_code == 200 and ok.json()["width"] == 64
    gif = io.BytesIO()
    Image.new("RGB", (8, 8)).save(gif, "GIF")
    r = upload(new, gif.getvalue(), "image/webp")
    assert r.status_code == 400 and "does not match" in r.json()["error"]
    r = upload(new, image_bytes(), "video/mp4")
    assert r.status_code == 400 and "does not match" in r.json()["error"]
    fake = b"\x00\x00\x00\x18ftypisom" + b"\x00" * 200
    r = upload(new, fake, "video/mp4")
    assert r.status_code == 400 and "Invalid video file" in r.json()["error"]


# --- quarantine (§1.2) ---------------------------------------------------------------------------


def test_throttled_accounts_rest_and_then_no_eligible_account(new: Api) -> None:
    state = new.sim.state
    state.faults.add("throttled", endpoint="videos", times=2)
    for _ in range(2):
        assert new.post("/videos", json={"prompt": "x", "async": True}).status_code == 429
    r = new.post("/videos", json={"prompt": "x", "async": True})
    assert r.status_code == 429
    body = r.json()
    assert body["error"] == "no_eligible_account"
    assert int(r.headers["Retry-After"]) == body["retryAfter"]
    assert 1700 <= body["retryAfter"] <= 1800
    reasons = {entry["reason"] for entry in body["skipReasons"]}
    assert "quarantined" in reasons
    # an explicit account is not load balancing: it is still served
    assert new.post("/videos", json={"prompt": "x", "email": PRO, "async": True}).status_code == 201
    state.advance(1800 / state.speed + 1)
    assert new.post("/videos", json={"prompt": "x", "async": True}).status_code == 201


def test_a_single_account_is_never_quarantined(sim_new: SimulatorServer) -> None:
    sim_new.state.reset()
    for email in (ULTRA, FREE):
        sim_new.state.remove_account(email)
    api = Api(sim_new)
    sim_new.state.faults.add("throttled", endpoint="videos", times=1)
    assert api.post("/videos", json={"prompt": "x", "async": True}).status_code == 429
    assert api.post("/videos", json={"prompt": "x", "async": True}).status_code == 201
    sim_new.state.reset()
