"""The grid's cards, rendered once per item and state and kept in the cache.

A card shows what does not change after an item is stored (prompt, model, kind, time, who made
it) plus two things that do: whether it is the viewer's favourite and whether its file is
stored. Both are part of the cache key, so a changed state is simply a different card.
Rendering 48 cards through the template engine costs far more than the rest of the page;
joining cached strings costs almost nothing.
"""

from __future__ import annotations

from django.core.cache import cache
from django.template.loader import get_template
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from flowdash.gallery.models import Media

CARD_TTL = 6 * 3600
_VERSION = 1


def card_key(item: Media, zone: str) -> str:
    # created_at too: SQLite may hand a deleted row's id to the next new row.
    state = f"{int(bool(getattr(item, 'is_favourite', False)))}{item.download_status[:1]}"
    born = int(item.created_at.timestamp() * 1_000_000)
    return f"gallery:card:{_VERSION}:{item.pk}:{born}:{state}:{zone}"


def render_cards(items: list[Media]) -> SafeString:
    zone = timezone.get_current_timezone_name()
    keys = [card_key(item, zone) for item in items]
    cached = cache.get_many(keys)
    missing = {}
    parts = []
    template = None
    for key, item in zip(keys, items, strict=True):
        html = cached.get(key)
        if html is None:
            template = template or get_template("gallery/_card.html")
            html = missing[key] = template.render({"item": item})
        parts.append(html)
    if missing:
        cache.set_many(missing, CARD_TTL)
    return mark_safe("".join(parts))  # noqa: S308 - each part is an escaped template rendering
