"""The studio forms: every documented limit is checked here, before a job exists.

The rules themselves live in :mod:`flowdash.useapi.validation` (reference counts per model,
frames versus references, seed, count, captcha options); these forms call them with the
person's choices so a wrong combination is shown on the field and nothing is sent.

``cleaned_params()`` returns ``Job.params`` exactly as :mod:`flowdash.jobs.kinds` documents it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django import forms

from flowdash.accounts.models import FlowAccount
from flowdash.assets.models import Asset
from flowdash.gallery.models import Media
from flowdash.jobs import eligibility
from flowdash.jobs.eligibility import request_model_name  # noqa: F401 — used below, and by others
from flowdash.lib.params import parse_id
from flowdash.lib.params import parse_ref as parse_kind_ref
from flowdash.useapi import catalog
from flowdash.useapi import validation as check
from flowdash.useapi.errors import RequestValidationError

# --- models on offer ---------------------------------------------------------------------------

ULTRA_TIER = "PAYGATE_TIER_TWO"

IMAGE_MODELS = [
    ("imagen-4", "Imagen 4"),
    ("nano-banana", "Nano Banana (Gemini 2.5 Flash Image)"),
    ("nano-banana-pro", "Nano Banana Pro (Gemini 3 Pro Image) — Ultra accounts"),
]
IMAGE_ULTRA_ONLY = {"nano-banana-pro"}


def image_reference_limit(model: str | None) -> int:
    """How many references POST /images takes with ``model`` (auto: the most any model takes)."""
    return check.IMAGE_REFERENCE_LIMITS.get(model or "", check.MAX_IMAGE_REFERENCES)


IMAGE_ASPECTS = [("landscape", "Landscape"), ("portrait", "Portrait")]


def auto_image_model(reference_count: int) -> str:
    """POST /images without ``model``: the API's choice by reference count (the catalog's)."""
    return catalog.auto_image_model(reference_count)


# The documented request names, with the generation time the simulator and docs give when no
# account has told us its own figure (GET /accounts/{email} videoGenerationTimeSeconds).
VIDEO_MODELS = {
    "veo-3.1-fast": {"label": "Veo 3.1 Fast", "seconds": 100},
    "veo-3.1-quality": {"label": "Veo 3.1 Quality", "seconds": 210},
    "veo-3.1-fast-relaxed": {
        "label": "Veo 3.1 Fast Relaxed — Ultra, no credits, lower priority",
        "seconds": 150,
        "ultra_only": True,
    },
}
VIDEO_ASPECTS = [("landscape", "Landscape"), ("portrait", "Portrait")]
VIDEO_SECONDS = 120  # "typically completes within 60-180 seconds"


def address(account: FlowAccount) -> str:
    """The address people recognise: the full one when known, else the API's masked form."""
    return account.full_email or account.email


@dataclass
class VideoModelOffer:
    name: str
    label: str
    seconds: int | None = None
    ultra_only: bool = False
    # account email -> (credit cost or None for unlimited, generation seconds, aspect ratios)
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def reference_limit(self) -> int:
        """How many reference images POST /videos takes with this model (the client's rule)."""
        return check.VIDEO_REFERENCE_LIMITS.get(self.name, check.MAX_VIDEO_REFERENCES)


def video_model_offers(accounts: list[FlowAccount]) -> list[VideoModelOffer]:
    """The documented models plus whatever the accounts' model lists add, with who offers what."""
    offers = {
        name: VideoModelOffer(name, spec["label"], spec["seconds"], spec.get("ultra_only", False))
        for name, spec in VIDEO_MODELS.items()
    }
    for account in accounts:
        for entry in account.video_models or []:
            key = str(entry.get("key") or "")
            if not key:
                continue
            name = request_model_name(key)
            # a deprecated name on offer is what the key runs today (catalog aliases)
            matching = [o for o in offers.values() if eligibility.canonical_model(o.name) == name]
            if not matching:
                display = str(entry.get("display_name") or name)
                matching = [offers.setdefault(name, VideoModelOffer(name, display))]
            for offer in matching:
                offer.accounts[address(account)] = {
                    "credit_cost": entry.get("credit_cost"),
                    "seconds": entry.get("generation_seconds"),
                    "aspect_ratios": list(entry.get("aspect_ratios") or []),
                    "display_name": entry.get("display_name") or key,
                }
    return list(offers.values())


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


# --- references --------------------------------------------------------------------------------


def parse_pk(value: Any) -> int | None:
    """A row id from a query or form value, or None (``lib.params.parse_id``: never
    ``isdigit()`` then ``int()``; ``²``, ``2**63`` and 10**22 are not ids)."""
    return parse_id(value)


def parse_ref(token: str | None) -> dict[str, int] | None:
    """``asset:12`` / ``media:5`` (a bare number is a media id) → a Job.params ref, or None."""
    if not token:
        return None
    text = str(token).strip()
    if ":" not in text:
        text = f"media:{text}"
    found = parse_kind_ref(text, ("asset", "media"))
    if found is None:
        return None
    kind, pk = found
    return {kind: pk}


def ref_token(ref: dict | None) -> str:
    if not isinstance(ref, dict):
        return ""
    for kind in ("asset", "media"):
        if isinstance(ref.get(kind), int):
            return f"{kind}:{ref[kind]}"
    return ""


def resolve_ref(ref: dict[str, int]) -> dict[str, int] | None:
    """Check a ref names a stored image; an uploaded image's gallery row becomes its asset."""
    if "asset" in ref:
        return ref if Asset.objects.filter(pk=ref["asset"]).exists() else None
    media = Media.objects.filter(pk=ref["media"], kind=Media.Kind.IMAGE).first()
    if media is None or media.download_status != Media.Download.STORED:
        return None
    if media.asset_id:
        return {"asset": media.asset_id}
    return {"media": media.pk}


class RefListField(forms.Field):
    """Picked images, posted as several ``asset:N`` / ``media:N`` values of one name."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        values = value if isinstance(value, list | tuple) else ([value] if value else [])
        refs, seen = [], set()
        for token in values:
            if not token:
                continue
            ref = parse_ref(token)
            resolved = resolve_ref(ref) if ref else None
            if resolved is None:
                raise forms.ValidationError(
                    f"“{token}” is not an image in the assets or the gallery (deleted?).",
                    code="unknown",
                )
            key = ref_token(resolved)
            if key not in seen:
                seen.add(key)
                refs.append(resolved)
        return refs


class RefField(forms.Field):
    """One picked image (a start or end frame)."""

    widget = forms.HiddenInput

    def to_python(self, value):
        if not value:
            return None
        ref = parse_ref(value)
        resolved = resolve_ref(ref) if ref else None
        if resolved is None:
            raise forms.ValidationError(
                f"“{value}” is not an image in the assets or the gallery (deleted?).",
                code="unknown",
            )
        return resolved


# --- forms -------------------------------------------------------------------------------------

SEED_MAX = 2**63 - 1


class AccountChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: FlowAccount) -> str:
        parts = [obj.full_email or obj.email]
        tier = {
            "PAYGATE_TIER_TWO": "Ultra",
            "PAYGATE_TIER_ONE": "Pro",
            "PAYGATE_TIER_NOT_PAID": "free",
        }.get(obj.paygate_tier, obj.paygate_tier)
        if tier:
            parts.append(tier)
        if obj.credits is not None:
            parts.append(f"{obj.credits} credits")
        return " · ".join(parts)


class GenerationForm(forms.Form):
    """What images and videos share: prompt, ratio, count, seed, account, captcha options."""

    kind = ""

    prompt = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "Describe what to make…"}),
        max_length=10_000,
        strip=True,
        error_messages={"required": "Write a prompt: the API needs one."},
    )
    count = forms.IntegerField(
        min_value=1,
        max_value=4,
        error_messages={
            "required": "Choose how many (1 to 4).",
            "min_value": "Between 1 and 4.",
            "max_value": "Between 1 and 4: the API makes at most 4 per request.",
            "invalid": "A whole number from 1 to 4.",
        },
    )
    seed = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=SEED_MAX,
        widget=forms.NumberInput(attrs={"placeholder": "random"}),
        help_text="Same seed + prompt → similar result.",
        error_messages={
            "min_value": "The seed must be 0 or more (the API takes integers ≥ 0).",
            "invalid": "The seed is a whole number ≥ 0.",
        },
    )
    account = AccountChoiceField(
        queryset=FlowAccount.objects.none(),
        required=False,
        empty_label="Auto — the API's load balancing",
        error_messages={"invalid_choice": "That account is not usable now (state not OK)."},
    )
    captcha_retry = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=10,
        label="Captcha retries",
        help_text="1-10 (the API's default is 3). Cycles through the configured providers.",
        error_messages={"min_value": "From 1 to 10.", "max_value": "From 1 to 10."},
    )
    captcha_order = forms.CharField(
        required=False,
        max_length=500,
        label="Captcha provider order",
        help_text="Comma-separated, at most 10, e.g. EzCaptcha,CapSolver. Not with retries.",
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user  # whose daily credit limit the submission is checked against
        self.accounts = list(FlowAccount.objects.usable())
        self.fields["account"].queryset = FlowAccount.objects.usable()

    def _post_clean(self):
        """After every field and rule check: the ONE budget check (flowdash.spending), so a
        submission over the person's daily limit is refused in words and nothing is queued."""
        super()._post_clean()
        if self.user is None or self.errors:
            return
        from flowdash.spending.budget import form_refusal

        refusal = form_refusal(self, self.user)
        if refusal:
            self.add_error(None, refusal)

    # shared checks ----------------------------------------------------------------------------

    def _clean_captcha(self, data: dict) -> None:
        retry, order = data.get("captcha_retry"), data.get("captcha_order") or None
        try:
            check.captcha_params(retry, order, None)
        except RequestValidationError as exc:
            target = "captcha_order" if exc.param == "captchaOrder" else "captcha_retry"
            message = str(exc.user_message or exc)
            if "cannot be combined" in message:
                message = "Use either captcha retries or a provider order, not both."
            self.add_error(target, message)

    def _captcha_params(self) -> dict:
        data = self.cleaned_data
        order = data.get("captcha_order") or None
        if order:
            order = ",".join(e.strip() for e in order.split(","))
        return {"captcha_retry": data.get("captcha_retry"), "captcha_order": order}


def _limit_message(exc: RequestValidationError) -> str:
    text = str(exc.user_message or exc)
    return text.split(": ", 1)[1] if ": " in text else text


class ImageForm(GenerationForm):
    kind = "image"

    model = forms.ChoiceField(
        required=False,
        choices=[("", "Auto — by reference count")] + IMAGE_MODELS,
        help_text="Auto: no references → imagen-4, 1-3 → nano-banana, more than 3 → "
        "nano-banana-pro (the API's documented choice).",
    )
    aspect_ratio = forms.ChoiceField(choices=IMAGE_ASPECTS, initial="landscape")
    references = RefListField(
        required=False,
        help_text="Up to 3 (imagen-4, nano-banana) or 10 (nano-banana-pro), from your assets "
        "or earlier image results.",
    )

    field_order = ["prompt", "model", "aspect_ratio", "count", "seed", "references", "account"]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "image_%s")  # both forms share a page: distinct ids
        super().__init__(*args, **kwargs)
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

    def clean(self):
        data = super().clean()
        model = data.get("model") or None
        refs = data.get("references")
        if refs is not None:
            try:
                check.image_references(model, [f"ref-{i}" for i in range(len(refs))])
            except RequestValidationError as exc:
                self.add_error(
                    "references",
                    f"{_limit_message(exc)} — {len(refs)} picked. Remove some"
                    + (" or choose nano-banana-pro." if model != "nano-banana-pro" else "."),
                )
        effective = model or auto_image_model(len(refs or []))
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
                    + ("." if model else " or use at most 3 references."),
                )
        self._clean_captcha(data)
        return data

    def effective_model(self) -> str:
        data = self.cleaned_data
        return data.get("model") or auto_image_model(len(data.get("references") or []))

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


MODES = [
    ("text", "Text only"),
    ("frames", "Start frame (+ optional end frame)"),
    ("references", "Reference images"),
]


class VideoForm(GenerationForm):
    kind = "video"

    model = forms.ChoiceField(initial=check.DEFAULT_VIDEO_MODEL)
    aspect_ratio = forms.ChoiceField(choices=VIDEO_ASPECTS, initial="landscape")
    mode = forms.ChoiceField(choices=MODES, initial="text", widget=forms.RadioSelect)
    start = RefField(required=False, label="Start frame")
    end = RefField(required=False, label="End frame")
    references = RefListField(
        required=False,
        help_text="Up to 3 on Veo 3.1 Fast / Fast Relaxed; Veo 3.1 Quality takes none. "
        "Landscape only.",
    )

    field_order = [
        "prompt",
        "model",
        "aspect_ratio",
        "count",
        "seed",
        "mode",
        "start",
        "end",
        "references",
        "account",
    ]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "video_%s")
        super().__init__(*args, **kwargs)
        self.fields["count"].initial = 1
        self.offers = video_model_offers(self.accounts)
        self.fields["model"].choices = [(o.name, o.label) for o in self.offers]
        aspects = dict(VIDEO_ASPECTS)
        for offer in self.offers:
            for info in offer.accounts.values():
                for ratio in info["aspect_ratios"]:
                    aspects.setdefault(ratio, ratio.replace("_", " ").capitalize())
        self.fields["aspect_ratio"].choices = list(aspects.items())

    def clean(self):
        data = super().clean()
        mode = data.get("mode")
        start, end, refs = data.get("start"), data.get("end"), data.get("references") or []
        model = data.get("model")
        if mode == "text":
            for name in ("start", "end", "references"):
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
        if end and not start and mode != "text" and "start" not in self.errors:
            self.add_error("end", "An end frame needs a start frame.")
        if model and not self.errors.get("references") and not self.errors.get("start"):
            try:
                check.video_frames(
                    model,
                    "start" if start else None,
                    "end" if end else None,
                    [f"ref-{i}" for i in range(len(refs))],
                )
            except RequestValidationError as exc:
                self.add_error(
                    "references" if exc.param.startswith("referenceImage") else "end",
                    _limit_message(exc) + ".",
                )
        if refs and data.get("aspect_ratio") not in (None, "landscape"):
            self.add_error("aspect_ratio", "Reference images work with landscape only.")
        self._clean_offer(data)
        self._clean_captcha(data)
        return data

    def _clean_offer(self, data: dict) -> None:
        """The chosen account must offer the model (and ratio), when its model list is known."""
        name, account = data.get("model"), data.get("account")
        offer = next((o for o in self.offers if o.name == name), None)
        if offer is None:
            return
        if account is not None:
            if account.paygate_tier == "PAYGATE_TIER_NOT_PAID" or (
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
        return {
            "prompt": data["prompt"],
            "model": data["model"],
            "aspect_ratio": data["aspect_ratio"],
            "count": data["count"],
            "seed": data.get("seed"),
            "mode": mode,
            "start": data.get("start") if mode == "frames" else None,
            "end": data.get("end") if mode == "frames" else None,
            "references": (data.get("references") or []) if mode == "references" else [],
            **self._captcha_params(),
        }
