"""django-storages' S3 backend, uploading a file that is already on this machine's disk from
its path (flowdash stands it in for ``storages.backends.s3.S3Storage``: see
``flowdash.lib.object_storage.media_backend``).

Given an open file, boto3's managed transfer reads each part into memory before sending it
(threads cannot share one file handle), and a part waiting for its turn is held too: with
5 MB parts, two sent at a time, about 15 MB of parts plus allocator slack — a 500 MB result
grew a worker by 26 MB in the upload alone. Given the path, each part is read from the disk
as it is sent, by a handle of its own, so a part is never held whole (6 MB for the same file)
and a retried part is read again from the disk. Anything that is not a plain file on disk
(an in-memory upload, a thumbnail's bytes) goes through django-storages unchanged.
"""

from __future__ import annotations

import io
import os

from storages.backends.s3 import S3Storage
from storages.utils import clean_name


def local_path(content) -> str | None:
    """The path of ``content``'s file on this machine's disk, or None when it is not one (an
    upload spooled to disk counts; a path that now names another file does not)."""
    if hasattr(content, "temporary_file_path"):
        return content.temporary_file_path()
    fileobj = getattr(content, "file", content)
    path = getattr(fileobj, "name", None)
    if not isinstance(path, str):
        return None
    try:
        same = os.path.samestat(os.fstat(fileobj.fileno()), os.stat(path))
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return None
    return path if same else None


class S3MediaStorage(S3Storage):
    """``S3Storage`` with the same options; files on disk are uploaded from their path."""

    def _save(self, name, content):
        path = local_path(content)
        if path is None or self.gzip:  # gzip compresses from the file object
            return super()._save(name, content)
        cleaned_name = clean_name(name)
        name = self._normalize_name(cleaned_name)
        params = self._get_write_parameters(name, content)
        self.bucket.Object(name).upload_file(path, ExtraArgs=params, Config=self.transfer_config)
        return cleaned_name
