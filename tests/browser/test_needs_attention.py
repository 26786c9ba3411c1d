"""A job that needs a decision, in a real browser: Cancel in the "Submit again?" confirmation
sends nothing, "Submit again" confirmed sends exactly one more paid request, and "Look it up
again" sends none (counted in the simulator's request log)."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from flowdash.jobs.models import Job
from flowdash.jobs.queue import create_job
from tests.browser.conftest import sign_in
from tests.jobs.test_pipeline import PRO, accounts, api, image_params, posts, run, sim  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "a-long-password-1"


def wait_for_status(job: Job, *statuses: str, timeout: float = 15.0) -> Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status in statuses:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job.pk} is {job.status}, not {statuses}")


def test_needs_attention_decisions(page, live_server, sim, accounts, api, creator_user):  # noqa: F811
    sim.state.faults.add("drop", endpoint="images", times=1, when="before")
    job = create_job(
        "image", image_params(count=1), user=creator_user, requested_account=accounts[PRO]
    )
    job = run(job, api)  # the answer never came, and useapi.net does not list the job
    assert job.status == Job.Status.NEEDS_ATTENTION
    assert len(posts(sim, "/images")) == 1

    sign_in(page, "carol", PASSWORD)
    page.goto(f"/jobs/{job.pk}/")
    card = page.locator(f"#job-card-{job.pk}")
    expect(card).to_have_attribute("data-status", "needs_attention")
    expect(card).not_to_contain_text("Check again later")

    # 1. Cancel in the confirmation: nothing is sent, nothing changes
    dialogs: list[str] = []

    def dismiss(dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    sent: list[str] = []
    page.on("request", lambda request: sent.append(f"{request.method} {request.url}"))
    page.once("dialog", dismiss)
    card.get_by_role("button", name="Submit again").click()
    page.wait_for_timeout(1500)
    assert dialogs and "again" in dialogs[0]
    assert not [r for r in sent if r.startswith("POST")]  # not even to flowdash
    assert Job.objects.get(pk=job.pk).status == Job.Status.NEEDS_ATTENTION
    assert len(posts(sim, "/images")) == 1
    expect(card).to_have_attribute("data-status", "needs_attention")

    # 2. Look it up again: free — lookups run, no paid POST
    lookups = job.attempts.filter(action="lookup").count()
    card.get_by_role("button", name="Look it up again").click()
    job = wait_for_status(job, Job.Status.SUBMITTING)
    expect(card).to_have_attribute("data-status", "submitting")
    job = run(job, api)
    assert job.status == Job.Status.NEEDS_ATTENTION
    assert job.attempts.filter(action="lookup").count() > lookups
    assert len(posts(sim, "/images")) == 1
    assert len(sim.state.requests(method="GET", path="/jobs")) > 0

    # 3. Submit again, confirmed: exactly one more paid request
    page.reload()
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f"#job-card-{job.pk}").get_by_role("button", name="Submit again").click()
    job = wait_for_status(job, Job.Status.QUEUED, Job.Status.SUBMITTING, Job.Status.COMPLETED)
    job = run(job, api)
    assert job.status == Job.Status.COMPLETED
    assert len(posts(sim, "/images")) == 2
    assert job.attempts.filter(action="submit").count() == 2
    assert job.media.count() == 1
