"""Pages of post-production: actions on one media item, the scene builder, lineage.

Views never call the API: an accepted form becomes a job (queue.create_job) and the browser goes
to the job's page; a refused one is shown again with the reason.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from flowdash.gallery.models import Media
from flowdash.jobs import queue
from flowdash.jobs.models import Kind
from flowdash.lib.params import parse_id, parse_ids
from flowdash.postprod import services
from flowdash.postprod.forms import (
    ExtendForm,
    GifForm,
    ImageUpscaleForm,
    SceneForm,
    VideoUpscaleForm,
)
from flowdash.team.roles import CREATOR, role_required

SCENE_LIMIT = 60


def _media(pk: int) -> Media:
    return get_object_or_404(Media.objects.select_related("account", "job"), pk=pk)


def _upscale_form(media: Media, data=None):
    form_class = ImageUpscaleForm if media.kind == Media.Kind.IMAGE else VideoUpscaleForm
    return form_class(media, data, prefix="upscale")


def _actions_context(media: Media, **bound) -> dict:
    context = {
        "media": media,
        "upscale_form": bound.get("upscale_form") or _upscale_form(media),
        "extend_form": bound.get("extend_form") or ExtendForm(media, prefix="extend"),
        "gif_form": bound.get("gif_form") or GifForm(media, prefix="gif"),
        "status": services.action_summary(media),
        "media_page": media.get_absolute_url(),
    }
    return context


@role_required(CREATOR)
@require_GET
def actions_view(request, pk: int):
    media = _media(pk)
    return render(request, "postprod/actions.html", _actions_context(media))


def _to_job(request, job, what: str):
    messages.success(request, f"{what} is queued as job {job.pk}.")
    return redirect(services.job_page_url(job))


@role_required(CREATOR)
@require_POST
def upscale_view(request, pk: int):
    media = _media(pk)
    form = _upscale_form(media, request.POST)
    if not form.is_valid():
        context = _actions_context(media, upscale_form=form)
        return render(request, "postprod/actions.html", context, status=400)
    params = form.job_params()
    if media.kind == Media.Kind.VIDEO:
        resolution = params["resolution"]
        earlier = services.existing_upscale(media, resolution)
        if earlier is not None:
            messages.info(
                request,
                f"This video was already upscaled to {resolution}: here is the copy we keep. "
                "No API call was made.",
            )
            return redirect(earlier)
        running = services.running_job(media, Kind.VIDEO_UPSCALE, resolution=resolution)
        if running is not None:
            messages.info(
                request,
                f"A {resolution} upscale of this video is already under way (job {running.pk}).",
            )
            return redirect(services.job_page_url(running))
        kind = Kind.VIDEO_UPSCALE
    else:
        kind = Kind.IMAGE_UPSCALE
    job = queue.create_job(
        kind,
        params,
        user=request.user,
        requested_account=media.account,
        source_media=media,
    )
    return _to_job(request, job, f"The {params['resolution']} upscale")


@role_required(CREATOR)
@require_http_methods(["GET", "POST"])
def extend_view(request, pk: int):
    media = _media(pk)
    if request.method == "GET":
        return redirect(f"{reverse('postprod:actions', args=[pk])}#extend")
    form = ExtendForm(media, request.POST, prefix="extend")
    if not form.is_valid():
        context = _actions_context(media, extend_form=form)
        return render(request, "postprod/actions.html", context, status=400)
    job = queue.create_job(
        Kind.EXTEND,
        form.job_params(),
        user=request.user,
        requested_account=media.account,
        source_media=media,
    )
    return _to_job(request, job, "The extension")


@role_required(CREATOR)
@require_POST
def gif_view(request, pk: int):
    media = _media(pk)
    form = GifForm(media, request.POST, prefix="gif")
    if not form.is_valid():
        context = _actions_context(media, gif_form=form)
        return render(request, "postprod/actions.html", context, status=400)
    job = queue.create_job(
        Kind.GIF, {}, user=request.user, requested_account=media.account, source_media=media
    )
    return _to_job(request, job, "The GIF")


# --- scene builder -----------------------------------------------------------------------------


def _scene_filters(request) -> tuple[int | None, str, str]:
    source = request.POST if request.method == "POST" else request.GET
    account_id = parse_id(source.get("account"))
    aspect = (source.get("aspect") or "").strip().lower()[:40]
    query = (source.get("q") or "").strip()[:200]
    return account_id, aspect, query


@role_required(CREATOR)
@require_http_methods(["GET", "POST"])
def scene_view(request):
    account_id, aspect, query = _scene_filters(request)
    candidates, truncated = services.candidate_videos(
        account_id, aspect or None, query, limit=SCENE_LIMIT
    )
    if request.method == "POST":
        form = SceneForm(candidates, request.POST)
        if form.is_valid():
            job = queue.create_job(
                Kind.CONCATENATE,
                form.job_params(),
                user=request.user,
                requested_account=form.account,
            )
            return _to_job(request, job, f"Joining {len(form.chosen)} videos")
        status = 400
    else:
        # Clips sent from elsewhere (the gallery) are shown ticked even when older than the page.
        preselected = set(parse_ids(request.GET.getlist("clip")))
        shown = {m.pk for m in candidates}
        older = services.scene_videos().select_related("account").filter(pk__in=preselected - shown)
        form = SceneForm(candidates + list(older.newest_first()))
        for clip in form.clips:
            clip.included = clip.media.pk in preselected
        status = 200
    accounts, aspects = services.scene_menus()
    context = {
        "form": form,
        "accounts": accounts,
        "aspects": aspects,
        "account_id": account_id,
        "aspect": aspect,
        "query": query,
        "truncated": truncated,
        "limit": SCENE_LIMIT,
        "max_trim": services.MAX_TRIM,
    }
    return render(request, "postprod/scene.html", context, status=status)


# --- lineage -----------------------------------------------------------------------------------


@require_GET
def lineage_view(request, pk: int):
    media = _media(pk)
    back = services.ancestors(media)
    forward = services.descendants(media)
    context = {
        "media": media,
        "back": back,
        "forward": forward,
        "origins": services.roots(back),
        "media_page": media.get_absolute_url(),
    }
    return render(request, "postprod/lineage.html", context)
