"""The simulated Google Flow API v1 endpoints (paths relative to ``/v1/google-flow``)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from . import eras, media
from .accounts import (
    UPSCALE_4K_COST,
    Account,
    CookieError,
    email_from_cookies,
    iso,
    parse_cookie_table,
    tier_from_cookies,
)
from .captcha import CaptchaError
from .faults import SERVICE_KINDS, Fault
from .jobs import Job, image_success_body, job_record, video_success_body
from .service import (
    Ctx,
    Service,
    fault_answer,
    moderated_error,
    not_found_account,
    quota_error,
    throttled_error,
)
from .state import JOB_ID_RE, SimState
from .store import MediaRecord
from .web import (
    ApiError,
    Response,
    bad_request,
    get_bool,
    get_choice,
    get_int,
    get_number,
    get_str,
)

log = logging.getLogger(__name__)

# 2026-12: nano-banana-pro and nano-banana-2 images can be upscaled [3P May 2026].
UPSCALABLE_IMAGES = ("nano-banana-pro", "nano-banana-2")
MAX_ACCOUNTS = 50
SYNC_LIMIT = 600.0  # the service's polling limit for sync video calls (10 min)
STATUS_SERVICE_KINDS = SERVICE_KINDS - {"no_eligible_account", "captcha_rejected"}
REF_SLOT = re.compile(r"^(reference|referenceImage)_(\d+)$")


@dataclass
class VideoInputs:
    """What a POST /videos body asks for, checked against the era's models."""

    model: str
    spec: eras.VideoModel
    aspect: str  # what the media maker draws
    aspect_value: str  # as sent
    slots: list[tuple[int, str, Any]]
    start_id: str | None
    end_id: str | None
    video_id: str | None = None
    duration: int | None = None
    resolution: str = "720p"
    first_frame: int | None = None
    last_frame: int | None = None

    def frame_window(self, source: MediaRecord | None) -> tuple[int, int]:
        """(startFrameIndex_1, endFrameIndex_1) of a V2V edit, with the documented defaults:
        0 and min(round(duration × 24), 240)."""
        if source is None:
            return 0, 0
        first = self.first_frame or 0
        frames = round((source.duration or media.VIDEO_SECONDS) * media.FPS)
        last = self.last_frame if self.last_frame is not None else min(frames, 240)
        if last <= first:
            raise bad_request("endFrameIndex_1 must be greater than startFrameIndex_1", code=True)
        if last > frames:
            raise bad_request(
                f"endFrameIndex_1 {last} is past the end of referenceVideo_1 ({frames} frames)",
                code=True,
            )
        return first, last


def _sync_failure(svc: Service, ctx: Ctx, job: Job) -> ApiError:
    code = job.code or 500
    message = None if job.google is not None else job.error
    return ApiError(code, svc.error_body(ctx, job, code, google=job.google, message=message))


class FlowApi:
    def __init__(self, state: SimState) -> None:
        self.state = state
        self.svc = Service(state)

    # ------------------------------------------------------------------ helpers
    def _reply(self, body: dict[str, Any]) -> tuple[str | None, str | None]:
        url = get_str(body, "replyUrl", max_len=1024)
        if url is not None and not re.match(r"^https?://[^\s/]+", url):
            raise bad_request("replyUrl must be an http(s) URL", code=True)
        ref = get_str(body, "replyRef", max_len=1024)
        return url, ref

    def _seeds(self, seed: int | None, count: int) -> list[int]:
        if seed is not None:
            return [seed + i for i in range(count)]
        return [self.state.rng.randint(0, 2**31 - 1) for _ in range(count)]

    def _status_fault(self, ctx: Ctx, account: Account) -> tuple[Fault | None, Fault | None]:
        """(service fault, captcha fault) of this request."""
        fault = ctx.take(STATUS_SERVICE_KINDS | {"captcha_rejected"}, account.email)
        if fault is not None and fault.kind == "captcha_rejected":
            return None, fault
        return fault, None

    def _new_record(self, job: Job, kind: str, **fields: Any) -> MediaRecord:
        st = self.state
        now = st.now()
        record = MediaRecord(
            media_id=st.store.new_media_id(kind, job.email, st.user_id),
            kind=kind,
            email=job.email,
            file_id=st.store.new_file_id(),
            ext="jpg" if kind == "image" else "mp4",
            created=now,
            expires=now + st.settings.url_lifetime,
            **fields,
        )
        return st.store.add(record)

    def _finish(self, job: Job, make: Callable[[Job], None]) -> None:
        """Scheduler callback at the end of a job's work."""
        if job.final:
            return
        late = job.extra.get("late_fault")
        if late is not None:
            status, google, message, _, _ = fault_answer(self.state, late)
            self.svc.fail(job, status, google=google, message=message)
            return
        try:
            make(job)
        except Exception:  # never leave a job (and a waiting request) hanging
            log.exception("finishing %s failed", job.job_id)
            self.svc.fail(job, 500, google=moderated_error())
            return
        self.svc.complete(job)

    def _run_video_job(
        self, ctx: Ctx, job: Job, nominal: float, make: Callable[[Job], None], is_async: bool
    ) -> Response:
        st = self.state
        start_delay = st.sim_seconds(st.nominal("video_start"))
        st.scheduler.call_later(start_delay, lambda: self.svc.set_started(job))
        st.scheduler.call_later(
            start_delay + st.sim_seconds(nominal), lambda: self._finish(job, make)
        )
        if is_async:
            return Response.json(201, job_record(st, job, ctx.base))
        self.svc.wait_job(ctx, job, SYNC_LIMIT)
        if job.status == "failed":
            raise _sync_failure(self.svc, ctx, job)
        return Response.json(200, video_success_body(st, job, ctx.base))

    def _charge(self, ctx: Ctx, job: Job, account: Account, cost: int) -> None:
        st = self.state
        with st.lock:
            if cost > account.credits:
                raise self.svc.reject(
                    ctx,
                    job,
                    402,
                    message=f"Not enough Google Flow credits: {account.credits} remaining, "
                    f"{cost} required",
                )
            account.credits -= cost
            job.credits_spent = cost
            job.remaining_credits = account.credits

    def _video_plan(
        self, ctx: Ctx, job: Job, account: Account, model: str, count: int, each: int | None
    ) -> None:
        """Plan checks of video generation/extension: paid plan, model, credits."""
        if not account.is_paid:
            raise self.svc.reject(
                ctx,
                job,
                402,
                message=f"A paid Google AI plan is required for videos ({account.paygate})",
            )
        spec = account.video_model(model, self.state.era)
        if spec is None:
            raise self.svc.reject(
                ctx,
                job,
                400,
                message=f"{model} requires a Google AI Ultra plan (PAYGATE_TIER_TWO)",
            )
        _, cost = spec
        self._charge(ctx, job, account, ((cost or 0) if each is None else each) * count)

    def _video_concurrency(self, ctx: Ctx, job: Job, account: Account) -> None:
        limit = self.state.video_limit(account)
        if limit is not None and self.state.load.executing("videos", account.email) > limit:
            raise self.svc.reject(ctx, job, 429, google=throttled_error())

    # ------------------------------------------------------------------ accounts
    def _open_job(
        self,
        ctx: Ctx,
        account: Account,
        plan,
        *,
        kind: str,
        echo: dict[str, Any],
        category: str,
        reply: tuple[str | None, str | None] = (None, None),
        seed: int | None = None,
        seeds: Iterable[int] = (),
        extra: dict[str, Any] | None = None,
    ) -> Job:
        """The start every paid request shares: the request echo (with its seed and reply
        fields), the job record (``extra`` kept on it), the session check, injected faults and
        captcha solving."""
        reply_url, reply_ref = reply
        if seed is not None:
            echo["seed"] = seed
        if reply_url:
            echo["replyUrl"] = reply_url
        if reply_ref:
            echo["replyRef"] = reply_ref
        job = self.svc.start_job(
            ctx,
            kind=kind,
            account=account,
            request=echo,
            category=category,
            reply_url=reply_url,
            reply_ref=reply_ref,
            seeds=seeds,
        )
        job.extra.update(extra or {})
        self.svc.check_session(ctx, job, account)
        fault, captcha_fault = self._status_fault(ctx, account)
        self.svc.solve_captcha(ctx, job, plan, captcha_fault)
        if fault is not None:
            raise self.svc.fault_error(ctx, job, fault)
        return job

    def _source(
        self, ctx: Ctx, body: dict[str, Any], kind: str, category: str, *, code: bool = False
    ) -> tuple[str, MediaRecord, Account]:
        """The ``mediaGenerationId`` a post-production request names, its record, and the
        account that holds it (entered for faults and load)."""
        media_id = get_str(body, "mediaGenerationId")
        if media_id is None:
            raise bad_request("mediaGenerationId is required", code=code)
        source = self.svc.media(media_id, "mediaGenerationId", kind)
        account = self.svc.route(ctx, None, [("mediaGenerationId", source)], category)
        ctx.enter(account.email)
        return media_id, source, account

    def _unpaid_checks(self, ctx: Ctx, account: Account) -> None:
        """The session and injected faults of a request that makes no job of its own."""
        self.svc.check_session(ctx, None, account)
        fault = ctx.take(STATUS_SERVICE_KINDS | {"captcha_rejected"}, account.email)
        if fault is not None:
            raise self.svc.fault_error(ctx, None, fault)

    def list_accounts(self, ctx: Ctx) -> Response:
        st = self.state
        return Response.json(200, {st.mask(a.email): a.summary() for a in st.account_list()})

    def add_account(self, ctx: Ctx) -> Response:
        st = self.state
        body = ctx.req.form()
        cookies = body.get("cookies")
        if cookies is None or (isinstance(cookies, str) and not cookies.strip()):
            raise bad_request("cookies is required")
        if not isinstance(cookies, str):
            raise bad_request("Failed to validate cookies: 401 Unauthorized")
        try:
            rows = parse_cookie_table(cookies)
        except CookieError as exc:
            raise bad_request("Failed to validate cookies: 401 Unauthorized") from exc
        email = email_from_cookies(rows)
        if st.account(email) is None and len(st.account_list()) >= MAX_ACCOUNTS:
            raise bad_request(f"Maximum of {MAX_ACCOUNTS} Google Flow accounts reached")
        account, created = st.add_account(
            email,
            tier_from_cookies(rows) or "pro",
            cookies=[r for r in rows if r["name"] != "SIM_TIER"],
        )
        return Response.json(201 if created else 200, account.config(st.mask(account.email)))

    def get_account(self, ctx: Ctx, email: str) -> Response:
        account = self.state.account(email)
        if account is None:
            raise not_found_account(email)
        return Response.json(200, account.detail(self.state.mask(account.email), self.state.era))

    def delete_account(self, ctx: Ctx, email: str) -> Response:
        if not self.state.remove_account(email):
            raise not_found_account(email)
        return Response.json(200, {"message": f"Google Flow account {email} deleted"})

    def get_captcha_providers(self, ctx: Ctx) -> Response:
        return Response.json(200, self.state.captcha.masked())

    def set_captcha_providers(self, ctx: Ctx) -> Response:
        try:
            self.state.captcha.set_keys(ctx.req.form())
        except CaptchaError as exc:
            raise bad_request(str(exc)) from exc
        return Response.json(200, self.state.captcha.masked())

    def captcha_stats(self, ctx: Ctx) -> Response:
        try:
            body = self.state.captcha.stats(ctx.req.query, self.state.now())
        except CaptchaError as exc:
            raise bad_request(str(exc)) from exc
        return Response.json(200, body)

    # ------------------------------------------------------------------ assets
    def upload_asset(self, ctx: Ctx, email: str | None = None) -> Response:
        st = self.state
        svc = self.svc
        req = ctx.req
        ctype = req.content_type.split(";")[0].strip().lower()
        data = req.body
        size = req.body_size
        types = eras.ASSET_TYPES[st.era]
        if size == 0:
            raise bad_request("Request body is empty")
        if ctype not in types:
            raise bad_request(
                f"Unsupported Content-Type: {ctype or 'none'}. Supported: {', '.join(types)}"
            )
        limit, ext, kind = types[ctype]
        if size > limit:
            raise bad_request(f"File size ({size}) is over {limit} bytes")
        if not eras.content_matches(ctype, data):
            raise bad_request(f"File content does not match Content-Type {ctype}")
        duration = None
        try:
            if kind == "video":
                info = media.probe_video(data)
                width, height, duration = info.width, info.height, info.duration
                if info.frames == 0:
                    raise ValueError("no frames")
            else:
                width, height, _ = media.image_dimensions(data)
        except Exception as exc:  # PyAV and Pillow raise many kinds for a broken file
            raise bad_request(f"Invalid {kind} file") from exc
        account = svc.route(ctx, email, [], "images", reserve=False)
        ctx.enter(account.email)
        svc.check_session(ctx, None, account)
        fault = ctx.take(STATUS_SERVICE_KINDS | {"captcha_rejected"}, account.email)
        if fault is not None:
            raise svc.fault_error(ctx, None, fault)
        st.sleep_nominal(st.nominal("asset"))
        now = st.now()
        aspect = "portrait" if height > width else "landscape"
        record = MediaRecord(
            media_id=st.store.new_media_id(kind, account.email, st.user_id),
            kind=kind,
            email=account.email,
            file_id=st.store.new_file_id(),
            ext=ext,
            aspect=aspect,
            created=now,
            expires=now + st.settings.url_lifetime,
            origin="uploaded",
            recipe={"kind": "upload"},
            width=width,
            height=height,
            duration=duration or 0.0,
        )
        path = st.store.path(record)
        path.write_bytes(data)
        st.store.add(record)
        body: dict[str, Any] = {
            "mediaGenerationId": {"mediaGenerationId": record.media_id},
            "width": width,
            "height": height,
            "email": st.mask(account.email),
        }
        if duration is not None:
            body["durationSeconds"] = round(duration, 3)
        if st.new_forms:
            uploaded: dict[str, Any]
            if kind == "video":
                uploaded = {
                    "video": {
                        "userUploadedVideo": {
                            "aspectRatio": f"VIDEO_ASPECT_RATIO_{aspect.upper()}",
                            "durationSeconds": round(duration or 0.0, 3),
                        },
                        "dimensions": {"width": width, "height": height},
                    }
                }
            else:
                uploaded = {
                    "image": {
                        "userUploadedImage": {
                            "aspectRatio": f"IMAGE_ASPECT_RATIO_{aspect.upper()}",
                        },
                        "dimensions": {"width": width, "height": height},
                    }
                }
            body["media"] = {
                "name": record.media_id.rsplit(":", 1)[-1],
                "projectId": account.project_id,
                "workflowId": record.file_id,
                "workflowStepId": record.file_id[:16],
                "mediaMetadata": {
                    "createTime": iso(record.created),
                    "requestData": {"clientPlatform": "API"},
                    "visibility": "PRIVATE",
                },
                **uploaded,
            }
        return Response.json(200, body)

    # ------------------------------------------------------------------ images
    def images(self, ctx: Ctx) -> Response:
        st = self.state
        svc = self.svc
        body = ctx.req.form()
        prompt = get_str(body, "prompt", required=True)
        era = st.era
        models = eras.IMAGE_MODELS[era]
        aliases = eras.IMAGE_ALIASES[era]
        requested = get_choice(body, "model", [*models, *aliases], "")
        ratios = eras.IMAGE_ASPECTS[era]
        ratio = get_choice(body, "aspectRatio", ratios, "")
        count = get_int(body, "count", lo=1, hi=4) or 4
        seed = get_int(body, "seed", lo=0)
        reply_url, reply_ref = self._reply(body)
        plan = svc.captcha_plan(body)
        slots = []
        for key, value in body.items():
            match = REF_SLOT.match(key)
            if match and match.group(1) == "reference" and value not in (None, ""):
                if not 1 <= int(match.group(2)) <= 10:
                    raise bad_request("Use reference_1 to reference_10", code=True)
                slots.append((int(match.group(2)), key, value))
        slots.sort()
        model = aliases.get(requested, requested) or eras.auto_image_model(era, len(slots))
        spec = models[model]
        limit = spec.max_refs
        if len(slots) > limit:
            raise bad_request(
                f"{model} supports a maximum of {limit} reference images, got {len(slots)}",
                code=True,
            )
        if not ratio:
            with_refs = slots and model in ("nano-banana-2", "nano-banana-pro")
            ratio = "landscape" if era == eras.OLD else "auto" if with_refs else "16:9"
        if ratio == "auto" and not slots:
            raise bad_request(
                "aspectRatio auto requires at least one reference image (reference_1)", code=True
            )
        refs = [(key, svc.media(value, key, "image")) for _, key, value in slots]
        aspect = ratios[ratio] or refs[0][1].aspect
        if aspect not in media.IMAGE_SIZES:
            aspect = "landscape"
        account = svc.route(ctx, get_str(body, "email"), refs, "images")
        ctx.enter(account.email)
        masked = st.mask(account.email)
        echo: dict[str, Any] = {
            "email": masked,
            "prompt": prompt,
            "model": requested or model,
            "aspectRatio": ratio,
            "count": count,
        }
        for key, record in refs:
            echo[key] = {
                "email": masked,
                "id": record.media_id.rsplit(":", 1)[-1],
                "referenceId": record.media_id,
                "type": "image",
                "user": st.user_id,
            }
        ref_ids = [record.media_id for _, record in refs]
        job = self._open_job(
            ctx,
            account,
            plan,
            kind="image",
            echo=echo,
            category="images",
            reply=(reply_url, reply_ref),
            seed=seed,
            seeds=self._seeds(seed, count),
            extra={"refs": ref_ids},
        )
        if spec.ultra_only and not account.is_ultra:
            raise svc.reject(ctx, job, 429, google=quota_error())
        if st.load.executing("images", account.email) > st.image_limit(account):
            raise svc.reject(ctx, job, 429, google=throttled_error())
        model_name = "R2I" if model == "imagen-4" and refs else spec.name_type
        width, height = media.IMAGE_SIZES[aspect]

        def make(job: Job) -> None:
            for index, out in enumerate(job.outputs):
                out.media = self._new_record(
                    job,
                    "image",
                    aspect=aspect,
                    prompt=prompt,
                    seed=out.seed,
                    model=model,
                    model_name=model_name,
                    recipe={
                        "kind": "image",
                        "caption": f"{model} · {index + 1}/{count}",
                        "refs": ref_ids,
                    },
                    width=width,
                    height=height,
                )

        st.scheduler.call_later(
            st.sim_seconds(st.nominal("image")), lambda: self._finish(job, make)
        )
        svc.wait_job(ctx, job, SYNC_LIMIT)
        if job.status == "failed":
            raise _sync_failure(svc, ctx, job)
        return Response.json(200, image_success_body(st, job, ctx.base))

    def image_upscale(self, ctx: Ctx) -> Response:
        st = self.state
        svc = self.svc
        body = ctx.req.form()
        resolution = str(body.get("resolution") or "2k").lower()
        if resolution not in media.IMAGE_UPSCALE_FACTORS:
            raise bad_request(
                f"Invalid resolution: {body.get('resolution')}. Supported values: 2k, 4k"
            )
        plan = svc.captcha_plan(body)
        media_id, source, account = self._source(ctx, body, "image", "images")
        echo = {
            "email": st.mask(account.email),
            "mediaGenerationId": media_id,
            "resolution": resolution,
        }
        job = self._open_job(ctx, account, plan, kind="image_upscale", echo=echo, category="images")
        if resolution == "4k" and not account.is_paid:
            raise svc.reject(
                ctx,
                job,
                403,
                google={
                    "code": 403,
                    "message": "The caller does not have permission",
                    "status": "PERMISSION_DENIED",
                    "details": [
                        {
                            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                            "reason": "PUBLIC_ERROR_UNUSUAL_ACTIVITY",
                        }
                    ],
                },
            )
        upscalable = ("nano-banana-pro",) if st.era == eras.OLD else UPSCALABLE_IMAGES
        if source.model not in upscalable:
            raise svc.reject(
                ctx,
                job,
                429,
                google=quota_error("PUBLIC_ERROR_PER_MODEL_DAILY_QUOTA_REACHED_UPGRADEABLE"),
            )
        st.scheduler.call_later(
            st.sim_seconds(st.nominal("image_upscale")), lambda: self._finish(job, _nothing)
        )
        svc.wait_job(ctx, job, SYNC_LIMIT)
        if job.status == "failed":
            raise _sync_failure(svc, ctx, job)
        data = media.upscale_image(st.store.ensure(source), resolution)
        return Response.json(200, {"encodedImage": media.b64(data), "captcha": job.captcha})

    # ------------------------------------------------------------------ videos
    def _video_inputs(self, body: dict[str, Any]) -> VideoInputs:
        """Parse and check POST /videos inputs in the era spoken (documented 400s)."""
        era = self.state.era
        models = eras.VIDEO_MODELS[era]
        model = get_choice(body, "model", list(models), "veo-3.1-fast")
        spec = models[model]
        max_slot = 3 if era == eras.OLD else 7
        slots = []
        for key, value in body.items():
            match = REF_SLOT.match(key)
            if match and match.group(1) == "referenceImage" and value not in (None, ""):
                if not 1 <= int(match.group(2)) <= max_slot:
                    raise bad_request(
                        f"Use referenceImage_1 to referenceImage_{max_slot}", code=True
                    )
                slots.append((int(match.group(2)), key, value))
        slots.sort()
        start_id = get_str(body, "startImage")
        end_id = get_str(body, "endImage")
        video_id = get_str(body, "referenceVideo_1") if era == eras.NEW else None
        if end_id and not start_id:
            raise bad_request("endImage requires startImage", code=True)
        if (start_id or end_id) and slots:
            raise bad_request(
                "startImage/endImage cannot be combined with referenceImage_N", code=True
            )
        if era == eras.OLD:
            aspect = get_choice(body, "aspectRatio", spec.aspects, "landscape")
            if slots and model == "veo-3.1-quality":
                raise bad_request("referenceImage_N is not supported by veo-3.1-quality", code=True)
            if slots and aspect != "landscape":
                raise bad_request("referenceImage_N supports aspectRatio landscape only", code=True)
            return VideoInputs(model, spec, aspect, aspect, slots, start_id, end_id)
        aspect = get_choice(body, "aspectRatio", spec.aspects, "landscape")
        if video_id is not None:
            if spec.v2v_refs == 0:
                raise bad_request(
                    f"referenceVideo_1 requires model omni-flash, not {model}", code=True
                )
            if start_id or end_id:
                raise bad_request(
                    "referenceVideo_1 cannot be combined with startImage/endImage", code=True
                )
        limit = spec.v2v_refs if video_id is not None else spec.r2v_refs
        if slots and limit == 0:
            raise bad_request(f"referenceImage_N is not supported by {model}", code=True)
        if len(slots) > limit:
            what = "a V2V edit with " if video_id is not None else ""
            raise bad_request(
                f"{what}{model} supports a maximum of {limit} reference images, got {len(slots)}",
                code=True,
            )
        resolution = get_choice(body, "resolution", spec.resolutions, "720p")
        duration = get_int(body, "duration")
        if video_id is not None:
            if duration is not None:
                raise bad_request(
                    "duration is not accepted with referenceVideo_1: the edit's length is "
                    "its frame window (startFrameIndex_1, endFrameIndex_1)",
                    code=True,
                )
        else:
            offered = (8,) if slots and spec.family == "veo" else spec.durations
            if duration is None:
                duration = 8
            if duration not in offered:
                mode = "with referenceImage_N " if slots and spec.family == "veo" else ""
                raise bad_request(
                    f"duration {duration} is not supported by {model} {mode}(supported: "
                    f"{', '.join(str(d) for d in offered)})",
                    code=True,
                )
        first = get_int(body, "startFrameIndex_1", lo=0, hi=239)
        last = get_int(body, "endFrameIndex_1", lo=1, hi=240)
        if video_id is None and (first is not None or last is not None):
            raise bad_request(
                "startFrameIndex_1/endFrameIndex_1 require referenceVideo_1", code=True
            )
        return VideoInputs(
            model,
            spec,
            eras.VIDEO_ASPECTS[aspect],
            aspect,
            slots,
            start_id,
            end_id,
            video_id=video_id,
            duration=duration,
            resolution=resolution,
            first_frame=first,
            last_frame=last,
        )

    def videos(self, ctx: Ctx) -> Response:
        st = self.state
        svc = self.svc
        body = ctx.req.form()
        prompt = get_str(body, "prompt", required=True)
        inputs = self._video_inputs(body)
        model, aspect, slots = inputs.model, inputs.aspect, inputs.slots
        start_id, end_id = inputs.start_id, inputs.end_id
        count = get_int(body, "count", lo=1, hi=4) or 1
        seed = get_int(body, "seed", lo=0)
        is_async = get_bool(body, "async")
        reply_url, reply_ref = self._reply(body)
        plan = svc.captcha_plan(body)
        refs: list[tuple[str, MediaRecord]] = []
        if start_id:
            refs.append(("startImage", svc.media(start_id, "startImage", "image")))
        if end_id:
            refs.append(("endImage", svc.media(end_id, "endImage", "image")))
        refs += [(key, svc.media(value, key, "image")) for _, key, value in slots]
        source = None
        if inputs.video_id is not None:
            source = svc.media(inputs.video_id, "referenceVideo_1", "video")
            refs.append(("referenceVideo_1", source))
        first, last = inputs.frame_window(source)
        account = svc.route(ctx, get_str(body, "email"), refs, "videos", paid_only=True)
        ctx.enter(account.email)
        if inputs.spec.family == "omni":
            model_name = "omni_flash_1_1"
        elif slots:
            model_name = "veo_3_1_r2v"
        elif start_id and end_id:
            model_name = "veo_3_1_i2v_fl"
        elif start_id:
            model_name = "veo_3_1_i2v"
        else:
            model_name = "veo_3_1_t2v"
        echo: dict[str, Any] = {
            "async": is_async,
            "email": st.mask(account.email),
            "prompt": prompt,
        }
        echo.update({"model": model, "aspectRatio": inputs.aspect_value, "count": count})
        if st.era == eras.NEW:
            if inputs.duration is not None:
                echo["duration"] = inputs.duration
            echo["resolution"] = inputs.resolution
        for key, record in refs:
            echo[key] = record.media_id
        if source is not None:
            echo.update({"startFrameIndex_1": first, "endFrameIndex_1": last})
        cost = None
        if st.era == eras.NEW:
            cost = eras.video_price(
                inputs.spec,
                account.tier,
                inputs.duration or 8,
                inputs.resolution,
                source is not None,
            )
        job = self._start_video_job(
            ctx, "video", account, echo, model, count, seed, reply_url, reply_ref, plan, cost
        )
        ref_ids = [record.media_id for key, record in refs if key.startswith("referenceImage")]
        resolution = inputs.resolution
        seconds = inputs.duration or media.VIDEO_SECONDS

        def make(job: Job) -> None:
            for out in job.outputs:
                if source is not None:
                    recipe: dict[str, Any] = {
                        "kind": "edit",
                        "source": source.media_id,
                        "first": first,
                        "last": last,
                        "caption": f"{model} V2V: {prompt[:40]}",
                        "resolution": resolution,
                    }
                    width, height = media.video_size(source.aspect, resolution)
                    length = (last - first) / media.FPS
                else:
                    recipe = {
                        "kind": "video",
                        "caption": f"{model} · {model_name}",
                        "start": start_id,
                        "end": end_id,
                        "refs": ref_ids,
                        "seconds": seconds,
                        "resolution": resolution,
                    }
                    width, height = media.video_size(aspect, resolution)
                    length = float(seconds)
                out.media = self._new_record(
                    job,
                    "video",
                    aspect=aspect if source is None else source.aspect,
                    prompt=prompt,
                    seed=out.seed,
                    model=model,
                    model_name=model_name,
                    origin="edited" if source is not None else "generated",
                    recipe=recipe,
                    width=width,
                    height=height,
                    duration=length,
                    motion_seed=out.seed,
                    source=source.media_id if source is not None else None,
                )

        return self._run_video_job(ctx, job, st.video_nominal(model), make, is_async)

    def _start_video_job(
        self,
        ctx: Ctx,
        kind: str,
        account,
        echo: dict[str, Any],
        model: str,
        count: int,
        seed: int | None,
        reply_url: str | None,
        reply_ref: str | None,
        plan,
        cost: int | None = None,
    ) -> Job:
        """The paid part every video-making request shares: :meth:`_open_job`, then credits
        and concurrency. ``cost``
        is the credits of one video when they do not follow from the plan alone (omni)."""
        job = self._open_job(
            ctx,
            account,
            plan,
            kind=kind,
            echo=echo,
            category="videos",
            reply=(reply_url, reply_ref),
            seed=seed,
            seeds=self._seeds(seed, count),
        )
        self._video_plan(ctx, job, account, model, count, cost)
        self._video_concurrency(ctx, job, account)
        return job

    def extend(self, ctx: Ctx) -> Response:
        st = self.state
        svc = self.svc
        body = ctx.req.form()
        prompt = get_str(body, "prompt", required=True)
        extenders = [name for name, spec in eras.VIDEO_MODELS[st.era].items() if spec.extends]
        model = get_choice(body, "model", extenders, "veo-3.1-fast")
        count = get_int(body, "count", lo=1, hi=4) or 1
        seed = get_int(body, "seed", lo=0)
        is_async = get_bool(body, "async")
        reply_url, reply_ref = self._reply(body)
        plan = svc.captcha_plan(body)
        media_id, source, account = self._source(ctx, body, "video", "videos", code=True)
        if source.model_name.startswith("omni") or source.origin == "uploaded":
            raise bad_request("Only Veo videos can be extended", code=True)
        echo: dict[str, Any] = {"async": is_async, "email": st.mask(account.email)}
        echo.update(
            {"prompt": prompt, "mediaGenerationId": media_id, "model": model, "count": count}
        )
        job = self._start_video_job(
            ctx, "extend", account, echo, model, count, seed, reply_url, reply_ref, plan
        )
        t0 = source.t0 + (source.duration or media.VIDEO_SECONDS) - media.OVERLAP_SECONDS

        def make(job: Job) -> None:
            for out in job.outputs:
                out.media = self._new_record(
                    job,
                    "video",
                    aspect=source.aspect,
                    prompt=prompt,
                    seed=out.seed,
                    model=model,
                    model_name="veo_3_1_t2v",
                    origin="extended",
                    recipe={
                        "kind": "extend",
                        "source": source.media_id,
                        "caption": f"extend · {model}",
                    },
                    width=source.width,
                    height=source.height,
                    duration=float(media.VIDEO_SECONDS),
                    motion_seed=source.motion_seed,
                    t0=t0,
                    source=source.media_id,
                )

        return self._run_video_job(ctx, job, st.video_nominal(model), make, is_async)

    def video_upscale(self, ctx: Ctx) -> Response:
        st = self.state
        svc = self.svc
        body = ctx.req.form()
        raw_resolution = body.get("resolution") or "1080p"
        resolution = str(raw_resolution).lower()
        if resolution not in media.VIDEO_UPSCALE_FACTORS:
            raise bad_request(
                f"Invalid resolution: {raw_resolution}. Supported values: 1080p, 4K", code=True
            )
        is_async = get_bool(body, "async")
        reply_url, reply_ref = self._reply(body)
        plan = svc.captcha_plan(body)
        media_id, source, account = self._source(ctx, body, "video", "videos", code=True)
        echo: dict[str, Any] = {"async": is_async, "email": st.mask(account.email)}
        echo.update({"mediaGenerationId": media_id, "resolution": str(raw_resolution)})
        job = self._open_job(
            ctx,
            account,
            plan,
            kind="upscale",
            echo=echo,
            category="videos",
            reply=(reply_url, reply_ref),
            seeds=[source.seed],
        )
        if not account.is_paid:
            raise svc.reject(
                ctx,
                job,
                402,
                message=f"A paid Google AI plan is required for upscaling ({account.paygate})",
            )
        if resolution == "4k" and not account.is_ultra:
            raise svc.reject(
                ctx,
                job,
                400,
                message="4K upscaling requires a Google AI Ultra plan (PAYGATE_TIER_TWO)",
            )
        cached = st.store.get(st.upscale_cache(source.media_id, resolution) or "")
        cost = UPSCALE_4K_COST if resolution == "4k" and cached is None else 0
        self._charge(ctx, job, account, cost)
        factor = media.VIDEO_UPSCALE_FACTORS[resolution]
        label = "4k" if resolution == "4k" else "1080p"

        def make(job: Job) -> None:
            out = job.outputs[0]
            if cached is not None:
                out.media = cached
                out.raw_bytes = True
                return
            out.media = self._new_record(
                job,
                "video",
                aspect=source.aspect,
                prompt=source.prompt,
                seed=source.seed,
                model=source.model,
                model_name=f"veo_3_1_upsampler_{label}",
                origin="upscaled",
                recipe={"kind": "upscale", "source": source.media_id, "resolution": resolution},
                width=source.width * factor,
                height=source.height * factor,
                duration=source.duration or float(media.VIDEO_SECONDS),
                motion_seed=source.motion_seed,
                t0=source.t0,
                source=source.media_id,
            )
            st.remember_upscale(source.media_id, resolution, out.media.media_id)

        nominal = 5.0 if cached is not None else st.nominal(f"upscale_{label}")
        return self._run_video_job(ctx, job, nominal, make, is_async)

    def gif(self, ctx: Ctx) -> Response:
        st = self.state
        body = ctx.req.form()
        _, source, account = self._source(ctx, body, "video", "videos")
        self._unpaid_checks(ctx, account)
        st.sleep_nominal(st.nominal("gif"))
        data = media.make_gif(st.store.ensure(source))
        return Response.json(200, {"encodedGif": media.b64(data)})

    def concatenate(self, ctx: Ctx) -> Response:
        st = self.state
        svc = self.svc
        body = ctx.req.form(json_only=True)
        items = body.get("media")
        if items is None:
            raise bad_request("media is required", code=True)
        if not isinstance(items, list) or not 2 <= len(items) <= 10:
            raise bad_request("media must be an array of 2 to 10 videos", code=True)
        parts: list[tuple[MediaRecord, float, float]] = []
        for index, item in enumerate(items):
            if not isinstance(item, dict) or not item.get("mediaGenerationId"):
                raise bad_request(f"media[{index}].mediaGenerationId is required", code=True)
            start = get_number(item, "trimStart", lo=0, hi=8, label=f"media[{index}].trimStart")
            end = get_number(item, "trimEnd", lo=0, hi=8, label=f"media[{index}].trimEnd")
            record = svc.media(
                item["mediaGenerationId"], f"media[{index}].mediaGenerationId", "video"
            )
            if start + end >= (record.duration or media.VIDEO_SECONDS):
                raise bad_request(
                    f"media[{index}]: trimStart + trimEnd must be shorter than the video", code=True
                )
            parts.append((record, start, end))
        if len({record.email for record, _, _ in parts}) > 1:
            raise bad_request("All videos must belong to the same Google Flow account", code=True)
        if len({record.aspect for record, _, _ in parts}) > 1:
            raise bad_request("All videos must have the same aspect ratio", code=True)
        account = st.account(parts[0][0].email)
        if account is None:
            raise not_found_account(parts[0][0].email)
        ctx.enter(account.email)
        self._unpaid_checks(ctx, account)
        echo = {"email": st.mask(account.email), "media": items}
        job = svc.start_job(ctx, kind="concatenate", account=account, request=echo, category=None)
        job.extra["inputsCount"] = len(parts)
        st.sleep_nominal(st.nominal("concatenate"))
        late = job.extra.get("late_fault")
        if late is not None:
            status, google, message, _, _ = fault_answer(st, late)
            raise svc.reject(ctx, job, status, google=google, message=message)
        data, _ = media.concatenate_videos(
            [(st.store.ensure(record), start, end) for record, start, end in parts]
        )
        svc.complete(job)
        return Response.json(
            200,
            {
                "jobId": job.job_id,
                "status": "MEDIA_GENERATION_STATUS_SUCCESSFUL",
                "inputsCount": len(parts),
                "encodedVideo": media.b64(data),
            },
        )

    # ------------------------------------------------------------------ jobs
    def jobs(self, ctx: Ctx) -> Response:
        st = self.state
        option = ctx.req.query.get("options") or "summary"
        if option not in ("summary", "executing", "history"):
            raise bad_request("Invalid options parameter. Use: summary, executing, or history")
        accounts = st.account_list()
        body: dict[str, Any] = {"emails": [st.mask(a.email) for a in accounts if a.healthy]}
        body.update(st.load.report([a.email for a in accounts], st.mask, option))
        return Response.json(200, body)

    def job(self, ctx: Ctx, job_id: str) -> Response:
        st = self.state
        match = JOB_ID_RE.match(job_id)
        if not match:
            raise bad_request("Invalid job ID format")
        if int(match.group(3)) != st.user_id:
            raise ApiError(403, {"error": "Access denied - job belongs to different user"})
        job = st.job(job_id)
        if job is None:
            raise ApiError(404, {"error": "Job not found"})
        if st.now() - job.created > st.settings.job_ttl:
            raise ApiError(410, {"error": "Job has expired"})
        return Response.json(200, job_record(st, job, ctx.base))


def _nothing(job: Job) -> None:
    """Jobs whose result is made by the request itself."""
