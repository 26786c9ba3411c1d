"""docker-compose.scale.yml on top of docker-compose.yml: a second worker with a data volume of
its own, media in an S3-compatible store, the same shared settings everywhere, one beat."""

from __future__ import annotations

import json
import shlex
from urllib.parse import urlparse

import yaml
from django.conf import settings

from tests.foundation.test_compose import ROOT, command_of, environment_of, load_compose

SCALE = ROOT / "docker-compose.scale.yml"
OURS = ("web", "worker", "worker-2", "beat")
SHARED = ("SECRET_KEY", "FLOWDASH_ENCRYPTION_KEY", "DATABASE_URL", "REDIS_URL")


def merged() -> dict:
    """What `docker compose -f docker-compose.yml -f docker-compose.scale.yml` runs: mappings
    (environment, build, depends_on) merged, other keys replaced."""
    base = load_compose()
    override = yaml.safe_load(SCALE.read_text())
    services = {name: dict(service) for name, service in base["services"].items()}
    for name, extra in override["services"].items():
        service = services.setdefault(name, {})
        for key, value in extra.items():
            if isinstance(value, dict) and isinstance(service.get(key), dict):
                service[key] = {**service[key], **value}
            else:
                service[key] = value
    volumes = {**base.get("volumes", {}), **override.get("volumes", {})}
    return {"services": services, "volumes": volumes}


def mounts(service: dict) -> dict[str, str]:
    return {v.split(":")[1]: v.split(":")[0] for v in service.get("volumes", [])}


def test_a_second_worker_with_its_own_disk_and_the_same_shared_settings():
    services = merged()["services"]
    envs = {name: environment_of(services[name]) for name in OURS}
    for name in SHARED:
        assert len({envs[s][name] for s in OURS}) == 1, f"{name} differs between services"
    assert mounts(services["worker"])["/data"] != mounts(services["worker-2"])["/data"]
    names = [shlex.split(command_of(services[s])) for s in ("worker", "worker-2")]
    assert all(" ".join(n[:4]) == "celery -A flowdash worker" for n in names)
    assert names[0][names[0].index("-n") + 1] != names[1][names[1].index("-n") + 1]


def test_every_process_keeps_media_in_the_bucket_of_the_store_service():
    services = merged()["services"]
    for name in OURS:
        env = environment_of(services[name])
        assert env["FLOWDASH_MEDIA_STORAGE"] == "storages.backends.s3.S3Storage"
        options = json.loads(env["FLOWDASH_MEDIA_STORAGE_OPTIONS"])
        assert urlparse(options["endpoint_url"]).hostname in services
        assert "access_key" not in options and "secret_key" not in options
        assert {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} <= set(env)
        unknown = {k for k in env if not k.startswith("AWS_")} - settings.ENV_NAMES
        assert not unknown, f"{name} sets variables nobody reads: {sorted(unknown)}"
        build = services[name].get("build")
        if build:
            assert build["args"]["FLOWDASH_EXTRAS"] == "s3"


def test_exactly_one_beat():
    services = merged()["services"]
    beats = [
        name
        for name, service in services.items()
        if " beat" in command_of(service) or " -B" in command_of(service)
    ]
    assert beats == ["beat"]


def test_the_web_healthcheck_asks_readyz():
    web = load_compose()["services"]["web"]
    assert "/readyz/" in " ".join(web["healthcheck"]["test"])
