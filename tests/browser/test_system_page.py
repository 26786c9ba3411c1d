"""The System page shows each worker from Celery's own heartbeat events; a worker that dies
is named on it and on everyone's home page within 30 s, and so is a dead engine.

Two real Celery worker processes (heartbeats on, node names w1 and w2) on a private Redis.
"""

from __future__ import annotations

import os
import re
import socket
import time

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.conftest import SIM_TOKEN, WorkerProcess, database_url_for_subprocess, start_redis

pytestmark = pytest.mark.django_db(transaction=True)

HOST = socket.gethostname()


@pytest.fixture
def two_workers(simulator, tmp_path, use_broker_for_test):
    redis = start_redis()
    use_broker_for_test(redis.url)
    env = {
        **os.environ,
        "DATABASE_URL": database_url_for_subprocess(),
        "REDIS_URL": redis.url,
        "USEAPI_BASE_URL": simulator.base_url,
        "USEAPI_TOKEN": SIM_TOKEN,
        "FLOWDASH_SANDBOX": "0",
        "DJANGO_SETTINGS_MODULE": "flowdash.settings",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    workers = [
        WorkerProcess(
            env, tmp_path / f"{name}.log", heartbeats=True, name=f"{name}@%h", concurrency=2
        )
        for name in ("w1", "w2")
    ]
    try:
        for worker in workers:
            worker.start()
        yield workers
    finally:
        for worker in workers:
            worker.stop()
        redis.stop()


def home_says(page, text: str, within: float = 30.0) -> None:
    """Reload the home page until its engine warning says ``text`` (fails after ``within`` s)."""
    deadline = time.monotonic() + within
    while True:
        page.goto("/")
        warning = page.locator("#engine-warning")
        if warning.count() and text in warning.inner_text():
            return
        if time.monotonic() > deadline:
            expect(warning).to_contain_text(text, timeout=1)
        time.sleep(1)


@pytest.fixture
def use_broker_for_test():
    from flowdash.celery import app

    old = app.conf.broker_url

    def use(url: str) -> None:
        app.conf.broker_url = url
        app._pool = None
        app.amqp._producer_pool = None

    yield use
    use(old)


def test_the_system_page_shows_both_workers_and_a_dead_one_within_30_s(
    page, make_user, two_workers
):
    make_user("alice", "admin")
    make_user("victor", "viewer")
    sign_in(page, "alice", "a-long-password-1")
    page.goto("/system/")
    w1, w2 = (page.locator(f'tr[data-worker="{name}@{HOST}"]') for name in ("w1", "w2"))
    for row in (w1, w2):
        expect(row).to_have_attribute("data-alive", "yes", timeout=20_000)
        expect(row).to_contain_text("threads")  # pool and concurrency from inspect
        expect(row.locator("td").nth(4)).to_have_text("2")
    expect(page.locator("#queues")).to_contain_text("flowdash.downloads")
    page.goto("/")
    expect(page.locator("#engine-warning")).to_have_count(0)

    two_workers[1].kill()  # a crash: no goodbye, its heartbeats just stop

    page.goto("/system/")  # the page refreshes itself every 5 s
    expect(w2).to_have_attribute("data-alive", "no", timeout=30_000)
    expect(w2).to_contain_text(re.compile(r"no heartbeat for \d+ s"))
    expect(w1).to_have_attribute("data-alive", "yes")
    home_says(page, f"1 of 2 workers stopped answering: w2@{HOST}", within=5)
    expect(page.locator("#engine-warning")).to_contain_text("1 still working")

    two_workers[0].stop()
    home_says(page, "No worker heartbeat for")
    # Everyone sees it, not only admins.
    page.context.clear_cookies()
    sign_in(page, "victor", "a-long-password-1")
    page.goto("/")
    expect(page.locator("#engine-warning")).to_contain_text("No worker heartbeat for")
    assert page.goto("/system/").status == 403
