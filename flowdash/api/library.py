"""/api/v1/media and /api/v1/assets: the gallery's filters and cursor, files with Range, uploads."""

from __future__ import annotations

from datetime import date

from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404
from ninja import File, Path, Query, Router, Status
from ninja.files import UploadedFile

from flowdash.api.auth import require
from flowdash.api.errors import ApiError
from flowdash.api.schemas import (
    MAX_ID,
    AssetOut,
    ErrorOut,
    MediaOut,
    MediaPage,
    asset_out,
    media_out,
)
from flowdash.assets import services as assets
from flowdash.assets.models import Asset
from flowdash.gallery import services as gallery
from flowdash.gallery.filters import GalleryFilters
from flowdash.gallery.models import Media

media_router = Router(tags=["media"])
assets_router = Router(tags=["assets"])

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 429: ErrorOut}


@media_router.get("", response={200: MediaPage, **ERRORS}, summary="List media (gallery filters)")
def list_media(
    request,
    q: str | None = Query(None, max_length=500),
    scope: str | None = Query(None, pattern="^(everyone|mine)$"),
    kind: Media.Kind | None = None,
    model: str | None = Query(None, max_length=60),
    ratio: str | None = Query(None, max_length=60),
    account: int | None = Query(None, ge=1, le=MAX_ID),
    creator: str | None = Query(None, max_length=150, description="a user name"),
    tag: list[str] = Query(default_factory=list, max_length=20),
    collection: int | None = Query(None, ge=1, le=MAX_ID),
    fav: bool = False,
    date_from: date | None = Query(None, alias="from"),
    date_to: date | None = Query(None, alias="to"),
    per: int | None = Query(None, ge=1, le=500),
    cursor: str | None = Query(None, max_length=200),
):
    require(request, "read")
    values = {
        "q": q,
        "scope": scope,
        "kind": kind,
        "model": model,
        "ratio": ratio,
        "account": account,
        "creator": creator,
        "collection": collection,
        "fav": "1" if fav else None,
        "from": date_from.isoformat() if date_from else None,
        "to": date_to.isoformat() if date_to else None,
        "per": per,
        "cursor": cursor,
    }
    query = QueryDict(mutable=True)
    for name, value in values.items():
        if value not in (None, ""):
            query[name] = str(value)
    query.setlist("tag", tag)
    filters = GalleryFilters.from_query(query, request.user)
    refs, next_cursor = filters.page(request.user)
    rows = Media.objects.in_bulk([r.pk for r in refs])
    return {
        "items": [media_out(rows[r.pk]) for r in refs if r.pk in rows],
        "next_cursor": next_cursor,
        "notices": filters.notices,
    }


@media_router.get("/{media_id}", response={200: MediaOut, **ERRORS}, summary="One media item")
def get_media(request, media_id: int = Path(..., ge=1, le=MAX_ID)):
    require(request, "read")
    return media_out(get_object_or_404(Media, pk=media_id))


@media_router.get(
    "/{media_id}/file",
    response={200: None, 206: None, **ERRORS},
    summary="Download the file (Range requests answered with 206)",
)
def media_file(request, media_id: int = Path(..., ge=1, le=MAX_ID)):
    require(request, "read")
    media = get_object_or_404(Media, pk=media_id)
    if not media.file or media.download_status != Media.Download.STORED:
        raise Http404("This item has no stored file (yet).")
    if not media.file.storage.exists(media.file.name):
        raise Http404("The file is missing from storage.")
    return gallery.file_response(
        media.file.storage,
        media.file.name,
        gallery.content_type_of(media),
        request.headers.get("Range", ""),
        attachment=gallery.download_name(media),
    )


@assets_router.get("", response={200: list[AssetOut], **ERRORS}, summary="List assets")
def list_assets(
    request,
    page: int = Query(1, ge=1, le=1_000_000),
    per_page: int = Query(50, ge=1, le=200),
):
    require(request, "read")
    start = (page - 1) * per_page
    return [asset_out(a) for a in Asset.objects.newest_first()[start : start + per_page]]


@assets_router.post(
    "", response={201: AssetOut, 200: AssetOut, **ERRORS}, summary="Upload an image asset"
)
def upload_asset(request, file: UploadedFile = File(...)):
    require(request, "generate")
    try:
        stored = assets.store_asset(file, name=file.name or "", size=file.size, user=request.user)
    except assets.InvalidUpload as exc:
        raise ApiError(400, "invalid_upload", str(exc), "file") from None
    return Status(201 if stored.created else 200, asset_out(stored.asset, stored.created))
