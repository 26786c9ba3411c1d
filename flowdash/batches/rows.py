"""Checking batch rows with the studio's own forms (``flowdash.jobs.forms``), nothing re-made.

Each row is turned into the POST the studio would receive (asset names → ``asset:N`` picks,
account addresses → the account's id), bound to :class:`ImageForm` or :class:`VideoForm`, and
the form's errors are reported against the CSV column they came from. The row's price comes
from :mod:`flowdash.spending.pricing`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.datastructures import MultiValueDict

from flowdash.accounts.models import FlowAccount
from flowdash.assets.models import Asset
from flowdash.batches.parsing import LIST_SEPARATORS, RawRow
from flowdash.jobs.forms import ImageForm, VideoForm
from flowdash.spending.pricing import price
from flowdash.useapi import catalog

KINDS = ("image", "video")
FORM_FIELDS = {  # form field -> the row's meaning (its CSV column)
    "prompt": "prompt",
    "model": "model",
    "aspect_ratio": "aspect_ratio",
    "count": "count",
    "seed": "seed",
    "mode": "mode",
    "start": "start",
    "end": "end",
    "references": "references",
    "account": "account",
    "duration": "duration",
}


@dataclass
class CheckedRow:
    number: int
    cells: dict[str, str]
    kind: str = ""
    params: dict[str, Any] | None = None
    account: FlowAccount | None = None
    credits: int | None = None
    price_words: str = ""
    error: str = ""

    @property
    def valid(self) -> bool:
        return not self.error


class Lookups:
    """What every row may name, read once per batch: accounts and assets by name."""

    def __init__(self, rows: list[RawRow]) -> None:
        self.accounts: dict[str, FlowAccount] = {}
        for account in FlowAccount.objects.usable():
            for name in (account.full_email, account.email):
                if name:
                    self.accounts[name.lower()] = account
        wanted = set()
        for row in rows:
            for key in ("references", "start", "end"):
                wanted.update(split_names(row.cells.get(key, "")))
        self.assets: dict[str, list[int]] = {}
        if wanted:
            for pk, name in Asset.objects.filter(original_name__in=wanted).values_list(
                "pk", "original_name"
            ):
                self.assets.setdefault(name, []).append(pk)
        self.prices: dict[tuple, Any] = {}
        self.forms: dict[str, ImageForm | VideoForm] = {}

    def bound_form(self, kind: str, data: MultiValueDict) -> ImageForm | VideoForm:
        """The studio's form for ``kind`` bound to ``data``.

        One instance per kind serves every row: building a studio form reads the accounts and
        copies its fields (most of a row's cost), while its rules only read the bound data.
        Rebinding resets exactly what Django's ``BaseForm`` caches per binding (errors,
        cleaned data, bound fields)."""
        form = self.forms.get(kind)
        if form is None:
            form = self.forms[kind] = (VideoForm if kind == "video" else ImageForm)(data)
            return form
        form.data = data
        form.is_bound = True
        form._errors = None
        form._bound_fields_cache = {}
        form.__dict__.pop("cleaned_data", None)
        return form

    def asset_token(self, name: str) -> tuple[str | None, str]:
        found = self.assets.get(name, [])
        if not found:
            return None, f"no asset is called “{name}” (upload it on Assets first)"
        if len(found) > 1:
            return None, f"{len(found)} assets are called “{name}”; rename one"
        return f"asset:{found[0]}", ""

    def price(self, kind: str, params: dict, account):
        key = (
            kind,
            params.get("model"),
            params.get("count"),
            params.get("duration"),
            params.get("resolution"),
            params.get("mode"),
            account.pk if account else None,
        )
        if key not in self.prices:
            self.prices[key] = price(kind, params, account)
        return self.prices[key]


def split_names(text: str) -> list[str]:
    if not text:
        return []
    for sep in LIST_SEPARATORS:
        text = text.replace(sep, "\n")
    return [t.strip() for t in text.splitlines() if t.strip()]


def _kind_of(cells: dict[str, str], default_kind: str) -> tuple[str, str]:
    kind = cells.get("kind", "").strip().lower()
    if kind:
        if kind not in KINDS:
            return "", f"“{cells['kind']}” is not a kind: write image or video"
        return kind, ""
    found = catalog.resolve(cells.get("model", "").strip())
    if found is not None:
        return found.kind, ""
    return default_kind, ""


def _where(row: RawRow, meaning: str) -> str:
    return row.columns.get(meaning) or meaning.replace("_", " ")


def check_row(row: RawRow, defaults: dict[str, Any], lookups: Lookups, user) -> CheckedRow:
    """One row through the studio's form; the errors named by the row's column."""
    cells = dict(row.cells)
    checked = CheckedRow(row.number, {k: v for k, v in cells.items() if not k.startswith("__")})
    if "__extra__" in cells:
        checked.error = (
            f"Row {row.number}: more cells than the header names (“{cells['__extra__'][:40]}”)."
        )
        return checked
    kind, problem = _kind_of(cells, defaults.get("kind") or "image")
    if problem:
        checked.error = f"Row {row.number}, {_where(row, 'kind')}: {problem}."
        return checked
    data: dict[str, list[str]] = {}
    for meaning in ("prompt", "model", "aspect_ratio", "count", "seed", "duration", "mode"):
        value = cells.get(meaning, "")
        if value == "" and meaning in defaults and defaults[meaning] not in (None, ""):
            value = str(defaults[meaning])
        if value != "":
            data[meaning] = [value]
    errors: list[str] = []
    for meaning in ("references", "start", "end"):
        tokens = []
        for name in split_names(cells.get(meaning, "")):
            token, why = lookups.asset_token(name)
            if token is None:
                errors.append(f"{_where(row, meaning)}: {why}")
            else:
                tokens.append(token)
        if tokens:
            data[meaning] = tokens
    account_name = cells.get("account", "").strip()
    if account_name:
        account = lookups.accounts.get(account_name.lower())
        if account is None:
            errors.append(
                f"{_where(row, 'account')}: no usable account “{account_name}” "
                "(see Accounts: state OK)"
            )
        else:
            data["account"] = [str(account.pk)]
    elif defaults.get("account") is not None:
        data["account"] = [str(defaults["account"].pk)]
    if kind == "video" and "mode" not in data:
        data["mode"] = [
            "frames" if "start" in data else "references" if "references" in data else "text"
        ]
    form = lookups.bound_form(kind, MultiValueDict(data))
    if "aspect_ratio" not in data and form.fields["aspect_ratio"].initial:
        # Neither the row nor the batch says: the studio's own preselected ratio.
        data["aspect_ratio"] = [str(form.fields["aspect_ratio"].initial)]
        form = lookups.bound_form(kind, MultiValueDict(data))
    model = data.get("model", [""])[0]
    offered = {str(value) for value, _ in form.fields["model"].choices}
    if model and model not in offered:
        errors.append(
            f"{_where(row, 'model')}: “{model}” is not a {kind} model the studio offers "
            f"({', '.join(sorted(v for v in offered if v))})"
        )
    if "duration" in data and "duration" not in form.fields:
        errors.append(
            f"{_where(row, 'duration')}: the studio does not offer a duration yet; leave it empty"
        )
    if errors:
        checked.error = f"Row {row.number}, " + "; ".join(errors) + "."
        return checked
    if not form.is_valid():
        parts = []
        for field, messages in form.errors.items():
            where = "" if field == "__all__" else _where(row, FORM_FIELDS.get(field, field)) + ": "
            parts.append(where + " ".join(str(m) for m in messages))
        checked.error = f"Row {row.number}, " + "; ".join(parts)
        return checked
    checked.kind = kind
    checked.params = form.cleaned_params()
    checked.account = form.cleaned_data.get("account")
    quote = lookups.price(kind, checked.params, checked.account)
    checked.credits, checked.price_words = quote.credits, quote.words
    return checked
