"""Stored files for tools that need a real path (PyAV/ffmpeg), on any Django storage.

A file-system storage has paths; S3-compatible storages do not (``storage.path()`` raises
NotImplementedError), and Django's InMemoryStorage answers with a path where no file is. Code
that must hand a path to a library asks :func:`local_path` instead of ``storage.path()``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from django.core.files.storage import Storage

CHUNK = 1 << 20


@contextmanager
def local_path(storage: Storage, name: str, *, chunk_size: int = CHUNK) -> Iterator[Path]:
    """A real path holding the stored file ``name`` while the block runs.

    The storage's own path when it names a real file (nothing is copied); otherwise a private
    temporary copy, streamed ``chunk_size`` bytes at a time and removed when the block ends,
    even on error. The copy keeps the name's extension, which decoders use to guess the format.
    A file missing from the storage raises FileNotFoundError.
    """
    try:
        own = storage.path(name)
    except NotImplementedError:
        own = None
    if own is not None and os.path.isfile(own):
        yield Path(own)
        return
    handle, temp_name = tempfile.mkstemp(prefix="flowdash-copy-", suffix=PurePosixPath(name).suffix)
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "wb") as target, storage.open(name, "rb") as source:
            shutil.copyfileobj(source, target, chunk_size)
        yield temp
    finally:
        temp.unlink(missing_ok=True)
