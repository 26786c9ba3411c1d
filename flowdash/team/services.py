"""The address a sign-in is counted against (django-axes calls :func:`client_ip`)."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest

UNKNOWN_ADDRESS = "0.0.0.0"  # noqa: S104 - a label, not a bind


def _address(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str:
    """The client's address: the TCP peer, or behind ``FLOWDASH_PROXY_COUNT`` trusted proxies the
    entry the nearest of them appended to X-Forwarded-For.

    Each proxy appends the address it received the request from, so the client's own address is
    the ``FLOWDASH_PROXY_COUNT``-th entry counted from the right. Entries further left were written
    by the client and are never trusted: changing them neither dodges the throttle nor locks out
    somebody else's address.
    """
    peer = _address(request.META.get("REMOTE_ADDR") or "") or UNKNOWN_ADDRESS
    if not getattr(settings, "FLOWDASH_BEHIND_PROXY", False):
        return peer
    count = max(1, int(getattr(settings, "FLOWDASH_PROXY_COUNT", 1)))
    entries = [e for e in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if e.strip()]
    if not entries:
        return peer
    # Fewer entries than proxies: every entry was written by one of our proxies.
    chosen = entries[-count] if len(entries) >= count else entries[0]
    return _address(chosen) or peer
