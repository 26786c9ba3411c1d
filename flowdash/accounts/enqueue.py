"""Enqueueing from views: after the commit, with an expiry, and never failing the page.

A stopped broker must not turn a page into an error: the page shows its stored data, and its
"waiting for the worker" note turns into "is the worker running?" once the wait is over.
"""

from __future__ import annotations

import logging

from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue_after_commit(task, *args, expires: float | None = None) -> None:
    def send() -> None:
        try:
            task.apply_async(args=args, expires=expires)
        except Exception as exc:  # the broker is down or unreachable
            logger.warning("could not enqueue %s: %s", task.name, type(exc).__name__)

    transaction.on_commit(send)
