"""Jobs and the documented JSON shapes built from them.

Seed forms (the 2026-02 era): videos as ``operations[]`` with
``operation.metadata.video.fifeUrl`` / ``servingBaseUri``; images as
``media[].image.generatedImage.fifeUrl``. In the 2026-12 era (or with ``new_forms`` on), videos
come as ``media[]`` with ``videoUrl`` / ``thumbnailUrl`` (upscales carry both forms); images
carry ``encodedImage`` instead of ``fifeUrl`` (``new_forms``: all; 2026-12: odd seeds).
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

from .accounts import iso
from .media import b64
from .stats import StatEntry
from .store import MediaRecord, MediaStore


class SimState(Protocol):
    """What the body builders read of :class:`flowdash.simulator.state.SimState` (a protocol,
    so this module does not import the state that imports it)."""

    store: MediaStore

    @property
    def new_forms(self) -> bool: ...

    def inline_image(self, seed: int) -> bool: ...

    def account_project(self, email: str) -> str: ...


MEDIA_TYPE = "type.googleapis.com/google.internal.labs.aisandbox.v1.Media"
FINAL = ("completed", "failed")
VIDEO_ASPECTS = {
    "landscape": "VIDEO_ASPECT_RATIO_LANDSCAPE",
    "portrait": "VIDEO_ASPECT_RATIO_PORTRAIT",
    "square": "VIDEO_ASPECT_RATIO_SQUARE",
    "4:3": "VIDEO_ASPECT_RATIO_4_3",
    "3:4": "VIDEO_ASPECT_RATIO_3_4",
}
IMAGE_ASPECTS = {
    "landscape": "IMAGE_ASPECT_RATIO_LANDSCAPE",
    "portrait": "IMAGE_ASPECT_RATIO_PORTRAIT",
    "square": "IMAGE_ASPECT_RATIO_SQUARE",
    "4:3": "IMAGE_ASPECT_RATIO_LANDSCAPE_FOUR_THREE",
    "3:4": "IMAGE_ASPECT_RATIO_PORTRAIT_THREE_FOUR",
}


def google_error(
    code: int, status: str, message: str, reason: str | None = None, metadata: dict | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message, "status": status}
    if reason:
        detail: dict[str, Any] = {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": reason,
        }
        if metadata:
            detail["metadata"] = metadata
        body["details"] = [detail]
    return body


def _hex_name() -> str:
    return uuid.uuid4().hex + uuid.uuid4().hex[:8]


@dataclass
class Output:
    seed: int
    op_name: str = field(default_factory=_hex_name)
    scene_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    status: str = "MEDIA_GENERATION_STATUS_PENDING"
    media: MediaRecord | None = None
    raw_bytes: bool = False


@dataclass
class Job:
    job_id: str
    type: str  # "video" | "image"
    kind: str  # image | image_upscale | video | extend | upscale | concatenate
    email: str
    created: float
    request: dict[str, Any]
    origin: str
    status: str = "created"
    updated: float | None = None
    outputs: list[Output] = field(default_factory=list)
    captcha: dict[str, Any] | None = None
    error: str | None = None
    code: int | None = None
    google: dict[str, Any] | None = None
    error_details: str | None = None
    reply_url: str | None = None
    reply_ref: str | None = None
    remaining_credits: int | None = None
    credits_spent: int = 0
    webhook_lost: bool = False
    stat: StatEntry | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    done: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def final(self) -> bool:
        return self.status in FINAL


# --------------------------------------------------------------------------- pieces


def video_operation(state: SimState, out: Output, base: str) -> dict[str, Any]:
    op: dict[str, Any] = {"operation": {"name": out.op_name}, "sceneId": out.scene_id}
    record = out.media
    if out.status == "MEDIA_GENERATION_STATUS_SUCCESSFUL" and record is not None:
        video: dict[str, Any] = {
            "seed": out.seed,
            "mediaGenerationId": record.media_id,
            "prompt": record.prompt,
        }
        if not out.raw_bytes:
            video["fifeUrl"] = state.store.url(base, record)
        video["mediaVisibility"] = "PRIVATE"
        if not out.raw_bytes:
            video["servingBaseUri"] = state.store.thumb_url(base, record)
        video.update(
            {
                "model": record.model_name,
                "isLooped": False,
                "aspectRatio": VIDEO_ASPECTS.get(record.aspect, VIDEO_ASPECTS["landscape"]),
            }
        )
        op["operation"]["metadata"] = {
            "@type": MEDIA_TYPE,
            "name": record.media_id.rsplit(":", 1)[-1],
            "video": video,
        }
        if out.raw_bytes:
            op["rawBytes"] = b64(state.store.ensure(record).read_bytes())
        op["mediaGenerationId"] = record.media_id
    elif out.status == "MEDIA_GENERATION_STATUS_FAILED":
        op["operation"]["error"] = {"code": 500, "message": "Internal error encountered."}
    op["status"] = out.status
    return op


def video_media_item(state: SimState, job: Job, out: Output, base: str) -> dict[str, Any]:
    """The newer (≥ May 2026) Flow media form of one generated video."""
    record = out.media
    assert record is not None
    return {
        "name": record.media_id.rsplit(":", 1)[-1],
        "projectId": state.account_project(job.email),
        "workflowId": out.scene_id,
        "workflowStepId": out.op_name[:16],
        "mediaMetadata": {
            "createTime": iso(record.created),
            "mediaTitle": record.prompt[:60],
            "requestData": {"promptInputs": [{"textInput": record.prompt}]},
            "mediaStatus": {"mediaGenerationStatus": "MEDIA_GENERATION_STATUS_SUCCESSFUL"},
            "visibility": "PRIVATE",
        },
        "mediaGenerationId": record.media_id,
        "videoUrl": state.store.url(base, record),
        "thumbnailUrl": state.store.thumb_url(base, record),
        "video": {
            "generatedVideo": {
                "seed": out.seed,
                "model": record.model_name,
                "aspectRatio": VIDEO_ASPECTS.get(record.aspect, VIDEO_ASPECTS["landscape"]),
                "prompt": record.prompt,
                "mediaGenerationId": record.media_id,
            },
            "dimensions": {"width": record.width, "height": record.height},
        },
    }


def image_media_item(state: SimState, job: Job, out: Output, base: str) -> dict[str, Any]:
    record = out.media
    assert record is not None
    refs = job.extra.get("refs", [])
    generated: dict[str, Any] = {
        "seed": out.seed,
        "mediaGenerationId": record.media_id,
        "mediaVisibility": "PRIVATE",
        "prompt": record.prompt,
        "modelNameType": record.model_name,
        "workflowId": out.scene_id,
    }
    if state.inline_image(out.seed):
        generated["encodedImage"] = b64(state.store.ensure(record).read_bytes())
    else:
        generated["fifeUrl"] = state.store.url(base, record)
    generated["aspectRatio"] = IMAGE_ASPECTS.get(record.aspect, IMAGE_ASPECTS["landscape"])
    generated["requestData"] = {
        "promptInputs": [{"textInput": record.prompt}],
        "imageGenerationRequestData": {
            "imageGenerationImageInputs": [
                {"mediaGenerationId": ref, "imageInputType": "IMAGE_INPUT_TYPE_REFERENCE"}
                for ref in refs
            ]
        },
    }
    return {
        "name": record.media_id.rsplit(":", 1)[-1],
        "workflowId": out.scene_id,
        "image": {"generatedImage": generated},
    }


def video_results(state: SimState, job: Job, base: str) -> dict[str, Any]:
    """``operations`` and/or ``media`` of a video job, per the current forms."""
    body: dict[str, Any] = {}
    done = job.status == "completed"
    if not done or not state.new_forms or job.kind == "upscale":
        body["operations"] = [video_operation(state, out, base) for out in job.outputs]
    if done and state.new_forms:
        body["media"] = [video_media_item(state, job, out, base) for out in job.outputs]
    return body


def captcha_block(job: Job, *, with_attempts: bool = True) -> dict[str, Any] | None:
    if job.captcha is None:
        return None
    block = dict(job.captcha)
    if not with_attempts:
        block.pop("attempts", None)
    return block


# --------------------------------------------------------------------------- records


def job_record(state: SimState, job: Job, base: str) -> dict[str, Any]:
    """The body of GET /jobs/{jobId} (and of webhooks and 201 answers)."""
    body: dict[str, Any] = {
        "jobid": job.job_id,
        "type": job.type,
        "status": job.status,
        "created": iso(job.created),
    }
    if job.updated is not None:
        body["updated"] = iso(job.updated)
    body["request"] = dict(job.request)
    response: dict[str, Any] = {}
    if job.type == "video":
        if job.kind == "concatenate":
            response = {
                "status": "MEDIA_GENERATION_STATUS_SUCCESSFUL"
                if job.status == "completed"
                else "MEDIA_GENERATION_STATUS_FAILED",
                "inputsCount": job.extra.get("inputsCount", 0),
            }
        elif job.outputs:
            response.update(video_results(state, job, base))
            if job.status == "completed" and job.remaining_credits is not None:
                response["remainingCredits"] = job.remaining_credits
    elif job.status == "completed" and job.kind == "image":
        response["media"] = [image_media_item(state, job, out, base) for out in job.outputs]
    if job.google is not None:
        response["error"] = job.google
    captcha = captcha_block(job)
    if captcha is not None:
        response["captcha"] = captcha
    if response:
        body["response"] = response
    if job.status == "failed":
        body["error"] = job.error or f"API error: {job.code}"
        if job.error_details:
            body["errorDetails"] = job.error_details
        body["code"] = job.code
    return body


def video_success_body(state: SimState, job: Job, base: str) -> dict[str, Any]:
    """Sync 200 of POST /videos, /videos/extend and /videos/upscale."""
    body: dict[str, Any] = {"jobId": job.job_id}
    body.update(video_results(state, job, base))
    if job.remaining_credits is not None:
        body["remainingCredits"] = job.remaining_credits
    captcha = captcha_block(job)
    if captcha is not None:
        body["captcha"] = captcha
    return body


def image_success_body(state: SimState, job: Job, base: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "jobId": job.job_id,
        "media": [image_media_item(state, job, out, base) for out in job.outputs],
    }
    captcha = captcha_block(job)
    if captcha is not None:
        body["captcha"] = captcha
    return body
