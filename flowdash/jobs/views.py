"""Job cards with live progress, the job page, people's decisions on a job, and the Jobs list
(the studio is :mod:`flowdash.jobs.studio`).

Views never call the API: a POST saves a queued Job (``queue.create_job``) and the worker does
the rest. Needs-attention decisions and retries go through :mod:`flowdash.jobs.decisions`.
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
from django.views.decorators.http import require_GET, require_POST

from flowdash.accounts.models import FlowAccount
from flowdash.assets.models import Asset
from flowdash.gallery.models import Media
from flowdash.jobs import decisions, queue
from flowdash.jobs.cards import card_jobs, job_card
from flowdash.jobs.fields import parse_pk, ref_token
from flowdash.jobs.models import ACTIVE, Job
from flowdash.lib.params import safe_next as safe_local_next
from flowdash.lib.partials import render_page
from flowdash.team.roles import CREATOR, role_required

PAGE_SIZE = 25


# --- job cards ---------------------------------------------------------------------------------


def _card_response(request, job: Job):
    card = job_card(job, request.user)
    response = render(request, "jobs/detail.html#job-card", {"job": card})
    if not card.polling:
        response.status_code = 286  # htmx: stop polling (the card also renders without a trigger)
    return response


@require_GET
def detail_view(request, pk: int):
    polled = bool(request.htmx) and (request.htmx.target or "").startswith("job-card")
    job = card_jobs().filter(pk=pk).first()
    if job is None:
        if polled:  # the job was deleted: the card goes and the polling stops
            return HttpResponse("", status=286)
        raise Http404("No such job.")
    if polled:
        return _card_response(request, job)
    context = {
        "job": job_card(job, request.user),
        "attempts": job.attempts.all(),
        "retries": Job.objects.filter(retry_of=job).order_by("created_at"),
        "params_rows": _params_rows(job),
    }
    return render(request, "jobs/detail.html", context)


# A reference's kind → its model, its name on the chip, and its thumbnail's and link's URL names.
_REF_CHIP_KINDS = {
    "asset": (Asset, "asset", "assets:thumbnail", "assets:file"),
    "media": (Media, "result", "gallery:thumbnail", "gallery:detail"),
}


def _ref_chip(ref) -> dict | None:
    """A picked image as the job page shows it: a thumbnail linking to the file."""
    token = ref_token(ref)
    if not token:
        return None
    kind, _, number = token.partition(":")
    pk = int(number)
    model, noun, thumb, href = _REF_CHIP_KINDS["asset" if kind == "asset" else "media"]
    exists = model.objects.filter(pk=pk).exists()
    return {
        "token": token,
        "label": f"{noun} {pk}",
        "exists": exists,
        "thumb": reverse(thumb, args=[pk]) if exists else "",
        "href": reverse(href, args=[pk]) if exists else "",
    }


def _trim(seconds) -> str:
    try:
        return f"{float(seconds or 0):g} s"
    except (TypeError, ValueError):
        return "0 s"


def _clip_chips(clips: list) -> list[dict]:
    """A join's clips in their order, as thumbnails with their trims (not a raw dict)."""
    chips = []
    for number, clip in enumerate(clips, start=1):
        if not isinstance(clip, dict):
            continue
        chip = _ref_chip({"media": clip.get("media")})
        if chip is None:
            continue
        trims = f"trim {_trim(clip.get('trim_start'))} / {_trim(clip.get('trim_end'))}"
        chip["label"] = f"{number}. {chip['label']} · {trims}"
        chips.append(chip)
    return chips


def _params_rows(job: Job) -> list[dict]:
    """The job's parameters for people: values as text, picked images as thumbnails."""
    rows = []
    for name, value in (job.params or {}).items():
        row = {"name": name, "text": "", "refs": []}
        if name == "references" and isinstance(value, list):
            row["refs"] = [c for c in (_ref_chip(v) for v in value) if c]
            row["text"] = "" if row["refs"] else "none"
        elif name in ("start", "end", "asset", "source_video") and value:
            chip = _ref_chip(value if isinstance(value, dict) else {"asset": value})
            row["refs"] = [chip] if chip else []
            row["text"] = "" if chip else str(value)
        elif name == "clips" and isinstance(value, list):
            row["refs"] = _clip_chips(value)
            row["text"] = "" if row["refs"] else "none"
        elif name == "captcha_token" and value:
            row["text"] = "given (a one-time token, not shown)"
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
    job = get_object_or_404(card_jobs(), pk=pk)
    if not job.manageable_by(request.user):
        raise PermissionDenied("Only an admin or the person who asked for the job can do this.")
    return job


def _after_action(request, job: Job):
    if request.htmx and (request.htmx.target or "").startswith("job-card"):
        job.refresh_from_db()
        return _card_response(request, job)
    return _redirect_back(request, job)


def _answer(request, job: Job, done: bool, success: str, refused: str = ""):
    """Say how a person's action on ``job`` went (``refused`` by default: the job no longer
    needs a decision), then show the card or the page it came from."""
    if done:
        messages.success(request, success)
    else:
        messages.error(request, refused or f"Job #{job.pk} no longer needs a decision.")
    return _after_action(request, job)


@require_POST
def cancel_view(request, pk: int):
    job = _managed_job(request, pk)
    return _answer(
        request,
        job,
        queue.cancel(job),
        f"Job #{job.pk} cancelled before it was sent.",
        f"Job #{job.pk} was already sent to the API; it can no longer be cancelled.",
    )


@require_POST
def resubmit_view(request, pk: int):
    """Needs attention → "Submit again": a person accepts the risk of a second paid request.

    Only a POST carrying ``confirm=yes`` submits: the card's button sends it after htmx's own
    confirmation (``hx-confirm``; Cancel sends nothing), and without JavaScript the form comes
    here without it and gets a page that asks first."""
    job = _managed_job(request, pk)

    if request.POST.get("confirm") != "yes":
        if request.htmx:  # the card's form always confirms first: never a silent resubmit
            return _after_action(request, job)
        return render(
            request,
            "jobs/confirm_resubmit.html",
            {"job": job_card(job, request.user), "next": safe_next(request)},
        )
    from flowdash.spending.budget import OverBudget

    try:
        resubmitted = decisions.resubmit(job, request.user)
    except OverBudget as exc:
        messages.error(request, f"Not submitted again: {exc}")
        return _after_action(request, job)
    return _answer(request, job, resubmitted, f"Job #{job.pk} will be submitted again.")


@require_POST
def look_again_view(request, pk: int):
    """Needs attention → "Look it up again": free, it only reads (GET /jobs, the replyRef
    search, GET /jobs/{jobId}); no generation is sent."""
    job = _managed_job(request, pk)
    looking = decisions.look_again(job, request.user)
    never_sent = not looking and job.status == Job.Status.NEEDS_ATTENTION
    return _answer(
        request,
        job,
        looking,
        f"Looking for job #{job.pk} on useapi.net again (free).",
        f"Job #{job.pk} has nothing to look up: it was never sent." if never_sent else "",
    )


@require_POST
def give_up_view(request, pk: int):
    job = _managed_job(request, pk)
    return _answer(
        request,
        job,
        decisions.give_up(job, request.user),
        f"Job #{job.pk} was given up; nothing more is sent for it.",
    )


@role_required(CREATOR)
@require_POST
def retry_view(request, pk: int):
    """A new job with the same parameters (``retry_of`` set); the failed one keeps its record."""
    job = get_object_or_404(Job, pk=pk)
    from flowdash.spending.budget import OverBudget

    try:
        new = decisions.retry(job, request.user)
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
        card_jobs()
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
    rows = [job_card(job, request.user, accounts) for job in page]
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
    return render_page(request, "jobs/list.html", context, ("jobs-table",))
