"""Errors raised by the useapi.net client.

Every failure of a call — an HTTP error status, a body we cannot read, a transport problem, or a
request the client refuses to send — is one of these classes, so callers can act on the class:

* ``may_have_reached_service`` tells the job pipeline whether the request could have been
  processed (and paid for). It is False only for :class:`ConnectionFailed` and
  :class:`RequestValidationError`; :class:`ResponseLost` means "outcome unknown".
* ``user_message`` is one plain sentence for people; ``str(error)`` is for logs.
* ``status``, ``api_message``, ``reason`` and ``payload`` carry what the API said.
* ``retry_policy`` says what the job pipeline may do after the failure of a paid request:
  :data:`NOT_SENT` — it surely was not processed (no connection, or turned away unprocessed:
  429, 503): wait and send it again within the job's deadline; :data:`AMBIGUOUS` — it may have
  been processed: look the job up, never re-send blindly; :data:`FINAL` — fail the job in words.

Nothing here ever holds the API token: the client scrubs it from every text it puts here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from flowdash.useapi.records import CaptchaAttempt, CaptchaInfo, job_id_of

__all__ = [
    "AMBIGUOUS",
    "FINAL",
    "NOT_SENT",
    "BadRequest",
    "CaptchaRejected",
    "ConnectionFailed",
    "ContentPolicy",
    "Forbidden",
    "GatewayError",
    "Internal",
    "InvalidAnswer",
    "InvalidToken",
    "JobExpired",
    "MalformedResponse",
    "ModelAccessDenied",
    "Moderated",
    "NoEligibleAccount",
    "NotFound",
    "PaymentRequired",
    "PollingTimeout",
    "RateLimited",
    "RequestValidationError",
    "ResponseLost",
    "SessionExpired",
    "TransportError",
    "Unavailable",
    "UnexpectedStatus",
    "UseapiError",
    "find_reason",
]


# What a failed paid request allows (``UseapiError.retry_policy``).
NOT_SENT = "not_sent"  # surely not processed: wait and send again (within the deadline)
AMBIGUOUS = "ambiguous"  # may have been processed: look it up, never re-send blindly
FINAL = "final"  # an answer no retry can change: fail in words


class UseapiError(Exception):
    """Base class of every error the useapi client raises."""

    default_user_message = "The Google Flow service returned an error."
    may_have_reached_service = True
    retry_policy = FINAL

    def __init__(
        self,
        message: str | None = None,
        *,
        status: int | None = None,
        api_message: str | None = None,
        reason: str | None = None,
        payload: Any = None,
        user_message: str | None = None,
        endpoint: str | None = None,
        captcha: CaptchaInfo | None = None,
        job_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.status = status
        self.api_message = api_message
        self.reason = reason
        self.payload = payload
        self.endpoint = endpoint
        self.captcha = captcha
        self.job_id = job_id
        self.retry_after = retry_after
        self.user_message = user_message or self._default_user_message()
        super().__init__(message or self._default_message())

    @property
    def attempts(self) -> tuple[CaptchaAttempt, ...]:
        """Captcha attempts reported with the error (empty when there was no captcha block)."""
        return self.captcha.attempts if self.captcha else ()

    def _default_user_message(self) -> str:
        return self.default_user_message

    @property
    def makes_media(self) -> bool:
        """Whether the failed call asked for media (a generation, a post-production step, a
        job's state): the wording speaks of the result then, else of the API's answer."""
        method, _, path = (self.endpoint or "").partition(" ")
        first = path.lstrip("/").split("?")[0].split("/")[0]
        return (
            not self.endpoint
            or (method == "POST" and first in ("images", "videos"))
            or (method == "GET" and first == "jobs" and "/" in path.strip("/"))
        )

    def _answered_with_error(self) -> str:
        status = f" (HTTP {self.status})" if self.status else ""
        detail = f": {self.api_message.strip()}" if self.api_message else "."
        return f"The API answered with an error{status}{detail}"[:500]

    def _default_message(self) -> str:
        parts = []
        if self.status is not None:
            parts.append(f"HTTP {self.status}")
        if self.endpoint:
            parts.append(f"from {self.endpoint}")
        head = " ".join(parts) or type(self).__name__
        text = self.api_message or self.user_message
        if self.reason and self.reason not in (text or ""):
            text = f"{text} ({self.reason})"
        return f"{head}: {text}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, reason={self.reason!r}, "
            f"api_message={self.api_message!r})"
        )


# --- client-side -------------------------------------------------------------------------------


class RequestValidationError(UseapiError, ValueError):
    """The client refused to send a request the API documents as invalid. Nothing was sent."""

    may_have_reached_service = False

    def __init__(self, param: str, message: str) -> None:
        self.param = param
        super().__init__(
            f"invalid {param}: {message}",
            user_message=f"Invalid {param}: {message}",
        )

    def __repr__(self) -> str:
        return f"RequestValidationError(param={self.param!r}, message={str(self)!r})"


# --- transport ---------------------------------------------------------------------------------


class TransportError(UseapiError):
    """The HTTP exchange itself failed (no usable response)."""


class ConnectionFailed(TransportError):
    """No connection could be made (refused, DNS, connect timeout): the request was not sent."""

    default_user_message = (
        "Could not reach the useapi.net service (the host is unreachable); nothing was sent."
    )
    may_have_reached_service = False
    retry_policy = NOT_SENT


class ResponseLost(TransportError):
    """The request may have been sent but no complete answer came back: the outcome is unknown.

    A generation may be running (and paid for); look the job up before submitting it again.
    """

    retry_policy = AMBIGUOUS

    def _default_user_message(self) -> str:
        if not self.makes_media:
            return "The API did not answer in time (the connection was lost)."
        return (
            "The connection was lost after the request was sent; the job may or may not have "
            "started."
        )


class GatewayError(ResponseLost):
    """A gateway in front of the API failed (502, 504, Cloudflare 52x): outcome unknown."""

    def _default_user_message(self) -> str:
        return (
            f"The API's gateway failed (HTTP {self.status}); the request may or may not have "
            "been processed."
        )


# --- HTTP statuses -----------------------------------------------------------------------------


class MalformedResponse(UseapiError):
    """A success status whose body is not the documented JSON (or is truncated)."""

    default_user_message = "The API sent a response flowdash could not read."
    retry_policy = AMBIGUOUS


class BadRequest(UseapiError):
    """400: the API rejected the request as invalid."""

    def _default_user_message(self) -> str:
        if self.api_message:
            detail = self.api_message.strip().rstrip(".")
            return f"The API rejected the request as invalid: {detail}."
        return "The API rejected the request as invalid."


class ContentPolicy(BadRequest):
    """400 with a Google content-policy reason such as ``PUBLIC_ERROR_UNSAFE_GENERATION``."""

    def _default_user_message(self) -> str:
        if self.reason:
            return f"Google refused the prompt under its content policy ({self.reason})."
        return "Google refused the prompt under its content policy."


class InvalidToken(UseapiError):
    """401: the useapi.net API token is wrong or revoked."""

    default_user_message = (
        "The useapi.net API token was refused (401); an admin must check it on Settings."
    )


class PaymentRequired(UseapiError):
    """402: no useapi.net subscription, or it expired / ran out of credits."""

    default_user_message = "The useapi.net subscription has expired or has no credits left."


class Forbidden(UseapiError):
    """403 that is neither a captcha rejection nor a model-access refusal."""

    default_user_message = "The API refused access to this resource."


class CaptchaRejected(Forbidden):
    """403: Google rejected the request after every captcha attempt."""

    def _default_user_message(self) -> str:
        count = len(self.attempts)
        if count:
            noun = "attempt" if count == 1 else "attempts"
            return (
                f"Google rejected the captcha ({count} {noun}); try again later or review the "
                "captcha providers and their keys on the Captcha page."
            )
        return (
            "Google rejected the request's captcha; try again later or review the captcha "
            "providers and their keys on the Captcha page."
        )


class ModelAccessDenied(Forbidden):
    """403 ``PUBLIC_ERROR_MODEL_ACCESS_DENIED``: the account's plan lacks the chosen model."""

    default_user_message = "This Google account's plan does not give access to the chosen model."


class NotFound(UseapiError):
    """404: the account, job, image or video does not exist."""

    default_user_message = "The account, job or media was not found on useapi.net."


class PollingTimeout(UseapiError):
    """408: the API stopped waiting for Google (3 or 10 minutes); the result may appear later."""

    default_user_message = (
        "The API stopped waiting for Google to finish; the result may still appear later."
    )
    retry_policy = AMBIGUOUS


class JobExpired(UseapiError):
    """410: the job is older than the 7 days useapi.net keeps jobs."""

    default_user_message = "The job has expired on useapi.net (jobs are kept for 7 days)."


class RateLimited(UseapiError):
    """429: throttled, quota reached, or no eligible account. Honour ``retry_after``.

    Turned away unprocessed, so safe to send again later — except a daily quota, which the
    pipeline fails in words (no retry today can cure it)."""

    retry_policy = NOT_SENT

    def _default_user_message(self) -> str:
        what = "Google is limiting requests for now"
        if self.reason:
            what = f"{what} ({self.reason})"
        if self.retry_after:
            return f"{what}; try again in about {math.ceil(self.retry_after)} seconds."
        return f"{what}; try again in a little while."


NO_ELIGIBLE_ACCOUNT = "no_eligible_account"


class NoEligibleAccount(RateLimited):
    """429 ``no_eligible_account``: every account is quarantined (~30 min after throttling);
    nothing can be sent before ``retry_after`` seconds (``Retry-After`` or ``retryAfter``).

    ``skip_reasons`` lists the accounts and why each was skipped (``quarantined`` until …).
    """

    def _default_user_message(self) -> str:
        if self.retry_after:
            seconds = math.ceil(self.retry_after)
            wait = f"{seconds} seconds" if seconds < 120 else f"{math.ceil(seconds / 60)} minutes"
            return (
                "Every Google account is resting (quarantined after throttling); nothing is "
                f"sent for about {wait}."
            )
        return "Every Google account is resting (quarantined after throttling) for now."

    @property
    def skip_reasons(self) -> list[dict[str, Any]]:
        reasons = self.payload.get("skipReasons") if isinstance(self.payload, Mapping) else None
        return [r for r in reasons if isinstance(r, dict)] if isinstance(reasons, list) else []

    def resume_at(self, now: float) -> float | None:
        """When sending may start again (a Unix time), from ``now`` and ``retry_after``."""
        return None if self.retry_after is None else now + self.retry_after


class Moderated(UseapiError):
    """500: Google failed to produce the media, usually because it was moderated."""

    def _default_user_message(self) -> str:
        if not self.makes_media:  # a 500 of the accounts or statistics endpoints
            return self._answered_with_error()
        why = f" ({self.reason})" if self.reason else " (often moderation)"
        return (
            f"Google could not produce this result{why}; retrying or switching the model may help."
        )


Internal = Moderated


class Unavailable(UseapiError):
    """503: temporary capacity problem; safe to retry after a few seconds."""

    default_user_message = (
        "The service is temporarily unavailable (HTTP 503); try again in a few seconds."
    )
    retry_policy = NOT_SENT


class SessionExpired(UseapiError):
    """596: the Google session could not be refreshed; the account must be re-added."""

    default_user_message = (
        "The Google account's session expired; re-add its cookies on the Accounts page."
    )


class InvalidAnswer(UseapiError):
    """A complete, readable answer that does not hold what the API documents (an unknown job
    status, a result with neither a URL nor inline bytes, an unknown model key). The request
    did reach the service; nothing of it can be used, and sending it again would be paid twice.
    """

    default_user_message = "The API answered with something flowdash cannot use."


class UnexpectedStatus(UseapiError):
    """Any status the API does not document."""

    def _default_user_message(self) -> str:
        return f"The API answered with an unexpected status (HTTP {self.status})."


# --- interpreting error bodies ----------------------------------------------------------------

_REASON_IN_TEXT = re.compile(r"\b((?:PUBLIC_ERROR|FINISH_REASON)_[A-Z0-9_]+)\b")
_SNAKE_CODE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$")

# Google reasons that are not about content, even when they come with a 400.
NON_CONTENT_REASONS = frozenset(
    {
        "PUBLIC_ERROR_SOMETHING_WENT_WRONG",
        "PUBLIC_ERROR_MODEL_ACCESS_DENIED",
        "PUBLIC_ERROR_USER_REQUESTS_THROTTLED",
        "PUBLIC_ERROR_PER_MODEL_DAILY_QUOTA_REACHED",
        "PUBLIC_ERROR_PER_MODEL_DAILY_QUOTA_REACHED_UPGRADEABLE",
        "PUBLIC_ERROR_USER_QUOTA_REACHED",
        "PUBLIC_ERROR_UNUSUAL_ACTIVITY",
        "PUBLIC_ERROR_UNUSUAL_ACTIVITY_TOO_MUCH_TRAFFIC",
    }
)


def _detail_reasons(node: Any, depth: int = 0) -> Iterable[str]:
    """Yield ``reason`` values of Google ``details[]`` entries, depth-first in document order."""
    if depth > 8:
        return
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key == "details" and isinstance(value, list):
                for item in value:
                    if isinstance(item, Mapping) and isinstance(item.get("reason"), str):
                        yield item["reason"]
            elif key != "request":  # the request echo never holds the error
                yield from _detail_reasons(value, depth + 1)
    elif isinstance(node, list):
        for item in node:
            yield from _detail_reasons(item, depth + 1)


def error_texts(payload: Any) -> list[str]:
    """Human texts an error body carries (top-level and nested ``error`` / ``message``)."""
    texts: list[str] = []
    if not isinstance(payload, Mapping):
        return texts

    def add_error(value: Any) -> None:
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, Mapping) and isinstance(value.get("message"), str):
            texts.append(value["message"])

    add_error(payload.get("error"))
    for key in ("message", "errorDetails"):
        if isinstance(payload.get(key), str):
            texts.append(payload[key])
    response = payload.get("response")
    if isinstance(response, Mapping):
        add_error(response.get("error"))
        operations = response.get("operations")
        if isinstance(operations, list):
            for op in operations:
                inner = op.get("operation") if isinstance(op, Mapping) else None
                if isinstance(inner, Mapping):
                    add_error(inner.get("error"))
    return texts


def find_reason(payload: Any) -> str | None:
    """The machine reason of an error body, wherever the API put it.

    Looks at Google ``details[].reason`` (top level or under ``response``), then a snake-case
    code in ``error`` / ``reason`` (e.g. ``no_eligible_account``), then a ``PUBLIC_ERROR_*`` or
    ``FINISH_REASON_*`` word inside a message.
    """
    if not isinstance(payload, Mapping):
        return None
    for reason in _detail_reasons(payload):
        return reason
    for key in ("reason", "error"):
        value = payload.get(key)
        if isinstance(value, str) and _SNAKE_CODE.match(value.strip()):
            return value.strip()
    for text in error_texts(payload):
        match = _REASON_IN_TEXT.search(text)
        if match:
            return match.group(1)
    return None


def is_content_reason(reason: str | None) -> bool:
    if not reason:
        return False
    if reason.startswith("FINISH_REASON_"):
        return True
    return reason.startswith("PUBLIC_ERROR_") and reason not in NON_CONTENT_REASONS


_CLOUDFLARE_CODE = re.compile(r"error code:?\s*(\d{4})", re.IGNORECASE)
_GATEWAY_STATUSES = frozenset({502, 504, 520, 521, 522, 523, 524, 525, 526, 527})
_STATUS_CLASSES: dict[int, type[UseapiError]] = {
    401: InvalidToken,
    402: PaymentRequired,
    404: NotFound,
    408: PollingTimeout,
    410: JobExpired,
    429: RateLimited,
    500: Moderated,
    503: Unavailable,
    596: SessionExpired,
}


def api_message_of(payload: Any) -> str | None:
    """The API's ``error`` text (or the Google error's ``message``, or a top-level ``message``)."""
    if not isinstance(payload, Mapping):
        return None
    error = payload.get("error")
    if isinstance(error, str):
        return error
    if isinstance(error, Mapping) and isinstance(error.get("message"), str):
        return error["message"]
    message = payload.get("message")
    return message if isinstance(message, str) else None


def parse_retry_after(
    header: str | None, payload: Any, *, now: float | None = None
) -> float | None:
    """Seconds to wait, from ``Retry-After`` (seconds or HTTP date) or the body's ``retryAfter``."""
    import time
    from email.utils import parsedate_to_datetime

    if header:
        header = header.strip()
        try:
            return max(0.0, float(header))
        except ValueError:
            pass
        try:
            when = parsedate_to_datetime(header)
        except (TypeError, ValueError, IndexError):
            when = None
        if when is not None and when.tzinfo is not None:
            return max(0.0, when.timestamp() - (now if now is not None else time.time()))
    if isinstance(payload, Mapping):
        value = payload.get("retryAfter")
        if isinstance(value, int | float) and not isinstance(value, bool):
            return max(0.0, float(value))
        if isinstance(value, str):
            try:
                return max(0.0, float(value))
            except ValueError:
                return None
    return None


def _scrub(text: str | None, secrets: Iterable[str]) -> str | None:
    if text is None:
        return None
    for secret in secrets:
        if secret and secret in text:
            text = text.replace(secret, "***")
    return text


def _captcha_failure(captcha: CaptchaInfo | None, reason: str | None) -> bool:
    """A 403 with captcha attempts and Google's generic reason: the token was refused."""
    return bool(captcha and captcha.attempts) and reason in (
        None,
        "PUBLIC_ERROR_SOMETHING_WENT_WRONG",
    )


def error_from_response(
    status: int,
    payload: Any,
    headers: Mapping[str, str] | None = None,
    *,
    endpoint: str | None = None,
    body_text: str | None = None,
    secrets: Iterable[str] = (),
) -> UseapiError:
    """The error class and details for an HTTP error answer (``payload`` None if not JSON)."""
    secrets = tuple(secrets)
    headers = headers or {}
    reason = find_reason(payload)
    api_message = _scrub(api_message_of(payload), secrets)
    if payload is None and body_text:
        match = _CLOUDFLARE_CODE.search(body_text)
        if match:
            reason = f"cloudflare_{match.group(1)}"
    captcha = CaptchaInfo.find(payload) if isinstance(payload, Mapping) else None
    cls: type[UseapiError]
    if status == 400:
        cls = ContentPolicy if is_content_reason(reason) else BadRequest
    elif status == 403:
        texts = " ".join(error_texts(payload)).lower()
        if reason == "PUBLIC_ERROR_MODEL_ACCESS_DENIED":
            cls = ModelAccessDenied
        elif "captcha" in texts or _captcha_failure(captcha, reason):
            cls = CaptchaRejected
        else:
            cls = Forbidden
    elif status == 429 and reason == NO_ELIGIBLE_ACCOUNT:
        cls = NoEligibleAccount
    elif status in _STATUS_CLASSES:
        cls = _STATUS_CLASSES[status]
    elif status in _GATEWAY_STATUSES:
        cls = GatewayError
    else:
        cls = UnexpectedStatus
    return cls(
        status=status,
        api_message=api_message,
        reason=reason,
        payload=payload,
        endpoint=endpoint,
        captcha=captcha,
        job_id=job_id_of(payload) if isinstance(payload, Mapping) else None,
        retry_after=parse_retry_after(headers.get("Retry-After"), payload),
    )
