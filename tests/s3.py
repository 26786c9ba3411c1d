"""An S3-compatible server for the tests: moto's standalone server (``moto[server]`` from PyPI),
a real HTTP server in its own process on a spare loopback port, spoken to by boto3 through
django-storages exactly as a deployment speaks to Amazon S3 or MinIO.

``S3Server.storage_config(bucket)`` is the ``STORAGES["default"]`` entry a deployment would get
from ``FLOWDASH_MEDIA_STORAGE`` / ``FLOWDASH_MEDIA_STORAGE_OPTIONS``; ``env(bucket)`` is the same
as environment variables for a worker process.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

from flowdash.lib.ports import free_port, wait_for_port

ACCESS_KEY = "flowdash-test-key"
SECRET_KEY = "flowdash-test-secret"  # noqa: S105 — moto accepts any pair
REGION = "us-east-1"
S3_BACKEND = "storages.backends.s3.S3Storage"


class S3Server:
    def __init__(self) -> None:
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.log = Path(tempfile.mkdtemp(prefix="flowdash-moto-")) / "moto.log"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=self.log.open("a"),
            stderr=subprocess.STDOUT,
        )
        wait_for_port(self.port, timeout=60)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)

    def client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
        )

    def new_bucket(self, prefix: str = "flowdash") -> str:
        name = f"{prefix}-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def options(self, bucket: str) -> dict:
        """``FLOWDASH_MEDIA_STORAGE_OPTIONS`` as the README describes it (no credentials)."""
        return {
            "bucket_name": bucket,
            "endpoint_url": self.endpoint,
            "region_name": REGION,
            "addressing_style": "path",
            "signature_version": "s3v4",
            "file_overwrite": False,
            "querystring_auth": True,
        }

    def storage_config(self, bucket: str) -> dict:
        """What settings.py makes of ``FLOWDASH_MEDIA_STORAGE=S3_BACKEND`` and the options."""
        from flowdash.lib.object_storage import media_backend

        return {"BACKEND": media_backend(S3_BACKEND), "OPTIONS": self.options(bucket)}

    def use(self, bucket: str, settings, monkeypatch) -> None:
        """This process's media in ``bucket``: what settings.py makes of the environment."""
        from flowdash.lib.object_storage import storage_settings

        for name, value in self.env(bucket).items():
            if name.startswith("AWS_"):
                monkeypatch.setenv(name, value)
        for name, value in storage_settings(S3_BACKEND).items():
            setattr(settings, name, value)
        settings.STORAGES = {**settings.STORAGES, "default": self.storage_config(bucket)}

    def env(self, bucket: str) -> dict[str, str]:
        """The environment of a process that keeps its media in ``bucket``."""
        return {
            "FLOWDASH_MEDIA_STORAGE": S3_BACKEND,
            "FLOWDASH_MEDIA_STORAGE_OPTIONS": json.dumps(self.options(bucket)),
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        }

    def keys(self, bucket: str) -> list[str]:
        paginator = self.client().get_paginator("list_objects_v2")
        return [
            item["Key"]
            for page in paginator.paginate(Bucket=bucket)
            for item in page.get("Contents", [])
        ]
