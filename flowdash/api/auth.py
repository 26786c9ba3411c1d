"""Bearer authentication with personal API keys, scope checks and the per-key rate limit.

Keys travel only in the ``Authorization`` header: a key found in the query string is refused
(it is in somebody's logs by now). Keyed calls carry no session and need no CSRF token.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security.http import HttpAuthBase

from flowdash.api import ratelimit
from flowdash.api.errors import ApiError
from flowdash.api.models import KEY_START, SCOPE_ROLE, ApiKey
from flowdash.team.roles import has_role, role_of

QUERY_NAMES = ("api_key", "apikey", "key", "token", "access_token", "bearer")


def _unauthorized(code: str, message: str) -> ApiError:
    return ApiError(401, code, message, headers={"WWW-Authenticate": 'Bearer realm="flowdash"'})


class KeyAuth(HttpAuthBase):
    """``Authorization: Bearer fdk_…``. Unlike ninja's HttpBearer, never logs the header."""

    openapi_scheme = "bearer"

    def __call__(self, request: HttpRequest) -> ApiKey | None:
        for name, values in request.GET.lists():
            if name.lower() in QUERY_NAMES or any(v.startswith(KEY_START) for v in values):
                raise _unauthorized(
                    "key_in_query",
                    "API keys are accepted only in the Authorization header, never in the "
                    "address. Revoke this key: it may be in logs now.",
                )
        header = request.headers.get("Authorization", "")
        if not header:
            return None
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            raise _unauthorized("bad_scheme", "Use 'Authorization: Bearer <key>'.")
        key = ApiKey.find(raw.strip())
        if key is None:
            raise _unauthorized("invalid_key", "This API key is not valid.")
        if key.is_revoked:
            raise _unauthorized("revoked_key", f"The API key “{key.name}” was revoked.")
        if key.is_expired():
            raise _unauthorized("expired_key", f"The API key “{key.name}” has expired.")
        if not key.user.is_active:
            raise _unauthorized("inactive_user", "The owner of this API key is deactivated.")
        verdict = ratelimit.hit(key.prefix)
        if not verdict.allowed:
            raise ApiError(
                429,
                "rate_limited",
                f"Too many calls with this key (at most {verdict.limit} a minute). "
                f"Try again in {verdict.retry_after} s.",
                headers={"Retry-After": str(verdict.retry_after)},
            )
        key.note_use()
        request.user = key.user
        return key


def require(request: HttpRequest, scope: str) -> ApiKey:
    """403 unless the request's key has ``scope`` and its owner's role still allows it."""
    key: ApiKey = request.auth
    if not key.has_scope(scope):
        raise ApiError(403, "scope", f"This API key does not have the {scope} scope.")
    role = SCOPE_ROLE[scope]
    if not has_role(key.user, role):
        raise ApiError(
            403,
            "role",
            f"The {scope} scope needs the {role} role; the key's owner is "
            f"{role_of(key.user) or 'without a role'}.",
        )
    return key
