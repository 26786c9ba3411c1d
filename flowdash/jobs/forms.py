"""The studio forms: every documented limit is checked here, before a job exists.

The rules themselves live in :mod:`flowdash.useapi.validation` (reference counts per model,
frames versus references, durations, resolutions, V2V, seed, count, captcha options) and the
facts in :mod:`flowdash.useapi.catalog`; these forms call them with the person's choices and the
era of the API flowdash talks to, so a wrong combination is shown on the field (with the rule in
words) and nothing is sent. References, the era and the models on offer are in ``fields.py``.

``cleaned_params()`` returns ``Job.params`` exactly as :mod:`flowdash.jobs.kinds` documents it.
"""

from __future__ import annotations

from django import forms

from flowdash.accounts.models import FlowAccount
from flowdash.jobs import eligibility
from flowdash.jobs.eligibility import request_model_name  # noqa: F401 — used by others
from flowdash.jobs.fields import (  # noqa: F401 — the studio's fields, imported from here
    SEED_MAX,
    VIDEO_ASPECT_WORDS,
    AccountChoiceField,
    GenerationForm,
    RefField,
    RefListField,
    VideoModelOffer,
    VideoRefField,
    _bound_value,
    _limit_message,
    address,
    alias_choice,
    api_era,
    image_aspect_choices,
    image_model_choices,
    video_model_offers,
)
from flowdash.useapi import catalog
from flowdash.useapi import validation as check
from flowdash.useapi.errors import RequestValidationError

# What the API of today's service offers, for code that only needs the names (the forms ask
# the catalog for the era they speak).
IMAGE_MODELS = image_model_choices(catalog.CURRENT_ERA)
VIDEO_MODELS = {
    m.name: {"label": m.label, "seconds": int(m.generation_seconds)}
    for m in catalog.models(catalog.VIDEO)
}


def auto_image_model(reference_count: int, era: str | None = None) -> str:
    """POST /images without ``model``: the API's choice by reference count (the catalog's)."""
    return catalog.auto_image_model(reference_count, era)


def auto_image_models(era: str) -> list[str]:
    """The API's pick for 0, 1, … 10 references (studio.js reads it; no second copy)."""
    return [catalog.auto_image_model(n, era) for n in range(check.MAX_IMAGE_REFERENCES + 1)]


def auto_image_words(era: str) -> str:
    """The auto rule in words, from the catalog: "no references → imagen-4, 1-3 → …"."""
    picks = auto_image_models(era)
    groups: list[tuple[int, int, str]] = []
    for n, name in enumerate(picks):
        if groups and groups[-1][2] == name:
            groups[-1] = (groups[-1][0], n, name)
        else:
            groups.append((n, n, name))
    parts = []
    for first, last, name in groups:
        if first == 0 and last == 0:
            parts.append(f"no references → {name}")
        elif last == len(picks) - 1:
            what = "with references" if first == 1 else f"more than {first - 1}"
            parts.append(f"{what} → {name}")
        else:
            parts.append(f"{first}-{last} → {name}" if last > first else f"{first} → {name}")
    return "Auto: " + ", ".join(parts) + " (the API's documented choice)."


def video_generation_seconds(
    model: str | None,
    account: FlowAccount | None = None,
    others: list[FlowAccount] | None = None,
) -> int:
    """How long a video on ``model`` usually takes: the account's own figure (or another
    account's, ``others`` defaulting to all present ones), else the documented one."""
    name = eligibility.canonical_model(model or check.DEFAULT_VIDEO_MODEL)
    candidates = [account] if account is not None else []
    candidates += list(FlowAccount.objects.present()) if others is None else others
    for acc in candidates:
        for entry in catalog.account_models(acc.video_models):
            if entry.request_name == name and entry.generation_seconds:
                return int(entry.generation_seconds)
    return int(catalog.generation_seconds(name))


# --- forms ---------------------------------------------------------------------------------------


def _reference_help(era: str) -> str:
    by_limit: dict[int, list[str]] = {}
    for m in catalog.models(catalog.IMAGE, era):
        by_limit.setdefault(m.max_references, []).append(m.name)
    parts = [f"{limit} ({', '.join(names)})" for limit, names in sorted(by_limit.items())]
    return f"Up to {' or '.join(parts)}, from your assets or earlier image results."


class ImageForm(GenerationForm):
    kind = "image"

    model = forms.ChoiceField(required=False)
    aspect_ratio = forms.ChoiceField(initial="landscape")
    references = RefListField(required=False)

    field_order = ["prompt", "model", "aspect_ratio", "count", "seed", "references", "account"]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "image_%s")  # both forms share a page: distinct ids
        super().__init__(*args, **kwargs)
        era = self.era
        model = self.fields["model"]
        model.choices = [("", "Auto — by reference count")] + self._model_choices(
            "image", image_model_choices(era)
        )
        model.help_text = auto_image_words(era)
        aspects = image_aspect_choices(era)
        legacy = _bound_value(self, "aspect_ratio")
        if legacy in catalog.era(era).image_aspect_ratios and legacy not in dict(aspects):
            aspects.append((legacy, str(legacy).capitalize()))  # an older job's ratio, remixed
        self.fields["aspect_ratio"].choices = aspects
        self.fields["aspect_ratio"].initial = aspects[0][0]
        self.fields["references"].help_text = _reference_help(era)
        self.fields["count"].initial = 4
        # Images are not left to the API's score: each account runs only 3-20 at once and a
        # request past that is refused after its captcha was paid for (see jobs/capacity.py).
        account = self.fields["account"]
        account.empty_label = "Auto — an account with a free image slot"
        account.help_text = (
            "Auto: flowdash sends each image to an account that is not already generating as "
            "many as it takes, and queues it while every account is full. With references, "
            "an account that holds them."
        )

    def _bigger_model(self, picked: int) -> str | None:
        for m in catalog.models(catalog.IMAGE, self.era):
            if m.max_references >= picked:
                return m.name
        return None

    def clean(self):
        data = super().clean()
        model = data.get("model") or None
        refs = data.get("references")
        if refs is not None:
            try:
                check.image_references(model, [f"ref-{i}" for i in range(len(refs))], self.era)
            except RequestValidationError as exc:
                bigger = self._bigger_model(len(refs))
                self.add_error(
                    "references",
                    f"{_limit_message(exc)} — {len(refs)} picked. Remove some"
                    + (f" or choose {bigger}." if bigger and bigger != model else "."),
                )
            else:
                self._refs_on_two_accounts(refs, "references")
        if data.get("aspect_ratio") == catalog.AUTO_ASPECT and not refs:
            self.add_error(
                "aspect_ratio",
                "Auto takes the ratio of the first reference image: pick a reference, or "
                "choose a ratio.",
            )
        effective = model or auto_image_model(len(refs or []), self.era)
        account = data.get("account")
        if account and eligibility.can_run(account, "image", effective) is False:
            self.add_error(
                "model" if model else "references",
                f"{effective} needs a Google AI Ultra account; {address(account)} is "
                f"{account.paygate_tier}.",
            )
        elif account is None:
            can, _cannot, unknown = eligibility.split(self.accounts, "image", effective)
            if self.accounts and not can and not unknown:
                self.add_error(
                    "model" if model else "references",
                    f"{effective} needs a Google AI Ultra account, and none of the usable "
                    "accounts is one: nothing was sent. Choose another model"
                    + ("." if model else " or use fewer references."),
                )
        self._clean_captcha(data)
        return data

    def effective_model(self) -> str:
        data = self.cleaned_data
        return data.get("model") or auto_image_model(len(data.get("references") or []), self.era)

    def cleaned_params(self) -> dict:
        data = self.cleaned_data
        return {
            "prompt": data["prompt"],
            "model": data.get("model") or None,
            "aspect_ratio": data["aspect_ratio"],
            "count": data["count"],
            "seed": data.get("seed"),
            "references": data.get("references") or [],
            **self._captcha_params(),
        }


# The video form is in its own module (its rules are the longer half); imported here so
# ``flowdash.jobs.forms`` stays the one place forms are imported from.
from flowdash.jobs.video_form import (  # noqa: E402, F401
    CATALOG_MODES,
    EDIT_MODE,
    MODES,
    VideoForm,
)
