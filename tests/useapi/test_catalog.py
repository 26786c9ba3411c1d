"""The model catalog: both eras' names, aliases, per-mode rules, account keys, plans and costs.

Figures come from google-flow-v1.txt (2026-02) and supplement.md §4.1, §5.1, §5.2, §5.4 (2026-12).
"""

from __future__ import annotations

import pytest

from flowdash.useapi import catalog
from flowdash.useapi.catalog import (
    ERA_2026_02,
    ERA_2026_12,
    I2V,
    R2V,
    T2V,
    TIER_FREE,
    TIER_PRO,
    TIER_ULTRA,
    V2V,
)
from flowdash.useapi.types import VideoModel

SEED_ULTRA_MODELS = [  # GET /accounts/{email} example of the documented contract
    {
        "key": "veo_3_1_t2v_fast_ultra",
        "displayName": "Veo 3.1 - Fast",
        "supportedAspectRatios": ["VIDEO_ASPECT_RATIO_LANDSCAPE"],
        "videoGenerationTimeSeconds": 100,
        "paygateTier": "PAYGATE_TIER_TWO",
    },
    {
        "key": "veo_3_1_t2v",
        "displayName": "Veo 3.1 - Quality",
        "videoGenerationTimeSeconds": 210,
        "creditCost": 100,
    },
]


def names(models):
    return [m.name for m in models]


def test_todays_service_is_the_default_era():
    assert catalog.CURRENT_ERA == ERA_2026_12
    assert catalog.era().name == ERA_2026_12
    with pytest.raises(ValueError, match="unknown API era"):
        catalog.era("2025-01")


def test_each_era_lists_its_own_models_default_first():
    assert names(catalog.models("image", ERA_2026_02)) == [
        "imagen-4",
        "nano-banana",
        "nano-banana-pro",
    ]
    assert names(catalog.models("image")) == [
        "nano-banana-2-lite",
        "nano-banana-2",
        "nano-banana-pro",
    ]
    videos = names(catalog.models("video"))
    assert videos[0] == "veo-3.1-fast"
    assert set(videos) == {
        "veo-3.1-fast",
        "veo-3.1-quality",
        "veo-3.1-lite",
        "veo-3.1-lite-low-priority",
        "omni-flash",
        "omni-flash-1.2",
    }
    assert "veo-3.1-fast-relaxed" in names(catalog.models("video", ERA_2026_02))
    assert "veo-3.1-fast-relaxed" not in videos


@pytest.mark.parametrize(
    ("name", "now", "sent"),
    [
        ("imagen-4", "nano-banana-2-lite", "imagen-4"),
        ("nano-banana", "nano-banana-2", "nano-banana"),
        ("veo-3.1-fast-relaxed", "veo-3.1-lite-low-priority", "veo-3.1-lite-low-priority"),
    ],
)
def test_deprecated_names_resolve_to_what_the_service_now_runs(name, now, sent):
    assert catalog.resolve(name).name == now
    assert catalog.wire_name(name) == sent
    assert "now" in catalog.display_name(name)
    # In the documented contract they are models of their own, sent as they are.
    assert catalog.resolve(name, ERA_2026_02).name == name
    assert catalog.wire_name(name, ERA_2026_02) == name


def test_newer_names_do_not_exist_in_the_older_era():
    for name in ("nano-banana-2", "veo-3.1-lite", "omni-flash"):
        assert catalog.resolve(name, ERA_2026_02) is None
        with pytest.raises(KeyError, match=name):
            catalog.model(name, ERA_2026_02)
    assert catalog.resolve("no-such-model") is None
    assert catalog.resolve("") is None


def test_durations_follow_the_rules_per_mode():
    fast = catalog.model("veo-3.1-fast")
    assert fast.durations_for(T2V) == (4, 6, 8)
    assert fast.durations_for(I2V) == (4, 6, 8)
    assert fast.durations_for(R2V) == (8,)  # R2V is 8 s only (§5.2)
    assert catalog.model("veo-3.1-quality").durations_for(T2V) == (8,)
    omni = catalog.model("omni-flash")
    assert omni.durations_for(T2V) == (4, 6, 8, 10)
    assert omni.durations_for(V2V) == ()  # V2V length is the trim window
    # The older era has no duration parameter at all.
    assert catalog.model("veo-3.1-fast", ERA_2026_02).durations_for(T2V) == ()


def test_resolutions_aspects_and_reference_limits():
    assert catalog.model("omni-flash").resolutions == ("720p", "360p")
    assert catalog.model("veo-3.1-lite").resolutions == ("720p",)  # Veo has no 360p
    assert "1:1" in catalog.model("veo-3.1-fast").aspect_ratios
    assert "1:1" not in catalog.model("omni-flash").aspect_ratios
    assert "1:1" not in catalog.model("veo-3.1-fast", ERA_2026_02).aspect_ratios
    assert "auto" in catalog.model("nano-banana-2").aspect_ratios
    for name in ("nano-banana-2-lite", "nano-banana-2", "nano-banana-pro"):
        assert catalog.model(name).reference_limit() == 10
    assert catalog.model("imagen-4", ERA_2026_02).reference_limit() == 3
    assert catalog.model("veo-3.1-fast").reference_limit(R2V) == 3
    assert catalog.model("veo-3.1-quality").reference_limit(R2V) == 0
    assert catalog.model("omni-flash").reference_limit(R2V) == 7
    assert catalog.model("omni-flash").reference_limit(V2V) == 5
    assert catalog.model("omni-flash").takes_mode(V2V)
    assert not catalog.model("veo-3.1-fast").takes_mode(V2V)


def test_auto_image_model_per_era():
    assert [catalog.auto_image_model(n, ERA_2026_02) for n in (0, 1, 3, 4)] == [
        "imagen-4",
        "nano-banana",
        "nano-banana",
        "nano-banana-pro",
    ]
    assert [catalog.auto_image_model(n) for n in (0, 1, 5)] == [
        "nano-banana-2-lite",
        "nano-banana-2",
        "nano-banana-2",
    ]


@pytest.mark.parametrize(
    ("key", "era", "expected"),
    [
        ("veo_3_1_t2v_fast_ultra", ERA_2026_12, "veo-3.1-fast"),
        ("veo_3_1_t2v_fast", ERA_2026_12, "veo-3.1-fast"),
        ("veo_3_1_t2v", ERA_2026_12, "veo-3.1-quality"),
        ("veo_3_1_t2v_lite", ERA_2026_12, "veo-3.1-lite"),
        ("veo_3_1_t2v_lite_low_priority", ERA_2026_12, "veo-3.1-lite-low-priority"),
        ("veo_3_1_t2v_fast_ultra_relaxed", ERA_2026_12, "veo-3.1-lite-low-priority"),
        ("veo_3_1_t2v_fast_ultra_relaxed", ERA_2026_02, "veo-3.1-fast-relaxed"),
        ("omni_flash_720p", ERA_2026_12, "omni-flash"),
        ("omni_flash_1_2", ERA_2026_12, "omni-flash-1.2"),
        ("veo_3_1_t2v_lite", ERA_2026_02, None),  # not a model of that era
        ("veo_3_1_upsampler_1080p", ERA_2026_12, None),
        ("some_future_model_x", ERA_2026_12, None),
    ],
)
def test_account_model_keys_map_to_request_names(key, era, expected):
    assert catalog.request_name_for_key(key, era) == expected


def test_unknown_or_broken_entries_never_crash():
    entries = [
        {"key": "agent_thing_v9", "displayName": "Agent Thing"},
        {"key": ""},
        {"displayName": "no key"},
        "not a dict",
        None,
        {"key": "veo_3_1_t2v_fast", "creditCost": "twenty", "videoGenerationTimeSeconds": -4},
    ]
    read = catalog.account_models(entries)
    assert [(m.key, m.display_name, m.request_name) for m in read] == [
        ("agent_thing_v9", "Agent Thing", None),
        ("veo_3_1_t2v_fast", "veo_3_1_t2v_fast", "veo-3.1-fast"),
    ]
    assert read[1].credit_cost is None and read[1].generation_seconds is None


def test_account_entries_read_from_json_typed_and_stored_forms():
    typed = VideoModel.from_json(SEED_ULTRA_MODELS[0])
    stored = {
        "key": "veo_3_1_t2v_fast_ultra",
        "display_name": "Veo 3.1 - Fast",
        "credit_cost": None,
    }
    for entry in (SEED_ULTRA_MODELS[0], typed, stored):
        read = catalog.account_model(entry)
        assert read.request_name == "veo-3.1-fast"
        assert read.unlimited is True
        assert read.display_name == "Veo 3.1 - Fast"
    assert catalog.account_model(SEED_ULTRA_MODELS[0]).aspect_ratios == ("landscape",)


def test_runnable_models_come_from_the_account_list_then_the_plan():
    assert names(catalog.runnable_models(TIER_ULTRA, SEED_ULTRA_MODELS, kind="video")) == [
        "veo-3.1-fast",
        "veo-3.1-quality",
    ]
    # No list (health not OK, not synced yet): the plan decides.
    free = names(catalog.runnable_models(TIER_FREE, None, kind="video"))
    assert free == ["omni-flash-1.2"]
    # A healthy account that lists no video models runs none.
    assert catalog.runnable_models(TIER_FREE, [], kind="video") == []
    pro = names(catalog.runnable_models(TIER_PRO, None, kind="video"))
    assert "veo-3.1-lite-low-priority" not in pro and "omni-flash" in pro
    assert "nano-banana-pro" not in names(catalog.runnable_models(TIER_PRO, kind="image"))
    assert "nano-banana-pro" in names(catalog.runnable_models(TIER_ULTRA, kind="image"))
    # An unknown tier does not hide anything: the API decides.
    assert "nano-banana-pro" in names(catalog.runnable_models(None, kind="image"))
    # Keys the catalog cannot map are not offered (and do not break the list).
    odd = [{"key": "mystery_model"}, {"key": "veo_3_1_t2v_lite"}]
    assert names(catalog.runnable_models(TIER_PRO, odd, kind="video")) == ["veo-3.1-lite"]


def test_tiers_in_words():
    assert catalog.tier_label(TIER_ULTRA) == "Ultra"
    assert catalog.tier_label("PAYGATE_TIER_NINE") == "PAYGATE_TIER_NINE"
    assert catalog.is_paid(TIER_PRO) is True and catalog.is_paid(TIER_FREE) is False
    assert catalog.is_paid(None) is None
    assert catalog.tier_allows(TIER_PRO, TIER_ULTRA) is False
    assert catalog.tier_allows(None, TIER_ULTRA) is None


def test_generation_seconds_prefer_the_accounts_own_figure():
    mine = [{"key": "veo_3_1_t2v_fast_ultra", "videoGenerationTimeSeconds": 77}]
    assert catalog.generation_seconds("veo-3.1-fast", mine) == 77
    assert catalog.generation_seconds("veo-3.1-fast") == 100
    assert catalog.generation_seconds("veo-3.1-quality", mine) == 210
    assert catalog.generation_seconds("nano-banana-2") == 15
    assert catalog.generation_seconds(None, operation="video_upscale") == 45
    assert catalog.generation_seconds("unknown-model", operation="extend") == 120


def test_costs_per_plan_duration_resolution_and_count():
    assert catalog.cost("nano-banana-pro", count=4, tier=TIER_ULTRA).credits == 0
    assert catalog.cost("veo-3.1-fast", tier=TIER_PRO).credits == 20
    assert catalog.cost("veo-3.1-fast", tier=TIER_ULTRA, count=2).credits == 20
    assert catalog.cost("veo-3.1-lite", tier=TIER_PRO, count=3).credits == 30
    assert catalog.cost("veo-3.1-lite", tier=TIER_ULTRA).credits == 5
    assert catalog.cost("veo-3.1-quality", tier=TIER_ULTRA).credits == 100
    assert catalog.cost("veo-3.1-lite-low-priority", tier=TIER_ULTRA).credits == 0
    assert catalog.cost("omni-flash", duration=10, resolution="360p").credits == 7
    assert catalog.cost("omni-flash", duration=6).credits == 10  # 720p by default
    assert catalog.cost("omni-flash", v2v=True, resolution="360p", count=2).credits == 20
    assert catalog.cost("veo-3.1-fast", tier=TIER_PRO, era_name=ERA_2026_02).credits == 10
    assert catalog.cost("veo-3.1-fast-relaxed", tier=TIER_ULTRA).credits == 0  # alias today
    unknown = catalog.cost("omni-flash-1.2", duration=12)
    assert unknown.credits is None and "not known" in unknown.words
    with pytest.raises(KeyError):
        catalog.cost("omni-flash", era_name=ERA_2026_02)


def test_the_accounts_credit_cost_overrides_the_catalog():
    mine = [{"key": "veo_3_1_t2v_fast", "creditCost": 15}]
    got = catalog.cost("veo-3.1-fast", tier=TIER_PRO, video_models=mine, count=2)
    assert (got.credits, got.per_generation, got.source) == (30, 15, "account")
    # An _ultra key without creditCost: unlimited.
    ultra = catalog.cost("veo-3.1-fast", tier=TIER_ULTRA, video_models=SEED_ULTRA_MODELS)
    assert (ultra.credits, ultra.source) == (0, "account")
    # Omni prices depend on duration and resolution: one reported figure does not replace them.
    omni = [{"key": "omni_flash", "creditCost": 99}]
    assert catalog.cost("omni-flash", duration=4, video_models=omni).credits == 7


def test_upscale_costs():
    assert catalog.upscale_cost("video", "4K").credits == 50
    assert catalog.upscale_cost("video", "1080p").credits == 0
    assert catalog.upscale_cost("image", "4k").credits == 0


def test_video_mode_from_inputs():
    assert catalog.video_mode() == T2V
    assert catalog.video_mode(start_image=True) == I2V
    assert catalog.video_mode(start_image=True, end_image=True) == "I2V-FL"
    assert catalog.video_mode(references=2) == R2V
    assert catalog.video_mode(reference_video=True, references=2) == V2V


def test_the_readme_model_table_lists_every_model_of_both_eras():
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("## Models (both eras of the API)", 1)[1].split("\n## ", 1)[0]
    rows = set(re.findall(r"^\| `([a-z0-9.-]+)` \|", section, re.MULTILINE))
    known = {m.name for e in catalog.ERAS for m in catalog.models(era_name=e)}
    assert rows == known
    assert "speaks **2026-12**" in section  # which era the sandbox uses
