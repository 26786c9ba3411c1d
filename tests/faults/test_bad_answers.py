"""The API answering garbage: cut JSON, an HTML page with 200, a status nobody documented, bad
base64, a file that is not what it claims, a job record gone (410), links that expired. Nothing
is stored that is not the real result, nothing is paid for twice, nothing half-written stays."""

from __future__ import annotations

import pytest

from flowdash.gallery.models import Media
from flowdash.jobs.models import Job
from flowdash.jobs.queue import create_job
from tests.faults.conftest import assert_outcome, new_images, new_videos, status_of

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]


def test_truncated_json_answer_to_post_videos(fault_stack, simulator):
    stack = fault_stack
    simulator.state.faults.add("truncated", endpoint="POST videos", when="after", times=1)
    [job] = new_videos("truncated answer")
    stack.wait_finished([job], timeout=90)
    assert_outcome(stack, job, status=Job.Status.COMPLETED, posts=1, media=1)
    stack.outcome("truncated JSON answer to POST /videos", [job])


def test_html_page_with_200_to_post_images(fault_stack, simulator):
    stack = fault_stack
    simulator.state.faults.add("garbage", endpoint="POST images", when="after", times=1)
    [job] = new_images("html answer")
    stack.wait_finished([job], timeout=90)
    assert_outcome(stack, job, status=Job.Status.COMPLETED, posts=1, media=1)
    stack.outcome("HTML page with 200 to POST /images", [job])


def test_unknown_status_value_in_the_job_record(fault_stack, simulator):
    stack = fault_stack
    odd = simulator.state.faults.add(
        "custom",
        endpoint="GET jobs/{jobId}",
        times=2,
        status=200,
        body={"jobid": "j1-unknown", "status": "on_hold_for_review", "type": "video"},
    )
    [job] = new_videos("unknown status")
    stack.wait_finished([job], timeout=90)
    assert odd.hits == 2  # both odd answers were read, neither ended the job
    assert_outcome(stack, job, status=Job.Status.COMPLETED, posts=1, media=1)
    stack.outcome("unknown status value from GET /jobs/{jobId}", [job])


def test_bad_base64_in_a_gif_answer(fault_stack, simulator):
    stack = fault_stack
    [video] = new_videos("source of a gif")
    stack.wait_finished([video], timeout=60)
    source = Media.objects.get(job=video)
    simulator.state.faults.add(
        "custom",
        endpoint="videos/gif",
        times=1,
        status=200,
        body={"encodedGif": "R0lGODlh" + "@@ not base64 at all @@" * 50},
    )
    gif = create_job(Job.Kind.GIF, {}, requested_account=source.account, source_media=source)
    stack.wait_finished([gif], timeout=90)
    gif.refresh_from_db()
    # the service answered but what it sent cannot be read: never a broken file in the
    # gallery, never sent again on our own; a person is told (or it fails in words)
    assert gif.status in (Job.Status.NEEDS_ATTENTION, Job.Status.FAILED), gif.status
    assert_outcome(stack, gif, status=gif.status, posts=1, media=0)
    assert gif.error_message or gif.attention_reason
    assert_outcome(stack, video, status=Job.Status.COMPLETED, posts=1, media=1)
    stack.outcome("bad base64 in POST /videos/gif's answer", [gif])


def test_a_fake_mp4_is_never_stored(fault_stack, simulator):
    stack = fault_stack
    fake = simulator.state.faults.add("media_fake", endpoint="_media", times=1)
    [job] = new_videos("fake mp4")
    stack.wait_finished([job], timeout=120)
    assert fake.hits == 1
    assert_outcome(stack, job, status=Job.Status.COMPLETED, posts=1, media=1)
    media = Media.objects.get(job=job)
    assert media.download_attempts >= 2  # the fake was refused, the next try got the video
    assert media.duration_seconds and media.width
    stack.outcome("a fake MP4 (HTML served as the video)", [job])


def test_410_job_expired_before_it_was_checked(fault_stack, simulator):
    stack = fault_stack
    [job] = new_videos("expired record")
    stack.wait_for(lambda: status_of(job) == Job.Status.RUNNING, "the video to run")
    simulator.state.advance(7 * 86400 + 3600)  # the service forgets jobs after 7 days
    stack.wait_finished([job], timeout=90)
    assert_outcome(stack, job, status=Job.Status.FAILED, posts=1, media=0)
    assert job.error_message
    stack.outcome("410 (job record expired) while running", [job])


def test_result_links_that_expired(fault_stack, simulator):
    stack = fault_stack
    simulator.state.update_settings({"urlLifetime": 0.001})  # every signed URL is dead on arrival
    [job] = new_videos("expired links")
    stack.wait_finished([job], timeout=120)
    assert_outcome(stack, job, status=Job.Status.COMPLETED, posts=1, media=None)
    media = Media.objects.get(job=job)
    assert media.download_status == Media.Download.LOST
    assert "expired" in media.download_error
    assert not media.file
    stack.outcome("expired signed URLs (403 ExpiredToken)", [job])
