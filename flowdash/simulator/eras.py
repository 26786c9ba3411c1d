"""The two forms of the service the simulator speaks: ``2026-02`` and ``2026-12``.

``2026-02`` is the documented contract (google-flow-v1.txt). ``2026-12`` is the service as the
supplement records it by December 2026 (§3, §4.1, §5.1, §5.2, §10): today's model names and
plans, ``duration`` / ``resolution``, more aspect ratios and reference slots, V2V edits, WebP
and MP4 uploads, ``media[]`` results, ``encodedImage`` on some images, and account quarantine
answered with 429 ``no_eligible_account``.

The simulator keeps its own tables (it stands in for the remote service and must not share the
client's beliefs, or a wrong belief would pass every test); they are written from the same
documents as :mod:`flowdash.useapi.catalog`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

OLD = "2026-02"
NEW = "2026-12"
ERAS = (OLD, NEW)
SANDBOX_DEFAULT = NEW  # ``make run`` / the CLI: a newcomer sees today's models
LIBRARY_DEFAULT = OLD  # ``SimulatorServer()`` in Python without FLOWDASH_SIM_API


def env_api(default: str) -> str:
    """``FLOWDASH_SIM_API`` when it names an era, else ``default``."""
    value = (os.environ.get("FLOWDASH_SIM_API") or "").strip()
    return value if value in ERAS else default


def check_era(value: Any) -> str:
    if value not in ERAS:
        raise ValueError(f"api must be one of {', '.join(ERAS)}")
    return value


# --- images ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImageModel:
    name_type: str  # modelNameType in results
    max_refs: int
    ultra_only: bool = False


IMAGE_MODELS: dict[str, dict[str, ImageModel]] = {
    OLD: {
        "imagen-4": ImageModel("IMAGEN_3_5", 3),
        "nano-banana": ImageModel("GEM_PIX", 3),
        "nano-banana-pro": ImageModel("GEM_PIX_2", 10, ultra_only=True),
    },
    NEW: {
        # modelNameType values of the newer models are not documented; these are ours.
        "nano-banana-2-lite": ImageModel("GEM_PIX_2_LITE", 10),
        "nano-banana-2": ImageModel("GEM_PIX_2_1", 10),
        "nano-banana-pro": ImageModel("GEM_PIX_2", 10, ultra_only=True),
    },
}
IMAGE_ALIASES: dict[str, dict[str, str]] = {
    OLD: {},
    NEW: {"imagen-4": "nano-banana-2-lite", "nano-banana": "nano-banana-2"},
}
# request value -> the aspect the media maker draws (None: the first reference's)
IMAGE_ASPECTS: dict[str, dict[str, str | None]] = {
    OLD: {"landscape": "landscape", "portrait": "portrait"},
    NEW: {
        "16:9": "landscape",
        "4:3": "4:3",
        "1:1": "square",
        "3:4": "3:4",
        "9:16": "portrait",
        "auto": None,
        "landscape": "landscape",
        "portrait": "portrait",
    },
}


def auto_image_model(era: str, refs: int) -> str:
    if era == OLD:
        return "nano-banana-pro" if refs > 3 else "nano-banana" if refs else "imagen-4"
    return "nano-banana-2" if refs else "nano-banana-2-lite"


# --- videos ------------------------------------------------------------------------------------

VEO_FRAME_DURATIONS = (4, 6, 8)
OMNI_DURATIONS = (4, 6, 8, 10)


@dataclass(frozen=True)
class VideoModel:
    display: str
    time: float  # nominal generation seconds (videoGenerationTimeSeconds)
    tiers: dict[str, tuple[str, int | None]]  # tier -> (model key, credit cost; None unlimited)
    family: str = "veo"  # veo | omni
    r2v_refs: int = 3
    v2v_refs: int = 0
    durations: tuple[int, ...] = (8,)  # text / frames; R2V and extend are 8 s on Veo
    resolutions: tuple[str, ...] = ("720p",)
    aspects: tuple[str, ...] = ("landscape", "portrait", "1:1", "4:3", "3:4")
    extends: bool = True
    # omni: (duration, resolution) -> credits; ("v2v", resolution) -> credits
    prices: dict[tuple[Any, str], int] = field(default_factory=dict)

    def key_and_cost(self, tier: str) -> tuple[str, int | None] | None:
        return self.tiers.get(tier)


_OLD_VIDEO = {
    "veo-3.1-fast": VideoModel(
        "Veo 3.1 - Fast",
        100,
        {"ultra": ("veo_3_1_t2v_fast_ultra", None), "pro": ("veo_3_1_t2v_fast", 10)},
        aspects=("landscape", "portrait", "square"),
    ),
    "veo-3.1-fast-relaxed": VideoModel(
        "Veo 3.1 - Fast [Lower Priority]",
        150,
        {"ultra": ("veo_3_1_t2v_fast_ultra_relaxed", None)},
        aspects=("landscape", "portrait", "square"),
    ),
    "veo-3.1-quality": VideoModel(
        "Veo 3.1 - Quality",
        210,
        {"ultra": ("veo_3_1_t2v", 100), "pro": ("veo_3_1_t2v", 100)},
        r2v_refs=0,
        aspects=("landscape", "portrait", "square"),
    ),
}
_OMNI_PRICES: dict[tuple[Any, str], int] = {
    **{(d, "720p"): c for d, c in ((4, 7), (6, 10), (8, 12), (10, 15))},
    **{(d, "360p"): c for d, c in ((4, 4), (6, 5), (8, 6), (10, 7))},
    ("v2v", "720p"): 20,
    ("v2v", "360p"): 10,
}
_NEW_VIDEO = {
    "veo-3.1-fast": VideoModel(
        "Veo 3.1 - Fast",
        100,
        {"ultra": ("veo_3_1_t2v_fast_ultra", 10), "pro": ("veo_3_1_t2v_fast", 20)},
        durations=VEO_FRAME_DURATIONS,
    ),
    "veo-3.1-quality": VideoModel(
        "Veo 3.1 - Quality",
        210,
        {"ultra": ("veo_3_1_t2v", 100), "pro": ("veo_3_1_t2v", 100)},
        r2v_refs=0,
    ),
    "veo-3.1-lite": VideoModel(
        "Veo 3.1 - Lite",
        90,
        {"ultra": ("veo_3_1_t2v_lite_ultra", 5), "pro": ("veo_3_1_t2v_lite", 10)},
        durations=VEO_FRAME_DURATIONS,
    ),
    "veo-3.1-lite-low-priority": VideoModel(
        "Veo 3.1 - Lite [Lower Priority]",
        150,
        {"ultra": ("veo_3_1_t2v_lite_low_priority", 0)},
        durations=VEO_FRAME_DURATIONS,
    ),
    "omni-flash": VideoModel(
        "Omni 1.1 Flash",
        90,
        {"ultra": ("omni_flash_1_1", 12), "pro": ("omni_flash_1_1", 12)},
        family="omni",
        r2v_refs=7,
        v2v_refs=5,
        durations=OMNI_DURATIONS,
        resolutions=("720p", "360p"),
        aspects=("landscape", "portrait"),
        extends=False,
        prices=_OMNI_PRICES,
    ),
}
VIDEO_MODELS: dict[str, dict[str, VideoModel]] = {OLD: _OLD_VIDEO, NEW: _NEW_VIDEO}
# request value -> the aspect the media maker draws
VIDEO_ASPECTS = {
    "landscape": "landscape",
    "portrait": "portrait",
    "square": "square",
    "1:1": "square",
    "4:3": "4:3",
    "3:4": "3:4",
}


def video_model(era: str, name: str) -> VideoModel | None:
    return VIDEO_MODELS[era].get(name)


def video_price(model: VideoModel, tier: str, duration: int, resolution: str, v2v: bool) -> int:
    """Credits of one video: omni by duration/resolution (V2V flat), Veo by plan."""
    if model.family == "omni":
        key = ("v2v", resolution) if v2v else (duration, resolution)
        return model.prices.get(key, 0)
    entry = model.key_and_cost(tier)
    return (entry[1] or 0) if entry else 0


# --- assets ------------------------------------------------------------------------------------

MB = 1024 * 1024
# content type -> (max bytes, file extension, media kind)
ASSET_TYPES: dict[str, dict[str, tuple[int, str, str]]] = {
    OLD: {"image/png": (20 * MB, "png", "image"), "image/jpeg": (20 * MB, "jpg", "image")},
    NEW: {
        "image/png": (20 * MB, "png", "image"),
        "image/jpeg": (20 * MB, "jpg", "image"),
        "image/webp": (20 * MB, "webp", "image"),
        "video/mp4": (100 * MB, "mp4", "video"),
    },
}


def content_matches(content_type: str, data: bytes) -> bool:
    """Whether the bytes are what the Content-Type says (magic numbers)."""
    if content_type == "image/png":
        return data.startswith(b"\x89PNG\r\n\x1a\n")
    if content_type == "image/jpeg":
        return data.startswith(b"\xff\xd8\xff")
    if content_type == "image/webp":
        return data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    if content_type == "video/mp4":
        return data[4:8] == b"ftyp"
    return False


# --- quarantine (2026-12) ----------------------------------------------------------------------

QUARANTINE_SECONDS = 30 * 60  # "quarantined ~30 min" after a throttling / quota 429
QUARANTINE_REASONS = frozenset(
    {
        "PUBLIC_ERROR_USER_REQUESTS_THROTTLED",
        "PUBLIC_ERROR_PER_MODEL_DAILY_QUOTA_REACHED",
        "PUBLIC_ERROR_USER_QUOTA_REACHED",
        "PUBLIC_ERROR_UNUSUAL_ACTIVITY_TOO_MUCH_TRAFFIC",
    }
)
