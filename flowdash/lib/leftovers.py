"""Temporary files that a killed process leaves behind, found and removed by ``check_storage``.

Every writer of a temporary file removes it when it ends, even on error; only a process killed
mid-write (SIGKILL, out of memory, a machine stop) leaves one. Where they are:

* ``MEDIA_ROOT/tmp/media-<id>-*.part`` — a result download (jobs.downloads), and
  ``.<name>.*.part`` beside a download target (lib.safe_download, useapi.client);
* ``FILE_UPLOAD_TEMP_DIR/*.upload*`` — an upload bigger than FILE_UPLOAD_MAX_MEMORY_SIZE that
  Django was spooling to disk when the web process died;
* ``<system temp>/flowdash-copy-*`` and ``flowdash-postprod-*`` — private copies of stored files (lib.storage_files) and the
  post-production work folders (postprod.services).

A file counts as stale once it has not been written for ``grace``: a download or an upload still
running writes to its file all the time.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.conf import settings

# What our own code names in the system temp folder (lib.storage_files, postprod.services).
SYSTEM_TEMP_PATTERNS = (
    ("flowdash-copy-*", "temporary copy of a stored file"),
    ("flowdash-postprod-*", "post-production work folder"),
)


@dataclass(frozen=True)
class Leftover:
    path: Path
    what: str
    size: int
    age_seconds: float


def _age(path: Path, now: float) -> float | None:
    try:
        return now - path.lstat().st_mtime
    except OSError:
        return None  # gone meanwhile


def _size(path: Path) -> int:
    try:
        if path.is_dir() and not path.is_symlink():
            return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file())
        return path.lstat().st_size
    except OSError:
        return 0


def _candidates() -> Iterator[tuple[Path, str]]:
    media_root = Path(settings.MEDIA_ROOT)
    if media_root.is_dir():
        for path in media_root.rglob("*.part"):
            if path.is_file() and not path.is_symlink():
                yield path, "unfinished download"
    upload_dir = getattr(settings, "FILE_UPLOAD_TEMP_DIR", None)
    if upload_dir and Path(upload_dir).is_dir():
        for path in Path(upload_dir).glob("*.upload*"):
            if path.is_file() and not path.is_symlink():
                yield path, "unfinished upload"
    system_tmp = Path(tempfile.gettempdir())
    for pattern, what in SYSTEM_TEMP_PATTERNS:
        for path in system_tmp.glob(pattern):
            if not path.is_symlink() and (path.is_dir() or path.is_file()):
                yield path, what


def find_leftovers(grace: timedelta) -> tuple[list[Leftover], list[Leftover]]:
    """(stale, recent) temporary files; recent ones may belong to a process still running."""
    now = time.time()
    stale: list[Leftover] = []
    recent: list[Leftover] = []
    for path, what in _candidates():
        age = _age(path, now)
        if age is None:
            continue
        if path.is_dir():
            # A folder is as young as the newest file in it.
            ages = [a for a in (_age(p, now) for p in path.rglob("*")) if a is not None]
            age = min([age, *ages])
        item = Leftover(path=path, what=what, size=_size(path), age_seconds=age)
        (recent if age < grace.total_seconds() else stale).append(item)
    return stale, recent


def remove_leftovers(items: list[Leftover]) -> list[Leftover]:
    """Delete the given leftovers; returns those that were removed."""
    removed = []
    for item in items:
        try:
            if item.path.is_dir() and not item.path.is_symlink():
                shutil.rmtree(item.path)
            else:
                item.path.unlink()
        except FileNotFoundError:
            continue
        except OSError:
            continue  # not ours to remove (permissions): listed again next time
        removed.append(item)
    return removed
