"""Notifications end to end: a real worker and beat, the simulator, and a local HTTP receiver
standing in for a program behind a signed JSON webhook.

Exactly one signed webhook per completed job and per account alert — also when the worker is
killed right after the job completes — and every signature verifies with the README's snippet.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from flowdash.accounts.models import Alert, FlowAccount
from flowdash.jobs.models import Job
from flowdash.jobs.queue import create_job
from flowdash.notify.models import Choice, Delivery, Target
from tests.api.test_api_jobs import readme_block
from tests.conftest import WorkerProcess
from tests.integration.test_job_recovery import own_stack, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


class Receiver:
    """A webhook receiver on 127.0.0.1 that keeps every request it gets."""

    def __init__(self) -> None:
        self.received: list[tuple[dict, bytes]] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 — http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                received.append((dict(self.headers.items()), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def events(self, kind: str) -> list[dict]:
        return [
            json.loads(body)
            for headers, body in self.received
            if headers.get("X-Flowdash-Event") == kind
        ]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.stop()


@pytest.fixture
def stack(simulator, tmp_path, settings, receiver, admin_user):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.FLOWDASH_NOTIFY_ALLOW_PRIVATE = True
    extra = {
        "FLOWDASH_DATA_DIR": str(tmp_path),
        "SECRET_KEY": settings.SECRET_KEY,  # the targets' URLs are encrypted with it
        "FLOWDASH_RECONCILE_SECONDS": "1",
        "FLOWDASH_NOTIFY_SCAN_SECONDS": "1",
        "FLOWDASH_NOTIFY_ALLOW_PRIVATE": "1",
    }
    secret = secrets.token_urlsafe(32)
    target = Target(name="build server", kind=Target.Kind.WEBHOOK)
    target.set_url(receiver.url)
    target.set_secret(secret)
    target.save()
    Choice.objects.create(
        user=admin_user,
        target=target,
        kinds=["job_completed", "session_expired"],
        job_scope=Choice.Scope.ALL,
    )
    with own_stack(simulator, tmp_path, settings, beat=True, **extra) as (_r, worker, beat, env):
        # beat syncs the accounts when it starts
        wait_for(lambda: FlowAccount.objects.exists(), "the accounts", logs=[worker.log_path])
        yield {"worker": worker, "env": env, "secret": secret, "tmp": tmp_path, "target": target}


def image_job(prompt: str, user) -> Job:
    params = {"prompt": prompt, "model": "imagen-4", "aspect_ratio": "landscape", "count": 1}
    return create_job("image", {**params, "seed": 1, "references": []}, user=user)


def verifier():
    namespace: dict = {}
    exec(readme_block("### Verifying a JSON webhook"), namespace)  # noqa: S102 — the README's
    return namespace["verify_flowdash_webhook"]


def assert_all_signed(receiver: Receiver, secret: str) -> None:
    verify = verifier()
    assert receiver.received
    for headers, body in receiver.received:
        assert verify(secret, headers, body), headers
        assert not verify("another secret", headers, body)
        assert not verify(secret, headers, body + b" ")


def completed_for(receiver: Receiver, job: Job) -> list[dict]:
    return [e for e in receiver.events("job_completed") if e["job"]["id"] == job.pk]


def test_one_signed_webhook_per_completed_job(stack, receiver, admin_user):
    jobs = [image_job(f"a lighthouse #{n}", admin_user) for n in range(3)]
    for job in jobs:
        wait_for(lambda j=job: len(completed_for(receiver, j)) >= 1, f"the webhook of {job}")
    time.sleep(4)  # several more scans: nothing is sent twice
    for job in jobs:
        [event] = completed_for(receiver, job)
        assert event["job"]["status"] == "completed" and event["event"] == "job_completed"
        assert event["job"]["requested_by"] == admin_user.username
    assert len(receiver.received) == 3
    assert_all_signed(receiver, stack["secret"])
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}


def test_one_webhook_even_when_the_worker_is_killed_right_after_the_job_completes(
    stack, receiver, admin_user
):
    job = image_job("a windmill at dusk", admin_user)
    deadline = time.monotonic() + 60
    while Job.objects.get(pk=job.pk).status != Job.Status.COMPLETED:
        assert time.monotonic() < deadline, "the job did not complete"
        time.sleep(0.02)
    stack["worker"].kill()  # SIGKILL: nothing finishes its work
    replacement = WorkerProcess(stack["env"], stack["tmp"] / "worker2.log")
    replacement.start()
    try:
        wait_for(lambda: completed_for(receiver, job), "the webhook", logs=[replacement.log_path])
        time.sleep(4)
        assert len(completed_for(receiver, job)) == 1
        assert len(receiver.received) == 1
        assert_all_signed(receiver, stack["secret"])
    finally:
        replacement.stop()


def test_one_signed_webhook_per_account_alert(stack, receiver, simulator, settings):
    from flowdash.accounts.services import sync_accounts
    from flowdash.useapi.client import UseapiClient
    from tests.conftest import SIM_TOKEN

    email = next(iter(simulator.state.accounts))
    simulator.state.set_account_state(email, state="session_expired")
    client = UseapiClient(simulator.base_url, SIM_TOKEN)
    sync_accounts(client)
    alert = Alert.objects.get(kind=Alert.Kind.SESSION_EXPIRED)
    wait_for(lambda: receiver.events("session_expired"), "the alert's webhook")
    sync_accounts(client)  # the same condition again: no new alert, no new message
    time.sleep(4)
    [event] = receiver.events("session_expired")
    assert event["alert"]["id"] == alert.pk and event["alert"]["subject"] == alert.subject
    assert len(receiver.received) == 1
    assert_all_signed(receiver, stack["secret"])
