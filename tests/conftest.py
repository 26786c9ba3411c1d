"""Shared fixtures: users with roles, and the real parts (Redis, a Celery worker, the simulator)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from flowdash.lib.ports import free_port, wait_for_port

# Playwright's sync API runs an event loop in the test thread; the ORM calls made by the test
# itself are still synchronous and safe there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
# The simulator a test starts speaks the documented 2026-02 era unless a test asks for another;
# processes the tests start (workers, beat, web) inherit this, so their client speaks it too.
os.environ.setdefault("FLOWDASH_SIM_API", "2026-02")

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _forget_masked_token():
    """The banner's cached masked token (see accounts.connection) does not outlive a test whose
    database rows are rolled back."""
    yield
    from django.core.cache import cache

    from flowdash.accounts.connection import MASKED_TOKEN_KEY

    cache.delete(MASKED_TOKEN_KEY)


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


@pytest.fixture(scope="session")
def simulator(tmp_path_factory):
    """The API simulator over real HTTP on a spare loopback port, near-instant."""
    from flowdash.simulator.server import SimulatorServer

    server = SimulatorServer(
        host="127.0.0.1",
        port=0,
        speed=float(os.environ.get("FLOWDASH_TEST_SIM_SPEED", "500")),
        data_dir=tmp_path_factory.mktemp("simulator"),
        token=SIM_TOKEN,
    )
    server.start()
    yield server
    server.stop()


SIM_TOKEN = "user:1000-sandbox"


@pytest.fixture
def use_simulator(settings, simulator):
    """Point this process's API settings at the simulator, as a deployment with a token would."""
    settings.USEAPI_BASE_URL = simulator.base_url
    settings.USEAPI_TOKEN = SIM_TOKEN
    settings.FLOWDASH_SANDBOX = False
    settings.FLOWDASH_SIM_API = simulator.state.era  # the client speaks the simulator's era
    return simulator


def sent_sql(captured: list[dict]) -> list[str]:
    """The SQL of each captured query, a prepared statement's ``EXECUTE name(…)`` (PostgreSQL,
    see lib.database.execute_prepared) as the SQL prepared under that name."""
    from flowdash.lib.database import PREPARED

    texts = []
    for query in captured:
        sql = query["sql"]
        name = sql.removeprefix("EXECUTE ").split("(", 1)[0] if sql.startswith("EXECUTE ") else ""
        texts.append(PREPARED.get(name, sql))
    return texts


def database_url_for_subprocess() -> str:
    from django.db import connection

    params = connection.settings_dict
    if params["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{params['NAME']}"
    user = params.get("USER") or ""
    password = f":{params['PASSWORD']}" if params.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return (
        f"postgres://{auth}{params.get('HOST') or '127.0.0.1'}:{params.get('PORT') or 5432}/"
        f"{params['NAME']}"
    )


class WorkerProcess:
    def __init__(
        self,
        env: dict[str, str],
        log_path: Path,
        *,
        heartbeats: bool = False,
        name: str | None = None,
        concurrency: int = 8,
    ) -> None:
        """``heartbeats``: send Celery's worker heartbeat events (the System page's source);
        ``name``: the node name (``-n``), so that two workers on one machine are told apart."""
        self.env, self.log_path, self.process = env, log_path, None
        self.heartbeats, self.name, self.concurrency = heartbeats, name, concurrency

    def start(self, timeout: float = 60.0) -> None:
        self.log_path.write_text("")
        log = self.log_path.open("a")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "flowdash",
                "worker",
                "--pool",
                "threads",
                "--concurrency",
                str(self.concurrency),
                "--loglevel",
                "INFO",
                "--without-gossip",
                "--without-mingle",
                *([] if self.heartbeats else ["--without-heartbeat"]),
                *(["-n", self.name] if self.name else []),
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the worker exited:\n{self.log_path.read_text()[-3000:]}")
            if " ready." in self.log_path.read_text():
                return
            time.sleep(0.1)
        raise RuntimeError(f"the worker did not start:\n{self.log_path.read_text()[-3000:]}")

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture(scope="session")
def celery_worker_process(
    django_db_setup, django_db_blocker, redis_server, simulator, tmp_path_factory
):
    """A real Celery worker process (threads pool) on the test database, Redis and simulator."""
    from flowdash.celery import app as celery_app

    with django_db_blocker.unblock():
        database_url = database_url_for_subprocess()
    celery_app.conf.broker_url = redis_server.url
    # Connections made before this fixture (a transactional test that enqueued) still point at
    # the default broker: drop the pools so the next message goes to this worker's Redis.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_server.url,
        "USEAPI_BASE_URL": simulator.base_url,
        "USEAPI_TOKEN": SIM_TOKEN,
        "FLOWDASH_SANDBOX": "0",
        # The simulator runs faster than documented: schedule checks on its clock.
        "FLOWDASH_JOB_TIME_SCALE": str(simulator.state.settings.speed),
        "DJANGO_SETTINGS_MODULE": "flowdash.settings",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    worker = WorkerProcess(env, tmp_path_factory.mktemp("worker") / "worker.log")
    worker.start()
    yield worker
    worker.stop()


@pytest.fixture(scope="session")
def s3_server():
    """An S3-compatible server (moto's standalone server) on a spare loopback port."""
    from tests.s3 import S3Server

    server = S3Server()
    server.start()
    yield server
    server.stop()
