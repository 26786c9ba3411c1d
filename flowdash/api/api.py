"""The versioned REST API (django-ninja): /api/v1/, OpenAPI at /api/v1/openapi.json.

django-ninja rather than Django REST framework: function endpoints like the rest of flowdash,
request bodies as pydantic models (unknown fields refused by ``extra="forbid"``), and the
OpenAPI document generated from the same type hints that validate requests.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import NinjaAPI, Router, Schema, Status

from flowdash.api.auth import KeyAuth, require
from flowdash.api.batches import router as batches_router
from flowdash.api.errors import install_handlers
from flowdash.api.jobs import router as jobs_router
from flowdash.api.library import assets_router, media_router
from flowdash.api.schemas import ErrorOut, Queued
from flowdash.team.roles import role_of

api = NinjaAPI(
    title="flowdash API",
    version="1",
    description=(
        "Make images and videos with Google Flow through flowdash, and read the results. "
        "Authenticate with a personal API key from the “API keys” page: "
        "`Authorization: Bearer fdk_…`."
    ),
    auth=KeyAuth(),
    urls_namespace="api-v1",
    openapi_url="/openapi.json",
    docs_url=None,  # the interactive page is our own, from vendored files (flowdash/api/views.py)
)
install_handlers(api)

ERRORS = {401: ErrorOut, 403: ErrorOut, 429: ErrorOut}


class KeyOut(Schema):
    name: str
    prefix: str
    scopes: list[str]
    expires_at: datetime | None


class MeOut(Schema):
    username: str
    email: str
    role: str | None
    key: KeyOut


@api.get("/me", response={200: MeOut, **ERRORS}, tags=["me"], summary="Who this key is")
def me(request):
    key = request.auth
    return {
        "username": key.user.username,
        "email": key.user.email,
        "role": role_of(key.user),
        "key": {
            "name": key.name,
            "prefix": key.shown_prefix,
            "scopes": key.scopes,
            "expires_at": key.expires_at,
        },
    }


# --- accounts and figures (read; admins may ask for fresh ones) --------------------------------

figures = Router(tags=["accounts and figures"])


class AccountOut(Schema):
    id: int
    email: str
    state: str
    health: str
    credits: int | None
    paygate_tier: str
    video_models: list[Any]
    session_expires_at: datetime | None
    last_synced_at: datetime | None
    last_error: str


@figures.get("/accounts", response={200: list[AccountOut], **ERRORS}, summary="Google accounts")
def list_accounts(request):
    from flowdash.accounts.models import FlowAccount

    require(request, "read")
    return [
        {
            "id": a.pk,
            "email": a.full_email or a.email,
            "state": a.state,
            "health": a.health,
            "credits": a.credits,
            "paygate_tier": a.paygate_tier,
            "video_models": a.video_models or [],
            "session_expires_at": a.session_expires_at,
            "last_synced_at": a.last_synced_at,
            "last_error": a.last_error,
        }
        for a in FlowAccount.objects.present().order_by("email")
    ]


@figures.post(
    "/accounts/refresh", response={202: Queued, **ERRORS}, summary="Sync the accounts (admin)"
)
def refresh_accounts(request):
    from flowdash.accounts.tasks import request_sync  # the Accounts page's own refresh

    require(request, "admin")
    request_sync(request.user)
    return Status(202, {"detail": "Asking the API for the accounts…"})


class LoadOut(Schema):
    taken_at: datetime | None
    error: str
    samples: list[dict[str, Any]]


@figures.get(
    "/load-balancing", response={200: LoadOut, **ERRORS}, summary="Latest load-balancing figures"
)
def load_balancing(request):
    from flowdash.stats.models import LoadSnapshot

    require(request, "read")
    snapshot = LoadSnapshot.objects.first()
    if snapshot is None:
        return {"taken_at": None, "error": "", "samples": []}
    return {
        "taken_at": snapshot.taken_at,
        "error": snapshot.error,
        "samples": [
            {
                "kind": s.kind,
                "email": s.email,
                "executing": s.executing,
                "completed": s.completed,
                "failed": s.failed,
                "rate_limited": s.rate_limited,
                "avg_response_ms": s.avg_response_ms,
                "score": s.score,
            }
            for s in snapshot.samples.all()
        ],
    }


class CaptchaOut(Schema):
    providers_taken_at: datetime | None
    masked_keys: dict[str, Any]
    free_credits: int | None
    stats_taken_at: datetime | None
    total: int | None
    providers: list[dict[str, Any]]


@figures.get("/captcha", response={200: CaptchaOut, **ERRORS}, summary="Captcha figures")
def captcha(request):
    from flowdash.accounts.models import CaptchaProviderSnapshot
    from flowdash.stats.models import CaptchaStatsSnapshot

    require(request, "read")
    keys = CaptchaProviderSnapshot.objects.first()
    stats = CaptchaStatsSnapshot.objects.filter(scheduled=True).first()
    return {
        "providers_taken_at": keys.taken_at if keys else None,
        "masked_keys": keys.masked_keys if keys else {},
        "free_credits": keys.free_credits if keys else None,
        "stats_taken_at": stats.taken_at if stats else None,
        "total": stats.total if stats else None,
        "providers": [
            {
                "provider": p.provider,
                "sample_size": p.sample_size,
                "success_rate": p.success_rate,
                "avg_duration_ms": p.avg_duration_ms,
            }
            for p in (stats.providers.all() if stats else [])
        ],
    }


@figures.post(
    "/load-balancing/refresh",
    response={202: Queued, **ERRORS},
    summary="Fetch fresh load-balancing figures (admin)",
)
def refresh_load(request):
    from flowdash.accounts.enqueue import enqueue_after_commit
    from flowdash.stats.tasks import snapshot_load_task

    require(request, "admin")
    enqueue_after_commit(snapshot_load_task, expires=60)
    return Status(202, {"detail": "Asking the API for fresh load-balancing figures…"})


@figures.post(
    "/captcha/refresh", response={202: Queued, **ERRORS}, summary="Fetch fresh captcha figures"
)
def refresh_captcha(request):
    from flowdash.accounts.enqueue import enqueue_after_commit
    from flowdash.accounts.tasks import refresh_captcha_providers_task
    from flowdash.stats.tasks import snapshot_captcha_stats_task

    require(request, "admin")
    enqueue_after_commit(snapshot_captcha_stats_task, expires=60)
    enqueue_after_commit(refresh_captcha_providers_task, expires=60)
    return Status(202, {"detail": "Asking the API for fresh captcha figures…"})


api.add_router("/jobs", jobs_router)
api.add_router("/media", media_router)
api.add_router("/assets", assets_router)
api.add_router("/batches", batches_router)
api.add_router("", figures)


def urls() -> tuple:
    """The API's URL patterns for ``path("api/v1/", …)``, exempt from the sign-in redirect
    (keys, not sessions, authenticate them)."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        pattern.callback.login_required = False
    return patterns, app_name, namespace
