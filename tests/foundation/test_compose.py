"""docker-compose.yml agrees with the settings: every variable it sets is one the settings read."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import yaml
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
OUR_SERVICES = ("web", "worker", "beat")


def load_compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def environment_of(service: dict) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    merged: dict[str, str] = {}
    for name in service.get("env_file", []) if isinstance(service.get("env_file"), list) else []:
        path = name["path"] if isinstance(name, dict) else name
        if (ROOT / path).exists():
            merged.update(read_env_file(ROOT / path))
    merged.update({k: str(v) for k, v in env.items()})
    return merged


def read_env_file(path: Path) -> dict[str, str]:
    pairs = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            pairs[key.strip()] = value.strip()
    return pairs


def command_of(service: dict) -> str:
    command = service.get("command", "")
    return " ".join(command) if isinstance(command, list) else command


def test_our_services_set_only_variables_the_settings_read():
    compose = load_compose()
    for name in OUR_SERVICES:
        env = environment_of(compose["services"][name])
        unknown = set(env) - settings.ENV_NAMES
        assert not unknown, f"{name} sets variables the settings never read: {sorted(unknown)}"
        assert {"DATABASE_URL", "REDIS_URL", "FLOWDASH_DATA_DIR", "SECRET_KEY"} <= set(env)


def test_env_example_names_only_variables_that_are_read():
    example = read_env_file(ROOT / ".env.example")
    compose_only = {"POSTGRES_PASSWORD", "FLOWDASH_PORT"}  # used by compose itself, not Django
    unknown = set(example) - settings.ENV_NAMES - compose_only
    assert not unknown, sorted(unknown)


def test_the_services_run_the_right_commands():
    services = load_compose()["services"]
    assert {"web", "worker", "beat", "redis", "postgres"} <= set(services)
    assert "gunicorn" in command_of(services["web"])
    assert "flowdash.wsgi" in command_of(services["web"])
    worker = command_of(services["worker"])
    assert "celery" in worker and " worker" in worker and "--pool threads" in worker
    assert "celery" in command_of(services["beat"]) and " beat" in command_of(services["beat"])


def test_urls_point_at_the_compose_services_and_data_lives_on_the_volume():
    compose = load_compose()
    services = compose["services"]
    for name in OUR_SERVICES:
        env = environment_of(services[name])
        database = urlparse(env["DATABASE_URL"])
        assert database.scheme.startswith("postgres")
        assert database.hostname == "postgres"
        postgres_env = environment_of(services["postgres"])
        assert database.path.lstrip("/") == postgres_env["POSTGRES_DB"]
        assert urlparse(env["REDIS_URL"]).hostname == "redis"
        mounts = [
            v.split(":")[1] if isinstance(v, str) else v["target"]
            for v in services[name].get("volumes", [])
        ]
        assert env["FLOWDASH_DATA_DIR"] in mounts, f"{name} keeps its data off the volume"
        assert env.get("DEBUG", "0").lower() in {"0", "false", "off", "no"}
    assert set(compose.get("volumes", {})) >= {"flowdash-data"}
