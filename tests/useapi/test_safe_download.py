"""safe_download: only allowed hosts over https (plus the API base origin), streamed, capped."""

from __future__ import annotations

import hashlib
import io
import logging
from typing import Any

import pytest

from flowdash.lib.safe_download import (
    DownloadFailed,
    DownloadRefused,
    DownloadTooLarge,
    check_url,
    download_to,
    redact_url,
)

from .conftest import FakeApi, Reply

ALLOWED = (
    "https://storage.googleapis.com/ai-sandbox-videofx/video/abc?Expires=1&Signature=x",
    "https://lh3.googleusercontent.com/a/xyz=s512",
    "https://video-downloads.googleusercontent.com/abc",
    "https://STORAGE.googleapis.com/x",
    "https://storage.googleapis.com:443/x",
)
REFUSED = (
    "http://storage.googleapis.com/x",  # plain http
    "https://storage.googleapis.com:8443/x",  # other port
    "https://storage.googleapis.com.evil.example/x",
    "https://evilgoogleusercontent.com/x",
    "https://googleusercontent.com/x",  # "*." means a subdomain
    "https://evil.example/storage.googleapis.com",
    "https://user:pw@storage.googleapis.com/x",
    "https://storage.googleapis.com@evil.example/x",
    "ftp://storage.googleapis.com/x",
    "file:///etc/passwd",
    "data:text/plain,hi",
    "//storage.googleapis.com/x",
    "",
)


@pytest.mark.parametrize("url", ALLOWED)
def test_google_hosts_over_https_pass(url: str) -> None:
    check_url(url)


@pytest.mark.parametrize("url", REFUSED)
def test_other_urls_are_refused(url: str) -> None:
    with pytest.raises(DownloadRefused):
        check_url(url)
    with pytest.raises(DownloadRefused):
        download_to(url, io.BytesIO(), max_bytes=10)


def test_api_base_origin_is_allowed_exactly() -> None:
    base = "http://127.0.0.1:8765/v1/google-flow"
    check_url("http://127.0.0.1:8765/media/x.mp4", extra_allowed_base=base)
    for url in (
        "http://127.0.0.1:8766/media/x.mp4",  # other port
        "https://127.0.0.1:8765/media/x.mp4",  # other scheme
        "http://localhost:8765/media/x.mp4",  # other host name
    ):
        with pytest.raises(DownloadRefused):
            check_url(url, extra_allowed_base=base)
    with pytest.raises(DownloadRefused):
        check_url("http://127.0.0.1:8765/media/x.mp4")  # not without the base


def test_refusal_is_logged_without_the_query(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="flowdash.lib.safe_download")
    with pytest.raises(DownloadRefused) as caught:
        check_url("https://evil.example/file.mp4?Signature=SECRETSIG&Expires=1")
    assert "evil.example/file.mp4" in caplog.text
    assert "SECRETSIG" not in caplog.text and "SECRETSIG" not in str(caught.value)
    assert redact_url("https://u:p@h.example:8443/p?q=1#f") == "https://h.example:8443/p"


def test_download_streams_and_hashes(fake_api: FakeApi, tmp_path: Any) -> None:
    data = bytes(range(256)) * 1000
    fake_api.reply(200, raw=data, headers={"Content-Type": "video/mp4"})
    target = tmp_path / "video.mp4"
    result = download_to(
        f"{fake_api.url}/media/v.mp4?sig=1",
        target,
        extra_allowed_base=fake_api.base_url,
        max_bytes=len(data),
    )
    assert result == (len(data), hashlib.sha256(data).hexdigest(), "video/mp4")
    assert target.read_bytes() == data
    assert "authorization" not in fake_api.last.headers
    assert fake_api.last.headers["user-agent"].startswith("flowdash/")


def test_download_into_a_file_object(fake_api: FakeApi) -> None:
    fake_api.reply_with(
        Reply(200, lambda: (b"x" * 1000 for _ in range(50)), {"Content-Type": "image/jpeg"})
    )
    out = io.BytesIO()
    written, digest, content_type = download_to(
        f"{fake_api.url}/m", out, extra_allowed_base=fake_api.base_url, max_bytes=10**6
    )
    assert written == 50_000 == len(out.getvalue()) and content_type == "image/jpeg"
    assert digest == hashlib.sha256(b"x" * 50_000).hexdigest()


def test_too_large_is_refused_and_leaves_nothing(fake_api: FakeApi, tmp_path: Any) -> None:
    fake_api.reply(200, raw=b"y" * 5000)  # declared length over the cap
    with pytest.raises(DownloadTooLarge):
        download_to(
            f"{fake_api.url}/m", tmp_path / "a", extra_allowed_base=fake_api.url, max_bytes=4999
        )
    # no length declared (chunked): the cap is enforced while streaming
    fake_api.reply_with(Reply(200, lambda: (b"z" * 1024 for _ in range(10))))
    with pytest.raises(DownloadTooLarge):
        download_to(
            f"{fake_api.url}/m", tmp_path / "b", extra_allowed_base=fake_api.url, max_bytes=4096
        )
    assert list(tmp_path.iterdir()) == []


def test_redirects_are_checked_at_every_hop(fake_api: FakeApi, tmp_path: Any) -> None:
    fake_api.reply(302, raw=b"", headers={"Location": "/media/final.mp4"})
    fake_api.reply(200, raw=b"final", headers={"Content-Type": "video/mp4"})
    result = download_to(
        f"{fake_api.url}/media/start",
        tmp_path / "ok",
        extra_allowed_base=fake_api.url,
        max_bytes=99,
    )
    assert result.bytes_written == 5
    assert [r.path for r in fake_api.requests] == ["/media/start", "/media/final.mp4"]

    fake_api.reply(302, raw=b"", headers={"Location": "https://evil.example/x?sig=1"})
    with pytest.raises(DownloadRefused):
        download_to(
            f"{fake_api.url}/media/start",
            tmp_path / "bad",
            extra_allowed_base=fake_api.url,
            max_bytes=99,
        )
    assert len(fake_api.requests) == 3  # the off-list hop was never fetched
    assert not (tmp_path / "bad").exists()


def test_http_errors_fail(fake_api: FakeApi, tmp_path: Any) -> None:
    fake_api.reply(404, raw=b"gone")
    with pytest.raises(DownloadFailed) as caught:
        download_to(
            f"{fake_api.url}/m", tmp_path / "x", extra_allowed_base=fake_api.url, max_bytes=9
        )
    assert caught.value.status == 404
    assert not isinstance(caught.value, DownloadRefused)
    assert list(tmp_path.iterdir()) == []
