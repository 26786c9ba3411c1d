"""Captcha providers, statistics snapshots, the filters, and flowdash's own attempt figures."""

from __future__ import annotations

import datetime as dt

import pytest
import requests
from django.urls import reverse
from django.utils import timezone

from flowdash.accounts.models import CaptchaProviderSnapshot, RefreshClaim
from flowdash.accounts.services import refresh_captcha_providers
from flowdash.stats.captcha_attempts import summarize_captcha_blocks
from flowdash.stats.models import CaptchaStatsSnapshot
from flowdash.stats.services import fetch_captcha_stats, scheduled_captcha_queries
from flowdash.stats.views import captcha_history_charts

pytestmark = pytest.mark.django_db
CAPTCHA = reverse("stats:captcha")
KEYS = reverse("stats:captcha-keys")


def make_images(sim, n=2) -> None:
    for _ in range(n):
        response = requests.post(
            f"{sim.base_url}/images",
            json={"prompt": "a red kite", "count": 1},
            headers={"Authorization": f"Bearer {sim.token}"},
            timeout=30,
        )
        assert response.status_code == 200, response.text


def api_stats(sim, **params) -> dict:
    response = requests.get(
        f"{sim.base_url}/accounts/captcha-stats",
        params=params,
        headers={"Authorization": f"Bearer {sim.token}"},
        timeout=10,
    )
    response.raise_for_status()
    return response.json()


# --- flowdash's own figures from captcha blocks -------------------------------------------------


def test_captcha_blocks_give_attempts_per_job_solve_time_and_cost():
    blocks = [
        {
            "service": "CapSolver",
            "taskId": "t1",
            "durationMs": 9000,
            "attempts": [
                {
                    "service": "EzCaptcha",
                    "taskId": "a",
                    "durationMs": 4000,
                    "success": False,
                    "error": "reCAPTCHA evaluation failed",
                },
                {"service": "CapSolver", "taskId": "b", "durationMs": 5000, "success": True},
            ],
        },
        {
            "service": "CapSolver",
            "taskId": "t2",
            "durationMs": 6000,
            "attempts": [
                {"service": "CapSolver", "taskId": "c", "durationMs": 6000, "success": True}
            ],
        },
        {"service": "YesCaptcha", "taskId": "t3", "durationMs": 7000},  # no attempts list
        None,
    ]
    summary = summarize_captcha_blocks(blocks)
    assert summary.jobs == 3 and summary.attempts == 4 and summary.successes == 3
    assert summary.attempts_per_job == 1.33
    assert summary.avg_job_ms == round((9000 + 6000 + 7000) / 3)
    capsolver = summary.providers["CapSolver"]
    assert (capsolver.attempts, capsolver.successes, capsolver.avg_solve_ms) == (2, 2, 5500)
    assert capsolver.cost == pytest.approx(2 * 3.00 / 1000)
    assert summary.providers["EzCaptcha"].success_rate == 0.0
    assert summary.providers["YesCaptcha"].cost is None  # price "varies"
    assert summary.cost == pytest.approx(2 * 0.003 + 0.0025)
    assert summary.cost_unknown_attempts == 1
    assert summarize_captcha_blocks([]).jobs == 0


def test_the_page_says_no_jobs_yet_until_jobs_exist(viewer_client):
    page = viewer_client.get(CAPTCHA).content.decode()
    assert "No jobs yet" in page


# --- provider keys -----------------------------------------------------------------------------


def test_an_admin_sets_and_removes_keys_and_sees_them_masked(admin_client, sim):
    page = admin_client.post(
        KEYS, {"provider": "CapSolver", "key": "CAP-1234567890abcdef"}, follow=True
    ).content.decode()
    assert "Saved the key of CapSolver" in page
    assert "CAP-1…" in page and "CAP-1234567890abcdef" not in page
    admin_client.post(KEYS, {"provider": "2Captcha", "key": "twocaptchakey99"})
    snapshot = CaptchaProviderSnapshot.objects.first()
    assert snapshot.masked_keys == {"CapSolver": "CAP-1…", "2Captcha": "twoca…"}
    assert "1234567890abcdef" not in str(list(CaptchaProviderSnapshot.objects.values()))
    page = admin_client.post(
        KEYS, {"provider": "CapSolver", "remove": "1"}, follow=True
    ).content.decode()
    assert "Removed the key of CapSolver" in page
    assert sim.state.captcha.keys == {"2Captcha": "twocaptchakey99"}


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"provider": "CapSolver", "key": "abc def"}, "spaces or line breaks"),
        ({"provider": "CapSolver", "key": "abcdef\n"}, "spaces or line breaks"),
        ({"provider": "DeathByCaptcha", "key": "abc"}, "not a captcha provider"),
        ({"provider": "CapSolver", "key": ""}, "Enter the key"),
    ],
)
def test_bad_keys_are_refused_before_any_call(admin_client, sim, data, reason):
    response = admin_client.post(KEYS, data)
    assert response.status_code == 400
    assert reason in response.content.decode()
    assert sim.state.requests(path="/accounts/captcha-providers", method="POST") == []


def test_free_credits_show_while_no_key_is_set(viewer_client, api):
    refresh_captcha_providers(api)
    page = viewer_client.get(CAPTCHA).content.decode()
    assert 'id="free-credits"' in page and "<strong>100</strong> free captcha credits" in page


def test_a_provider_read_failure_is_shown_with_the_last_good_answer(viewer_client, sim, api):
    refresh_captcha_providers(api)
    sim.state.faults.add("custom", endpoint="accounts/captcha-providers", status=503, times=1)
    refresh_captcha_providers(api)
    page = viewer_client.get(CAPTCHA).content.decode()
    assert "Reading the providers failed" in page and "HTTP 503" in page
    assert "Showing what was read" in page


# --- statistics --------------------------------------------------------------------------------


def test_stats_snapshots_store_what_the_api_answered(sim, api):
    make_images(sim, 3)
    today = timezone.now().date().isoformat()
    snapshot = fetch_captcha_stats(api, {"date": today})
    answer = api_stats(sim, date=today)
    assert snapshot.ok and snapshot.total == answer["total"] > 0
    rows = {p.provider: p for p in snapshot.providers.all()}
    assert {k: rows[k].sample_size for k in rows} == answer["summary"]["sample_size_by_provider"]
    assert {k: rows[k].success_rate for k in rows} == answer["summary"]["success_rate_by_provider"]
    everyone = fetch_captcha_stats(api, {"anonymized": True})
    assert everyone.ok and everyone.anonymized and everyone.total == answer["total"]


def test_the_daily_chart_matches_the_stored_answers(sim, api):
    make_images(sim, 2)
    for query in scheduled_captcha_queries():
        fetch_captcha_stats(api, query, scheduled=True)
    today = timezone.now().date().isoformat()
    answer = api_stats(sim, date=today)["summary"]
    volume, rate, everyone = captcha_history_charts(7)
    assert volume["names"] == sorted(answer["sample_size_by_provider"])
    assert volume["rows"][-1]["values"] == [
        f"{answer['sample_size_by_provider'][n]:,}" for n in volume["names"]
    ]
    assert rate["rows"][-1]["values"] == [
        f"{answer['success_rate_by_provider'][n]:g}" for n in rate["names"]
    ]
    assert not everyone["empty"]


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("date=2026-13-01", "not a real calendar date"),
        ("date=23/11/2026", "YYYY-MM-DD"),
        (f"date={(dt.date.today() + dt.timedelta(days=3)).isoformat()}", "in the future"),
        ("limit=50001", "at most 50,000"),
        ("limit=0", "at least one"),
        ("limit=abc", "whole number"),
        ("provider=FooCaptcha", "not a provider"),
    ],
)
def test_bad_filters_are_refused_and_nothing_is_asked(viewer_client, query, reason):
    response = viewer_client.get(f"{CAPTCHA}?{query}")
    page = response.content.decode()
    assert reason in page and "nothing was asked" in page
    assert not RefreshClaim.objects.filter(name__startswith="captcha-stats").exists()


def test_a_filter_asks_the_worker_once_then_shows_the_stored_figures(viewer_client, sim, api):
    make_images(sim, 2)
    url = f"{CAPTCHA}?limit=100&provider=CapSolver"
    page = viewer_client.get(url).content.decode()
    assert "Asking the API for these figures" in page and "every 1s" in page
    claim = RefreshClaim.objects.get(name="captcha-stats:limit=100&provider=CapSolver")
    viewer_client.get(url)
    assert RefreshClaim.objects.get(pk=claim.pk).claimed_at == claim.claimed_at  # not twice
    fetch_captcha_stats(api, {"limit": 100, "provider": "CapSolver"})  # what the task does
    region = viewer_client.get(
        url, headers={"HX-Request": "true", "HX-Target": "captcha-stats"}
    ).content.decode()
    assert "<html" not in region and "every 1s" not in region
    assert "last 100 attempts, CapSolver only" in region
    assert 'data-provider="CapSolver"' in region


def test_a_failed_stats_fetch_is_explained_with_the_last_figures(viewer_client, sim, api):
    today = timezone.now().date().isoformat()
    fetch_captcha_stats(api, {"date": today})
    sim.state.faults.add("custom", endpoint="accounts/captcha-stats", status=502, times=1)
    failed = fetch_captcha_stats(api, {"date": today})
    assert not failed.ok
    page = viewer_client.get(CAPTCHA).content.decode()
    assert "Fetching these figures failed" in page and "Showing the figures of" in page
    assert CaptchaStatsSnapshot.objects.count() == 2


def test_an_api_error_while_saving_a_key_is_told_on_the_page(admin_client, sim, api):
    refresh_captcha_providers(api)
    sim.state.faults.add(
        "custom",
        endpoint="accounts/captcha-providers",
        method="POST",
        status=500,
        times=1,
        message="provider store down",
    )
    response = admin_client.post(KEYS, {"provider": "CapSolver", "key": "CAP-abcdef"})
    page = response.content.decode()
    assert response.status_code == 400
    assert "The API answered with an error (HTTP 500)" in page and "Traceback" not in page
    assert "CAP-abcdef" not in page
    assert 'id="free-credits"' in page  # the last known providers stay on the page
