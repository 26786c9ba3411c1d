"""The operator's view of the engine (admins), Prometheus metrics (bearer token) and the
readiness probe for orchestrators."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from flowdash.system import figures
from flowdash.system.metrics import registry
from flowdash.system.readiness import check_parts
from flowdash.team.roles import ADMIN, role_required


@require_GET
@role_required(ADMIN)
def system_view(request):
    """Workers, queues, beat and the reconciler, jobs, the API's answers, storage."""
    context = {"figures": figures.gather(), "section": "system"}
    if request.htmx and request.htmx.target == "engine":
        return render(request, "system/system.html#engine", context)
    return render(request, "system/system.html", context)


@login_not_required
@require_GET
def metrics_view(request):
    """Prometheus text format; ``Authorization: Bearer <FLOWDASH_METRICS_TOKEN>``."""
    token = getattr(settings, "FLOWDASH_METRICS_TOKEN", None) or ""
    given = request.headers.get("Authorization", "")
    scheme, _, value = given.partition(" ")
    if not token or scheme.lower() != "bearer" or not hmac.compare_digest(value.strip(), token):
        response = HttpResponse(
            "A bearer token is needed (FLOWDASH_METRICS_TOKEN).\n",
            status=401,
            content_type="text/plain",
        )
        response["WWW-Authenticate"] = 'Bearer realm="flowdash metrics"'
        return response
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


@login_not_required
@require_GET
def readyz_view(request):
    """200 when the database, Redis and the media storage answer within the deadline; else
    503 naming each failing part."""
    parts = check_parts()
    failing = [p for p in parts if not p.ok]
    body = {
        "status": "ok" if not failing else "unavailable",
        "checks": {p.name: {"ok": p.ok, "detail": p.detail} for p in parts},
    }
    if failing:
        body["failing"] = [f"{p.name}: {p.detail}" for p in failing]
    return JsonResponse(body, status=503 if failing else 200)
