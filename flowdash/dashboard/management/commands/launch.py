"""`make run`: migrate, make sure there is an admin, then start every process with honcho."""

from __future__ import annotations

import os
import shutil
import socket
import sys
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from flowdash.accounts.connection import current_connection
from flowdash.team.bootstrap import ensure_first_admin


class Command(BaseCommand):
    help = "Prepare the database and start web, worker, beat, Redis and (sandbox) the simulator."

    def add_arguments(self, parser):
        parser.add_argument("--no-start", action="store_true", help="prepare only, start nothing")

    def handle(self, *args, no_start: bool = False, **options):
        port = settings.FLOWDASH_PORT
        if not no_start and not port_is_free(port):
            raise CommandError(
                f"Port {port} on 127.0.0.1 is already in use. Stop what uses it, or pick "
                f"another port: FLOWDASH_PORT={port + 1} make run"
            )
        call_command("migrate", interactive=False, verbosity=0)
        password = ensure_first_admin(settings.FLOWDASH_ADMIN_PASSWORD)
        if password:
            self.stdout.write("The first admin user was created. Sign in with:")
            self.stdout.write(f"login: admin / {password}")
        processes = ["web", "worker", "beat"]
        if not settings.REDIS_URL:
            processes.append("redis")
        connection = current_connection()
        if connection.sandbox:
            processes.append("simulator")
            self.stdout.write(
                "Sandbox mode: no API token is configured, so the simulator answers at "
                f"{connection.base_url}."
            )
        else:
            self.stdout.write(f"Using the API at {connection.base_url}.")
        self.stdout.write(f"flowdash: http://127.0.0.1:{port}/  (Ctrl-C stops everything)")
        self.stdout.flush()
        if no_start:
            return
        procfile = Path(settings.BASE_DIR) / "Procfile"
        honcho = shutil.which("honcho", path=str(Path(sys.executable).parent)) or "honcho"
        os.environ["FLOWDASH_DATA_DIR"] = str(settings.DATA_DIR)
        os.environ["FLOWDASH_PORT"] = str(port)  # the Procfile's web line reads it
        venv_bin = Path(sys.executable).parent
        os.environ["PATH"] = f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}"
        os.environ.setdefault("DEBUG", "1" if settings.DEBUG else "0")
        # Replace this process, so Ctrl-C and SIGTERM reach honcho, which stops every child.
        os.execvp(honcho, [honcho, "-f", str(procfile), "start", *processes])  # noqa: S606


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether the web server can listen on ``host:port`` (so the URL printed is the real one)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as runserver does
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True
