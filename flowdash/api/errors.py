"""One JSON error shape for the whole API: ``{"error": {"code", "message", "field"?}}``.

Every failure (a refused key, a form's refusal, an unknown id, a body too big, a pydantic
validation error) becomes an :class:`ApiError` answer with the right status; nothing a client
sends turns into a 500.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from flowdash.spending.budget import OverBudget

logger = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        field: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field
        self.headers = headers or {}
        self.extra = extra

    def body(self) -> dict:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field:
            error["field"] = self.field
        error.update(self.extra)
        return {"error": error}


def form_error(form) -> ApiError:
    """A Django form's first refusal, in the form's own words, naming its field."""
    for name, errors in form.errors.items():
        field = None if name == "__all__" else name
        return ApiError(400, "invalid", str(errors[0]), field)
    return ApiError(400, "invalid", "The request was refused.")


def _validation_error(exc: ValidationError) -> ApiError:
    unknown = [e for e in exc.errors if e.get("type") == "extra_forbidden"]
    if unknown:
        names = [str(e["loc"][-1]) for e in unknown]
        return ApiError(
            400,
            "unknown_field",
            "Unknown field" + ("s" if len(names) > 1 else "") + ": " + ", ".join(names) + ".",
            names[0],
        )
    first = exc.errors[0] if exc.errors else {}
    loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path", "payload")]
    field = ".".join(loc) or None
    message = str(first.get("msg") or "The request was not understood.")
    if first.get("type") == "json_invalid":
        return ApiError(400, "invalid_json", "The body is not valid JSON.")
    if first.get("type") == "missing":
        message = "This field is required."
    return ApiError(400, "invalid", f"{field}: {message}" if field else message, field)


def install_handlers(api: NinjaAPI) -> None:
    def answer(request: HttpRequest, error: ApiError) -> HttpResponse:
        response = api.create_response(request, error.body(), status=error.status)
        for name, value in error.headers.items():
            response[name] = value
        return response

    @api.exception_handler(ApiError)
    def on_api_error(request, exc: ApiError):
        return answer(request, exc)

    @api.exception_handler(ValidationError)
    def on_validation(request, exc: ValidationError):
        return answer(request, _validation_error(exc))

    @api.exception_handler(AuthenticationError)
    def on_unauthenticated(request, exc):
        return answer(
            request,
            ApiError(
                401,
                "missing_key",
                "Send an API key in the Authorization header: 'Bearer <key>'.",
                headers={"WWW-Authenticate": 'Bearer realm="flowdash"'},
            ),
        )

    @api.exception_handler(Http404)
    def on_not_found(request, exc):
        text = str(exc) if str(exc) and "matches the given query" not in str(exc) else ""
        return answer(request, ApiError(404, "not_found", text or "Not found."))

    @api.exception_handler(PermissionDenied)
    def on_denied(request, exc):
        return answer(request, ApiError(403, "forbidden", str(exc) or "Not allowed."))

    @api.exception_handler(OverBudget)
    def on_over_budget(request, exc: OverBudget):
        return answer(
            request,
            ApiError(403, "over_budget", str(exc), credits=exc.credits, left=exc.left),
        )

    @api.exception_handler(RequestDataTooBig)
    def on_too_big(request, exc):
        return answer(request, ApiError(413, "too_large", "The request body is too large."))

    @api.exception_handler(HttpError)
    def on_http_error(request, exc: HttpError):
        return answer(request, ApiError(exc.status_code, "error", str(exc)))

    @api.exception_handler(Exception)
    def on_anything(request, exc):
        logger.exception("API error on %s %s", request.method, request.path)
        return answer(request, ApiError(500, "internal", "Something went wrong on our side."))
