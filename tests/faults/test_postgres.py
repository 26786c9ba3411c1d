"""PostgreSQL restarted while 20 jobs run: a private cluster started by the test from the
machine's PostgreSQL binaries on a spare loopback port, in a temporary directory (never the
shared one). The worker, beat and the job-making code run against it in their own processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT
from tests.faults.conftest import PAID_PATHS, _stack
from tests.pg_cluster import Cluster

pytestmark = [pytest.mark.integration, pytest.mark.faults]

JOBS = 20


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
