"""POST /videos, /videos/extend, /videos/upscale, /videos/gif, /videos/concatenate."""

from __future__ import annotations

import base64
import io
import time

import av
import requests
from PIL import Image

from flowdash.simulator import media

from .conftest import FREE, PRO, ULTRA, Api


def _probe(data: bytes) -> media.VideoInfo:
    return media.probe_video(data)


def _download(url: str) -> bytes:
    r = requests.get(url, timeout=20)
    assert r.status_code == 200, r.text
    return r.content


def _wait(api: Api, job_id: str, status: str = "completed", timeout: float = 15) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = api.get("/jobs/" + job_id).json()
        if job["status"] == status:
            return job
        time.sleep(0.05)
    raise AssertionError(f"{job_id} never reached {status}: {job}")


def test_sync_video_documented_shape_real_mp4_and_thumbnail(api: Api) -> None:
    body = api.video(email=PRO, prompt="a red kite over the sea", count=2, seed=10)
    assert body["jobId"].endswith("v-u1000-email:pr***@gmail.com-bot:google-flow")
    assert body["remainingCredits"] == 1000 - 2 * 10
    assert len(body["operations"]) == 2
    op = body["operations"][0]
    assert op["status"] == "MEDIA_GENERATION_STATUS_SUCCESSFUL"
    video = op["operation"]["metadata"]["video"]
    assert op["mediaGenerationId"] == video["mediaGenerationId"]
    assert video["model"] == "veo_3_1_t2v"
    assert video["aspectRatio"] == "VIDEO_ASPECT_RATIO_LANDSCAPE"
    assert [o["operation"]["metadata"]["video"]["seed"] for o in body["operations"]] == [10, 11]
    clip = _download(video["fifeUrl"])
    info = _probe(clip)
    assert info.codec == "h264" and (info.width, info.height) == (320, 180)
    assert abs(info.duration - 8.0) < 0.1
    with Image.open(io.BytesIO(_download(video["servingBaseUri"]))) as thumb:
        assert thumb.format == "JPEG"
    with av.open(io.BytesIO(clip)) as container:  # PyAV reads the container's own duration
        assert abs(container.duration / 1e6 - 8.0) < 0.1


def test_async_video_201_then_completed_via_get_job(api: Api) -> None:
    r = api.post(
        "/videos",
        json={"prompt": "waves", "async": True, "aspectRatio": "portrait", "replyRef": "ref-1"},
    )
    assert r.status_code == 201
    created = r.json()
    assert "jobId" not in created and created["jobid"].endswith("-bot:google-flow")
    assert created["status"] == "created" and created["type"] == "video"
    assert created["request"]["async"] is True and created["request"]["replyRef"] == "ref-1"
    assert created["response"]["operations"][0]["status"] == "MEDIA_GENERATION_STATUS_PENDING"
    assert created["response"]["captcha"]["durationMs"] > 0
    job = _wait(api, created["jobid"])
    video = job["response"]["operations"][0]["operation"]["metadata"]["video"]
    assert video["aspectRatio"] == "VIDEO_ASPECT_RATIO_PORTRAIT"
    info = _probe(_download(video["fifeUrl"]))
    assert (info.width, info.height) == (180, 320)


def test_video_models_plans_and_credits(api: Api) -> None:
    ultra = api.video(email=ULTRA, model="veo-3.1-fast")
    assert ultra["remainingCredits"] == 25000  # _ultra fast models are unlimited
    quality = api.video(email=ULTRA, model="veo-3.1-quality")
    assert quality["remainingCredits"] == 24900
    r = api.post("/videos", json={"prompt": "x", "email": PRO, "model": "veo-3.1-fast-relaxed"})
    assert r.status_code == 400 and "Ultra" in r.json()["error"]
    r = api.post("/videos", json={"prompt": "x", "email": FREE})
    assert r.status_code == 402 and "PAYGATE_TIER_NOT_PAID" in r.json()["error"]
    api.sim.state.set_account_state(PRO, credits=5)
    r = api.post("/videos", json={"prompt": "x", "email": PRO})
    assert r.status_code == 402 and "credits" in r.json()["error"]
    assert api.get(f"/accounts/{PRO}").json()["credits"]["credits"] == 5  # nothing spent


def test_auto_choice_for_videos_skips_the_free_account(api: Api) -> None:
    for _ in range(4):
        job_id = api.post("/videos", json={"prompt": "x", "async": True}).json()["jobid"]
        assert "fr***" not in job_id


def test_image_to_video_and_reference_modes(api: Api) -> None:
    start = api.upload(PRO)
    end = api.upload(PRO)
    i2v = api.video(startImage=start)
    assert "pr***" in i2v["jobId"]
    assert i2v["operations"][0]["operation"]["metadata"]["video"]["model"] == "veo_3_1_i2v"
    fl = api.video(startImage=start, endImage=end)
    assert fl["operations"][0]["operation"]["metadata"]["video"]["model"] == "veo_3_1_i2v_fl"
    r2v = api.video(referenceImage_1=start, referenceImage_2=end)
    assert r2v["operations"][0]["operation"]["metadata"]["video"]["model"] == "veo_3_1_r2v"
    cases = [
        ({"endImage": end}, "endImage requires startImage"),
        ({"startImage": start, "referenceImage_1": end}, "cannot be combined"),
        ({"referenceImage_1": start, "model": "veo-3.1-quality"}, "veo-3.1-quality"),
        ({"referenceImage_1": start, "aspectRatio": "portrait"}, "landscape"),
        ({"referenceImage_4": start}, "referenceImage_1 to referenceImage_3"),
        ({"count": 5}, "count"),
        ({"model": "sora"}, "model"),
        ({"async": "sometimes"}, "async"),
    ]
    for extra, message in cases:
        r = api.post("/videos", json={"prompt": "x", **extra})
        assert r.status_code == 400, (extra, r.text)
        assert message in r.json()["error"], (extra, r.json())
    r = api.post("/videos", json={"prompt": "x", "startImage": start, "email": ULTRA})
    assert r.status_code == 400 and "mismatch" in r.json()["error"].lower()


def test_extend_continues_the_source(api: Api) -> None:
    source = api.video(email=ULTRA, prompt="a paper boat", seed=5)
    source_id = source["operations"][0]["mediaGenerationId"]
    r = api.post(
        "/videos/extend", json={"mediaGenerationId": source_id, "prompt": "it reaches the sea"}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    video = body["operations"][0]["operation"]["metadata"]["video"]
    assert video["model"] == "veo_3_1_t2v" and video["prompt"] == "it reaches the sea"
    src = [
        f.to_image()
        for f in av.open(
            io.BytesIO(
                _download(source["operations"][0]["operation"]["metadata"]["video"]["fifeUrl"])
            )
        ).decode(video=0)
    ]
    ext_bytes = _download(video["fifeUrl"])
    assert abs(_probe(ext_bytes).duration - 8.0) < 0.1
    ext = [f.to_image() for f in av.open(io.BytesIO(ext_bytes)).decode(video=0)]
    from PIL import ImageChops, ImageStat

    def diff(a, b):
        return ImageStat.Stat(ImageChops.difference(a.convert("L"), b.convert("L"))).mean[0]

    assert diff(ext[0], src[7 * 24]) < 3  # the first second repeats the source's last second
    assert diff(ext[-1], src[-1]) > 5  # and then it moves on
    # async extend echoes the source id
    r = api.post(
        "/videos/extend", json={"mediaGenerationId": source_id, "prompt": "more", "async": True}
    )
    assert r.status_code == 201
    assert r.json()["request"]["mediaGenerationId"] == source_id


def test_extend_validation(api: Api) -> None:
    image = api.upload(PRO)
    assert api.post("/videos/extend", json={"prompt": "x"}).status_code == 400
    video = api.video_id(email=PRO)
    assert api.post("/videos/extend", json={"mediaGenerationId": video}).status_code == 400
    r = api.post("/videos/extend", json={"mediaGenerationId": image, "prompt": "x"})
    assert r.json()["error"] == "mediaGenerationId type must be 'video', got 'image'"
    missing = video.rsplit(":", 1)[0] + ":CAMaMISSING"
    assert (
        api.post("/videos/extend", json={"mediaGenerationId": missing, "prompt": "x"}).status_code
        == 404
    )


def test_upscale_1080p_and_4k_only_on_ultra(api: Api) -> None:
    pro_video = api.video_id(email=PRO)
    r = api.post("/videos/upscale", json={"mediaGenerationId": pro_video, "resolution": "4K"})
    assert r.status_code == 400 and "Ultra" in r.json()["error"]
    r = api.post("/videos/upscale", json={"mediaGenerationId": pro_video})
    assert r.status_code == 200
    video = r.json()["operations"][0]["operation"]["metadata"]["video"]
    assert video["model"] == "veo_3_1_upsampler_1080p"
    info = _probe(_download(video["fifeUrl"]))
    assert (info.width, info.height) == (640, 360) and abs(info.duration - 8.0) < 0.1

    ultra_video = api.video_id(email=ULTRA)
    r = api.post("/videos/upscale", json={"mediaGenerationId": ultra_video, "resolution": "4K"})
    assert r.status_code == 200
    assert r.json()["remainingCredits"] == 25000 - 50
    video = r.json()["operations"][0]["operation"]["metadata"]["video"]
    assert video["model"] == "veo_3_1_upsampler_4k"
    info = _probe(_download(video["fifeUrl"]))
    assert (info.width, info.height) == (1280, 720)
    # upscaling the same video again returns the cached result as rawBytes, free of charge
    again = api.post("/videos/upscale", json={"mediaGenerationId": ultra_video, "resolution": "4K"})
    op = again.json()["operations"][0]
    assert "fifeUrl" not in op["operation"]["metadata"]["video"]
    assert _probe(base64.b64decode(op["rawBytes"])).width == 1280
    assert again.json()["remainingCredits"] == 25000 - 50
    r = api.post("/videos/upscale", json={"mediaGenerationId": ultra_video, "resolution": "8K"})
    assert r.status_code == 400


def test_gif(api: Api) -> None:
    video = api.video_id(email=PRO)
    r = api.post("/videos/gif", json={"mediaGenerationId": video})
    assert r.status_code == 200
    with Image.open(io.BytesIO(base64.b64decode(r.json()["encodedGif"]))) as gif:
        assert gif.format == "GIF" and gif.n_frames > 5
    assert api.post("/videos/gif", json={}).json() == {"error": "mediaGenerationId is required"}
    image = api.upload(PRO)
    r = api.post("/videos/gif", json={"mediaGenerationId": image})
    assert r.status_code == 400
    assert r.json() == {"error": "mediaGenerationId type must be 'video', got 'image'", "code": 400}


def test_concatenate_with_trims(api: Api) -> None:
    a = api.video_id(email=ULTRA, seed=1)
    b = api.video_id(email=ULTRA, seed=2)
    c = api.post("/videos/extend", json={"mediaGenerationId": b, "prompt": "next"}).json()[
        "operations"
    ][0]["mediaGenerationId"]
    r = api.post(
        "/videos/concatenate",
        json={
            "media": [
                {"mediaGenerationId": a, "trimEnd": 0.5},
                {"mediaGenerationId": b},
                {"mediaGenerationId": c, "trimStart": 1, "trimEnd": 2.25},
            ]
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "MEDIA_GENERATION_STATUS_SUCCESSFUL" and body["inputsCount"] == 3
    assert body["jobId"].endswith("v-u1000-email:ul***@gmail.com-bot:google-flow")
    info = _probe(base64.b64decode(body["encodedVideo"]))
    assert abs(info.duration - (24 - 0.5 - 1 - 2.25)) < 0.5
    assert info.codec == "h264"


def test_concatenate_validation(api: Api) -> None:
    a = api.video_id(email=ULTRA)
    b = api.video_id(email=ULTRA)
    portrait = api.video_id(email=ULTRA, aspectRatio="portrait")
    other = api.video_id(email=PRO)
    cases = [
        ({}, "media is required"),
        ({"media": [{"mediaGenerationId": a}]}, "2 to 10"),
        ({"media": [{"mediaGenerationId": a}] * 11}, "2 to 10"),
        ({"media": [{"mediaGenerationId": a}, {}]}, "media[1].mediaGenerationId is required"),
        (
            {"media": [{"mediaGenerationId": a, "trimStart": 9}, {"mediaGenerationId": b}]},
            "trimStart",
        ),
        ({"media": [{"mediaGenerationId": a, "trimEnd": -1}, {"mediaGenerationId": b}]}, "trimEnd"),
        (
            {
                "media": [
                    {"mediaGenerationId": a, "trimStart": 4, "trimEnd": 4},
                    {"mediaGenerationId": b},
                ]
            },
            "shorter",
        ),
        (
            {"media": [{"mediaGenerationId": a}, {"mediaGenerationId": other}]},
            "same Google Flow account",
        ),
        (
            {"media": [{"mediaGenerationId": a}, {"mediaGenerationId": portrait}]},
            "same aspect ratio",
        ),
    ]
    for body, message in cases:
        r = api.post("/videos/concatenate", json=body)
        assert r.status_code == 400, (body, r.text)
        assert message in r.json()["error"], (body, r.json())
        assert r.json()["code"] == 400


def test_new_forms_media_items_for_videos(api: Api) -> None:
    api.sim.state.settings.new_forms = True
    body = api.video(email=PRO)
    assert "operations" not in body
    item = body["media"][0]
    assert item["mediaGenerationId"] and item["video"]["dimensions"] == {
        "width": 320,
        "height": 180,
    }
    assert abs(_probe(_download(item["videoUrl"])).duration - 8.0) < 0.1
    with Image.open(io.BytesIO(_download(item["thumbnailUrl"]))) as thumb:
        assert thumb.format == "JPEG"
    upscaled = api.post(
        "/videos/upscale", json={"mediaGenerationId": item["mediaGenerationId"]}
    ).json()
    assert "operations" in upscaled and "media" in upscaled  # upscales carry both forms
