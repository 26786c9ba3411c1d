"""Command line of the simulator, shared by ``python -m flowdash.simulator`` and
``python manage.py simulate``."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from typing import Any, TextIO

from . import eras
from .server import SimulatorServer, env_speed, env_token

DEFAULT_PORT = 8765


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("FLOWDASH_SIM_PORT") or DEFAULT_PORT),
        help=f"port on 127.0.0.1 (0 = any free port; default {DEFAULT_PORT})",
    )
    parser.add_argument(
        "--speed",
        type=float,
        default=None,
        help="time scale: 1 = documented durations (default: $FLOWDASH_SIM_SPEED or 20)",
    )
    parser.add_argument(
        "--data-dir",
        default=None,
        help="where media files go (default: a temporary directory removed on exit)",
    )
    parser.add_argument(
        "--token",
        default=None,
        help="the accepted bearer token (default: $FLOWDASH_SIM_TOKEN or user:1000-sandbox)",
    )
    parser.add_argument(
        "--new-forms",
        action="store_true",
        help="answer with the newer response forms (media[] with videoUrl, encodedImage)",
    )
    parser.add_argument(
        "--api",
        choices=eras.ERAS,
        default=None,
        help="which form of the service to speak: 2026-02 (the documented contract) or 2026-12 "
        f"(today's models and forms; default: $FLOWDASH_SIM_API or {eras.SANDBOX_DEFAULT})",
    )
    parser.add_argument(
        "--image-concurrency",
        type=int,
        default=4,
        help="parallel image generations per account before 429 (default 4)",
    )
    parser.add_argument(
        "--url-lifetime",
        type=float,
        default=None,
        help="seconds of simulated time a signed media URL stays valid (default 86400)",
    )
    parser.add_argument("--seed", type=int, default=None, help="random seed (reproducible runs)")


def serve(
    options: dict[str, Any],
    out: TextIO | None = None,
    stop_event: threading.Event | None = None,
) -> int:
    """Run until SIGINT/SIGTERM (or ``stop_event``); print one ready line with the base URL
    and token: ``flowdash simulator ready base_url=… token=… speed=…``."""
    out = out or sys.stdout
    speed = options.get("speed")
    server = SimulatorServer(
        port=int(options.get("port") or 0),
        speed=float(speed) if speed is not None else env_speed(),
        data_dir=options.get("data_dir"),
        token=options.get("token") or env_token(),
        new_forms=bool(options.get("new_forms")),
        image_concurrency=int(options.get("image_concurrency") or 4),
        seed=options.get("seed"),
        api=options.get("api") or eras.env_api(eras.SANDBOX_DEFAULT),
    )
    if options.get("url_lifetime"):
        server.state.update_settings({"urlLifetime": float(options["url_lifetime"])})
    stop = stop_event or threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    previous = {}
    if threading.current_thread() is threading.main_thread():
        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.start()
        out.write(
            f"flowdash simulator ready base_url={server.base_url} token={server.token} "
            f"speed={server.state.speed:g} api={server.state.era}\n"
        )
        out.flush()
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m flowdash.simulator",
        description="Simulated useapi.net Google Flow API v1 (listens on 127.0.0.1 only).",
    )
    add_arguments(parser)
    return serve(vars(parser.parse_args(argv)))
