"""The studio's video form: POST /videos with its modes (text, frames, references, a V2V
edit), length, resolution and ratio checked against the catalog for the era flowdash talks to,
each refusal on its field with the rule in words, before anything is sent."""

from __future__ import annotations

from django import forms

from flowdash.jobs import eligibility
from flowdash.jobs.fields import (
    VIDEO_ASPECT_WORDS,
    GenerationForm,
    RefField,
    RefListField,
    VideoModelOffer,
    VideoRefField,
    _limit_message,
    address,
    video_model_offers,
)
from flowdash.useapi import catalog
from flowdash.useapi import validation as check
from flowdash.useapi.errors import RequestValidationError

MODES = [
    ("text", "Text only"),
    ("frames", "Start frame (+ optional end frame)"),
    ("references", "Reference images"),
]
EDIT_MODE = ("v2v", "Edit a video (V2V)")
# The form's modes as the catalog names them (frames: I2V, or I2V-FL with an end frame).
CATALOG_MODES = {"text": catalog.T2V, "references": catalog.R2V, "v2v": catalog.V2V}
VIDEO_FIELD_OF_PARAM = {
    "aspectRatio": "aspect_ratio",
    "duration": "duration",
    "resolution": "resolution",
    "referenceVideo_1": "source_video",
    "startFrameIndex_1": "start_frame",
    "endFrameIndex_1": "end_frame",
    "startImage": "start",
    "endImage": "end",
}


def _optional_int(value):
    return None if value in (None, "") else int(value)


class VideoForm(GenerationForm):
    kind = "video"

    model = forms.ChoiceField(initial=check.DEFAULT_VIDEO_MODEL)
    aspect_ratio = forms.ChoiceField(initial="landscape")
    duration = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        label="Length",
        help_text="Seconds; what each model offers depends on the mode.",
    )
    resolution = forms.ChoiceField(required=False, help_text="360p is omni-flash only.")
    mode = forms.ChoiceField(choices=MODES, initial="text", widget=forms.RadioSelect)
    start = RefField(required=False, label="Start frame")
    end = RefField(required=False, label="End frame")
    references = RefListField(required=False)
    source_video = VideoRefField(required=False, label="Video to edit")
    start_frame = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=catalog.MAX_V2V_FRAMES - 1,
        label="From frame",
        help_text="24 frames a second; 0 = the start.",
        error_messages={"min_value": "From 0 to 239.", "max_value": "From 0 to 239."},
    )
    end_frame = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=catalog.MAX_V2V_FRAMES,
        label="To frame",
        help_text="At most 240 (10 s); empty = the whole clip.",
        error_messages={"min_value": "From 1 to 240.", "max_value": "From 1 to 240 (10 s)."},
    )

    field_order = [
        "prompt",
        "model",
        "aspect_ratio",
        "duration",
        "resolution",
        "count",
        "seed",
        "mode",
        "start",
        "end",
        "references",
        "source_video",
        "start_frame",
        "end_frame",
        "account",
    ]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "video_%s")
        super().__init__(*args, **kwargs)
        self.fields["count"].initial = 1
        every = video_model_offers(self.accounts, self.era)
        self.offers = [o for o in every if o.model is not None]
        self.unknown_offers = [o for o in every if o.model is None]
        self.fields["model"].choices = self._model_choices(
            "video", [(o.name, o.label) for o in self.offers]
        )
        aspects: dict[str, str] = {}
        durations: set[int] = set()
        resolutions: list[str] = []
        for offer in self.offers:
            for ratio in offer.aspect_ratios:
                aspects.setdefault(ratio, VIDEO_ASPECT_WORDS.get(ratio, ratio))
            durations.update(offer.all_durations)
            resolutions += [r for r in offer.resolutions if r not in resolutions]
            for info in offer.accounts.values():
                for ratio in info["aspect_ratios"]:
                    aspects.setdefault(ratio, ratio.replace("_", " ").capitalize())
        aspects = aspects or dict(VIDEO_ASPECT_WORDS)
        self.fields["aspect_ratio"].choices = list(aspects.items())
        self.fields["references"].help_text = self._reference_help()
        if durations:
            self.fields["duration"].choices = [("", "The model's default")] + [
                (d, f"{d} s") for d in sorted(durations)
            ]
        else:
            del self.fields["duration"]  # the 2026-02 API has no duration parameter
        if resolutions:
            self.fields["resolution"].choices = [("", "The model's default (720p)")] + [
                (r, r) for r in resolutions
            ]
        else:
            del self.fields["resolution"]
        if any(o.takes_v2v for o in self.offers):
            self.fields["mode"].choices = MODES + [EDIT_MODE]
        else:
            for name in ("source_video", "start_frame", "end_frame"):
                del self.fields[name]

    def _reference_help(self) -> str:
        parts = [
            f"{o.reference_limit} on {o.name}"
            for o in self.offers
            if o.reference_limit and not o.name.startswith("?")
        ]
        none = [o.name for o in self.offers if not o.reference_limit]
        text = "Up to " + ", ".join(parts) if parts else "No model takes references"
        if none:
            text += f"; {', '.join(none)} take{'s' if len(none) == 1 else ''} none"
        if self.era == catalog.ERA_2026_02:
            text += ". Landscape only"
        return text + "."

    def offer(self, name: str | None) -> VideoModelOffer | None:
        canonical = catalog.resolve(name, self.era)
        wanted = canonical.name if canonical is not None else name
        return next((o for o in self.offers if o.name == wanted), None)

    def catalog_mode(self, data: dict) -> str:
        mode = data.get("mode") or "text"
        if mode == "frames":
            return catalog.I2V_FL if data.get("end") else catalog.I2V
        return CATALOG_MODES.get(mode, catalog.T2V)

    def clean(self):
        data = super().clean()
        mode = data.get("mode")
        start, end, refs = data.get("start"), data.get("end"), data.get("references") or []
        source = data.get("source_video")
        model = data.get("model")
        if mode == "text":
            for name in ("start", "end", "references", "source_video"):
                if data.get(name):
                    self.add_error(
                        name,
                        "Text-only mode takes no images: choose another mode or clear this pick.",
                    )
        elif mode == "frames":
            if not start:
                self.add_error(
                    "start", "Pick the start frame (an image from your assets or results)."
                )
            if refs:
                self.add_error(
                    "references",
                    "Reference images cannot be combined with a "
                    "start or end frame: the API takes one or the other.",
                )
        elif mode == "references":
            if start or end:
                self.add_error(
                    "start" if start else "end",
                    "Start and end frames cannot be combined with reference images.",
                )
            if not refs and "references" not in self.errors:
                self.add_error("references", "Pick at least one reference image.")
        elif mode == "v2v":
            if not source and "source_video" not in self.errors:
                self.add_error(
                    "source_video", "Pick the video to edit (an uploaded MP4 or a video result)."
                )
            if start or end:
                self.add_error(
                    "start" if start else "end",
                    "A video edit cannot be combined with a start or end frame: the edited "
                    "video is the start.",
                )
        if mode != "v2v" and source:
            self.add_error("source_video", "Only the “Edit a video” mode takes a source video.")
        if end and not start and mode not in ("text", "v2v") and "start" not in self.errors:
            self.add_error("end", "An end frame needs a start frame.")
        if model and not self.errors.get("references") and not self.errors.get("start"):
            self._clean_with(
                check.video_frames,
                model,
                "start" if start else None,
                "end" if end else None,
                [f"ref-{i}" for i in range(len(refs))],
                self.era,
                v2v=mode == "v2v",
            )
        if model and mode == "v2v" and source:
            self._clean_source(data, model, source)
        if model and not self.errors.get("model"):
            self._clean_with(
                check.video_options,
                model,
                aspect_ratio=data.get("aspect_ratio"),
                duration=data.get("duration"),
                resolution=data.get("resolution") or None,
                mode=self.catalog_mode(data),
                era=self.era,
            )
        if (
            self.era == catalog.ERA_2026_02
            and refs
            and data.get("aspect_ratio") not in (None, "landscape")
        ):
            self.add_error("aspect_ratio", "Reference images work with landscape only.")
        if not self.errors.get("references") and not self.errors.get("source_video"):
            picked = [r for r in (start, end, source, *refs) if r]
            field_name = "source_video" if mode == "v2v" else "references"
            if mode == "frames":
                field_name = "start"
            self._refs_on_two_accounts(picked, field_name)
        self._clean_offer(data)
        self._clean_captcha(data)
        return data

    def _clean_with(self, rule, *args, **kwargs) -> None:
        """Run one of validation's rules; its refusal lands on the field it is about."""
        try:
            rule(*args, **kwargs)
        except RequestValidationError as exc:
            param = exc.param or ""
            name = VIDEO_FIELD_OF_PARAM.get(param)
            if name is None:
                name = "references" if param.startswith("referenceImage") else "model"
            if name not in self.fields:
                name = "model"
            self.add_error(name, _limit_message(exc) + ".")

    def _clean_source(self, data: dict, model: str, source: dict) -> None:
        from flowdash.assets.models import Asset
        from flowdash.gallery.models import Media

        self._clean_with(
            check.video_edit,
            model,
            "source",
            data.get("start_frame"),
            data.get("end_frame"),
            start_image="start" if data.get("start") else None,
            era=self.era,
        )
        if "asset" in source:
            asset = Asset.objects.filter(pk=source["asset"]).first()
            problem = asset.v2v_problem() if asset else "The video was deleted."
        else:
            media = Media.objects.filter(pk=source["media"]).select_related("account").first()
            problem = None
            seconds = media.duration_seconds if media else None
            if seconds is not None and seconds > catalog.MAX_V2V_SECONDS + 0.05:
                problem = (
                    f"The video is {seconds:.1f} s long; a video edit takes at most "
                    f"{catalog.MAX_V2V_SECONDS} s."
                )
            account = data.get("account")
            if media and media.account_id and account and media.account_id != account.pk:
                problem = (
                    f"This video was made on {media.account.address}; a generated video can "
                    f"only be edited there. Choose that account, or Auto."
                )
        if problem:
            self.add_error("source_video", problem)

    def _clean_offer(self, data: dict) -> None:
        """The chosen account must offer the model (and ratio), when its model list is known."""
        name, account = data.get("model"), data.get("account")
        offer = self.offer(name)
        if offer is None:
            return
        if account is not None:
            if account.paygate_tier == catalog.TIER_FREE or (
                account.credits is not None and not account.video_models and account.last_synced_at
            ):
                self.add_error(
                    "account",
                    f"{address(account)} has no video models (a paid Google "
                    "plan is needed for videos).",
                )
                return
            if account.video_models:
                info = offer.accounts.get(address(account))
                if info is None:
                    self.add_error("model", f"{address(account)} does not offer {name}.")
                elif (
                    info["aspect_ratios"] and data.get("aspect_ratio") not in info["aspect_ratios"]
                ):
                    self.add_error(
                        "aspect_ratio",
                        f"{name} on {address(account)} supports "
                        + ", ".join(info["aspect_ratios"])
                        + ".",
                    )
            elif eligibility.can_run(account, "video", name) is False:
                self.add_error("model", f"{name} needs a Google AI Ultra account.")
        else:
            # Auto: the pipeline names an account that can run the model when some cannot
            # (jobs/eligibility.py); here only "none can" is refused, before anything is sent.
            can, cannot, unknown = eligibility.split(self.accounts, "video", name)
            if cannot and not can and not unknown:
                self.add_error(
                    "model",
                    f"None of the usable accounts can run {name} (their plans and model lists "
                    "do not offer it): nothing was sent. Choose another model.",
                )

    def cleaned_params(self) -> dict:
        data = self.cleaned_data
        mode = data["mode"]
        params = {
            "prompt": data["prompt"],
            "model": data["model"],
            "aspect_ratio": data["aspect_ratio"],
            "count": data["count"],
            "seed": data.get("seed"),
            "mode": mode,
            "start": data.get("start") if mode == "frames" else None,
            "end": data.get("end") if mode == "frames" else None,
            "references": (data.get("references") or []) if mode in ("references", "v2v") else [],
            **self._captcha_params(),
        }
        # The newer API's parameters, only when given (older jobs and the 2026-02 era: none).
        for name in ("duration", "resolution"):
            if data.get(name):
                params[name] = data[name]
        if mode == "v2v" and data.get("source_video"):
            params["source_video"] = data["source_video"]
            for name in ("start_frame", "end_frame"):
                if data.get(name) is not None:
                    params[name] = data[name]
        return params
