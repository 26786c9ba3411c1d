"""The studio forms: every documented limit is checked before a job exists or anything is sent."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from flowdash.accounts.models import FlowAccount
from flowdash.assets.models import Asset
from flowdash.gallery.models import Media
from flowdash.jobs.models import Job
from tests.assets.images import png_bytes

pytestmark = pytest.mark.django_db
URL = "/studio/"


@pytest.fixture
def creator_client(client, creator_user):
    client.force_login(creator_user)
    return client


@pytest.fixture
def sim(use_simulator):
    use_simulator.state.reset()
    return use_simulator


@pytest.fixture
def assets(creator_client):
    """Eleven real uploaded images."""
    for i in range(11):
        creator_client.post(
            "/assets/",
            {"files": [SimpleUploadedFile(f"a{i}.png", png_bytes(color=(i, 9, 9)), "image/png")]},
        )
    return list(Asset.objects.order_by("pk"))


@pytest.fixture
def result(creator_user):
    """An image result already in the gallery."""
    return Media.objects.create(
        kind="image",
        origin="generated",
        file="media/r.jpg",
        download_status="stored",
        prompt="a red fox",
        model="imagen-4",
        seed=42,
        aspect_ratio="IMAGE_ASPECT_RATIO_PORTRAIT",
        created_by=creator_user,
    )


@pytest.fixture
def accounts(db):
    def model(key, cost, seconds):
        return {
            "key": key,
            "display_name": key,
            "credit_cost": cost,
            "generation_seconds": seconds,
            "length_seconds": 8,
            "aspect_ratios": ["landscape", "portrait"],
        }

    ultra = FlowAccount.objects.create(
        email="ultra.creator@gmail.com",
        paygate_tier="PAYGATE_TIER_TWO",
        credits=25000,
        video_models=[
            model("veo_3_1_t2v_fast_ultra", None, 100),
            model("veo_3_1_t2v_fast_ultra_relaxed", None, 150),
            model("veo_3_1_t2v", 100, 210),
        ],
    )
    pro = FlowAccount.objects.create(
        email="pro.studio@gmail.com",
        paygate_tier="PAYGATE_TIER_ONE",
        credits=1000,
        video_models=[model("veo_3_1_t2v_fast", 10, 90), model("veo_3_1_t2v", 100, 210)],
    )
    return ultra, pro


def image(**overrides):
    data = {
        "tab": "image",
        "prompt": "a lighthouse at dusk",
        "model": "imagen-4",
        "aspect_ratio": "landscape",
        "count": "2",
        "seed": "",
        "account": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def video(**overrides):
    data = {
        "tab": "video",
        "prompt": "waves on rocks",
        "model": "veo-3.1-fast",
        "aspect_ratio": "landscape",
        "count": "1",
        "seed": "",
        "mode": "text",
        "account": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def field_errors(html: str) -> str:
    return " ".join(re.findall(r'<ul class="errors">(.*?)</ul>', html, re.S))


# --- what a good form creates ------------------------------------------------------------------


def test_the_studio_shows_both_forms(creator_client, accounts):
    page = creator_client.get(URL).content.decode()
    assert "Generate images" in page and "Generate video" in page
    assert "veo-3.1-fast-relaxed" in page and "nano-banana-pro" in page
    # The documented auto choice of model is spelled out, not hidden.
    assert "no references → imagen-4, 1-3 → nano-banana, more than 3 → nano-banana-pro" in page
    assert "Nothing yet" in page  # empty recent-jobs column
    # What "Auto" means for the account, per kind, as the pipeline does it.
    assert "Auto — an account with a free image slot" in page
    assert "Auto — the API&#x27;s load balancing" in page  # the video form


def test_an_image_job_keeps_exactly_what_was_asked(
    creator_client, creator_user, assets, result, accounts, sim
):
    data = image(
        model="nano-banana",
        seed="7",
        references=[f"asset:{assets[0].pk}", f"media:{result.pk}"],
        account=str(accounts[1].pk),
        captcha_retry="5",
    )
    response = creator_client.post(URL, data)
    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/studio/?remix={job.pk}&queued=1#job-card-{job.pk}"
    page = creator_client.get(response["Location"]).content.decode()
    assert f'id="job-card-{job.pk}"' in page and "a lighthouse at dusk</textarea>" in page
    assert "Filled in from" not in page
    assert job.kind == "image" and job.status == "queued"
    assert job.params == {
        "prompt": "a lighthouse at dusk",
        "model": "nano-banana",
        "aspect_ratio": "landscape",
        "count": 2,
        "seed": 7,
        "references": [{"asset": assets[0].pk}, {"media": result.pk}],
        "captcha_retry": 5,
        "captcha_order": None,
    }
    assert job.requested_account == accounts[1] and job.requested_by == creator_user
    assert sim.state.requests() == []  # the view sends nothing; a worker will


def test_auto_model_is_stored_as_auto(creator_client, assets):
    creator_client.post(URL, image(model="", references=[f"asset:{a.pk}" for a in assets[:5]]))
    job = Job.objects.get()
    assert job.params["model"] is None and len(job.params["references"]) == 5


def test_an_uploaded_image_picked_from_the_gallery_becomes_its_asset(creator_client, assets):
    media = Media.objects.get(asset=assets[0])
    creator_client.post(URL, image(references=[f"media:{media.pk}"]))
    assert Job.objects.get().params["references"] == [{"asset": assets[0].pk}]


def test_a_video_from_a_start_and_end_frame(creator_client, assets, result, accounts):
    creator_client.post(
        URL,
        video(
            mode="frames",
            start=f"asset:{assets[0].pk}",
            end=f"media:{result.pk}",
            captcha_order="EzCaptcha, CapSolver",
        ),
    )
    job = Job.objects.get()
    assert job.kind == "video"
    assert job.params == {
        "prompt": "waves on rocks",
        "model": "veo-3.1-fast",
        "aspect_ratio": "landscape",
        "count": 1,
        "seed": None,
        "mode": "frames",
        "start": {"asset": assets[0].pk},
        "end": {"media": result.pk},
        "references": [],
        "captcha_retry": None,
        "captcha_order": "EzCaptcha,CapSolver",
    }


def test_a_video_from_reference_images(creator_client, assets, accounts):
    creator_client.post(
        URL, video(mode="references", references=[f"asset:{a.pk}" for a in assets[:3]])
    )
    job = Job.objects.get()
    assert job.params["mode"] == "references" and job.params["start"] is None
    assert job.params["references"] == [{"asset": a.pk} for a in assets[:3]]


def test_models_from_the_accounts_lists_are_offered(creator_client, accounts):
    accounts[0].video_models = accounts[0].video_models + [
        {
            "key": "veo_3_1_lite_ultra",
            "display_name": "Veo 3.1 - Lite",
            "credit_cost": 5,
            "generation_seconds": 60,
            "aspect_ratios": ["landscape"],
        }
    ]
    accounts[0].save()
    page = creator_client.get(URL).content.decode()
    assert 'value="veo-3.1-lite"' in page
    creator_client.post(URL, video(model="veo-3.1-lite", account=str(accounts[0].pk)))
    assert Job.objects.get().params["model"] == "veo-3.1-lite"


# --- bad input: the field's message, no job, nothing sent ---------------------------------------


def refused(client, data, sim, message):
    response = client.post(URL, data)
    html = response.content.decode()
    assert response.status_code == 400, html[:500]
    assert message in field_errors(html) or message in html, field_errors(html)
    assert "Nothing was sent" in html
    assert not Job.objects.exists()
    assert sim.state.requests() == []
    return html


def test_an_empty_prompt(creator_client, sim):
    refused(creator_client, image(prompt="   "), sim, "Write a prompt: the API needs one.")
    refused(creator_client, video(prompt=""), sim, "Write a prompt: the API needs one.")


def test_too_many_references_for_the_model(creator_client, assets, sim):
    refs = [f"asset:{a.pk}" for a in assets[:4]]
    html = refused(
        creator_client,
        image(model="imagen-4", references=refs),
        sim,
        "imagen-4 accepts at most 3 reference images — 4 picked",
    )
    assert "choose nano-banana-pro" in html
    refused(
        creator_client,
        image(model="", references=[f"asset:{a.pk}" for a in assets]),
        sim,
        "at most 10 reference images are accepted — 11 picked",
    )


def test_nano_banana_pro_takes_ten(creator_client, assets, sim):
    creator_client.post(
        URL, image(model="nano-banana-pro", references=[f"asset:{a.pk}" for a in assets[:10]])
    )
    assert len(Job.objects.get().params["references"]) == 10


def test_a_negative_seed(creator_client, sim):
    refused(creator_client, image(seed="-1"), sim, "The seed must be 0 or more")
    refused(creator_client, video(seed="-5"), sim, "The seed must be 0 or more")


def test_a_seed_that_is_not_a_number(creator_client, sim):
    refused(creator_client, image(seed="abc"), sim, "The seed is a whole number")


def test_a_count_out_of_range(creator_client, sim):
    refused(creator_client, image(count="5"), sim, "the API makes at most 4 per request")
    refused(creator_client, video(count="0"), sim, "Between 1 and 4.")


def test_a_model_that_does_not_exist(creator_client, sim):
    refused(creator_client, image(model="dall-e"), sim, "Select a valid choice")


def test_a_start_frame_with_reference_images(creator_client, assets, sim):
    refused(
        creator_client,
        video(mode="frames", start=f"asset:{assets[0].pk}", references=[f"asset:{assets[1].pk}"]),
        sim,
        "Reference images cannot be combined with a start or end frame",
    )
    refused(
        creator_client,
        video(
            mode="references", start=f"asset:{assets[0].pk}", references=[f"asset:{assets[1].pk}"]
        ),
        sim,
        "Start and end frames cannot be combined with reference images.",
    )


def test_frames_mode_needs_a_start_frame(creator_client, assets, sim):
    refused(creator_client, video(mode="frames"), sim, "Pick the start frame")
    refused(
        creator_client,
        video(mode="frames", end=f"asset:{assets[0].pk}"),
        sim,
        "Pick the start frame",
    )


def test_text_mode_takes_no_images(creator_client, assets, sim):
    refused(
        creator_client,
        video(mode="text", references=[f"asset:{assets[0].pk}"]),
        sim,
        "Text-only mode takes no images",
    )


def test_too_many_video_references_and_quality_takes_none(creator_client, assets, accounts, sim):
    refused(
        creator_client,
        video(mode="references", references=[f"asset:{a.pk}" for a in assets[:4]]),
        sim,
        "veo-3.1-fast accepts at most 3 reference images",
    )
    refused(
        creator_client,
        video(mode="references", model="veo-3.1-quality", references=[f"asset:{assets[0].pk}"]),
        sim,
        "veo-3.1-quality does not take reference images",
    )


def test_reference_images_are_landscape_only(creator_client, assets, sim):
    refused(
        creator_client,
        video(mode="references", aspect_ratio="portrait", references=[f"asset:{assets[0].pk}"]),
        sim,
        "Reference images work with landscape only.",
    )


def test_a_reference_that_is_not_an_image_we_have(creator_client, sim):
    refused(creator_client, image(references=["asset:999"]), sim, "is not an image in the assets")
    refused(
        creator_client, image(references=["../etc/passwd"]), sim, "is not an image in the assets"
    )


def test_a_video_result_is_not_a_reference(creator_client, creator_user, sim):
    clip = Media.objects.create(kind="video", file="media/v.mp4", download_status="stored")
    refused(
        creator_client, image(references=[f"media:{clip.pk}"]), sim, "is not an image in the assets"
    )


def test_captcha_retries_and_order_together(creator_client, sim):
    refused(
        creator_client,
        image(captcha_retry="3", captcha_order="EzCaptcha"),
        sim,
        "Use either captcha retries or a provider order, not both.",
    )
    refused(creator_client, image(captcha_retry="11"), sim, "From 1 to 10.")
    refused(
        creator_client,
        image(captcha_order=",".join(["CapSolver"] * 11)),
        sim,
        "at most 10 providers",
    )


def test_relaxed_needs_an_ultra_account(creator_client, accounts, sim):
    refused(
        creator_client,
        video(model="veo-3.1-fast-relaxed", account=str(accounts[1].pk)),
        sim,
        "pro.studio@gmail.com does not offer veo-3.1-fast-relaxed.",
    )
    creator_client.post(URL, video(model="veo-3.1-fast-relaxed", account=str(accounts[0].pk)))
    assert Job.objects.get().requested_account == accounts[0]
    Job.objects.all().delete()
    # Auto is accepted: the pipeline names an account that can run it (jobs/eligibility.py)
    creator_client.post(URL, video(model="veo-3.1-fast-relaxed", prompt="auto"))
    assert Job.objects.get(params__prompt="auto").requested_account is None
    # ...and refused in words when no usable account can
    Job.objects.all().delete()
    FlowAccount.objects.filter(pk=accounts[0].pk).update(state="session_expired")
    refused(
        creator_client,
        video(model="veo-3.1-fast-relaxed"),
        sim,
        "None of the usable accounts can run veo-3.1-fast-relaxed",
    )


def test_nano_banana_pro_on_a_pro_account(creator_client, accounts, sim):
    refused(
        creator_client,
        image(model="nano-banana-pro", account=str(accounts[1].pk)),
        sim,
        "nano-banana-pro needs a Google AI Ultra account",
    )


def test_an_account_that_is_not_usable(creator_client, accounts, sim):
    FlowAccount.objects.filter(pk=accounts[1].pk).update(state="session_expired")
    refused(
        creator_client, image(account=str(accounts[1].pk)), sim, "That account is not usable now"
    )


def test_a_free_account_cannot_make_videos(creator_client, sim):
    free = FlowAccount.objects.create(
        email="free.tester@gmail.com", paygate_tier="PAYGATE_TIER_NOT_PAID", credits=0
    )
    refused(creator_client, video(account=str(free.pk)), sim, "has no video models")


def test_the_refused_form_keeps_what_was_typed(creator_client, assets, sim):
    html = refused(
        creator_client,
        image(prompt="keep me", seed="-3", references=[f"asset:{assets[2].pk}"]),
        sim,
        "The seed must be 0 or more",
    )
    assert "keep me</textarea>" in html
    assert re.search(rf'value="asset:{assets[2].pk}" checked', html)


# --- roles -------------------------------------------------------------------------------------


def test_viewers_see_the_studio_but_cannot_generate(client, make_user, sim):
    client.force_login(make_user("vic", "viewer"))
    page = client.get(URL).content.decode()
    assert "generating needs the creator role" in page
    assert client.post(URL, image()).status_code == 403
    assert not Job.objects.exists()


# --- prefill -----------------------------------------------------------------------------------


def test_remix_fills_the_form_from_a_job(creator_client, creator_user, assets, accounts):
    job = Job.objects.create(
        kind="image",
        requested_by=creator_user,
        requested_account=accounts[0],
        params={
            "prompt": "remix me",
            "model": "nano-banana",
            "aspect_ratio": "portrait",
            "count": 3,
            "seed": 99,
            "references": [{"asset": assets[1].pk}],
            "captcha_retry": None,
            "captcha_order": None,
        },
    )
    html = creator_client.get(f"{URL}?remix={job.pk}").content.decode()
    assert "Filled in from job #" in html
    assert "remix me</textarea>" in html
    assert re.search(r'<option value="nano-banana"[^>]*selected', html)
    assert re.search(r'<option value="portrait" selected', html)
    assert 'value="99"' in html and 'value="3"' in html
    assert re.search(rf'value="asset:{assets[1].pk}" checked', html)
    assert re.search(rf'<option value="{accounts[0].pk}" selected', html)


def test_remix_of_a_video_job_opens_the_video_tab_with_its_frames(
    creator_client, creator_user, assets
):
    job = Job.objects.create(
        kind="video",
        requested_by=creator_user,
        params={
            "prompt": "again",
            "model": "veo-3.1-quality",
            "aspect_ratio": "landscape",
            "count": 1,
            "seed": None,
            "mode": "frames",
            "start": {"asset": assets[0].pk},
            "end": None,
            "references": [],
        },
    )
    html = creator_client.get(f"{URL}?remix={job.pk}").content.decode()
    assert re.search(r'id="image-form"[^>]*hidden', html)
    assert not re.search(r'id="video-form"[^>]*hidden', html)
    assert re.search(r'name="mode" value="frames" checked', html)
    assert re.search(rf'name="start" value="asset:{assets[0].pk}" checked', html)
    assert re.search(r'<option value="veo-3.1-quality"[^>]*selected', html)


def test_from_media_fills_prompt_model_seed_and_ratio(creator_client, result):
    html = creator_client.get(f"{URL}?from_media={result.pk}").content.decode()
    assert "a red fox</textarea>" in html and 'value="42"' in html
    assert re.search(r'<option value="portrait" selected', html)
    assert re.search(r'<option value="imagen-4"[^>]*selected', html)


def test_use_as_reference_and_as_start_frame(creator_client, assets, result):
    html = creator_client.get(
        f"{URL}?reference=media:{result.pk}&reference=asset:{assets[3].pk}"
    ).content.decode()
    assert re.search(rf'name="references" value="media:{result.pk}" checked', html)
    assert re.search(rf'name="references" value="asset:{assets[3].pk}" checked', html)
    html = creator_client.get(f"{URL}?start={result.pk}").content.decode()
    assert re.search(rf'name="start" value="media:{result.pk}" checked', html)
    assert re.search(r'name="mode" value="frames" checked', html)
    assert re.search(r'id="image-form"[^>]*hidden', html)


def test_from_media_of_a_generated_result_brings_its_job_references_and_its_own_seed(
    creator_client, creator_user, assets
):
    job = Job.objects.create(
        kind="image",
        requested_by=creator_user,
        status="completed",
        params={
            "prompt": "two cats",
            "model": "nano-banana",
            "aspect_ratio": "landscape",
            "count": 4,
            "seed": None,
            "references": [{"asset": assets[4].pk}],
        },
    )
    media = Media.objects.create(
        kind="image",
        job=job,
        prompt="two cats",
        seed=1234,
        model="R2I",
        aspect_ratio="IMAGE_ASPECT_RATIO_LANDSCAPE",
        download_status="stored",
        file="media/c.jpg",
    )
    html = creator_client.get(f"{URL}?from_media={media.pk}").content.decode()
    assert 'value="1234"' in html  # the result's own seed, to make it again
    assert re.search(rf'value="asset:{assets[4].pk}" checked', html)
    assert re.search(r'<option value="nano-banana"[^>]*selected', html)  # R2I is no choice


def test_from_media_of_an_upload_picks_it_as_a_reference(creator_client, assets):
    media = Media.objects.get(asset=assets[0])
    html = creator_client.get(f"{URL}?from_media={media.pk}").content.decode()
    assert re.search(rf'name="references" value="asset:{assets[0].pk}" checked', html)


def test_edit_and_retry_records_the_new_job_as_a_retry(creator_client, creator_user, sim):
    failed = Job.objects.create(
        kind="image",
        requested_by=creator_user,
        status="failed",
        error_message="moderated",
        params={
            "prompt": "too spicy",
            "model": "imagen-4",
            "aspect_ratio": "landscape",
            "count": 4,
            "seed": None,
            "references": [],
        },
    )
    html = creator_client.get(f"{URL}?remix={failed.pk}").content.decode()
    assert f"Editing failed job #{failed.pk}" in html
    assert f'name="retry_of" value="{failed.pk}"' in html
    creator_client.post(URL, image(prompt="milder", retry_of=str(failed.pk)))
    new = Job.objects.exclude(pk=failed.pk).get()
    assert new.retry_of == failed and new.params["prompt"] == "milder"
