"""The studio: the image and video forms, their pickers, the cost line and the recent jobs column.

Like every view here it never calls the API: a valid POST saves a priced, queued Job and the
worker does the rest.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from flowdash.accounts.models import FlowAccount
from flowdash.assets.models import Asset
from flowdash.gallery.models import Media
from flowdash.jobs.cards import card_jobs, job_card
from flowdash.jobs.fields import (
    image_reference_limit,
    parse_pk,
    parse_ref,
    ref_token,
    resolve_ref,
    resolve_video_ref,
)
from flowdash.jobs.forms import ImageForm, VideoForm, auto_image_models
from flowdash.jobs.models import Job
from flowdash.lib.partials import render_page
from flowdash.team.roles import CREATOR, has_role
from flowdash.useapi import catalog

PICKER_SIZE = 24
RECENT_JOBS = 8


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
            "duration",
            "resolution",
            "start_frame",
            "end_frame",
            "captcha_retry",
            "captcha_order",
        )
    }
    source = params.get("source_video")
    if isinstance(source, dict):
        ref = parse_ref(ref_token(source))
        if ref and resolve_video_ref(ref):
            initial["source_video"] = ref_token(resolve_video_ref(ref))
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
    for name in ("model", "aspect_ratio", "duration", "resolution"):
        if name in initial and name not in form.fields:
            initial.pop(name)
        elif name in initial:
            choices = {str(v) for v, _ in form.fields[name].choices}
            if str(initial[name]) not in choices:
                initial.pop(name)


def _picker_items(assets, results, size) -> dict:
    """A picker's thumbnails: uploaded files first, then results; ``size(row)`` their caption."""
    items = [
        {
            "token": f"asset:{a.pk}",
            "thumb": reverse("assets:thumbnail", args=[a.pk]),
            "label": str(a),
            "group": "asset",
            "size": size(a),
        }
        for a in assets
    ] + [
        {
            "token": f"media:{m.pk}",
            "thumb": reverse("gallery:thumbnail", args=[m.pk]),
            "label": (m.prompt or str(m))[:80],
            "group": "result",
            "size": size(m),
        }
        for m in results
    ]
    return {"items": items, "assets_count": len(assets), "results_count": len(results)}


def _picker(selected: list[str]) -> dict:
    """Images to pick from: recent assets and image results, plus whatever is already picked."""
    assets = list(Asset.objects.newest_first().exclude(content_type=Asset.MP4)[:PICKER_SIZE])
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
    return _picker_items(
        assets, results, lambda row: f"{row.width}×{row.height}" if row.width else ""
    )


def _video_picker(selected: str) -> dict:
    """Videos to edit (V2V): uploaded MP4s and stored video results, plus the one picked."""
    assets = list(Asset.objects.newest_first().filter(content_type=Asset.MP4)[:PICKER_SIZE])
    results = list(
        Media.objects.stored()
        .newest_first()
        .filter(kind=Media.Kind.VIDEO, asset__isnull=True)[:PICKER_SIZE]
    )
    ref = parse_ref(selected) or {}
    if "asset" in ref and all(a.pk != ref["asset"] for a in assets):
        assets[:0] = list(Asset.objects.filter(pk=ref["asset"], content_type=Asset.MP4))
    if "media" in ref and all(m.pk != ref["media"] for m in results):
        results[:0] = list(Media.objects.filter(pk=ref["media"], kind=Media.Kind.VIDEO))
    return _picker_items(
        assets, results, lambda row: f"{row.duration_seconds:.1f} s" if row.duration_seconds else ""
    )


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
        "source_video": _selected(video_form, "source_video")[:1]
        if "source_video" in video_form.fields
        else [],
        "end": _selected(video_form, "end")[:1],
    }
    every = selected["image_refs"] + selected["video_refs"] + selected["start"] + selected["end"]
    accounts = list(FlowAccount.objects.present())
    recent = [
        job_card(job, request.user, accounts)
        for job in card_jobs()
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
        "video_picker": _video_picker(
            (_selected(video_form, "source_video") or [""])[0]
            if "source_video" in video_form.fields
            else ""
        ),
        "selected": selected,
        "recent_jobs": recent,
        "note": note,
        "retry_of": retry_of,
        "offers": video_form.offers,
        "usable_accounts": video_form.accounts,
        "unknown_offers": video_form.unknown_offers,
        "image_models": [
            (value, label, image_reference_limit(value or None, image_form.era))
            for value, label in image_form.fields["model"].choices
        ],
        "auto_models": " ".join(auto_image_models(image_form.era)),
        "era": video_form.era,
        "video_model_options": _video_model_options(video_form),
        "v2v_seconds": catalog.MAX_V2V_SECONDS,
    }


def _video_model_options(video_form) -> list[dict]:
    """The model <option>s with the catalog's figures as data attributes (studio.js reads
    them: durations per mode, resolutions, ratios, V2V, prices); a deprecated name kept for a
    remix carries its replacement's."""
    chosen = str(video_form["model"].value() or "")
    options = []
    for value, label in video_form.fields["model"].choices:
        offer = video_form.offer(value)
        options.append(
            {
                "value": value,
                "label": label,
                "limit": offer.reference_limit if offer else 0,
                "credits": offer.credits_json if offer else "{}",
                "attrs": sorted(offer.data.items()) if offer else [],
                "selected": value == chosen,
            }
        )
    return options


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
        prices: dict[str, dict[str, int | None]] = {"": {}}
        for account in video_form.accounts:
            table[str(account.pk)] = price(
                "video", {"model": offer.name, "count": 1}, account
            ).credits
            prices[str(account.pk)] = {}
        # By length, resolution and V2V too ("duration|resolution|v2v"), where they matter.
        durations = [None, *offer.all_durations]
        resolutions = [None, *offer.resolutions]
        edits = [False, True] if offer.takes_v2v else [False]
        accounts = {"": None, **{str(a.pk): a for a in video_form.accounts}}
        for key, account in accounts.items():
            for duration in durations:
                for resolution in resolutions:
                    for v2v in edits:
                        params = {
                            "model": offer.name,
                            "count": 1,
                            "duration": duration,
                            "resolution": resolution,
                            "mode": "v2v" if v2v else "text",
                        }
                        cell = f"{duration or ''}|{resolution or ''}|{int(v2v)}"
                        prices[key][cell] = price("video", params, account).credits
        offer.credits = table
        offer.credits_json = json.dumps(table)
        offer.prices_json = json.dumps(prices)


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
    prices = json.loads(getattr(offer, "prices_json", "{}") or "{}")
    fields = video_form.fields
    duration = video_form["duration"].value() if "duration" in fields else ""
    resolution = video_form["resolution"].value() if "resolution" in fields else ""
    v2v = int(video_form["mode"].value() == "v2v")
    cell = f"{duration or ''}|{resolution or ''}|{v2v}"
    table = prices.get(account) or prices.get("") or {}
    if cell in table:
        each = table[cell]
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

    if not has_role(request.user, CREATOR):
        # A read-only explanation with the way to the gallery, not a form that cannot be sent.
        return render(request, "jobs/studio_viewer.html")
    tab, image_initial, video_initial, note, retry_of = _prefill(request)
    image_form = ImageForm(initial=image_initial)
    video_form = VideoForm(initial=video_initial)
    _keep_known_choices(image_form, image_form.initial)
    _keep_known_choices(video_form, video_form.initial)
    context = _studio_context(request, tab, image_form, video_form, note, retry_of)
    return render_page(request, "jobs/studio.html", context, ("recent-jobs",))
