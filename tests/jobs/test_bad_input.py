"""Hostile query and form values on the jobs pages: a clear answer, never a 500."""

from __future__ import annotations

import pytest

from flowdash.jobs.fields import parse_pk, parse_ref
from flowdash.jobs.models import Job

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999999"
PROBES = ["²", HUGE, str(2**63), "2**63", "-1", "0", "nan", "1e999", "", "\x00", "🦊", "x" * 5000]


@pytest.fixture
def creator_client(client, creator_user):
    client.force_login(creator_user)
    return client


def test_parse_pk_takes_only_ids_the_database_can_hold():
    assert parse_pk("12") == 12 and parse_pk(" 7 ") == 7
    for value in PROBES:
        assert parse_pk(value) is None, value
    assert parse_pk(str(2**63 - 1)) == 2**63 - 1
    assert parse_ref("asset:²") is None and parse_ref(f"media:{HUGE}") is None
    assert parse_ref("asset:3") == {"asset": 3}


@pytest.mark.parametrize("value", PROBES)
@pytest.mark.parametrize("name", ["account", "user", "status", "kind", "page"])
def test_the_jobs_list_ignores_bad_filters(creator_client, creator_user, name, value):
    Job.objects.create(kind="image", requested_by=creator_user, params={"prompt": "a"})
    response = creator_client.get("/jobs/", {name: value})
    assert response.status_code == 200
    assert "Jobs" in response.content.decode()


@pytest.mark.parametrize("value", PROBES + ["asset:²", f"asset:{HUGE}", "media:-1"])
@pytest.mark.parametrize("name", ["remix", "from_media", "reference", "start", "end"])
def test_the_studio_ignores_bad_prefill_values(creator_client, name, value):
    response = creator_client.get("/studio/", {name: value})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "field,value",
    [("references", "asset:²"), ("references", f"asset:{HUGE}"), ("retry_of", "²")]
    + [("retry_of", v) for v in (HUGE, "2**63", "-3")],
)
def test_a_studio_post_with_bad_values_is_refused_or_ignored(creator_client, field, value):
    data = {"tab": "image", "prompt": "a fox", "count": "1", "aspect_ratio": "landscape"}
    data[field] = value
    response = creator_client.post("/studio/", data)
    assert response.status_code in (302, 400)
    if field == "retry_of" and response.status_code == 302:
        assert Job.objects.get().retry_of is None


@pytest.mark.parametrize("action", ["cancel", "resubmit", "give-up", "look-again", "retry"])
def test_actions_on_a_job_id_past_the_database_range_are_404(creator_client, action):
    assert creator_client.post(f"/jobs/{HUGE}/{action}/").status_code == 404
    assert creator_client.get(f"/jobs/{HUGE}/").status_code == 404
