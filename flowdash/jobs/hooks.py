"""The useapi webhook endpoint (design.md rule 8): ``POST /hooks/useapi/<job uuid>/<token>/``.

useapi does not sign callbacks, so each job has its own random token (sent as ``replyRef`` and
in this path), compared in constant time against the stored hash. A wrong token gets the same
404 as an unknown job. The body is read only up to a small cap and is never trusted: a
finished status moves the job's next GET /jobs/{jobId} to now, and that GET alone changes
state (monotonic, idempotent: duplicates, replays and late ``started`` callbacks change
nothing). The answer is immediate; the sender gives up after 5 s.
"""

from __future__ import annotations

import json
import logging

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponseNotFound, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from flowdash.jobs.models import Job

logger = logging.getLogger(__name__)

BODY_LIMIT = 256 * 1024


def _hint(request) -> dict:
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > BODY_LIMIT:
        return {"oversized": True}
    raw = request.read(BODY_LIMIT + 1)
    if len(raw) > BODY_LIMIT:
        return {"oversized": True}
    try:
        body = json.loads(raw or b"{}")
    except (ValueError, RecursionError):  # not JSON, or nested deeper than the parser recurses
        return {}
    return body if isinstance(body, dict) else {}


@csrf_exempt
@login_not_required
@require_POST
def useapi_hook_view(request, job_uuid, token: str):
    job = Job.objects.filter(uuid=job_uuid).first()
    if job is None or not job.webhook_token_matches(token):
        return HttpResponseNotFound("Not found.", content_type="text/plain")
    from flowdash.jobs.pipeline.follow import note_webhook

    body = _hint(request)
    status = body.get("status") if isinstance(body.get("status"), str) else None
    if body.get("oversized"):
        status = "completed"  # too big to read: let the GET tell
    remote_id = body.get("jobid") or body.get("jobId")
    note_webhook(job, status, remote_id if isinstance(remote_id, str) else None)
    return JsonResponse({"ok": True})
