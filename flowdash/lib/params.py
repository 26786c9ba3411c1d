"""Validated parsers for query-string and form values — the one place a view turns text from a
request into an id, a number, a date or a redirect target.

Every parser takes the raw value (``str``, ``None`` or anything a QueryDict returns) and gives back
either the parsed value or ``default`` (``None`` unless told) when the value is absent or not
acceptable. Pass ``strict=True`` to get a :class:`BadValue` instead for a value that is present but
wrong; ``BadValue`` is Django's ``BadRequest``, so an unhandled one is answered with a 400, never a
500.

What is refused, on purpose:

* ids: anything but ASCII digits (``"²"``, ``"١"``, ``"+1"``, ``" 1"``, ``"1.0"``), 0, negatives,
  and values above 2**63-1 (the largest id a database column holds — larger ones overflow SQLite);
* integers: values outside the bounds the caller gives;
* dates: anything but ``YYYY-MM-DD`` inside [MIN_DATE, MAX_DATE], so ``to + 1 day`` and time-zone
  arithmetic never overflow (``9999-12-31``, ``0000-01-01`` are refused);
* floats: ``nan``, ``inf``, ``1e999`` (which Python reads as inf) and values outside the bounds;
* references: ``"<kind>:<id>"`` with a known kind and a valid id;
* ``next``: only a path on this site (``/...``); no scheme, no host, no ``//`` or ``/\\``, no bare
  word (which ``redirect()`` would take for a view name).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Collection, Iterable
from typing import Any, TypeVar

from django.core.exceptions import BadRequest
from django.utils.http import url_has_allowed_host_and_scheme

MAX_ID = 2**63 - 1
MIN_DATE = dt.date(1900, 1, 1)
MAX_DATE = dt.date(2999, 12, 31)
# Longer values are refused before any conversion work (an id has at most 19 digits; a float
# written sensibly is short). Keeps 100,000-character values cheap.
MAX_NUMBER_LENGTH = 40

_DIGITS = re.compile(r"[0-9]+")
_SIGNED_DIGITS = re.compile(r"-?[0-9]+")
_FLOAT = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

T = TypeVar("T")


class BadValue(BadRequest):
    """A request value that is present but not acceptable. Django answers it with a 400."""

    def __init__(self, name: str, message: str):
        self.name = name
        self.message = message
        super().__init__(f"{name}: {message}" if name else message)


def _text(value: Any) -> str | None:
    """The raw value as text, or None when absent. Lists (``getlist``) take their last item."""
    if isinstance(value, list | tuple):
        value = value[-1] if value else None
    if value is None:
        return None
    if not isinstance(value, str):
        value = str(value)
    value = value.strip()
    return value or None


def _refuse(strict: bool, name: str, message: str, default: T) -> T:
    if strict:
        raise BadValue(name, message)
    return default


class _Refused(ValueError):
    """Why a value is refused, in words (what a strict parser's BadValue says)."""


def _parse(
    value: Any, read, *, lo: Any, hi: Any, default: Any, strict: bool, name: str, beyond: str = ""
) -> Any:
    """The one shape of every parser: absent → ``default``; ``read(text)`` → the value (or
    :class:`_Refused`); outside [lo, hi] → refused with ``beyond`` or the bounds in words."""
    text = _text(value)
    if text is None:
        return default
    try:
        parsed = read(text)
    except _Refused as exc:
        return _refuse(strict, name, str(exc), default)
    if (lo is not None and parsed < lo) or (hi is not None and parsed > hi):
        return _refuse(strict, name, beyond or f"must be between {lo} and {hi}", default)
    return parsed


def _reader(pattern: re.Pattern, convert, words: str, max_length: int = MAX_NUMBER_LENGTH):
    """``read(text)`` for :func:`_parse`: short enough and matching ``pattern``, then converted;
    refused with ``words`` otherwise (or with the conversion's own :class:`_Refused`)."""

    def read(text: str):
        if len(text) > max_length or not pattern.fullmatch(text):
            raise _Refused(words)
        try:
            return convert(text)
        except _Refused:
            raise
        except ValueError:
            raise _Refused(words) from None

    return read


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise _Refused("is not a finite number")
    return number


_read_id = _reader(_DIGITS, int, "is not a valid id", max_length=19)
_read_int = _reader(_SIGNED_DIGITS, int, "is not a whole number")
_read_float = _reader(_FLOAT, _finite, "is not a number")
_read_date = _reader(_DATE, dt.date.fromisoformat, "is not a date (YYYY-MM-DD)")


def parse_id(value: Any, *, default: Any = None, strict: bool = False, name: str = "id") -> Any:
    """A database id: ASCII digits, 1 ≤ id ≤ 2**63-1."""
    return _parse(
        value,
        _read_id,
        lo=1,
        hi=MAX_ID,
        default=default,
        strict=strict,
        name=name,
        beyond="is not a valid id",
    )


def parse_ids(values: Iterable[Any], *, strict: bool = False, name: str = "id") -> list[int]:
    """Every valid id of a list (``request.GET.getlist(...)``), in order, without repeats."""
    found: list[int] = []
    for value in values or ():
        number = parse_id(value, strict=strict, name=name)
        if number is not None and number not in found:
            found.append(number)
    return found


def parse_int(
    value: Any,
    *,
    lo: int,
    hi: int,
    default: Any = None,
    strict: bool = False,
    name: str = "value",
) -> Any:
    """A whole number (ASCII digits, optional minus) with lo ≤ n ≤ hi."""
    return _parse(value, _read_int, lo=lo, hi=hi, default=default, strict=strict, name=name)


def parse_float(
    value: Any,
    *,
    lo: float | None = None,
    hi: float | None = None,
    default: Any = None,
    strict: bool = False,
    name: str = "value",
) -> Any:
    """A finite decimal number (no nan, no inf, no 1e999), optionally within [lo, hi]."""
    return _parse(value, _read_float, lo=lo, hi=hi, default=default, strict=strict, name=name)


def parse_date(
    value: Any,
    *,
    lo: dt.date = MIN_DATE,
    hi: dt.date = MAX_DATE,
    default: Any = None,
    strict: bool = False,
    name: str = "date",
) -> Any:
    """A calendar date written ``YYYY-MM-DD`` within [lo, hi] (by default 1900-01-01..2999-12-31)."""
    return _parse(value, _read_date, lo=lo, hi=hi, default=default, strict=strict, name=name)


def parse_choice(
    value: Any,
    choices: Collection[str],
    *,
    default: Any = None,
    strict: bool = False,
    name: str = "value",
) -> Any:
    """One of ``choices`` (exact match; a dict's keys or a TextChoices' values work too)."""
    text = _text(value)
    if text is None:
        return default
    if text not in choices:
        return _refuse(strict, name, "is not one of the choices", default)
    return text


def parse_ref(
    value: Any,
    kinds: Collection[str] = ("asset", "media"),
    *,
    default: Any = None,
    strict: bool = False,
    name: str = "reference",
) -> Any:
    """A ``"<kind>:<id>"`` reference such as ``asset:12`` → ``("asset", 12)``."""
    text = _text(value)
    if text is None:
        return default
    kind, sep, number = text.partition(":")
    ident = parse_id(number) if sep else None
    if kind not in kinds or ident is None:
        return _refuse(strict, name, f"is not a reference ({', '.join(kinds)}:<id>)", default)
    return kind, ident


def parse_bool(value: Any, *, default: bool = False) -> bool:
    """A checkbox-like flag: 1/true/yes/on → True, 0/false/no/off → False, anything else default."""
    text = _text(value)
    if text is None:
        return default
    text = text.lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    return default


def safe_next(request, value: Any, default: str) -> str:
    """A redirect target taken from the request: a path on this site, else ``default``.

    Only values starting with a single ``/`` pass (``/jobs/?page=2``); absolute URLs (even to this
    host), ``//evil``, ``/\\evil``, ``javascript:``, control characters and bare words are refused.
    """
    text = _text(value)
    if text is None or len(text) > 2000:
        return default
    if not text.startswith("/") or text.startswith(("//", "/\\")):
        return default
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        return default
    if not url_has_allowed_host_and_scheme(
        text, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return default
    return text


class IdConverter:
    """Path converter ``<id:pk>``: a database id, 1..2**63-1. Anything else (0, 2**63, 30 digits)
    does not match, so the resolver answers 404 before a view filters a foreign key with a number
    the database cannot hold. Registered in flowdash/urls.py."""

    regex = "[0-9]{1,20}"

    def to_python(self, value: str) -> int:
        number = parse_id(value)
        if number is None:
            raise ValueError(f"{value} is not a database id")
        return number

    def to_url(self, value: int | str) -> str:
        return str(value)
