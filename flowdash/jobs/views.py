"""Studio, job cards with live progress, the job page and the Jobs list.

Views never call the API: a POST saves a queued Job (``queue.create_job``) and the worker does
the rest. Needs-attention decisions and retries go through the pipeline's services.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from flowdash.accounts.models import FlowAccount
from flowdash.assets.models import Asset
from flowdash.gallery.models import Media
from flowdash.jobs import queue
from flowdash.jobs.forms import (
    auto_image_model,
    parse_pk,
    ref_token,
    video_generation_seconds,
)
from flowdash.jobs.models import ACTIVE, Job
from flowdash.jobs.services import expected_seconds
from flowdash.lib.params import safe_next as safe_local_next
from flowdash.team.roles import CREATOR, role_required

PAGE_SIZE = 25
# Rough figures for kinds the studio does not make (post-production), in seconds.
ASSET_UPLOAD_SECONDS = 3
STATUS_BADGES = {
    Job.Status.QUEUED: "badge-info",
    Job.Status.SUBMITTING: "badge-info",
    Job.Status.RUNNING: "badge-info",
    Job.Status.COMPLETED: "badge-ok",
    Job.Status.FAILED: "badge-danger",
    Job.Status.CANCELLED: "",
    Job.Status.NEEDS_ATTENTION: "badge-warn",
}


# --- job cards ---------------------------------------------------------------------------------


def estimate_seconds(job: Job, accounts: list[FlowAccount] | None = None) -> int:
    """The documented (or the account's own) generation time for this job."""
    params = job.params or {}
    if job.kind in (Job.Kind.VIDEO, Job.Kind.EXTEND):
        return video_generation_seconds(
            params.get("model"), job.account or job.requested_account, accounts
        )
    if job.kind == Job.Kind.ASSET_UPLOAD:
        return ASSET_UPLOAD_SECONDS
    return int(expected_seconds(job))  # the catalog's figure for the model or operation


def can_manage(user, job: Job) -> bool:
    return job.manageable_by(user)


def decorate(job: Job, user, accounts: list[FlowAccount] | None = None) -> Job:
    """Attach what the job card shows: progress, words, results, whether it keeps polling."""
    now = timezone.now()
    job.results = list(job.media.all()) if job.pk else []
    job.downloading = any(m.download_status == Media.Download.PENDING for m in job.results)
    job.polling = job.status in ACTIVE or (job.status == Job.Status.COMPLETED and job.downloading)
    job.estimate = estimate_seconds(job, accounts)
    start = job.submitted_at or job.created_at
    job.elapsed_seconds = max(0, int(((job.finished_at or now) - start).total_seconds()))
    if job.status == Job.Status.COMPLETED:
        job.progress = 100
    elif job.status == Job.Status.QUEUED:
        job.progress = 2
    elif job.status in (Job.Status.SUBMITTING, Job.Status.RUNNING):
        job.progress = min(95, 5 + int(90 * job.elapsed_seconds / max(job.estimate, 1)))
    else:
        job.progress = 0
    job.overdue = job.status in ACTIVE and job.elapsed_seconds > job.estimate
    job.remaining = max(0, job.estimate - job.elapsed_seconds)
    job.status_badge = STATUS_BADGES.get(job.status, "")
    # Back in the queue after a 429/503 that did not reach the service: say when it tries again.
    job.retrying = job.is_retrying
    if job.retrying:
        job.retry_in = (
            max(0, int((job.next_check_at - now).total_seconds())) if job.next_check_at else 0
        )
    job.manageable = can_manage(user, job)
    params = job.params or {}
    job.model_shown = params.get("model") or (
        f"auto → {auto_image_model(len(params.get('references') or []))}"
        if job.kind == Job.Kind.IMAGE
        else ""
    )
    job.on_account = (
        job.account_email
        or (job.account.email if job.account else "")
        or (f"{job.requested_account.email} (asked)" if job.requested_account else "")
    )
    job.studio_kind = job.kind in (Job.Kind.IMAGE, Job.Kind.VIDEO)
    return job


def _job_queryset():
    return Job.objects.select_related(
        "account", "requested_account", "requested_by"
    ).prefetch_related("media")


def _card_response(request, job: Job):
    response = render(request, "jobs/detail.html#job-card", {"job": decorate(job, request.user)})
    if not job.polling:
        response.status_code = 286  # htmx: stop polling (the card also renders without a trigger)
    return response


@require_GET
def detail_view(request, pk: int):
    polled = bool(request.htmx) and (request.htmx.target or "").startswith("job-card")
    job = _job_queryset().filter(pk=pk).first()
    if job is None:
        if polled:  # the job was deleted: the card goes and the polling stops
            return HttpResponse("", status=286)
        raise Http404("No such job.")
    if polled:
        return _card_response(request, job)
    decorate(job, request.user)
    context = {
        "job": job,
        "attempts": job.attempts.all(),
        "retries": Job.objects.filter(retry_of=job).order_by("created_at"),
        "params_rows": _params_rows(job),
    }
    return render(request, "jobs/detail.html", context)


def _ref_chip(ref) -> dict | None:
    """A picked image as the job page shows it: a thumbnail linking to the file."""
    token = ref_token(ref)
    if not token:
        return None
    kind, _, number = token.partition(":")
    pk = int(number)
    if kind == "asset":
        exists = Asset.objects.filter(pk=pk).exists()
        return {
            "token": token,
            "label": f"asset {pk}",
            "exists": exists,
            "thumb": reverse("assets:thumbnail", args=[pk]) if exists else "",
            "href": reverse("assets:file", args=[pk]) if exists else "",
        }
    exists = Media.objects.filter(pk=pk).exists()
    return {
        "token": token,
        "label": f"result {pk}",
        "exists": exists,
        "thumb": reverse("gallery:thumbnail", args=[pk]) if exists else "",
        "href": f"/gallery/{pk}/" if exists else "",
    }


def _params_rows(job: Job) -> list[dict]:
    """The job's parameters for people: values as text, picked images as thumbnails."""
    rows = []
    for name, value in (job.params or {}).items():
        row = {"name": name, "text": "", "refs": []}
        if name == "references" and isinstance(value, list):
            row["refs"] = [c for c in (_ref_chip(v) for v in value) if c]
            row["text"] = "" if row["refs"] else "none"
        elif name in ("start", "end", "asset") and value:
            chip = _ref_chip(value if isinstance(value, dict) else {"asset": value})
            row["refs"] = [chip] if chip else []
            row["text"] = "" if chip else str(value)
        elif value is None or value == "":
            row["text"] = "—"
        else:
            row["text"] = str(value)
        rows.append(row)
    return rows


def safe_next(request, prefix: str = "/") -> str:
    """The ``next`` form value when it is a path on this site starting with ``prefix`` (never a
    view name, another host or a scheme: ``lib.params.safe_next``), else ""."""
    nxt = safe_local_next(request, request.POST.get("next"), "")
    return nxt if nxt.startswith(prefix) else ""


def _redirect_back(request, job: Job):
    nxt = safe_next(request)
    if nxt:
        return HttpResponseRedirect(nxt)
    return redirect("jobs:detail", pk=job.pk)


def _managed_job(request, pk: int) -> Job:
    job = get_object_or_404(_job_queryset(), pk=pk)
    if not can_manage(request.user, job):
        raise PermissionDenied("Only an admin or the person who asked for the job can do this.")
    return job


def _after_action(request, job: Job):
    if request.htmx and (request.htmx.target or "").startswith("job-card"):
        job.refresh_from_db()
        return _card_response(request, job)
    return _redirect_back(request, job)


@require_POST
def cancel_view(request, pk: int):
    job = _managed_job(request, pk)
    if queue.cancel(job):
        messages.success(request, f"Job #{job.pk} cancelled before it was sent.")
    else:
        messages.error(
            request, f"Job #{job.pk} was already sent to the API; it can no longer be cancelled."
        )
    return _after_action(request, job)


@require_POST
def resubmit_view(request, pk: int):
    """Needs attention → "Submit again": a person accepts the risk of a second paid request.

    Only a POST carrying ``confirm=yes`` submits: the card's button sends it after htmx's own
    confirmation (``hx-confirm``; Cancel sends nothing), and without JavaScript the form comes
    here without it and gets a page that asks first."""
    job = _managed_job(request, pk)
    from flowdash.jobs import services

    if request.POST.get("confirm") != "yes":
        if request.htmx:  # the card's form always confirms first: never a silent resubmit
            return _after_action(request, job)
        decorate(job, request.user)
        return render(
            request, "jobs/confirm_resubmit.html", {"job": job, "next": safe_next(request)}
        )
    from flowdash.spending.budget import OverBudget

    try:
        resubmitted = services.resubmit(job, request.user)
    except OverBudget as exc:
        messages.error(request, f"Not submitted again: {exc}")
        return _after_action(request, job)
    if resubmitted:
        messages.success(request, f"Job #{job.pk} will be submitted again.")
    else:
        messages.error(request, f"Job #{job.pk} no longer needs a decision.")
    return _after_action(request, job)


@require_POST
def look_again_view(request, pk: int):
    """Needs attention → "Look it up again": free, it only reads (GET /jobs, the replyRef
    search, GET /jobs/{jobId}); no generation is sent."""
    job = _managed_job(request, pk)
    from flowdash.jobs import services

    if services.look_again(job, request.user):
        messages.success(request, f"Looking for job #{job.pk} on useapi.net again (free).")
    elif job.status == Job.Status.NEEDS_ATTENTION:
        messages.error(request, f"Job #{job.pk} has nothing to look up: it was never sent.")
    else:
        messages.error(request, f"Job #{job.pk} no longer needs a decision.")
    return _after_action(request, job)


@require_POST
def give_up_view(request, pk: int):
    job = _managed_job(request, pk)
    from flowdash.jobs import services

    if services.give_up(job, request.user):
        messages.success(request, f"Job #{job.pk} was given up; nothing more is sent for it.")
    else:
        messages.error(request, f"Job #{job.pk} no longer needs a decision.")
    return _after_action(request, job)


@role_required(CREATOR)
@require_POST
def retry_view(request, pk: int):
    """A new job with the same parameters (``retry_of`` set); the failed one keeps its record."""
    job = get_object_or_404(Job, pk=pk)
    from flowdash.jobs import services
    from flowdash.spending.budget import OverBudget

    try:
        new = services.retry(job, request.user)
    except OverBudget as exc:
        messages.error(request, f"Not retried: {exc}")
        return _after_action(request, job)
    messages.success(request, f"Retrying as job #{new.pk}.")
    nxt = safe_next(request, prefix=reverse("jobs:studio"))
    if nxt:
        return HttpResponseRedirect(nxt)
    return redirect("jobs:detail", pk=new.pk)


# --- the Jobs page -----------------------------------------------------------------------------


def _list_filters(request) -> dict:
    q = request.GET
    account, user = parse_pk(q.get("account")), q.get("user") or ""
    filters = {
        "status": q.get("status") if q.get("status") in Job.Status.values else "",
        "kind": q.get("kind") if q.get("kind") in Job.Kind.values else "",
        "account": str(account) if account is not None else "",
        "user": "me" if user == "me" else str(parse_pk(user) or ""),
    }
    return filters


@require_GET
def jobs_list_view(request):
    filters = _list_filters(request)
    user = filters["user"]
    jobs = (
        _job_queryset()
        .order_by("-created_at", "-pk")
        .filtered(
            status=filters["status"],
            kind=filters["kind"],
            account_id=int(filters["account"]) if filters["account"] else None,
            user_id=request.user.pk if user == "me" else int(user) if user else None,
        )
    )
    page = Paginator(jobs, PAGE_SIZE).get_page(request.GET.get("page"))
    accounts = list(FlowAccount.objects.present())
    rows = [decorate(job, request.user, accounts) for job in page]
    query = urlencode({k: v for k, v in filters.items() if v})
    context = {
        "page": page,
        "rows": rows,
        "filters": filters,
        "query": query,
        "any_active": any(job.status in ACTIVE for job in rows),
        "statuses": Job.Status.choices,
        "kinds": Job.Kind.choices,
        "accounts": FlowAccount.objects.all().order_by("email"),
        "users": get_user_model()
        .objects.filter(flow_jobs__isnull=False)
        .distinct()
        .order_by("username"),
        "filtered": any(filters.values()),
        "attention_count": Job.objects.filter(status=Job.Status.NEEDS_ATTENTION).count(),
        "total": page.paginator.count,
    }
    if request.htmx.target == "jobs-table":
        return render(request, "jobs/list.html#jobs-table", context)
    return render(request, "jobs/list.html", context)
