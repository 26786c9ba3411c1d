"""The grid's cards, rendered once per item and state and kept in the cache.

A card shows what does not change after an item is stored (prompt, model, kind, time, who made
it) plus two things that do: whether it is the viewer's favourite and whether its file is
stored. Both are part of the cache key, so a changed state is simply a different card.

The page query reads only those key parts (a :class:`CardRef` per row); the full rows are
loaded, in one more query, only for the cards that are not in the cache yet. Rendering 48 cards
through the template engine, or even building 48 Media objects, costs far more than the rest of
the page; joining cached strings costs almost nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from django.core.cache import cache
from django.db.models import F
from django.template.loader import get_template
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from flowdash.gallery.models import Media

CARD_TTL = 6 * 3600
_VERSION = 2  # 2: a selection checkbox per card
# What a card shows (see gallery/_card.html); loading less makes each row cheaper.
CARD_FIELDS = (
    "pk",
    "kind",
    "origin",
    "file",
    "prompt",
    "model",
    "duration_seconds",
    "created_at",
    "download_status",
)


class CardRef(NamedTuple):
    """One grid row as the page query reads it: what names its card in the cache."""

    pk: int
    created_at: datetime
    download_status: str
    is_favourite: bool


def card_key(ref: CardRef, zone: str) -> str:
    # created_at too: SQLite may hand a deleted row's id to the next new row.
    state = f"{int(bool(ref.is_favourite))}{ref.download_status[:1]}"
    born = int(ref.created_at.timestamp() * 1_000_000)
    return f"gallery:card:{_VERSION}:{ref.pk}:{born}:{state}:{zone}"


def render_cards(refs: list[CardRef]) -> SafeString:
    zone = timezone.get_current_timezone_name()
    keys = [card_key(ref, zone) for ref in refs]
    cached = cache.get_many(keys)
    rows = _rows([ref.pk for key, ref in zip(keys, refs, strict=True) if key not in cached])
    missing = {}
    parts = []
    template = get_template("gallery/_card.html") if rows else None
    for key, ref in zip(keys, refs, strict=True):
        html = cached.get(key)
        if html is None:
            item = rows.get(ref.pk)
            if item is None:  # deleted since the page query
                continue
            item.is_favourite = ref.is_favourite
            item.download_status = ref.download_status  # the state the key names
            html = missing[key] = template.render({"item": item})
        parts.append(html)
    if missing:
        cache.set_many(missing, CARD_TTL)
    return mark_safe("".join(parts))  # noqa: S308 - each part is an escaped template rendering


def _rows(pks: list[int]) -> dict[int, Media]:
    if not pks:
        return {}
    rows = (
        Media.objects.filter(pk__in=pks)
        .only(*CARD_FIELDS)
        .annotate(creator_name=F("created_by__username"))
    )
    return {item.pk: item for item in rows}
