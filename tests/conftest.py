"""Shared fixtures: users with roles, and the real parts (Redis, a Celery worker, the simulator)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; the ORM calls made by the test
# itself are still synchronous and safe there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


# --- People ------------------------------------------------------------------------------------


@pytest.fixture
def make_user(db):
    from django.contrib.auth import get_user_model

    from flowdash.team.roles import set_role

    def make(username: str, role: str | None, password: str = "a-long-password-1") -> object:
        user = get_user_model().objects.create_user(username, f"{username}@example.com", password)
        if role:
            set_role(user, role)
        return user

    return make


@pytest.fixture
def admin_user(make_user):
    return make_user("alice", "admin")


@pytest.fixture
def creator_user(make_user):
    return make_user("carol", "creator")


@pytest.fixture
def viewer_user(make_user):
    return make_user("victor", "viewer")


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def viewer_client(client, viewer_user):
    client.force_login(viewer_user)
    return client


# --- Real parts --------------------------------------------------------------------------------


class RedisServer:
    def __init__(self, port: int, process: subprocess.Popen | None, url: str) -> None:
        self.port, self.process, self.url = port, process, url

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


def start_redis() -> RedisServer:
    """A private redis-server (the embedded binary) on a spare loopback port."""
    from flowdash.lib.embedded_redis import server_args

    port = free_port()
    data_dir = Path(tempfile.mkdtemp(prefix="flowdash-redis-"))
    process = subprocess.Popen(
        server_args(data_dir=data_dir, port=port, persist=False),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(port)
    return RedisServer(port, process, f"redis://127.0.0.1:{port}/0")


@pytest.fixture(scope="session")
def redis_server():
    """Redis at REDIS_URL when the environment names one, else a private embedded one."""
    url = os.environ.get("REDIS_URL")
    if url:
        yield RedisServer(0, None, url)
        return
    server = start_redis()
    yield server
    server.stop()
