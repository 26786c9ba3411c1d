"""Post-production fixtures: the simulator (fresh per test), accounts like its three, and media
that really exist in the simulator (made through the useapi client, as the pipeline would)."""

from __future__ import annotations

import pytest

from tests.conftest import SIM_TOKEN

ULTRA = "ultra.creator@gmail.com"
PRO = "pro.studio@gmail.com"
FREE = "free.tester@gmail.com"
TIERS = {ULTRA: "PAYGATE_TIER_TWO", PRO: "PAYGATE_TIER_ONE", FREE: "PAYGATE_TIER_NOT_PAID"}


@pytest.fixture
def sim(use_simulator):
    use_simulator.state.reset()
    yield use_simulator
    use_simulator.state.reset()


@pytest.fixture
def api(sim):
    from flowdash.useapi.client import UseapiClient

    with UseapiClient(sim.base_url, SIM_TOKEN) as client:
        yield client


@pytest.fixture
def accounts(db):
    from flowdash.accounts.models import FlowAccount

    made = {}
    for full, tier in TIERS.items():
        masked = full[:2] + "***@" + full.split("@")[1]
        made[full] = FlowAccount.objects.create(email=masked, full_email=full, paygate_tier=tier)
    return made


@pytest.fixture
def creator_client(client, creator_user):
    client.force_login(creator_user)
    return client


def media_row(account, kind="video", **fields):
    """A Media row as the pipeline leaves it after a generation (no API involved)."""
    from flowdash.gallery.models import Media

    defaults = {
        "kind": kind,
        "origin": Media.Origin.GENERATED,
        "media_generation_id": f"user:1000-email:00-{kind}:fake{Media.objects.count()}",
        "account": account,
        "account_email": account.email if account else "",
        "prompt": f"a {kind}",
        "model": "veo-3.1-fast" if kind == "video" else "nano-banana-pro",
        "aspect_ratio": "landscape",
        "duration_seconds": 8.0 if kind == "video" else None,
        "download_status": Media.Download.STORED,
    }
    defaults.update(fields)
    return Media.objects.create(**defaults)


@pytest.fixture
def sim_video(api, accounts):
    """make(email, prompt, aspect) → a stored-as-generated Media whose video exists in the
    simulator (POST /videos, sync, through the client)."""

    def make(email=ULTRA, prompt="a red ball rolls", aspect="landscape"):
        result = api.generate_videos(prompt, email=email, aspect_ratio=aspect, async_=False)
        item = result.media[0]
        return media_row(
            accounts[email],
            "video",
            media_generation_id=item.media_generation_id,
            prompt=prompt,
            aspect_ratio=aspect,
            seed=item.seed,
        )

    return make


@pytest.fixture
def sim_image(api, accounts):
    def make(email=ULTRA, prompt="a lighthouse", model="nano-banana-pro"):
        result = api.generate_images(prompt, email=email, model=model, count=1)
        item = result.media[0]
        return media_row(
            accounts[email],
            "image",
            media_generation_id=item.media_generation_id,
            prompt=prompt,
            model=model,
            width=640,
            height=360,
        )

    return make


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
