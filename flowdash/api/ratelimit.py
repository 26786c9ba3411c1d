"""A per-key rate limit kept in Redis (the broker's): a fixed one-minute window per key.

When Redis does not answer, calls are let through (logged): an outage of Redis must not stop
scripts whose jobs the database alone can take.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from django.conf import settings

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60
_clients: dict[str, object] = {}
_last_warning = [0.0]


def _redis():
    from flowdash.celery import app

    url = str(app.conf.broker_url or "")
    if url not in _clients:
        client = None
        if url.startswith(("redis://", "rediss://", "redis+socket://", "unix://")):
            import redis

            address = url.replace("redis+socket://", "unix://", 1)
            client = redis.Redis.from_url(address, socket_timeout=0.5, socket_connect_timeout=0.5)
        _clients[url] = client
    return _clients[url]


@dataclass
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    retry_after: int


def hit(key_id: str, now: float | None = None) -> Verdict:
    """Count one call of the key ``key_id`` (its public prefix) and say whether it is within the limit."""
    limit = int(getattr(settings, "FLOWDASH_API_RATE_LIMIT", 120))
    now = time.time() if now is None else now
    window = int(now // WINDOW_SECONDS)
    retry_after = max(1, int((window + 1) * WINDOW_SECONDS - now + 0.999))
    client = _redis()
    if client is None or limit <= 0:
        return Verdict(True, limit, limit, 0)
    name = f"flowdash:api:rate:{key_id}:{window}"
    try:
        pipe = client.pipeline()
        pipe.incr(name)
        pipe.expire(name, WINDOW_SECONDS + 5)
        count = int(pipe.execute()[0])
    except Exception:  # noqa: BLE001 — Redis away: let the call through
        if now - _last_warning[0] > WINDOW_SECONDS:  # once a minute, not once a call
            _last_warning[0] = now
            logger.warning("API rate limit: Redis did not answer; calls are let through")
        return Verdict(True, limit, limit, 0)
    return Verdict(count <= limit, limit, max(0, limit - count), retry_after)
