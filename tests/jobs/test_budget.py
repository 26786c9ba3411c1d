"""The daily credit limit: 100 credits left, a 4-video Veo 3.1 Quality job (400 credits) is
refused — through the studio's own form, a batch and a retry — in words saying what is left;
and the Spending page adds up to the credits the jobs recorded."""

from __future__ import annotations

import pytest

from flowdash.batches.models import Batch, BatchRow
from flowdash.jobs.forms import VideoForm
from flowdash.jobs.models import Job
from flowdash.spending import budget
from flowdash.spending.models import JobCharge, PersonLimit
from flowdash.spending.services import create_priced_job
from tests.jobs.test_pipeline import PRO

pytestmark = pytest.mark.django_db

REFUSAL = "This would spend 400 credits; you have 100 left today"


def quality(count: int = 4) -> dict:
    return {
        "prompt": "a storm over the sea",
        "model": "veo-3.1-quality",
        "aspect_ratio": "landscape",
        "count": str(count),
        "mode": "text",
    }


@pytest.fixture
def limited(creator_user, accounts):
    PersonLimit.objects.create(user=creator_user, daily_credits=200)
    # 100 already spent today on one priced job.
    create_priced_job(
        "video",
        {**quality(1), "count": 1},
        user=creator_user,
        requested_account=accounts[PRO],
    )
    assert budget.left_today(creator_user) == 100
    return creator_user


def test_studio_form_is_refused_by_the_one_check(limited, accounts):
    """The studio's own form runs the ONE budget check after its field rules."""
    form = VideoForm({**quality(), "account": accounts[PRO].pk}, user=limited)
    assert not form.is_valid()
    assert form.non_field_errors()[0].startswith(REFUSAL)
    # the same request without a person to charge passes the field rules: only money refused it
    assert VideoForm({**quality(), "account": accounts[PRO].pk}).is_valid()
    with pytest.raises(budget.OverBudget, match=REFUSAL):
        create_priced_job(
            form.kind,
            form.cleaned_params(),
            user=limited,
            requested_account=accounts[PRO],
        )
    assert Job.objects.count() == 1


def test_studio_page_refuses_in_words_and_queues_nothing(client, limited, accounts):
    client.force_login(limited)
    response = client.post("/studio/", {"tab": "video", **quality(), "account": accounts[PRO].pk})
    assert response.status_code == 400
    assert REFUSAL in response.content.decode()
    assert Job.objects.count() == 1
    # one video of 100 credits fits exactly: queued, its price recorded with it
    response = client.post("/studio/", {"tab": "video", **quality(1), "account": accounts[PRO].pk})
    assert response.status_code == 302
    job = Job.objects.latest("pk")
    assert job.charge.credits == 100 and job.charge.user == limited
    assert budget.left_today(limited) == 0


def test_edit_and_retry_in_the_studio_is_refused(client, limited, accounts):
    failed = Job.objects.get()
    Job.objects.filter(pk=failed.pk).update(status=Job.Status.FAILED)
    client.force_login(limited)
    response = client.post(
        "/studio/",
        {"tab": "video", **quality(), "account": accounts[PRO].pk, "retry_of": failed.pk},
    )
    assert response.status_code == 400
    # the failed job never reached the service: it counts for nothing, 200 are left
    assert "This would spend 400 credits; you have 200 left today" in response.content.decode()
    assert not Job.objects.filter(retry_of=failed).exists()


def preview_quality_batch(client, account) -> Batch:
    """One row: a 4-video Veo 3.1 Quality job on ``account`` (400 credits), previewed."""
    client.post(
        "/batches/",
        {
            "source": "paste",
            "prompts": "a storm over the sea",
            "kind": "video",
            "model": "veo-3.1-quality",
            "count": "4",
            "aspect_ratio": "landscape",
            "account": account.pk,
        },
    )
    return Batch.objects.get()


def test_a_batch_is_refused_before_anything_is_sent(client, limited, accounts):
    client.force_login(limited)
    batch = preview_quality_batch(client, accounts[PRO])
    page = client.get(f"/batches/{batch.pk}/").content.decode()
    assert REFUSAL in page
    response = client.post(f"/batches/{batch.pk}/start/", {"confirm": "yes"}, follow=True)
    assert REFUSAL in response.content.decode()
    assert Job.objects.count() == 1
    assert batch.rows.get().status == BatchRow.Status.READY


def test_a_retry_is_refused(client, limited, accounts, settings):
    # A batch started while the day was young (no limit yet), whose one row failed.
    PersonLimit.objects.filter(user=limited).update(daily_credits=None)
    client.force_login(limited)
    batch = preview_quality_batch(client, accounts[PRO])
    client.post(f"/batches/{batch.pk}/start/", {"confirm": "yes"})
    failed = batch.rows.get().job
    Job.objects.filter(pk=failed.pk).update(status=Job.Status.FAILED)  # no paid attempt
    PersonLimit.objects.filter(user=limited).update(daily_credits=200)
    assert budget.left_today(limited) == 100
    response = client.post(f"/batches/{batch.pk}/retry/", follow=True)
    assert "Not retried: " + REFUSAL in response.content.decode()
    assert Job.objects.count() == 2
    # The job's own "Retry" button goes through the same check and is refused the same way.
    response = client.post(f"/jobs/{failed.pk}/retry/", follow=True)
    assert "Not retried: " + REFUSAL in response.content.decode()
    assert Job.objects.count() == 2
    assert not Job.objects.filter(retry_of=failed).exists()


def test_a_retry_that_fits_is_priced_with_the_new_job(client, limited, accounts):
    failed = Job.objects.get()
    Job.objects.filter(pk=failed.pk).update(status=Job.Status.FAILED)  # nothing reached
    client.force_login(limited)
    assert budget.left_today(limited) == 200  # a failed job that never reached costs nothing
    client.post(f"/jobs/{failed.pk}/retry/")
    new = Job.objects.get(retry_of=failed)
    assert new.charge.credits == 100 and new.charge.user == limited
    assert budget.left_today(limited) == 100


def test_submit_again_is_refused_over_the_limit(client, limited, accounts):
    job = Job.objects.get()
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.NEEDS_ATTENTION, attention_reason="the answer was lost"
    )
    PersonLimit.objects.filter(user=limited).update(daily_credits=150)  # 50 left
    client.force_login(limited)
    response = client.post(f"/jobs/{job.pk}/resubmit/", {"confirm": "yes"}, follow=True)
    assert (
        "Not submitted again: This would spend 100 credits; you have 50 left today"
        in response.content.decode()
    )
    job.refresh_from_db()
    assert job.status == Job.Status.NEEDS_ATTENTION
    # with room for it, the second paid request is added to the job's recorded price
    PersonLimit.objects.filter(user=limited).update(daily_credits=None)
    client.post(f"/jobs/{job.pk}/resubmit/", {"confirm": "yes"})
    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED
    assert job.charge.credits == 200


def test_spending_page_totals_equal_the_recorded_credits(client, admin_user, limited, accounts):
    other = create_priced_job(
        "video",
        {**quality(2), "count": 2, "model": "veo-3.1-fast"},
        user=admin_user,
        requested_account=accounts[PRO],
    )
    recorded = sum(JobCharge.objects.values_list("credits", flat=True))
    assert recorded == 100 + other.charge.credits
    client.force_login(admin_user)
    html = client.get("/spending/").content.decode()
    assert f"data-total-credits>{recorded}<" in html


def test_the_studio_shows_the_cost_before_the_click(client, limited, accounts):
    """The cost line and the per-model credits studio.js multiplies are the catalog's figures
    for the account's plan; what is left today is shown beside them."""
    import html
    import json
    import re

    from flowdash.useapi import catalog

    client.force_login(limited)
    page = client.get("/studio/?tab=video").content.decode()
    options = dict(
        re.findall(r'<option value="([a-z0-9.\-]+)" data-limit="\d+" data-credits="([^"]*)"', page)
    )
    assert "veo-3.1-quality" in options
    pro = accounts[PRO]
    table = json.loads(html.unescape(options["veo-3.1-quality"]))
    expected = catalog.cost("veo-3.1-quality", tier=pro.paygate_tier).per_generation
    assert table[str(pro.pk)] == expected == 100
    default = catalog.era().default_video
    each = json.loads(html.unescape(options[default]))[""]
    assert f"This will spend {each} credits. You have 100 left today." in page
