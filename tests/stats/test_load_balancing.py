"""Load-balancing snapshots against the simulator, their chart, and the page."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import requests
from django.urls import reverse
from django.utils import timezone

from flowdash.accounts.models import RefreshClaim
from flowdash.stats.models import LoadSample, LoadSnapshot
from flowdash.stats.services import snapshot_load
from flowdash.stats.views import load_chart_data

pytestmark = pytest.mark.django_db


def api_answer(sim, options="summary") -> dict:
    response = requests.get(
        f"{sim.base_url}/jobs",
        params={"options": options},
        headers={"Authorization": f"Bearer {sim.token}"},
        timeout=10,
    )
    response.raise_for_status()
    return response.json()


def start_video(sim, **body) -> requests.Response:
    return requests.post(
        f"{sim.base_url}/videos",
        json={"prompt": "a lighthouse", "async": True, **body},
        headers={"Authorization": f"Bearer {sim.token}"},
        timeout=10,
    )


def wait_until_idle(sim, timeout=10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = api_answer(sim)
        if all(v["executing"] == 0 for v in answer["combined"]["summary"].values()):
            return
        time.sleep(0.05)
    raise AssertionError("the simulated jobs did not finish")


def test_stored_snapshots_chart_the_numbers_the_api_gave(sim, api):
    answers = []
    for round_ in range(3):
        if round_:
            sim.state.faults.add(
                "throttled" if round_ == 1 else "unavailable", endpoint="videos", times=1
            )
            start_video(sim)
            start_video(sim)
            wait_until_idle(sim)
        snapshot = snapshot_load(api)
        assert snapshot.ok
        answers.append((snapshot.taken_at, api_answer(sim)))  # the state is at rest: same answer
    since = answers[0][0] - timedelta(seconds=1)
    until = timezone.now()
    for kind in ("videos", "images", "combined"):
        score_chart, load_chart = load_chart_data(kind, since, until)
        emails = score_chart["names"]
        assert emails == sorted(answers[0][1][kind]["summary"])
        assert len(score_chart["rows"]) == 3
        for row, (taken_at, answer) in zip(score_chart["rows"], answers, strict=True):
            assert row["time"] == timezone.localtime(taken_at)
            expected = [f"{answer[kind]['summary'][e]['score']:,}" for e in emails]
            assert row["values"] == expected
        for row, (_, answer) in zip(load_chart["rows"], answers, strict=True):
            assert row["values"] == [str(answer[kind]["summary"][e]["executing"]) for e in emails]
    last = answers[-1][1]["videos"]["summary"]
    assert any(v["rateLimited"] for v in last.values()) and any(v["failed"] for v in last.values())
    for sample in LoadSample.objects.filter(snapshot=LoadSnapshot.objects.first(), kind="videos"):
        api_row = last[sample.email]
        assert (sample.completed, sample.failed, sample.rate_limited) == (
            api_row["completed"],
            api_row["failed"],
            api_row["rateLimited"],
        )
        assert sample.score == api_row["score"] == sample.formula_score


def test_running_jobs_are_listed_with_their_elapsed_time(sim, api):
    sim.state.update_settings({"speed": 2})
    response = start_video(sim, email="ultra.creator@gmail.com")
    assert response.status_code == 201
    snapshot = snapshot_load(api)
    assert [j["email"] for j in snapshot.executing] == ["ul***@gmail.com"]
    assert snapshot.executing[0]["kind"] == "videos" and ":" in snapshot.executing[0]["elapsed"]
    ultra = LoadSample.objects.get(snapshot=snapshot, kind="videos", email="ul***@gmail.com")
    assert ultra.executing == 1 and ultra.score == 1


def test_the_page_highlights_the_account_that_gets_the_next_job(viewer_client, sim, api):
    sim.state.faults.add("throttled", endpoint="videos", email="pro.studio@gmail.com", times=1)
    start_video(sim, email="pro.studio@gmail.com")
    snapshot_load(api)
    page = viewer_client.get(reverse("stats:load-balancing")).content.decode()
    assert "score = executing + 10 × failed + 20 × rateLimited" in page
    videos = page[page.index('id="lb-videos"') : page.index('id="lb-images"')]
    assert 'data-email="pr***@gmail.com" data-score="20"' in videos
    assert 'data-email="ul***@gmail.com" data-score="0" data-executing="0" class="highlight"' in (
        videos
    )
    assert 'data-email="fr***@gmail.com" data-score="0" data-executing="0" class="highlight"' in (
        videos
    )
    assert videos.count("tied — next job picked at random") == 2  # equal scores: random
    pro_row = videos[videos.index('data-email="pr***@gmail.com"') :].split("</tr>")[0]
    assert "highlight" not in pro_row and "next job" not in pro_row
    assert "pr***@gmail.com" in page[page.index('id="lb-history"') :]


def test_the_live_region_is_served_alone_and_a_stale_snapshot_asks_for_a_fresh_one(
    viewer_client, sim, api
):
    snapshot = snapshot_load(api)
    LoadSnapshot.objects.filter(pk=snapshot.pk).update(
        taken_at=timezone.now() - timedelta(seconds=30)
    )
    response = viewer_client.get(
        reverse("stats:load-balancing"), headers={"HX-Request": "true", "HX-Target": "lb-live"}
    )
    page = response.content.decode()
    assert 'id="lb-live"' in page and "<html" not in page
    assert "every 3s" in page
    assert RefreshClaim.objects.filter(name="load-balancing").exists()


def test_polling_stops_when_no_fresh_figures_arrive(viewer_client, sim, api):
    snapshot = snapshot_load(api)
    old = timezone.now() - timedelta(minutes=5)
    LoadSnapshot.objects.filter(pk=snapshot.pk).update(taken_at=old)
    opened = int((timezone.now() - timedelta(minutes=2)).timestamp())
    page = viewer_client.get(
        reverse("stats:load-balancing") + f"?opened={opened}",
        headers={"HX-Request": "true", "HX-Target": "lb-live"},
    )
    text = page.content.decode()
    assert "every 3s" not in text and "Live updates paused" in text


def test_an_api_error_keeps_the_last_figures_with_their_age(viewer_client, sim, api, bad_token_api):
    snapshot_load(api)
    failed = snapshot_load(bad_token_api)
    assert failed.http_status == 401
    sim.state.faults.add("custom", endpoint="jobs", status=500, times=1)
    failed = snapshot_load(api)
    assert failed.http_status == 500
    page = viewer_client.get(reverse("stats:load-balancing")).content.decode()
    assert "The last fetch failed" in page and "HTTP 500" in page
    assert "Showing the figures of" in page and 'id="lb-videos"' in page
    assert "Traceback" not in page


def test_the_chart_region_switches_range_and_kind(viewer_client, sim, api):
    snapshot_load(api)
    response = viewer_client.get(
        reverse("stats:load-balancing") + "?kind=images&range=24h",
        headers={"HX-Request": "true", "HX-Target": "lb-chart"},
    )
    page = response.content.decode()
    assert 'id="lb-chart"' in page and 'id="lb-live"' not in page
    assert "Score per account (lower wins)" in page and "<svg" in page
    assert 'data-chart-table="Executing jobs per account (hourly averages)"' in page


def test_long_ranges_are_averaged_by_the_database(db):
    from flowdash.stats.charts import bucket_points, samples_from

    base = timezone.now().replace(minute=0, second=0, microsecond=0) - timedelta(hours=30)
    for i, score in enumerate([0, 10, 20, 30]):  # two samples in each of two hours
        taken = base + timedelta(minutes=20 * (i % 2) + 60 * (i // 2))
        snap = LoadSnapshot.objects.create(taken_at=taken)
        LoadSample.objects.create(
            snapshot=snap, taken_at=taken, kind="videos", email="a***@x.com", score=score
        )
    rows = samples_from(
        LoadSample.objects.filter(kind="videos"),
        "taken_at",
        "email",
        "score",
        base - timedelta(hours=1),
        timezone.now(),
    )
    assert [(r[0], r[2]) for r in rows] == [(base, 5.0), (base + timedelta(hours=1), 25.0)]
    times, values = bucket_points(rows, base - timedelta(hours=1), timezone.now())
    assert values == {"a***@x.com": [5.0, 25.0]}
    assert times == [base, base + timedelta(hours=1)]
