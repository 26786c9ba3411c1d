"""The job card: live progress that stops polling when the job ends, results, errors, actions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from flowdash.accounts.models import FlowAccount
from flowdash.gallery.models import Media
from flowdash.jobs.models import Job, JobAttempt

pytestmark = pytest.mark.django_db


@pytest.fixture
def creator_client(client, creator_user):
    client.force_login(creator_user)
    return client


def make_job(user, status="running", kind="image", **fields):
    params = fields.pop("params", None) or {
        "prompt": "a quiet harbour",
        "model": "imagen-4",
        "aspect_ratio": "landscape",
        "count": 2,
        "seed": 5,
        "references": [],
        "captcha_retry": None,
        "captcha_order": None,
    }
    return Job.objects.create(kind=kind, status=status, requested_by=user, params=params, **fields)


def card(client, job):
    return client.get(
        f"/jobs/{job.pk}/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET=f"job-card-{job.pk}"
    )


def test_a_running_card_keeps_polling_and_shows_progress(creator_client, creator_user):
    account = FlowAccount.objects.create(
        email="ultra.creator@gmail.com",
        video_models=[
            {
                "key": "veo_3_1_t2v_fast_ultra",
                "generation_seconds": 100,
                "aspect_ratios": ["landscape"],
            }
        ],
    )
    job = make_job(
        creator_user,
        kind="video",
        account=account,
        account_email=account.email,
        submitted_at=timezone.now() - timedelta(seconds=50),
        params={"prompt": "surf", "model": "veo-3.1-fast", "mode": "text", "count": 1},
    )
    response = card(creator_client, job)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'hx-trigger="every 2s"' in html and "<html" not in html
    assert "Generating" in html and "on ultra.creator@gmail.com" in html
    assert "usually about 100 s" in html  # the account's own videoGenerationTimeSeconds
    progress = int(html.split('data-progress="')[1].split('"')[0])
    assert 45 <= progress <= 55  # 5 + 90 × 50/100


def test_a_late_job_says_it_is_taking_longer(creator_client, creator_user):
    job = make_job(creator_user, submitted_at=timezone.now() - timedelta(seconds=90))
    html = card(creator_client, job).content.decode()
    assert "taking longer than usual" in html and 'data-progress="95"' in html


def test_polling_stops_when_the_job_is_done(creator_client, creator_user):
    job = make_job(creator_user, status="completed", finished_at=timezone.now())
    image = Media.objects.create(
        kind="image", job=job, file="media/x.jpg", download_status="stored"
    )
    response = card(creator_client, job)
    html = response.content.decode()
    assert response.status_code == 286  # htmx stops polling…
    assert "hx-trigger" not in html  # …and the card no longer asks to be polled
    assert f'href="/gallery/{image.pk}/"' in html
    assert f"/gallery/{image.pk}/thumbnail/" in html
    assert "Done" in html


def test_a_completed_job_still_downloading_keeps_polling(creator_client, creator_user):
    job = make_job(creator_user, status="completed", finished_at=timezone.now())
    Media.objects.create(kind="image", job=job, download_status="pending")
    Media.objects.create(
        kind="image", job=job, download_status="lost", download_error="URL expired"
    )
    response = card(creator_client, job)
    html = response.content.decode()
    assert response.status_code == 200 and 'hx-trigger="every 2s"' in html
    assert "downloading…" in html and "lost: URL expired" in html


def test_a_failed_job_explains_and_offers_retry(creator_client, creator_user):
    job = make_job(
        creator_user,
        status="failed",
        error_status=400,
        error_code="PUBLIC_ERROR_UNSAFE_GENERATION",
        error_reason="Request contains an invalid argument.",
        error_message="The API refused the prompt under its content policy.",
    )
    response = card(creator_client, job)
    html = response.content.decode()
    assert response.status_code == 286 and "hx-trigger" not in html
    assert "The API refused the prompt under its content policy." in html
    assert "The API said: Request contains an invalid argument." in html
    assert "HTTP 400" in html
    assert f'action="/jobs/{job.pk}/retry/"' in html
    assert f'href="/studio/?remix={job.pk}">Edit and retry' in html


def test_needs_attention_asks_the_owner_and_admins_only(
    client, creator_client, creator_user, make_user
):
    job = make_job(
        creator_user,
        status="needs_attention",
        attention_reason="The connection dropped after the request was sent.",
    )
    html = card(creator_client, job).content.decode()
    assert "The connection dropped after the request was sent." in html
    assert "Submit again" in html and "Give up" in html
    client.force_login(make_user("other", "creator"))
    html = card(client, job).content.decode()
    assert "The connection dropped" in html and "Submit again" not in html
    assert client.post(f"/jobs/{job.pk}/resubmit/").status_code == 403
    assert client.post(f"/jobs/{job.pk}/give-up/").status_code == 403
    client.force_login(make_user("root", "admin"))
    assert "Submit again" in card(client, job).content.decode()


def test_submit_again_puts_the_job_back_in_the_queue(creator_client, creator_user):
    job = make_job(creator_user, status="needs_attention", attention_reason="timeout")
    html = card(creator_client, job).content.decode()
    # htmx's own confirmation guards the button (no data-confirm that htmx would ignore)
    assert 'hx-confirm="Submit job' in html and "data-confirm" not in html
    assert """hx-vals='{"confirm": "yes"}'""" in html
    response = creator_client.post(
        f"/jobs/{job.pk}/resubmit/",
        {"confirm": "yes"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET=f"job-card-{job.pk}",
    )
    job.refresh_from_db()
    assert job.status == "queued"
    assert 'hx-trigger="every 2s"' in response.content.decode()


def test_submit_again_without_confirmation_only_asks(creator_client, creator_user):
    """A POST without confirm=yes (no JavaScript, or an htmx request that skipped the
    confirmation) changes nothing: a page asks first."""
    job = make_job(creator_user, status="needs_attention", attention_reason="timeout")
    response = creator_client.post(f"/jobs/{job.pk}/resubmit/", {"next": f"/jobs/{job.pk}/"})
    job.refresh_from_db()
    assert job.status == "needs_attention"
    html = response.content.decode()
    assert response.status_code == 200 and f"Submit job #{job.pk} again?" in html
    assert 'name="confirm" value="yes"' in html and "Look it up again" in html
    response = creator_client.post(
        f"/jobs/{job.pk}/resubmit/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET=f"job-card-{job.pk}"
    )
    job.refresh_from_db()
    assert job.status == "needs_attention" and "Submit again" in response.content.decode()
    response = creator_client.post(f"/jobs/{job.pk}/resubmit/", {"confirm": "yes"})
    job.refresh_from_db()
    assert job.status == "queued" and response.status_code == 302


def test_look_it_up_again_reruns_the_lookups(creator_client, creator_user):
    job = make_job(creator_user, status="needs_attention", attention_reason="lost")
    JobAttempt.objects.create(job=job, number=1, action="submit", outcome="unknown")
    html = card(creator_client, job).content.decode()
    assert "Look it up again</button>" in html and "Check again later" not in html
    response = creator_client.post(
        f"/jobs/{job.pk}/look-again/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET=f"job-card-{job.pk}"
    )
    job.refresh_from_db()
    assert job.status == "submitting" and job.next_check_at <= timezone.now()
    assert "Looked up again by carol" in job.error_message
    assert job.attempts.filter(action="submit").count() == 1  # nothing more sent
    assert 'hx-trigger="every 2s"' in response.content.decode()

    # a job followed by its remote id goes back to its checks
    other = make_job(creator_user, status="needs_attention", remote_job_id="job-1")
    creator_client.post(f"/jobs/{other.pk}/look-again/")
    other.refresh_from_db()
    assert other.status == "running" and other.next_check_at <= timezone.now()

    # nothing to look for when the request was surely never processed
    never = make_job(creator_user, status="needs_attention")
    JobAttempt.objects.create(job=never, number=1, action="submit", outcome="not_delivered")
    response = creator_client.post(f"/jobs/{never.pk}/look-again/", follow=True)
    never.refresh_from_db()
    assert never.status == "needs_attention" and "nothing to look up" in response.content.decode()


@pytest.mark.parametrize("action", ["cancel", "resubmit", "give-up", "look-again", "retry"])
@pytest.mark.parametrize("nxt", ["x", "jobs:list", "//evil.example/", "https://evil.example/"])
def test_next_is_only_a_path_on_this_site(creator_client, creator_user, action, nxt):
    job = make_job(creator_user, status="needs_attention", attention_reason="timeout")
    response = creator_client.post(f"/jobs/{job.pk}/{action}/", {"next": nxt, "confirm": "yes"})
    assert response.status_code == 302
    assert response["Location"].startswith("/jobs/")


def test_give_up_fails_the_job_with_its_record(creator_client, creator_user):
    job = make_job(creator_user, status="needs_attention", attention_reason="timeout")
    response = creator_client.post(f"/jobs/{job.pk}/give-up/", follow=True)
    job.refresh_from_db()
    assert job.status == "failed" and "Given up by carol" in job.error_message
    assert "was given up" in response.content.decode()


def test_retry_makes_a_new_job_with_the_same_request(creator_client, creator_user):
    job = make_job(creator_user, status="failed", error_message="boom")
    response = creator_client.post(f"/jobs/{job.pk}/retry/")
    new = Job.objects.exclude(pk=job.pk).get()
    assert response.status_code == 302 and response["Location"] == f"/jobs/{new.pk}/"
    assert new.params == job.params and new.retry_of == job and new.status == "queued"
    job.refresh_from_db()
    assert job.status == "failed"  # the failed one keeps its record


def test_viewers_cannot_retry(client, make_user, creator_user):
    job = make_job(creator_user, status="failed")
    client.force_login(make_user("vi", "viewer"))
    assert client.post(f"/jobs/{job.pk}/retry/").status_code == 403
    assert "Retry</button>" not in card(client, job).content.decode()
    assert Job.objects.count() == 1


def test_cancel_while_queued(creator_client, creator_user):
    job = make_job(creator_user, status="queued")
    assert "Cancel</button>" in card(creator_client, job).content.decode()
    response = creator_client.post(
        f"/jobs/{job.pk}/cancel/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET=f"job-card-{job.pk}"
    )
    job.refresh_from_db()
    assert job.status == "cancelled"
    assert (
        response.status_code == 286 and "Cancelled before it was sent." in response.content.decode()
    )


def test_a_job_already_sent_cannot_be_cancelled(creator_client, creator_user):
    job = make_job(creator_user, status="running")
    assert "Cancel</button>" not in card(creator_client, job).content.decode()
    response = creator_client.post(f"/jobs/{job.pk}/cancel/", follow=True)
    job.refresh_from_db()
    assert job.status == "running"
    assert "can no longer be cancelled" in response.content.decode()


def test_others_cannot_cancel_my_job(client, make_user, creator_user):
    job = make_job(creator_user, status="queued")
    client.force_login(make_user("vi", "viewer"))
    assert client.post(f"/jobs/{job.pk}/cancel/").status_code == 403
    client.force_login(make_user("cr", "creator"))
    assert client.post(f"/jobs/{job.pk}/cancel/").status_code == 403
    job.refresh_from_db()
    assert job.status == "queued"


def test_the_job_page_shows_the_full_record(creator_client, creator_user):
    account = FlowAccount.objects.create(email="pro.studio@gmail.com")
    job = make_job(
        creator_user,
        status="failed",
        account=account,
        requested_account=account,
        remote_job_id="j123v-u1-email:pr***@gmail.com-bot:google-flow",
        submit_attempts=1,
        captcha_attempts=2,
        captcha={"service": "EzCaptcha", "durationMs": 3500},
        error_status=403,
        error_reason="reCAPTCHA evaluation failed",
        error_message="Google rejected the captcha on every try.",
        submitted_at=timezone.now(),
        finished_at=timezone.now(),
    )
    JobAttempt.objects.create(
        job=job,
        number=1,
        outcome="rejected",
        http_status=403,
        message="reCAPTCHA evaluation failed",
        account_email=account.email,
    )
    html = creator_client.get(f"/jobs/{job.pk}/").content.decode()
    for text in (
        "j123v-u1-email:pr***@gmail.com-bot:google-flow",
        "Captcha attempts",
        "EzCaptcha",
        "3500 ms",
        "HTTP 403",
        "Google rejected the captcha on every try.",
        "reCAPTCHA evaluation failed",
        "a quiet harbour",
        "Rejected",
        "Remix in the studio",
        '<th scope="row">seed</th><td class="wrap">5</td>',
    ):
        assert text in html, text


def test_the_studio_lists_my_recent_jobs_with_cards(creator_client, creator_user, make_user):
    mine = make_job(creator_user, status="running")
    other = make_job(make_user("x", "creator"), status="running")
    html = creator_client.get("/studio/").content.decode()
    assert f'id="job-card-{mine.pk}"' in html and f'id="job-card-{other.pk}"' not in html


def test_the_card_of_a_deleted_job_goes_away_and_stops_polling(creator_client, creator_user):
    job = make_job(creator_user, status="running")
    pk = job.pk
    job.delete()
    response = creator_client.get(
        f"/jobs/{pk}/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET=f"job-card-{pk}"
    )
    assert response.status_code == 286 and response.content == b""
    assert creator_client.get(f"/jobs/{pk}/").status_code == 404


def test_a_job_waiting_after_a_busy_api_says_when_it_tries_again(creator_client, creator_user):
    job = make_job(
        creator_user,
        status="queued",
        submit_attempts=1,
        error_status=429,
        error_message="The API is busy (429). Trying again in 7 s.",
        next_check_at=timezone.now() + timedelta(seconds=6),
    )
    html = card(creator_client, job).content.decode()
    assert "Waiting to try again" in html
    assert "The API is busy (429). Trying again in 7 s." in html and "tries so far: 1" in html
    assert 'hx-trigger="every 2s"' in html
