"""Fixtures for the simulator tests: one server per session, reset before every test."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
from PIL import Image

from flowdash.simulator.server import SimulatorServer

ULTRA = "ultra.creator@gmail.com"
PRO = "pro.studio@gmail.com"
FREE = "free.tester@gmail.com"


class Api:
    """A tiny authenticated client for the simulator's base URL."""

    def __init__(self, sim: SimulatorServer) -> None:
        self.sim = sim
        self.base = sim.base_url
        self.root = sim.root_url
        self.headers = {"Authorization": f"Bearer {sim.token}"}

    def get(self, path: str, **kw: Any) -> requests.Response:
        return requests.get(self.base + path, headers=self.headers, timeout=30, **kw)

    def post(self, path: str, **kw: Any) -> requests.Response:
        headers = dict(self.headers)
        headers.update(kw.pop("headers", {}))
        return requests.post(self.base + path, headers=headers, timeout=30, **kw)

    def delete(self, path: str, **kw: Any) -> requests.Response:
        return requests.delete(self.base + path, headers=self.headers, timeout=30, **kw)

    def control(self, method: str, path: str, **kw: Any) -> requests.Response:
        return requests.request(
            method, self.root + "/_sim" + path, headers=self.headers, timeout=30, **kw
        )

    # ---- shortcuts
    def upload(self, email: str | None = None, *, size=(64, 48), fmt="PNG") -> str:
        ctype = "image/png" if fmt == "PNG" else "image/jpeg"
        path = "/assets" + (f"/{email}" if email else "")
        r = self.post(path, data=image_bytes(size, fmt), headers={"Content-Type": ctype})
        assert r.status_code == 200, r.text
        return r.json()["mediaGenerationId"]["mediaGenerationId"]

    def image(self, **body: Any) -> dict[str, Any]:
        body.setdefault("prompt", "a lighthouse at dawn")
        body.setdefault("count", 1)
        r = self.post("/images", json=body)
        assert r.status_code == 200, r.text
        return r.json()

    def video(self, **body: Any) -> dict[str, Any]:
        body.setdefault("prompt", "a red kite over the sea")
        r = self.post("/videos", json=body)
        assert r.status_code == 200, r.text
        return r.json()

    def video_id(self, **body: Any) -> str:
        return self.video(**body)["operations"][0]["mediaGenerationId"]


def image_bytes(size=(64, 48), fmt="PNG", color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, fmt)
    return out.getvalue()


@pytest.fixture(scope="session")
def sim() -> Iterator[SimulatorServer]:
    with SimulatorServer(speed=500, seed=20260101) as server:
        yield server


@pytest.fixture(autouse=True)
def fresh(sim: SimulatorServer) -> Iterator[None]:
    sim.state.reset()
    yield
    sim.state.reset()


@pytest.fixture
def api(sim: SimulatorServer) -> Api:
    return Api(sim)


class Receiver:
    """A local webhook receiver collecting JSON bodies."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - stdlib name
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length))
                with receiver.cond:
                    receiver.bodies.append(body)
                    receiver.cond.notify_all()
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def wait_for(self, predicate, timeout: float = 10.0) -> list[dict[str, Any]]:
        with self.cond:
            self.cond.wait_for(lambda: predicate(self.bodies), timeout=timeout)
            return list(self.bodies)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()
