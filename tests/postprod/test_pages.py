"""Roles on every post-production page, the fragments the gallery includes, and lineage both
ways (from a joined film back to the first prompt, and forward from a first clip)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from flowdash.gallery.models import Lineage
from flowdash.jobs.models import Job
from tests.postprod.conftest import FREE, PRO, ULTRA, media_row

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return response.content.decode()


@pytest.fixture
def video(accounts):
    return media_row(accounts[ULTRA])


def test_viewers_cannot_act(viewer_client, video):
    for name in ("postprod:actions", "postprod:extend"):
        assert viewer_client.get(reverse(name, args=[video.pk])).status_code == 403
    for name in ("postprod:upscale", "postprod:extend", "postprod:gif"):
        response = viewer_client.post(
            reverse(name, args=[video.pk]), {"upscale-resolution": "1080p"}
        )
        assert response.status_code == 403
    assert viewer_client.get(reverse("postprod:scene")).status_code == 403
    assert viewer_client.post(reverse("postprod:scene"), {"clip": [video.pk]}).status_code == 403
    assert not Job.objects.exists()


def test_viewers_can_read_the_lineage(viewer_client, video):
    assert viewer_client.get(reverse("postprod:lineage", args=[video.pk])).status_code == 200


def test_signed_out_people_are_sent_to_sign_in(client, video):
    response = client.get(reverse("postprod:lineage", args=[video.pk]))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_admins_can_act(admin_client, video):
    response = admin_client.post(reverse("postprod:gif", args=[video.pk]))
    assert response.status_code == 302 and Job.objects.get().requested_by.username == "alice"


def test_actions_page_says_why_an_action_is_missing(creator_client, accounts):
    pro_video = media_row(accounts[PRO])
    body = text(creator_client.get(reverse("postprod:actions", args=[pro_video.pk])))
    assert "4K needs a Google AI Ultra account" in body  # 1080p offered, 4K explained
    free_image = media_row(accounts[FREE], "image", model="imagen-4")
    body = text(creator_client.get(reverse("postprod:actions", args=[free_image.pk])))
    assert "Only images made with nano-banana-pro can be upscaled" in body
    assert "A GIF is made from a video, and this is an image" in body
    assert "Only videos can be extended" in body


def build_chain(accounts):
    """first prompt → extended → extended again; another clip; all joined; a GIF of the film's
    second clip; an upscale of the first."""
    acct = accounts[ULTRA]
    first = media_row(acct, prompt="a fox runs into the forest")
    second = media_row(acct, origin="extended", prompt="the fox jumps a stream", overlap_seconds=1)
    third = media_row(acct, origin="extended", prompt="the fox reaches its den", overlap_seconds=1)
    Lineage.objects.create(media=second, source=first, relation="extended_from")
    Lineage.objects.create(media=third, source=second, relation="extended_from")
    film = media_row(
        acct, origin="joined", media_generation_id="", prompt="fox film", duration_seconds=21.0
    )
    for position, (clip, start) in enumerate(((first, 0), (second, 1), (third, 1))):
        Lineage.objects.create(
            media=film,
            source=clip,
            relation="joined_from",
            position=position,
            trim_start=start,
            trim_end=0,
        )
    gif = media_row(acct, "gif", origin="gif", media_generation_id="")
    Lineage.objects.create(media=gif, source=second, relation="gif_of")
    upscale = media_row(acct, origin="upscaled", resolution="1080p")
    Lineage.objects.create(media=upscale, source=first, relation="upscaled_from")
    return first, second, third, film, gif, upscale


def test_lineage_of_a_joined_film_walks_back_to_the_first_prompt(viewer_client, accounts):
    first, second, third, film, _, _ = build_chain(accounts)
    body = text(viewer_client.get(reverse("postprod:lineage", args=[film.pk])))
    back = body.split('id="lineage-back"')[1].split('id="lineage-forward"')[0]
    for clip in (first, second, third):
        assert f'data-media="{clip.pk}"' in back
    assert "clip 2 · trimmed 1 s at the start, 0 s at the end" in back
    origins = back.split('id="lineage-origins"')[1]
    assert "a fox runs into the forest" in origins
    assert "the fox reaches its den" not in origins
    assert "Nothing yet." in body.split('id="lineage-forward"')[1]


def test_lineage_of_the_first_clip_walks_forward(viewer_client, accounts):
    first, second, third, film, gif, upscale = build_chain(accounts)
    body = text(viewer_client.get(reverse("postprod:lineage", args=[first.pk])))
    forward = body.split('id="lineage-forward"')[1]
    for item in (second, third, film, gif, upscale):
        assert f'data-media="{item.pk}"' in forward
    assert "is where its chain starts" in body.split('id="lineage-forward"')[0]


def test_the_fragments_the_gallery_includes(accounts):
    from django.template.loader import render_to_string

    first, second, *_ = build_chain(accounts)
    html = render_to_string("postprod/_lineage.html", {"media": second, "is_creator": True})
    assert f'data-media="{first.pk}"' in html and "Extended from" in html
    assert "First prompt: “a fox runs into the forest”" in html
    html = render_to_string("postprod/_media_actions.html", {"media": second, "is_creator": True})
    assert reverse("postprod:actions", args=[second.pk]) + "#extend" in html
    html = render_to_string("postprod/_media_actions.html", {"media": second, "is_creator": False})
    assert "needs the creator role" in html


def test_a_lineage_cycle_does_not_loop(viewer_client, accounts):
    a, b = media_row(accounts[ULTRA]), media_row(accounts[ULTRA])
    Lineage.objects.create(media=a, source=b, relation="extended_from")
    Lineage.objects.create(media=b, source=a, relation="extended_from")
    assert viewer_client.get(reverse("postprod:lineage", args=[a.pk])).status_code == 200
