"""Batches: preview, start (budget for the whole), release in waves, retry, cancel.

Fairness and worker slots: a started batch's rows are not all made into jobs at once. A row
becomes a job when it is *released*; a running batch keeps at most ``FLOWDASH_BATCH_BUFFER`` of
its jobs queued (made but not sent yet). The jobs pipeline sends queued image jobs to free image
slots oldest first, so a single job made while a batch runs waits behind at most that buffer,
not behind the rest of the batch — and while it waits, no batch releases more rows
(:func:`others_waiting`), since a freshly made job would take a freed slot ahead of it. A
500-row batch holds no worker thread for a row that is not being sent. Beat tops the buffer up every ``FLOWDASH_BATCH_RELEASE_SECONDS``
(:func:`release_running`), and starting or retrying releases the first wave at once.

Credits: starting checks the whole batch against the person's daily limit
(:mod:`flowdash.spending.budget`) under their lock; rows not released yet stay held for that day
(:func:`reserved_credits`); each released row's job records its charge on the batch's day
(:func:`flowdash.spending.services.create_priced_job`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from flowdash.batches import parsing
from flowdash.batches.models import Batch, BatchRow
from flowdash.batches.parsing import RawRow
from flowdash.batches.rows import Lookups, check_row
from flowdash.jobs import capacity
from flowdash.jobs.models import ACTIVE, Job
from flowdash.spending import budget
from flowdash.spending.services import create_priced_job

Row = BatchRow.Status


def buffer_size() -> int:
    return max(int(getattr(settings, "FLOWDASH_BATCH_BUFFER", 8)), 1)


def create_draft(
    user, source: str, raw_rows: list[RawRow], defaults: dict, *, name: str = "", note: str = ""
) -> Batch:
    """Check every row with the studio's forms and keep the preview (nothing is sent)."""
    lookups = Lookups(raw_rows)
    checked = [check_row(row, defaults, lookups, user) for row in raw_rows]
    with transaction.atomic():
        batch = Batch.objects.create(
            created_by=user, source=source, name=name[:200], note=note[:300]
        )
        BatchRow.objects.bulk_create(
            [
                BatchRow(
                    batch=batch,
                    number=c.number,
                    kind=c.kind,
                    params=c.params or {},
                    account=c.account,
                    cells=c.cells,
                    credits=c.credits,
                    price_words=c.price_words[:200],
                    status=Row.READY if c.valid else Row.INVALID,
                    error=c.error,
                )
                for c in checked
            ],
            batch_size=500,
        )
    return batch


def raw_rows(data: dict) -> tuple[list[RawRow], str, str]:
    """The rows of a batch form's cleaned data, with the batch's name and a note (the template's
    product in words). Raises :class:`~flowdash.batches.parsing.BatchInputError`."""
    source = data["source"]
    if source == Batch.Source.CSV:
        upload = data["file"]
        return parsing.csv_rows(upload.read()), upload.name or "CSV", ""
    if source == Batch.Source.TEMPLATE:
        rows, words = parsing.template_rows(data["template"], data["values"])
        return rows, data["template"][:200], words
    rows = parsing.pasted(data["prompts"])
    return rows, rows[0].cells["prompt"][:200], ""


def reserved_credits(user, day: date) -> int:
    """Credits of a person's started batches' rows that are not jobs yet, held for ``day``."""
    return (
        BatchRow.objects.filter(
            batch__created_by=user, batch__charged_on=day, status=Row.WAITING
        ).aggregate(total=Sum("credits"))["total"]
        or 0
    )


def start(batch: Batch) -> int:
    """Start a previewed batch: its valid rows wait for their wave. Raises
    :class:`~flowdash.spending.budget.OverBudget` (nothing changed) when the whole batch would
    pass its person's limit (whoever clicks, the credits are the batch's creator's). Returns
    how many rows will run."""
    user = batch.created_by
    with transaction.atomic():
        budget.lock(user)
        if not Batch.objects.filter(pk=batch.pk, status=Batch.Status.DRAFT).exists():
            return 0
        ready = BatchRow.objects.filter(batch=batch, status=Row.READY)
        total = ready.aggregate(total=Sum("credits"))["total"] or 0
        budget.check(user, total)
        today = budget.today()
        count = ready.update(status=Row.WAITING)
        Batch.objects.filter(pk=batch.pk).update(
            status=Batch.Status.RUNNING, started_at=timezone.now(), charged_on=today
        )
    batch.refresh_from_db()
    release(batch)
    return count


def release(batch: Batch) -> int:
    """Make jobs of the next waiting rows while fewer than the buffer are queued. Safe to run
    twice at once: each row is claimed by a conditional update before its job is made."""
    if batch.status != Batch.Status.RUNNING:
        return 0
    queued = BatchRow.objects.filter(batch=batch, job__status=Job.Status.QUEUED).count()
    if queued >= buffer_size():
        # A full buffer: nothing to make, and the batch is not done (a worker tops up after
        # every job step, so this is the usual case and costs one query).
        return 0
    # The buffer, plus what the image slots could take right now (so no slot idles while a
    # wave is being made), less what is queued already and other people's waiting jobs.
    images_wait = BatchRow.objects.filter(batch=batch, status=Row.WAITING, kind="image").exists()
    free_slots = sum(capacity.free_by_account().values()) if images_wait else 0
    room = buffer_size() + free_slots - queued - others_waiting()
    # Image rows past the free slots are made waiting for a slot, as a worker would leave
    # them after finding every slot taken, without a worker's look (one per row saved).
    to_send = free_slots - capacity.due_image_jobs()
    made = 0
    if room > 0:
        # One transaction for the wave (one wait for SQLite's write lock, not one per row).
        with transaction.atomic():
            waiting = list(
                BatchRow.objects.filter(batch=batch, status=Row.WAITING)
                .select_related("account", "job")
                .order_by("number")[:room]
            )
            for row in waiting:
                if not BatchRow.objects.filter(pk=row.pk, status=Row.WAITING).update(
                    status=Row.RELEASED
                ):
                    continue  # another releaser took it
                job = create_priced_job(
                    row.kind,
                    dict(row.params),
                    user=batch.created_by,
                    requested_account=row.account,
                    retry_of=row.job,
                    charged_on=batch.charged_on,
                    check=False,  # checked and held when the batch started (or was retried)
                    credits=row.credits,
                    priority=0,  # people's own jobs go first for image slots
                    parked=row.kind == Job.Kind.IMAGE and to_send <= 0,
                )
                to_send -= row.kind == Job.Kind.IMAGE
                BatchRow.objects.filter(pk=row.pk).update(job=job)
                made += 1
    _finish_if_done(batch)
    return made


def others_waiting() -> int:
    """Jobs made outside any batch that wait to be sent: new ones, due ones, and image jobs
    parked for a free slot. While they wait, batches release nothing more: a job a person
    sends meanwhile goes after at most a buffer of rows made before it, never after rows made
    after it (a freshly made job takes a free slot at once, ahead of parked ones)."""
    now = timezone.now()
    return (
        Job.objects.filter(status=Job.Status.QUEUED, batch_row__isnull=True)
        .filter(
            Q(next_check_at__isnull=True)
            | Q(next_check_at__lte=now)
            | Q(error_code=capacity.SLOT_WAIT)
        )
        .count()
    )


def _finish_if_done(batch: Batch) -> None:
    open_rows = BatchRow.objects.filter(batch=batch).filter(
        Q(status=Row.WAITING) | Q(status=Row.RELEASED, job__status__in=ACTIVE)
    )
    if open_rows.exists():
        return
    finished_at = timezone.now()
    done = Batch.objects.filter(pk=batch.pk, status=Batch.Status.RUNNING).update(
        status=Batch.Status.DONE, finished_at=finished_at
    )
    if done:
        _announce_finished(batch, finished_at)


def _announce_finished(batch: Batch, finished_at) -> None:
    """The "batch finished" notification, once per finish (a retried batch finishes again)."""
    from flowdash.notify.models import EventKind
    from flowdash.notify.services import emit

    p = progress(batch)
    emit(
        EventKind.BATCH_FINISHED,
        f"batch-finished:{batch.pk}:{finished_at.isoformat()}",
        f"Batch #{batch.pk} finished: {p.completed} completed, {p.failed} failed",
        f"Batch #{batch.pk} ({batch.name or batch.source}) finished: {p.completed} completed, "
        f"{p.failed} failed, {p.cancelled} cancelled of {p.total} rows.",
        {"batch": batch.pk, "completed": p.completed, "failed": p.failed, "total": p.total},
        owner=batch.created_by,
    )


def release_running() -> int:
    """Beat's pass over every running batch."""
    made = 0
    for batch in Batch.objects.filter(status=Batch.Status.RUNNING).order_by("started_at"):
        made += release(batch)
    return made


def failed_rows(batch: Batch):
    return BatchRow.objects.filter(batch=batch, status=Row.RELEASED, job__status=Job.Status.FAILED)


def retry_failed(batch: Batch) -> int:
    """Put the rows whose job failed back in line (a new job each, ``retry_of`` the failed one),
    after checking their credits against the batch's person's limit. Returns how many."""
    user = batch.created_by
    with transaction.atomic():
        budget.lock(user)
        rows = failed_rows(batch)
        total = rows.aggregate(total=Sum("credits"))["total"] or 0
        budget.check(user, total)
        today = budget.today()
        if batch.charged_on != today:
            # Rows held from now count against today; rows already made keep their own day.
            Batch.objects.filter(pk=batch.pk).update(charged_on=today)
        count = BatchRow.objects.filter(pk__in=list(rows.values_list("pk", flat=True))).update(
            status=Row.WAITING
        )
        if count:
            Batch.objects.filter(pk=batch.pk).update(status=Batch.Status.RUNNING, finished_at=None)
    batch.refresh_from_db()
    release(batch)
    return count


def cancel_unsent(batch: Batch) -> int:
    """Cancel the rows not sent yet: waiting rows, and released rows whose job is still queued
    (never sent: the jobs app's own cancel). Returns how many."""
    from flowdash.jobs.queue import cancel

    count = BatchRow.objects.filter(batch=batch, status=Row.WAITING).update(status=Row.CANCELLED)
    for row in BatchRow.objects.filter(
        batch=batch, status=Row.RELEASED, job__status=Job.Status.QUEUED
    ).select_related("job"):
        if cancel(row.job):
            count += 1
    batch.refresh_from_db()
    _finish_if_done(batch)
    batch.refresh_from_db()
    return count


@dataclass
class Progress:
    total: int
    invalid: int
    waiting: int
    queued: int
    running: int
    completed: int
    failed: int
    cancelled: int
    attention: int
    credits: int

    @property
    def finished(self) -> int:
        return self.completed + self.failed + self.cancelled

    @property
    def percent(self) -> int:
        return round(100 * self.finished / self.total) if self.total else 100


def progress(batch: Batch) -> Progress:
    rows = BatchRow.objects.filter(batch=batch).exclude(status=Row.INVALID)
    job_counts = dict(
        rows.filter(status=Row.RELEASED)
        .values_list("job__status")
        .annotate(n=Count("pk"))
        .values_list("job__status", "n")
    )
    counts = dict(rows.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    return Progress(
        total=sum(counts.values()),
        invalid=BatchRow.objects.filter(batch=batch, status=Row.INVALID).count(),
        waiting=counts.get(Row.WAITING, 0) + counts.get(Row.READY, 0),
        queued=job_counts.get(Job.Status.QUEUED, 0),
        running=job_counts.get(Job.Status.SUBMITTING, 0) + job_counts.get(Job.Status.RUNNING, 0),
        completed=job_counts.get(Job.Status.COMPLETED, 0),
        failed=job_counts.get(Job.Status.FAILED, 0),
        cancelled=counts.get(Row.CANCELLED, 0) + job_counts.get(Job.Status.CANCELLED, 0),
        attention=job_counts.get(Job.Status.NEEDS_ATTENTION, 0),
        credits=rows.aggregate(total=Sum("credits"))["total"] or 0,
    )


def row_status(row: BatchRow) -> str:
    if row.status == Row.RELEASED and row.job is not None:
        return row.job.status
    return row.status


def is_live(batch: Batch) -> bool:
    """Whether the page should keep polling: rows waiting or jobs not finished."""
    if batch.status == Batch.Status.RUNNING:
        return True
    return BatchRow.objects.filter(
        batch=batch, status=Row.RELEASED, job__status__in=ACTIVE
    ).exists()
