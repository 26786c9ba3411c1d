"""Small WSGI helpers: requests, JSON responses, body parsing and field validators."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterable, Iterator
from email import policy
from email.parser import BytesParser
from typing import Any
from urllib.parse import parse_qs

STATUS_TEXT = {
    200: "OK",
    201: "Created",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    410: "Gone",
    413: "Payload Too Large",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
    596: "Session Error",
}
MAX_BODY = 120 * 1024 * 1024  # read (and discard) at most this much
KEEP_BODY = 20 * 1024 * 1024 + 1  # keep this much of a body in memory
SENSITIVE_HEADERS = {"authorization", "cookie", "proxy-authorization"}


class Response:
    def __init__(
        self,
        status: int,
        body: bytes = b"",
        content_type: str = "application/json; charset=utf-8",
        headers: Iterable[tuple[str, str]] = (),
    ) -> None:
        self.status = status
        self.body = body
        self.content_type = content_type
        self.headers = list(headers)
        self.file_path = None

    @classmethod
    def json(cls, status: int, payload: Any, headers: Iterable[tuple[str, str]] = ()) -> Response:
        response = cls(status, json.dumps(payload).encode("utf-8"), headers=headers)
        response.payload = payload
        return response

    payload: Any = None

    @property
    def status_line(self) -> str:
        return f"{self.status} {STATUS_TEXT.get(self.status, 'Unknown')}"

    def header_list(self) -> list[tuple[str, str]]:
        headers = [("Content-Type", self.content_type), ("Content-Length", str(len(self.body)))]
        if self.file_path is not None:
            headers[1] = ("Content-Length", str(self.file_path.stat().st_size))
        return headers + self.headers


class ApiError(Exception):
    """Answer the request with ``status`` and a JSON ``body``."""

    def __init__(self, status: int, body: Any, headers: Iterable[tuple[str, str]] = ()) -> None:
        super().__init__(status, body)
        self.status = status
        self.body = body
        self.headers = list(headers)

    def response(self) -> Response:
        return Response.json(self.status, self.body, self.headers)


def bad_request(message: str, *, code: bool = False) -> ApiError:
    body: dict[str, Any] = {"error": message}
    if code:
        body["code"] = 400
    return ApiError(400, body)


class Request:
    def __init__(self, environ: dict[str, Any]) -> None:
        self.environ = environ
        self.method = environ.get("REQUEST_METHOD", "GET").upper()
        raw_path = environ.get("PATH_INFO", "") or "/"
        # wsgiref decodes the path as latin-1; recover UTF-8 (emails, job ids)
        with contextlib.suppress(UnicodeError):
            raw_path = raw_path.encode("latin-1").decode("utf-8")
        self.path = raw_path
        self.query_string = environ.get("QUERY_STRING", "")
        self.query = {
            k: v[0] for k, v in parse_qs(self.query_string, keep_blank_values=True).items()
        }
        self.content_type = environ.get("CONTENT_TYPE", "") or ""
        self._body: bytes | None = None
        self.body_size = 0

    @property
    def headers(self) -> dict[str, str]:
        """Request headers (without credentials), in their usual spelling."""
        out: dict[str, str] = {}
        for key, value in self.environ.items():
            if key.startswith("HTTP_"):
                name = key[5:].replace("_", "-").title()
            elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
                name = key.replace("_", "-").title()
            else:
                continue
            if name.lower() in SENSITIVE_HEADERS:
                continue
            out[name] = value
        return out

    def header(self, name: str) -> str | None:
        return self.environ.get("HTTP_" + name.upper().replace("-", "_"))

    @property
    def host_url(self) -> str:
        host = self.environ.get("HTTP_HOST")
        if not host:
            name = self.environ.get("SERVER_NAME", "127.0.0.1")
            host = f"{name}:{self.environ.get('SERVER_PORT', '80')}"
        return f"{self.environ.get('wsgi.url_scheme', 'http')}://{host}"

    def _chunks(self) -> Iterator[bytes]:
        """Decode a ``Transfer-Encoding: chunked`` body (wsgiref leaves it to the app)."""
        stream = self.environ["wsgi.input"]
        while True:
            line = stream.readline(1024)
            if not line:
                return
            try:
                size = int(line.split(b";")[0].strip() or b"0", 16)
            except ValueError:
                return
            if size == 0:
                while stream.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return
            remaining = size
            while remaining > 0:
                data = stream.read(min(remaining, 1 << 20))
                if not data:
                    return
                remaining -= len(data)
                yield data
            stream.readline(8)  # the CRLF after each chunk

    def _read_chunked(self) -> bytes:
        kept = bytearray()
        total = 0
        for data in self._chunks():
            total += len(data)
            if len(kept) < KEEP_BODY:
                kept.extend(data[: KEEP_BODY - len(kept)])
            if total > MAX_BODY:
                break
        self.body_size = total
        return bytes(kept)

    @property
    def body(self) -> bytes:
        if self._body is None:
            chunked = "chunked" in self.environ.get("HTTP_TRANSFER_ENCODING", "").lower()
            if chunked and not self.environ.get("CONTENT_LENGTH"):
                self._body = self._read_chunked()
                return self._body
            try:
                length = int(self.environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            stream = self.environ["wsgi.input"]
            kept = bytearray()
            remaining = min(length, MAX_BODY)
            total = 0
            while remaining > 0:
                chunk = stream.read(min(remaining, 1 << 20))
                if not chunk:
                    break
                total += len(chunk)
                remaining -= len(chunk)
                if len(kept) < KEEP_BODY:
                    kept.extend(chunk[: KEEP_BODY - len(kept)])
            self.body_size = max(total, length)
            self._body = bytes(kept)
        return self._body

    def form(self, *, json_only: bool = False) -> dict[str, Any]:
        """The body as a dict: JSON, or multipart/form-data / urlencoded fields."""
        data = self.body
        ctype = self.content_type.split(";")[0].strip().lower()
        if not json_only and ctype == "multipart/form-data":
            return parse_multipart(self.content_type, data)
        if not json_only and ctype == "application/x-www-form-urlencoded":
            return {k: v[0] for k, v in parse_qs(data.decode("utf-8", "replace")).items()}
        if not data.strip():
            return {}
        try:
            payload = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise bad_request("Invalid JSON body") from exc
        if not isinstance(payload, dict):
            raise bad_request("Request body must be a JSON object")
        return payload

    def logged_body(self) -> Any:
        ctype = self.content_type.split(";")[0].strip().lower()
        if self.method in ("GET", "DELETE") and not self.body:
            return None
        if ctype.startswith(("image/", "video/", "application/octet-stream")):
            return {"contentType": ctype, "bytes": self.body_size}
        try:
            return self.form()
        except ApiError:
            return {"contentType": ctype, "bytes": self.body_size}


def parse_multipart(content_type: str, data: bytes) -> dict[str, Any]:
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = BytesParser(policy=policy.HTTP).parsebytes(head + data)
    fields: dict[str, Any] = {}
    if not message.is_multipart():
        raise bad_request("Invalid multipart/form-data body")
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        payload = part.get_payload(decode=True) or b""
        fields[str(name)] = payload.decode("utf-8", "replace")
    return fields


# --------------------------------------------------------------------------- validators


def get_str(
    body: dict[str, Any], key: str, *, required: bool = False, max_len: int | None = None
) -> str | None:
    value = body.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise bad_request(f"{key} is required", code=True)
        return None
    if not isinstance(value, str):
        raise bad_request(f"{key} must be a string", code=True)
    if max_len is not None and len(value) > max_len:
        raise bad_request(f"{key} must be at most {max_len} characters", code=True)
    return value.strip()


def get_int(
    body: dict[str, Any], key: str, *, lo: int | None = None, hi: int | None = None
) -> int | None:
    value = body.get(key)
    if value is None or value == "":
        return None
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif (isinstance(value, float) and value.is_integer()) or (
        isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value)
    ):
        number = int(value)
    if number is None or (lo is not None and number < lo) or (hi is not None and number > hi):
        if lo is not None and hi is not None:
            raise bad_request(f"{key} must be an integer between {lo} and {hi}", code=True)
        if lo is not None:
            raise bad_request(f"{key} must be an integer >= {lo}", code=True)
        raise bad_request(f"{key} must be an integer", code=True)
    return number


def get_number(body: dict[str, Any], key: str, *, lo: float, hi: float, label: str) -> float:
    value = body.get(key)
    if value is None or value == "":
        return 0.0
    number: float | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            number = None
    if number is None or not lo <= number <= hi:
        raise bad_request(f"{label} must be a number between {lo:g} and {hi:g}", code=True)
    return number


def get_bool(body: dict[str, Any], key: str) -> bool:
    value = body.get(key)
    if value is None or value == "":
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "1", "yes"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("false", "0", "no"):
        return False
    raise bad_request(f"{key} must be a boolean", code=True)


def get_choice(body: dict[str, Any], key: str, choices: Iterable[str], default: str) -> str:
    value = body.get(key)
    if value is None or value == "":
        return default
    options = list(choices)
    if not isinstance(value, str) or value not in options:
        raise bad_request(
            f"Invalid {key}: {value}. Supported values: {', '.join(options)}", code=True
        )
    return value
