"""Transport failures over real sockets: "never sent" vs "outcome unknown"; the token stays
secret."""

from __future__ import annotations

import contextlib
import io
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from flowdash.lib.ports import free_port
from flowdash.useapi import errors
from flowdash.useapi.client import Timeouts, UseapiClient

from .conftest import TOKEN, FakeApi, Reply, fixture_bytes

FAST = Timeouts.uniform(0.3)


class RawServer:
    """A loopback TCP server whose connection handler the test supplies."""

    def __init__(self, handle: Callable[[socket.socket], None]) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(8)
        self._sock.settimeout(0.05)
        self._handle = handle
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}/v1/google-flow"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(1)
        self._sock.close()


def _read_request(conn: socket.socket) -> None:
    conn.settimeout(2)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return
        data += chunk


@pytest.fixture
def raw_server() -> Iterator[Callable[[Callable[[socket.socket], None]], RawServer]]:
    servers: list[RawServer] = []

    def start(handle: Callable[[socket.socket], None]) -> RawServer:
        servers.append(RawServer(handle))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def test_connection_refused_is_connection_failed() -> None:
    api = UseapiClient(f"http://127.0.0.1:{free_port()}/v1/google-flow", TOKEN, timeouts=FAST)
    with pytest.raises(errors.ConnectionFailed) as caught:
        api.generate_images("a fox")
    assert caught.value.may_have_reached_service is False
    assert caught.value.status is None
    assert caught.value.user_message == (
        "Could not reach the useapi.net service (the host is unreachable); nothing was sent."
    )


def test_unknown_host_is_connection_failed() -> None:
    api = UseapiClient("http://flowdash-test-host.invalid/v1", TOKEN, timeouts=FAST)
    with pytest.raises(errors.ConnectionFailed):
        api.list_accounts()


def test_connect_timeout_is_connection_failed() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)  # never accepts: once the backlog is full, new SYNs go unanswered
    port = listener.getsockname()[1]
    fillers = []
    try:
        for _ in range(4):
            filler = socket.socket()
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                filler.connect(("127.0.0.1", port))
            fillers.append(filler)
        time.sleep(0.05)
        api = UseapiClient(f"http://127.0.0.1:{port}/v1", TOKEN, timeouts=FAST)
        started = time.monotonic()
        with pytest.raises(errors.ConnectionFailed) as caught:
            api.generate_videos("a fox")
        assert time.monotonic() - started < 3
        assert "ConnectTimeout" in str(caught.value)
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


def test_server_that_never_answers_is_response_lost(raw_server: Any) -> None:
    release = threading.Event()

    def hang(conn: socket.socket) -> None:
        _read_request(conn)
        release.wait(5)
        conn.close()

    server = raw_server(hang)
    api = UseapiClient(server.url, TOKEN, timeouts=FAST)
    try:
        with pytest.raises(errors.ResponseLost) as caught:
            api.generate_images("a fox")
    finally:
        release.set()
    assert caught.value.may_have_reached_service is True
    assert "ReadTimeout" in str(caught.value)


def test_connection_closed_after_the_request_is_response_lost(raw_server: Any) -> None:
    def drop(conn: socket.socket) -> None:
        _read_request(conn)
        conn.close()

    server = raw_server(drop)
    api = UseapiClient(server.url, TOKEN, timeouts=FAST)
    with pytest.raises(errors.ResponseLost) as caught:
        api.generate_videos("a fox")
    assert type(caught.value) is errors.ResponseLost
    assert caught.value.may_have_reached_service is True


def test_connection_reset_after_the_request_is_response_lost(raw_server: Any) -> None:
    def reset(conn: socket.socket) -> None:
        _read_request(conn)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        conn.close()  # linger 0: RST instead of FIN

    server = raw_server(reset)
    api = UseapiClient(server.url, TOKEN, timeouts=FAST)
    with pytest.raises(errors.ResponseLost):
        api.upload_asset(b"\x89PNG" + b"\x00" * 10, "image/png")


def test_body_cut_off_after_status_is_response_lost(fake_api: FakeApi) -> None:
    data = fixture_bytes("post-images-200")
    fake_api.reply_with(
        Reply(200, data, {"Content-Type": "application/json"}, drop_after=len(data) // 2)
    )
    api = UseapiClient(fake_api.base_url, TOKEN, timeouts=FAST)
    with pytest.raises(errors.ResponseLost) as caught:
        api.generate_images("a fox")
    assert caught.value.status == 200  # the job ran and was paid: the answer was lost


def test_error_status_with_a_cut_off_body_keeps_its_class(fake_api: FakeApi) -> None:
    data = fixture_bytes("post-images-503")
    fake_api.reply_with(Reply(503, data, {"Content-Type": "application/json"}, drop_after=10))
    api = UseapiClient(fake_api.base_url, TOKEN, timeouts=FAST)
    with pytest.raises(errors.Unavailable) as caught:
        api.generate_images("a fox")
    assert caught.value.status == 503 and caught.value.payload is None


def test_truncated_json_with_a_clean_end_is_malformed(fake_api: FakeApi) -> None:
    data = fixture_bytes("get-jobs-jobid-200-video-completed")
    fake_api.reply(200, raw=data[: len(data) // 3])
    api = UseapiClient(fake_api.base_url, TOKEN, timeouts=FAST)
    with pytest.raises(errors.MalformedResponse):
        api.get_job("j1")


def test_stream_cut_off_leaves_no_partial_file(fake_api: FakeApi, tmp_path: Any) -> None:
    payload = b'{"jobId": "j1", "status": "MEDIA_GENERATION_STATUS_SUCCESSFUL", "encodedVideo": "'
    payload += b"QUFB" * 100_000 + b'"}'
    fake_api.reply_with(
        Reply(
            200,
            lambda: (payload[i : i + 65536] for i in range(0, len(payload), 65536)),
            {"Content-Type": "application/json"},
            content_length=len(payload),
            drop_after=len(payload) // 2,
        )
    )
    api = UseapiClient(fake_api.base_url, TOKEN, timeouts=FAST)
    with pytest.raises(errors.ResponseLost) as caught:
        api.concatenate_videos(["a", "b"], dest=tmp_path / "out.mp4")
    assert caught.value.status == 200
    assert list(tmp_path.iterdir()) == []

    fake_api.reply(200, raw=payload[: len(payload) // 2])  # clean end, truncated JSON
    with pytest.raises(errors.MalformedResponse):
        api.concatenate_videos(["a", "b"], dest=tmp_path / "out.mp4")
    assert list(tmp_path.iterdir()) == []


# --- the token never leaks --------------------------------------------------------------------


def _collect_errors(fake_api: FakeApi, raw_server: Any) -> list[errors.UseapiError]:
    caught: list[errors.UseapiError] = []
    api = UseapiClient(fake_api.base_url, TOKEN, timeouts=FAST)
    # the API echoing the token in an error must not carry it into our messages
    fake_api.reply(401, {"error": f"Unauthorized: Bearer {TOKEN}"})
    fake_api.reply(400, fixture="post-images-400-content-policy")
    fake_api.reply(429, fixture="post-videos-429-no-eligible-account", headers={"Retry-After": "5"})
    fake_api.reply(200, raw=b"not json")
    for call in (
        lambda: api.list_accounts(),
        lambda: api.generate_images("a"),
        lambda: api.generate_videos("a"),
        lambda: api.get_job("j1"),
        lambda: UseapiClient(f"http://127.0.0.1:{free_port()}/", TOKEN, timeouts=FAST).get_jobs(),
        lambda: api.generate_images("", seed=-1),
    ):
        with pytest.raises(errors.UseapiError) as info:
            call()
        caught.append(info.value)

    def drop(conn: socket.socket) -> None:
        _read_request(conn)
        conn.close()

    server = raw_server(drop)
    with pytest.raises(errors.ResponseLost) as info:
        UseapiClient(server.url, TOKEN, timeouts=FAST).make_gif("m", dest=io.BytesIO())
    caught.append(info.value)
    return caught


def test_token_never_in_errors_reprs_or_logs(
    fake_api: FakeApi, raw_server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, urllib3 included
    found = _collect_errors(fake_api, raw_server)
    assert len(found) == 7
    secret = TOKEN.split("-", 1)[1]
    for error in found:
        chain: list[BaseException | None] = [error, error.__cause__, error.__context__]
        for exc in filter(None, chain):
            assert secret not in str(exc) and secret not in repr(exc)
        assert secret not in error.user_message
        assert secret not in (error.api_message or "")
    assert "***" in str(found[0])  # the echoed token was scrubbed
    assert caplog.records, "the client logs its calls"
    assert secret not in caplog.text
    assert secret not in repr(UseapiClient(fake_api.base_url, TOKEN))
