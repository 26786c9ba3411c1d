"""The studio's building blocks: which API era the forms speak, the models on offer (from the
catalog and the accounts' own model lists), picked references, and the account chooser.

Nothing here knows a model by name: :mod:`flowdash.useapi.catalog` is the one place for that.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django import forms

from flowdash.accounts.models import FlowAccount
from flowdash.assets.models import Asset
from flowdash.gallery.models import Media
from flowdash.lib.params import parse_id
from flowdash.lib.params import parse_ref as parse_kind_ref
from flowdash.useapi import catalog
from flowdash.useapi import validation as check
from flowdash.useapi.errors import RequestValidationError


def api_era() -> str:
    """The era of the API flowdash talks to now: the sandbox simulator's (``FLOWDASH_SIM_API``)
    or, for the real service, today's."""
    from django.conf import settings

    from flowdash.accounts.connection import current_connection
    from flowdash.simulator.eras import SANDBOX_DEFAULT, env_api

    if not current_connection(reveal=False).is_simulator:
        return catalog.CURRENT_ERA
    return catalog.era(settings.FLOWDASH_SIM_API or env_api(SANDBOX_DEFAULT)).name


def address(account: FlowAccount) -> str:
    """The address people recognise: the full one when known, else the API's masked form."""
    return account.full_email or account.email


# --- models on offer ---------------------------------------------------------------------------


def _tier_note(m: catalog.Model) -> str:
    return " — Ultra accounts" if m.min_tier == catalog.TIER_ULTRA else ""


def image_model_choices(era: str) -> list[tuple[str, str]]:
    """The image models of an era (default first), as (request name, label)."""
    return [(m.name, m.label + _tier_note(m)) for m in catalog.models(catalog.IMAGE, era)]


def alias_choice(name: str | None, kind: str, era: str) -> tuple[str, str] | None:
    """A deprecated name (imagen-4, nano-banana, veo-3.1-fast-relaxed) kept as a choice when a
    job being remixed used it: shown as what the service now makes of it."""
    found = catalog.alias(name, era)
    target = catalog.resolve(name, era)
    if found is None or target is None or target.kind != kind:
        return None
    return (found.name, catalog.display_name(found.name, era))


def image_reference_limit(model: str | None, era: str | None = None) -> int:
    """How many references POST /images takes with ``model`` (auto: the most any model takes)."""
    found = catalog.resolve(model, era) if model else None
    if found is None or not found.is_image:
        return max(m.max_references for m in catalog.models(catalog.IMAGE, era))
    return found.max_references


def image_aspect_choices(era: str) -> list[tuple[str, str]]:
    words = {"landscape": "Landscape", "portrait": "Portrait", "auto": "Auto (first reference)"}
    offered = catalog.IMAGE_ASPECTS_2026_12 if era != catalog.ERA_2026_02 else ()
    ratios = offered or catalog.era(era).image_aspect_ratios
    return [(r, words.get(r, r)) for r in ratios]


VIDEO_ASPECT_WORDS = {"landscape": "Landscape (16:9)", "portrait": "Portrait (9:16)"}


@dataclass
class VideoModelOffer:
    """One video model the studio offers, with what the catalog says of it (data attributes for
    studio.js) and which accounts list it."""

    name: str
    label: str
    seconds: int | None = None
    ultra_only: bool = False
    model: catalog.Model | None = None
    # account address -> (credit cost or None for unlimited, generation seconds, aspect ratios)
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    credits: dict[str, int | None] = field(default_factory=dict)
    credits_json: str = "{}"
    prices_json: str = "{}"

    @property
    def reference_limit(self) -> int:
        return self.model.reference_limit(catalog.R2V) if self.model else 0

    @property
    def v2v_reference_limit(self) -> int:
        return self.model.reference_limit(catalog.V2V) if self.model else 0

    def durations(self, mode: str = catalog.T2V) -> tuple[int, ...]:
        return self.model.durations_for(mode) if self.model else ()

    @property
    def all_durations(self) -> list[int]:
        found: set[int] = set()
        for mode in self.model.modes if self.model else ():
            found.update(self.model.durations_for(mode))
        return sorted(found)

    @property
    def resolutions(self) -> tuple[str, ...]:
        return self.model.resolutions if self.model else ()

    @property
    def aspect_ratios(self) -> tuple[str, ...]:
        return self.model.aspect_ratios if self.model else ()

    @property
    def takes_v2v(self) -> bool:
        return bool(self.model and self.model.takes_mode(catalog.V2V))

    @property
    def data(self) -> dict[str, str]:
        """What studio.js reads from the option (the catalog's figures, never a second copy)."""
        m = self.model
        modes = (
            {
                mode: " ".join(str(d) for d in m.durations_for(mode))
                for mode in (catalog.T2V, catalog.I2V, catalog.R2V)
            }
            if m
            else {}
        )
        return {
            "v2v-limit": str(self.v2v_reference_limit),
            "durations": modes.get(catalog.T2V, ""),
            "durations-frames": modes.get(catalog.I2V, ""),
            "durations-references": modes.get(catalog.R2V, ""),
            "default-duration": str(m.default_duration or "") if m else "",
            "resolutions": " ".join(self.resolutions),
            "aspects": " ".join(self.aspect_ratios),
            "v2v": "1" if self.takes_v2v else "",
            "prices": self.prices_json,
        }


def video_model_offers(accounts: list[FlowAccount], era: str) -> list[VideoModelOffer]:
    """The era's video models that the accounts' own lists map to (all of them while no
    account has reported a list), plus keys the catalog cannot map, shown by display name."""
    offers: dict[str, VideoModelOffer] = {}
    listed_any = any(a.video_models for a in accounts)
    for m in catalog.models(catalog.VIDEO, era):
        if not m.confirmed:
            continue  # rules still a gap (§12): not offered until documented
        offers[m.name] = VideoModelOffer(
            m.name,
            m.label + _tier_note(m),
            int(m.generation_seconds),
            m.min_tier == catalog.TIER_ULTRA,
            m,
        )
    listed: set[str] = set()
    for account in accounts:
        for entry in catalog.account_models(account.video_models or [], era):
            name = entry.request_name
            newer = catalog.request_name_for_key(entry.key, catalog.CURRENT_ERA)
            if name is None and newer and newer not in offers:
                # The account runs a model of today's service that this era does not know:
                # offered with today's rules (the account says it can run it).
                m = catalog.model(newer, catalog.CURRENT_ERA)
                offers[newer] = VideoModelOffer(newer, m.label, int(m.generation_seconds), False, m)
            name = name or newer
            if name is None or name not in offers:
                # Unknown to the catalog (or a gap): named by its display name, not offered.
                key = f"?{entry.key}"
                offers.setdefault(key, VideoModelOffer(key, entry.display_name))
                offer = offers[key]
            else:
                listed.add(name)
                offer = offers[name]
            offer.accounts[address(account)] = {
                "credit_cost": entry.credit_cost,
                "seconds": entry.generation_seconds,
                "aspect_ratios": list(entry.aspect_ratios),
                "display_name": entry.display_name,
            }
    if listed_any:
        # Still a valid choice (refused in words on submit), but said plainly in the list.
        for name, offer in offers.items():
            if offer.model is not None and name not in listed:
                offer.label += " — no account lists it"
    return list(offers.values())


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


def _resolve(ref: dict[str, int], *, video: bool) -> dict[str, int] | None:
    """Check a ref names a stored file of the right kind; an uploaded file's gallery row becomes
    its asset."""
    if "asset" in ref:
        asset = Asset.objects.filter(pk=ref["asset"]).first()
        return ref if asset is not None and asset.is_video == video else None
    kind = Media.Kind.VIDEO if video else Media.Kind.IMAGE
    media = Media.objects.filter(pk=ref["media"], kind=kind).first()
    if media is None or media.download_status != Media.Download.STORED:
        return None
    if media.asset_id:
        return {"asset": media.asset_id}
    return {"media": media.pk}


def resolve_ref(ref: dict[str, int]) -> dict[str, int] | None:
    """A reference image: an uploaded image or a stored image result."""
    return _resolve(ref, video=False)


def resolve_video_ref(ref: dict[str, int]) -> dict[str, int] | None:
    """A V2V source: an uploaded MP4 asset or a stored generated video."""
    return _resolve(ref, video=True)


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
    resolver = staticmethod(resolve_ref)
    what = "an image"

    def to_python(self, value):
        if not value:
            return None
        ref = parse_ref(value)
        resolved = self.resolver(ref) if ref else None
        if resolved is None:
            raise forms.ValidationError(
                f"“{value}” is not {self.what} in the assets or the gallery (deleted?).",
                code="unknown",
            )
        return resolved


class VideoRefField(RefField):
    """The source video of a V2V edit (an uploaded MP4 or a generated video)."""

    resolver = staticmethod(resolve_video_ref)
    what = "a video"


class AccountChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: FlowAccount) -> str:
        parts = [obj.full_email or obj.email]
        tier = catalog.tier_label(obj.paygate_tier) if obj.paygate_tier else ""
        if tier:
            parts.append(tier)
        if obj.credits is not None:
            parts.append(f"{obj.credits} credits")
        return " · ".join(parts)


# --- what both studio forms share -------------------------------------------------------------------------------------

SEED_MAX = 2**63 - 1
CAPTCHA_FIELDS = {
    "captchaRetry": "captcha_retry",
    "captchaOrder": "captcha_order",
    "captchaToken": "captcha_token",
}


def _limit_message(exc: RequestValidationError) -> str:
    text = str(exc.user_message or exc)
    return text.split(": ", 1)[1] if ": " in text else text


def _bound_value(form: forms.Form, name: str):
    if form.is_bound:
        return form.data.get(form.add_prefix(name))
    return form.initial.get(name)


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
    captcha_token = forms.CharField(
        required=False,
        min_length=20,
        max_length=4000,
        label="Your own captcha token",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text="A reCAPTCHA v3 Enterprise token you solved yourself: one try, no retries, "
        "no provider. Not with retries or an order.",
        error_messages={"min_length": "A captcha token is at least 20 characters long."},
    )

    def __init__(self, *args, user=None, era: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user  # whose daily credit limit the submission is checked against
        self.era = catalog.era(era or api_era()).name
        self.accounts = list(FlowAccount.objects.usable())
        self.fields["account"].queryset = FlowAccount.objects.usable()
        if self.era == catalog.ERA_2026_02:
            del self.fields["captcha_token"]  # captchaToken came later (supplement §1.3)

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
        token = data.get("captcha_token") or None
        try:
            check.captcha_params(retry, order, token)
        except RequestValidationError as exc:
            target = CAPTCHA_FIELDS.get(exc.param, "captcha_retry")
            message = str(exc.user_message or exc)
            if "cannot be combined" in message and not token:
                message = "Use either captcha retries or a provider order, not both."
            elif "cannot be combined" in message:
                message = (
                    "Use only one of captcha retries, a provider order or your own token: "
                    "the API takes one of them."
                )
            self.add_error(target, message)

    def _captcha_params(self) -> dict:
        data = self.cleaned_data
        order = data.get("captcha_order") or None
        if order:
            order = ",".join(e.strip() for e in order.split(","))
        params = {"captcha_retry": data.get("captcha_retry"), "captcha_order": order}
        if data.get("captcha_token"):
            params["captcha_token"] = data["captcha_token"]
        return params

    def _model_choices(self, kind: str, offered: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """The era's choices, plus a deprecated name when the form already holds it (a remix of
        an older job), shown as what the service now makes of it."""
        kept = alias_choice(_bound_value(self, "model"), kind, self.era)
        return offered + ([kept] if kept and kept[0] not in dict(offered) else [])

    def _refs_on_two_accounts(self, refs: list[dict], field_name: str) -> bool:
        """References must all be on one Google account (supplement §1.2): generated results
        live on the account that made them (uploads can go anywhere)."""
        from flowdash.gallery.models import Media

        pks = [r["media"] for r in refs if isinstance(r, dict) and "media" in r]
        if len(pks) < 2:  # one result (or none) is on one account whatever it is
            return False
        rows = Media.objects.filter(pk__in=pks).exclude(account=None).select_related("account")
        owners = {m.account.address for m in rows}
        if len(owners) > 1:
            self.add_error(
                field_name,
                "All references of one request must be on one Google account (the API routes "
                f"the request to it); these were made on {' and '.join(sorted(owners))}. "
                "Pick results of one account, or uploads.",
            )
            return True
        return False
