"""Can this process do its work? The database, Redis and the media storage, each asked within
a deadline. ``/readyz/`` answers with these, and ``manage.py check`` names a storage that
cannot be used (a wrong bucket, refused credentials, an endpoint that does not answer).
"""

from __future__ import annotations

import concurrent.futures
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

DEADLINE = 3.0  # seconds for all the checks together

_pool = concurrent.futures.ThreadPoolExecutor(max_workers=6, thread_name_prefix="readyz")


@dataclass
class Part:
    name: str
    ok: bool
    detail: str


def check_database() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "answers"


def check_redis() -> str:
    from flowdash.jobs.nudges import redis_client

    client = redis_client()
    if client is None:
        raise RuntimeError("the broker is not a Redis URL")
    client.ping()
    return "answers"


def check_storage() -> str:
    """One request that only a usable storage answers: S3 — the bucket exists and our
    credentials may use it (HEAD bucket); a file system — the media folder is writable."""
    from django.core.files.storage import FileSystemStorage, storages

    storage = storages["default"]
    if isinstance(storage, FileSystemStorage):
        root = Path(storage.location)
        root.mkdir(parents=True, exist_ok=True)
        if not os.access(root, os.W_OK):
            raise RuntimeError(f"the media folder {root} is not writable")
        return f"folder {root}"
    bucket = getattr(storage, "bucket_name", None)
    if bucket and hasattr(storage, "connection"):
        return _check_bucket(storage, bucket)
    storage.exists("flowdash-readiness-probe")
    return type(storage).__name__


def _check_bucket(storage, bucket: str) -> str:
    from botocore.exceptions import BotoCoreError, ClientError

    endpoint = getattr(storage, "endpoint_url", None) or "Amazon S3"
    try:
        storage.connection.meta.client.head_bucket(Bucket=bucket)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code = str(error.get("Code") or "")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in {"404", "NoSuchBucket", "NotFound"} or status == 404:
            raise RuntimeError(f"bucket {bucket!r} does not exist at {endpoint}") from None
        if code in {"403", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"} or (
            status in {401, 403}
        ):
            raise RuntimeError(
                f"the credentials were refused for bucket {bucket!r} at {endpoint} ({status})"
            ) from None
        raise RuntimeError(f"bucket {bucket!r} at {endpoint}: {code or status}") from None
    except BotoCoreError as exc:
        raise RuntimeError(f"cannot reach {endpoint} ({type(exc).__name__})") from None
    return f"bucket {bucket!r} at {endpoint}"


def describe_storage() -> str:
    from django.core.files.storage import storages

    try:
        storage = storages["default"]
    except Exception:  # noqa: BLE001
        return "the media storage"
    bucket = getattr(storage, "bucket_name", None)
    if bucket:
        return f"bucket {bucket!r} at {getattr(storage, 'endpoint_url', None) or 'Amazon S3'}"
    return type(storage).__name__


CHECKS: dict[str, Callable[[], str]] = {
    "database": check_database,
    "redis": check_redis,
    "storage": check_storage,
}


def check_parts(names=None, deadline: float | None = None) -> list[Part]:
    """Every check at once in threads; one that has not answered by the deadline fails
    (``deadline`` defaults to the READYZ_DEADLINE setting, else 3 s)."""
    from django.conf import settings

    if deadline is None:
        deadline = float(getattr(settings, "READYZ_DEADLINE", DEADLINE))
    names = list(names or CHECKS)
    futures = {name: _pool.submit(_run, CHECKS[name]) for name in names}
    done, _ = concurrent.futures.wait(futures.values(), timeout=deadline)
    parts = []
    for name, future in futures.items():
        if future not in done:
            what = f"{describe_storage()} gave" if name == "storage" else "gave"
            parts.append(Part(name, False, f"{what} no answer within {deadline:g} s"))
            continue
        ok, detail = future.result()
        parts.append(Part(name, ok, detail))
    return parts


def _run(check: Callable[[], str]) -> tuple[bool, str]:
    from django.db import connection

    try:
        return True, check()
    except Exception as exc:  # noqa: BLE001 — every failure is an answer, in words
        return False, str(exc) or type(exc).__name__
    finally:
        connection.close()  # this thread's connection, if it opened one
