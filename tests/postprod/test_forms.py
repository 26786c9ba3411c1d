"""Bad input is refused in the form, with the reason, and nothing is queued or sent."""

from __future__ import annotations

import pytest
from django.urls import reverse

from flowdash.gallery.models import Lineage, Media
from flowdash.jobs.models import Job
from tests.postprod.conftest import FREE, PRO, ULTRA, media_row

pytestmark = pytest.mark.django_db


def post_upscale(client, media, resolution):
    return client.post(
        reverse("postprod:upscale", args=[media.pk]), {"upscale-resolution": resolution}
    )


def text(response) -> str:
    return response.content.decode()


def test_upscaling_an_imagen_image_is_refused(creator_client, accounts):
    image = media_row(accounts[ULTRA], "image", model="imagen-4")
    response = post_upscale(creator_client, image, "2k")
    assert response.status_code == 400
    assert "Only images made with nano-banana-pro can be upscaled" in text(response)
    assert "imagen-4" in text(response)
    assert not Job.objects.exists()


def test_4k_image_on_a_free_account_is_refused_but_2k_is_queued(creator_client, accounts):
    image = media_row(accounts[FREE], "image", model="nano-banana-pro")
    response = post_upscale(creator_client, image, "4k")
    assert response.status_code == 400
    assert "4K needs a paid Google account" in text(response)
    assert not Job.objects.exists()

    response = post_upscale(creator_client, image, "2k")
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/jobs/{job.pk}/")
    assert (job.kind, job.params, job.source_media) == (
        "image_upscale",
        {"resolution": "2k"},
        image,
    )
    assert job.requested_account == accounts[FREE]


def test_4k_video_on_a_pro_account_is_refused_but_1080p_is_queued(creator_client, accounts):
    video = media_row(accounts[PRO])
    response = post_upscale(creator_client, video, "4K")
    assert response.status_code == 400
    assert "4K needs a Google AI Ultra account" in text(response)
    assert not Job.objects.exists()

    post_upscale(creator_client, video, "1080p")
    job = Job.objects.get()
    assert (job.kind, job.params["resolution"]) == ("video_upscale", "1080p")


def test_4k_video_on_ultra_is_queued(creator_client, accounts):
    video = media_row(accounts[ULTRA])
    response = post_upscale(creator_client, video, "4K")
    assert response.status_code == 302
    assert Job.objects.get().params == {"resolution": "4K"}


def test_video_upscale_on_a_free_account_is_refused(creator_client, accounts):
    video = media_row(accounts[FREE])
    response = post_upscale(creator_client, video, "1080p")
    assert response.status_code == 400
    assert "needs a paid Google plan" in text(response)


def test_a_repeated_video_upscale_reuses_our_copy_without_a_job(creator_client, accounts):
    video = media_row(accounts[ULTRA])
    earlier = media_row(accounts[ULTRA], origin="upscaled", resolution="1080p")
    Lineage.objects.create(media=earlier, source=video, relation="upscaled_from")

    response = post_upscale(creator_client, video, "1080p")
    assert response.status_code == 302
    assert not Job.objects.exists()
    page = creator_client.get(response["Location"], follow=True)
    assert "No API call was made" in text(page)

    # Another resolution is a new request.
    post_upscale(creator_client, video, "4K")
    assert Job.objects.get().params == {"resolution": "4K"}
    # …and asking for it again while it runs goes to the running job.
    response = post_upscale(creator_client, video, "4K")
    assert Job.objects.count() == 1
    assert response["Location"].endswith(f"/jobs/{Job.objects.get().pk}/")


def test_a_gif_of_an_image_is_refused(creator_client, accounts):
    image = media_row(accounts[ULTRA], "image")
    response = creator_client.post(reverse("postprod:gif", args=[image.pk]))
    assert response.status_code == 400
    assert "A GIF is made from a video" in text(response)
    assert not Job.objects.exists()


def test_a_gif_of_a_video_is_queued(creator_client, accounts):
    video = media_row(accounts[ULTRA])
    response = creator_client.post(reverse("postprod:gif", args=[video.pk]))
    job = Job.objects.get()
    assert response.status_code == 302 and (job.kind, job.source_media) == ("gif", video)


def test_extend_needs_a_prompt_and_a_fitting_model(creator_client, accounts):
    video = media_row(accounts[PRO])
    url = reverse("postprod:extend", args=[video.pk])
    response = creator_client.post(
        url, {"extend-prompt": "  ", "extend-model": "veo-3.1-fast", "extend-count": "1"}
    )
    assert response.status_code == 400 and "This field is required" in text(response)
    response = creator_client.post(
        url, {"extend-prompt": "on", "extend-count": "1", "extend-model": "veo-3.1-fast-relaxed"}
    )
    assert response.status_code == 400 and "only offered on Google AI Ultra" in text(response)
    assert not Job.objects.exists()

    response = creator_client.post(
        url,
        {
            "extend-prompt": "the ball bounces",
            "extend-model": "veo-3.1-quality",
            "extend-count": "2",
            "extend-seed": "5",
        },
    )
    job = Job.objects.get()
    assert response.status_code == 302
    assert job.params == {
        "prompt": "the ball bounces",
        "model": "veo-3.1-quality",
        "count": 2,
        "seed": 5,
    }
    assert job.source_media == video and job.kind == "extend"


def test_extending_a_joined_film_explains_why_not(creator_client, accounts):
    film = media_row(accounts[ULTRA], origin="joined", media_generation_id="")
    page = creator_client.get(reverse("postprod:actions", args=[film.pk]))
    assert page.status_code == 200
    assert "Joined films have no mediaGenerationId" in text(page)


# --- the scene builder -------------------------------------------------------------------------


def scene_post(client, clips, trims=None, extra=None):
    data = {"clip": [str(c.pk) for c in clips]}
    for position, clip in enumerate(clips, start=1):
        start, end = (trims or {}).get(clip.pk, ("0", "0"))
        data[f"position_{clip.pk}"] = str(position)
        data[f"trim_start_{clip.pk}"] = start
        data[f"trim_end_{clip.pk}"] = end
    data.update(extra or {})
    return client.post(reverse("postprod:scene"), data)


def test_joining_one_video_is_refused(creator_client, accounts):
    response = scene_post(creator_client, [media_row(accounts[ULTRA])])
    assert response.status_code == 400
    assert "Pick at least 2 videos to join (you picked 1)" in text(response)
    assert not Job.objects.exists()


def test_joining_eleven_videos_is_refused(creator_client, accounts):
    clips = [media_row(accounts[ULTRA]) for _ in range(11)]
    response = scene_post(creator_client, clips)
    assert response.status_code == 400
    assert "at most 10 videos at once; you picked 11" in text(response)
    assert not Job.objects.exists()


def test_mixed_accounts_are_refused(creator_client, accounts):
    response = scene_post(creator_client, [media_row(accounts[ULTRA]), media_row(accounts[PRO])])
    assert response.status_code == 400
    assert "All videos must belong to one Google account" in text(response)
    assert not Job.objects.exists()


def test_mixed_aspect_ratios_are_refused(creator_client, accounts):
    wide = media_row(accounts[ULTRA], aspect_ratio="VIDEO_ASPECT_RATIO_LANDSCAPE")
    tall = media_row(accounts[ULTRA], aspect_ratio="portrait")
    response = scene_post(creator_client, [wide, tall])
    assert response.status_code == 400
    assert "same aspect ratio; these are landscape and portrait" in text(response)


def test_trims_beyond_8_seconds_or_the_clip_are_refused(creator_client, accounts):
    a, b = media_row(accounts[ULTRA]), media_row(accounts[ULTRA], duration_seconds=6.0)
    response = scene_post(creator_client, [a, b], {a.pk: ("9", "0"), b.pk: ("3", "3")})
    assert response.status_code == 400
    body = text(response)
    assert "must be from 0 to 8 seconds (got 9)" in body
    assert "Trims of 6 s leave nothing of this 6-second clip" in body
    assert not Job.objects.exists()


def test_a_valid_scene_is_queued_in_the_posted_order(creator_client, accounts):
    a, b, c = (media_row(accounts[ULTRA], prompt=f"clip {n}") for n in "abc")
    data = {
        "clip": [str(a.pk), str(b.pk), str(c.pk)],
        f"position_{a.pk}": "3",
        f"trim_start_{a.pk}": "0",
        f"trim_end_{a.pk}": "1",
        f"position_{b.pk}": "1",
        f"trim_start_{b.pk}": "0.5",
        f"trim_end_{b.pk}": "0",
        f"position_{c.pk}": "2",
        f"trim_start_{c.pk}": "",
        f"trim_end_{c.pk}": "2",
    }
    response = creator_client.post(reverse("postprod:scene"), data)
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/jobs/{job.pk}/")
    assert job.kind == "concatenate" and job.requested_account == accounts[ULTRA]
    assert job.params == {
        "clips": [
            {"media": b.pk, "trim_start": 0.5, "trim_end": 0.0},
            {"media": c.pk, "trim_start": 0.0, "trim_end": 2.0},
            {"media": a.pk, "trim_start": 0.0, "trim_end": 1.0},
        ]
    }


def test_extended_clips_default_to_trimming_their_overlap(creator_client, accounts):
    source = media_row(accounts[ULTRA])
    extended = media_row(accounts[ULTRA], origin="extended", overlap_seconds=1.0)
    Lineage.objects.create(media=extended, source=source, relation="extended_from")
    page = creator_client.get(reverse("postprod:scene"), {"clip": [source.pk, extended.pk]})
    body = text(page)
    assert f'name="trim_start_{extended.pk}" value="1"' in body
    assert f'name="trim_start_{source.pk}" value="0"' in body
    assert body.count("checked") == 2


def test_scene_filter_by_account_and_aspect(creator_client, accounts):
    mine = media_row(accounts[PRO], prompt="pro landscape")
    media_row(accounts[ULTRA], prompt="ultra landscape")
    media_row(accounts[PRO], prompt="pro portrait", aspect_ratio="portrait")
    page = creator_client.get(
        reverse("postprod:scene"), {"account": accounts[PRO].pk, "aspect": "landscape"}
    )
    body = text(page)
    assert "pro landscape" in body and "ultra landscape" not in body and "pro portrait" not in body
    assert f'data-clip="{mine.pk}"' in body


def test_scene_builder_empty_state(creator_client, db):
    page = creator_client.get(reverse("postprod:scene"))
    assert page.status_code == 200 and "No videos to join" in text(page)
    assert Media.objects.count() == 0


def test_scene_builder_shows_the_newest_videos_and_finds_older_ones(creator_client, accounts):
    from flowdash.postprod.views import SCENE_LIMIT

    oldest = media_row(accounts[ULTRA], prompt="lighthouse at dawn")
    for n in range(SCENE_LIMIT + 1):
        media_row(accounts[ULTRA], prompt=f"crowd scene {n}")
    body = text(creator_client.get(reverse("postprod:scene")))
    assert body.count("data-clip=") == SCENE_LIMIT
    assert f"Showing the newest {SCENE_LIMIT} videos" in body
    assert f'data-clip="{oldest.pk}"' not in body

    found = text(creator_client.get(reverse("postprod:scene"), {"q": "lighthouse"}))
    assert found.count("data-clip=") == 1 and f'data-clip="{oldest.pk}"' in found
    assert "Showing the newest" not in found

    # Sent from the gallery: the older clip is on the page, ticked, beside the newest ones.
    sent = text(creator_client.get(reverse("postprod:scene"), {"clip": [oldest.pk]}))
    assert f'data-clip="{oldest.pk}"' in sent and sent.count("checked") == 1


def test_scene_aspect_filter_understands_every_spelling(creator_client, accounts):
    spelled = media_row(
        accounts[ULTRA], prompt="api spelling", aspect_ratio="VIDEO_ASPECT_RATIO_PORTRAIT"
    )
    ratio = media_row(accounts[ULTRA], prompt="ratio spelling", aspect_ratio="9:16")
    measured = media_row(
        accounts[ULTRA], prompt="measured", aspect_ratio="", width=720, height=1280
    )
    wide = media_row(accounts[ULTRA], prompt="wide one", aspect_ratio="", width=1280, height=720)
    page = creator_client.get(reverse("postprod:scene"), {"aspect": "portrait"})
    body = text(page)
    for media in (spelled, ratio, measured):
        assert f'data-clip="{media.pk}"' in body
    assert f'data-clip="{wide.pk}"' not in body
    assert '<option value="portrait" selected>' in body.replace("  ", " ")
    assert '<option value="landscape"' in body
