"""Shared steps of the simulated endpoints: routing to accounts, jobs, captcha, faults, errors.

Error bodies follow each endpoint family's documented form:

* ``images``: Google errors as ``{"error": {code, message, status, details}}``; a rejected
  captcha answers with the full failed job record (code, created, error, jobid, request,
  response{captcha, error}, status, type, updated).
* ``image_upscale``: ``{"error": {...}, "captcha": {...}}``.
* ``videos`` (videos, extend, upscale) and ``other`` (gif, concatenate): a rejected captcha is
  ``{"error": {...}, "captcha": {...}}``; other Google errors use the documented error model
  ``{"jobId", "error": "API error: N", "code": N, "response": {"error": {...}}}``.
* ``assets`` and ``plain`` (accounts, captcha, jobs): ``{"error": {...}}``.
* useapi's own errors are ``{"error": "text"}`` (plus ``"code"`` for video/other families).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from . import eras
from .accounts import SESSION_ERROR, Account, iso
from .captcha import FREE_PROVIDER, REJECTED, CaptchaError
from .faults import JOB_KINDS, SERVICE_KINDS, TRANSPORT_KINDS, WEBHOOK_KINDS, Fault
from .jobs import Job, Output, google_error, job_record
from .stats import StatEntry
from .store import MediaRecord, parse_media_id
from .web import ApiError, Request, Response

if TYPE_CHECKING:
    from .state import SimState

IMAGES_SESSION_ERROR = "Failed to refresh session."
NO_SUBSCRIPTION = "Account has no subscription or subscription expired"
GARBAGE = (
    b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
    b"<body><h1>502 Bad Gateway</h1><p>cloudflare</p></body></html>"
)


class DropConnection(Exception):
    """Close the client's socket without answering."""


def throttled_error() -> dict[str, Any]:
    return google_error(
        429,
        "RESOURCE_EXHAUSTED",
        "Resource has been exhausted (e.g. check quota).",
        "PUBLIC_ERROR_USER_REQUESTS_THROTTLED",
    )


def quota_error(reason: str = "PUBLIC_ERROR_PER_MODEL_DAILY_QUOTA_REACHED") -> dict[str, Any]:
    return google_error(
        429,
        "RESOURCE_EXHAUSTED",
        "Resource has been exhausted (e.g. check quota).",
        reason,
        {"canUpgradeForQuota": "true"},
    )


def unavailable_error() -> dict[str, Any]:
    return google_error(
        503, "UNAVAILABLE", "Service temporarily unavailable.", "SERVICE_UNAVAILABLE"
    )


def unsafe_error(reason: str = "PUBLIC_ERROR_UNSAFE_GENERATION") -> dict[str, Any]:
    return google_error(400, "INVALID_ARGUMENT", "Request contains an invalid argument.", reason)


def moderated_error() -> dict[str, Any]:
    return google_error(500, "INTERNAL", "Internal error encountered.")


def captcha_error() -> dict[str, Any]:
    return google_error(403, "PERMISSION_DENIED", REJECTED, "PUBLIC_ERROR_SOMETHING_WENT_WRONG")


def _reason(google: dict[str, Any] | None) -> str | None:
    for detail in (google or {}).get("details") or ():
        if isinstance(detail, dict) and isinstance(detail.get("reason"), str):
            return detail["reason"]
    return None


def not_found_account(email: str) -> ApiError:
    return ApiError(404, {"error": f"Google Flow account {email} not found"})


class Ctx:
    """One API request: where it goes, which account serves it, which faults hit it."""

    def __init__(self, state: SimState, req: Request, endpoint: str, family: str) -> None:
        self.state = state
        self.req = req
        self.endpoint = endpoint
        self.family = family
        self.method = req.method
        self.base = req.host_url
        self.email: str | None = None
        self.entered = False
        self.reserved: StatEntry | None = None

    def release(self) -> None:
        """Drop an unused load-balancing reservation (the request ended before its job)."""
        if self.reserved is not None:
            self.state.load.discard(self.reserved)
            self.reserved = None

    # ---- transport faults
    def _pause(self, fault: Fault) -> None:
        seconds = float(fault.params.get("seconds", 5))
        self.state.scheduler.stopping.wait(seconds)

    def enter(self, email: str | None) -> None:
        """The request reached an account (or needs none): apply 'before' transport faults."""
        if self.entered:
            return
        self.entered = True
        self.email = email
        fault = self.state.faults.take(
            TRANSPORT_KINDS, endpoint=self.endpoint, method=self.method, email=email, when="before"
        )
        if fault is None:
            return
        if fault.kind == "delay":
            self._pause(fault)
        elif fault.kind == "drop":
            raise DropConnection
        elif fault.kind == "garbage":
            raise _Garbage(Response(200, GARBAGE))
        elif fault.kind == "truncated":
            raise _Garbage(Response(200, b'{"jobId": "j1737312345678v-u1000-email:'))

    def after(self, response: Response) -> Response:
        fault = self.state.faults.take(
            TRANSPORT_KINDS,
            endpoint=self.endpoint,
            method=self.method,
            email=self.email,
            when="after",
        )
        if fault is None:
            return response
        if fault.kind == "delay":
            self._pause(fault)
            return response
        if fault.kind == "drop":
            raise DropConnection
        status = response.status if 200 <= response.status < 300 else 200
        if fault.kind == "garbage":
            return Response(status, GARBAGE)
        cut = max(1, len(response.body) // 2)
        return Response(status, response.body[:cut])

    def take(self, kinds: Iterable[str], email: str | None) -> Fault | None:
        return self.state.faults.take(
            frozenset(kinds), endpoint=self.endpoint, method=self.method, email=email
        )

    # ---- faults of account-less endpoints
    def plain_faults(self, email: str | None = None) -> None:
        self.enter(email)
        fault = self.take(SERVICE_KINDS, email)
        if fault is not None:
            status, google, message, headers, extra = fault_answer(self.state, fault)
            body = dict(extra)
            body["error"] = google if google is not None else message
            if fault.kind == "custom":
                body = fault.params.get("body", body)
            raise ApiError(status, body, headers)


class _Garbage(Exception):
    def __init__(self, response: Response) -> None:
        super().__init__()
        self.response = response


def fault_answer(
    state: SimState, fault: Fault
) -> tuple[int, dict[str, Any] | None, str | None, list[tuple[str, str]], dict[str, Any]]:
    """(status, google error, useapi message, headers, extra body keys) of a service fault."""
    headers: list[tuple[str, str]] = []
    extra: dict[str, Any] = {}
    retry_after = fault.params.get("retryAfter")
    if retry_after is not None:
        headers.append(("Retry-After", str(int(retry_after))))
        extra["retryAfter"] = int(retry_after)
    kind = fault.kind
    if kind == "throttled":
        return 429, throttled_error(), None, headers, extra
    if kind == "daily_quota":
        return 429, quota_error(), None, headers, extra
    if kind == "unavailable":
        return 503, unavailable_error(), None, headers, extra
    if kind == "unsafe":
        reason = fault.params.get("reason", "PUBLIC_ERROR_UNSAFE_GENERATION")
        return 400, unsafe_error(reason), None, headers, extra
    if kind == "captcha_rejected":
        return 403, captcha_error(), None, headers, extra
    if kind == "session_expired":
        return 596, None, SESSION_ERROR, headers, extra
    if kind == "no_subscription":
        return 402, None, NO_SUBSCRIPTION, headers, extra
    if kind == "polling_timeout":
        return 408, None, "Polling timeout", headers, extra
    if kind == "no_eligible_account":
        seconds = int(retry_after if retry_after is not None else 30)
        headers = [("Retry-After", str(seconds))]
        extra = {
            "retryAfter": seconds,
            "message": "No eligible Google Flow account: every account is quarantined after "
            "throttling or quota errors",
            "skipReasons": [
                {"email": state.mask(a.email), "reason": "quarantined"}
                for a in state.account_list()
            ],
        }
        return 429, None, "no_eligible_account", headers, extra
    if kind == "custom":
        status = int(fault.params["status"])
        headers += [(str(k), str(v)) for k, v in (fault.params.get("headers") or {}).items()]
        return (
            status,
            None,
            fault.params.get("message", f"Simulated error {status}"),
            headers,
            extra,
        )
    code = int(fault.params.get("code", 500))
    return (
        code,
        google_error(
            code, "INTERNAL", str(fault.params.get("message", "Internal error encountered."))
        ),
        None,
        headers,
        extra,
    )


class Service:
    """Operations shared by the API handlers."""

    def __init__(self, state: SimState) -> None:
        self.state = state

    # ---- references and accounts
    def media(self, value: Any, field: str, kind: str | None = None) -> MediaRecord:
        """Resolve a mediaGenerationId (400 malformed, 404 unknown, 400 wrong type)."""
        parsed = parse_media_id(value)
        if parsed is None:
            raise ApiError(400, {"error": f"{field} is not a valid mediaGenerationId", "code": 400})
        user, email, media_kind = parsed
        if kind is not None and media_kind != kind:
            raise ApiError(
                400, {"error": f"{field} type must be '{kind}', got '{media_kind}'", "code": 400}
            )
        if self.state.account(email) is None:
            raise not_found_account(email)
        record = self.state.store.get(value)
        if record is None or user != self.state.user_id:
            noun = "Video" if media_kind == "video" else "Image"
            raise ApiError(404, {"error": f"{noun} {value} not found"})
        return record

    def route(
        self,
        ctx: Ctx,
        email: str | None,
        refs: list[tuple[str, MediaRecord]],
        category: str,
        *,
        paid_only: bool = False,
        reserve: bool = True,
    ) -> Account:
        """The account serving a request: explicit email, the references' owner, or the
        load balancer (lowest score over ``category`` statistics among healthy accounts).

        With ``reserve`` the load-balanced choice is counted as executing at once (so parallel
        requests spread out); :meth:`start_job` takes the reservation over."""
        state = self.state
        owners = sorted({record.email for _, record in refs})
        if len(owners) > 1:
            raise ApiError(
                400,
                {
                    "error": "All references must belong to the same Google Flow account",
                    "code": 400,
                },
            )
        hint = email.lower() if email else (owners[0] if owners else None)
        fault = ctx.take({"no_eligible_account"}, hint)
        if fault is not None:
            status, _, message, headers, extra = fault_answer(state, fault)
            raise ApiError(status, {"error": message, "code": status, **extra}, headers)
        if email:
            account = state.account(email)
            if account is None:
                raise not_found_account(email)
            if owners and owners[0] != account.email:
                field, record = refs[0]
                raise ApiError(
                    400,
                    {
                        "error": f"Email mismatch: {field} belongs to {state.mask(record.email)}, "
                        f"not {state.mask(account.email)}",
                        "code": 400,
                    },
                )
            return account
        if owners:
            account = state.account(owners[0])
            if account is None:
                raise not_found_account(owners[0])
            return account
        accounts = state.account_list()
        if not accounts:
            raise ApiError(
                400,
                {
                    "error": "No Google Flow accounts configured, add one with POST /accounts",
                    "code": 400,
                },
            )
        candidates = [a for a in accounts if a.healthy and (a.is_paid or not paid_only)]
        if not candidates:
            candidates = [a for a in accounts if a.healthy] or accounts
        if len(accounts) > 1:  # quarantine is skipped when only one account is configured
            candidates = self._not_quarantined(candidates, accounts)
        emails = [a.email for a in candidates]
        if reserve:
            ctx.reserved = state.load.choose_and_begin(category, emails, state.rng)
            chosen = ctx.reserved.email
        else:
            chosen = state.load.choose(category, emails, state.rng)
        return state.account(chosen) or candidates[0]

    def _not_quarantined(self, candidates: list[Account], accounts: list[Account]) -> list[Account]:
        """The candidates the 2026-12 load balancer may use, or 429 ``no_eligible_account``
        (``Retry-After``: nominal seconds until the first account is back)."""
        state = self.state
        until = {a.email: state.quarantined_until(a.email) for a in candidates}
        free = [a for a in candidates if until[a.email] is None]
        if free:
            return free
        first = min(u for u in until.values() if u is not None)
        seconds = max(1, math.ceil((first - state.now()) * state.speed))
        skip = []
        for account in accounts:
            entry: dict[str, Any] = {"email": state.mask(account.email)}
            when = until.get(account.email) or state.quarantined_until(account.email)
            if when is not None:
                nominal = (when - state.now()) * state.speed  # like Retry-After: nominal time
                entry.update(reason="quarantined", until=iso(state.now() + nominal))
            else:
                entry["reason"] = "unhealthy" if not account.healthy else "not_eligible"
            skip.append(entry)
        raise ApiError(
            429,
            {
                "error": "no_eligible_account",
                "message": "All configured accounts are temporarily unavailable. Retry later.",
                "retryAfter": seconds,
                "skipReasons": skip,
            },
            [("Retry-After", str(seconds))],
        )

    # ---- jobs
    def start_job(
        self,
        ctx: Ctx,
        *,
        kind: str,
        account: Account,
        request: dict[str, Any],
        category: str | None,
        reply_url: str | None = None,
        reply_ref: str | None = None,
        seeds: Iterable[int] = (),
    ) -> Job:
        state = self.state
        letter = "i" if kind in ("image", "image_upscale") else "v"
        job = Job(
            job_id=state.new_job_id(letter, account.email),
            type="image" if letter == "i" else "video",
            kind=kind,
            email=account.email,
            created=state.now(),
            request=request,
            origin=ctx.base,
            reply_url=reply_url,
            reply_ref=reply_ref,
            outputs=[Output(seed=s) for s in seeds],
        )
        if ctx.reserved is not None and ctx.reserved.email == account.email:
            job.stat, ctx.reserved = ctx.reserved, None
            job.stat.job_id = job.job_id
        elif category is not None:
            job.stat = state.load.begin(category, account.email, job.job_id)
        if reply_url:
            job.webhook_lost = ctx.take(WEBHOOK_KINDS, account.email) is not None
        late = ctx.take(JOB_KINDS, account.email)
        if late is not None:
            job.extra["late_fault"] = late
        state.add_job(job)
        return job

    def announce(self, job: Job) -> None:
        """Send the 'created' callback once (after captcha, like the 201 answer)."""
        with self.state.lock:
            if job.extra.get("announced"):
                return
            job.extra["announced"] = True
        self.notify(job)

    def notify(self, job: Job) -> None:
        if not job.reply_url:
            return
        if job.type == "image" and job.status == "started":
            return
        payload = job_record(self.state, job, job.origin)
        self.state.webhooks.send(job.job_id, job.reply_url, payload, lost=job.webhook_lost)

    def set_started(self, job: Job) -> None:
        self.announce(job)
        with self.state.lock:
            if job.status != "created":
                return
            job.status = "started"
            job.updated = self.state.now()
            for out in job.outputs:
                out.status = "MEDIA_GENERATION_STATUS_PROCESSING"
        self.notify(job)

    def complete(self, job: Job) -> None:
        self.announce(job)
        with self.state.lock:
            if job.final:
                return
            job.status = "completed"
            job.updated = self.state.now()
            for out in job.outputs:
                out.status = "MEDIA_GENERATION_STATUS_SUCCESSFUL"
        if job.stat is not None:
            self.state.load.finish(job.stat, 200)
        self.notify(job)
        job.done.set()

    def fail(
        self,
        job: Job,
        status: int,
        *,
        google: dict[str, Any] | None = None,
        message: str | None = None,
    ) -> None:
        state = self.state
        if not job.final:
            self.announce(job)
        with state.lock:
            if job.final:
                return
            job.status = "failed"
            job.updated = state.now()
            job.code = status
            job.google = google
            job.error = message or f"API error: {status}"
            for out in job.outputs:
                out.status = "MEDIA_GENERATION_STATUS_FAILED"
            if job.credits_spent:
                account = state.account(job.email)
                if account is not None:
                    account.credits += job.credits_spent
                job.credits_spent = 0
        if job.stat is not None:
            state.load.finish(job.stat, status)
        self.notify(job)
        job.done.set()

    def error_body(
        self,
        ctx: Ctx,
        job: Job | None,
        status: int,
        *,
        google: dict[str, Any] | None = None,
        message: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        family = ctx.family
        if message is not None:
            body: dict[str, Any] = {"error": message}
            if family in ("videos", "other") and status != 596:
                body["code"] = status
        elif family == "images" and status == 403 and job is not None:
            body = job_record(self.state, job, ctx.base)
        elif family in ("images", "assets", "plain"):
            body = {"error": google}
        elif family == "image_upscale" or status == 403:
            body = {"error": google}
            if job is not None and job.captcha is not None:
                body["captcha"] = job.captcha
        else:
            body = {}
            if job is not None:
                body["jobId"] = job.job_id
            body["error"] = f"API error: {status}"
            body["code"] = status
            response: dict[str, Any] = {}
            if job is not None and job.outputs:
                response["operations"] = [
                    {
                        "operation": {
                            "name": out.op_name,
                            "error": {"code": status, "message": (google or {}).get("message", "")},
                        },
                        "sceneId": out.scene_id,
                        "status": "MEDIA_GENERATION_STATUS_FAILED",
                    }
                    for out in job.outputs
                ]
            response["error"] = google
            body["response"] = response
        if extra:
            body.update(extra)
        return body

    def reject(
        self,
        ctx: Ctx,
        job: Job | None,
        status: int,
        *,
        google: dict[str, Any] | None = None,
        message: str | None = None,
        headers: Iterable[tuple[str, str]] = (),
        extra: dict[str, Any] | None = None,
    ) -> ApiError:
        """Fail the job (if any) and build the error to raise."""
        if job is not None:
            self.fail(job, status, google=google, message=message)
            if status == 429 and _reason(google) in eras.QUARANTINE_REASONS:
                self.state.quarantine(job.email)
        return ApiError(
            status,
            self.error_body(ctx, job, status, google=google, message=message, extra=extra),
            headers,
        )

    def fault_error(self, ctx: Ctx, job: Job | None, fault: Fault) -> ApiError:
        status, google, message, headers, extra = fault_answer(self.state, fault)
        if fault.kind == "session_expired" and ctx.family == "images":
            message = IMAGES_SESSION_ERROR
        if fault.kind == "custom":
            if job is not None:
                self.fail(job, status, message=message)
            return ApiError(status, fault.params.get("body", {"error": message}), headers)
        return self.reject(
            ctx, job, status, google=google, message=message, headers=headers, extra=extra
        )

    def check_session(self, ctx: Ctx, job: Job | None, account: Account) -> None:
        if account.state == "session_expired":
            message = IMAGES_SESSION_ERROR if ctx.family == "images" else SESSION_ERROR
            raise self.reject(ctx, job, 596, message=message)

    # ---- captcha
    def captcha_plan(self, body: dict[str, Any]) -> list[str]:
        try:
            return self.state.captcha.plan(body)
        except CaptchaError as exc:
            raise ApiError(exc.status, {"error": str(exc), "code": exc.status}) from exc

    def solve_captcha(self, ctx: Ctx, job: Job, plan: list[str], reject: Fault | None) -> None:
        """Simulate the attempts (recording each one); raise the documented 403 on failure."""
        state = self.state
        desk = state.captcha
        account = state.account(job.email)
        failing = len(plan)
        if reject is not None and reject.params.get("failures") is not None:
            failing = int(reject.params["failures"])
        attempts: list[dict[str, Any]] = []
        total = 0
        success = False
        for index, provider in enumerate(plan):
            duration = desk.duration_ms(provider, state.rng)
            attempt: dict[str, Any] = {
                "service": provider,
                "taskId": desk.task_id(),
                "durationMs": duration,
                "success": True,
            }
            if provider == FREE_PROVIDER and not desk.keys and not desk.uses_free_credit(provider):
                attempt["success"] = False
                attempt["error"] = "No free captcha credits left"
            elif reject is not None and index < failing:
                attempt["success"] = False
                attempt["error"] = REJECTED
            attempts.append(attempt)
            total += duration
            now = state.now()
            desk.record(
                {
                    "timestamp": iso(now),
                    "date": iso(now)[:10],
                    "provider": provider,
                    "taskId": attempt["taskId"],
                    "durationMs": duration,
                    "success": attempt["success"],
                    **({"error": attempt["error"]} if "error" in attempt else {}),
                    "jobId": job.job_id,
                    "email": state.mask(job.email),
                    "paygateTier": account.paygate if account else None,
                    "endpoint": ctx.endpoint,
                    "attempt": index + 1,
                    "_ts": now,
                }
            )
            if attempt["success"]:
                success = True
                break
        last = attempts[-1]
        job.captcha = {
            "service": last["service"],
            "taskId": last["taskId"],
            "durationMs": total,
            "attempts": attempts,
        }
        state.sleep_nominal(total / 1000)
        if not success:
            raise self.reject(ctx, job, 403, google=captcha_error())
        self.announce(job)

    # ---- waiting for scheduled work
    def wait_job(self, ctx: Ctx, job: Job, nominal_limit: float) -> None:
        """Block a sync request until its job is final (408 after the service's limit)."""
        state = self.state
        limit = state.sim_seconds(nominal_limit) + 5.0
        finished = state.scheduler.wait(job.done, timeout=limit)
        if not finished:
            raise ApiError(408, {"error": "Polling timeout"})
        if not job.final:
            raise ApiError(503, {"error": "The simulator was reset while this job ran"})
