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

import threading
import uuid
from collections import OrderedDict
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


# The cards this process built or read lately, as plain strings: looking 48 of them up here
# costs a dictionary lookup each, where the shared cache unpickles every one (about a tenth of a
# grid page's CPU). A key names everything its card shows, so a card kept here is never stale;
# they are dropped with the shared cache all the same (a cleared cache has a new generation).
LOCAL_CARDS = 5000
GENERATION_KEY = "gallery:cards:generation"
_local: OrderedDict[str, str] = OrderedDict()
_local_lock = threading.Lock()
_generation = [""]


def _kept(keys: list[str]) -> dict[str, str]:
    """The cards of ``keys`` kept in this process, then those in the shared cache."""
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        cache.add(GENERATION_KEY, uuid.uuid4().hex, None)
        generation = cache.get(GENERATION_KEY)
    with _local_lock:
        if generation != _generation[0]:
            _local.clear()
            _generation[0] = generation
        found = {key: _local[key] for key in keys if key in _local}
        for key in found:
            _local.move_to_end(key)
    missing = [key for key in keys if key not in found]
    if missing:
        shared = cache.get_many(missing)
        _keep(shared)
        found.update(shared)
    return found


def _keep(cards: dict[str, str]) -> None:
    with _local_lock:
        _local.update(cards)
        while len(_local) > LOCAL_CARDS:
            _local.popitem(last=False)


def render_cards(refs: list[CardRef]) -> SafeString:
    zone = timezone.get_current_timezone_name()
    keys = [card_key(ref, zone) for ref in refs]
    cached = _kept(keys)
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
        _keep(missing)
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
