"""A real local HTTP server standing in for api.useapi.net in the client's unit tests.

It records every request (method, raw path, query, headers, body) and answers with replies the
test queued — usually a documented payload from ``tests/fixtures/useapi``. HTTP is faked only
at this boundary; the client runs unchanged over a real socket.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from flowdash.useapi.client import Timeouts, UseapiClient

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "useapi"
TOKEN = "user:4242-Sup3rS3cretTokenValue"
USER_AGENT = "flowdash-tests/1.0"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / f"{name}.json").read_bytes()


def fixture_json(name: str) -> Any:
    return json.loads(fixture_bytes(name))


@dataclass
class Recorded:
    method: str
    target: str  # raw request target, e.g. "/accounts/john%40gmail.com?x=1"
    headers: dict[str, str]  # lower-cased names
    body: bytes
    chunked: bool

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.target).query, keep_blank_values=True)

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Reply:
    status: int = 200
    body: bytes | Callable[[], Iterable[bytes]] = b"{}"
    headers: dict[str, str] = field(default_factory=dict)
    content_length: int | None = None  # for streamed bodies; None → chunked
    drop_after: int | None = None  # close the socket after this many body bytes


class FakeApi:
    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.replies: deque[Reply] = deque()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1/google-flow"

    def reply(
        self,
        status: int = 200,
        body: Any = None,
        *,
        fixture: str | None = None,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> None:
        if fixture is not None:
            data = fixture_bytes(fixture)
        elif raw is not None:
            data = raw
        else:
            data = json.dumps({} if body is None else body).encode()
        all_headers = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
        self.replies.append(Reply(status, data, all_headers))

    def reply_with(self, reply: Reply) -> None:
        self.replies.append(reply)

    @property
    def last(self) -> Recorded:
        assert self.requests, "the client sent no request"
        return self.requests[-1]

    def api_path(self, recorded: Recorded) -> str:
        """The request path relative to the client's base URL."""
        prefix = urlsplit(self.base_url).path
        assert recorded.path.startswith(prefix), recorded.path
        return recorded.path[len(prefix) :]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler_for(api: FakeApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            pass

        def _read_body(self) -> tuple[bytes, bool]:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                parts = []
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                    if size == 0:
                        self.rfile.readline()
                        return b"".join(parts), True
                    parts.append(self.rfile.read(size))
                    self.rfile.readline()
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length), False

        def _handle(self) -> None:
            body, chunked = self._read_body()
            headers = {k.lower(): v for k, v in self.headers.items()}
            api.requests.append(Recorded(self.command, self.path, headers, body, chunked))
            reply = (
                api.replies.popleft()
                if api.replies
                else Reply(599, b'{"error": "no reply queued in the test"}')
            )
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if callable(reply.body):
                self._send_stream(reply)
                return
            data = reply.body
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if reply.drop_after is not None:
                self.wfile.write(data[: reply.drop_after])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(data)

        def _send_stream(self, reply: Reply) -> None:
            assert callable(reply.body)
            pieces: Iterator[bytes] = iter(reply.body())
            if reply.content_length is not None:
                self.send_header("Content-Length", str(reply.content_length))
                self.end_headers()
                sent = 0
                for piece in pieces:
                    if reply.drop_after is not None and sent + len(piece) > reply.drop_after:
                        self.wfile.write(piece[: reply.drop_after - sent])
                        self.wfile.flush()
                        self.close_connection = True
                        return
                    self.wfile.write(piece)
                    sent += len(piece)
                return
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for piece in pieces:
                if piece:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")

        do_GET = do_POST = do_DELETE = do_PUT = _handle  # noqa: N815

    return Handler


@pytest.fixture
def fake_api() -> Iterator[FakeApi]:
    api = FakeApi()
    yield api
    api.close()


@pytest.fixture
def api_client(fake_api: FakeApi) -> Iterator[UseapiClient]:
    with UseapiClient(
        fake_api.base_url, TOKEN, user_agent=USER_AGENT, timeouts=Timeouts.uniform(5)
    ) as api_client:
        yield api_client
