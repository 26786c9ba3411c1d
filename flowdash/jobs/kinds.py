"""What differs between job kinds, behind one small interface the pipeline drives.

The pipeline (``flowdash.jobs.pipeline``) owns the rules every kind shares: conditional
transitions, the one paid submission, retries of 429/503, needs-attention, polling, webhooks,
errors in words, downloads. A :class:`KindHandler` only knows how to build its one API request
from a :class:`Submission` and how to turn the answer into
:class:`~flowdash.gallery.models.Media` rows.

Which handler serves which kind is one explicit table, ``settings.FLOWDASH_KIND_HANDLERS``
(kind → dotted path of the handler class), read on first use: the jobs app names no other app's
module and nothing registers itself as a side effect of an import.

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
uploading the asset (or the result's file) there first when needed, into ``Submission.refs``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from flowdash.accounts.models import FlowAccount
    from flowdash.gallery.models import Media
    from flowdash.jobs.capacity import Slot
    from flowdash.jobs.models import Job
    from flowdash.useapi.client import UseapiClient


def ref_key(ref: dict) -> str:
    """The key of a ``ref`` in :attr:`Submission.refs`."""
    return json.dumps(ref, sort_keys=True)


@dataclass
class Submission:
    """One paid request about to be sent for ``job``: what the pipeline worked out before
    sending it, handed to the kind's handler (nothing rides on the Job instance)."""

    job: Job
    # ``ref_key(ref)`` → the reference's ``mediaGenerationId`` on the job's account
    refs: dict[str, str] = field(default_factory=dict)
    reply_url: str | None = None  # the webhook address (None: webhooks off)
    reply_ref: str | None = None  # the job's webhook token, always sent (found by it later)
    slot: Slot | None = None  # the image slot the request holds (``capacity.take_slot``)
    capacity_429: bool = False  # the answer said the account ran past its image slots

    def ref_id(self, ref: dict) -> str:
        return self.refs[ref_key(ref)]

    def reply(self, *, async_: bool = False) -> dict[str, Any]:
        """The client's keywords that tie the request to its job's webhook, and ``async: true``
        for a kind followed by GET /jobs/{jobId} (``async_=handler.is_async``)."""
        options: dict[str, Any] = {"reply_url": self.reply_url, "reply_ref": self.reply_ref}
        if async_:
            options["async_"] = True
        return options


class KindHandler(Protocol):
    kind: str
    # True: the API answers 201 with a jobId (``async: true``) and the job is followed by
    # GET /jobs/{jobId}; False: the answer is the result itself (images, GIF, concatenate…).
    is_async: bool

    def required_account(self, job: Job) -> FlowAccount | None:
        """The account the job must run on (e.g. its source media's), or None = the job's
        requested account / auto."""

    def submit(self, submission: Submission, client: UseapiClient) -> Any:
        """Send the ONE paid request and return the client's answer (a ``useapi.types.Job`` for
        async kinds, the kind's result object for sync ones). Inline files (base64) are decoded
        straight into storage here. Raises ``useapi.errors`` exceptions unchanged."""

    def store_results(self, job: Job, answer: Any) -> list[Media]:
        """Create the Media rows (and Lineage) for a finished answer: a sync result, or the
        completed ``useapi.types.Job`` of an async kind. URL results are left
        ``download_status=pending`` with ``source_url`` set; the pipeline downloads them."""


_handlers: dict[str, KindHandler] = {}


def handler_for(kind: str) -> KindHandler:
    """The handler of ``kind``, from ``settings.FLOWDASH_KIND_HANDLERS``."""
    if not _handlers:
        from django.conf import settings
        from django.utils.module_loading import import_string

        table = {k: import_string(path)() for k, path in settings.FLOWDASH_KIND_HANDLERS.items()}
        _handlers.update(table)
    try:
        return _handlers[kind]
    except KeyError:
        raise LookupError(f"no handler for job kind {kind!r}") from None
