"""Batches through the API: the batch page's own form, preview, budget and waves.

A batch is made from the same three sources as on the page — prompts, CSV text or a template with
values — checked by the page's :class:`~flowdash.batches.forms.BatchForm` and every row by the
studio's forms (:func:`flowdash.batches.services.create_draft`). Nothing is sent until the batch is
started (``"start": true`` in the body, or ``POST /batches/{id}/start``), and starting checks the
whole batch against its person's daily credit limit, as the page does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, get_type_hints

from django.core.files.uploadedfile import SimpleUploadedFile
from django.shortcuts import get_object_or_404
from ninja import Path, Query, Router, Schema, Status
from pydantic import ConfigDict, Field, create_model

from flowdash.api.auth import require
from flowdash.api.errors import ApiError, form_error
from flowdash.api.jobs import form_data
from flowdash.api.schemas import MAX_ID, ErrorOut
from flowdash.batches import parsing, services
from flowdash.batches.forms import BatchForm
from flowdash.batches.models import Batch, BatchRow
from flowdash.team.roles import ADMIN, has_role

router = Router(tags=["batches"])

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 429: ErrorOut}
ROWS_PER_PAGE = 500


class BatchIn(Schema):
    model_config = ConfigDict(extra="forbid")

    source: Literal["paste", "csv", "template"] = "paste"
    prompts: str | None = Field(None, description="paste: one prompt per line")
    csv: str | None = Field(
        None, description="csv: the file's text, a header row naming the columns (prompt, …)"
    )
    template: str | None = Field(None, description="template: a prompt with {variables}")
    values: str | None = Field(None, description="template: one line per variable, a | b | c")
    kind: Literal["image", "video"] = "image"
    model: str | None = None
    aspect_ratio: str | None = None
    count: int | None = None
    account: int | None = Field(None, ge=1, le=MAX_ID)
    start: bool = Field(False, description="start at once when every checked row may be sent")


class RowOut(Schema):
    number: int
    status: str
    kind: str
    credits: int | None
    job: int | None
    error: str


# The batch's counts as services.Progress has them (one list of fields), and its percent.
ProgressOut = create_model(
    "ProgressOut",
    __base__=Schema,
    **{name: (hint, ...) for name, hint in get_type_hints(services.Progress).items()},
    percent=(int, ...),
)


class BatchOut(Schema):
    id: int
    name: str
    source: str
    status: str
    created_at: datetime
    progress: ProgressOut
    rows: list[RowOut]
    rows_offset: int
    rows_total: int


class Changed(Schema):
    changed: int
    batch: BatchOut


def _visible(request, batch_id: int) -> Batch:
    batch = get_object_or_404(Batch.objects.select_related("created_by"), pk=batch_id)
    if batch.created_by_id != request.user.pk and not has_role(request.user, ADMIN):
        raise ApiError(404, "not_found", "No such batch.")
    return batch


def _out(batch: Batch, offset: int = 0) -> dict:
    batch.refresh_from_db()
    progress = services.progress(batch)
    rows = BatchRow.objects.filter(batch=batch).order_by("number")
    page = rows[offset : offset + ROWS_PER_PAGE]
    return {
        "id": batch.pk,
        "name": batch.name,
        "source": batch.source,
        "status": batch.status,
        "created_at": batch.created_at,
        "progress": {**progress.__dict__, "percent": progress.percent},
        "rows": [
            {
                "number": row.number,
                "status": services.row_status(row),
                "kind": row.kind,
                "credits": row.credits,
                "job": row.job_id,
                "error": row.error,
            }
            for row in page
        ],
        "rows_offset": offset,
        "rows_total": rows.count(),
    }


@router.post("", response={201: BatchOut, **ERRORS}, summary="Make a batch (preview; start)")
def create_batch(request, body: BatchIn):
    require(request, "generate")
    values = body.model_dump(exclude={"csv", "start"})
    files = {}
    if body.source == "csv" and body.csv is not None:
        files["file"] = SimpleUploadedFile("api.csv", body.csv.encode("utf-8"), "text/csv")
    form = BatchForm(form_data(values), files)
    if not form.is_valid():
        raise form_error(form)
    try:
        raw, name, note = services.raw_rows(form.cleaned_data)
    except parsing.BatchInputError as exc:
        raise ApiError(400, "invalid", str(exc), body.source) from None
    batch = services.create_draft(
        request.user, form.cleaned_data["source"], raw, form.defaults(), name=name, note=note
    )
    if body.start:
        services.start(batch)  # over the limit: OverBudget, a 403 in the budget's words
    return Status(201, _out(batch))


@router.get("/{batch_id}", response={200: BatchOut, **ERRORS}, summary="A batch and its rows")
def get_batch(
    request,
    batch_id: int = Path(..., ge=1, le=MAX_ID),
    offset: int = Query(0, ge=0, le=parsing.MAX_ROWS),
):
    require(request, "read")
    return _out(_visible(request, batch_id), offset)


def _managed(request, batch_id: int) -> Batch:
    require(request, "generate")
    return _visible(request, batch_id)


@router.post(
    "/{batch_id}/start", response={200: Changed, **ERRORS}, summary="Start a previewed batch"
)
def start_batch(request, batch_id: int = Path(..., ge=1, le=MAX_ID)):
    batch = _managed(request, batch_id)
    if batch.status != Batch.Status.DRAFT:
        raise ApiError(409, "not_draft", f"Batch #{batch.pk} has already been started.")
    changed = services.start(batch)
    return {"changed": changed, "batch": _out(batch)}


@router.post(
    "/{batch_id}/retry-failed", response={200: Changed, **ERRORS}, summary="Retry the failed rows"
)
def retry_failed(request, batch_id: int = Path(..., ge=1, le=MAX_ID)):
    batch = _managed(request, batch_id)
    changed = services.retry_failed(batch)
    return {"changed": changed, "batch": _out(batch)}


@router.post(
    "/{batch_id}/cancel-unsent",
    response={200: Changed, **ERRORS},
    summary="Cancel the rows not yet sent",
)
def cancel_unsent(request, batch_id: int = Path(..., ge=1, le=MAX_ID)):
    batch = _managed(request, batch_id)
    return {"changed": services.cancel_unsent(batch), "batch": _out(batch)}
