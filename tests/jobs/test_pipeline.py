"""The job pipeline against the simulator over real HTTP: submit, follow, store, fail in words.

``run()`` plays the worker and the reconciler in-process: it drives the job whenever its next
step is due (waiting for the simulator's work, never asserting on timings).
"""

from __future__ import annotations

import io
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from flowdash.accounts.models import Alert, FlowAccount
from flowdash.assets.models import Asset, AssetUpload
from flowdash.gallery.models import Lineage, Media
from flowdash.jobs import decisions, downloads
from flowdash.jobs.models import Job, JobAttempt
from flowdash.jobs.pipeline import dispatch, slots, timing
from flowdash.jobs.queue import create_job
from flowdash.useapi.client import UseapiClient

pytestmark = pytest.mark.django_db

PRO = "pro.studio@gmail.com"
ULTRA = "ultra.creator@gmail.com"
FREE = "free.tester@gmail.com"


def masked(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:2]}***@{domain}"


@pytest.fixture
def sim(use_simulator, settings, tmp_path):
    settings.FLOWDASH_JOB_TIME_SCALE = use_simulator.state.settings.speed
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.PUBLIC_URL = ""
    use_simulator.state.reset()
    yield use_simulator
    use_simulator.state.reset()


@pytest.fixture
def accounts(sim):
    rows = {}
    for email, tier in ((ULTRA, "PAYGATE_TIER_TWO"), (PRO, "PAYGATE_TIER_ONE"), (FREE, "")):
        rows[email] = FlowAccount.objects.create(
            email=masked(email), full_email=email, health="OK", paygate_tier=tier
        )
    return rows


@pytest.fixture
def api(sim):
    return UseapiClient(sim.base_url, sim.token, era=sim.state.era)  # the era it speaks


def run(job: Job, client, *, timeout: float = 60.0, until=None) -> Job:
    """Drive the job (and its downloads) as the worker and the reconciler would, until it stops
    being active (or ``until(job)`` holds)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = dispatch.drive(job, client)
        # new results are nudged at once; older due ones by the reconciler
        fresh = job.media.filter(download_status=Media.Download.PENDING, download_attempts=0)
        for media_id in set(downloads.due_media_ids()) | set(fresh.values_list("pk", flat=True)):
            downloads.download(Media.objects.get(pk=media_id))
        if until is not None and until(job):
            return job
        active = (Job.Status.QUEUED, Job.Status.SUBMITTING, Job.Status.RUNNING)
        pending = job.media.filter(download_status=Media.Download.PENDING)
        if job.status not in active and not pending.exists():
            return job
        wait = 0.05
        if job.next_check_at:
            wait = min(max((job.next_check_at - timezone.now()).total_seconds(), 0.02), 2.0)
        time.sleep(wait)
    raise AssertionError(f"job still {job.status} after {timeout}s")


def make_due(job: Job) -> None:
    """Let time pass for a job that waits (a retry or a lookup scheduled for later)."""
    Job.objects.filter(pk=job.pk).update(next_check_at=timezone.now(), lease_until=None)


def posts(sim, path: str) -> list[dict]:
    return [r for r in sim.state.requests(path=path, method="POST")]


def make_asset(user=None, color=(200, 30, 30)) -> Asset:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(buffer, "PNG")
    data = buffer.getvalue()
    import hashlib

    asset = Asset(
        sha256=hashlib.sha256(data).hexdigest(),
        content_type=Asset.PNG,
        size=len(data),
        width=64,
        height=48,
        original_name="red.png",
        uploaded_by=user,
    )
    asset.file.save("red.png", ContentFile(data), save=False)
    asset.save()
    return asset


def image_params(**extra) -> dict:
    return {
        "prompt": "a red fox in snow",
        "model": "imagen-4",
        "aspect_ratio": "landscape",
        "count": 2,
        "seed": 42,
        "references": [],
        **extra,
    }


def video_params(**extra) -> dict:
    return {
        "prompt": "a fox runs through snow",
        "model": "veo-3.1-fast",
        "aspect_ratio": "landscape",
        "count": 1,
        "seed": 7,
        "mode": "text",
        "start": None,
        "end": None,
        "references": [],
        **extra,
    }


# --- images ------------------------------------------------------------------------------------


def test_an_image_job_ends_with_its_files_on_disk(accounts, api, sim, creator_user):
    job = create_job("image", image_params(), user=creator_user)
    job = run(job, api)

    assert job.status == Job.Status.COMPLETED
    assert job.remote_job_id and job.account_email
    media = list(job.media.order_by("pk"))
    assert len(media) == 2
    for item in media:
        assert item.download_status == Media.Download.STORED
        assert Path(item.file.path).is_file() and Path(item.thumbnail.path).is_file()
        assert item.file_size == Path(item.file.path).stat().st_size > 0
        assert (item.width, item.height) == (640, 360)
        assert item.prompt == "a red fox in snow" and item.model == "imagen-4"
        assert item.created_by == creator_user and item.aspect_ratio == "landscape"
        assert item.media_generation_id
    assert {m.seed for m in media} == {42, 43}
    assert len(posts(sim, "/images")) == 1
    attempt = job.attempts.get(action="submit")
    assert attempt.outcome == JobAttempt.Outcome.ACCEPTED
    # the account the API chose is recorded, and replyRef went with the request
    assert job.account in accounts.values()
    assert posts(sim, "/images")[0]["body"]["replyRef"] == job.webhook_token()


def test_an_asset_reference_is_uploaded_to_the_chosen_account_once(accounts, api, sim):
    asset = make_asset()
    job = create_job("image", image_params(count=1, references=[{"asset": asset.pk}]))
    job = run(job, api)
    assert job.status == Job.Status.COMPLETED, job.error_message
    upload = AssetUpload.objects.get(asset=asset)
    assert upload.account == job.account
    assert len(posts(sim, f"/assets/{job.account.full_email}")) == 1
    body = posts(sim, "/images")[0]["body"]
    assert body["reference_1"] == upload.media_generation_id

    # used again on the same account: no second upload
    again = run(
        create_job(
            "image",
            image_params(count=1, references=[{"asset": asset.pk}]),
            requested_account=job.account,
        ),
        api,
    )
    assert again.status == Job.Status.COMPLETED
    assert len(sim.state.requests(method="POST", path=f"/assets/{job.account.full_email}")) == 1


def test_a_result_used_as_reference_is_recorded_as_lineage(accounts, api, sim):
    first = run(create_job("image", image_params(count=1), requested_account=accounts[PRO]), api)
    source = first.media.get()
    second = run(create_job("image", image_params(count=1, references=[{"media": source.pk}])), api)
    assert second.status == Job.Status.COMPLETED
    result = second.media.get()
    assert Lineage.objects.filter(
        media=result, source=source, relation=Lineage.Relation.REFERENCE
    ).exists()
    assert second.account == accounts[PRO]  # where the reference lives


# --- videos ------------------------------------------------------------------------------------


def test_a_video_job_is_followed_by_polling_to_its_file(accounts, api, sim, creator_user):
    image = run(create_job("image", image_params(count=1), requested_account=accounts[PRO]), api)
    frame = image.media.get()
    job = create_job(
        "video",
        video_params(mode="frames", start={"media": frame.pk}),
        user=creator_user,
        requested_account=accounts[PRO],
    )
    job = run(job, api, until=lambda j: j.status == Job.Status.RUNNING)
    assert job.remote_job_id and job.next_check_at > timezone.now()
    job = run(job, api)

    assert job.status == Job.Status.COMPLETED, job.error_message
    video = job.media.get()
    assert video.kind == Media.Kind.VIDEO and video.download_status == Media.Download.STORED
    assert Path(video.file.path).is_file() and video.thumbnail
    assert video.duration_seconds == pytest.approx(8, abs=0.5)
    assert (video.width, video.height) == (320, 180)
    assert Lineage.objects.filter(
        media=video, source=frame, relation=Lineage.Relation.START_FRAME
    ).exists()
    assert len(posts(sim, "/videos")) == 1
    assert posts(sim, "/videos")[0]["body"]["startImage"] == frame.media_generation_id
    # polling, not a 5-second loop: a handful of checks at most
    checks = sim.state.requests(method="GET", path=f"/jobs/{job.remote_job_id}")
    assert 1 <= len(checks) <= 6
    assert job.check_count == len(checks)


# --- errors ------------------------------------------------------------------------------------


def test_429_is_retried_later_honouring_retry_after(accounts, api, sim, settings):
    settings.FLOWDASH_JOB_TIME_SCALE = 1  # the real service's time: seconds are seconds
    sim.state.faults.add("throttled", endpoint="images", times=1, retryAfter=7)
    job = create_job("image", image_params(count=1), requested_account=accounts[PRO])
    job = dispatch.drive(job, api)

    assert job.status == Job.Status.QUEUED
    wait = (job.next_check_at - timezone.now()).total_seconds()
    assert 6 <= wait <= 10
    assert "Trying again" in job.error_message and job.error_status == 429
    assert job.attempts.get().outcome == JobAttempt.Outcome.REJECTED
    assert dispatch.drive(job, api).status == Job.Status.QUEUED  # not due yet: nothing sent
    assert len(posts(sim, "/images")) == 1

    make_due(job)
    job = run(job, api)
    assert job.status == Job.Status.COMPLETED
    assert len(posts(sim, "/images")) == 2
    assert [a.outcome for a in job.attempts.filter(action="submit")] == ["rejected", "accepted"]


def test_a_429_storm_shorter_than_the_deadline_fails_nobody(accounts, api, sim, settings):
    """Twelve 429s in a row (more than MAX_SUBMIT_ATTEMPTS): none of them was processed, so
    none counts toward the cap on paid attempts; the job waits them out and completes."""
    settings.FLOWDASH_JOB_DEADLINE_MINUTES = 240  # room for a slow machine at this time scale
    sim.state.faults.add("throttled", endpoint="videos", times=12)
    job = run(create_job("video", video_params(), requested_account=accounts[PRO]), api)
    assert job.status == Job.Status.COMPLETED, job.error_message
    assert len(posts(sim, "/videos")) == 13
    assert job.attempts.paid().count() == 1  # only the one that was accepted
    assert job.media.count() == 1


def test_a_503_naming_the_balanced_account_does_not_pin_the_retry_to_it(accounts, api, sim):
    """The fault run's storm: a 503 body names the account the load balancer had picked, by its
    masked address. That request ran nowhere, so the retry is balanced afresh; an account
    flowdash only knows masked is never named (the API would answer 404 "not found")."""
    FlowAccount.objects.all().update(full_email="")  # synced with masking on: addresses unknown
    sim.state.faults.add("unavailable", endpoint="videos", times=2)
    job = run(create_job("video", video_params()), api)
    assert job.status == Job.Status.COMPLETED, job.error_message
    sent = posts(sim, "/videos")
    assert [r["status"] for r in sent] == [503, 503, 201]
    assert all("email" not in r["body"] for r in sent)
    assert job.attempts.paid().count() == 1 and job.media.count() == 1


def test_an_outage_longer_than_the_deadline_fails_in_words_at_the_deadline(accounts, api, sim):
    sim.state.faults.add("unavailable", endpoint="videos")  # until cleared
    job = create_job("video", video_params(), requested_account=accounts[PRO])
    deadline = timing.deadline_of(job)
    job = run(job, api)
    assert job.status == Job.Status.FAILED
    assert job.finished_at >= deadline  # waited the whole budget, not a count of tries
    assert "kept trying for 30 minutes" in job.error_message
    assert "temporarily unavailable" in job.error_message
    sent = len(posts(sim, "/videos"))
    assert sent > timing.MAX_SUBMIT_ATTEMPTS and job.attempts.paid().count() == 0
    # growing delays: far fewer tries than a fixed 1 s would make in 30 (scaled) minutes
    assert sent < 40
    assert job.media.count() == 0


def test_a_retry_after_longer_than_900_s_is_waited_when_the_deadline_allows(
    accounts, api, sim, settings
):
    speed = settings.FLOWDASH_JOB_TIME_SCALE
    settings.FLOWDASH_JOB_TIME_SCALE = 1  # the real service's time: seconds are seconds
    sim.state.faults.add("no_eligible_account", endpoint="videos", times=1, retryAfter=1200)
    job = create_job("video", video_params(), requested_account=accounts[PRO])
    job = dispatch.drive(job, api)
    assert job.status == Job.Status.QUEUED and job.error_status == 429
    wait = (job.next_check_at - timezone.now()).total_seconds()
    assert 1190 <= wait <= 1205  # Retry-After honoured (20 minutes), not failed at 900 s
    assert "Trying again in 20 min" in job.error_message
    make_due(job)  # ...and twenty minutes later
    settings.FLOWDASH_JOB_TIME_SCALE = speed
    job = run(job, api)
    assert job.status == Job.Status.COMPLETED
    assert len(posts(sim, "/videos")) == 2

    # ...and one past the deadline fails at once, in words, with nothing more sent
    settings.FLOWDASH_JOB_DEADLINE_MINUTES = 10
    sim.state.faults.add("no_eligible_account", endpoint="videos", times=1, retryAfter=1200)
    late = dispatch.drive(create_job("video", video_params(), requested_account=accounts[PRO]), api)
    assert late.status == Job.Status.FAILED
    assert "longer than this job's deadline (10 minutes)" in late.error_message
    assert len(posts(sim, "/videos")) == 3


def test_paid_429s_count_toward_the_cap(accounts, api, sim, settings):
    """A 429 that reports captcha solves may have cost money: those count, and the job stops
    at MAX_SUBMIT_ATTEMPTS of them instead of paying on until the deadline."""
    settings.FLOWDASH_JOB_DEADLINE_MINUTES = 240
    body = {
        "error": "Too many requests",
        "captcha": {"service": "sim", "durationMs": 900, "attempts": [{"service": "sim"}]},
    }
    sim.state.faults.add("custom", endpoint="videos", status=429, body=body)
    job = create_job("video", video_params(), requested_account=accounts[PRO])
    job = run(job, api)
    assert job.status == Job.Status.FAILED
    assert f"Gave up after {timing.MAX_SUBMIT_ATTEMPTS} paid tries" in job.error_message
    assert len(posts(sim, "/videos")) == timing.MAX_SUBMIT_ATTEMPTS
    assert job.captcha_attempts == timing.MAX_SUBMIT_ATTEMPTS


def test_an_image_refused_connection_waits_instead_of_spending_its_tries_at_once(
    accounts, sim, creator_user, settings
):
    """ConnectionFailed used to leave error_status=None, which the image slots read as
    "waiting for a slot": woken at once, six tries in 130 ms, FAILED."""
    from flowdash.lib.ports import free_port

    settings.FLOWDASH_JOB_TIME_SCALE = 1  # seconds are seconds

    dead = UseapiClient(f"http://127.0.0.1:{free_port()}/v1/google-flow", sim.token)
    job = create_job("image", image_params(count=1), user=creator_user)
    job = dispatch.drive(job, dead)
    assert job.status == Job.Status.QUEUED and job.error_code == "ConnectionFailed"
    assert job.next_check_at > timezone.now() + timedelta(seconds=4)
    from flowdash.jobs import capacity

    assert job.pk not in list(capacity.waiting_jobs(10))  # not woken as a slot waiter
    slots.wake_waiting_image_jobs()
    job.refresh_from_db()
    assert job.next_check_at > timezone.now()
    assert job.attempts.get().outcome == JobAttempt.Outcome.NOT_DELIVERED
    assert job.attempts.paid().count() == 0


def test_a_daily_quota_fails_at_once_in_words_instead_of_retrying(accounts, api, sim):
    sim.state.faults.add("daily_quota", endpoint="images")
    job = create_job("image", image_params(count=1), requested_account=accounts[PRO])
    job = dispatch.drive(job, api)
    assert job.status == Job.Status.FAILED and job.error_status == 429
    assert "daily quota" in job.error_message and "midnight UTC" in job.error_message
    assert len(posts(sim, "/images")) == 1


def test_596_expires_the_accounts_session_and_alerts(accounts, api, sim):
    sim.state.set_account_state(PRO, "session_expired")
    job = run(create_job("image", image_params(), requested_account=accounts[PRO]), api)

    assert job.status == Job.Status.FAILED and job.error_status == 596
    assert "session expired" in job.error_message.lower()
    account = FlowAccount.objects.get(pk=accounts[PRO].pk)
    assert account.state == FlowAccount.State.SESSION_EXPIRED
    assert Alert.objects.open().filter(kind=Alert.Kind.SESSION_EXPIRED, account=account).exists()


def test_content_policy_fails_in_words(accounts, api, sim):
    sim.state.faults.add("unsafe", endpoint="videos", times=1)
    job = run(create_job("video", video_params(), requested_account=accounts[PRO]), api)
    assert job.status == Job.Status.FAILED and job.error_status == 400
    assert "content policy" in job.error_message
    assert job.error_reason == "PUBLIC_ERROR_UNSAFE_GENERATION"
    assert len(posts(sim, "/videos")) == 1


def test_captcha_rejection_keeps_the_attempts(accounts, api, sim):
    sim.state.faults.add("captcha_rejected", endpoint="images", times=1)
    job = run(
        create_job("image", image_params(captcha_retry=3), requested_account=accounts[PRO]), api
    )
    assert job.status == Job.Status.FAILED and job.error_status == 403
    assert job.captcha_attempts == 3 == len(job.captcha["attempts"])
    assert not any(a["success"] for a in job.captcha["attempts"])
    assert "captcha (3 attempts)" in job.error_message


def test_a_rejected_token_fails_the_job_and_alerts(accounts, sim):
    bad = UseapiClient(sim.base_url, "user:1-not-the-token")
    job = run(create_job("image", image_params()), bad)
    assert job.status == Job.Status.FAILED and job.error_status == 401
    assert "token" in job.error_message
    assert Alert.objects.open().filter(kind=Alert.Kind.TOKEN_REJECTED).exists()


def test_a_video_that_fails_later_fails_in_words(accounts, api, sim):
    sim.state.faults.add("moderated", endpoint="videos", times=1)
    job = run(create_job("video", video_params(), requested_account=accounts[PRO]), api)
    assert job.status == Job.Status.FAILED, job.status
    assert job.remote_job_id and "Google could not produce" in job.error_message
    assert job.error_status == 500 and job.media.count() == 0


# --- ambiguous submissions ---------------------------------------------------------------------


def test_a_lost_answer_whose_job_never_started_needs_a_person(accounts, api, sim, admin_user):
    sim.state.faults.add("drop", endpoint="images", times=1, when="before")
    job = create_job("image", image_params(count=1), requested_account=accounts[PRO])
    job = dispatch.drive(job, api)
    assert job.status == Job.Status.SUBMITTING
    assert job.attempts.get(action="submit").outcome == JobAttempt.Outcome.UNKNOWN

    job = run(job, api)
    assert job.status == Job.Status.NEEDS_ATTENTION
    assert "may or may not have started" in job.attention_reason
    assert job.attempts.filter(action="lookup").count() == len(timing.LOOKUP_DELAYS)
    assert len(posts(sim, "/images")) == 1  # never silently twice

    assert decisions.resubmit(job, admin_user)
    job = run(job, api)
    assert job.status == Job.Status.COMPLETED
    assert len(posts(sim, "/images")) == 2
    assert job.attempts.filter(action="submit").count() == 2


def test_giving_up_keeps_the_record(accounts, api, sim, admin_user):
    sim.state.faults.add("drop", endpoint="images", times=1, when="before")
    job = run(create_job("image", image_params(count=1), requested_account=accounts[PRO]), api)
    assert job.status == Job.Status.NEEDS_ATTENTION
    assert decisions.give_up(job, admin_user)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and "Given up by alice" in job.error_message
    assert job.attempts.filter(action="submit").count() == 1
    assert not decisions.resubmit(job, admin_user)  # only from needs-attention


def test_a_lost_answer_whose_job_started_is_found_and_followed(accounts, api, sim):
    sim.state.faults.add("drop", endpoint="videos", times=1, when="after")
    job = create_job("video", video_params(), requested_account=accounts[PRO])
    job = dispatch.drive(job, api)
    assert job.status == Job.Status.SUBMITTING and not job.remote_job_id

    job = run(job, api)
    assert job.status == Job.Status.COMPLETED, job.attention_reason
    assert job.remote_job_id and job.media.count() == 1
    assert len(posts(sim, "/videos")) == 1
    assert job.attempts.filter(action="lookup", outcome="accepted").count() == 1


def test_a_lost_image_answer_is_recovered_from_the_job_record(accounts, api, sim):
    sim.state.faults.add("drop", endpoint="images", times=1, when="after")
    job = run(create_job("image", image_params(count=2), requested_account=accounts[PRO]), api)
    assert job.status == Job.Status.COMPLETED
    assert job.media.filter(download_status=Media.Download.STORED).count() == 2
    assert len(posts(sim, "/images")) == 1


def test_retry_makes_a_new_job_with_the_same_request(accounts, api, sim, creator_user):
    sim.state.faults.add("unsafe", endpoint="images", times=1)
    failed = run(create_job("image", image_params(), user=creator_user), api)
    assert failed.status == Job.Status.FAILED
    again = decisions.retry(failed, creator_user)
    assert again.pk != failed.pk and again.retry_of == failed and again.params == failed.params
    assert run(again, api).status == Job.Status.COMPLETED


def test_a_second_worker_cannot_submit_the_same_job(accounts, api, sim):
    job = create_job("image", image_params(count=1), requested_account=accounts[PRO])
    assert job.claim(Job.Status.QUEUED, 300, status=Job.Status.SUBMITTING)
    other = Job.objects.get(pk=job.pk)
    other.status = Job.Status.QUEUED  # a stale copy, as another worker might hold
    assert not other.claim(Job.Status.QUEUED, 300, status=Job.Status.SUBMITTING)
    assert dispatch.drive(Job.objects.get(pk=job.pk), api).status == Job.Status.SUBMITTING
    assert posts(sim, "/images") == []


def test_the_reconciler_finds_due_jobs_only(accounts, sim):
    due = create_job("image", image_params())
    later = create_job("image", image_params())
    Job.objects.filter(pk=later.pk).update(next_check_at=timezone.now() + timedelta(minutes=5))
    held = create_job("image", image_params())
    Job.objects.filter(pk=held.pk).update(lease_until=timezone.now() + timedelta(minutes=5))
    assert [pk for pk, _first in dispatch.due_job_rows()] == [due.pk]


def test_a_result_used_on_another_account_is_uploaded_there_first(accounts, api, sim):
    first = run(create_job("image", image_params(count=1), requested_account=accounts[PRO]), api)
    source = first.media.get()
    job = create_job(
        "image",
        image_params(count=1, references=[{"media": source.pk}]),
        requested_account=accounts[ULTRA],
    )
    job = run(job, api)
    assert job.status == Job.Status.COMPLETED, job.error_message
    assert job.account == accounts[ULTRA]
    upload = AssetUpload.objects.get(account=accounts[ULTRA])
    assert upload.asset.sha256 and Path(upload.asset.file.path) != Path(source.file.path)
    assert len(posts(sim, f"/assets/{ULTRA}")) == 1
    assert posts(sim, "/images")[-1]["body"]["reference_1"] == upload.media_generation_id
    assert Lineage.objects.filter(media=job.media.get(), source=source).exists()


def test_a_worker_that_died_waiting_for_the_answer_is_recovered_without_resending(
    accounts, api, sim
):
    """The state a worker killed mid-request leaves behind: submitting, an attempt 'sent', a
    lease that runs out. The request did reach the service; the job is found, not re-sent."""
    from flowdash.jobs.kinds import Submission, handler_for

    job = create_job("video", video_params(), requested_account=accounts[PRO])
    assert job.claim(Job.Status.QUEUED, 300, status=Job.Status.SUBMITTING)
    Job.objects.filter(pk=job.pk).update(account=accounts[PRO], submit_attempts=1)
    job.refresh_from_db()
    JobAttempt.objects.create(job=job, number=1, action="submit")
    handler_for("video").submit(Submission(job, reply_ref=job.webhook_token()), api)
    # ...and the worker died before reading the answer; its lease runs out
    assert dispatch.drive(job, api).status == Job.Status.SUBMITTING  # still leased: hands off
    Job.objects.filter(pk=job.pk).update(lease_until=timezone.now())

    job = run(job, api)
    assert job.status == Job.Status.COMPLETED, job.attention_reason
    assert len(posts(sim, "/videos")) == 1
    assert job.attempts.get(action="submit").outcome == JobAttempt.Outcome.UNKNOWN
    assert job.media.count() == 1


def test_an_auto_model_image_is_listed_under_the_model_the_api_picks(accounts, api, sim):
    params = {**image_params(), "model": None}
    job = run(create_job("image", params), api)
    assert job.status == Job.Status.COMPLETED
    assert {m.model for m in job.media.all()} == {"imagen-4"}  # no references → imagen-4


def test_lookups_that_cannot_read_the_api_keep_looking_until_the_deadline(accounts, api, sim):
    """A black-holed API: the POST got no answer, and the lookups cannot read GET /jobs either.
    Unread lookups tell nothing, so the job keeps looking by itself (not a fixed count) and
    asks a person only at its deadline — with no second POST."""
    sim.state.faults.add("drop", endpoint="images", times=1, when="before")
    sim.state.faults.add("unavailable", endpoint="jobs")  # GET /jobs fails until cleared
    job = create_job("image", image_params(count=1), requested_account=accounts[PRO])
    deadline = timing.deadline_of(job)
    job = run(job, api)
    assert job.status == Job.Status.NEEDS_ATTENTION
    assert timezone.now() >= deadline - timedelta(seconds=timing.LOOKUP_DELAYS[-1] / 500)
    lookups = job.attempts.filter(action="lookup")
    assert lookups.count() > len(timing.LOOKUP_DELAYS)
    assert all(a.outcome == JobAttempt.Outcome.REJECTED for a in lookups)
    assert (
        "could not be read" in job.attention_reason and "Look it up again" in job.attention_reason
    )
    assert len(posts(sim, "/images")) == 1


def test_the_api_answering_again_during_the_lookups_finds_the_job(accounts, api, sim):
    sim.state.faults.add("drop", endpoint="videos", times=1, when="after")  # created, answer lost
    sim.state.faults.add("unavailable", endpoint="jobs", times=3)
    job = run(create_job("video", video_params(), requested_account=accounts[PRO]), api)
    assert job.status == Job.Status.COMPLETED, job.attention_reason
    assert job.attempts.filter(action="lookup", outcome="rejected").count() >= 1
    assert len(posts(sim, "/videos")) == 1 and job.media.count() == 1


def test_the_transition_table_refuses_what_the_rules_forbid(accounts):
    job = create_job("image", image_params())
    with pytest.raises(ValueError):
        job.move(Job.Status.QUEUED, Job.Status.RUNNING)  # never running before it was sent
    with pytest.raises(ValueError):
        job.move(Job.Status.COMPLETED, Job.Status.QUEUED)  # a finished job stays finished
    with pytest.raises(ValueError):
        job.claim(Job.Status.QUEUED, 60, status=Job.Status.COMPLETED)
    assert job.move(Job.Status.QUEUED, Job.Status.CANCELLED)


def test_attempts_are_numbered_per_action(accounts):
    job = create_job("image", image_params())
    first = JobAttempt.objects.record(job, "lookup")
    second = JobAttempt.objects.record(job, "lookup")
    other = JobAttempt.objects.record(job, "check")
    assert (first.number, second.number, other.number) == (1, 2, 1)


def test_max_check_errors_counts_failures_in_a_row_only(accounts, api, sim):
    """Five failed checks long ago, then good ones, then five more: not eight in a row, so the
    job is still followed (it used to count every failed check ever)."""
    job = create_job("video", video_params(), requested_account=accounts[PRO])
    job = run(job, api, until=lambda j: j.status == Job.Status.RUNNING)
    for _ in range(5):
        JobAttempt.objects.record(job, "check", outcome="rejected", http_status=418)
    sim.state.faults.add("custom", endpoint="jobs/{jobId}", status=418, times=5)
    job = run(job, api)
    assert job.status == Job.Status.COMPLETED, job.attention_reason
    assert job.attempts.filter(action="check").count() == 10 and job.check_errors == 0

    stuck = create_job("video", video_params(), requested_account=accounts[PRO])
    stuck = run(stuck, api, until=lambda j: j.status == Job.Status.RUNNING)
    sim.state.faults.add("custom", endpoint="jobs/{jobId}", status=418)  # until cleared
    stuck = run(stuck, api)
    assert stuck.status == Job.Status.NEEDS_ATTENTION
    assert stuck.check_errors == timing.MAX_CHECK_ERRORS
    assert "could not read the job's status" in stuck.attention_reason
    assert len(posts(sim, "/videos")) == 2
