"""/api/v1/jobs: the studio's and post-production's forms and the jobs' own services, keyed.

Every body goes through the very form the page uses (same checks, same words); an accepted
one becomes a job through ``spending.services.create_priced_job`` (the person's daily credit
limit checked, the price recorded), exactly as on the pages.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import QueryDict
from django.shortcuts import get_object_or_404
from ninja import Path, Query, Router, Status

from flowdash.api.auth import require
from flowdash.api.errors import ApiError, form_error
from flowdash.api.schemas import (
    MAX_ID,
    ConcatenateIn,
    ErrorOut,
    ExtendIn,
    GifIn,
    ImageJobIn,
    ImageUpscaleIn,
    JobOut,
    JobPage,
    VideoJobIn,
    VideoUpscaleIn,
    job_out,
)
from flowdash.gallery.models import Media
from flowdash.jobs import decisions, queue
from flowdash.jobs.forms import ImageForm, VideoForm
from flowdash.jobs.models import Job
from flowdash.postprod import services as postprod
from flowdash.postprod.forms import (
    ExtendForm,
    GifForm,
    ImageUpscaleForm,
    SceneForm,
    VideoUpscaleForm,
)
from flowdash.spending.services import create_priced_job

router = Router(tags=["jobs"])

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 429: ErrorOut}


def form_data(values: dict) -> QueryDict:
    """A JSON body as the page would post it (lists as repeated values, None left out)."""
    data = QueryDict(mutable=True)
    for name, value in values.items():
        if value is None:
            continue
        if isinstance(value, list):
            data.setlist(name, [str(v) for v in value])
        else:
            data[name] = str(value)
    return data


def _jobs():
    return Job.objects.select_related("account", "requested_by").prefetch_related("media")


def _created(job: Job) -> Status:
    return Status(201, job_out(_jobs().get(pk=job.pk)))


# --- creating ----------------------------------------------------------------------------------


def _generation(request, form_class, body) -> Status:
    require(request, "generate")
    form = form_class(form_data(body.model_dump()))
    if not form.is_valid():
        raise form_error(form)
    job = create_priced_job(
        form.kind,
        form.cleaned_params(),
        user=request.user,
        requested_account=form.cleaned_data.get("account"),
    )
    return _created(job)


@router.post("/image", response={201: JobOut, **ERRORS}, summary="Make images")
def create_image(request, body: ImageJobIn):
    return _generation(request, ImageForm, body)


@router.post("/video", response={201: JobOut, **ERRORS}, summary="Make a video")
def create_video(request, body: VideoJobIn):
    return _generation(request, VideoForm, body)


def _source(request, media_id: int, kind: str = "", wrong_kind: str = "") -> Media:
    """The media a post-production job starts from, for a caller who may make jobs; with
    ``kind``, a media of another kind is refused in the words ``wrong_kind``."""
    require(request, "generate")
    media = get_object_or_404(Media.objects.select_related("account", "job"), pk=media_id)
    if kind and media.kind != kind:
        raise ApiError(400, "invalid", wrong_kind, "media")
    return media


def _postprod(request, form, kind: str, media: Media) -> Status:
    if not form.is_valid():
        raise form_error(form)
    job = create_priced_job(
        kind,
        form.job_params(),
        user=request.user,
        requested_account=media.account,
        source_media=media,
    )
    return _created(job)


@router.post("/image-upscale", response={201: JobOut, **ERRORS}, summary="Upscale an image")
def create_image_upscale(request, body: ImageUpscaleIn):
    media = _source(
        request, body.media, Media.Kind.IMAGE, "This is not an image; use video-upscale."
    )
    form = ImageUpscaleForm(media, form_data({"resolution": body.resolution}))
    return _postprod(request, form, Job.Kind.IMAGE_UPSCALE, media)


@router.post("/video-upscale", response={201: JobOut, **ERRORS}, summary="Upscale a video")
def create_video_upscale(request, body: VideoUpscaleIn):
    media = _source(
        request, body.media, Media.Kind.VIDEO, "This is not a video; use image-upscale."
    )
    form = VideoUpscaleForm(media, form_data({"resolution": body.resolution}))
    if form.is_valid():
        resolution = form.job_params()["resolution"]
        earlier = postprod.existing_upscale(media, resolution)
        if earlier is not None:
            raise ApiError(
                409,
                "already_upscaled",
                f"This video was already upscaled to {resolution}: media {earlier.pk} is the "
                "copy we keep. No API call was made.",
                media=earlier.pk,
            )
        running = postprod.running_job(media, Job.Kind.VIDEO_UPSCALE, resolution=resolution)
        if running is not None:
            raise ApiError(
                409,
                "already_running",
                f"A {resolution} upscale of this video is already under way (job {running.pk}).",
                job=running.pk,
            )
    return _postprod(request, form, Job.Kind.VIDEO_UPSCALE, media)


@router.post("/extend", response={201: JobOut, **ERRORS}, summary="Extend a video")
def create_extend(request, body: ExtendIn):
    media = _source(request, body.media)
    values = body.model_dump(exclude={"media"})
    form = ExtendForm(media, form_data(values))
    return _postprod(request, form, Job.Kind.EXTEND, media)


@router.post("/gif", response={201: JobOut, **ERRORS}, summary="Make a GIF of a video")
def create_gif(request, body: GifIn):
    media = _source(request, body.media)
    return _postprod(request, GifForm(media, form_data({})), Job.Kind.GIF, media)


@router.post("/concatenate", response={201: JobOut, **ERRORS}, summary="Join videos")
def create_concatenate(request, body: ConcatenateIn):
    require(request, "generate")
    data = QueryDict(mutable=True)
    data.setlist("clip", [str(c.media) for c in body.clips])
    for position, clip in enumerate(body.clips, start=1):
        data[f"position_{clip.media}"] = str(position)
        if clip.trim_start is not None:
            data[f"trim_start_{clip.media}"] = repr(clip.trim_start)
        data[f"trim_end_{clip.media}"] = repr(clip.trim_end)
    form = SceneForm([], data)
    if not form.is_valid():
        problems = form.errors + [e for c in form.chosen for e in (c.errors or [])]
        raise ApiError(400, "invalid", problems[0] if problems else "The clips were refused.")
    job = create_priced_job(
        Job.Kind.CONCATENATE, form.job_params(), user=request.user, requested_account=form.account
    )
    return _created(job)


# --- reading -----------------------------------------------------------------------------------


@router.get("", response={200: JobPage, **ERRORS}, summary="List jobs (the Jobs page's filters)")
def list_jobs(
    request,
    status: Job.Status | None = None,
    kind: Job.Kind | None = None,
    account: int | None = Query(None, ge=1, le=MAX_ID),
    user: str | None = Query(None, description="'me' or a user id", max_length=20),
    page: int = Query(1, ge=1, le=1_000_000),
    per_page: int = Query(25, ge=1, le=100),
):
    require(request, "read")
    user_id = None
    if user == "me":
        user_id = request.user.pk
    elif user:
        try:
            user_id = int(user)
        except ValueError:
            raise ApiError(400, "invalid", "user: 'me' or a user id.", "user") from None
        if not 1 <= user_id <= MAX_ID:
            raise ApiError(400, "invalid", "user: 'me' or a user id.", "user")
    jobs = (
        _jobs()
        .order_by("-created_at", "-pk")
        .filtered(status=status or "", kind=kind or "", account_id=account, user_id=user_id)
    )
    paginator = Paginator(jobs, per_page)
    current = paginator.get_page(page)
    return {
        "items": [job_out(j) for j in current],
        "page": current.number,
        "pages": paginator.num_pages,
        "total": paginator.count,
    }


def _job(job_id: int) -> Job:
    return get_object_or_404(_jobs(), pk=job_id)


@router.get("/{job_id}", response={200: JobOut, **ERRORS}, summary="One job")
def get_job(request, job_id: int = Path(..., ge=1, le=MAX_ID)):
    require(request, "read")
    return job_out(_job(job_id))


# --- people's decisions ------------------------------------------------------------------------


def _managed(request, job_id: int) -> Job:
    require(request, "generate")
    job = _job(job_id)
    if not job.manageable_by(request.user):
        raise ApiError(
            403, "forbidden", "Only an admin or the person who asked for the job can do this."
        )
    return job


@router.post("/{job_id}/cancel", response={200: JobOut, **ERRORS}, summary="Cancel a queued job")
def cancel_job(request, job_id: int = Path(..., ge=1, le=MAX_ID)):
    job = _managed(request, job_id)
    if not queue.cancel(job):
        raise ApiError(
            409,
            "already_sent",
            f"Job #{job.pk} was already sent to the API; it can no longer be cancelled.",
        )
    return job_out(_job(job_id))


@router.post(
    "/{job_id}/resubmit",
    response={200: JobOut, **ERRORS},
    summary="Needs attention → submit again (a second paid request)",
)
def resubmit_job(request, job_id: int = Path(..., ge=1, le=MAX_ID)):
    job = _managed(request, job_id)
    if not decisions.resubmit(job, request.user):
        raise ApiError(409, "no_decision", f"Job #{job.pk} no longer needs a decision.")
    return job_out(_job(job_id))


@router.post(
    "/{job_id}/give-up", response={200: JobOut, **ERRORS}, summary="Needs attention → give up"
)
def give_up_job(request, job_id: int = Path(..., ge=1, le=MAX_ID)):
    job = _managed(request, job_id)
    if not decisions.give_up(job, request.user):
        raise ApiError(409, "no_decision", f"Job #{job.pk} no longer needs a decision.")
    return job_out(_job(job_id))
