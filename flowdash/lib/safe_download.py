"""Stream a result file (signed Google URL or the simulator's) to disk, from allowed hosts only.

Only ``https`` URLs on ``storage.googleapis.com`` and ``*.googleusercontent.com`` are fetched,
plus URLs on exactly the scheme, host and port of the configured API base URL (so a simulator
at ``http://127.0.0.1:PORT`` works). Redirects are followed by hand and every hop passes the same
check. Refusals are logged without the query string, which carries the URL's signature.
The API token is never sent: this module knows nothing of it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO, NamedTuple
from urllib.parse import urljoin, urlsplit

import requests

from flowdash.lib.params import parse_int

__all__ = [
    "DEFAULT_ALLOWED_HOSTS",
    "DownloadError",
    "DownloadFailed",
    "DownloadRefused",
    "DownloadResult",
    "DownloadTooLarge",
    "check_url",
    "download_to",
    "redact_url",
]

logger = logging.getLogger("flowdash.lib.safe_download")

DEFAULT_ALLOWED_HOSTS = ("storage.googleapis.com", "*.googleusercontent.com")
DEFAULT_USER_AGENT = "flowdash/0.1 (+self-hosted)"
CHUNK_SIZE = 64 * 1024
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_DEFAULT_PORTS = {"http": 80, "https": 443}


class DownloadError(Exception):
    """Base of download failures. Messages never include the URL's query string."""


class DownloadRefused(DownloadError):
    """The URL (or a redirect hop) is not on an allowed host / scheme. Nothing was fetched."""


class DownloadFailed(DownloadError):
    """The fetch itself failed: HTTP error status, transport failure, or too many redirects."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class DownloadTooLarge(DownloadFailed):
    """The file is bigger than ``max_bytes``; the partial file was removed."""


class DownloadResult(NamedTuple):
    bytes_written: int
    sha256: str
    content_type: str | None


def redact_url(url: str) -> str:
    """``scheme://host[:port]/path`` — no user info, query string or fragment."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "<unparseable url>"
    return f"{parts.scheme}://{host}{port}{parts.path}"


def _origin(url: str) -> tuple[str, str, int] | None:
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        port = parts.port or _DEFAULT_PORTS.get(scheme)
    except ValueError:
        return None
    if scheme not in _DEFAULT_PORTS or not parts.hostname or port is None:
        return None
    return scheme, parts.hostname.lower(), port


def _host_allowed(host: str, patterns: Iterable[str]) -> bool:
    for pattern in patterns:
        pattern = pattern.lower().strip()
        if pattern.startswith("*."):
            if host.endswith(pattern[1:]) and len(host) > len(pattern) - 1:
                return True
        elif host == pattern:
            return True
    return False


def check_url(
    url: str,
    *,
    allowed_hosts: Iterable[str] = DEFAULT_ALLOWED_HOSTS,
    extra_allowed_base: str | None = None,
) -> None:
    """Raise :class:`DownloadRefused` (and log it) unless ``url`` may be fetched."""
    why = _refusal(url, allowed_hosts, extra_allowed_base)
    if why:
        logger.warning("download refused: %s (%s)", redact_url(url), why)
        raise DownloadRefused(f"refused to download {redact_url(url)}: {why}")


def _refusal(url: str, allowed_hosts: Iterable[str], extra_allowed_base: str | None) -> str | None:
    if not isinstance(url, str) or not url:
        return "empty URL"
    try:
        parts = urlsplit(url)
    except ValueError:
        return "unparseable URL"
    if parts.username is not None or parts.password is not None:
        return "URLs with user info are not allowed"
    origin = _origin(url)
    if origin is None:
        return "only http(s) URLs with a host are allowed"
    if extra_allowed_base:
        base = _origin(extra_allowed_base)
        if base is not None and origin == base:
            return None
    scheme, host, port = origin
    if not _host_allowed(host, allowed_hosts):
        return f"host {host} is not allowed"
    if scheme != "https" or port != 443:
        return "only https on the default port is allowed for this host"
    return None


def download_to(
    url: str,
    dest: str | os.PathLike[str] | BinaryIO,
    *,
    allowed_hosts: Iterable[str] = DEFAULT_ALLOWED_HOSTS,
    extra_allowed_base: str | None = None,
    max_bytes: int,
    session: requests.Session | None = None,
    timeout: tuple[float, float] = (10.0, 120.0),
    max_redirects: int = 5,
    user_agent: str = DEFAULT_USER_AGENT,
) -> DownloadResult:
    """Stream ``url`` into ``dest`` (a path, written atomically, or a binary file).

    Returns ``(bytes_written, sha256 hex, content_type)``. Raises :class:`DownloadRefused` for a
    URL or redirect hop off the allow-list, :class:`DownloadTooLarge` past ``max_bytes``, and
    :class:`DownloadFailed` for anything else that went wrong.
    """
    allowed_hosts = tuple(allowed_hosts)
    own_session = session is None
    http = session or requests.Session()
    try:
        response = _follow(
            http, url, allowed_hosts, extra_allowed_base, timeout, max_redirects, user_agent
        )
        try:
            return _save(response, dest, max_bytes)
        finally:
            response.close()
    finally:
        if own_session:
            http.close()


def _follow(
    http: requests.Session,
    url: str,
    allowed_hosts: tuple[str, ...],
    extra_allowed_base: str | None,
    timeout: tuple[float, float],
    max_redirects: int,
    user_agent: str,
) -> requests.Response:
    current = url
    for _hop in range(max_redirects + 1):
        check_url(current, allowed_hosts=allowed_hosts, extra_allowed_base=extra_allowed_base)
        try:
            response = http.get(
                current,
                headers={"User-Agent": user_agent},
                timeout=timeout,
                stream=True,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise DownloadFailed(
                f"download of {redact_url(current)} failed ({type(exc).__name__})"
            ) from None
        if response.status_code in _REDIRECTS and response.headers.get("Location"):
            location = urljoin(current, response.headers["Location"])
            response.close()
            current = location
            continue
        if response.status_code != 200:
            status = response.status_code
            response.close()
            raise DownloadFailed(
                f"download of {redact_url(current)} got HTTP {status}", status=status
            )
        return response
    raise DownloadFailed(f"too many redirects from {redact_url(url)}")


def _save(response: requests.Response, dest: object, max_bytes: int) -> DownloadResult:
    where = redact_url(response.url)
    declared = parse_int(response.headers.get("Content-Length"), lo=0, hi=10**30)
    if declared is not None and declared > max_bytes:
        raise DownloadTooLarge(f"{where} is {declared} bytes, over the {max_bytes}-byte limit")
    digest = hashlib.sha256()
    written = 0
    temp: Path | None = None
    if isinstance(dest, str | os.PathLike):
        target = Path(dest)
        out: BinaryIO = tempfile.NamedTemporaryFile(  # noqa: SIM115  (closed below)
            dir=target.parent, prefix=f".{target.name}.", suffix=".part", delete=False
        )
        temp = Path(out.name)
    elif hasattr(dest, "write"):
        out = dest  # type: ignore[assignment]
    else:
        raise TypeError("dest must be a path or a writable binary file")
    ok = False
    try:
        for chunk in response.iter_content(chunk_size=CHUNK_SIZE):
            written += len(chunk)
            if written > max_bytes:
                raise DownloadTooLarge(f"{where} is over the {max_bytes}-byte limit")
            digest.update(chunk)
            out.write(chunk)
        ok = True
    except requests.RequestException as exc:
        raise DownloadFailed(f"download of {where} broke off ({type(exc).__name__})") from None
    finally:
        if temp is not None:
            out.close()
            if ok:
                os.replace(temp, Path(dest))  # type: ignore[arg-type]
            else:
                temp.unlink(missing_ok=True)
    content_type = response.headers.get("Content-Type")
    return DownloadResult(written, digest.hexdigest(), content_type)
