"""A worker SIGKILLed at the worst moments: the paid request is still sent exactly once, the
job completes, and nothing it was writing stays behind."""

from __future__ import annotations

import pytest

from flowdash.gallery.models import Media
from flowdash.jobs.models import Job
from tests.faults.conftest import assert_outcome, new_images, new_videos

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration, pytest.mark.faults]


def test_killed_after_post_videos_was_sent_before_its_answer_was_stored(hooked_stack, simulator):
    stack = hooked_stack
    # the service takes the video, then its answer is held back long enough to kill the worker
    held = simulator.state.faults.add("delay", endpoint="POST videos", when="after", seconds=10)
    [job] = new_videos("killed before the answer")
    stack.wait_for(lambda: held.hits >= 1, "the service to accept the video")
    stack.kill_worker()
    simulator.state.faults.clear()
    stack.start_worker()

    stack.wait_finished([job], timeout=90)
    # the service logs a request once its (held) answer is written: wait for that line
    stack.wait_for(lambda: stack.paid_posts(job), "the held request to be logged", timeout=30)
    assert_outcome(stack, job, status=Job.Status.COMPLETED, posts=1, media=1)
    stack.outcome("worker SIGKILL after POST /videos sent, before its answer stored", [job])


def test_killed_during_a_synchronous_post_images(hooked_stack, simulator):
    stack = hooked_stack
    # the request has reached the service; its generation runs while the worker dies
    held = simulator.state.faults.add("delay", endpoint="POST images", when="before", seconds=3)
    [job] = new_images("killed during the image call")
    stack.wait_for(lambda: held.hits >= 1, "the image request to reach the service")
    stack.kill_worker()
    stack.start_worker()

    stack.wait_finished([job], timeout=90)
    assert_outcome(stack, job, status=Job.Status.COMPLETED, posts=1, media=1)
    stack.outcome("worker SIGKILL during a synchronous POST /images", [job])


def test_killed_mid_download(hooked_stack, simulator):
    stack = hooked_stack
    # the result file trickles out for a minute: the worker dies halfway through it
    simulator.state.faults.add("media_slow", endpoint="_media", seconds=60, times=1)
    [job] = new_videos("killed mid-download")

    def downloading() -> bool:
        return any((stack.media_root / "tmp").glob("*.part")) and any(
            p.stat().st_size > 0 for p in (stack.media_root / "tmp").glob("*.part")
        )

    stack.wait_for(downloading, "the download to be under way", timeout=60)
    stack.kill_worker()
    stack.start_worker()

    stack.wait_finished([job], timeout=120)
    assert_outcome(stack, job, status=Job.Status.COMPLETED, posts=1, media=1)
    media = Media.objects.get(job=job)
    assert media.duration_seconds  # the whole file, not what the killed worker had
    stack.outcome("worker SIGKILL mid-download", [job])
