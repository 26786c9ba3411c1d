"""Settings for media on S3-compatible storage (django-storages' S3 backend).

django-storages uploads a file object with boto3's managed transfer: multipart in parts once a
file passes the threshold. boto3's defaults read up to ten 8 MB parts ahead into memory and send
ten at a time, so a worker storing a 500 MB result could hold most of it in memory. flowdash
stores results from a thread pool, several at once, and wants each to cost little: parts of
5 MB (S3's smallest), two sent at a time, two read ahead — about 20-30 MB per upload whatever
the file's size (bench/scale.py: a 100 MB result grew the process by 27 MB; 8 MB parts: 44 MB).
That is for a file object, whose parts boto3 reads into memory; a file already on disk (a
downloaded result, an upload spooled to disk) is uploaded from its path by flowdash's subclass
of django-storages' class (``flowdash.lib.s3_media``), reading each part from the disk as it is
sent: a 500 MB result grows the process by about 6 MB in the upload.
"""

from __future__ import annotations

PART_SIZE = 5 << 20
S3_BACKEND_PREFIX = "storages.backends.s3"
# django-storages' S3 class by the names a deployment gives it, and the subclass used instead
S3_BACKENDS = ("storages.backends.s3.S3Storage", "storages.backends.s3boto3.S3Boto3Storage")
S3_MEDIA_BACKEND = "flowdash.lib.s3_media.S3MediaStorage"


def is_s3_backend(backend: str) -> bool:
    return backend.startswith(S3_BACKEND_PREFIX) or backend == S3_MEDIA_BACKEND


def media_backend(backend: str) -> str:
    """The storage class that keeps media for the configured ``backend``: django-storages'
    S3 class becomes flowdash's subclass of it (same options; files on disk are uploaded from
    their path), any other class is itself."""
    return S3_MEDIA_BACKEND if backend in S3_BACKENDS else backend


def transfer_config():
    """boto3's TransferConfig for media uploads and downloads (bounded memory)."""
    from boto3.s3.transfer import TransferConfig

    config = TransferConfig(
        multipart_threshold=PART_SIZE,
        multipart_chunksize=PART_SIZE,
        max_concurrency=2,
        max_io_queue=4,
    )
    # s3transfer's own limits on parts read ahead (boto3 does not take them as arguments)
    config.max_in_memory_upload_chunks = 2
    config.max_in_memory_download_chunks = 2
    return config


def storage_settings(backend: str) -> dict:
    """Django settings to add for the media storage ``backend`` (none unless it is S3), so
    that boto3 is imported only by deployments that use it."""
    if not is_s3_backend(backend):
        return {}
    return {"AWS_S3_TRANSFER_CONFIG": transfer_config()}
