"""Prices from the catalog, the one daily-limit check, the Spending page and its CSV."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from flowdash.accounts.models import AccountSample, FlowAccount
from flowdash.jobs.models import Job, JobAttempt
from flowdash.spending import budget
from flowdash.spending.models import JobCharge, PersonLimit, SpendingPolicy
from flowdash.spending.pricing import price
from flowdash.spending.services import create_priced_job, settle

pytestmark = pytest.mark.django_db


def video(model="veo-3.1-quality", count=1, **extra):
    return {
        "prompt": "a lighthouse",
        "model": model,
        "aspect_ratio": "landscape",
        "count": count,
        "seed": None,
        "mode": "text",
        "start": None,
        "end": None,
        "references": [],
        **extra,
    }


@pytest.fixture
def pro():
    return FlowAccount.objects.create(
        email="pr***@gmail.com",
        full_email="pro@gmail.com",
        health="OK",
        paygate_tier="PAYGATE_TIER_ONE",
    )


@pytest.fixture
def ultra_unlimited():
    return FlowAccount.objects.create(
        email="ul***@gmail.com",
        full_email="ultra@gmail.com",
        health="OK",
        paygate_tier="PAYGATE_TIER_TWO",
        video_models=[{"key": "veo_3_1_t2v_fast_ultra", "display_name": "Veo 3.1 Fast"}],
    )


def test_prices_follow_the_catalog_and_the_account(pro, ultra_unlimited):
    assert price("image", {"model": "imagen-4", "count": 4}).credits == 0
    assert price("video", video(count=4), pro).credits == 400
    # An Ultra account whose model list has no creditCost for its _ultra key: unlimited.
    assert price("video", video("veo-3.1-fast", 2), ultra_unlimited).credits == 0
    assert price("video", video("veo-3.1-fast", 2), pro).credits == 40
    # Auto: the dearest account that can run it.
    auto = price("video", video("veo-3.1-fast", 2), None)
    assert auto.credits == 40 and "up to" in auto.words
    assert price("video_upscale", {"resolution": "4K"}).credits == 50
    assert price("video_upscale", {"resolution": "1080p"}).credits == 0


def test_account_credit_cost_wins(pro):
    pro.video_models = [{"key": "veo_3_1_t2v_fast", "credit_cost": 15}]
    pro.save()
    assert price("video", video("veo-3.1-fast", 3), pro).credits == 45


def test_over_the_limit_is_refused_in_words_and_nothing_is_made(creator_user, pro):
    PersonLimit.objects.create(user=creator_user, daily_credits=100)
    with pytest.raises(budget.OverBudget) as exc:
        create_priced_job("video", video(count=4), user=creator_user, requested_account=pro)
    assert str(exc.value).startswith("This would spend 400 credits; you have 100 left today")
    assert not Job.objects.exists() and not JobCharge.objects.exists()
    job = create_priced_job("video", video(count=1), user=creator_user, requested_account=pro)
    assert job.charge.credits == 100 and job.charge.charged_on == budget.today()
    assert budget.left_today(creator_user) == 0
    assert "you have 0 left today" in budget.refusal(creator_user, 100)
    assert budget.refusal(creator_user, 0) is None  # free work is never refused


def test_cancelled_and_unsent_failures_do_not_count(creator_user, pro):
    PersonLimit.objects.create(user=creator_user, daily_credits=300)
    a = create_priced_job("video", video(), user=creator_user, requested_account=pro)
    b = create_priced_job("video", video(), user=creator_user, requested_account=pro)
    c = create_priced_job("video", video(), user=creator_user, requested_account=pro)
    assert budget.left_today(creator_user) == 0
    a.move(Job.Status.QUEUED, Job.Status.CANCELLED)
    b.move(Job.Status.QUEUED, Job.Status.FAILED)
    JobAttempt.objects.create(job=b, number=1, may_have_reached_service=False)
    assert budget.left_today(creator_user) == 200
    JobAttempt.objects.create(job=c, number=1, may_have_reached_service=True)
    c.move(Job.Status.QUEUED, Job.Status.FAILED)
    assert budget.left_today(creator_user) == 200  # it may have been paid for


def test_default_limit_goes_to_people_the_first_time_they_submit(make_user):
    SpendingPolicy.objects.create(pk=1, default_daily_credits=50)
    newcomer = make_user("nina", "creator")
    assert budget.daily_limit(newcomer) == 50
    SpendingPolicy.objects.filter(pk=1).update(default_daily_credits=500)
    assert budget.daily_limit(newcomer) == 50  # hers was set when she was first seen
    assert budget.daily_limit(make_user("otto", "creator")) == 500


def test_admins_set_limits_others_cannot(client, admin_user, creator_user):
    client.force_login(creator_user)
    r = client.post("/spending/limits/person/", {"user": creator_user.pk, "daily_credits": 9999})
    assert r.status_code == 403
    client.force_login(admin_user)
    r = client.post("/spending/limits/person/", {"user": creator_user.pk, "daily_credits": 120})
    assert r.status_code == 302
    assert PersonLimit.objects.get(user=creator_user).daily_credits == 120
    for bad in ("-1", "1e9", "²", "99999999999999999999"):
        r = client.post("/spending/limits/person/", {"user": creator_user.pk, "daily_credits": bad})
        assert r.status_code == 302
    assert PersonLimit.objects.get(user=creator_user).daily_credits == 120
    r = client.post("/spending/limits/default/", {"default_daily_credits": "200"})
    assert SpendingPolicy.current().default_daily_credits == 200


def test_spending_page_totals_equal_the_recorded_credits_and_csv_escapes(
    client, admin_user, make_user, pro
):
    sneaky = make_user("@sum", "creator")
    other = make_user("bob", "creator")
    for user, count in ((sneaky, 2), (other, 1), (other, 3)):
        create_priced_job("video", video(count=count), user=user, requested_account=pro)
    create_priced_job("image", {"prompt": "x", "model": "imagen-4", "count": 4}, user=other)
    recorded = sum(c.credits for c in JobCharge.objects.all())
    assert recorded == 600
    client.force_login(admin_user)
    page = client.get("/spending/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "data-total-credits>600<" in html
    assert "Credits by person" in html and "Credits by model" in html
    table_sum = sum(int(cell.split("<")[0]) for cell in html.split("<td data-credits>")[1:])
    assert table_sum == recorded
    export = client.get("/spending/?format=csv&days=7")
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["day", "job", "person"]
    assert sum(int(r[7]) for r in rows[1:]) == recorded
    assert "'@sum" in [r[2] for r in rows]
    for bad in ("0", "-3", "abc", "100000000000000000000000"):
        assert client.get(f"/spending/?days={bad}").status_code == 200


def test_a_creator_sees_only_their_own(client, creator_user, make_user, pro):
    other = make_user("bob", "creator")
    create_priced_job("video", video(count=2), user=other, requested_account=pro)
    create_priced_job("video", video(count=1), user=creator_user, requested_account=pro)
    client.force_login(creator_user)
    html = client.get("/spending/").content.decode()
    assert "data-total-credits>100<" in html and "bob" not in html


def _finished(job, account, submitted, finished):
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.COMPLETED, account=account, submitted_at=submitted, finished_at=finished
    )
    job.refresh_from_db()
    return job


def test_actual_cost_from_the_account_readings_when_one_job_ran_alone(creator_user, pro):
    now = timezone.now()
    job = create_priced_job("video", video(), user=creator_user, requested_account=pro)
    _finished(job, pro, now - timedelta(minutes=5), now - timedelta(minutes=2))
    assert not settle(job.charge)  # no reading after it yet: wait for the next sync
    AccountSample.objects.create(account=pro, taken_at=now - timedelta(minutes=6), credits=1000)
    AccountSample.objects.create(account=pro, taken_at=now - timedelta(minutes=1), credits=900)
    assert settle(job.charge)
    job.charge.refresh_from_db()
    assert job.charge.actual_credits == 100 and "1000 → 900" in job.charge.actual_note


def test_actual_cost_unknown_when_jobs_overlap(creator_user, pro):
    now = timezone.now()
    a = create_priced_job("video", video(), user=creator_user, requested_account=pro)
    b = create_priced_job("video", video(), user=creator_user, requested_account=pro)
    _finished(a, pro, now - timedelta(minutes=5), now - timedelta(minutes=2))
    _finished(b, pro, now - timedelta(minutes=4), now - timedelta(minutes=3))
    AccountSample.objects.create(account=pro, taken_at=now - timedelta(minutes=6), credits=1000)
    AccountSample.objects.create(account=pro, taken_at=now - timedelta(minutes=1), credits=800)
    assert settle(a.charge)
    a.charge.refresh_from_db()
    assert a.charge.actual_credits is None and "other paid jobs" in a.charge.actual_note


def test_jobs_made_elsewhere_are_priced_after_the_fact(creator_user, pro):
    from flowdash.jobs.queue import create_job
    from flowdash.spending.services import record_unpriced

    job = create_job("video", video(count=2), user=creator_user, requested_account=pro)
    create_job("image", {"prompt": "x", "count": 1}, user=creator_user)
    assert record_unpriced() == 2
    assert record_unpriced() == 0
    job.refresh_from_db()
    assert job.charge.credits == 200 and job.charge.charged_on == budget.today()
    assert budget.spent(creator_user) == 200


def test_charges_wait_for_a_reading_without_being_read_again_and_again(creator_user, pro):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from flowdash.spending.services import settle_finished

    now = timezone.now()
    AccountSample.objects.create(account=pro, taken_at=now - timedelta(minutes=9), credits=1000)
    jobs = [create_priced_job("video", video(), user=creator_user, requested_account=pro)]
    _finished(jobs[0], pro, now - timedelta(minutes=5), now - timedelta(minutes=2))
    with CaptureQueriesContext(connection) as one:
        assert settle_finished() == 0  # no reading since it ended: the next sync will tell
    for _ in range(20):
        job = create_priced_job("video", video(), user=creator_user, requested_account=pro)
        jobs.append(_finished(job, pro, now - timedelta(minutes=5), now - timedelta(minutes=2)))
    with CaptureQueriesContext(connection) as many:
        assert settle_finished() == 0
    assert len(many) == len(one)  # waiting charges cost the minute's pass nothing each
    AccountSample.objects.create(account=pro, taken_at=now - timedelta(minutes=1), credits=0)
    assert settle_finished() == 21  # the reading came: every one is looked at, and settled
    assert not JobCharge.objects.filter(settled_at__isnull=True).exists()
