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
    """The studio's VideoForm accepts the request; the spending check (which the studio's
    clean() is to call) refuses it in words. See the report: the call in flowdash/jobs is the
    jobs helper's to add."""
    form = VideoForm({**quality(), "account": accounts[PRO].pk})
    assert form.is_valid(), form.errors
    assert budget.form_refusal(form, limited).startswith(REFUSAL)
    with pytest.raises(budget.OverBudget, match=REFUSAL):
        create_priced_job(
            form.kind,
            form.cleaned_params(),
            user=limited,
            requested_account=form.cleaned_data["account"],
        )
    assert Job.objects.count() == 1


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
    # The job-level retry goes through the same function and is refused the same way.
    with pytest.raises(budget.OverBudget, match=REFUSAL):
        create_priced_job(
            failed.kind,
            dict(failed.params),
            user=limited,
            requested_account=failed.requested_account,
            retry_of=failed,
        )


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
