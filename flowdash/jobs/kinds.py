"""What differs between job kinds, behind one small interface the pipeline drives.

The pipeline (``flowdash.jobs.services``) owns the rules every kind shares: conditional
transitions, the one paid submission, retries of 429/503, needs-attention, polling, webhooks,
errors in words, downloads. A :class:`KindHandler` only knows how to build its one API request
and how to turn the answer into :class:`~flowdash.gallery.models.Media` rows.

Handlers register themselves with :func:`register` at import time; the modules that hold them
are listed in ``HANDLER_MODULES`` and imported on first use.

``Job.params`` per kind (what the forms store; enough to submit, retry and remix):

- image: ``prompt, model, aspect_ratio, count, seed, references: [ref…], captcha_retry,
  captcha_order``
- video: ``prompt, model, aspect_ratio, count, seed, mode ("text" | "frames" | "references"),
  start: ref | None, end: ref | None, references: [ref…], captcha_retry, captcha_order``
- image_upscale: ``resolution ("2k" | "4k")`` with ``job.source_media``
- video_upscale: ``resolution ("1080p" | "4K")`` with ``job.source_media``
- extend: ``prompt, model, count, seed`` with ``job.source_media``
- gif: nothing more, with ``job.source_media``
- concatenate: ``clips: [{"media": <Media pk>, "trim_start": s, "trim_end": s}…]`` (2-10)
- asset_upload: ``asset: <Asset pk>`` with ``job.requested_account`` (None = auto)

A ``ref`` is ``{"asset": <Asset pk>}`` or ``{"media": <Media pk>}`` (an image result used as a
reference / frame). The pipeline resolves refs to a ``mediaGenerationId`` on the job's account,
uploading the asset (or the result's file) there first when needed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from flowdash.accounts.models import FlowAccount
    from flowdash.gallery.models import Media
    from flowdash.jobs.models import Job
    from flowdash.useapi.client import UseapiClient

HANDLER_MODULES = ("flowdash.jobs.handlers", "flowdash.postprod.handlers")


class KindHandler(Protocol):
    kind: str
    # True: the API answers 201 with a jobId (``async: true``) and the job is followed by
    # GET /jobs/{jobId}; False: the answer is the result itself (images, GIF, concatenate…).
    is_async: bool

    def required_account(self, job: Job) -> FlowAccount | None:
        """The account the job must run on (e.g. its source media's), or None = the job's
        requested account / auto."""

    def submit(
        self, job: Job, client: UseapiClient, *, reply_url: str | None, reply_ref: str | None
    ) -> Any:
        """Send the ONE paid request and return the client's answer (a ``useapi.types.Job`` for
        async kinds, the kind's result object for sync ones). Inline files (base64) are decoded
        straight into storage here. Raises ``useapi.errors`` exceptions unchanged."""

    def store_results(self, job: Job, answer: Any) -> list[Media]:
        """Create the Media rows (and Lineage) for a finished answer: a sync result, or the
        completed ``useapi.types.Job`` of an async kind. URL results are left
        ``download_status=pending`` with ``source_url`` set; the pipeline downloads them."""


_registry: dict[str, KindHandler] = {}
_loaded = False


def register(handler: KindHandler) -> KindHandler:
    _registry[handler.kind] = handler
    return handler


def handler_for(kind: str) -> KindHandler:
    global _loaded
    if not _loaded:
        for name in HANDLER_MODULES:
            try:
                importlib.import_module(name)
            except ModuleNotFoundError as exc:
                if exc.name != name:
                    raise
        _loaded = True
    try:
        return _registry[kind]
    except KeyError:
        raise LookupError(f"no handler for job kind {kind!r}") from None
