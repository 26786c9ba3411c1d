"""Fault switches: per endpoint and/or per account, once, N times or until cleared.

A fault is ``{kind, endpoint?, method?, email?, times?, **params}``:

* ``endpoint`` is a glob over the API path template without the prefix, e.g. ``images``,
  ``videos/extend``, ``videos*``, ``accounts/{email}``, ``jobs/{jobId}`` (``POST /images`` and
  ``/v1/google-flow/images`` are accepted too); none = every API endpoint.
* ``email`` limits it to requests served by that account (after load balancing / routing by
  references); none = any account (and requests that use no account).
* ``times``: an integer ≥ 1 (``1`` = once) or null = until cleared.

Kinds (see README.md for bodies): the service answers ``throttled``, ``daily_quota``,
``no_eligible_account``, ``unavailable``, ``session_expired``, ``captcha_rejected``, ``unsafe``,
``no_subscription``, ``polling_timeout``, ``custom``; the job fails after it was accepted:
``moderated``, ``job_fail``; callbacks are lost: ``webhook_lost``; transport: ``delay``,
``drop``, ``garbage``, ``truncated`` (param ``when``: ``before`` or ``after`` the work);
signed media URLs (``/_media/…``, endpoint ``_media``): ``media_slow`` (the file trickles out
over ``seconds`` real seconds), ``media_fake`` (200 with bytes that are not the promised file),
``media_cut`` (the headers promise the whole file, half of it comes, then the socket closes).
"""

from __future__ import annotations

import fnmatch
import itertools
import threading
from dataclasses import dataclass, field
from typing import Any

SERVICE_KINDS = frozenset(
    {
        "throttled",
        "daily_quota",
        "no_eligible_account",
        "unavailable",
        "session_expired",
        "captcha_rejected",
        "unsafe",
        "no_subscription",
        "polling_timeout",
        "custom",
    }
)
JOB_KINDS = frozenset({"moderated", "job_fail"})
WEBHOOK_KINDS = frozenset({"webhook_lost"})
TRANSPORT_KINDS = frozenset({"delay", "drop", "garbage", "truncated"})
MEDIA_KINDS = frozenset({"media_slow", "media_fake", "media_cut"})
KINDS = SERVICE_KINDS | JOB_KINDS | WEBHOOK_KINDS | TRANSPORT_KINDS | MEDIA_KINDS
MEDIA_ENDPOINT = "_media"
DEFAULT_WHEN = {"delay": "before", "drop": "before", "garbage": "after", "truncated": "after"}
PREFIX = "v1/google-flow/"
METHODS = ("GET", "POST", "DELETE", "PUT", "PATCH")


class FaultError(ValueError):
    pass


def normalize_endpoint(endpoint: str | None) -> tuple[str | None, str | None]:
    """Split ``"POST /images"`` into (``"POST"``, ``"images"``)."""
    if endpoint is None or not str(endpoint).strip():
        return None, None
    text = str(endpoint).strip()
    method = None
    head, _, rest = text.partition(" ")
    if head.upper() in METHODS and rest:
        method, text = head.upper(), rest.strip()
    text = text.strip("/")
    if text.startswith(PREFIX):
        text = text[len(PREFIX) :]
    return method, text


@dataclass
class Fault:
    id: int
    kind: str
    endpoint: str | None = None
    method: str | None = None
    email: str | None = None
    times: int | None = None
    params: dict[str, Any] = field(default_factory=dict)
    remaining: int | None = None
    hits: int = 0

    @property
    def when(self) -> str:
        return str(self.params.get("when") or DEFAULT_WHEN.get(self.kind, "before"))

    def matches(self, endpoint: str, method: str, email: str | None) -> bool:
        if self.method and self.method != method:
            return False
        if self.endpoint and not fnmatch.fnmatchcase(endpoint, self.endpoint):
            return False
        return not self.email or (email or "").lower() == self.email

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "endpoint": self.endpoint,
            "method": self.method,
            "email": self.email,
            "times": self.times,
            "remaining": self.remaining,
            "hits": self.hits,
            "params": dict(self.params),
        }


class FaultBook:
    """The active faults, checked in the order they were added."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def add(
        self,
        kind: str,
        *,
        endpoint: str | None = None,
        email: str | None = None,
        method: str | None = None,
        times: int | None = None,
        **params: Any,
    ) -> Fault:
        if kind not in KINDS:
            raise FaultError(f"unknown fault kind {kind!r}; known: {', '.join(sorted(KINDS))}")
        if times is not None and (
            isinstance(times, bool) or not isinstance(times, int) or times < 1
        ):
            raise FaultError("times must be an integer >= 1, or null for 'until cleared'")
        ep_method, ep = normalize_endpoint(endpoint)
        if method is not None:
            method = str(method).upper()
            if method not in METHODS:
                raise FaultError(f"unknown method {method!r}")
        if "when" in params and params["when"] not in ("before", "after"):
            raise FaultError("when must be 'before' or 'after'")
        for key in ("seconds", "retryAfter"):
            if key in params and (
                isinstance(params[key], bool) or not isinstance(params[key], int | float)
            ):
                raise FaultError(f"{key} must be a number")
        if kind == "custom" and not isinstance(params.get("status"), int):
            raise FaultError("a custom fault needs an integer status")
        fault = Fault(
            id=next(self._ids),
            kind=kind,
            endpoint=ep,
            method=method or ep_method,
            email=email.strip().lower() if email else None,
            times=times,
            params=params,
            remaining=times,
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def add_spec(self, spec: dict[str, Any]) -> Fault:
        """Add a fault from its JSON form (the control endpoint's body)."""
        if not isinstance(spec, dict) or not isinstance(spec.get("kind"), str):
            raise FaultError("a fault needs a 'kind'")
        params = dict(spec.get("params") or {})
        for key, value in spec.items():
            if key not in ("kind", "endpoint", "email", "method", "times", "params"):
                params[key] = value
        times = spec.get("times")
        if times == "once":
            times = 1
        elif times in ("always", "forever", "until_cleared", "until cleared"):
            times = None
        return self.add(
            spec["kind"],
            endpoint=spec.get("endpoint"),
            email=spec.get("email"),
            method=spec.get("method"),
            times=times,
            **params,
        )

    def take(
        self,
        kinds: frozenset[str] | set[str],
        *,
        endpoint: str,
        method: str,
        email: str | None,
        when: str | None = None,
    ) -> Fault | None:
        """Return and consume one use of the first matching fault of ``kinds``."""
        with self._lock:
            for fault in self._faults:
                if fault.kind not in kinds or not fault.matches(endpoint, method, email):
                    continue
                if when is not None and fault.when != when:
                    continue
                fault.hits += 1
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                return fault
        return None

    def list(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def remove(self, fault_id: int) -> bool:
        with self._lock:
            for fault in self._faults:
                if fault.id == fault_id:
                    self._faults.remove(fault)
                    return True
        return False

    def clear(self) -> int:
        with self._lock:
            count = len(self._faults)
            self._faults.clear()
            return count
