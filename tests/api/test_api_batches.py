"""Batches through the API: the page's form and row checks, the budget for the whole batch,
and the rows' status — with no second copy of a rule."""

from __future__ import annotations

import json

import pytest

from flowdash.batches.models import Batch, BatchRow
from flowdash.jobs.models import Job
from flowdash.spending.models import PersonLimit
from tests.api.conftest import bearer
from tests.jobs.test_pipeline import PRO

pytestmark = pytest.mark.django_db


def post(client, key, path, body):
    return client.post(path, json.dumps(body), content_type="application/json", **bearer(key))


@pytest.fixture
def key(creator_user, make_key):
    return make_key(creator_user, ["read", "generate"])[1]


def test_a_csv_batch_is_previewed_with_its_bad_rows_named_then_started(client, key, accounts):
    csv_text = "prompt,model\na red kite,\na blue kite,no-such-model\na green kite,\n"
    response = post(client, key, "/api/v1/batches", {"source": "csv", "csv": csv_text})
    assert response.status_code == 201, response.content
    batch = response.json()
    assert batch["status"] == "draft"
    rows = {row["number"]: row for row in batch["rows"]}
    assert [rows[n]["status"] for n in (2, 3, 4)] == ["ready", "invalid", "ready"]
    assert "no-such-model" in rows[3]["error"]
    assert not Job.objects.exists()  # a preview sends nothing

    response = post(client, key, f"/api/v1/batches/{batch['id']}/start", {})
    assert response.status_code == 200, response.content
    assert response.json()["changed"] == 2
    assert Job.objects.count() == 2  # the first wave: ordinary jobs
    got = client.get(f"/api/v1/batches/{batch['id']}", **bearer(key)).json()
    assert got["status"] == "running" and got["progress"]["invalid"] == 1
    assert {row["job"] is not None for row in got["rows"] if row["number"] != 3} == {True}

    again = post(client, key, f"/api/v1/batches/{batch['id']}/start", {})
    assert again.status_code == 409 and Job.objects.count() == 2


def test_a_batch_over_the_daily_limit_is_refused_in_words(client, key, creator_user, accounts):
    PersonLimit.objects.create(user=creator_user, daily_credits=100)
    body = {
        "source": "paste",
        "prompts": "a storm over the sea",
        "kind": "video",
        "model": "veo-3.1-quality",
        "count": 4,
        "aspect_ratio": "landscape",
        "account": accounts[PRO].pk,
        "start": True,
    }
    response = post(client, key, "/api/v1/batches", body)
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "over_budget"
    assert error["message"].startswith("This would spend 400 credits; you have 100 left today")
    assert not Job.objects.exists()
    assert BatchRow.objects.get().status == BatchRow.Status.READY


def test_bad_input_is_400_and_a_read_key_or_a_stranger_gets_nothing(
    client, key, make_key, creator_user, viewer_user, make_user, accounts
):
    no_prompt = post(client, key, "/api/v1/batches", {"source": "csv", "csv": "model\nx\n"})
    assert no_prompt.status_code == 400
    assert "prompt" in no_prompt.json()["error"]["message"]
    unknown = post(client, key, "/api/v1/batches", {"prompts": "a", "colour": "red"})
    assert unknown.status_code == 400 and unknown.json()["error"]["field"] == "colour"
    empty = post(client, key, "/api/v1/batches", {"source": "paste", "prompts": " "})
    assert empty.status_code == 400 and empty.json()["error"]["field"] == "prompts"
    assert not Batch.objects.exists()

    read_only = make_key(creator_user, ["read"])[1]
    assert post(client, read_only, "/api/v1/batches", {"prompts": "a"}).status_code == 403
    made = post(client, key, "/api/v1/batches", {"prompts": "a cat"}).json()
    stranger = make_key(make_user("sam", "creator"), ["read", "generate"])[1]
    assert client.get(f"/api/v1/batches/{made['id']}", **bearer(stranger)).status_code == 404
    assert post(client, stranger, f"/api/v1/batches/{made['id']}/start", {}).status_code == 404
    assert client.get(f"/api/v1/batches/{2**64}", **bearer(key)).status_code in (400, 404)
    assert not Job.objects.exists()
