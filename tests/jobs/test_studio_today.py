"""The studio against today's service (the 2026-12 era, supplement §4.1, §5.1, §5.2, §11): the
models the accounts' own lists name, the newer parameters, and every bad combination refused on
its field with the rule in words before anything is sent."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from flowdash.accounts.models import FlowAccount
from flowdash.assets.models import Asset
from flowdash.gallery.models import Media
from flowdash.jobs.models import Job
from flowdash.useapi import catalog
from tests.assets.images import png_bytes

pytestmark = pytest.mark.django_db
URL = "/studio/"


@pytest.fixture
def today(settings, use_simulator):
    """The simulator and the forms both speaking the 2026-12 era."""
    use_simulator.state.reset()
    use_simulator.state.update_settings({"api": "2026-12"})
    settings.FLOWDASH_SIM_API = "2026-12"
    yield use_simulator
    use_simulator.state.reset()


@pytest.fixture
def creator_client(client, creator_user):
    client.force_login(creator_user)
    return client


def entry(key, cost, aspects=("landscape", "portrait", "1:1", "4:3", "3:4")):
    return {
        "key": key,
        "display_name": key.replace("_", " "),
        "credit_cost": cost,
        "generation_seconds": 90,
        "aspect_ratios": list(aspects),
    }


@pytest.fixture
def accounts(db):
    pro = FlowAccount.objects.create(
        email="pro.today@gmail.com",
        paygate_tier=catalog.TIER_PRO,
        credits=1000,
        video_models=[
            entry("veo_3_1_t2v_fast", 20),
            entry("veo_3_1_t2v_lite", 10),
            entry("omni_flash_1_1", 12, ("landscape", "portrait")),
            entry("some_future_model_v9", 3),  # unknown to the catalog
        ],
    )
    other = FlowAccount.objects.create(
        email="other.today@gmail.com",
        paygate_tier=catalog.TIER_PRO,
        credits=1000,
        video_models=[entry("veo_3_1_t2v_fast", 20)],
    )
    return pro, other


@pytest.fixture
def images(creator_client):
    for i in range(6):
        creator_client.post(
            "/assets/",
            {"files": [SimpleUploadedFile(f"t{i}.png", png_bytes(color=(i, 40, 9)), "image/png")]},
        )
    return [f"asset:{a.pk}" for a in Asset.objects.order_by("pk")]


def video(**overrides):
    data = {
        "tab": "video",
        "prompt": "a heron lifts off a misty lake",
        "model": "veo-3.1-fast",
        "aspect_ratio": "landscape",
        "count": "1",
        "mode": "text",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def image(**overrides):
    data = {
        "tab": "image",
        "prompt": "a paper boat",
        "model": "nano-banana-2",
        "aspect_ratio": "16:9",
        "count": "1",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def refused(client, data, sim, field, words):
    """Refused on ``field`` with ``words``; no job, no request to the API."""
    response = client.post(URL, data)
    html = response.content.decode()
    assert response.status_code == 400, html[:300]
    errors = " ".join(re.findall(r'<ul class="errors">(.*?)</ul>', html, re.S))
    assert words in errors, errors
    assert field in response.context[f"{data['tab']}_form"].errors
    assert "Nothing was sent" in html
    assert not Job.objects.exists()
    assert sim.state.requests() == []
    return html


def test_the_studio_offers_todays_models_from_the_accounts_lists(creator_client, today, accounts):
    html = creator_client.get(URL).content.decode()
    video_options = re.findall(
        r'<option value="([a-z0-9.\-]+)" data-limit="\d+" data-credits', html
    )
    assert video_options[:1] == ["veo-3.1-fast"]  # the default first
    assert {"veo-3.1-lite", "omni-flash"} <= set(video_options)
    assert "veo-3.1-fast-relaxed" not in video_options and "imagen-4" not in html
    for name in ("nano-banana-2-lite", "nano-banana-2", "nano-banana-pro"):
        assert f'<option value="{name}"' in html
    # An unknown key is named by its display name, never offered, never a crash.
    assert "some future model v9" in html
    assert 'value="?some_future_model_v9"' not in html
    # The auto rule is the catalog's, for studio.js to read.
    picks = " ".join(catalog.auto_image_model(n, "2026-12") for n in range(11))
    assert f'data-auto-models="{picks}"' in html
    # The newer fields are there: length, resolution, V2V, the third captcha choice.
    for name in ("duration", "resolution", "captcha_token", "start_frame", "end_frame"):
        assert f'name="{name}"' in html
    assert 'value="v2v"' in html
    for ratio in ("16:9", "4:3", "1:1", "3:4", "9:16", "auto"):
        assert f'<option value="{ratio}"' in html


def test_a_deprecated_name_is_accepted_and_shown_as_what_runs_today(
    creator_client, creator_user, today, accounts
):
    job = Job.objects.create(
        kind="video",
        params={"prompt": "old", "model": "veo-3.1-fast-relaxed", "mode": "text"},
        requested_by=creator_user,
    )
    html = creator_client.get(f"{URL}?remix={job.pk}").content.decode()
    assert re.search(
        r'<option value="veo-3.1-fast-relaxed"[^>]*selected[^>]*>veo-3.1-fast-relaxed '
        r"\(now Veo 3.1 Lite, low priority",
        html,
    )


def test_a_good_omni_video_keeps_its_length_and_resolution(creator_client, today, accounts, images):
    response = creator_client.post(
        URL,
        video(
            model="omni-flash",
            duration="10",
            resolution="360p",
            mode="references",
            references=images[:6],
            account=str(accounts[0].pk),
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    params = Job.objects.get().params
    assert params["duration"] == 10 and params["resolution"] == "360p"
    assert len(params["references"]) == 6


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        # a model the chosen account cannot run (its own list lacks it)
        ({"model": "veo-3.1-lite", "account": "OTHER"}, "model", "does not offer veo-3.1-lite"),
        # a duration the model does not offer (Veo R2V: 8 s only; Veo: no 10 s)
        ({"duration": "10"}, "duration", "veo-3.1-fast in T2V mode offers 4, 6, 8 seconds"),
        # 360p on Veo
        ({"resolution": "360p"}, "resolution", "veo-3.1-fast offers 720p (360p is omni only)"),
        # V2V needs omni-flash
        ({"mode": "v2v", "source_video": "VIDEO"}, "source_video", "needs model=omni-flash"),
        # a V2V edit takes no duration
        (
            {"model": "omni-flash", "mode": "v2v", "source_video": "VIDEO", "duration": "6"},
            "duration",
            "a V2V edit takes no duration",
        ),
        # omni takes landscape or portrait only
        ({"model": "omni-flash", "aspect_ratio": "1:1"}, "aspect_ratio", "omni-flash offers"),
        # the captcha trio is mutually exclusive
        (
            {"captcha_retry": "3", "captcha_token": "x" * 40},
            "captcha_token",
            "Use only one of captcha retries, a provider order or your own token",
        ),
    ],
)
def test_bad_video_input_is_named_on_its_field(
    creator_client, today, accounts, long_video, data, field, words
):
    data = dict(data)
    if data.get("account") == "OTHER":
        data["account"] = str(accounts[1].pk)
    if data.get("source_video") == "VIDEO":
        data["source_video"] = f"asset:{long_video(6.0).pk}"
    refused(creator_client, video(**data), today, field, words)


@pytest.fixture
def long_video(creator_user):
    def make(seconds: float) -> Asset:
        return Asset.objects.create(
            sha256=f"{seconds:064.1f}"[-64:],
            content_type=Asset.MP4,
            size=1000,
            width=1280,
            height=720,
            duration_seconds=seconds,
            original_name=f"clip-{seconds}.mp4",
            file="assets/clip.mp4",
            uploaded_by=creator_user,
        )

    return make


def test_a_v2v_source_longer_than_ten_seconds_is_refused(
    creator_client, today, accounts, long_video
):
    clip = long_video(12.5)
    refused(
        creator_client,
        video(model="omni-flash", mode="v2v", source_video=f"asset:{clip.pk}"),
        today,
        "source_video",
        "The video is 12.5 s long; a video edit takes at most 10 s.",
    )


def test_auto_aspect_needs_a_reference(creator_client, today, accounts):
    refused(
        creator_client,
        image(aspect_ratio="auto"),
        today,
        "aspect_ratio",
        "Auto takes the ratio of the first reference image",
    )


def test_references_from_two_accounts_are_refused(creator_client, creator_user, today, accounts):
    made = [
        Media.objects.create(
            kind="image",
            origin="generated",
            file=f"media/r{i}.jpg",
            download_status="stored",
            prompt="r",
            account=account,
            media_generation_id=f"user:1-email:{i}-image:{i}",
            created_by=creator_user,
        )
        for i, account in enumerate(accounts)
    ]
    refused(
        creator_client,
        image(references=[f"media:{m.pk}" for m in made], aspect_ratio="9:16"),
        today,
        "references",
        "All references of one request must be on one Google account",
    )


def test_the_extend_form_does_not_offer_fast_relaxed_today(today, creator_user):
    from flowdash.postprod.forms import ExtendForm

    clip = Media.objects.create(
        kind="video", origin="generated", download_status="stored", created_by=creator_user
    )
    offered = [value for value, _ in ExtendForm(clip).fields["model"].choices]
    assert "veo-3.1-fast-relaxed" not in offered
    assert offered[0] == "veo-3.1-fast" and "veo-3.1-lite" in offered
    refused = ExtendForm(clip, data={"prompt": "on", "model": "veo-3.1-fast-relaxed", "count": 1})
    assert not refused.is_valid() and "model" in refused.errors
