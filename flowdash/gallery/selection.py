"""Several gallery items at once: reading a selection from a request and the rules for acting on it.

A selection is a list of ids posted as ``ids``. Every id goes through ``lib/params``; an id that is
not a number, an item that no longer exists, too many items, or an item the person may not change
refuses the whole action in words (nothing is half done).
"""

from __future__ import annotations

from dataclasses import dataclass

from flowdash.gallery.models import Media
from flowdash.lib.params import BadValue, parse_ids

MAX_SELECTION = 200
COMPARE_MIN, COMPARE_MAX = 2, 4


class Refused(Exception):
    """An action on a selection that cannot be done; ``message`` says why, ``status`` is 400/403."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass
class Selection:
    ids: list[int]
    items: list[Media]  # in the order of ``ids``


def read_selection(values, *, at_least: int = 1, at_most: int = MAX_SELECTION) -> Selection:
    """The items named by ``values`` (``request.POST.getlist("ids")``), all of them existing."""
    raw = [v for v in (values or []) if str(v).strip()]
    if len(raw) > at_most * 2:
        raise Refused(f"Select at most {at_most} items at a time.")
    try:
        ids = parse_ids(raw, strict=True, name="ids")
    except BadValue as error:
        raise Refused(
            "The selection was damaged (an item id is not a number); nothing was changed."
        ) from error
    if len(ids) < at_least:
        if at_least == 1:
            raise Refused("Select at least one item first.")
        raise Refused(f"Select at least {at_least} items.")
    if len(ids) > at_most:
        raise Refused(f"Select at most {at_most} items at a time (you selected {len(ids)}).")
    found = {m.pk: m for m in Media.objects.select_related("created_by").filter(pk__in=ids)}
    gone = [pk for pk in ids if pk not in found]
    if gone:
        what = (
            "One of the selected items" if len(gone) == 1 else f"{len(gone)} of the selected items"
        )
        raise Refused(
            f"{what} no longer exist{'s' if len(gone) == 1 else ''} (deleted or never there); "
            "nothing was changed. Reload the gallery and select again.",
            status=400,
        )
    return Selection(ids=ids, items=[found[pk] for pk in ids])


def require_all(selection: Selection, allowed, verb: str) -> None:
    """Refuse with 403 unless ``allowed(item)`` holds for every selected item."""
    denied = [m for m in selection.items if not allowed(m)]
    if denied:
        count = len(denied)
        total = len(selection.items)
        raise Refused(
            f"You may {verb} only your own items (or any item as an admin): {count} of the "
            f"{total} selected {'is' if count == 1 else 'are'} not yours to {verb}. "
            "Nothing was changed.",
            status=403,
        )
