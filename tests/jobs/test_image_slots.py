"""Image slots (capacity.py): flowdash sends POST /images only to an account with a free slot,
learns each account's figure from the API's answers, and wakes waiting jobs as slots free."""

from __future__ import annotations

import pytest
from django.utils import timezone

from flowdash.jobs import capacity
from flowdash.jobs.kinds import Submission, handler_for
from flowdash.jobs.models import Job, JobAttempt
from flowdash.jobs.pipeline import dispatch, slots, submit
from flowdash.jobs.queue import create_job
from flowdash.jobs.tasks import reconcile_jobs
from tests.jobs.test_pipeline import PRO, ULTRA, image_params, make_asset, make_due, posts, run

pytestmark = pytest.mark.django_db


def fill(account, count: int) -> list[Job]:
    """``count`` image requests in flight on the account."""
    return [
        Job.objects.create(
            kind=Job.Kind.IMAGE,
            status=Job.Status.SUBMITTING,
            params=image_params(),
            account=account,
        )
        for _ in range(count)
    ]


def test_an_image_job_waits_while_every_account_is_full_then_runs(accounts, api, sim):
    busy = [j for account in accounts.values() for j in fill(account, capacity.FIRST_SLOTS)]
    job = create_job("image", image_params())

    job = dispatch.drive(job, api)

    assert job.status == Job.Status.QUEUED
    assert "Waiting for a free image slot" in job.error_message
    assert posts(sim, "/images") == []
    assert job.submit_attempts == 0

    # one request ends: the oldest waiting job is due at once, and goes to that account
    Job.objects.filter(pk=busy[0].pk).update(status=Job.Status.COMPLETED)
    slots.wake_image_jobs(1)
    job.refresh_from_db()
    assert job.next_check_at is not None and job.is_finished is False
    job = run(job, api)
    assert job.status == Job.Status.COMPLETED
    assert job.account == busy[0].account
    sent = posts(sim, "/images")
    assert len(sent) == 1 and sent[0]["body"]["email"] == busy[0].account.address


def test_image_jobs_go_to_the_account_with_the_most_free_slots(accounts, api, sim):
    fill(accounts[ULTRA], 2)
    fill(accounts[PRO], 1)
    job = run(create_job("image", image_params()), api)
    assert job.status == Job.Status.COMPLETED
    free = [a for email, a in accounts.items() if email not in (ULTRA, PRO)][0]
    assert job.account == free


def test_a_capacity_429_lowers_the_accounts_figure_and_the_job_still_completes(accounts, api, sim):
    ultra = accounts[ULTRA]
    sim.state.faults.add("throttled", endpoint="images", email=ULTRA, times=1)
    job = create_job("image", image_params(), requested_account=ultra)
    fill(ultra, 1)  # one other request runs there

    job = dispatch.drive(job, api)
    assert job.status == Job.Status.QUEUED
    assert job.error_status == 429
    assert capacity.slots(ultra.pk) == 1  # what ran (2) minus one
    # the freed slot lets it try again without the documented 5-10 s wait
    Job.objects.filter(account=ultra, status=Job.Status.SUBMITTING).update(
        status=Job.Status.COMPLETED
    )
    job = run(job, api)
    assert job.status == Job.Status.COMPLETED
    outcomes = list(job.attempts.filter(action="submit").values_list("http_status", flat=True))
    assert outcomes == [429, 200]


def test_an_account_that_ran_full_gets_one_more_slot_after_a_success(accounts, api, sim):
    ultra = accounts[ULTRA]
    fill(ultra, capacity.FIRST_SLOTS - 1)
    job = run(create_job("image", image_params(), requested_account=ultra), api)
    assert job.status == Job.Status.COMPLETED
    assert capacity.slots(ultra.pk) == capacity.FIRST_SLOTS + 1


def test_a_throttled_job_without_a_known_account_keeps_the_documented_wait(sim, api):
    # no account flowdash can name: the API's load balancing chooses, and a 429 waits 5-10 s
    sim.state.faults.add("throttled", endpoint="images", times=1)
    job = dispatch.drive(create_job("image", image_params()), api)
    assert job.status == Job.Status.QUEUED
    attempt = JobAttempt.objects.get(job=job, action="submit")
    assert attempt.http_status == 429
    wait = (job.next_check_at - attempt.finished_at).total_seconds()
    speed = sim.state.settings.speed
    assert 5 / speed * 0.9 <= wait <= 10 / speed + 2 / speed + 0.5
    make_due(job)
    assert run(job, api).status == Job.Status.COMPLETED


def waiting(job: Job) -> bool:
    job.refresh_from_db()
    return job.status == Job.Status.QUEUED and job.next_check_at > timezone.now()


def test_requests_ending_together_wake_one_waiting_job_per_free_slot(accounts, api, sim, settings):
    # the parked jobs' fallback wait in real seconds (300 s): "still waiting" cannot turn into
    # "due" while a loaded machine drives the five jobs
    settings.FLOWDASH_JOB_TIME_SCALE = 1
    busy = [j for account in accounts.values() for j in fill(account, capacity.FIRST_SLOTS)]
    queue = [dispatch.drive(create_job("image", image_params()), api) for _ in range(5)]
    assert all(waiting(j) for j in queue)

    # two requests end at the same moment; each finisher wakes waiting jobs
    Job.objects.filter(pk__in=[busy[0].pk, busy[1].pk]).update(status=Job.Status.COMPLETED)
    slots.wake_image_jobs(1)
    slots.wake_image_jobs(1)

    # two slots free: the two oldest are due, the others keep waiting (no drive for nothing)
    assert [waiting(j) for j in queue] == [False, False, True, True, True]


def test_the_reconciler_wakes_a_waiting_image_job_when_its_wake_up_was_lost(accounts, api, sim):
    busy = [j for account in accounts.values() for j in fill(account, capacity.FIRST_SLOTS)]
    job = dispatch.drive(create_job("image", image_params()), api)
    assert waiting(job)

    # the requests end, but the worker that ran them died before waking anyone
    Job.objects.filter(pk__in=[b.pk for b in busy]).update(status=Job.Status.COMPLETED)
    reconcile_jobs()

    assert not waiting(job)
    assert run(job, api).status == Job.Status.COMPLETED


def test_an_image_job_with_references_waits_for_a_slot_on_their_account(accounts, api, sim):
    ultra = accounts[ULTRA]
    fill(ultra, capacity.FIRST_SLOTS)
    asset = make_asset()
    params = image_params(count=1, references=[{"asset": asset.pk}])
    job = create_job("image", params, requested_account=ultra)

    job = dispatch.drive(job, api)

    assert waiting(job) and "Waiting for a free image slot" in job.error_message
    assert posts(sim, "/images") == [] and job.submit_attempts == 0
    Job.objects.filter(account=ultra, status=Job.Status.SUBMITTING).exclude(pk=job.pk).update(
        status=Job.Status.COMPLETED
    )
    slots.wake_image_jobs(1)
    job = run(job, api)
    assert job.status == Job.Status.COMPLETED and job.account == ultra


def test_a_job_asked_for_on_a_full_account_is_not_woken_by_another_accounts_free_slot(
    accounts, api, sim
):
    ultra = accounts[ULTRA]
    busy = [j for account in accounts.values() for j in fill(account, capacity.FIRST_SLOTS)]
    pinned = dispatch.drive(create_job("image", image_params(), requested_account=ultra), api)
    anywhere = dispatch.drive(create_job("image", image_params()), api)
    assert waiting(pinned) and waiting(anywhere)

    # a request ends on another account: the job that may go anywhere takes the slot
    other = next(j for j in busy if j.account != ultra)
    Job.objects.filter(pk=other.pk).update(status=Job.Status.COMPLETED)
    slots.wake_image_jobs(1)

    assert waiting(pinned) and not waiting(anywhere)
    assert run(anywhere, api).status == Job.Status.COMPLETED


def test_only_a_request_sent_at_the_full_figure_raises_it(accounts, api, sim):
    """Requests sent after it do not count: they prove nothing about how many the account
    takes, and each step past its real capacity costs a paid captcha and a 429."""
    ultra = accounts[ULTRA]
    job = create_job("image", image_params(), requested_account=ultra)
    Job.objects.filter(pk=job.pk).update(status=Job.Status.SUBMITTING)  # claimed, as _submit does
    job.refresh_from_db()
    slot = capacity.take_slot(job, ultra)
    assert isinstance(slot, capacity.Slot) and slot.sent_with == 1  # sent alone on the account
    fill(ultra, capacity.FIRST_SLOTS)  # sent after it, while it generates

    job, _ = submit.send_image(Submission(job, slot=slot), api, handler_for("image"))

    assert job.status == Job.Status.COMPLETED
    assert capacity.slots(ultra.pk) == capacity.FIRST_SLOTS


def test_the_thread_whose_image_request_ended_sends_the_job_it_woke_itself(accounts, api, sim):
    busy = [j for account in accounts.values() for j in fill(account, capacity.FIRST_SLOTS)]
    parked = dispatch.drive(create_job("image", image_params(prompt="parked")), api)
    assert waiting(parked)
    Job.objects.filter(pk=busy[0].pk).update(status=Job.Status.COMPLETED)  # one slot frees

    ended = []

    def listen(sender, job, **kwargs):
        ended.append(job.pk)

    dispatch.step_ended.connect(listen)
    try:
        first = dispatch.drive_chain(create_job("image", image_params(prompt="first")), api)
    finally:
        dispatch.step_ended.disconnect(listen)

    # the first took the free slot; its request ended and the parked job went out next, in the
    # same call (not left due for a message and another worker thread to pick it up)
    parked.refresh_from_db()
    assert first.status == Job.Status.COMPLETED
    assert parked.status == Job.Status.COMPLETED
    assert [p["body"]["prompt"] for p in posts(sim, "/images")] == ["first", "parked"]
    assert parked.submit_attempts == 1 and first.submit_attempts == 1
    assert ended == [first.pk, parked.pk]  # each step told (a batch tops up after each)


def test_a_chain_leaves_a_persons_new_image_job_its_slot(accounts, api, sim):
    busy = [j for account in accounts.values() for j in fill(account, capacity.FIRST_SLOTS)]
    parked = dispatch.drive(create_job("image", image_params()), api)
    # the account's figure was just learnt from a 429 (so first's success does not raise it)
    capacity.note_throttled(busy[0].account_id, capacity.FIRST_SLOTS + 1)
    Job.objects.filter(pk=busy[0].pk).update(status=Job.Status.COMPLETED)
    first = create_job("image", image_params())
    mine = create_job("image", image_params())  # sent by a person just after, still due

    dispatch.drive_chain(first, api)

    # the slot that first's request gave back is counted for the job already due: the chain
    # does not wake (and take) the parked one before it
    assert waiting(parked)
    mine.refresh_from_db()
    assert mine.status == Job.Status.QUEUED and mine.submit_attempts == 0
    assert run(mine, api).status == Job.Status.COMPLETED
