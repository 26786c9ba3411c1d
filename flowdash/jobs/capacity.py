"""Image slots: how many POST /images flowdash lets run at once on each Google account.

The API allows "3 to 20 parallel generations depending on real-time capacity" per account and
answers 429 (``PUBLIC_ERROR_USER_REQUESTS_THROTTLED``) past it; a throttled request has already
cost its captcha solves. So flowdash sends an image request only to an account with a free
slot, and learns each account's figure as it goes:

* it starts at the documented minimum (3) and grows by one when a request that was sent while
  the account ran full succeeded (so it climbs to what the account takes, one probe at a time);
* a capacity 429 sets it to one less than what was running when the 429 came, and the account
  is not probed higher again for :data:`PROBE_PAUSE` (nominal seconds);
* a job that finds no free slot waits ``queued`` (no worker thread held) and is woken when an
  image request ends; the reconciler wakes waiting jobs when slots are free and no job is on
  its way to them (a lost wake-up); a slow fallback timer is the last resort.

The running count is the database's (image jobs ``submitting`` on the account), so every
worker process sees the same one; taking a slot is serialized by SQLite's write lock and by row
locks on the candidate accounts on PostgreSQL. The learnt figures live in each worker process
(they are re-learnt in a few requests after a restart).
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from flowdash.jobs.models import SLOT_WAIT, Job

MIN_SLOTS = 1
FIRST_SLOTS = 3  # the documented minimum
MAX_SLOTS = 20  # the documented maximum
PROBE_PAUSE = 300.0  # nominal seconds after a capacity 429 before trying one more again
# nominal: a waiting job looks again after this if no wake-up came. Only a last resort: every
# ended request wakes as many waiting jobs as there are free slots, and the reconciler does the
# same when slots are free and no job is on its way to them (a wake-up lost with a worker). Near
# an image's own duration (10-20 s), every waiting job would be driven again and again for
# nothing while a long queue drains.
WAIT_FALLBACK = 300.0

# ``SLOT_WAIT`` (jobs/models.py) is the ``Job.error_code`` of an image job parked until a slot
# frees (and only of those: a job waiting to retry after an error keeps its own delay, whatever
# its HTTP status was).


@dataclass(frozen=True)
class Slot:
    """An image slot taken on ``account_id`` by a request sent while ``sent_with`` requests
    ran there, itself included (what :func:`note_success` needs to know)."""

    account_id: int
    sent_with: int


@dataclass
class _Figure:
    slots: int = FIRST_SLOTS
    probe_after: float = 0.0  # time.monotonic()


_lock = threading.Lock()
_figures: dict[int, _Figure] = {}


def reset() -> None:
    """Forget every learnt figure (a fresh process)."""
    with _lock:
        _figures.clear()


def slots(account_id: int) -> int:
    with _lock:
        return _figures.setdefault(account_id, _Figure()).slots


def note_success(account_id: int, sent_with: int) -> bool:
    """A request on the account succeeded that was sent while ``sent_with`` requests ran there
    (itself included). True when the account got one more slot.

    Only a request sent at the full figure proves the account takes that many, so only it
    raises the figure by one (the next request there is the probe). Counting what runs when a
    request ends instead would also count the requests sent after it, and several successes
    could raise the figure two or three above anything tried: each step past the real capacity
    is a 429 that comes back only after its captcha was paid for.
    """
    with _lock:
        figure = _figures.setdefault(account_id, _Figure())
        grow = sent_with >= figure.slots and figure.slots < MAX_SLOTS
        if grow and time.monotonic() >= figure.probe_after:
            figure.slots += 1
            return True
    return False


def note_throttled(account_id: int, running: int, scale: float = 1.0) -> None:
    """A capacity 429 on the account while ``running`` ran there (itself included)."""
    with _lock:
        figure = _figures.setdefault(account_id, _Figure())
        figure.slots = max(MIN_SLOTS, min(figure.slots, running - 1))
        figure.probe_after = time.monotonic() + PROBE_PAUSE / max(scale, 0.001)


def running_on(account_ids, exclude: int | None = None) -> dict[int, int]:
    """Image requests in flight per account (jobs ``submitting``)."""
    rows = (
        Job.objects.filter(kind=Job.Kind.IMAGE, status=Job.Status.SUBMITTING)
        .filter(account_id__in=list(account_ids))
        .exclude(pk=exclude)
        .values("account_id")
        .annotate(n=Count("pk"))
    )
    counts = {pk: 0 for pk in account_ids}
    counts.update({row["account_id"]: row["n"] for row in rows})
    return counts


def candidates(job: Job, fixed=None) -> list | None:
    """The accounts an image job may run on (``fixed`` when the job must run there), or None
    to leave the choice to the API (no account with a usable address known)."""
    from flowdash.accounts.models import FlowAccount
    from flowdash.jobs.eligibility import job_can_run

    if fixed is not None:
        return [fixed]
    usable = FlowAccount.objects.addressable().order_by("pk")
    # only accounts that can run the model (nano-banana-pro: Ultra plans)
    found = [a for a in usable if job_can_run(job, a) is not False]
    return found or None


def take_slot(job: Job, fixed=None) -> Slot | bool | None:
    """Give the job (``submitting``, claimed by us) an account with a free image slot.

    A :class:`Slot`: ``job.account`` is set to it. False: every candidate is full (the job
    should wait). None: no candidate known, so no gate (the API's load balancing picks)."""
    accounts = candidates(job, fixed)
    if accounts is None:
        return None
    with transaction.atomic():
        # Two takers never count at the same time: SQLite's transactions take the write lock
        # at BEGIN (IMMEDIATE, lib/env.py), and on PostgreSQL the account rows lock.
        from flowdash.accounts.models import FlowAccount

        ids = [a.pk for a in accounts]
        list(FlowAccount.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
        running = running_on(ids, exclude=job.pk)
        room = [(slots(a.pk) - running[a.pk], -running[a.pk], random.random(), a) for a in accounts]
        room = [r for r in room if r[0] > 0]
        if not room:
            return False
        account = max(room, key=lambda r: r[:3])[3]
        Job.objects.filter(pk=job.pk).update(account=account, account_email=account.address)
    job.refresh_from_db()
    return Slot(account.pk, running[account.pk] + 1)


def free_by_account() -> dict[int, int]:
    """Free image slots of every account flowdash may choose (empty when none is known)."""
    from flowdash.accounts.models import FlowAccount

    ids = list(FlowAccount.objects.addressable().values_list("pk", flat=True))
    running = running_on(ids)
    return {pk: max(0, slots(pk) - running[pk]) for pk in ids}


def has_room(job: Job, fixed=None) -> bool:
    """Whether any account the job may use has a free image slot right now."""
    accounts = candidates(job, fixed)
    if accounts is None:
        return True
    running = running_on([a.pk for a in accounts], exclude=job.pk)
    return any(slots(a.pk) > running[a.pk] for a in accounts)


def due_image_jobs() -> int:
    """Image jobs queued and due now, not held by a worker: each is about to look for a slot
    (a new job, one just woken, or a retry whose time has come)."""
    return Job.objects.due().filter(kind=Job.Kind.IMAGE, status=Job.Status.QUEUED).count()


def waiting_jobs(limit: int, open_accounts: list[int] | None = None):
    """Image jobs waiting for a slot (queued, not yet due, parked with :data:`SLOT_WAIT`; a
    job waiting to retry after an error keeps its delay). With ``open_accounts``, a job asked for on another
    account is left waiting (waking it would only send it back to wait). A person's own job goes
    before a batch's rows (``Job.priority``), then the oldest first."""
    now = timezone.now()
    found = (
        Job.objects.filter(kind=Job.Kind.IMAGE, status=Job.Status.QUEUED, next_check_at__gt=now)
        .filter(error_code=SLOT_WAIT)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lte=now))
    )
    if open_accounts is not None:
        found = found.filter(
            Q(requested_account__isnull=True) | Q(requested_account_id__in=open_accounts)
        )
    return found.order_by("-priority", "created_at", "pk").values_list("pk", flat=True)[:limit]
