"""The request's person, taken from the session's own query (see sessions.py)."""

from __future__ import annotations

from django.contrib import auth
from django.contrib.auth.middleware import (
    AuthenticationMiddleware as DjangoAuthenticationMiddleware,
)
from django.utils.functional import SimpleLazyObject


def _person(request):
    """Django's ``get_user(request)`` (which backend, the session's password hash, fallbacks),
    given the person the session's query already read."""
    if not hasattr(request, "_cached_user"):
        person = getattr(request.session, "person", None)
        if person is None:  # another session engine
            request._cached_user = auth.get_user(request)
        else:
            with person():
                request._cached_user = auth.get_user(request)
    return request._cached_user


class AuthenticationMiddleware(DjangoAuthenticationMiddleware):
    def process_request(self, request):
        super().process_request(request)  # its checks, and request.auser
        request.user = SimpleLazyObject(lambda: _person(request))
