"""What the API says about its models, in one place, for both eras of the service.

Two eras are known (``/work/shared/api``):

* ``2026-02`` — the documented contract of ``google-flow-v1.txt`` (Jan–Feb 2026): images
  ``imagen-4`` (default), ``nano-banana``, ``nano-banana-pro`` (Ultra); videos ``veo-3.1-fast``
  (default), ``veo-3.1-fast-relaxed`` (Ultra), ``veo-3.1-quality``; 8-second videos, landscape or
  portrait, no ``duration`` or ``resolution`` parameter.
* ``2026-12`` — the service as the supplement records it by December 2026 (§4.1, §5.1, §5.2,
  §10): images ``nano-banana-2-lite`` (default), ``nano-banana-2``, ``nano-banana-pro``; videos
  ``veo-3.1-fast`` (default), ``veo-3.1-quality``, ``veo-3.1-lite``,
  ``veo-3.1-lite-low-priority``, ``omni-flash`` and ``omni-flash-1.2``; ``duration``,
  ``resolution``, more aspect ratios and reference slots, V2V edits.

Deprecated names stay accepted and resolve to what the service now makes of them:
``imagen-4`` → ``nano-banana-2-lite`` and ``nano-banana`` → ``nano-banana-2`` (the service itself
still takes both), ``veo-3.1-fast-relaxed`` → ``veo-3.1-lite-low-priority`` (the service dropped
it, so flowdash sends the replacement).

Everything here is plain data and pure functions: no Django, no HTTP. Forms, pipeline timing,
job cards, costs and the front end (through data attributes) read it; the plan tier names
(``PAYGATE_TIER_*``) are spelled here only.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "CURRENT_ERA",
    "ERAS",
    "TIER_FREE",
    "TIER_PRO",
    "TIER_ULTRA",
    "AccountModel",
    "Alias",
    "Cost",
    "Model",
    "account_model",
    "account_models",
    "alias",
    "auto_image_model",
    "cost",
    "display_name",
    "era",
    "generation_seconds",
    "is_known_media_model",
    "is_paid",
    "is_ultra",
    "model",
    "models",
    "request_name_for_key",
    "resolve",
    "runnable_models",
    "tier_allows",
    "tier_label",
    "upscale_cost",
    "video_mode",
    "wire_name",
]

# --- eras ---------------------------------------------------------------------------------------

ERA_2026_02 = "2026-02"
ERA_2026_12 = "2026-12"
ERAS = (ERA_2026_02, ERA_2026_12)
CURRENT_ERA = ERA_2026_12  # the live service as of December 2026

# --- plans (GET /accounts/{email} credits.userPaygateTier) ---------------------------------------

TIER_FREE = "PAYGATE_TIER_NOT_PAID"
TIER_PRO = "PAYGATE_TIER_ONE"  # a paid plan (Plus / Pro)
TIER_ULTRA = "PAYGATE_TIER_TWO"  # Google AI Ultra
TIERS = (TIER_FREE, TIER_PRO, TIER_ULTRA)
_TIER_RANK = {TIER_FREE: 0, TIER_PRO: 1, TIER_ULTRA: 2}
_TIER_LABELS = {TIER_FREE: "free", TIER_PRO: "Pro", TIER_ULTRA: "Ultra"}


def tier_label(tier: str | None) -> str:
    """Words for a plan tier: ``Ultra``, ``Pro``, ``free``; an unknown tier as the API wrote it."""
    if not tier:
        return "unknown plan"
    return _TIER_LABELS.get(tier, tier)


def is_ultra(tier: str | None) -> bool:
    return tier == TIER_ULTRA


def is_paid(tier: str | None) -> bool | None:
    """True for a paid plan, False for free, None when the tier is unknown (not synced yet)."""
    if tier not in _TIER_RANK:
        return None
    return _TIER_RANK[tier] >= _TIER_RANK[TIER_PRO]


def tier_allows(tier: str | None, needed: str | None) -> bool | None:
    """Whether an account on ``tier`` may use something that needs ``needed`` (None: any plan).

    None when the account's tier is unknown and something is needed: the API decides.
    """
    if needed is None:
        return True
    if tier not in _TIER_RANK:
        return None
    return _TIER_RANK[tier] >= _TIER_RANK[needed]


# --- modes --------------------------------------------------------------------------------------

IMAGE = "image"
VIDEO = "video"

T2I = "text-to-image"
I2I = "image-to-image"  # with reference_N
T2V = "T2V"  # prompt only
I2V = "I2V"  # startImage
I2V_FL = "I2V-FL"  # startImage + endImage
R2V = "R2V"  # referenceImage_N
V2V = "V2V"  # referenceVideo_1 (omni edit)
EXTEND = "extend"  # POST /videos/extend

FRAMES_PER_SECOND = 24  # the V2V frame window's virtual timeline (§5.2)
MAX_V2V_FRAMES = 240  # endFrameIndex_1 at most 240 = 10 s of source video
MAX_V2V_SECONDS = MAX_V2V_FRAMES // FRAMES_PER_SECOND

LANDSCAPE_PORTRAIT = ("landscape", "portrait")
VEO_ASPECTS_2026_12 = ("landscape", "portrait", "1:1", "4:3", "3:4")
IMAGE_ASPECTS_2026_12 = ("16:9", "4:3", "1:1", "3:4", "9:16", "auto")
AUTO_ASPECT = "auto"  # images only, and only with at least one reference (§4.1)

UPSCALE_4K_CREDITS = 50  # POST /videos/upscale 4K (Ultra); 1080p is free (§5.4)


@dataclass(frozen=True)
class Model:
    """One request name of POST /images or POST /videos in one era.

    ``durations`` maps each mode to the ``duration`` values it takes; an empty tuple means the
    request carries no ``duration`` (the 2026-02 era, V2V, extend). ``resolutions`` is empty
    when the era has no ``resolution`` parameter. ``credits`` maps ``(duration, resolution)`` (or
    the key ``None`` for "any") to credits per generation for a non-Ultra and an Ultra plan.
    """

    name: str
    label: str
    kind: str
    modes: tuple[str, ...]
    aspect_ratios: tuple[str, ...]
    min_tier: str | None
    generation_seconds: float
    max_references: int = 0  # reference_N (images) / referenceImage_N in R2V (videos)
    max_v2v_references: int = 0
    durations: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    default_duration: int | None = None
    resolutions: tuple[str, ...] = ()
    default_resolution: str | None = None
    # (duration or None, resolution or None, V2V?) -> (non-Ultra credits, Ultra credits); a
    # figure of None means "not known" (the supplement does not say).
    credits: Mapping[tuple[int | None, str | None, bool], tuple[int | None, int | None]] = field(
        default_factory=dict
    )
    extends: bool = False  # a source for POST /videos/extend (Veo only)
    note: str = ""
    confirmed: bool = True  # False: the supplement marks its rules as a gap (§12)

    @property
    def is_video(self) -> bool:
        return self.kind == VIDEO

    @property
    def is_image(self) -> bool:
        return self.kind == IMAGE

    def durations_for(self, mode: str) -> tuple[int, ...]:
        """The ``duration`` values POST /videos takes with this model in ``mode`` (§5.2)."""
        return tuple(self.durations.get(mode, ()))

    def takes_mode(self, mode: str) -> bool:
        return mode in self.modes

    def reference_limit(self, mode: str | None = None) -> int:
        """Reference images accepted: ``reference_N`` for images, ``referenceImage_N`` for R2V,
        or alongside ``referenceVideo_1`` in V2V."""
        if mode == V2V:
            return self.max_v2v_references
        return self.max_references


@dataclass(frozen=True)
class Alias:
    """A deprecated request name and what the service now makes of it."""

    name: str
    target: str
    service_accepts: bool  # False: the service dropped the name; flowdash sends ``target``
    note: str


@dataclass(frozen=True)
class Era:
    name: str
    label: str
    models: Mapping[str, Model]
    aliases: Mapping[str, Alias]
    default_image: str
    default_video: str
    image_aspect_ratios: tuple[str, ...]


def _veo_credits(non_ultra: int | None, ultra: int | None) -> dict:
    return {(None, None, False): (non_ultra, ultra)}


_IMAGE_SECONDS = 15.0  # "typically completes within 10-20 seconds"


def _image(
    name: str, label: str, aspects: tuple[str, ...], min_tier: str | None, references: int
) -> Model:
    return Model(
        name, label, IMAGE, (T2I, I2I), aspects, min_tier, _IMAGE_SECONDS, max_references=references
    )


# 2026-02: google-flow-v1.txt (POST /images, POST /videos, GET /accounts/{email}).
_MODELS_2026_02 = (
    _image("imagen-4", "Imagen 4", LANDSCAPE_PORTRAIT, None, 3),
    _image("nano-banana", "Nano Banana (Gemini 2.5 Flash Image)", LANDSCAPE_PORTRAIT, None, 3),
    _image(
        "nano-banana-pro",
        "Nano Banana Pro (Gemini 3 Pro Image)",
        LANDSCAPE_PORTRAIT,
        TIER_ULTRA,
        10,
    ),
    Model(
        "veo-3.1-fast",
        "Veo 3.1 Fast",
        VIDEO,
        (T2V, I2V, I2V_FL, R2V, EXTEND),
        LANDSCAPE_PORTRAIT,
        TIER_PRO,
        100.0,
        max_references=3,
        credits=_veo_credits(10, 0),
        extends=True,
    ),
    Model(
        "veo-3.1-fast-relaxed",
        "Veo 3.1 Fast Relaxed (lower priority, no credits)",
        VIDEO,
        (T2V, I2V, I2V_FL, R2V, EXTEND),
        LANDSCAPE_PORTRAIT,
        TIER_ULTRA,
        150.0,
        max_references=3,
        credits=_veo_credits(0, 0),
        extends=True,
    ),
    Model(
        "veo-3.1-quality",
        "Veo 3.1 Quality",
        VIDEO,
        (T2V, I2V, I2V_FL, EXTEND),
        LANDSCAPE_PORTRAIT,
        TIER_PRO,
        210.0,
        credits=_veo_credits(100, 100),
        extends=True,
    ),
)

# 2026-12: supplement §4.1 (images), §5.1 (video models), §5.2 (durations per mode).
_VEO_DURATIONS = {T2V: (4, 6, 8), I2V: (4, 6, 8), I2V_FL: (4, 6, 8), R2V: (8,)}
_OMNI_DURATIONS = {
    T2V: (4, 6, 8, 10),
    I2V: (4, 6, 8, 10),
    I2V_FL: (4, 6, 8, 10),
    R2V: (4, 6, 8, 10),
}
_OMNI_CREDITS = {
    # ~Oct 2026 table: 720p 7/10/12/15, 360p 4/5/6/7; V2V 20 (720p) / 10 (360p).
    **{(d, "720p", False): (c, c) for d, c in ((4, 7), (6, 10), (8, 12), (10, 15))},
    **{(d, "360p", False): (c, c) for d, c in ((4, 4), (6, 5), (8, 6), (10, 7))},
    (None, "720p", True): (20, 20),
    (None, "360p", True): (10, 10),
}


def _veo(
    name: str, label: str, min_tier: str, seconds: float, credits: dict, **extra: Any
) -> Model:
    spec: dict[str, Any] = {
        "modes": (T2V, I2V, I2V_FL, R2V, EXTEND),
        "max_references": 3,
        "durations": _VEO_DURATIONS,
        **extra,
    }
    return Model(
        name,
        label,
        VIDEO,
        spec["modes"],
        VEO_ASPECTS_2026_12,
        min_tier,
        seconds,
        max_references=spec["max_references"],
        durations=spec["durations"],
        default_duration=8,
        resolutions=("720p",),
        default_resolution="720p",
        credits=credits,
        extends=True,
        note=spec.get("note", ""),
    )


_MODELS_2026_12 = (
    _image("nano-banana-2-lite", "Nano Banana 2 Lite", IMAGE_ASPECTS_2026_12, None, 10),
    _image("nano-banana-2", "Nano Banana 2", IMAGE_ASPECTS_2026_12, None, 10),
    # Ultra-only in the documented contract; no newer source lifts that.
    _image("nano-banana-pro", "Nano Banana Pro", IMAGE_ASPECTS_2026_12, TIER_ULTRA, 10),
    _veo("veo-3.1-fast", "Veo 3.1 Fast", TIER_PRO, 100.0, _veo_credits(20, 10)),
    _veo(
        "veo-3.1-quality",
        "Veo 3.1 Quality",
        TIER_PRO,
        210.0,
        _veo_credits(100, 100),
        modes=(T2V, I2V, I2V_FL, EXTEND),
        max_references=0,
        durations={T2V: (8,), I2V: (8,), I2V_FL: (8,)},
    ),
    _veo("veo-3.1-lite", "Veo 3.1 Lite", TIER_PRO, 90.0, _veo_credits(10, 5)),
    _veo(
        "veo-3.1-lite-low-priority",
        "Veo 3.1 Lite, low priority (no credits)",
        TIER_ULTRA,
        150.0,
        _veo_credits(0, 0),
        note="Ultra $199 plan managers only since 2026-09-23; invited family members are refused",
    ),
    Model(
        "omni-flash",
        "Omni Flash",
        VIDEO,
        (T2V, I2V, I2V_FL, R2V, V2V),
        LANDSCAPE_PORTRAIT,
        TIER_PRO,
        120.0,
        max_references=7,
        max_v2v_references=5,
        durations=_OMNI_DURATIONS,
        default_duration=8,
        resolutions=("720p", "360p"),
        default_resolution="720p",
        credits=_OMNI_CREDITS,
        note="start/end frame mode takes no other references",
    ),
    Model(
        "omni-flash-1.2",
        "Omni Flash 1.2",
        VIDEO,
        (T2V, R2V),
        LANDSCAPE_PORTRAIT,
        None,
        120.0,
        max_references=10,
        durations={T2V: tuple(range(3, 16)), R2V: tuple(range(3, 16))},
        default_duration=8,
        resolutions=("720p",),
        default_resolution="720p",
        note="rules not confirmed by the documentation; priced per second (figure unknown)",
        confirmed=False,
    ),
)

_ALIASES_2026_12 = (
    Alias(
        "imagen-4",
        "nano-banana-2-lite",
        True,
        "Google removed Imagen from Flow (Jul 2026); the service runs Nano Banana 2 Lite",
    ),
    Alias("nano-banana", "nano-banana-2", True, "the service runs Nano Banana 2"),
    Alias(
        "veo-3.1-fast-relaxed",
        "veo-3.1-lite-low-priority",
        False,
        "the service dropped Fast Relaxed; Veo 3.1 Lite low priority replaced it",
    ),
)

_ERAS = {
    ERA_2026_02: Era(
        ERA_2026_02,
        "February 2026 (documented contract)",
        {m.name: m for m in _MODELS_2026_02},
        {},
        "imagen-4",
        "veo-3.1-fast",
        LANDSCAPE_PORTRAIT,
    ),
    ERA_2026_12: Era(
        ERA_2026_12,
        "December 2026 (today's service)",
        {m.name: m for m in _MODELS_2026_12},
        {a.name: a for a in _ALIASES_2026_12},
        "nano-banana-2-lite",
        "veo-3.1-fast",
        IMAGE_ASPECTS_2026_12 + LANDSCAPE_PORTRAIT,  # legacy names still accepted (§4.1)
    ),
}


# --- lookups ------------------------------------------------------------------------------------


def era(name: str | None = None) -> Era:
    """The era called ``name`` (default: today's service). Unknown names raise ``ValueError``."""
    key = name or CURRENT_ERA
    if key not in _ERAS:
        raise ValueError(f"unknown API era {name!r}; known: {', '.join(ERAS)}")
    return _ERAS[key]


def models(kind: str | None = None, era_name: str | None = None) -> list[Model]:
    """Every model of an era (optionally of one kind), default first."""
    e = era(era_name)
    found = [m for m in e.models.values() if kind is None or m.kind == kind]
    defaults = (e.default_image, e.default_video)
    return sorted(found, key=lambda m: (m.kind, m.name not in defaults))


def resolve(name: str | None, era_name: str | None = None) -> Model | None:
    """The model a request name stands for in an era, following deprecated aliases; None when
    the era does not know the name."""
    if not name:
        return None
    e = era(era_name)
    alias = e.aliases.get(name)
    return e.models.get(alias.target if alias else name)


def model(name: str | None, era_name: str | None = None) -> Model:
    """Like :func:`resolve` but an unknown name raises ``KeyError`` with the name in words."""
    found = resolve(name, era_name)
    if found is None:
        raise KeyError(f"unknown model {name!r} in the {era(era_name).name} API")
    return found


def alias(name: str | None, era_name: str | None = None) -> Alias | None:
    """The deprecation note for ``name`` when it is an alias in that era."""
    return era(era_name).aliases.get(name or "")


def wire_name(name: str, era_name: str | None = None) -> str:
    """The ``model`` value to send: the name itself, or its replacement when the service
    dropped it (``veo-3.1-fast-relaxed`` → ``veo-3.1-lite-low-priority`` today)."""
    a = alias(name, era_name)
    if a is not None and not a.service_accepts:
        return a.target
    return name


def display_name(name: str | None, era_name: str | None = None) -> str:
    """How a request name is shown: the label, and for an alias what it now runs."""
    if not name:
        return ""
    found = resolve(name, era_name)
    if found is None:
        return name
    if name != found.name:
        return f"{name} (now {found.label})"
    return found.label


def auto_image_model(reference_count: int, era_name: str | None = None) -> str:
    """What POST /images chooses when ``model`` is omitted.

    2026-02: more than 3 references → nano-banana-pro, 1-3 → nano-banana, none → imagen-4.
    2026-12: with references → nano-banana-2, without → the default (nano-banana-2-lite).
    """
    e = era(era_name)
    if e.name == ERA_2026_02:
        if reference_count > 3:
            return "nano-banana-pro"
        return "nano-banana" if reference_count >= 1 else "imagen-4"
    return "nano-banana-2" if reference_count >= 1 else e.default_image


def video_mode(
    *,
    start_image: bool = False,
    end_image: bool = False,
    references: int = 0,
    reference_video: bool = False,
) -> str:
    """The POST /videos mode a combination of inputs selects (no checking: see validation)."""
    if reference_video:
        return V2V
    if start_image:
        return I2V_FL if end_image else I2V
    if references:
        return R2V
    return T2V


# --- an account's own model list ----------------------------------------------------------------


@dataclass(frozen=True)
class AccountModel:
    """One entry of an account's ``models.videoModels`` read through the catalog.

    ``request_name`` is None when the catalog cannot map the key (then only ``display_name`` is
    shown and nothing is offered for it).
    """

    key: str
    display_name: str
    request_name: str | None
    credit_cost: int | None  # as reported; None = not reported
    unlimited: bool  # an ``_ultra`` key without creditCost
    generation_seconds: float | None
    aspect_ratios: tuple[str, ...] = ()


def request_name_for_key(key: str, era_name: str | None = None) -> str | None:
    """The POST /videos ``model`` behind an account's model key, or None if unknown.

    ``veo_3_1_t2v_fast_ultra`` → veo-3.1-fast, ``veo_3_1_t2v`` → veo-3.1-quality,
    ``…_relaxed`` → veo-3.1-fast-relaxed (today: veo-3.1-lite-low-priority), ``…lite…`` →
    veo-3.1-lite, ``…lite…low_priority`` → veo-3.1-lite-low-priority, ``…omni…`` → omni-flash
    (``…1_2…`` → omni-flash-1.2). Upsampler keys and other families are not generation models.
    """
    e = era(era_name)
    k = (key or "").strip().lower()
    tokens = set(k.replace("-", "_").replace(".", "_").split("_"))
    name: str | None = None
    if "upsampler" in tokens:
        return None
    if "omni" in tokens:
        name = "omni-flash-1.2" if "1_2" in k.replace(".", "_") else "omni-flash"
    elif k.startswith("veo_3_1"):
        if "relaxed" in tokens:
            name = "veo-3.1-fast-relaxed"
        elif "lite" in tokens:
            low = "low" in tokens or "priority" in tokens
            name = "veo-3.1-lite-low-priority" if low else "veo-3.1-lite"
        elif "fast" in tokens:
            name = "veo-3.1-fast"
        elif tokens <= {"veo", "3", "1", "t2v", "i2v", "r2v", "fl", "s", "quality", "ultra"}:
            name = "veo-3.1-quality"
    if name is None:
        return None
    found = resolve(name, e.name)
    if found is None:
        return None
    return found.name


_MEDIA_MODEL_FAMILIES = ("veo_", "omni")


def is_known_media_model(key: str) -> bool:
    """Whether a video's ``model`` in a result names a model this catalog can place: an account
    key it maps, or one of the documented result keys (``veo_3_1_t2v``, ``…_i2v``, ``…_i2v_fl``,
    ``…_r2v``, ``veo_3_1_upsampler_1080p``/``_4k``) and their omni relatives."""
    k = (key or "").strip().lower()
    if not k:
        return False
    if request_name_for_key(k, ERA_2026_12) or request_name_for_key(k, ERA_2026_02):
        return True
    return k.startswith(_MEDIA_MODEL_FAMILIES) and bool(
        set(k.split("_")) & {"t2v", "i2v", "r2v", "fl", "upsampler", "flash"}
    )


def _get(entry: Any, *names: str) -> Any:
    for name in names:
        if isinstance(entry, Mapping):
            if name in entry and entry[name] is not None:
                return entry[name]
        elif getattr(entry, name, None) is not None:
            return getattr(entry, name)
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value) or value < 0:
        return None
    return float(value)


def account_model(entry: Any, era_name: str | None = None) -> AccountModel | None:
    """Read one model entry: the API's JSON, a :class:`flowdash.useapi.types.VideoModel`, or
    the row an account stores (``key``, ``display_name``, ``credit_cost``,
    ``generation_seconds``, ``aspect_ratios``). None when it has no key."""
    key = _get(entry, "key")
    if not isinstance(key, str) or not key.strip():
        return None
    display = _get(entry, "display_name", "displayName")
    cost_value = _number(_get(entry, "credit_cost", "creditCost"))
    seconds = _number(
        _get(
            entry,
            "generation_seconds",
            "video_generation_time_seconds",
            "videoGenerationTimeSeconds",
        )
    )
    ratios = _get(entry, "aspect_ratios", "supported_aspect_ratios", "supportedAspectRatios")
    aspects = tuple(
        r.replace("VIDEO_ASPECT_RATIO_", "").lower()
        for r in (ratios if isinstance(ratios, list | tuple) else ())
        if isinstance(r, str)
    )
    return AccountModel(
        key=key,
        display_name=display if isinstance(display, str) and display else key,
        request_name=request_name_for_key(key, era_name),
        credit_cost=None if cost_value is None else int(cost_value),
        unlimited=cost_value is None and key.lower().endswith("_ultra"),
        generation_seconds=seconds or None,
        aspect_ratios=aspects,
    )


def account_models(
    entries: Iterable[Any] | None, era_name: str | None = None
) -> list[AccountModel]:
    """Every readable entry of an account's model list (bad entries skipped, never a crash)."""
    found = []
    for entry in entries or ():
        read = account_model(entry, era_name)
        if read is not None:
            found.append(read)
    return found


def _entry_for(
    name: str, entries: Iterable[Any] | None, era_name: str | None
) -> AccountModel | None:
    target = resolve(name, era_name)
    if target is None:
        return None
    best = None
    for entry in account_models(entries, era_name):
        # Prefer the entry that states a figure (creditCost or the unlimited mark).
        if entry.request_name == target.name and (
            best is None or (best.credit_cost is None and not best.unlimited)
        ):
            best = entry
    return best


def runnable_models(
    tier: str | None,
    video_models: Iterable[Any] | None = None,
    *,
    kind: str | None = None,
    era_name: str | None = None,
) -> list[Model]:
    """The models an account can run, from its plan and its own model list.

    Images: every image model its plan allows (accounts do not list image models). Videos: the
    models its ``videoModels`` list maps to (an empty list: none); when the account reports no
    list at all (``None``: health not OK, not synced yet) the plan decides. Deprecated names
    are never offered (their target is).
    """
    found: list[Model] = []
    entries = None if video_models is None else list(video_models)
    listed = {m.request_name for m in account_models(entries, era_name) if m.request_name}
    for m in models(kind, era_name):
        if m.is_image or entries is None:
            if tier_allows(tier, m.min_tier) is not False:
                found.append(m)
        elif m.name in listed:
            found.append(m)
    return found


# --- time ---------------------------------------------------------------------------------------

# Typical durations of the other operations (nominal seconds, §4.2, §5.3–§5.6).
OPERATION_SECONDS = {
    "image": _IMAGE_SECONDS,
    "image_upscale": 15.0,
    "video": 120.0,  # "60-180 seconds"
    "extend": 120.0,
    "video_upscale": 45.0,  # 1080p "30-60 s"; 4K takes minutes
    "video_upscale_4k": 180.0,
    "gif": 60.0,
    "concatenate": 20.0,
}


def generation_seconds(
    name: str | None,
    video_models: Iterable[Any] | None = None,
    *,
    operation: str = "video",
    era_name: str | None = None,
) -> float:
    """Typical nominal seconds of one generation: the account's own
    ``videoGenerationTimeSeconds`` for the model's key when it reports one, else the catalog's
    figure for the model, else the operation's typical time."""
    if name:
        entry = _entry_for(name, video_models, era_name)
        if entry is not None and entry.generation_seconds:
            return entry.generation_seconds
        found = resolve(name, era_name)
        if found is not None:
            return found.generation_seconds
    return OPERATION_SECONDS.get(operation, OPERATION_SECONDS["video"])


# --- cost ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cost:
    """Credits a submission will spend; ``credits`` None when the figure is not known."""

    credits: int | None
    per_generation: int | None
    source: str  # "catalog" | "account" | "free" | "unknown"
    words: str

    @property
    def known(self) -> bool:
        return self.credits is not None


def _catalog_credits(
    m: Model, duration: int | None, resolution: str | None, v2v: bool, ultra: bool
) -> int | None:
    resolution = resolution or m.default_resolution
    duration = None if v2v else (duration or m.default_duration)
    for key in ((duration, resolution, v2v), (None, resolution, v2v), (None, None, v2v)):
        if key in m.credits:
            pair = m.credits[key]
            return pair[1] if ultra else pair[0]
    return None


def cost(
    name: str,
    *,
    count: int = 1,
    duration: int | None = None,
    resolution: str | None = None,
    tier: str | None = None,
    video_models: Iterable[Any] | None = None,
    v2v: bool = False,
    era_name: str | None = None,
) -> Cost:
    """Credits POST /images or POST /videos will spend for ``count`` results.

    Images are free on every plan. For videos the account's own ``creditCost`` for the model's
    key wins when the model has one price whatever its length (Veo); an ``_ultra`` key without
    ``creditCost`` is unlimited (0). Otherwise the catalog's table for the account's plan, by
    duration and resolution (omni-flash). Unknown figures (omni-flash-1.2) say so.
    """
    m = model(name, era_name)
    count = max(int(count or 1), 1)
    if m.is_image:
        return Cost(0, 0, "free", "images are free on every plan")
    single_price = set(m.credits) <= {(None, None, False)}
    entry = _entry_for(name, video_models, era_name) if single_price else None
    if entry is not None and entry.credit_cost is not None:
        each, source = entry.credit_cost, "account"
    elif entry is not None and entry.unlimited:
        each, source = 0, "account"
    else:
        each = _catalog_credits(m, duration, resolution, v2v, is_ultra(tier))
        source = "catalog" if each is not None else "unknown"
    if each is None:
        return Cost(None, None, "unknown", f"the credit cost of {m.label} is not known")
    total = each * count
    if total == 0:
        words = f"{m.label}: no credits"
    else:
        words = f"{total} credits ({count} × {each})" if count > 1 else f"{total} credits"
    return Cost(total, each, source, words)


def cost_of(name: str, params: Mapping[str, Any], tier: str | None, video_models) -> Cost:
    """:func:`cost` for a job's parameters (count, duration, resolution, V2V mode) on an account
    of plan ``tier`` listing ``video_models``: the one reading of a job's parameters for a price."""
    return cost(
        name,
        count=params.get("count") or 1,
        duration=params.get("duration"),
        resolution=params.get("resolution"),
        tier=tier or None,
        video_models=video_models or None,
        v2v=params.get("mode") == "v2v",
    )


def upscale_cost(kind: str, resolution: str) -> Cost:
    """Credits of an upscale: images and 1080p videos are free; a 4K video costs 50."""
    if kind == VIDEO and resolution.lower() == "4k":
        return Cost(UPSCALE_4K_CREDITS, UPSCALE_4K_CREDITS, "catalog", "50 credits (4K)")
    return Cost(0, 0, "free", "free")
