"""The web process's kept PostgreSQL connection: checked before each page without a round trip,
and replaced, not failed on, when the server restarted or ended it.

A private cluster (``log_statement=all``, so the test sees every statement the server was sent)
and gunicorn with one sync worker, as in production: one thread that keeps its connection from
one request to the next (``CONN_MAX_AGE``)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
import requests

from flowdash.lib.ports import free_port, wait_for_port
from tests.conftest import ROOT
from tests.pg_cluster import Cluster

pytestmark = pytest.mark.integration

PAGE = "/gallery/collections/"
MAKE_PERSON = """
import django
django.setup()
from django.contrib.auth import get_user_model
from flowdash.team.roles import set_role
set_role(get_user_model().objects.create_user("ada", "ada@example.com", "a-long-pass-phrase"), "viewer")
"""


@pytest.fixture
def cluster():
    pg = Cluster("log_statement=all")
    pg.start()
    yield pg
    pg.stop()


@pytest.fixture
def web(cluster, tmp_path, settings):
    env = {
        **os.environ,
        "DATABASE_URL": cluster.url,
        "SECRET_KEY": settings.SECRET_KEY,
        "FLOWDASH_DATA_DIR": str(tmp_path),
        "DEBUG": "1",
        "FLOWDASH_HTTPS": "0",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    for command in (["manage.py", "migrate", "--noinput"], ["-c", MAKE_PERSON]):
        subprocess.run(
            [sys.executable, *command], cwd=ROOT, env=env, check=True, capture_output=True
        )
    port = free_port()
    log = (tmp_path / "web.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "flowdash.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port, timeout=60)
        yield f"http://127.0.0.1:{port}", tmp_path / "web.log"
    finally:
        process.terminate()
        process.wait(30)
        log.close()


def _signed_in(url: str) -> requests.Session:
    session = requests.Session()
    token = "f" * 32  # any well-formed CSRF secret: the cookie and the field must agree
    session.cookies.set("csrftoken", token, domain="127.0.0.1", path="/")
    response = session.post(
        f"{url}/login/",
        data={"username": "ada", "password": "a-long-pass-phrase", "csrfmiddlewaretoken": token},
        headers={"Referer": f"{url}/login/"},
        timeout=30,
        allow_redirects=False,
    )
    assert response.status_code == 302, response.status_code
    return session


def _page(browser: requests.Session, url: str) -> None:
    response = browser.get(f"{url}{PAGE}", timeout=30, allow_redirects=False)
    assert response.status_code == 200, response.text[-2000:]
    assert "Collections" in response.text


def _statements_since(cluster: Cluster, mark: int) -> list[str]:
    return re.findall(r"statement: (.*)", cluster.log[mark:])


def test_a_kept_connection_is_checked_without_a_query(cluster, web):
    url, _ = web
    browser = _signed_in(url)
    _page(browser, url)
    mark = len(cluster.log)
    _page(browser, url)
    _page(browser, url)
    sent = _statements_since(cluster, mark)
    # each page runs the session's statement, prepared by this connection on its first page
    assert sum(s.startswith("EXECUTE flowdash_session(") for s in sent) == 2, sent
    assert not [s for s in sent if s.startswith("PREPARE")], sent
    everything = _statements_since(cluster, 0)
    assert sum(s.startswith("PREPARE flowdash_session AS SELECT") for s in everything) == 1
    # Django's own check sends SELECT 1 before each page's first query; ours reads the socket.
    assert not [s for s in sent if s.strip() == "SELECT 1"], sent
    # one kept connection (one server process) served both pages
    assert len(set(re.findall(r"\[(\d+)\] LOG:  statement", cluster.log[mark:]))) == 1


@pytest.mark.parametrize("ending", ["restart", "terminated"])
def test_a_page_after_the_server_ended_the_connection(cluster, web, ending):
    """The kept connection is dead: the next page opens a new one instead of failing."""
    url, log = web
    browser = _signed_in(url)
    _page(browser, url)
    if ending == "restart":
        cluster.restart()
    else:
        with psycopg.connect(cluster.url.replace("postgres://", "postgresql://")) as admin:
            ended = admin.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = 'flowdash' AND pid <> pg_backend_pid()"
            ).fetchone()[0]
        assert ended == 1  # the web worker's kept connection
    _page(browser, url)
    _page(browser, url)
    assert "Traceback" not in Path(log).read_text()


def test_a_migration_under_a_running_web_process(cluster, web):
    """A table the prepared session statement reads changes shape while the web process keeps
    its connection (a migration run before the restart): the next page prepares it again
    instead of failing ("cached plan must not change result type")."""
    url, log = web
    browser = _signed_in(url)
    _page(browser, url)
    with psycopg.connect(cluster.url.replace("postgres://", "postgresql://")) as admin:
        admin.execute("ALTER TABLE auth_user ALTER COLUMN first_name TYPE varchar(200)")
    mark = len(cluster.log)
    _page(browser, url)
    _page(browser, url)
    assert "cached plan must not change result type" in cluster.log[mark:]
    sent = _statements_since(cluster, mark)
    assert sum(s.startswith("PREPARE flowdash_session AS") for s in sent) == 1, sent
    assert "Traceback" not in Path(log).read_text()
