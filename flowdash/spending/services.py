"""Recording what jobs cost: the priced job in one transaction, and what it actually cost.

:func:`create_priced_job` is what the studio, retries, batches and the REST API call instead of
``flowdash.jobs.queue.create_job``: it holds the person's lock, refuses over the limit
(:class:`~flowdash.spending.budget.OverBudget`), creates the job through the jobs app and its
:class:`JobCharge` in the same transaction.

"Actually cost" (:func:`settle`): an account's credits are read at each account sync
(``AccountSample``). When one job is the only priced job on its account between the last
reading before it was sent and the first reading after it ended, the drop between those two
readings is what it cost. Otherwise (other jobs ran in that window, no reading yet on either
side, or the credits rose — a top-up or a refund) it cannot be known, and the note says why.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone

from flowdash.spending import budget
from flowdash.spending.models import JobCharge
from flowdash.spending.pricing import price

# How long a finished job's charge waits for a credit reading of its account before it is
# settled without a figure.
SETTLE_PATIENCE = timedelta(days=2)


def create_priced_job(
    kind: str,
    params: dict[str, Any],
    *,
    user=None,
    requested_account=None,
    source_media=None,
    retry_of=None,
    charged_on: date | None = None,
    check: bool = True,
    credits: int | None = None,
    priority: int = 1,
    parked: bool = False,
):
    """Check the person's limit, then save the queued job and its charge together.

    ``check=False`` with ``credits``: the credits were already checked and held (a started
    batch releasing its rows) and count against ``charged_on``."""
    from flowdash.jobs.queue import create_job

    quote = price(kind, params, requested_account)
    amount = quote.credits if credits is None else credits
    with transaction.atomic():
        budget.lock(user)
        if check:
            budget.check(user, amount)
        job = create_job(
            kind,
            params,
            user=user,
            requested_account=requested_account,
            source_media=source_media,
            retry_of=retry_of,
            priority=priority,
            parked=parked,
        )
        JobCharge.objects.create(
            job=job,
            user=user,
            account=requested_account,
            kind=kind,
            model=quote.model,
            credits=amount,
            words=quote.words[:200],
            charged_on=charged_on or budget.today(),
        )
        if amount:
            _announce_limit_reached(user, charged_on or budget.today())
    return job


def _announce_limit_reached(user, day) -> None:
    """Once a day per person: the notification that their daily limit is used up (sent with the
    charge that used it up, so it never announces a job that was rolled back)."""
    from flowdash.notify.models import EventKind
    from flowdash.notify.services import emit

    limit = budget.daily_limit(user)
    if limit is None or budget.spent(user, day) < limit:
        return
    emit(
        EventKind.SPENDING_LIMIT,
        f"spending-limit:{user.pk}:{day.isoformat()}",
        f"{user.get_username()} reached the daily limit of {limit} credits",
        f"{user.get_username()} has spent the {limit} credits allowed for {day.isoformat()}; "
        "further submissions that cost credits are refused until tomorrow or a higher limit.",
        {"user": user.get_username(), "limit": limit, "day": day.isoformat()},
        owner=user,
    )


def settle(charge: JobCharge) -> bool:
    """Fill in what a finished job actually cost, when the account's readings tell. True when
    the charge is settled (with a figure or with the reason none can be known)."""
    from flowdash.accounts.models import AccountSample

    job = charge.job
    if not job.is_finished:
        return False
    now = timezone.now()
    if job.account_id is None or not job.submitted_at:
        return _note(charge, None, "not sent to an account: nothing spent")
    if not charge.credits:
        return _note(charge, 0, "free on this account and model")
    samples = AccountSample.objects.filter(account_id=job.account_id, credits__isnull=False)
    before = samples.filter(taken_at__lte=job.submitted_at).order_by("-taken_at").first()
    after = samples.filter(taken_at__gte=job.finished_at).order_by("taken_at").first()
    if after is None:
        if now - job.finished_at > SETTLE_PATIENCE:
            return _note(charge, None, "no credit reading of the account after the job ended")
        return False  # the next account sync will tell
    if before is None:
        return _note(charge, None, "no credit reading of the account before the job was sent")
    others = (
        JobCharge.objects.filter(job__account_id=job.account_id, credits__gt=0)
        .exclude(pk=charge.pk)
        .filter(job__submitted_at__lte=after.taken_at)
        .filter(Q(job__finished_at__isnull=True) | Q(job__finished_at__gte=before.taken_at))
    )
    if others.exists():
        return _note(
            charge, None, "other paid jobs ran on the account between the two credit readings"
        )
    drop = before.credits - after.credits
    if drop < 0:
        return _note(charge, None, "the account's credits rose meanwhile (a top-up?)")
    return _note(charge, drop, f"credits {before.credits} → {after.credits} on the account")


def _note(charge: JobCharge, actual: int | None, note: str) -> bool:
    JobCharge.objects.filter(pk=charge.pk).update(
        actual_credits=actual, actual_note=note[:300], settled_at=timezone.now()
    )
    return True


PRICED_KINDS = ("image", "video", "extend", "video_upscale")


def record_unpriced(limit: int = 500) -> int:
    """Price the jobs made without :func:`create_priced_job` (a caller not switched over yet),
    on the day they were made, so the Spending page misses none. Their limit was not checked
    before they were sent; this only records them. One insert for them all (a charge made
    meanwhile by another process is kept); returns how many were missing."""
    from flowdash.jobs.models import Job

    missing = (
        Job.objects.filter(charge__isnull=True, kind__in=PRICED_KINDS)
        .select_related("requested_account")
        .order_by("pk")[:limit]
    )
    charges = []
    for job in missing:
        quote = price(job.kind, job.params or {}, job.requested_account)
        charges.append(
            JobCharge(
                job=job,
                user_id=job.requested_by_id,
                account=job.requested_account,
                kind=job.kind,
                model=quote.model,
                credits=quote.credits,
                words=(quote.words + " (priced after it was made)")[:200],
                charged_on=timezone.localdate(job.created_at),
            )
        )
    JobCharge.objects.bulk_create(charges, ignore_conflicts=True)
    return len(charges)


def settle_finished(limit: int = 500) -> int:
    """Settle the charges of finished jobs not settled yet; returns how many were.

    Only charges that :func:`settle` can settle now are read: a paid job on an account whose
    credits were not read since it ended waits for the next reading (the account sync), and
    is not looked at again every minute until then (bench/scale.py, 5,000 videos: each
    minute's pass, which read them all again, took 13 s on average)."""
    from flowdash.accounts.models import AccountSample
    from flowdash.jobs.models import FINISHED

    last_reading = (
        AccountSample.objects.filter(account_id=OuterRef("job__account_id"), credits__isnull=False)
        .order_by("-taken_at")
        .values("taken_at")[:1]
    )
    pending = (
        JobCharge.objects.filter(settled_at__isnull=True, job__status__in=FINISHED)
        .annotate(last_reading=Subquery(last_reading))
        .filter(
            Q(job__account__isnull=True)
            | Q(job__submitted_at__isnull=True)
            | Q(credits=0)
            | Q(last_reading__gte=F("job__finished_at"))
            | Q(job__finished_at__lt=timezone.now() - SETTLE_PATIENCE)
        )
    )
    done = 0
    for charge in pending.select_related("job").order_by("pk")[:limit]:
        done += int(settle(charge))
    return done
