"""`make run` honours FLOWDASH_PORT: the Procfile's web line reads it, the launch text prints the
URL really served, and a port already taken stops the launch with words instead of a crash."""

from __future__ import annotations

import io
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from flowdash.dashboard.management.commands.launch import port_is_free

ROOT = Path(__file__).resolve().parents[2]


def test_the_procfile_serves_on_flowdash_port():
    web = next(
        line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:")
    )
    assert "${FLOWDASH_PORT:-8000}" in web
    assert "8000 " not in web.replace("${FLOWDASH_PORT:-8000}", "")
    # The shell honcho runs the line with expands it to the chosen port.
    line = web.split(":", 1)[1].strip()
    echoed = subprocess.run(
        ["sh", "-c", f"echo {line}"], env={"FLOWDASH_PORT": "8123"}, capture_output=True, text=True
    )
    assert "127.0.0.1:8123" in echoed.stdout


@pytest.mark.django_db
def test_launch_prints_the_url_of_the_chosen_port(settings):
    settings.FLOWDASH_PORT = 8123
    out = io.StringIO()
    call_command("launch", "--no-start", stdout=out)
    assert "http://127.0.0.1:8123/" in out.getvalue()
    assert ":8000" not in out.getvalue()


@pytest.mark.django_db
def test_a_busy_port_stops_the_launch_with_words(settings):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert not port_is_free(port)
        settings.FLOWDASH_PORT = port
        with pytest.raises(CommandError, match=f"Port {port} on 127.0.0.1 is already in use"):
            call_command("launch", stdout=io.StringIO())
    assert port_is_free(port)


def test_an_unusable_port_is_a_configuration_error(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={
            "DJANGO_SETTINGS_MODULE": "flowdash.settings",
            "FLOWDASH_PORT": "99999",
            "FLOWDASH_DATA_DIR": str(tmp_path),
            "PATH": "/usr/bin:/bin",
        },
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "FLOWDASH_PORT must be a port number (1-65535), not 99999" in result.stderr
