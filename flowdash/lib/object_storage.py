"""Settings for media on S3-compatible storage (django-storages' S3 backend).

django-storages uploads a file object with boto3's managed transfer: multipart in parts once a
file passes the threshold. boto3's defaults read up to ten 8 MB parts ahead into memory and send
ten at a time, so a worker storing a 500 MB result could hold most of it in memory. flowdash
stores results from a thread pool, several at once, and wants each to cost little: parts of
5 MB (S3's smallest), two sent at a time, two read ahead — about 20-30 MB per upload whatever
the file's size (bench/scale.py: a 100 MB result grew the process by 27 MB; 8 MB parts: 44 MB).
"""

from __future__ import annotations

PART_SIZE = 5 << 20
S3_BACKEND_PREFIX = "storages.backends.s3"


def is_s3_backend(backend: str) -> bool:
    return backend.startswith(S3_BACKEND_PREFIX)


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
