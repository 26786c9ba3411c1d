"""Control endpoints (``/_sim/…``, same bearer token) and the signed media URLs (``/_media/…``).

======  =================================  ====================================================
GET     /_sim/health                       status, base URL, speed, simulated time, accounts
POST    /_sim/reset                        back to a fresh server
GET     /_sim/faults                       active faults
POST    /_sim/faults                       add one fault (object) or several (``{"faults": []}``)
DELETE  /_sim/faults[/<id>]                clear all faults, or one
GET     /_sim/accounts                     accounts unmasked (email, tier, credits, state)
POST    /_sim/accounts                     add an account ``{email, tier, credits}``
POST    /_sim/accounts/<email>/state       ``{state: ok|session_expired|unhealthy, health?,
                                           credits?, tier?, imageConcurrency?,
                                           videoConcurrency?}``
GET     /_sim/requests[?path=&method=]     log of received API requests
DELETE  /_sim/requests                     clear that log
GET     /_sim/webhooks                     webhook deliveries (DELETE clears)
GET     /_sim/clock, POST /_sim/clock      ``{"advance": seconds}`` moves simulated time
GET     /_sim/settings, POST /_sim/settings  speed, newForms, urlLifetime, imageConcurrency, …
======  =================================  ====================================================
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from pathlib import Path, PosixPath
from typing import Any

from .accounts import iso
from .faults import MEDIA_ENDPOINT, MEDIA_KINDS, FaultError
from .state import SimState
from .store import MediaGone
from .web import ApiError, Request, Response

log = logging.getLogger(__name__)
MEDIA_NAME = re.compile(r"^([0-9a-f]{32})(-thumb)?\.(jpg|png|mp4)$")
CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "mp4": "video/mp4"}


def _xml_error(status: int, code: str, message: str, details: str = "") -> Response:
    body = (
        "<?xml version='1.0' encoding='UTF-8'?>"
        f"<Error><Code>{code}</Code><Message>{message}</Message>"
        f"<Details>{details}</Details></Error>"
    )
    return Response(status, body.encode(), content_type="application/xml; charset=UTF-8")


def serve_media(state: SimState, req: Request) -> Response:
    """GET a signed media URL: 403 on a bad signature or after ``Expires``."""
    name = req.path[len("/_media/") :]
    match = MEDIA_NAME.match(name)
    if req.method not in ("GET", "HEAD") or not match:
        return _xml_error(404, "NoSuchKey", "The specified key does not exist.")
    expires = req.query.get("Expires", "")
    if not state.store.check_signature(name, expires, req.query.get("Signature", "")):
        return _xml_error(
            403,
            "SignatureDoesNotMatch",
            "Access denied.",
            "The request signature we calculated does not match the signature you provided.",
        )
    if state.now() > int(expires):
        return _xml_error(403, "ExpiredToken", "Access denied.", f"Request has expired: {expires}")
    record = state.store.by_file(match.group(1))
    if record is None:
        return _xml_error(404, "NoSuchKey", "The specified key does not exist.")
    try:
        path = state.store.ensure_thumb(record) if match.group(2) else state.store.ensure(record)
    except (MediaGone, OSError):
        return _xml_error(404, "NoSuchKey", "The specified key does not exist.")
    except Exception:  # a broken render must not kill the connection without an answer
        log.exception("rendering %s failed", name)
        return _xml_error(500, "InternalError", "We encountered an internal error.")
    ext = "jpg" if match.group(2) else record.ext
    response = Response(
        200, content_type=CONTENT_TYPES[ext], headers=[("Cache-Control", "private, max-age=0")]
    )
    response.file_path = path
    fault = state.faults.take(MEDIA_KINDS, endpoint=MEDIA_ENDPOINT, method=req.method, email=None)
    if fault is not None:
        return _faulty_media(state, fault, response, path)
    return response


class _FaultyFile(PosixPath):
    """A media file served through a fault: paced (``pause`` between chunks) and/or cut off
    after ``limit`` bytes, the connection then closed. The headers still promise it whole."""

    pause: float = 0.0
    limit: int | None = None
    stopping = None


def _faulty_media(state: SimState, fault, response: Response, path: Path) -> Response:
    size = path.stat().st_size
    if fault.kind == "media_fake":
        # what a proxy's error page or a broken object store hands out with a 200
        fake = b"<html><body>Not the file you were promised.</body></html>" * 40
        response.file_path = None
        response.body = fake
        return response
    faulty = _FaultyFile(path)
    faulty.stopping = state.scheduler.stopping
    if fault.kind == "media_slow":
        chunks = max(1, -(-size // MEDIA_CHUNK))
        faulty.pause = float(fault.params.get("seconds", 10)) / chunks
    elif fault.kind == "media_cut":
        faulty.limit = max(1, size // 2)
    response.file_path = faulty
    return response


MEDIA_CHUNK = 16 * 1024


def iter_file(path: Path, chunk: int = 256 * 1024) -> Iterator[bytes]:
    pause = getattr(path, "pause", 0.0)
    limit = getattr(path, "limit", None)
    if pause or limit is not None:
        chunk = MEDIA_CHUNK
    sent = 0
    with path.open("rb") as fh:
        while True:
            data = fh.read(chunk)
            if not data:
                return
            if pause and path.stopping is not None and path.stopping.wait(pause):
                return
            if limit is not None and sent + len(data) > limit:
                yield data[: limit - sent]
                raise ConnectionAbortedError("media cut off by a simulator fault")
            sent += len(data)
            yield data


class Control:
    def __init__(self, state: SimState, info: Callable[[], dict[str, Any]]) -> None:
        self.state = state
        self.info = info

    def handle(self, req: Request) -> Response:
        parts = [p for p in req.path.split("/") if p][1:]
        method = req.method
        try:
            return self._route(req, method, parts)
        except ApiError as exc:
            return exc.response()
        except (ValueError, KeyError, FaultError) as exc:
            message = str(exc.args[0]) if exc.args else str(exc)
            return Response.json(400, {"error": message})

    def _body(self, req: Request) -> Any:
        return req.form()

    def _route(self, req: Request, method: str, parts: list[str]) -> Response:
        st = self.state
        head = parts[0] if parts else ""
        if head == "health" and method == "GET":
            body = dict(self.info())
            body.update(
                {
                    "status": "ok",
                    "time": iso(st.now()),
                    "clockOffset": st.clock.offset,
                    "speed": st.speed,
                    "newForms": st.new_forms,
                    "accounts": [a.email for a in st.account_list()],
                }
            )
            return Response.json(200, body)
        if head == "reset" and method == "POST":
            st.reset()
            return Response.json(200, {"status": "reset"})
        if head == "faults":
            return self._faults(req, method, parts[1:])
        if head == "accounts":
            return self._accounts(req, method, parts[1:])
        if head == "requests" and method == "GET":
            entries = st.requests(path=req.query.get("path"), method=req.query.get("method"))
            return Response.json(200, {"count": len(entries), "requests": entries})
        if head == "requests" and method == "DELETE":
            st.clear_requests()
            return Response.json(200, {"status": "cleared"})
        if head == "webhooks" and method == "GET":
            deliveries = st.webhooks.deliveries()
            return Response.json(200, {"count": len(deliveries), "webhooks": deliveries})
        if head == "webhooks" and method == "DELETE":
            st.webhooks.clear()
            return Response.json(200, {"status": "cleared"})
        if head == "clock":
            if method == "POST":
                seconds = self._body(req).get("advance", 0)
                if isinstance(seconds, bool) or not isinstance(seconds, int | float):
                    raise ValueError("advance must be a number of seconds")
                st.advance(float(seconds))
            return Response.json(200, {"now": iso(st.now()), "offset": st.clock.offset})
        if head == "settings":
            if method == "POST":
                return Response.json(200, st.update_settings(self._body(req)))
            return Response.json(200, st.settings.public())
        return Response.json(404, {"error": "Not found"})

    def _faults(self, req: Request, method: str, rest: list[str]) -> Response:
        book = self.state.faults
        if method == "GET" and not rest:
            return Response.json(200, {"faults": [f.as_dict() for f in book.list()]})
        if method == "POST" and not rest:
            body = self._body(req)
            if "faults" in body:
                specs = body["faults"]
                if not isinstance(specs, list):
                    raise ValueError("faults must be a list")
                added = [book.add_spec(spec).as_dict() for spec in specs]
                return Response.json(201, {"faults": added})
            return Response.json(201, book.add_spec(body).as_dict())
        if method == "DELETE" and not rest:
            return Response.json(200, {"cleared": book.clear()})
        fault_id = _fault_id(rest[0]) if method == "DELETE" and len(rest) == 1 else None
        if fault_id is not None:
            if book.remove(fault_id):
                return Response.json(200, {"cleared": 1})
            return Response.json(404, {"error": f"Fault {rest[0]} not found"})
        return Response.json(404, {"error": "Not found"})

    def _accounts(self, req: Request, method: str, rest: list[str]) -> Response:
        st = self.state
        if method == "GET" and not rest:
            return Response.json(200, {"accounts": [a.admin() for a in st.account_list()]})
        if method == "POST" and not rest:
            body = self._body(req)
            email = body.get("email")
            if not isinstance(email, str) or "@" not in email:
                raise ValueError("email is required")
            account, created = st.add_account(
                email, str(body.get("tier", "pro")), body.get("credits")
            )
            return Response.json(201 if created else 200, account.admin())
        if method == "POST" and len(rest) == 2 and rest[1] == "state":
            body = self._body(req)
            account = st.account(rest[0])
            if account is None:
                return Response.json(404, {"error": f"Google Flow account {rest[0]} not found"})
            account = st.set_account_state(
                rest[0],
                body.get("state"),
                health=body.get("health"),
                credits=body.get("credits"),
                tier=body.get("tier"),
                image_concurrency=body.get("imageConcurrency"),
                video_concurrency=body.get("videoConcurrency"),
            )
            return Response.json(200, account.admin())
        if method == "DELETE" and len(rest) == 1:
            if st.remove_account(rest[0]):
                return Response.json(200, {"deleted": rest[0]})
            return Response.json(404, {"error": f"Google Flow account {rest[0]} not found"})
        return Response.json(404, {"error": "Not found"})


def _fault_id(text: str) -> int | None:
    """A fault's id in a path: ASCII digits only ('²' is a digit to str.isdigit, not to int)."""
    if not (text.isascii() and text.isdecimal()) or len(text) > 18:
        return None
    return int(text)
