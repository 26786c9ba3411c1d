"""``/readyz/`` and ``manage.py check`` name the part that cannot be used: the database, Redis
(a real one, then a port where nothing listens) or the media storage (moto's S3 server: a bucket
that does not exist, an endpoint that does not answer)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.urls import reverse

from flowdash.lib.ports import free_port
from tests.conftest import ROOT

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def patient(settings):
    """These tests are about which part is named, not about speed: a loaded machine may take
    more than the production deadline to answer (the deadline itself is tested below)."""
    settings.READYZ_DEADLINE = 30.0


def readyz(client) -> tuple[int, dict]:
    response = client.get(reverse("system:readyz"))
    return response.status_code, response.json()


def test_ready_when_database_redis_and_storage_answer(
    client, redis_server, use_broker, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    use_broker(redis_server.url)
    status, body = readyz(client)
    assert status == 200, body
    assert {name for name, part in body["checks"].items() if part["ok"]} == {
        "database",
        "redis",
        "storage",
    }


def test_redis_that_does_not_answer_is_named(client, use_broker, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    use_broker(f"redis://127.0.0.1:{free_port()}/0")
    status, body = readyz(client)
    assert status == 503
    assert [line.split(":")[0] for line in body["failing"]] == ["redis"]
    assert body["checks"]["database"]["ok"] and body["checks"]["storage"]["ok"]


def test_a_missing_bucket_is_named(
    client, redis_server, use_broker, s3_server, settings, monkeypatch
):
    use_broker(redis_server.url)
    s3_server.use("flowdash-no-such-bucket", settings, monkeypatch)
    status, body = readyz(client)
    assert status == 503
    assert body["failing"] == [
        f"storage: bucket 'flowdash-no-such-bucket' does not exist at {s3_server.endpoint}"
    ]


def test_an_endpoint_that_does_not_answer_is_named(
    client, redis_server, use_broker, s3_server, settings, monkeypatch
):
    use_broker(redis_server.url)
    s3_server.use("flowdash-media", settings, monkeypatch)
    nowhere = f"http://127.0.0.1:{free_port()}"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            **settings.STORAGES["default"],
            "OPTIONS": {**settings.STORAGES["default"]["OPTIONS"], "endpoint_url": nowhere},
        },
    }
    status, body = readyz(client)
    assert status == 503
    [failing] = body["failing"]
    assert failing.startswith("storage: ") and nowhere in failing


def test_a_part_that_does_not_answer_in_time_is_named(client, settings, use_broker):
    """A hung Redis: the port accepts connections and never answers."""
    import socket

    settings.READYZ_DEADLINE = 0.5
    with socket.socket() as hung:
        hung.bind(("127.0.0.1", 0))
        hung.listen(8)
        use_broker(f"redis://127.0.0.1:{hung.getsockname()[1]}/0")
        status, body = readyz(client)
    assert status == 503 and "redis: gave no answer within 0.5 s" in body["failing"]


def test_healthz_stays_cheap_and_up_whatever_redis_does(client, use_broker):
    use_broker(f"redis://127.0.0.1:{free_port()}/0")
    response = client.get(reverse("dashboard:healthz"))
    assert response.status_code == 200


def manage_check(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_manage_check_names_a_missing_bucket_and_passes_once_it_exists(s3_server, tmp_path):
    env = {**s3_server.env("flowdash-made-later"), "FLOWDASH_DATA_DIR": str(tmp_path)}
    result = manage_check(env)
    assert result.returncode != 0
    assert "flowdash.E100" in result.stderr
    assert "bucket 'flowdash-made-later' does not exist" in result.stderr
    s3_server.client().create_bucket(Bucket="flowdash-made-later")
    result = manage_check(env)
    assert result.returncode == 0, result.stderr


def test_manage_check_names_an_unreachable_endpoint(s3_server, tmp_path):
    env = {**s3_server.env("flowdash-media"), "FLOWDASH_DATA_DIR": str(tmp_path)}
    options = json.loads(env["FLOWDASH_MEDIA_STORAGE_OPTIONS"])
    options["endpoint_url"] = f"http://127.0.0.1:{free_port()}"
    env["FLOWDASH_MEDIA_STORAGE_OPTIONS"] = json.dumps(options)
    result = manage_check(env)
    assert result.returncode != 0
    assert f"cannot reach {options['endpoint_url']}" in result.stderr
