"""The simulator's WSGI application: routing, bearer auth, request log, transport faults."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .api import FlowApi
from .captcha import PROVIDERS
from .clock import Stopped
from .control import Control, iter_file, serve_media
from .service import Ctx, DropConnection, _Garbage
from .state import SimState
from .web import ApiError, Request, Response

log = logging.getLogger(__name__)

PREFIX = "/v1/google-flow"
UNAUTHORIZED = {"error": "Unauthorized"}


# Fields whose values are secrets the real service would hold: cookies, captcha provider keys
# and tokens. The request log (GET /_sim/requests) keeps only their length.
SECRET_FIELDS = frozenset({"cookies", "captchaToken", *PROVIDERS})


def redact_secrets(body: Any) -> Any:
    if not isinstance(body, dict):
        return body
    return {
        key: f"<redacted, {len(value)} characters>"
        if key in SECRET_FIELDS and isinstance(value, str) and value
        else value
        for key, value in body.items()
    }


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    handler: str
    family: str
    account_bound: bool = False
    endpoint: str = ""

    @property
    def name(self) -> str:
        return self.endpoint or self.template

    def match(self, parts: list[str]) -> dict[str, str] | None:
        pattern = self.template.split("/")
        if len(pattern) != len(parts):
            return None
        params: dict[str, str] = {}
        for expected, actual in zip(pattern, parts, strict=True):
            if expected.startswith("{"):
                params[expected[1:-1].replace("jobId", "job_id")] = actual
            elif expected != actual:
                return None
        return params


ROUTES = (
    Route("GET", "accounts", "list_accounts", "plain"),
    Route("POST", "accounts", "add_account", "plain"),
    Route("GET", "accounts/captcha-providers", "get_captcha_providers", "plain"),
    Route("POST", "accounts/captcha-providers", "set_captcha_providers", "plain"),
    Route("GET", "accounts/captcha-stats", "captcha_stats", "plain"),
    Route("GET", "accounts/{email}", "get_account", "plain"),
    Route("DELETE", "accounts/{email}", "delete_account", "plain"),
    Route("POST", "assets", "upload_asset", "assets", True),
    Route("POST", "assets/{email}", "upload_asset", "assets", True, "assets"),
    Route("POST", "images", "images", "images", True),
    Route("POST", "images/upscale", "image_upscale", "image_upscale", True),
    Route("POST", "videos", "videos", "videos", True),
    Route("POST", "videos/extend", "extend", "videos", True),
    Route("POST", "videos/upscale", "video_upscale", "videos", True),
    Route("POST", "videos/gif", "gif", "other", True),
    Route("POST", "videos/concatenate", "concatenate", "other", True),
    Route("GET", "jobs", "jobs", "plain"),
    Route("GET", "jobs/{jobId}", "job", "plain"),
)


class SimulatorApp:
    def __init__(self, state: SimState, info: Callable[[], dict[str, Any]] | None = None) -> None:
        self.state = state
        self.api = FlowApi(state)
        self.control = Control(state, info or (lambda: {}))

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        req = Request(environ)
        try:
            response = self.dispatch(req)
        except DropConnection:
            # wsgiref treats this as the client going away: nothing is written and the
            # server closes the socket, so the caller sees a dropped connection.
            raise ConnectionAbortedError("connection dropped by a simulator fault") from None
        start_response(response.status_line, response.header_list())
        if req.method == "HEAD":
            return [b""]
        if response.file_path is not None:
            return iter_file(response.file_path)
        return [response.body]

    def authorized(self, req: Request) -> bool:
        header = req.environ.get("HTTP_AUTHORIZATION", "")
        scheme, _, token = header.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            token.strip().encode(), self.state.token.encode()
        )

    def dispatch(self, req: Request) -> Response:
        path = req.path
        if path.startswith("/_media/"):
            return serve_media(self.state, req)
        if path == "/_sim" or path.startswith("/_sim/"):
            if not self.authorized(req):
                return Response.json(401, UNAUTHORIZED)
            return self.control.handle(req)
        if path == PREFIX or path.startswith(PREFIX + "/"):
            return self.api_call(req)
        return Response.json(404, {"error": "Not found"})

    def find_route(self, rel: str, method: str) -> tuple[Route | None, dict[str, str], bool]:
        parts = [p for p in rel.split("/") if p]
        path_matched = False
        for route in ROUTES:
            params = route.match(parts)
            if params is None:
                continue
            path_matched = True
            if route.method == method:
                return route, params, True
        return None, {}, path_matched

    def api_call(self, req: Request) -> Response:
        rel = req.path[len(PREFIX) :].strip("/")
        entry: dict[str, Any] = {
            "method": req.method,
            "path": req.path,
            "apiPath": "/" + rel,
            "query": dict(req.query),
            "headers": req.headers,
            "endpoint": None,
            "account": None,
            "status": None,
        }
        response: Response | None = None
        try:
            if not self.authorized(req):
                response = Response.json(401, UNAUTHORIZED)
                return response
            route, params, path_matched = self.find_route(rel, req.method)
            if route is None:
                status, message = (
                    (405, "Method not allowed") if path_matched else (404, "Not found")
                )
                response = Response.json(status, {"error": message})
                return response
            entry["endpoint"] = route.name
            ctx = Ctx(self.state, req, route.name, route.family)
            try:
                if not route.account_bound:
                    ctx.plain_faults(params.get("email"))
                response = getattr(self.api, route.handler)(ctx, **params)
            except ApiError as exc:
                response = exc.response()
            except _Garbage as garbage:
                response = garbage.response
            except Stopped:
                response = Response.json(503, {"error": "The simulator is shutting down"})
            except (DropConnection, ConnectionError):
                ctx.release()
                raise
            except Exception as exc:
                log.exception("simulator handler failed")
                response = Response.json(500, {"error": f"Internal simulator error: {exc}"})
            ctx.release()
            entry["account"] = ctx.email
            response = ctx.after(response)
            return response
        except DropConnection:
            entry["status"] = "dropped"
            raise
        finally:
            try:
                entry["body"] = redact_secrets(req.logged_body())
            except Exception:  # never let logging break an answer
                entry["body"] = None
            if response is not None and entry["status"] is None:
                entry["status"] = response.status
            self.state.log_request(entry)
