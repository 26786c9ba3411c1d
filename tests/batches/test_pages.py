"""The batch pages without services: preview with the studio's rules, start on confirm, waves,
retry, cancel, export — and the budget over the whole batch."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from flowdash.accounts.models import FlowAccount
from flowdash.assets.services import store_asset
from flowdash.batches import services
from flowdash.batches.models import Batch, BatchRow
from flowdash.jobs.models import Job
from flowdash.spending.models import JobCharge, PersonLimit
from tests.assets.images import png_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def pro(db):
    return FlowAccount.objects.create(
        email="pr***@gmail.com",
        full_email="pro@gmail.com",
        health="OK",
        paygate_tier="PAYGATE_TIER_ONE",
    )


@pytest.fixture
def creator_client(client, creator_user):
    client.force_login(creator_user)
    return client


@pytest.fixture
def cat_asset(creator_user, tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    data = png_bytes()
    return store_asset(io.BytesIO(data), name="cat.png", size=len(data), user=creator_user).asset


def upload(client, text: str | bytes, **extra):
    data = text.encode() if isinstance(text, str) else text
    return client.post(
        "/batches/",
        {
            "source": "csv",
            "file": SimpleUploadedFile("shots.csv", data, "text/csv"),
            "kind": "image",
            "count": "1",
            "aspect_ratio": "landscape",
            **extra,
        },
    )


def the_batch() -> Batch:
    return Batch.objects.get()


CSV_12 = (
    "prompt,model,count,seed,references,account\n"
    + "".join(f"shot {i},imagen-4,1,{i},,\n" for i in range(1, 8))
    + "a cat on a sofa,nano-banana,1,8,cat.png,\n"
    + '=HYPERLINK("http://evil"),imagen-4,1,9,,pro@gmail.com\n'
    + "shot 10,imagen-9,1,10,,\n"  # row 11: unknown model
    + "shot 11,imagen-4,7,11,,\n"  # row 12: count over the studio's limit
    + "shot 12,imagen-4,1,12,dog.png,\n"  # row 13: unknown asset
)


def test_preview_names_bad_rows_and_sends_nothing(creator_client, pro, cat_asset):
    response = upload(creator_client, CSV_12)
    assert response.status_code == 302
    batch = the_batch()
    page = creator_client.get(response.url).content.decode()
    bad = {r.number: r.error for r in batch.rows.filter(status=BatchRow.Status.INVALID)}
    assert set(bad) == {11, 12, 13}
    assert "column B (model)" in bad[11] and "imagen-9" in bad[11]
    assert "column C (count)" in bad[12] and "4" in bad[12]
    assert "column E (references)" in bad[13] and "dog.png" in bad[13]
    for number in bad:
        assert f'data-bad-row="{number}"' in page
    assert "Start 9 rows" in page
    assert not Job.objects.exists()
    formula = batch.rows.get(number=10)
    assert formula.params["prompt"] == '=HYPERLINK("http://evil")'
    assert formula.account == pro
    assert batch.rows.get(number=9).params["references"] == [{"asset": cat_asset.pk}]


def test_whole_input_refusals_keep_nothing(creator_client):
    response = upload(creator_client, "prompt,aspect\nna\u00efve,landscape\n".encode("cp1252"))
    assert response.status_code == 400
    assert "Windows-1252" in response.content.decode()
    assert upload(creator_client, "seed\n1\n").status_code == 400
    assert not Batch.objects.exists()


def test_start_releases_a_wave_then_the_rest_as_jobs_end(creator_client, creator_user, settings):
    settings.FLOWDASH_BATCH_BUFFER = 3
    creator_client.post(
        "/batches/",
        {
            "source": "paste",
            "prompts": "\n".join(f"p{i}" for i in range(8)),
            "kind": "image",
            "count": "1",
            "aspect_ratio": "landscape",
        },
    )
    batch = the_batch()
    assert creator_client.post(f"/batches/{batch.pk}/start/", {}).status_code == 302
    assert not Job.objects.exists()  # no confirm, nothing started
    creator_client.post(f"/batches/{batch.pk}/start/", {"confirm": "yes"})
    batch.refresh_from_db()
    assert batch.status == Batch.Status.RUNNING
    assert Job.objects.count() == 3  # one wave: the buffer
    assert services.release(batch) == 0  # three still queued: no room
    Job.objects.filter(pk__in=list(Job.objects.values_list("pk", flat=True)[:2])).update(
        status=Job.Status.COMPLETED
    )
    assert services.release(batch) == 2
    assert Job.objects.filter(requested_by=creator_user).count() == 5
    assert all(j.charge.charged_on == batch.charged_on for j in Job.objects.all())
    # cancel what was not sent: the 3 queued jobs and the 3 waiting rows
    creator_client.post(f"/batches/{batch.pk}/cancel/")
    assert Job.objects.filter(status=Job.Status.CANCELLED).count() == 3
    assert batch.rows.filter(status=BatchRow.Status.CANCELLED).count() == 3
    batch.refresh_from_db()
    assert batch.status == Batch.Status.DONE
    live = creator_client.get(
        f"/batches/{batch.pk}/", headers={"HX-Request": "true", "HX-Target": "batch-live"}
    )
    html = live.content.decode()
    assert 'id="batch-live"' in html and "<html" not in html and "hx-trigger" not in html


def test_retry_failed_rows_makes_new_jobs_that_point_back(creator_client, settings):
    settings.FLOWDASH_BATCH_BUFFER = 10
    creator_client.post(
        "/batches/",
        {
            "source": "paste",
            "prompts": "a\nb\nc",
            "kind": "image",
            "count": "1",
            "aspect_ratio": "landscape",
        },
    )
    batch = the_batch()
    creator_client.post(f"/batches/{batch.pk}/start/", {"confirm": "yes"})
    first = batch.rows.get(number=2).job
    Job.objects.filter(pk=first.pk).update(status=Job.Status.FAILED, error_message="captcha")
    Job.objects.exclude(pk=first.pk).update(status=Job.Status.COMPLETED)
    page = creator_client.get(f"/batches/{batch.pk}/").content.decode()
    assert "Retry the 1 failed row" in page
    creator_client.post(f"/batches/{batch.pk}/retry/")
    row = batch.rows.get(number=2)
    assert row.job.retry_of_id == first.pk and row.job.status == Job.Status.QUEUED
    assert Job.objects.count() == 4


def test_a_batch_over_the_limit_does_not_start(creator_client, creator_user, pro):
    PersonLimit.objects.create(user=creator_user, daily_credits=250)
    prompts = "\n".join(f"v{i}" for i in range(3))
    creator_client.post(
        "/batches/",
        {
            "source": "paste",
            "prompts": prompts,
            "kind": "video",
            "model": "veo-3.1-quality",
            "count": "1",
            "aspect_ratio": "landscape",
            "account": pro.pk,
        },
    )
    batch = the_batch()
    page = creator_client.get(f"/batches/{batch.pk}/").content.decode()
    assert "This would spend 300 credits; you have 250 left today" in page
    assert 'id="start-batch"' not in page
    response = creator_client.post(f"/batches/{batch.pk}/start/", {"confirm": "yes"}, follow=True)
    assert (
        "Not started: This would spend 300 credits; you have 250 left today"
        in response.content.decode()
    )
    assert not Job.objects.exists()
    batch.refresh_from_db()
    assert batch.status == Batch.Status.DRAFT


def test_started_rows_hold_their_credits_until_released(
    creator_client, creator_user, pro, settings
):
    from flowdash.spending import budget

    settings.FLOWDASH_BATCH_BUFFER = 1
    PersonLimit.objects.create(user=creator_user, daily_credits=300)
    creator_client.post(
        "/batches/",
        {
            "source": "paste",
            "prompts": "a\nb\nc",
            "kind": "video",
            "model": "veo-3.1-quality",
            "count": "1",
            "aspect_ratio": "landscape",
            "account": pro.pk,
        },
    )
    batch = the_batch()
    creator_client.post(f"/batches/{batch.pk}/start/", {"confirm": "yes"})
    assert Job.objects.count() == 1 and JobCharge.objects.get().credits == 100
    assert budget.left_today(creator_user) == 0  # 100 charged + 200 held
    assert "you have 0 left today" in budget.refusal(creator_user, 100)


def test_export_lists_rows_and_escapes_formulas(creator_client, settings):
    creator_client.post(
        "/batches/",
        {
            "source": "paste",
            "prompts": "=1+2\n@me\nplain",
            "kind": "image",
            "count": "1",
            "aspect_ratio": "landscape",
        },
    )
    batch = the_batch()
    creator_client.post(f"/batches/{batch.pk}/start/", {"confirm": "yes"})
    export = creator_client.get(f"/batches/{batch.pk}/export.csv")
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows[0] == [
        "row",
        "status",
        "job",
        "job page",
        "files",
        "seed",
        "prompt",
        "credits",
        "error",
    ]
    assert [r[6] for r in rows[1:]] == ["'=1+2", "'@me", "plain"]
    assert all(r[1] == "queued" and r[3].endswith(f"/jobs/{r[2]}/") for r in rows[1:])


def test_other_people_cannot_see_or_act(client, creator_client, make_user):
    creator_client.post(
        "/batches/",
        {
            "source": "paste",
            "prompts": "a",
            "kind": "image",
            "count": "1",
            "aspect_ratio": "landscape",
        },
    )
    batch = the_batch()
    client.force_login(make_user("eve", "creator"))
    assert client.get(f"/batches/{batch.pk}/").status_code == 404
    assert client.post(f"/batches/{batch.pk}/start/", {"confirm": "yes"}).status_code == 404
    client.force_login(make_user("vic", "viewer"))
    assert client.post("/batches/", {"source": "paste", "prompts": "a"}).status_code == 403
    assert client.get("/batches/99999999999999999999999/").status_code == 404


def test_long_preview_is_paged_and_hostile_pages_do_not_break_it(creator_client):
    prompts = "\n".join(f"p{i}" for i in range(250))
    creator_client.post(
        "/batches/",
        {"source": "paste", "prompts": prompts, "kind": "image", "count": "1"},
    )
    batch = the_batch()
    first = creator_client.get(f"/batches/{batch.pk}/").content.decode()
    assert "250</strong> rows will run" in first and 'data-row="100"' in first
    assert 'data-row="101"' not in first and "rows 1–100 of 250" in first
    last = creator_client.get(f"/batches/{batch.pk}/?page=3").content.decode()
    assert 'data-row="250"' in last
    for bad in ("0", "-1", "abc", "99999999999999999999", "²"):
        assert creator_client.get(f"/batches/{batch.pk}/?page={bad}").status_code == 200


def test_a_job_someone_sends_meanwhile_pauses_the_waves(creator_client, make_user, settings):
    from flowdash.spending.services import create_priced_job

    settings.FLOWDASH_BATCH_BUFFER = 2
    creator_client.post(
        "/batches/",
        {"source": "paste", "prompts": "a\nb\nc\nd\ne", "kind": "image", "count": "1"},
    )
    batch = the_batch()
    creator_client.post(f"/batches/{batch.pk}/start/", {"confirm": "yes"})
    batch.refresh_from_db()
    assert Job.objects.count() == 2
    single = create_priced_job(
        "image", {"prompt": "urgent", "count": 1}, user=make_user("dan", "creator")
    )
    Job.objects.filter(batch_row__batch=batch).update(status=Job.Status.COMPLETED)
    assert services.release(batch) == 1  # the buffer less the job waiting outside the batch
    Job.objects.filter(pk=single.pk).update(status=Job.Status.RUNNING)
    assert services.release(batch) == 1
    assert batch.rows.filter(status=BatchRow.Status.WAITING).count() == 1


def test_template_batch_shows_its_size_and_over_the_limit_makes_nothing(creator_client):
    answer = creator_client.post(
        "/batches/",
        {
            "source": "template",
            "template": "A {animal} in {style}",
            "values": "animal: cat | dog | fox\nstyle: watercolour | pixel art",
            "kind": "image",
            "count": "1",
        },
    )
    page = creator_client.get(answer.url).content.decode()
    assert "3 animal × 2 style = 6 prompts" in page
    assert "6</strong> rows will run" in page and "A fox in pixel art" in page
    values = "\n".join(f"v{i}: " + " | ".join(str(n) for n in range(10)) for i in range(5))
    refused = creator_client.post(
        "/batches/",
        {
            "source": "template",
            "template": "{v0}{v1}{v2}{v3}{v4}",
            "values": values,
            "kind": "image",
            "count": "1",
        },
    )
    assert refused.status_code == 400
    assert "100,000 prompts; a batch takes at most 10,000" in refused.content.decode()
    assert Batch.objects.count() == 1 and not Job.objects.exists()


def test_an_admin_starting_someone_elses_batch_spends_their_credits(
    client, creator_client, creator_user, admin_user, pro
):
    PersonLimit.objects.create(user=creator_user, daily_credits=100)
    creator_client.post(
        "/batches/",
        {
            "source": "paste",
            "prompts": "a\nb",
            "kind": "video",
            "model": "veo-3.1-quality",
            "count": "1",
            "account": pro.pk,
        },
    )
    batch = the_batch()
    client.force_login(admin_user)
    page = client.get(f"/batches/{batch.pk}/").content.decode()
    assert "This would spend 200 credits; you have 100 left today" in page
    client.post(f"/batches/{batch.pk}/start/", {"confirm": "yes"})
    assert not Job.objects.exists()
