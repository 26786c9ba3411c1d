"""The five post-production handlers against the simulator over real HTTP: one request each,
results on our storage, Media rows and lineage as a user would see them."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage

from flowdash.gallery.models import Lineage, Media
from flowdash.jobs import kinds
from flowdash.jobs.models import Job
from flowdash.lib.media_files import video_facts
from flowdash.useapi.errors import BadRequest
from tests.postprod.conftest import PRO, ULTRA

pytestmark = pytest.mark.django_db


def make_job(kind, params, source=None, account=None, user=None):
    return Job.objects.create(
        kind=kind,
        params=params,
        source_media=source,
        account=account or (source.account if source else None),
        requested_by=user,
    )


def finish(api, sim, answer):
    """Let the simulator finish an async job (advance its clock) and read the job record."""
    sim.state.advance(600)
    record = api.get_job(answer.job_id)
    assert record.status == "completed", record.payload
    return record


def test_image_upscale_stores_a_bigger_jpeg_linked_to_its_source(api, sim_image, creator_user):
    source = sim_image()
    job = make_job(Job.Kind.IMAGE_UPSCALE, {"resolution": "2k"}, source, user=creator_user)
    handler = kinds.handler_for(job.kind)
    assert handler.required_account(job) == source.account

    answer = handler.submit(kinds.Submission(job), api)
    [media] = handler.store_results(job, answer)

    media.refresh_from_db()
    assert media.kind == "image" and media.origin == "upscaled" and media.resolution == "2k"
    assert (media.width, media.height) == (1280, 720)  # 2× the 640×360 original
    assert media.download_status == "stored" and default_storage.exists(media.file.name)
    assert media.thumbnail and default_storage.exists(media.thumbnail.name)
    assert media.created_by == creator_user and media.account == source.account
    link = Lineage.objects.get(media=media)
    assert (link.source, link.relation) == (source, "upscaled_from")
    # Running store_results again (a retried task) stores nothing twice.
    assert handler.store_results(job, answer) == [media]
    assert Media.objects.filter(origin="upscaled").count() == 1


def test_gif_of_a_video_is_an_animated_gif(api, sim_video):
    source = sim_video()
    job = make_job(Job.Kind.GIF, {}, source)
    handler = kinds.handler_for(job.kind)
    [gif] = handler.store_results(job, handler.submit(kinds.Submission(job), api))
    assert gif.kind == "gif" and gif.content_type == "image/gif"
    with default_storage.open(gif.file.name, "rb") as handle:
        assert handle.read(6) in (b"GIF89a", b"GIF87a")
    assert gif.width == 240
    assert Lineage.objects.get(media=gif).relation == "gif_of"


def test_concatenate_three_clips_with_trims(api, sim_video, accounts):
    clips = [sim_video(prompt=f"scene {n}") for n in range(3)]
    trims = [(0, 1.5), (1, 0), (0.5, 2)]
    params = {
        "clips": [
            {"media": m.pk, "trim_start": s, "trim_end": e}
            for m, (s, e) in zip(clips, trims, strict=True)
        ]
    }
    job = make_job(Job.Kind.CONCATENATE, params, account=None)
    handler = kinds.handler_for(job.kind)
    assert handler.required_account(job) == accounts[ULTRA]

    [film] = handler.store_results(job, handler.submit(kinds.Submission(job), api))

    expected = 3 * 8 - sum(s + e for s, e in trims)
    assert film.origin == "joined" and film.kind == "video"
    assert film.duration_seconds == pytest.approx(expected, abs=0.5)
    assert video_facts(default_storage.path(film.file.name)).duration_seconds == pytest.approx(
        expected, abs=0.5
    )
    links = list(Lineage.objects.filter(media=film).order_by("position"))
    assert [(link.source, link.trim_start, link.trim_end) for link in links] == [
        (m, s, e) for m, (s, e) in zip(clips, trims, strict=True)
    ]
    assert all(link.relation == "joined_from" for link in links)


def test_concatenate_refused_by_the_api_leaves_no_file(api, sim_video, media_root):
    a = sim_video(email=ULTRA)
    b = sim_video(email=PRO)
    params = {"clips": [{"media": a.pk}, {"media": b.pk}]}
    job = make_job(Job.Kind.CONCATENATE, params)
    handler = kinds.handler_for(job.kind)
    with pytest.raises(BadRequest) as caught:
        handler.submit(kinds.Submission(job), api)
    assert "same Google Flow account" in caught.value.user_message
    assert not any(p.is_file() for p in media_root.rglob("*"))


def test_extend_is_async_and_records_the_overlap(api, sim, sim_video, creator_user):
    source = sim_video(prompt="a ball rolls left")
    params = {"prompt": "the ball bounces", "model": "veo-3.1-fast", "count": 1, "seed": 7}
    job = make_job(Job.Kind.EXTEND, params, source, user=creator_user)
    handler = kinds.handler_for(job.kind)
    assert handler.is_async

    answer = handler.submit(kinds.Submission(job, reply_ref="ref-1"), api)
    assert answer.job_id and answer.status == "created"
    sent = sim.state.requests(path="/videos/extend")[-1]
    assert sent["body"]["mediaGenerationId"] == source.media_generation_id
    assert sent["body"]["async"] is True and sent["body"]["seed"] == 7

    [clip] = handler.store_results(job, finish(api, sim, answer))
    assert clip.origin == "extended" and clip.overlap_seconds == 1.0
    assert clip.prompt == "the ball bounces" and clip.aspect_ratio == source.aspect_ratio
    assert clip.media_generation_id and clip.media_generation_id != source.media_generation_id
    # URL results are left for the pipeline to download.
    assert clip.download_status == "pending" and clip.source_url.startswith("http")
    assert Lineage.objects.get(media=clip).source == source


def test_video_upscale_then_cached_copy_reuses_the_stored_media(api, sim, sim_video):
    source = sim_video()
    handler = kinds.handler_for(Job.Kind.VIDEO_UPSCALE)
    first_job = make_job(Job.Kind.VIDEO_UPSCALE, {"resolution": "1080p"}, source)
    answer = handler.submit(kinds.Submission(first_job), api)
    [upscaled] = handler.store_results(first_job, finish(api, sim, answer))
    assert upscaled.origin == "upscaled" and upscaled.resolution == "1080p"
    assert upscaled.media_generation_id not in ("", source.media_generation_id)
    assert Lineage.objects.get(media=upscaled).relation == "upscaled_from"

    # The API answers a repeat with the cached video inline (rawBytes): we keep one copy.
    second_job = make_job(Job.Kind.VIDEO_UPSCALE, {"resolution": "1080p"}, source)
    answer = handler.submit(kinds.Submission(second_job), api)
    record = finish(api, sim, answer)
    assert record.media[0].encoded  # the cached copy came back as base64
    assert handler.store_results(second_job, record) == [upscaled]
    assert Media.objects.filter(origin="upscaled").count() == 1


def test_cached_upscale_we_never_stored_is_decoded_to_a_file(api, sim, sim_video):
    source = sim_video()
    handler = kinds.handler_for(Job.Kind.VIDEO_UPSCALE)
    # Someone upscaled it outside flowdash: the simulator has it, we do not.
    api.upscale_video(source.media_generation_id, async_=False)
    job = make_job(Job.Kind.VIDEO_UPSCALE, {"resolution": "1080p"}, source)
    answer = handler.submit(kinds.Submission(job), api)
    [media] = handler.store_results(job, finish(api, sim, answer))
    assert media.download_status == "stored" and default_storage.exists(media.file.name)
    assert (media.width, media.height) == (640, 360)
    assert media.duration_seconds == pytest.approx(8, abs=0.5)
