"""``SimulatorServer``: the simulator on a threaded WSGI server, for tests and ``make run``.

Example::

    with SimulatorServer(speed=500) as sim:
        auth = {"Authorization": f"Bearer {sim.token}"}
        requests.get(f"{sim.base_url}/accounts", headers=auth)
        sim.state.faults.add("unavailable", endpoint="images", times=1)
"""

from __future__ import annotations

import logging
import os
import shutil
import socketserver
import tempfile
import threading
from pathlib import Path
from types import TracebackType
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from . import eras
from .app import PREFIX, SimulatorApp
from .state import DEFAULT_SPEED, DEFAULT_TOKEN, SimState

log = logging.getLogger(__name__)
LOOPBACK = "127.0.0.1"


class _Handler(WSGIRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        log.debug("%s - %s", self.address_string(), format % args)

    def address_string(self) -> str:
        return str(self.client_address[0])

    def get_environ(self) -> dict[str, Any]:
        environ = super().get_environ()
        if self.headers.get("Content-Type") is None:
            environ.pop("CONTENT_TYPE", None)  # wsgiref would invent "text/plain"
        return environ


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 256

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host name (socket.getfqdn); skip that lookup.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = port
        self.setup_environ()

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("connection error from %s", client_address, exc_info=True)


def env_speed(default: float = DEFAULT_SPEED) -> float:
    value = os.environ.get("FLOWDASH_SIM_SPEED")
    try:
        return float(value) if value else default
    except ValueError:
        return default


def env_token() -> str:
    return os.environ.get("FLOWDASH_SIM_TOKEN") or DEFAULT_TOKEN


class SimulatorServer:
    """The simulated useapi.net Google Flow API on ``host:port`` (port 0 = a free port)."""

    def __init__(
        self,
        host: str = LOOPBACK,
        port: int = 0,
        speed: float | None = None,
        data_dir: str | Path | None = None,
        token: str | None = None,
        *,
        new_forms: bool = False,
        image_concurrency: int = 4,
        seed: int | None = None,
        accounts: list[dict[str, Any]] | None = None,
        api: str | None = None,
    ) -> None:
        """``api``: the era spoken, ``2026-02`` or ``2026-12`` (default ``$FLOWDASH_SIM_API``,
        else ``2026-02``; the sandbox's command line defaults to ``2026-12``)."""
        self.host = host
        self._port = port
        self._own_dir = data_dir is None
        self.data_dir = (
            Path(data_dir) if data_dir else Path(tempfile.mkdtemp(prefix="flowdash-sim-"))
        )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.token = token or env_token()
        self.state = SimState(
            self.data_dir,
            token=self.token,
            speed=speed if speed is not None else env_speed(),
            new_forms=new_forms,
            image_concurrency=image_concurrency,
            seed=seed,
            accounts=accounts,
            api=api or eras.env_api(eras.LIBRARY_DEFAULT),
        )
        self.app = SimulatorApp(self.state, self._info)
        self._httpd: _ThreadingWSGIServer | None = None
        self._thread: threading.Thread | None = None

    # ---- addresses
    @property
    def port(self) -> int:
        if self._httpd is None:
            return self._port
        return int(self._httpd.server_address[1])

    @property
    def root_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.root_url}{PREFIX}"

    def _info(self) -> dict[str, Any]:
        return {"baseUrl": self.base_url, "dataDir": str(self.data_dir)}

    # ---- lifecycle
    def start(self) -> SimulatorServer:
        """Listen and serve on a background thread; returns once the socket accepts."""
        if self._httpd is not None:
            return self
        httpd = _ThreadingWSGIServer((self.host, self._port), _Handler)
        httpd.set_app(self.app)
        self._httpd = httpd
        self.state.public_url = self.root_url
        self.state.start()
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.2}, name="sim-http", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Block until :meth:`stop` is called from another thread or a signal handler."""
        self.start()
        assert self._thread is not None
        while self._thread.is_alive():
            self._thread.join(0.5)

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.state.stop()
        if self._own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
