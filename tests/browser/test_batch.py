"""A batch in a real browser, with a real worker and the simulator: upload a 12-row CSV with 2
bad rows, see both named in the preview, start, watch the 10 others complete live (an injected
content-policy refusal fails one), retry the failed row, export the CSV and follow its links."""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from flowdash.batches.models import Batch
from flowdash.jobs.models import Job
from tests.browser.conftest import sign_in

PASSWORD = "a-long-password-1"
ACCOUNTS = (
    ("ultra.creator@gmail.com", "PAYGATE_TIER_TWO"),
    ("pro.studio@gmail.com", "PAYGATE_TIER_ONE"),
)

pytestmark = pytest.mark.django_db(transaction=True)

CSV_TEXT = (
    "prompt,model,aspect,count,seed\n"
    + "".join(f"product shot {i} on white,imagen-4,landscape,1,{100 + i}\n" for i in range(1, 6))
    + "a teapot,imagen-7,landscape,1,200\n"  # row 7: a model the studio does not offer
    + "".join(f"product shot {i} on black,nano-banana,portrait,1,{100 + i}\n" for i in range(6, 9))
    + '=HYPERLINK("http://example.com"),imagen-4,landscape,1,300\n'  # row 11: text, not a formula
    + "four teapots,imagen-4,landscape,9,400\n"  # row 12: count over 4
    + "product shot 10,,,,\n"  # row 13: the batch's defaults
)


def drive_everything() -> None:
    """What beat does every few seconds (beat is not running here): top up the batches' waves
    and re-drive due jobs."""
    from flowdash.batches.services import release_running
    from flowdash.jobs.tasks import reconcile_jobs

    release_running()
    reconcile_jobs()


def wait_for(page, predicate, what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        drive_everything()
        page.wait_for_timeout(500)
    raise AssertionError(f"timed out waiting for {what}")


def count(page, name: str) -> int:
    return int(page.locator(f'#batch-progress [data-count="{name}"]').inner_text())


def test_csv_batch_preview_start_retry_export(
    page, live_server, celery_worker_process, simulator, make_user
):
    from flowdash.accounts.models import FlowAccount

    simulator.state.reset()
    for email, tier in ACCOUNTS:
        FlowAccount.objects.create(
            email=f"{email[:2]}***@gmail.com", full_email=email, health="OK", paygate_tier=tier
        )
    make_user("carol", "creator", PASSWORD)
    sign_in(page, "carol", PASSWORD)

    page.goto("/batches/")
    page.get_by_label("CSV file", exact=True).first.check()
    page.set_input_files(
        "input[name=file]",
        files=[{"name": "shots.csv", "mimeType": "text/csv", "buffer": CSV_TEXT.encode()}],
    )
    page.get_by_role("button", name="Preview").click()

    # The preview names both bad rows, with their column and reason; nothing is sent yet.
    bad = page.locator("#bad-rows li")
    expect(bad).to_have_count(2)
    expect(page.locator('[data-bad-row="7"]')).to_contain_text("column B (model)")
    expect(page.locator('[data-bad-row="7"]')).to_contain_text("imagen-7")
    expect(page.locator('[data-bad-row="12"]')).to_contain_text("column D (count)")
    expect(page.locator("#preview-summary")).to_contain_text("10 rows will run; 2 not valid")
    expect(page.locator('#preview-table tr[data-row="11"]')).to_contain_text("=HYPERLINK(")
    assert not Job.objects.exists()
    assert simulator.state.requests() == [] or not any(
        r["method"] == "POST" for r in simulator.state.requests()
    )

    # One image request will be refused by the content filter: that row fails.
    simulator.state.faults.add("unsafe", endpoint="images", times=1)
    page.get_by_role("button", name="Start 10 rows").click()
    expect(page.locator(".message.success")).to_contain_text("Batch started: 10 rows")
    batch = Batch.objects.get()
    page.evaluate("window.__noReload = true")

    wait_for(
        page,
        lambda: count(page, "completed") == 9 and count(page, "failed") == 1,
        "9 rows done and 1 failed, shown live",
    )
    assert page.evaluate("window.__noReload") is True  # htmx updated it, no reload
    failed_row = page.locator('#batch-rows tr[data-status="failed"]')
    expect(failed_row).to_have_count(1)
    failed_job = Job.objects.get(status=Job.Status.FAILED)
    assert failed_job.batch_row.batch == batch

    page.get_by_role("button", name="Retry the 1 failed row").click()
    expect(page.locator(".message.success")).to_contain_text("1 failed rows queued again")
    wait_for(page, lambda: count(page, "completed") == 10, "all 10 rows done")
    wait_for(
        page,
        lambda: page.locator("#batch-live").get_attribute("data-live") == "no",
        "the page to stop polling",
    )
    assert page.locator("#batch-live").get_attribute("hx-trigger") is None
    retried = failed_job.retries.get()
    assert retried.status == Job.Status.COMPLETED

    # Exactly one paid POST per row, plus the retry's.
    posts = [
        r for r in simulator.state.requests() if r["method"] == "POST" and r["apiPath"] == "/images"
    ]
    assert len(posts) == 11

    # The export: 12 rows (10 done, 2 not valid), file links that serve the stored images.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export CSV").click()
    text = Path(download_info.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [int(r["row"]) for r in rows] == list(range(2, 14))
    assert {r["row"]: r["status"] for r in rows if r["status"] != "completed"} == {
        "7": "invalid",
        "12": "invalid",
    }
    assert "imagen-7" in next(r["error"] for r in rows if r["row"] == "7")
    assert next(r["prompt"] for r in rows if r["row"] == "11").startswith("'=HYPERLINK(")
    done = [r for r in rows if r["status"] == "completed"]
    assert len(done) == 10
    for r in done:
        assert r["seed"], r
        links = r["files"].split()
        assert len(links) == 1 and links[0].startswith(live_server.url)
    answer = page.request.get(done[0]["files"].split()[0])
    assert answer.status == 200 and answer.headers["content-type"].startswith("image/")
    assert len(answer.body()) > 100
