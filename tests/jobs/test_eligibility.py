"""Every account choice respects what the account's plan and model list allow (design.md rule
10): a paid captcha is never spent on a certain "requires a Google AI Ultra plan" refusal.
Against the simulator over HTTP; POSTs counted from its request log."""

from __future__ import annotations

import pytest

from flowdash.accounts.models import FlowAccount
from flowdash.assets.models import AssetUpload
from flowdash.jobs import eligibility
from flowdash.jobs.models import Job
from flowdash.jobs.queue import create_job
from tests.jobs.test_pipeline import (
    PRO,
    ULTRA,
    image_params,
    make_asset,
    posts,
    run,
    video_params,
)

pytestmark = pytest.mark.django_db


def test_plan_facts():
    assert eligibility.plan_allows("PAYGATE_TIER_ONE", "image", "nano-banana-pro") is False
    assert eligibility.plan_allows("PAYGATE_TIER_TWO", "image", "nano-banana-pro") is True
    assert eligibility.plan_allows("PAYGATE_TIER_ONE", "video", "veo-3.1-fast-relaxed") is False
    assert eligibility.plan_allows("PAYGATE_TIER_ONE", "video", "veo-3.1-fast") is True
    assert eligibility.plan_allows("PAYGATE_TIER_NOT_PAID", "video", "veo-3.1-fast") is False
    assert eligibility.plan_allows("PAYGATE_TIER_ONE", "video_upscale", None, "4K") is False
    assert eligibility.plan_allows("PAYGATE_TIER_ONE", "video_upscale", None, "1080p") is True
    assert eligibility.plan_allows("", "image", "nano-banana-pro") is None  # not synced yet


def test_the_account_model_list_decides_for_videos_when_there_is_one():
    pro = FlowAccount(email="p@x.com", paygate_tier="PAYGATE_TIER_TWO")
    pro.video_models = [{"key": "veo_3_1_t2v_fast"}]  # an Ultra plan whose list lacks relaxed
    assert eligibility.can_run(pro, "video", "veo-3.1-fast") is True
    assert eligibility.can_run(pro, "video", "veo-3.1-fast-relaxed") is False


def test_auto_relaxed_video_names_an_account_that_can_run_it(accounts, api, sim):
    job = run(create_job("video", video_params(model="veo-3.1-fast-relaxed")), api)
    assert job.status == Job.Status.COMPLETED, job.error_message
    sent = posts(sim, "/videos")
    assert len(sent) == 1 and sent[0]["body"].get("email") == ULTRA
    assert job.account == accounts[ULTRA]


def test_auto_video_every_account_can_run_goes_to_the_load_balancer(accounts, api, sim):
    FlowAccount.objects.exclude(pk__in=[accounts[PRO].pk, accounts[ULTRA].pk]).delete()
    job = run(create_job("video", video_params(model="veo-3.1-fast")), api)
    assert job.status == Job.Status.COMPLETED, job.error_message
    sent = posts(sim, "/videos")
    assert len(sent) == 1 and "email" not in sent[0]["body"]


def test_auto_video_no_account_can_run_fails_in_words_with_nothing_sent(accounts, api, sim):
    FlowAccount.objects.filter(pk=accounts[ULTRA].pk).update(state="session_expired")
    job = run(create_job("video", video_params(model="veo-3.1-fast-relaxed")), api)
    assert job.status == Job.Status.FAILED
    assert "can run veo-3.1-fast-relaxed" in job.error_message and "Nothing" in job.error_message
    assert posts(sim, "/videos") == [] and job.media.count() == 0


def test_references_held_by_an_account_that_cannot_run_the_model_are_reuploaded(accounts, api, sim):
    """nano-banana-pro with references whose holder is a Pro account: the references go to an
    Ultra account, and the request with them."""
    first = run(create_job("image", image_params(count=1), requested_account=accounts[PRO]), api)
    source = first.media.get()
    asset = make_asset()
    params = image_params(
        count=1, model="nano-banana-pro", references=[{"media": source.pk}, {"asset": asset.pk}]
    )
    job = run(create_job("image", params), api)
    assert job.status == Job.Status.COMPLETED, job.error_message
    assert job.account == accounts[ULTRA]
    image_posts = posts(sim, "/images")
    assert len(image_posts) == 2  # the source, then this job: once each
    assert image_posts[-1]["body"].get("email") == ULTRA
    assert len(posts(sim, f"/assets/{ULTRA}")) == 2  # both references uploaded there
    assert posts(sim, f"/assets/{PRO}") == []
    assert AssetUpload.objects.filter(account=accounts[ULTRA]).count() == 2


def test_a_follow_up_whose_owner_cannot_run_it_fails_before_anything_is_sent(accounts, api, sim):
    video = run(create_job("video", video_params(), requested_account=accounts[PRO]), api)
    source = video.media.get()
    upscale = create_job("video_upscale", {"resolution": "4K"}, source_media=source)
    upscale = run(upscale, api)
    assert upscale.status == Job.Status.FAILED
    assert "cannot run" in upscale.error_message and "4K" in upscale.error_message
    assert posts(sim, "/videos/upscale") == []
    assert upscale.attempts.filter(action="submit").count() == 0


def test_an_account_short_of_the_credits_a_job_needs_is_not_chosen(accounts, api, sim):
    """Auto: the load balancer might give the video to the account whose credits are under what
    it costs, so the job names one with enough; the short one gets no POST."""
    FlowAccount.objects.exclude(pk__in=[accounts[PRO].pk, accounts[ULTRA].pk]).delete()
    params = video_params(model="veo-3.1-fast")
    probe = create_job("video", params)
    need = eligibility.credits_needed(probe, accounts[PRO])
    probe.delete()
    assert need and need > 0  # veo-3.1-fast costs credits on a Pro plan
    FlowAccount.objects.filter(pk=accounts[PRO].pk).update(credits=need - 1)
    FlowAccount.objects.filter(pk=accounts[ULTRA].pk).update(credits=need * 100)
    job = run(create_job("video", params), api)
    assert job.status == Job.Status.COMPLETED, job.error_message
    sent = posts(sim, "/videos")
    assert len(sent) == 1 and sent[0]["body"].get("email") == ULTRA
    assert job.account == accounts[ULTRA]


def test_an_account_asked_for_that_is_short_of_credits_refuses_in_words(accounts, api, sim):
    params = video_params(model="veo-3.1-fast")
    FlowAccount.objects.filter(pk=accounts[PRO].pk).update(credits=1)
    job = run(create_job("video", params, requested_account=accounts[PRO]), api)
    assert job.status == Job.Status.FAILED
    assert (
        "has 1 credit left; this job needs" in job.error_message
        and "Nothing was sent" in job.error_message
    )
    assert posts(sim, "/videos") == [] and job.media.count() == 0
    assert job.attempts.filter(action="submit").count() == 0
