"""PostgreSQL restarted while 20 jobs run: a private cluster started by the test from the
machine's PostgreSQL binaries on a spare loopback port, in a temporary directory (never the
shared one). The worker, beat and the job-making code run against it in their own processes."""

from __future__ import annotations

import contextlib
import glob
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from flowdash.lib.ports import free_port
from tests.conftest import ROOT
from tests.faults.conftest import PAID_PATHS, _stack

pytestmark = [pytest.mark.integration, pytest.mark.faults]

JOBS = 20


def _binary(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        pytest.fail(f"no PostgreSQL {name} under /usr/lib/postgresql/*/bin (install postgresql)")
    return found[-1]


class Cluster:
    """A throw-away PostgreSQL cluster: initdb, pg_ctl start/restart/stop, removed at the end."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="flowdash-pg-"))
        self.data = self.dir / "data"
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/flowdash"
        self._as: list[str] = []
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root: run it as its own user
            user = pwd.getpwnam("postgres")
            os.chown(self.dir, user.pw_uid, user.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]
        os.chmod(self.dir, 0o755)

    def _run(self, *args: str) -> None:
        subprocess.run([*self._as, *args], check=True, capture_output=True, timeout=120)

    def _ctl(self, action: str, *extra: str) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            _binary("pg_ctl"),
            action,
            "-D",
            str(self.data),
            "-w",
            "-t",
            "60",
            "-l",
            str(self.dir / "postgres.log"),
            "-o",
            options,
            *extra,
        )

    def start(self) -> None:
        self._run(
            _binary("initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "--no-sync",
            "-E",
            "UTF8",
        )
        self._ctl("start")
        self._run(
            _binary("createdb"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "flowdash",
        )

    def restart(self) -> None:
        self._ctl("restart", "-m", "fast")

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._ctl("stop", "-m", "immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def cluster():
    pg = Cluster()
    pg.start()
    yield pg
    pg.stop()


def _probe(env: dict[str, str], *args: str):
    result = subprocess.run(
        [sys.executable, "-m", "tests.faults.pg_probe", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_postgresql_restarted_while_20_jobs_run(cluster, simulator, tmp_path, settings):
    env = {**os.environ, "DATABASE_URL": cluster.url, "SECRET_KEY": settings.SECRET_KEY}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    label = "postgres restarted"
    with _stack(simulator, tmp_path, settings, DATABASE_URL=cluster.url) as stack:
        # videos of about 50 s, so the restart surely falls while they run (checked below)
        simulator.state.update_settings({"speed": 2})
        started = time.monotonic()
        probe_env = {**stack.env}
        _probe(probe_env, "create", label, str(JOBS))

        def jobs():
            return _probe(probe_env, "state", label)["jobs"]

        seen = {"running": 0}

        def running() -> bool:
            seen["running"] = sum(j["status"] == "running" for j in jobs())
            return seen["running"] >= 5

        stack.wait_for(running, "some videos to run")
        cluster.restart()  # every open connection is cut; the server is back within seconds
        assert seen["running"] >= 5  # the restart hit work in flight

        def settled() -> bool:
            return all(
                j["status"] in ("completed", "failed") and j["stored"] == j["media"] for j in jobs()
            )

        stack.wait_for(settled, "the 20 videos to finish", timeout=240)
        state = _probe(probe_env, "state", label)
        posts = [e for e in simulator.state.requests(method="POST") if e["apiPath"] in PAID_PATHS]
        elapsed = round(time.monotonic() - started, 1)

    assert len(state["jobs"]) == JOBS
    for job in state["jobs"]:
        assert job["status"] == "completed", job
        assert job["media"] == job["stored"] == job["files"] == 1, job
        sent = [e for e in posts if (e.get("body") or {}).get("prompt") == job["prompt"]]
        assert len(sent) == 1, (job, [e["status"] for e in sent])
    assert state["leftovers"] == []
    from tests.faults.conftest import _OUTCOMES

    _OUTCOMES.append(
        {
            "fault": "PostgreSQL restarted while 20 jobs run",
            "jobs": JOBS,
            "final": f"{JOBS} completed",
            "paid POSTs per job": 1,
            "media rows": sum(j["media"] for j in state["jobs"]),
            "files": sum(j["files"] for j in state["jobs"]),
            "leftovers": len(state["leftovers"]),
            "seconds": elapsed,
        }
    )
