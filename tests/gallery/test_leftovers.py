"""check_storage finds and (with --repair) removes what killed processes leave behind: the .part
file of a download SIGKILLed mid-transfer and the spool file of a web process SIGKILLed
mid-upload. Both faults are real: a child process does the work and is killed while writing."""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.core.management import call_command

from flowdash.lib.ports import free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[2]


def run(*args) -> str:
    out = io.StringIO()
    call_command("check_storage", *args, stdout=out)
    return out.getvalue()


def make_old(path: Path, seconds: int = 7200) -> None:
    past = time.time() - seconds
    os.utime(path, (past, past))


def wait_for(predicate, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError("timed out")


class StallingServer:
    """Answers 200 with a long Content-Length, sends a first part, then never sends the rest."""

    def __init__(self):
        release = self.release = threading.Event()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                self.send_response(200)
                self.send_header("Content-Type", "video/mp4")
                self.send_header("Content-Length", str(4_000_000))
                self.end_headers()
                self.wfile.write(b"\0" * 256_000)
                self.wfile.flush()
                release.wait(30)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


DOWNLOADER = """
import sys
from pathlib import Path
from flowdash.lib.safe_download import download_to
download_to(sys.argv[1], Path(sys.argv[2]), extra_allowed_base=sys.argv[3], max_bytes=10**8)
"""


@pytest.mark.django_db
def test_the_part_file_of_a_killed_download_is_found_and_removed(media_root):
    workdir = Path(media_root) / "tmp"  # where jobs.downloads writes
    workdir.mkdir(parents=True)
    with StallingServer() as server:
        child = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-c",
                DOWNLOADER,
                f"{server.base}/video.mp4",
                str(workdir / "media-7-abc.part"),
                server.base,
            ],
            cwd=ROOT,
        )
        try:
            part = wait_for(
                lambda: next((p for p in workdir.glob("*.part") if p.stat().st_size > 0), None)
            )
            child.send_signal(signal.SIGKILL)
            child.wait(10)
        finally:
            if child.poll() is None:
                child.kill()
    assert part.exists()  # the killed process could not clean up after itself

    # Young: it may belong to a download still running, so it is only mentioned.
    report = run()
    assert "Stale temporary files: 0" in report
    assert "Recent temporary files (left alone, may be in use): 1" in report
    run("--repair")
    assert part.exists()

    make_old(part)
    report = run()
    assert "Stale temporary files: 1" in report and part.name in report
    assert "unfinished download" in report
    assert "Run again with --repair" in report
    busy = workdir / "media-8-busy.part"  # another download, writing now
    busy.write_bytes(b"x")
    report = run("--repair")
    assert "1 stale temporary files deleted" in report
    assert not part.exists()
    assert busy.exists()
    assert "Stale temporary files: 0" in run()


def _start_web(data_dir: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {
        **os.environ,
        "FLOWDASH_DATA_DIR": str(data_dir),
        "FLOWDASH_HTTPS": "0",
        "DEBUG": "0",
        "DJANGO_SETTINGS_MODULE": "flowdash.settings",
    }
    env.pop("DATABASE_URL", None)
    web = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "manage.py",
            "runserver",
            "--noreload",
            "--skip-checks",
            f"127.0.0.1:{port}",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(port, timeout=30)
    return web, port


def test_the_spool_file_of_an_upload_killed_mid_way_is_found_and_removed(tmp_path, settings, db):
    data_dir = tmp_path / "data"
    web, port = _start_web(data_dir)
    upload_dir = data_dir / "tmp" / "uploads"  # FILE_UPLOAD_TEMP_DIR of that process
    try:
        token = "a" * 32
        boundary = "----flowdash-test"
        head = (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n'
            f"{token}\r\n"
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="files"; filename="big.png"\r\n'
            "Content-Type: image/png\r\n\r\n"
        ).encode()
        total = len(head) + 8_000_000
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(
                (
                    "POST /assets/ HTTP/1.1\r\n"
                    f"Host: 127.0.0.1:{port}\r\n"
                    f"Cookie: csrftoken={token}\r\n"
                    f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
                    f"Content-Length: {total}\r\n\r\n"
                ).encode()
                + head
            )
            sock.sendall(b"\x89PNG" + b"\0" * 1_000_000)  # an eighth of the file, then nothing
            spool = wait_for(
                lambda: next(
                    (p for p in upload_dir.glob("*.upload*") if p.stat().st_size > 0), None
                )
            )
            web.send_signal(signal.SIGKILL)  # the web process dies mid-upload
            web.wait(10)
    finally:
        if web.poll() is None:
            web.kill()
    assert spool.exists()

    settings.FILE_UPLOAD_TEMP_DIR = str(upload_dir)
    settings.MEDIA_ROOT = data_dir / "media"
    assert "Recent temporary files (left alone, may be in use): 1" in run()
    make_old(spool)
    report = run()
    assert "Stale temporary files: 1" in report and "unfinished upload" in report
    assert "1 stale temporary files deleted" in run("--repair")
    assert not spool.exists()


def test_uploads_are_spooled_in_the_data_folder_not_the_system_temp(settings):
    assert Path(settings.FILE_UPLOAD_TEMP_DIR).is_dir()
    assert Path(settings.FILE_UPLOAD_TEMP_DIR).is_relative_to(settings.DATA_DIR)
