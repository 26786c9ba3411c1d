"""The studio in Chromium against the simulator speaking today's service (the 2026-12 era):
a nano-banana-2 image with 5 references at 9:16, a 6 s veo-3.1-lite video, a 10 s 360p
omni-flash video and a V2V edit of an uploaded MP4. Each is sent with the documented fields
(simulator request log), each result shows or plays from our storage, and the credits the
studio shows before the click are the catalog's figure.

No Celery worker here: ``run()`` drives each queued job in-process, as the worker would, with a
client speaking the simulator's era (the session's worker speaks the era it was started in)."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from playwright.sync_api import expect

from flowdash.accounts.models import FlowAccount
from flowdash.assets.models import Asset
from flowdash.jobs.models import Job
from flowdash.lib.ports import free_port
from flowdash.useapi import catalog
from flowdash.useapi.client import UseapiClient
from tests.assets.images import mp4_bytes, png_bytes
from tests.browser.conftest import sign_in
from tests.jobs.test_pipeline import run

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "a-long-password-1"
TODAY = "2026-12"


@pytest.fixture
def today(use_simulator, settings, tmp_path):
    """The simulator in today's era, and this test's jobs driven here by ``run()`` only.

    The session's shared Celery worker (started by earlier browser tests) speaks the era it was
    started in and would take these committed jobs from the broker: the messages go to a broker
    nobody listens on (refused at once; the job rows are the outbox)."""
    from flowdash.celery import app as celery_app

    old_broker = celery_app.conf.broker_url
    celery_app.conf.broker_url = f"redis://127.0.0.1:{free_port()}/0"
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    settings.FLOWDASH_SIM_API = TODAY
    settings.FLOWDASH_JOB_TIME_SCALE = use_simulator.state.settings.speed
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.PUBLIC_URL = ""
    use_simulator.state.reset()
    use_simulator.state.update_settings({"api": TODAY})
    yield use_simulator
    use_simulator.state.reset()
    celery_app.conf.broker_url = old_broker
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def studio(today, make_user):
    """A creator, a Pro account the simulator knows, five images and a 4 s MP4 uploaded."""
    user = make_user("carol", "creator", PASSWORD)
    account = FlowAccount.objects.create(
        email="pr***@gmail.com",
        full_email="pro.studio@gmail.com",
        health="OK",
        paygate_tier=catalog.TIER_PRO,
    )
    uploader = Client()
    uploader.force_login(user)
    files = [
        SimpleUploadedFile(f"ref{i}.png", png_bytes(color=(30 * i, 90, 140)), "image/png")
        for i in range(5)
    ] + [SimpleUploadedFile("walk.mp4", mp4_bytes(4, (160, 90)), "video/mp4")]
    for upload in files:
        assert uploader.post("/assets/", {"files": [upload]}).status_code in (200, 302)
    images = list(Asset.objects.exclude(content_type=Asset.MP4).order_by("pk"))
    clip = Asset.objects.get(content_type=Asset.MP4)
    assert len(images) == 5 and clip.v2v_problem() is None
    return account, images, clip


def posted(sim, path: str) -> dict:
    bodies = [e["body"] for e in sim.state.requests(method="POST", path=path)]
    assert bodies, f"nothing was sent to {path}"
    return bodies[-1]


def submitted(page, button: str) -> Job:
    before = set(Job.objects.values_list("pk", flat=True))
    page.get_by_role("button", name=button).click()
    expect(page.locator(".message.success")).to_contain_text("queued")
    return Job.objects.exclude(pk__in=before).get()


def shows_from_our_storage(page, job: Job, kind: str) -> None:
    """The finished job's result, opened in the gallery, loads from flowdash itself."""
    media = job.media.get()
    assert media.download_status == "stored" and media.kind == kind
    page.goto(f"/gallery/{media.pk}/")
    if kind == "image":
        img = page.locator("main img").first
        expect(img).to_have_js_property("complete", True)
        assert img.evaluate("i => i.naturalWidth") > 0
        assert img.evaluate("i => new URL(i.currentSrc).host") == page.evaluate("location.host")
    else:
        video = page.locator("main video").first
        video.evaluate("v => { v.muted = true; return v.play(); }")
        page.wait_for_function(
            "() => { const v = document.querySelector('main video'); "
            "return v && v.readyState >= 2 && v.currentTime > 0; }"
        )
        src = video.evaluate("v => new URL(v.currentSrc).host")
        assert src == page.evaluate("location.host")


def cost_shown(page) -> str:
    return page.locator("#video-form [data-cost-line]").inner_text()


def test_todays_models_from_the_studio_to_our_storage(page, live_server, today, studio):
    account, images, clip = studio
    api = UseapiClient(today.base_url, today.token, era=TODAY)
    sign_in(page, "carol", PASSWORD)

    # 1. nano-banana-2, five references, 9:16.
    page.goto("/studio/")
    form = page.locator("#image-form")
    form.get_by_label("Prompt", exact=True).fill("a market street at dawn, tall format")
    form.get_by_label("Model", exact=True).select_option("nano-banana-2")
    form.get_by_label("Aspect ratio", exact=True).select_option("9:16")
    form.get_by_label("Count", exact=True).fill("1")
    for asset in images:
        form.locator(f'input[name="references"][value="asset:{asset.pk}"]').check()
    expect(form.locator("[data-ref-counter]")).to_have_text("5 of 10 picked")
    job = submitted(page, "Generate images")
    job = run(job, api)
    assert job.status == "completed", job.error_message
    body = posted(today, "/images")
    assert body["model"] == "nano-banana-2" and body["aspectRatio"] == "9:16"
    assert [k for k in body if re.fullmatch(r"reference_\d+", k)] == [
        f"reference_{i}" for i in range(1, 6)
    ]
    shows_from_our_storage(page, job, "image")

    # 2. veo-3.1-lite, 6 s, on the Pro account: the cost line is the catalog's figure.
    page.goto("/studio/?tab=video")
    form = page.locator("#video-form")
    form.get_by_label("Prompt", exact=True).fill("a paper plane crosses the room")
    form.get_by_label("Model", exact=True).select_option("veo-3.1-lite")
    form.locator("select[name=duration]").select_option("6")
    form.locator("select[name=account]").select_option(str(account.pk))
    lite = catalog.cost("veo-3.1-lite", duration=6, tier=catalog.TIER_PRO).credits
    assert cost_shown(page).startswith(f"This will spend {lite} credits.")
    job = run(submitted(page, "Generate video"), api)
    assert job.status == "completed", job.error_message
    body = posted(today, "/videos")
    assert (body["model"], body["duration"]) == ("veo-3.1-lite", 6)
    shows_from_our_storage(page, job, "video")

    # 3. omni-flash, 10 s at 360p: its price depends on both, and the line follows them.
    page.goto("/studio/?tab=video")
    form = page.locator("#video-form")
    form.get_by_label("Prompt", exact=True).fill("a lighthouse beam sweeps the fog")
    form.get_by_label("Model", exact=True).select_option("omni-flash")
    form.locator("select[name=duration]").select_option("10")
    form.locator("select[name=resolution]").select_option("360p")
    form.locator("select[name=account]").select_option(str(account.pk))
    omni = catalog.cost("omni-flash", duration=10, resolution="360p", tier=catalog.TIER_PRO).credits
    assert omni != catalog.cost("omni-flash", tier=catalog.TIER_PRO).credits
    assert cost_shown(page).startswith(f"This will spend {omni} credits.")
    job = run(submitted(page, "Generate video"), api)
    assert job.status == "completed", job.error_message
    body = posted(today, "/videos")
    assert (body["model"], body["duration"], body["resolution"]) == ("omni-flash", 10, "360p")
    shows_from_our_storage(page, job, "video")

    # 4. A V2V edit of the uploaded MP4.
    page.goto("/studio/?tab=video")
    form = page.locator("#video-form")
    form.get_by_label("Prompt", exact=True).fill("make it snow")
    form.get_by_label("Model", exact=True).select_option("omni-flash")
    form.locator('input[name="mode"][value="v2v"]').check()
    expect(form.locator("select[name=duration]")).to_be_hidden()  # a V2V edit has none
    form.locator(f'input[name="source_video"][value="asset:{clip.pk}"]').check()
    form.locator("select[name=account]").select_option(str(account.pk))
    edit = catalog.cost("omni-flash", v2v=True, tier=catalog.TIER_PRO).credits
    assert cost_shown(page).startswith(f"This will spend {edit} credits.")
    job = run(submitted(page, "Generate video"), api)
    assert job.status == "completed", job.error_message
    body = posted(today, "/videos")
    assert body["model"] == "omni-flash" and body["referenceVideo_1"]
    assert "duration" not in body and "startImage" not in body
    assert body["referenceVideo_1"] == clip.uploads.get(account=account).media_generation_id
    shows_from_our_storage(page, job, "video")
