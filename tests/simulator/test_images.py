"""POST /assets, POST /images and POST /images/upscale."""

from __future__ import annotations

import base64
import io

import requests
from PIL import Image

from flowdash.simulator.store import parse_media_id

from .conftest import FREE, PRO, ULTRA, Api, image_bytes


def _owner(media_id: str) -> str:
    parsed = parse_media_id(media_id)
    assert parsed is not None, media_id
    return parsed[1]


# --------------------------------------------------------------------------- assets


def test_upload_png_and_jpeg(api: Api) -> None:
    r = api.post(
        f"/assets/{PRO}", data=image_bytes((120, 90)), headers={"Content-Type": "image/png"}
    )
    assert r.status_code == 200
    body = r.json()
    assert body["width"] == 120 and body["height"] == 90
    assert body["email"] == "pr***@gmail.com"
    media_id = body["mediaGenerationId"]["mediaGenerationId"]
    assert media_id.startswith("user:1000-email:" + PRO.encode().hex() + "-image:")
    jpeg = api.upload(ULTRA, fmt="JPEG")
    assert _owner(jpeg) == ULTRA


def test_upload_without_email_is_load_balanced_on_image_stats(api: Api) -> None:
    state = api.sim.state
    # give two accounts a failed image each: the third one (score 0) must get the upload
    state.faults.add("unavailable", endpoint="images", email=ULTRA, times=1)
    state.faults.add("unavailable", endpoint="images", email=PRO, times=1)
    assert api.post("/images", json={"prompt": "x", "email": ULTRA}).status_code == 503
    assert api.post("/images", json={"prompt": "x", "email": PRO}).status_code == 503
    for _ in range(3):
        assert _owner(api.upload()) == FREE


def test_upload_validation(api: Api) -> None:
    png = image_bytes()
    cases = [
        (b"", "image/png", "empty"),
        (png, "image/gif", "Unsupported Content-Type"),
        (png, None, "Unsupported Content-Type"),
        (png, "image/jpeg", "does not match"),
        (b"\x89PNG\r\n\x1a\n" + b"garbage" * 10, "image/png", "Invalid image"),
        (b"\xff\xd8\xff" + b"\0" * (20 * 1024 * 1024), "image/jpeg", "is over 20971520 bytes"),
    ]
    for data, ctype, message in cases:
        headers = {"Content-Type": ctype} if ctype else {}
        r = api.post("/assets", data=data, headers=headers)
        assert r.status_code == 400, (ctype, r.text)
        assert message in r.json()["error"], r.json()
    too_big = api.post(
        "/assets",
        data=b"\xff\xd8\xff" + b"\0" * (25165824 - 3),
        headers={"Content-Type": "image/jpeg"},
    )
    assert too_big.json() == {"error": "File size (25165824) is over 20971520 bytes"}
    r = api.post("/assets/nobody@gmail.com", data=png, headers={"Content-Type": "image/png"})
    assert r.status_code == 404
    assert r.json() == {"error": "Google Flow account nobody@gmail.com not found"}


# --------------------------------------------------------------------------- images


def test_generate_images_documented_shape_and_real_files(api: Api) -> None:
    r = api.post(
        "/images",
        json={
            "prompt": "a serene mountain lake",
            "email": PRO,
            "count": 3,
            "seed": 41,
            "aspectRatio": "portrait",
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["jobId"].endswith("i-u1000-email:pr***@gmail.com-bot:google-flow")
    assert len(body["media"]) == 3
    assert body["captcha"]["attempts"][0]["success"] is True
    seeds = []
    for item in body["media"]:
        generated = item["image"]["generatedImage"]
        assert generated["modelNameType"] == "IMAGEN_3_5"
        assert generated["aspectRatio"] == "IMAGE_ASPECT_RATIO_PORTRAIT"
        assert generated["mediaVisibility"] == "PRIVATE"
        assert generated["requestData"]["promptInputs"][0]["textInput"] == "a serene mountain lake"
        seeds.append(generated["seed"])
        download = requests.get(generated["fifeUrl"], timeout=10)
        assert download.status_code == 200
        assert download.headers["Content-Type"] == "image/jpeg"
        with Image.open(io.BytesIO(download.content)) as image:
            assert image.size == (360, 640)
    assert seeds == [41, 42, 43]
    job = api.get("/jobs/" + body["jobId"]).json()
    assert job["status"] == "completed" and job["type"] == "image"
    assert job["response"]["media"][0]["image"]["generatedImage"]["fifeUrl"]


def test_default_count_is_four(api: Api) -> None:
    assert len(api.post("/images", json={"prompt": "x"}).json()["media"]) == 4


def test_image_validation_errors(api: Api) -> None:
    cases = [
        ({}, "prompt is required"),
        ({"prompt": "x", "count": 0}, "count"),
        ({"prompt": "x", "count": 5}, "count"),
        ({"prompt": "x", "model": "dall-e"}, "model"),
        ({"prompt": "x", "aspectRatio": "square"}, "aspectRatio"),
        ({"prompt": "x", "seed": -1}, "seed"),
        ({"prompt": "x", "captchaRetry": 11}, "captchaRetry"),
        ({"prompt": "x", "captchaRetry": 2, "captchaOrder": "CapSolver"}, "mutually exclusive"),
        ({"prompt": "x", "captchaOrder": "CapSolver"}, "no API key"),
        ({"prompt": "x", "replyUrl": "ftp://nope"}, "replyUrl"),
        ({"prompt": "x", "reference_1": "not-an-id"}, "reference_1"),
    ]
    for body, message in cases:
        r = api.post("/images", json=body)
        assert r.status_code == 400, (body, r.text)
        assert message in r.json()["error"], (body, r.json())
    assert (
        api.post(
            "/images", data="{not json", headers={"Content-Type": "application/json"}
        ).status_code
        == 400
    )
    r = api.post("/images", json={"prompt": "x", "email": "nobody@gmail.com"})
    assert r.status_code == 404
    assert r.json() == {"error": "Google Flow account nobody@gmail.com not found"}


def test_references_limits_and_auto_model(api: Api) -> None:
    refs = [api.upload(ULTRA) for _ in range(4)]
    body = {f"reference_{i + 1}": ref for i, ref in enumerate(refs)}
    r = api.post("/images", json={"prompt": "x", "model": "nano-banana", **body})
    assert r.status_code == 400 and "maximum of 3" in r.json()["error"]
    r = api.post("/images", json={"prompt": "x", "model": "imagen-4", **body})
    assert r.status_code == 400
    # no model and more than 3 references: nano-banana-pro (Ultra account, so it works)
    auto = api.post("/images", json={"prompt": "x", "count": 1, **body})
    assert auto.status_code == 200, auto.text
    generated = auto.json()["media"][0]["image"]["generatedImage"]
    assert generated["modelNameType"] == "GEM_PIX_2"
    inputs = generated["requestData"]["imageGenerationRequestData"]["imageGenerationImageInputs"]
    assert [i["mediaGenerationId"] for i in inputs] == refs
    # 1-3 references: nano-banana, no references: imagen-4
    one = api.image(reference_1=refs[0])["media"][0]["image"]["generatedImage"]
    assert one["modelNameType"] == "GEM_PIX"
    assert api.image()["media"][0]["image"]["generatedImage"]["modelNameType"] == "IMAGEN_3_5"
    eleven = {f"reference_{i + 1}": refs[0] for i in range(10)}
    assert (
        api.post("/images", json={"prompt": "x", "model": "nano-banana-pro", **eleven}).status_code
        == 200
    )


def test_references_route_to_their_account(api: Api) -> None:
    ref = api.upload(FREE)
    body = api.image(reference_1=ref)
    assert "email:fr***@gmail.com" in body["jobId"]
    assert _owner(body["media"][0]["image"]["generatedImage"]["mediaGenerationId"]) == FREE
    r = api.post("/images", json={"prompt": "x", "reference_1": ref, "email": PRO})
    assert r.status_code == 400 and "mismatch" in r.json()["error"].lower()
    other = api.upload(PRO)
    r = api.post("/images", json={"prompt": "x", "reference_1": ref, "reference_2": other})
    assert r.status_code == 400 and "same Google Flow account" in r.json()["error"]
    api.delete(f"/accounts/{FREE}")
    r = api.post("/images", json={"prompt": "x", "reference_1": ref})
    assert r.status_code == 404 and FREE in r.json()["error"]


def test_nano_banana_pro_needs_ultra(api: Api) -> None:
    r = api.post("/images", json={"prompt": "x", "email": PRO, "model": "nano-banana-pro"})
    assert r.status_code == 429
    detail = r.json()["error"]["details"][0]
    assert detail["reason"] == "PUBLIC_ERROR_PER_MODEL_DAILY_QUOTA_REACHED"
    assert detail["metadata"] == {"canUpgradeForQuota": "true"}


def test_multipart_form_is_accepted(api: Api) -> None:
    r = api.post(
        "/images", files={"prompt": (None, "a kite"), "count": (None, "2"), "email": (None, PRO)}
    )
    assert r.status_code == 200, r.text
    assert len(r.json()["media"]) == 2


def test_new_forms_return_encoded_images(api: Api) -> None:
    api.control("POST", "/settings", json={"newForms": True})
    generated = api.image()["media"][0]["image"]["generatedImage"]
    assert "fifeUrl" not in generated
    with Image.open(io.BytesIO(base64.b64decode(generated["encodedImage"]))) as image:
        assert image.size == (640, 360)


# --------------------------------------------------------------------------- upscale


def test_upscale_nano_banana_pro_image(api: Api) -> None:
    media_id = api.image(email=ULTRA, model="nano-banana-pro")["media"][0]["image"][
        "generatedImage"
    ]["mediaGenerationId"]
    for resolution, size in (("2k", (1280, 720)), ("4k", (1920, 1080))):
        r = api.post(
            "/images/upscale", json={"mediaGenerationId": media_id, "resolution": resolution}
        )
        assert r.status_code == 200, r.text
        assert r.json()["captcha"]["attempts"]
        with Image.open(io.BytesIO(base64.b64decode(r.json()["encodedImage"]))) as image:
            assert image.format == "JPEG" and image.size == size
    default = api.post("/images/upscale", json={"mediaGenerationId": media_id}).json()
    with Image.open(io.BytesIO(base64.b64decode(default["encodedImage"]))) as image:
        assert image.size == (1280, 720)


def test_upscale_other_models_gives_the_documented_429(api: Api) -> None:
    media_id = api.image(model="imagen-4")["media"][0]["image"]["generatedImage"][
        "mediaGenerationId"
    ]
    r = api.post("/images/upscale", json={"mediaGenerationId": media_id})
    assert r.status_code == 429
    body = r.json()
    assert (
        body["error"]["details"][0]["reason"]
        == "PUBLIC_ERROR_PER_MODEL_DAILY_QUOTA_REACHED_UPGRADEABLE"
    )
    assert body["captcha"]["attempts"]


def test_upscale_validation(api: Api) -> None:
    r = api.post("/images/upscale", json={})
    assert r.status_code == 400 and r.json() == {"error": "mediaGenerationId is required"}
    video = api.video_id(email=PRO)
    r = api.post("/images/upscale", json={"mediaGenerationId": video})
    assert r.status_code == 400
    assert r.json()["error"] == "mediaGenerationId type must be 'image', got 'video'"
    missing = "user:1000-email:" + PRO.encode().hex() + "-image:CAMaUNKNOWN"
    assert api.post("/images/upscale", json={"mediaGenerationId": missing}).status_code == 404
    image = api.image(email=ULTRA, model="nano-banana-pro")["media"][0]["image"]["generatedImage"]
    r = api.post(
        "/images/upscale",
        json={"mediaGenerationId": image["mediaGenerationId"], "resolution": "8k"},
    )
    assert r.status_code == 400


def test_upload_streamed_with_chunked_encoding(api: Api) -> None:
    data = image_bytes((100, 50), "JPEG")

    def stream():
        for i in range(0, len(data), 300):
            yield data[i : i + 300]

    r = api.post(f"/assets/{PRO}", data=stream(), headers={"Content-Type": "image/jpeg"})
    assert r.status_code == 200, r.text
    assert (r.json()["width"], r.json()["height"]) == (100, 50)
