"""The Batch pages: new batch (paste, CSV, template) → preview → start → live progress."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Sum
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from flowdash.batches import parsing, services
from flowdash.batches.forms import BatchForm
from flowdash.batches.models import Batch, BatchRow
from flowdash.spending import budget
from flowdash.spending.budget import OverBudget
from flowdash.spending.exports import csv_response
from flowdash.team.roles import ADMIN, CREATOR, has_role

Row = BatchRow.Status
RECENT = 20
BAD_LISTED = 200  # bad rows named above the table (the table and the export have them all)
PAGE_SIZE = 100  # rows per page of the preview and of the live table (all rows are checked)


def _visible(request, pk: int) -> Batch:
    batch = get_object_or_404(Batch.objects.select_related("created_by"), pk=pk)
    if batch.created_by_id != request.user.pk and not has_role(request.user, ADMIN):
        raise Http404("No such batch.")
    return batch


def _managed(request, pk: int) -> Batch:
    batch = _visible(request, pk)
    if not has_role(request.user, CREATOR):
        raise PermissionDenied("Batches need the creator role.")
    return batch


@login_required
@require_http_methods(["GET", "POST"])
def batches_view(request):
    form = BatchForm()
    status = 200
    if request.method == "POST":
        if not has_role(request.user, CREATOR):
            raise PermissionDenied("Batches need the creator role.")
        form = BatchForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                raw, name, note = services.raw_rows(form.cleaned_data)
            except parsing.BatchInputError as exc:
                form.add_error(None, str(exc))
            else:
                batch = services.create_draft(
                    request.user,
                    form.cleaned_data["source"],
                    raw,
                    form.defaults(),
                    name=name,
                    note=note,
                )
                return redirect("batches:detail", pk=batch.pk)
        status = 400
    batches = Batch.objects.select_related("created_by")
    if not has_role(request.user, ADMIN):
        batches = batches.filter(created_by=request.user)
    context = {
        "form": form,
        "batches": batches[:RECENT],
        "can_create": has_role(request.user, CREATOR),
    }
    return render(request, "batches/index.html", context, status=status)


def _rows(batch: Batch):
    return (
        BatchRow.objects.filter(batch=batch)
        .select_related("job", "account")
        .prefetch_related("job__media")
        .order_by("number")
    )


def _shown(row: BatchRow) -> dict:
    """What the preview shows per column: the checked value, else what the source said."""
    params, cells = row.params or {}, row.cells or {}
    shown = {}
    for key in ("model", "aspect_ratio", "count", "seed"):
        value = params.get(key)
        shown[key] = cells.get(key, "") if value in (None, "") else value
    if row.account is not None:
        shown["account"] = row.account.address
    else:
        shown["account"] = cells.get("account") or "auto"
    shown["model"] = shown["model"] or "auto"
    return shown


def _detail_context(request, batch: Batch) -> dict:
    page = Paginator(_rows(batch), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    for row in rows:
        row.shown_status = services.row_status(row)
        row.files = list(row.job.media.all()) if row.job_id else []
        row.shown = _shown(row)
    context = {
        "batch": batch,
        "rows": rows,
        "page": page,
        "progress": services.progress(batch),
        "live": services.is_live(batch),
        "can_manage": has_role(request.user, CREATOR),
    }
    if batch.status == Batch.Status.DRAFT:
        valid = BatchRow.objects.filter(batch=batch, status=Row.READY)
        total = valid.aggregate(total=Sum("credits"))["total"] or 0
        context.update(
            valid_count=valid.count(),
            bad=BatchRow.objects.filter(batch=batch, status=Row.INVALID).order_by("number")[
                :BAD_LISTED
            ],
            bad_count=BatchRow.objects.filter(batch=batch, status=Row.INVALID).count(),
            total=total,
            unknown_prices=valid.filter(credits__isnull=True).count(),
            refusal=budget.refusal(batch.created_by, total),
            left=budget.left_today(batch.created_by),
        )
    return context


@login_required
@require_GET
def detail_view(request, pk: int):
    batch = _visible(request, pk)
    context = _detail_context(request, batch)
    if request.htmx.target == "batch-live":
        return render(request, "batches/detail.html#batch-live", context)
    return render(request, "batches/detail.html", context)


@login_required
@require_POST
def start_view(request, pk: int):
    batch = _managed(request, pk)
    if request.POST.get("confirm") != "yes":
        messages.error(request, "Confirm to start the batch.")
        return redirect("batches:detail", pk=batch.pk)
    try:
        count = services.start(batch)
    except OverBudget as exc:
        messages.error(request, f"Not started: {exc}")
        return redirect("batches:detail", pk=batch.pk)
    if count:
        messages.success(request, f"Batch started: {count} rows.")
    else:
        messages.info(request, "This batch was already started, or has no valid row.")
    return redirect("batches:detail", pk=batch.pk)


@login_required
@require_POST
def retry_view(request, pk: int):
    batch = _managed(request, pk)
    try:
        count = services.retry_failed(batch)
    except OverBudget as exc:
        messages.error(request, f"Not retried: {exc}")
        return redirect("batches:detail", pk=batch.pk)
    messages.success(request, f"{count} failed rows queued again." if count else "No failed row.")
    return redirect("batches:detail", pk=batch.pk)


@login_required
@require_POST
def cancel_view(request, pk: int):
    batch = _managed(request, pk)
    count = services.cancel_unsent(batch)
    messages.success(request, f"{count} rows not sent yet were cancelled.")
    return redirect("batches:detail", pk=batch.pk)


@login_required
@require_GET
def export_view(request, pk: int):
    batch = _visible(request, pk)
    header = ["row", "status", "job", "job page", "files", "seed", "prompt", "credits", "error"]

    def lines():
        for row in _rows(batch):
            job = row.job
            files = [
                request.build_absolute_uri(reverse("gallery:file", args=[m.pk]))
                for m in (job.media.all() if job else [])
            ]
            seeds = sorted({m.seed for m in (job.media.all() if job else []) if m.seed is not None})
            seed = " ".join(str(s) for s in seeds) or (row.params or {}).get("seed") or ""
            error = row.error or (job.error_message if job else "")
            yield [
                row.number,
                services.row_status(row),
                job.pk if job else "",
                request.build_absolute_uri(reverse("jobs:detail", args=[job.pk])) if job else "",
                " ".join(files),
                seed,
                row.cells.get("prompt", ""),
                "" if row.credits is None else row.credits,
                error,
            ]

    return csv_response(f"flowdash-batch-{batch.pk}.csv", header, lines())
