"""Studio, job cards with live progress, the job page and the Jobs list.

Views never call the API: a POST saves a queued Job (``queue.create_job``) and the worker does
the rest. Needs-attention decisions and retries go through the pipeline's services.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from flowdash.accounts.models import FlowAccount
from flowdash.assets.models import Asset
from flowdash.gallery.models import Media
from flowdash.jobs import decisions, queue
from flowdash.jobs.cards import JobCard, job_card
from flowdash.jobs.forms import (
    ImageForm,
    VideoForm,
    image_reference_limit,
    parse_pk,
    parse_ref,
    ref_token,
    resolve_ref,
)
from flowdash.jobs.models import ACTIVE, Job
from flowdash.lib.params import safe_next as safe_local_next
from flowdash.team.roles import CREATOR, has_role, role_required

PAGE_SIZE = 25
PICKER_SIZE = 24
RECENT_JOBS = 8


# --- job cards ---------------------------------------------------------------------------------


def decorate(job: Job, user, accounts: list[FlowAccount] | None = None) -> JobCard:
    """The job's card (``cards.job_card``), under the name the studio's views call."""
    return job_card(job, user, accounts)


def _job_queryset():
    return Job.objects.select_related(
        "account", "requested_account", "requested_by"
    ).prefetch_related("media")


def _card_response(request, job: Job):
    card = job_card(job, request.user)
    response = render(request, "jobs/detail.html#job-card", {"job": card})
    if not card.polling:
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
    context = {
        "job": job_card(job, request.user),
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
        "href": reverse("gallery:detail", args=[pk]) if exists else "",
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
    if not job.manageable_by(request.user):
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

    if decisions.look_again(job, request.user):
        messages.success(request, f"Looking for job #{job.pk} on useapi.net again (free).")
    elif job.status == Job.Status.NEEDS_ATTENTION:
        messages.error(request, f"Job #{job.pk} has nothing to look up: it was never sent.")
    else:
        messages.error(request, f"Job #{job.pk} no longer needs a decision.")
    return _after_action(request, job)


@require_POST
def give_up_view(request, pk: int):
    job = _managed_job(request, pk)

    if decisions.give_up(job, request.user):
        messages.success(request, f"Job #{job.pk} was given up; nothing more is sent for it.")
    else:
        messages.error(request, f"Job #{job.pk} no longer needs a decision.")
    return _after_action(request, job)


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


# --- studio ------------------------------------------------------------------------------------


def _normal_aspect(value: str | None) -> str:
    text = (value or "").lower()
    for prefix in ("image_aspect_ratio_", "video_aspect_ratio_"):
        text = text.removeprefix(prefix)
    return text


def _tokens(values) -> list[str]:
    out = []
    for value in values:
        ref = parse_ref(value)
        resolved = resolve_ref(ref) if ref else None
        if resolved:
            token = ref_token(resolved)
            if token not in out:
                out.append(token)
    return out


def _initial_from_job(job: Job) -> dict:
    params = dict(job.params or {})
    initial = {
        k: params.get(k)
        for k in (
            "prompt",
            "model",
            "aspect_ratio",
            "count",
            "seed",
            "mode",
            "captcha_retry",
            "captcha_order",
        )
    }
    initial["references"] = _tokens(ref_token(r) for r in params.get("references") or [])
    initial["start"] = (_tokens([ref_token(params.get("start"))]) or [""])[0]
    initial["end"] = (_tokens([ref_token(params.get("end"))]) or [""])[0]
    if (
        job.requested_account_id
        and FlowAccount.objects.usable().filter(pk=job.requested_account_id).exists()
    ):
        initial["account"] = job.requested_account_id
    return {k: v for k, v in initial.items() if v not in (None, "", [])}


def _prefill(request) -> tuple[str, dict, dict, str, int | None]:
    """(tab, image initial, video initial, a note saying where the values came from, the
    failed job being edited and retried)."""
    q = request.GET
    tab = q.get("tab") if q.get("tab") in ("image", "video") else "image"
    image, video, note, retry_of = {}, {}, "", None
    remix = parse_pk(q.get("remix"))
    if remix is not None:
        job = Job.objects.filter(pk=remix).first()
        if job and job.kind in (Job.Kind.IMAGE, Job.Kind.VIDEO):
            tab = job.kind
            (image if tab == "image" else video).update(_initial_from_job(job))
            note = "" if q.get("queued") else f"Filled in from job #{job.pk}."
            if job.status == Job.Status.FAILED and not q.get("queued"):
                retry_of = job.pk
                note = f"Editing failed job #{job.pk}: the new job will be recorded as its retry."
    from_media = parse_pk(q.get("from_media"))
    if from_media is not None:
        media = Media.objects.select_related("job").filter(pk=from_media).first()
        if media is not None and media.asset_id:
            image["references"] = [f"asset:{media.asset_id}"]  # an upload: use it as a reference
            note = f"{media} is one of your uploads: it is picked as a reference."
        elif media is not None:
            tab = "video" if media.kind == Media.Kind.VIDEO else "image"
            target = image if tab == "image" else video
            if media.job and media.job.kind == tab:
                target.update(_initial_from_job(media.job))  # its references, mode, frames…
            values = {
                "prompt": media.prompt,
                "seed": media.seed,  # this very result's seed
                "aspect_ratio": _normal_aspect(media.aspect_ratio),
            }
            if media.model and not target.get("model"):
                values["model"] = media.model  # kept only if it is one of the form's choices
            target.update({k: v for k, v in values.items() if v not in (None, "")})
            note = f"Filled in from {media}."
    refs = _tokens(q.getlist("reference"))
    if refs:
        if tab == "video":
            video.update(references=refs, mode="references")
        else:
            image["references"] = refs
    start = _tokens(q.getlist("start"))
    if start:
        tab = "video"
        video.update(start=start[0], mode="frames")
        end = _tokens(q.getlist("end"))
        if end:
            video["end"] = end[0]
    return tab, image, video, note, retry_of


def _keep_known_choices(form, initial: dict) -> None:
    for name in ("model", "aspect_ratio"):
        if name in initial:
            choices = {str(v) for v, _ in form.fields[name].choices}
            if str(initial[name]) not in choices:
                initial.pop(name)


def _picker(selected: list[str]) -> dict:
    """Images to pick from: recent assets and image results, plus whatever is already picked."""
    assets = list(Asset.objects.newest_first()[:PICKER_SIZE])
    results = list(
        Media.objects.stored()
        .newest_first()
        .filter(kind=Media.Kind.IMAGE, asset__isnull=True)[:PICKER_SIZE]
    )
    have = {f"asset:{a.pk}" for a in assets} | {f"media:{m.pk}" for m in results}
    for token in selected:
        if token in have:
            continue
        ref = parse_ref(token) or {}
        if "asset" in ref:
            asset = Asset.objects.filter(pk=ref["asset"]).first()
            if asset:
                assets.insert(0, asset)
        elif "media" in ref:
            media = Media.objects.filter(pk=ref["media"]).first()
            if media:
                results.insert(0, media)
    items = [
        {
            "token": f"asset:{a.pk}",
            "thumb": reverse("assets:thumbnail", args=[a.pk]),
            "label": str(a),
            "group": "asset",
            "size": f"{a.width}×{a.height}",
        }
        for a in assets
    ] + [
        {
            "token": f"media:{m.pk}",
            "thumb": reverse("gallery:thumbnail", args=[m.pk]),
            "label": (m.prompt or str(m))[:80],
            "group": "result",
            "size": f"{m.width}×{m.height}" if m.width else "",
        }
        for m in results
    ]
    return {"items": items, "assets_count": len(assets), "results_count": len(results)}


def _selected(form, name: str) -> list[str]:
    value = form[name].value()
    if value in (None, ""):
        return []
    values = value if isinstance(value, list | tuple) else [value]
    return [str(v) for v in values if v]


def _studio_context(
    request,
    tab: str,
    image_form: ImageForm,
    video_form: VideoForm,
    note: str = "",
    retry_of: int | None = None,
) -> dict:
    selected = {
        "image_refs": _selected(image_form, "references"),
        "video_refs": _selected(video_form, "references"),
        "start": _selected(video_form, "start")[:1],
        "end": _selected(video_form, "end")[:1],
    }
    every = selected["image_refs"] + selected["video_refs"] + selected["start"] + selected["end"]
    accounts = list(FlowAccount.objects.present())
    recent = [
        decorate(job, request.user, accounts)
        for job in _job_queryset()
        .filter(requested_by=request.user, kind__in=[Job.Kind.IMAGE, Job.Kind.VIDEO])
        .order_by("-created_at")[:RECENT_JOBS]
    ]
    _price_offers(video_form)
    return {
        "credits_left": _credits_left(request.user),
        "video_cost": _cost_words(video_form),
        "tab": tab,
        "image_form": image_form,
        "video_form": video_form,
        "picker": _picker([t for t in every if t]),
        "selected": selected,
        "recent_jobs": recent,
        "note": note,
        "retry_of": retry_of,
        "offers": video_form.offers,
        "usable_accounts": video_form.accounts,
        "image_models": [
            (value, label, image_reference_limit(value))
            for value, label in image_form.fields["model"].choices
        ],
    }


def _create_from_form(request, form) -> Job | None:
    """The job of a valid studio form, priced and recorded with it (flowdash.spending's
    ``create_priced_job``: the ONE budget check under the person's lock, the charge in the same
    transaction); None with the refusal on the form when the limit was reached meanwhile."""
    from flowdash.spending.budget import OverBudget
    from flowdash.spending.services import create_priced_job

    retry_of = None
    if parse_pk(request.POST.get("retry_of")) is not None:
        retry_of = Job.objects.filter(pk=parse_pk(request.POST["retry_of"])).first()
    try:
        return create_priced_job(
            form.kind,
            form.cleaned_params(),
            user=request.user,
            requested_account=form.cleaned_data.get("account"),
            retry_of=retry_of,  # "Edit and retry" keeps the chain
        )
    except OverBudget as exc:
        form.add_error(None, str(exc))
        return None


def _price_offers(video_form) -> None:
    """Each offered video model's credits per generation — "" for Auto, else per account id —
    from flowdash.spending's pricing (the catalog + the account's creditCost), for the cost
    line studio.js keeps up to date (``data-credits`` on each model option)."""
    from flowdash.spending.pricing import price

    for offer in video_form.offers:
        table = {"": price("video", {"model": offer.name, "count": 1}).credits}
        for account in video_form.accounts:
            table[str(account.pk)] = price(
                "video", {"model": offer.name, "count": 1}, account
            ).credits
        offer.credits = table
        offer.credits_json = json.dumps(table)


def _credits_left(user) -> int | None:
    from flowdash.spending.budget import left_today

    return left_today(user) if getattr(user, "pk", None) else None


def _cost_words(video_form) -> str:
    """The cost line as the page first shows it (the chosen model, count and account)."""
    name = video_form["model"].value() or ""
    offer = next((o for o in video_form.offers if o.name == name), None)
    if offer is None and video_form.offers:
        offer = video_form.offers[0]
    if offer is None:
        return ""
    account = str(video_form["account"].value() or "")
    each = offer.credits.get(account, offer.credits[""])
    count = parse_pk(video_form["count"].value()) or 1
    if each is None:
        return "The credit cost of this model is not known."
    return cost_sentence(each * count)


def cost_sentence(credits: int) -> str:
    return f"This will spend {credits} credits." if credits else "This will spend no credits."


@require_http_methods(["GET", "POST"])
def studio_view(request):
    if request.method == "POST":
        if not has_role(request.user, CREATOR):
            raise PermissionDenied("Generating needs the creator role.")
        tab = "video" if request.POST.get("tab") == "video" else "image"
        image_form = ImageForm(request.POST if tab == "image" else None, user=request.user)
        video_form = VideoForm(request.POST if tab == "video" else None, user=request.user)
        form = image_form if tab == "image" else video_form
        job = _create_from_form(request, form) if form.is_valid() else None
        if job is not None:
            messages.success(request, f"{job.get_kind_display()} job #{job.pk} queued.")
            # The form stays filled in for another go; the new card follows the job.
            query = urlencode({"remix": job.pk, "queued": 1})
            return redirect(f"{reverse('jobs:studio')}?{query}#job-card-{job.pk}")
        context = _studio_context(
            request, tab, image_form, video_form, retry_of=parse_pk(request.POST.get("retry_of"))
        )
        return render(request, "jobs/studio.html", context, status=400)

    tab, image_initial, video_initial, note, retry_of = _prefill(request)
    image_form = ImageForm(initial=image_initial)
    video_form = VideoForm(initial=video_initial)
    _keep_known_choices(image_form, image_form.initial)
    _keep_known_choices(video_form, video_form.initial)
    context = _studio_context(request, tab, image_form, video_form, note, retry_of)
    if request.htmx.target == "recent-jobs":
        return render(request, "jobs/studio.html#recent-jobs", context)
    return render(request, "jobs/studio.html", context)


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
    if request.htmx.target == "jobs-table":
        return render(request, "jobs/list.html#jobs-table", context)
    return render(request, "jobs/list.html", context)
