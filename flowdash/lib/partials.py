"""One view, the page or one region of it: the house rule for htmx pages (see style.md)."""

from __future__ import annotations

from collections.abc import Collection

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def render_page(
    request: HttpRequest, template: str, context: dict, regions: Collection[str] = ()
) -> HttpResponse:
    """The page ``template``, or only the region an htmx request aims at when it is one of
    ``regions`` (inline partials named after the DOM id they render)."""
    target = request.htmx.target
    if target in regions:
        return render(request, f"{template}#{target}", context)
    return render(request, template, context)
