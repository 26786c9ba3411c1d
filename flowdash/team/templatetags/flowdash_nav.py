"""The main menu, rendered once per process for each role and page, then reused.

The menu is some twenty links, each a URL reversal, and it depends only on the person's role and
on which page is open. Rendering it on every request cost about as much as the rest of an empty
page's template; a dictionary lookup costs nothing. The few combinations (roles × pages) bound
the dictionary's size.
"""

from __future__ import annotations

from django import template
from django.conf import settings
from django.template.loader import get_template
from django.utils.safestring import SafeString

register = template.Library()

_rendered: dict[tuple, SafeString] = {}


@register.simple_tag(takes_context=True)
def main_nav(context) -> SafeString:
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    values = {
        "is_creator": bool(context.get("is_creator")),
        "is_admin": bool(context.get("is_admin")),
        "namespace": match.namespace if match else "",
        "url_name": match.url_name if match else "",
    }
    key = tuple(values.values())
    html = None if settings.DEBUG else _rendered.get(key)  # DEBUG: template edits show at once
    if html is None:
        html = _rendered[key] = SafeString(get_template("components/main_nav.html").render(values))
    return html
