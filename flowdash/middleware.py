"""htmx plumbing in one place (redirects become HX-Location, messages ride along out of band), NUL
characters kept out, and the Content-Security-Policy header."""

from __future__ import annotations

import json

import csp.constants
import csp.middleware
import csp.utils
from django.conf import settings
from django.contrib.messages import get_messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import resolve_url
from django.template.loader import render_to_string
from django.utils.cache import patch_vary_headers


class HtmxMessagesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        patch_vary_headers(response, ("HX-Request",))
        if not getattr(request, "htmx", False):
            return response
        if 300 <= response.status_code < 400 and response.has_header("Location"):
            location = response["Location"]
            redirect = HttpResponse(status=204)
            if location.startswith(resolve_url(settings.LOGIN_URL)):
                redirect["HX-Redirect"] = location  # a full page: the sign-in page has no shell
            else:
                redirect["HX-Location"] = json.dumps(
                    {
                        "path": location,
                        "target": "#content",
                        "select": "#content",
                        "swap": "outerHTML",
                    }
                )
            patch_vary_headers(redirect, ("HX-Request",))
            return redirect
        content_type = response.get("Content-Type", "")
        if response.streaming or not content_type.startswith("text/html"):
            return response
        storage = get_messages(request)
        if len(storage) == 0:  # noqa: PLC1802 - the storage has no truthiness
            return response
        response.write(
            render_to_string(
                "components/messages.html", {"messages": storage, "oob": True}, request=request
            )
        )
        return response


class RejectNulMiddleware:
    """A NUL character is never part of anything people type, and PostgreSQL refuses it in text.
    A query value carrying one is dropped (a filter that cannot be read is ignored, as every other
    unreadable filter is); a form value or a path carrying one is a 400 in words. Either way no
    view or query ever sees it."""

    FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if any("\x00" in k or any("\x00" in v for v in vs) for k, vs in request.GET.lists()):
            clean = QueryDict(mutable=True)
            for key, items in request.GET.lists():
                kept = [v for v in items if "\x00" not in v]
                if "\x00" not in key and kept:
                    clean.setlist(key, kept)
            clean._mutable = False
            request.GET = clean
        values = [request.path]
        if request.method == "POST" and request.content_type in self.FORM_TYPES:
            for key, items in request.POST.lists():
                values.append(key)
                values.extend(items)
        if any("\x00" in value for value in values):
            return HttpResponse(
                "Bad request: text may not contain a NUL character.",
                status=400,
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)


class CSPMiddleware(csp.middleware.CSPMiddleware):
    """django-csp's middleware, with the policy built once per process instead of for every
    response (about 0.07 ms of every page): flowdash has one policy, from the settings, with no
    nonce and no view that changes it. Should a view change it (django-csp's decorators) or a
    template use the nonce, that response gets django-csp's own handling, unchanged."""

    PER_RESPONSE = tuple(
        f"_csp_{part}{ro}"
        for part in ("config", "update", "replace", "exempt")
        for ro in ("", "_ro")
    )

    def __init__(self, get_response):
        super().__init__(get_response)
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", None) or {}
        plain = not policy.get("EXCLUDE_URL_PREFIXES") and not getattr(
            settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None
        )
        self.policy = csp.utils.build_policy() if plain else ""

    def process_response(self, request, response):
        if (
            not self.policy
            or getattr(request, "_csp_nonce", None) is not None
            or any(hasattr(response, name) for name in self.PER_RESPONSE)
            or (settings.DEBUG and response.status_code in (404, 500))
        ):
            return super().process_response(request, response)
        if csp.constants.HEADER not in response:
            response[csp.constants.HEADER] = self.policy
        # As django-csp does: the nonce can no longer reach the header.
        request.csp_nonce = csp.middleware.CheckableLazyObject(self._csp_nonce_post_response)
        return response
