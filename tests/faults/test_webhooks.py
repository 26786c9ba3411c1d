"""Webhooks are hints: lost ones cost time, not results; duplicated, concurrent and
out-of-order ones change nothing; a forged one cannot make flowdash fetch anything."""

from __future__ import annotations

import socket
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from flowdash.jobs.models import Job
from tests.faults.conftest import assert_outcome, new_videos, status_of

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]


def _hook_url(stack, job: Job, token: str | None = None) -> str:
    return f"{stack.live_server.url}/hooks/useapi/{job.uuid}/{token or job.webhook_token()}/"


def test_a_lost_webhook_costs_time_not_the_result(hooked_stack, simulator):
    stack = hooked_stack
    simulator.state.faults.add("webhook_lost", endpoint="POST videos", times=1)
    [job] = new_videos("webhook lost")
    stack.wait_finished([job], timeout=120)
    assert_outcome(stack, job, status=Job.Status.COMPLETED, posts=1, media=1)
    lost = [d for d in simulator.state.webhooks.deliveries() if d["lost"]]
    assert lost  # the callbacks really were dropped
    stack.outcome("a lost webhook (polling finds the result)", [job])


def test_duplicated_concurrent_and_out_of_order_webhooks(hooked_stack, simulator):
    stack = hooked_stack
    [job] = new_videos("webhook storm")
    stack.wait_for(lambda: status_of(job) == Job.Status.RUNNING, "the video to run")
    url = _hook_url(stack, job)
    remote = job.remote_job_id

    def send(status: str) -> int:
        return requests.post(url, json={"jobid": remote, "status": status}, timeout=10).status_code

    # 20 copies of "completed" at once, then late "created"/"started" ones
    with ThreadPoolExecutor(20) as pool:
        codes = list(pool.map(send, ["completed"] * 20))
    codes += [send("started"), send("created")]
    stack.wait_finished([job], timeout=120)
    codes += [send("started"), send("completed"), send("failed")]  # after the end: noted only

    assert set(codes) == {200}
    assert_outcome(stack, job, status=Job.Status.COMPLETED, posts=1, media=1)
    checks = simulator.state.requests(method="GET", path=f"/jobs/{remote}")
    assert len(checks) <= 10, len(checks)  # hints move a check forward; they do not multiply it
    stack.outcome(
        "duplicated (20 concurrent), out-of-order and late webhooks",
        [job],
        **{"GET /jobs/{id}": len(checks)},
    )


class Listener:
    """A local TCP listener that counts connections (a forged URL's target)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.sock.close()


def test_a_forged_webhook_pointing_at_a_local_listener(hooked_stack, simulator):
    stack = hooked_stack
    listener = Listener()
    try:
        [job] = new_videos("forged webhook")
        stack.wait_for(lambda: status_of(job) == Job.Status.RUNNING, "the video to run")
        local = f"http://127.0.0.1:{listener.port}"
        forged = {
            "jobid": job.remote_job_id,
            "status": "completed",
            "media": [{"video": {"videoUrl": f"{local}/steal.mp4"}}],
            "operations": [{"operation": {"metadata": {"video": {"fifeUrl": f"{local}/x.mp4"}}}}],
            "replyUrl": f"{local}/again",
        }
        wrong = requests.post(_hook_url(stack, job, "not-the-token"), json=forged, timeout=10)
        right = requests.post(_hook_url(stack, job), json=forged, timeout=10)
        stack.wait_finished([job], timeout=120)
    finally:
        listener.close()

    assert wrong.status_code == 404 and right.status_code == 200
    assert listener.connections == 0
    assert_outcome(stack, job, status=Job.Status.COMPLETED, posts=1, media=1)
    stack.outcome(
        "forged webhook pointing at a local listener",
        [job],
        **{"listener connections": listener.connections},
    )
