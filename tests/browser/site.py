"""A small but complete flowdash for the page-by-page browser checks (phone fit, axe): people of
each role, Google accounts, images and videos with files, a finished and a failed job, a
collection, an alert, load-balancing readings and a job's captcha record, and the list of
every page each role may open."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from tests.gallery.factories import make_media

PASSWORD = "a-long-password-1"
ROLES = {"admin": "alice", "creator": "carol", "viewer": "victor"}


@pytest.fixture(name="site")
def site_fixture(settings, tmp_path, make_user):
    from flowdash.accounts.models import FlowAccount
    from flowdash.gallery.models import Collection, CollectionItem, Lineage, Media
    from flowdash.jobs.models import Job
    from flowdash.stats.models import LoadSample, LoadSnapshot

    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    people = {role: make_user(name, role, PASSWORD) for role, name in ROLES.items()}
    carol = people["creator"]
    ultra = FlowAccount.objects.create(
        email="ul***@gmail.com",
        full_email="ultra.creator@gmail.com",
        health="OK",
        paygate_tier="PAYGATE_TIER_TWO",
        credits=12000,
    )
    FlowAccount.objects.create(
        email="ex***@gmail.com", full_email="expired.person@gmail.com", health="session expired"
    )
    job = Job.objects.create(
        kind="image",
        status="completed",
        requested_by=carol,
        account=ultra,
        account_email=ultra.email,
        params={"prompt": "A lighthouse at dawn, waves on black rocks", "model": "imagen-4"},
        captcha={
            "service": "EzCaptcha",
            "duration_ms": 6256,
            "attempts": [{"service": "EzCaptcha", "success": True, "duration_ms": 6256}],
        },
        captcha_attempts=1,
    )
    Job.objects.create(
        kind="video",
        status="failed",
        requested_by=carol,
        params={"prompt": "An owl turning its head at dusk", "model": "veo-3.1-fast"},
        error_status=400,
        error_message="The prompt was refused by the content policy.",
    )
    image = make_media(
        prompt="A lighthouse at dawn, waves on black rocks",
        created_by=carol,
        job=job,
        account=ultra,
        account_email=ultra.email,
        width=64,
        height=48,
    )
    video = make_media(
        kind="video",
        prompt="An owl turning its head at dusk, a very long prompt " + "with many words " * 8,
        model="veo-3.1-fast",
        created_by=carol,
        account=ultra,
        account_email=ultra.email,
        media_generation_id="gen-owl",
        duration_seconds=1.0,
        aspect_ratio="landscape",
        width=64,
        height=36,
    )
    gif = make_media(kind="gif", prompt="", created_by=carol, origin="gif")
    Lineage.objects.create(media=gif, source=video, relation=Lineage.Relation.GIF_OF)
    board = Collection.objects.create(name="Winter picks", created_by=carol, cover=image)
    CollectionItem.objects.create(collection=board, media=image, position=0, added_by=carol)
    now = timezone.now()
    for minutes in (30, 20, 10):
        snapshot = LoadSnapshot.objects.create(taken_at=now - timedelta(minutes=minutes))
        LoadSample.objects.create(
            snapshot=snapshot,
            taken_at=snapshot.taken_at,
            kind="combined",
            email=ultra.email,
            executing=minutes // 10,
            score=minutes,
        )
    yield {
        "people": people,
        "image": image,
        "video": video,
        "gif": gif,
        "job": job,
        "board": board,
        "account": ultra,
        "media_kind": Media.Kind,
    }
    cache.clear()


def pages_for(role: str, site: dict) -> list[str]:
    """Every page ``role`` may open (what their menu and the pages they reach link to)."""
    image, video, job, board = site["image"], site["video"], site["job"], site["board"]
    everyone = [
        "/",
        "/gallery/",
        "/gallery/?model=imagen-4&q=lighthouse",
        f"/gallery/{image.pk}/",
        f"/gallery/{video.pk}/",
        "/gallery/collections/",
        f"/gallery/collections/{board.pk}/",
        f"/postprod/media/{video.pk}/lineage/",
        "/assets/",
        "/jobs/",
        f"/jobs/{job.pk}/",
        "/accounts/",
        "/alerts/",
        "/load-balancing/?range=1h",
        "/captcha/",
        "/password/",
    ]
    creator = [
        "/studio/",
        "/postprod/scene/",
        f"/postprod/media/{video.pk}/",
        f"/postprod/media/{image.pk}/",
        f"/gallery/collections/{board.pk}/edit/",
    ]
    admin = ["/settings/", "/users/", "/accounts/add/"]
    if role == "viewer":
        return everyone
    if role == "creator":
        return everyone + creator
    return everyone + creator + admin
