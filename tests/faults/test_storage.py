"""Storage faults: the disk fills up mid-download, the web process dies mid-upload. What was
being written is not left behind, and the result is still stored once space is back."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests

from flowdash.gallery.models import Media
from flowdash.jobs.models import Job
from flowdash.lib.ports import free_port, wait_for_port
from tests.conftest import ROOT, database_url_for_subprocess
from tests.faults.conftest import _OUTCOMES, assert_outcome, new_videos

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration, pytest.mark.faults]


@contextlib.contextmanager
def tiny_disk(path: Path, size: str = "16k"):
    """A tmpfs of ``size`` mounted on ``path`` (root only): the disk under it is full as soon as
    a file is written. Unmounted afterwards (lazily if a dead process still holds a file)."""
    path.mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0777", "tmpfs", str(path)],
            check=True,
            capture_output=True,
            timeout=30,
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.fail(f"this test mounts a small tmpfs and needs root with CAP_SYS_ADMIN: {exc}")
    try:
        yield path
    finally:
        if subprocess.run(["umount", str(path)], capture_output=True, timeout=30).returncode:
            subprocess.run(["umount", "-l", str(path)], capture_output=True, timeout=30)


def test_a_full_disk_mid_download(fault_stack):
    stack = fault_stack
    tmp = stack.media_root / "tmp"  # where downloads are written before they are stored
    with tiny_disk(tmp):
        [job] = new_videos("disk full")

        def failed_once() -> bool:
            media = Media.objects.filter(job=job).first()
            return media is not None and media.download_attempts >= 1 and bool(media.download_error)

        stack.wait_for(failed_once, "the download to hit the full disk", timeout=90, pks=[job.pk])
        media = Media.objects.get(job=job)
        assert media.download_status == Media.Download.PENDING  # a failed try, not a lost result
        partial = [p.name for p in tmp.iterdir()]
        assert partial == []  # the partial file went with the failed try
        error = media.download_error
    # space is back (the small disk is gone): the next try stores it

    stack.wait_finished([job], timeout=120)
    assert_outcome(stack, job, status=Job.Status.COMPLETED, posts=1, media=1)
    stack.outcome("full disk mid-download (tmpfs of 16 KB on media/tmp)", [job], error=error[:60])


class WebProcess:
    """``manage.py runserver`` (the Procfile's web) on a spare port, on the test database."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log, self.port = env, log, free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{self.port}", "--noreload"],
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("a"),
            stderr=subprocess.STDOUT,
        )
        wait_for_port(self.port, timeout=60)

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


def _signed_in(web: WebProcess, username: str, password: str) -> requests.Session:
    session = requests.Session()
    token = "f" * 32  # any well-formed CSRF secret: the cookie and the field must agree
    session.cookies.set("csrftoken", token, domain="127.0.0.1", path="/")
    response = session.post(
        f"{web.url}/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{web.url}/login/"},
        timeout=30,
        allow_redirects=False,
    )
    assert response.status_code == 302, response.status_code
    return session


def test_the_web_process_killed_mid_upload(make_user, tmp_path, settings):
    data_dir = tmp_path / "data"
    (data_dir / "media").mkdir(parents=True)
    web_tmp = Path(tempfile.mkdtemp(prefix="flowdash-web-tmp-"))  # the web process's TMPDIR
    settings.MEDIA_ROOT = str(data_dir / "media")
    env = {
        **os.environ,
        "DATABASE_URL": database_url_for_subprocess(),
        "FLOWDASH_DATA_DIR": str(data_dir),
        "SECRET_KEY": settings.SECRET_KEY,
        "TMPDIR": str(web_tmp),
        "FLOWDASH_HTTPS": "0",  # plain HTTP on loopback, as `make run` serves it
        "DEBUG": "1",  # `make run`: static files from the app folders, no collectstatic
        "DJANGO_SETTINGS_MODULE": "flowdash.settings",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    user = make_user("uma", "creator", password="a-long-password-1")
    # the tests hash with MD5 (settings.TESTING); the web process checks with Django's default
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    from django.contrib.auth.hashers import make_password

    user.password = make_password("a-long-password-1", hasher="pbkdf2_sha256")
    user.save(update_fields=["password"])
    web = WebProcess(env, tmp_path / "web.log")
    started = time.monotonic()
    web.start()

    def files() -> set[str]:
        """Every file the web process could have written: its temp dir and the data dir."""
        return {str(p) for root in (web_tmp, data_dir) for p in root.rglob("*") if p.is_file()}

    before = files()
    try:
        session = _signed_in(web, "uma", "a-long-password-1")
        size = 12 << 20  # past Django's in-memory limit: the upload is written to a temp file
        boundary = "flowdashboundary"
        head = (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n'
            f"{session.cookies.get('csrftoken')}\r\n"
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="files"; filename="big.png"\r\n'
            "Content-Type: image/png\r\n\r\n"
        ).encode()
        total = len(head) + size + len(f"\r\n--{boundary}--\r\n")
        cookie = "; ".join(f"{k}={v}" for k, v in session.cookies.items())
        request = (
            f"POST /assets/ HTTP/1.1\r\nHost: 127.0.0.1:{web.port}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
            f"Content-Length: {total}\r\nCookie: {cookie}\r\n"
            f"Referer: {web.url}/assets/\r\n\r\n"
        ).encode()
        upload = socket.create_connection(("127.0.0.1", web.port), timeout=30)
        upload.sendall(request + head)
        chunk = b"\x89PNG" + b"\0" * (1 << 20)
        for _ in range(6):  # half of it, then the process dies
            upload.sendall(chunk[: 1 << 20])
        time.sleep(1.0)
        web.kill()
        upload.close()
        written = files() - before
        assert written, "the upload never reached a temp file: nothing was tested"

        web.start()  # back, as a supervisor would start it again
        subprocess.run(
            [sys.executable, "manage.py", "check_storage", "--repair", "--grace-minutes", "0"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            timeout=120,
        )
        assert session.get(f"{web.url}/assets/", timeout=30).status_code == 200
        left = sorted(files() - before)
    finally:
        web.stop()
        shutil.rmtree(web_tmp, ignore_errors=True)

    from flowdash.assets.models import Asset

    assert Asset.objects.count() == 0
    assert left == [], left
    _OUTCOMES.append(
        {
            "fault": "web process SIGKILLed mid-upload (12 MB, half sent)",
            "jobs": 0,
            "final": "no asset row",
            "paid POSTs per job": 0,
            "media rows": 0,
            "files": 0,
            "leftovers": len(left),
            "seconds": round(time.monotonic() - started, 1),
        }
    )
