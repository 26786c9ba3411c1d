"""Forms of the post-production actions. Each refuses, with the reason, what the API would refuse
(or what our knowledge of the account says it would) before any job is created."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from django import forms

from flowdash.gallery.models import Media
from flowdash.lib.params import parse_ids, parse_int
from flowdash.postprod import services


class _MediaForm(forms.Form):
    def __init__(self, media: Media, *args: Any, **kwargs: Any) -> None:
        self.item = media
        super().__init__(*args, **kwargs)

    def refuse(self, verdict: services.Verdict, field: str | None = None) -> None:
        if not verdict:
            self.add_error(field, verdict.reason)


class ImageUpscaleForm(_MediaForm):
    resolution = forms.ChoiceField(
        choices=services.IMAGE_UPSCALE_RESOLUTIONS,
        initial="2k",
        widget=forms.RadioSelect,
        help_text="4K needs a paid Google account.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        base = services.image_upscale_verdict(self.item)
        if not base:
            self.refuse(base)
        elif data.get("resolution"):
            self.refuse(services.image_upscale_verdict(self.item, data["resolution"]), "resolution")
        return data

    def job_params(self) -> dict[str, Any]:
        return {"resolution": self.cleaned_data["resolution"]}


class VideoUpscaleForm(_MediaForm):
    resolution = forms.ChoiceField(
        choices=services.VIDEO_UPSCALE_RESOLUTIONS,
        initial="1080p",
        widget=forms.RadioSelect,
        help_text="1080p is free; 4K costs 50 credits and needs a Google AI Ultra account.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        base = services.video_upscale_verdict(self.item)
        if not base:
            self.refuse(base)
        elif data.get("resolution"):
            self.refuse(services.video_upscale_verdict(self.item, data["resolution"]), "resolution")
        return data

    def job_params(self) -> dict[str, Any]:
        return {"resolution": self.cleaned_data["resolution"]}


def extend_choices() -> list[tuple[str, str]]:
    """POST /videos/extend's models in the era flowdash talks to (the catalog's Veo models that
    extend): today's service dropped veo-3.1-fast-relaxed, so it is not offered there."""
    from flowdash.jobs.fields import api_era
    from flowdash.useapi import catalog

    era = api_era()
    if era == catalog.ERA_2026_02:
        return list(services.EXTEND_MODELS)  # the documented list, with its plan notes
    return [
        (m.name, m.label + (" (Ultra only)" if m.min_tier == catalog.TIER_ULTRA else ""))
        for m in catalog.models(catalog.VIDEO, era)
        if m.extends
    ]


class ExtendForm(_MediaForm):
    prompt = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        help_text="What happens next. The new 8-second clip starts with the last second of "
        "this one.",
    )
    model = forms.ChoiceField(choices=services.EXTEND_MODELS, initial="veo-3.1-fast")
    count = forms.IntegerField(min_value=1, max_value=4, initial=1, label="Variations")
    seed = forms.IntegerField(min_value=0, required=False, help_text="Leave empty for random.")

    def __init__(self, media: Media, *args: Any, **kwargs: Any) -> None:
        super().__init__(media, *args, **kwargs)
        self.fields["model"].choices = extend_choices()

    def clean_prompt(self) -> str:
        prompt = self.cleaned_data["prompt"].strip()
        if not prompt:
            raise forms.ValidationError("Describe what happens next.")
        return prompt

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        base = services.extend_verdict(self.item)
        if not base:
            self.refuse(base)
        elif data.get("model"):
            self.refuse(services.extend_verdict(self.item, data["model"]), "model")
        return data

    def job_params(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "prompt": data["prompt"],
            "model": data["model"],
            "count": data["count"],
            "seed": data.get("seed"),
        }


class GifForm(_MediaForm):
    def clean(self) -> dict[str, Any]:
        data = super().clean()
        self.refuse(services.gif_verdict(self.item))
        return data

    def job_params(self) -> dict[str, Any]:
        return {}


# --- the scene builder -------------------------------------------------------------------------


@dataclass
class Clip:
    """One candidate row of the scene builder, as shown and as posted."""

    media: Media
    included: bool = False
    position: int = 0
    trim_start: float = 0.0
    trim_end: float = 0.0
    raw_start: str = ""
    raw_end: str = ""
    errors: list[str] | None = None

    @property
    def seconds(self) -> float:
        return services.clip_seconds(self.media)

    @property
    def kept_seconds(self) -> float:
        return max(0.0, self.seconds - self.trim_start - self.trim_end)


def _seconds(raw: str) -> float | None:
    text = (raw or "").strip().replace(",", ".")
    if not text:
        return 0.0
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


class SceneForm:
    """2-10 videos of one account and one aspect ratio, in order, with trims.

    Posted fields: ``clip`` (the chosen Media pks), and per candidate ``position_<pk>``,
    ``trim_start_<pk>``, ``trim_end_<pk>``. Clips are joined in ascending position (ties keep
    the page's order, which is what drag and drop arranges).
    """

    def __init__(self, candidates: list[Media], data=None) -> None:
        self.data = data
        self.is_bound = data is not None
        self.candidates = candidates
        self.errors: list[str] = []
        self.clips: list[Clip] = []
        self.chosen: list[Clip] = []
        by_pk = {m.pk: m for m in candidates}
        picked: list[int] = []
        extra: list[Media] = []
        if data is not None:
            picked = parse_ids(data.getlist("clip"))
            missing = [pk for pk in picked if pk not in by_pk]
            if missing:
                found = Media.objects.filter(pk__in=missing).select_related("account")
                extra = list(found)
                if len(extra) != len(missing):
                    self.errors.append("Some of the chosen videos no longer exist.")
        rows = candidates + [m for m in extra if m.pk not in by_pk]
        for index, media in enumerate(rows):
            clip = Clip(media=media, position=index + 1)
            clip.trim_start = services.default_trim_start(media)
            clip.raw_start = _fmt(clip.trim_start)
            clip.raw_end = "0"
            if data is not None:
                clip.included = media.pk in picked
                clip.position = parse_int(
                    data.get(f"position_{media.pk}"), lo=-1000, hi=1000, default=1000 + index
                )
                clip.raw_start = data.get(f"trim_start_{media.pk}", clip.raw_start)
                clip.raw_end = data.get(f"trim_end_{media.pk}", "0")
            self.clips.append(clip)
        if data is not None:
            # Stable sort: equal positions keep the page's order.
            self.clips.sort(key=lambda c: c.position)

    def is_valid(self) -> bool:
        if not self.is_bound:
            return False
        self.chosen = [c for c in self.clips if c.included]
        for clip in self.chosen:
            clip.errors = []
            verdict = services.concat_verdict(clip.media)
            if not verdict:
                clip.errors.append(verdict.reason)
            for which, raw in (("start", clip.raw_start), ("end", clip.raw_end)):
                value = _seconds(raw)
                if value is None:
                    clip.errors.append(f"The trim at the {which} must be a number of seconds.")
                    continue
                if value < 0 or value > services.MAX_TRIM:
                    clip.errors.append(
                        f"The trim at the {which} must be from 0 to 8 seconds (got {_fmt(value)})."
                    )
                setattr(clip, f"trim_{which}", value)
            if not clip.errors and clip.trim_start + clip.trim_end >= clip.seconds:
                clip.errors.append(
                    f"Trims of {_fmt(clip.trim_start + clip.trim_end)} s leave nothing of this "
                    f"{_fmt(clip.seconds)}-second clip."
                )
        count = len(self.chosen)
        if count < services.MIN_CLIPS:
            self.errors.append(
                f"Pick at least 2 videos to join (you picked {count})."
                if count
                else "Pick at least 2 videos to join."
            )
        elif count > services.MAX_CLIPS:
            self.errors.append(f"The API joins at most 10 videos at once; you picked {count}.")
        accounts = {c.media.account_id for c in self.chosen}
        if len(accounts) > 1:
            names = sorted({c.media.account_email or str(c.media.account) for c in self.chosen})
            self.errors.append(
                "All videos must belong to one Google account; these come from "
                + " and ".join(names)
                + "."
            )
        aspects = {services.aspect_key(c.media) for c in self.chosen}
        if len(aspects) > 1:
            self.errors.append(
                "All videos must have the same aspect ratio; these are "
                + " and ".join(sorted(services.aspect_words(a) for a in aspects))
                + "."
            )
        return not self.errors and not any(c.errors for c in self.chosen)

    @property
    def has_errors(self) -> bool:
        return bool(self.errors) or any(c.errors for c in self.chosen)

    @property
    def account(self):
        return self.chosen[0].media.account if self.chosen else None

    @property
    def total_seconds(self) -> float:
        return sum(c.kept_seconds for c in self.chosen)

    def job_params(self) -> dict[str, Any]:
        return {
            "clips": [
                {"media": c.media.pk, "trim_start": c.trim_start, "trim_end": c.trim_end}
                for c in self.chosen
            ]
        }


def _fmt(value: float) -> str:
    return f"{value:g}"
