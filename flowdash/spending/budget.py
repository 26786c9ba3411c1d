"""The daily credit limit: ONE check every way of sending work calls before anything is sent.

:func:`refusal` answers in words ("this would spend 120 credits; you have 40 left today") or
None; :func:`check` raises :class:`OverBudget` with the same words. What a person has spent today
is the sum of their counted :class:`~flowdash.spending.models.JobCharge` rows of the day plus
whatever other apps hold for them and have not made into jobs yet (a started batch's rows not
released so far: see :func:`register_reservations`).

Callers that record the job too use :func:`flowdash.spending.services.create_priced_job`, which
holds the person's lock while it checks and records.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django.db.models import Sum
from django.utils import timezone

from flowdash.spending.models import JobCharge, PersonLimit, SpendingPolicy

# Functions (user, day) -> credits held for the person on that day outside JobCharge rows.
_RESERVATIONS: list[Callable[[object, date], int]] = []


class OverBudget(Exception):
    """A submission that would pass the person's daily limit; ``str()`` is the refusal."""

    def __init__(self, message: str, *, credits: int, left: int) -> None:
        super().__init__(message)
        self.credits, self.left = credits, left


def register_reservations(source: Callable[[object, date], int]) -> None:
    if source not in _RESERVATIONS:
        _RESERVATIONS.append(source)


def today() -> date:
    return timezone.localdate()


def daily_limit(user) -> int | None:
    """The person's daily limit (None = none). A person seen for the first time gets the
    default of the day (SpendingPolicy), written to their own row."""
    if user is None or not getattr(user, "pk", None):
        return None
    row = PersonLimit.objects.filter(user=user).first()
    if row is None:
        row, _ = PersonLimit.objects.get_or_create(
            user=user,
            defaults={"daily_credits": SpendingPolicy.current().default_daily_credits},
        )
    return row.daily_credits


def lock(user) -> None:
    """Hold the person's limit row until the transaction ends (call inside ``atomic``)."""
    if user is None or not getattr(user, "pk", None):
        return
    daily_limit(user)
    list(PersonLimit.objects.select_for_update().filter(user=user).values_list("pk"))


def spent(user, day: date | None = None) -> int:
    """Credits the person committed on ``day`` (default today): jobs and reservations."""
    day = day or today()
    total = (
        JobCharge.objects.counted()
        .filter(user=user, charged_on=day)
        .aggregate(total=Sum("credits"))["total"]
        or 0
    )
    return total + sum(source(user, day) for source in _RESERVATIONS)


def left_today(user) -> int | None:
    """Credits the person may still spend today (None = no limit)."""
    limit = daily_limit(user)
    if limit is None:
        return None
    return max(limit - spent(user), 0)


def refusal(user, credits: int | None, *, day: date | None = None) -> str | None:
    """Why spending ``credits`` now is refused, in words, or None when it fits."""
    if not credits:
        return None
    limit = daily_limit(user)
    if limit is None:
        return None
    left = max(limit - spent(user, day), 0)
    if credits <= left:
        return None
    return (
        f"This would spend {credits:,} credits; you have {left:,} left today "
        f"(your daily limit is {limit:,})."
    )


def check(user, credits: int | None, *, day: date | None = None) -> None:
    message = refusal(user, credits, day=day)
    if message:
        limit = daily_limit(user) or 0
        raise OverBudget(message, credits=int(credits or 0), left=max(limit - spent(user, day), 0))


def form_refusal(form, user) -> str | None:
    """For a valid studio form (ImageForm / VideoForm): the refusal of its price, or None.

    The studio calls this in the form's ``clean()`` (after the field checks) and shows it as a
    form error, so nothing is queued; the batch preview calls it per row."""
    from flowdash.spending.pricing import price

    quote = price(form.kind, form.cleaned_params(), form.cleaned_data.get("account"))
    return refusal(user, quote.credits)
