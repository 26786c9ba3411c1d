"""The Jobs page: every job, filters kept in the URL, pagination, cancel for queued jobs."""

from __future__ import annotations

import re

import pytest

from flowdash.accounts.models import FlowAccount
from flowdash.jobs.models import Job

pytestmark = pytest.mark.django_db


@pytest.fixture
def creator_client(client, creator_user):
    client.force_login(creator_user)
    return client


@pytest.fixture
def jobs(creator_user, make_user):
    dave = make_user("dave", "creator")
    ultra = FlowAccount.objects.create(email="ultra.creator@gmail.com")
    pro = FlowAccount.objects.create(email="pro.studio@gmail.com")
    made = {
        "img_done": Job.objects.create(
            kind="image",
            status="completed",
            requested_by=creator_user,
            account=ultra,
            params={"prompt": "ALPHA prompt"},
        ),
        "vid_fail": Job.objects.create(
            kind="video",
            status="failed",
            requested_by=dave,
            account=pro,
            error_message="out of credits",
            params={"prompt": "BRAVO prompt"},
        ),
        "vid_queued": Job.objects.create(
            kind="video",
            status="queued",
            requested_by=dave,
            requested_account=pro,
            params={"prompt": "CHARLIE prompt"},
        ),
        "upload": Job.objects.create(
            kind="asset_upload", status="running", requested_by=creator_user, params={"asset": 1}
        ),
    }
    return made, ultra, pro, dave


def shown(html: str) -> set[int]:
    return {int(pk) for pk in re.findall(r'<tr data-job="(\d+)"', html)}


def test_every_job_is_listed_by_default(creator_client, jobs):
    made = jobs[0]
    html = creator_client.get("/jobs/").content.decode()
    assert shown(html) == {j.pk for j in made.values()}
    assert "out of credits" in html and "ALPHA prompt" in html


def test_filters_by_status_kind_account_and_user(creator_client, jobs, creator_user):
    made, ultra, pro, dave = jobs
    get = lambda q: shown(creator_client.get(f"/jobs/?{q}").content.decode())  # noqa: E731
    assert get("status=failed") == {made["vid_fail"].pk}
    assert get("kind=video") == {made["vid_fail"].pk, made["vid_queued"].pk}
    assert get(f"account={pro.pk}") == {made["vid_fail"].pk, made["vid_queued"].pk}
    assert get(f"account={ultra.pk}") == {made["img_done"].pk}
    assert get(f"user={dave.pk}") == {made["vid_fail"].pk, made["vid_queued"].pk}
    assert get("user=me") == {made["img_done"].pk, made["upload"].pk}
    assert get("kind=video&status=queued") == {made["vid_queued"].pk}


def test_the_filters_stay_in_the_page(creator_client, jobs):
    html = creator_client.get("/jobs/?status=failed&kind=video").content.decode()
    assert re.search(r'<option value="failed" selected', html)
    assert re.search(r'<option value="video" selected', html)
    assert "Clear" in html


def test_nothing_matching_says_so(creator_client, jobs):
    html = creator_client.get("/jobs/?status=cancelled").content.decode()
    assert "No jobs match these filters" in html


def test_empty_state(creator_client):
    assert "No jobs yet" in creator_client.get("/jobs/").content.decode()


def test_junk_filters_are_ignored(creator_client, jobs):
    html = creator_client.get(
        "/jobs/?status=nope&kind=%3Cscript%3E&account=x&user=;drop"
    ).content.decode()
    assert len(shown(html)) == 4


def test_pagination_keeps_the_filters(creator_client, creator_user):
    for i in range(30):
        Job.objects.create(
            kind="image", status="completed", requested_by=creator_user, params={"prompt": f"p{i}"}
        )
    html = creator_client.get("/jobs/?kind=image").content.decode()
    assert len(shown(html)) == 25 and "Page 1 of 2" in html
    assert "?kind=image&amp;page=2" in html
    assert len(shown(creator_client.get("/jobs/?kind=image&page=2").content.decode())) == 5


def test_the_table_refreshes_itself_while_jobs_run(creator_client, jobs):
    html = creator_client.get("/jobs/").content.decode()
    assert 'hx-trigger="every 3s"' in html
    response = creator_client.get(
        "/jobs/?status=failed", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="jobs-table"
    )
    body = response.content.decode()
    assert 'id="jobs-table"' in body and "<html" not in body and "hx-trigger" not in body


def test_cancel_a_queued_job_from_the_list(client, jobs):
    made, _, _, dave = jobs
    client.force_login(dave)
    html = client.get("/jobs/").content.decode()
    assert f'action="/jobs/{made["vid_queued"].pk}/cancel/"' in html
    response = client.post(f"/jobs/{made['vid_queued'].pk}/cancel/", {"next": "/jobs/?kind=video"})
    assert response.status_code == 302 and response["Location"] == "/jobs/?kind=video"
    made["vid_queued"].refresh_from_db()
    assert made["vid_queued"].status == "cancelled"


def test_viewers_see_jobs_without_actions(client, make_user, jobs):
    client.force_login(make_user("vi", "viewer"))
    html = client.get("/jobs/").content.decode()
    assert len(shown(html)) == 4
    assert "/cancel/" not in html and "Remix" not in html and "New in the studio" not in html


def test_jobs_that_need_a_decision_are_pointed_out(creator_client, creator_user):
    Job.objects.create(
        kind="video",
        status="needs_attention",
        requested_by=creator_user,
        attention_reason="timeout after sending",
    )
    html = creator_client.get("/jobs/").content.decode()
    assert "1 job needs a decision" in html and 'href="?status=needs_attention"' in html
    html = creator_client.get("/jobs/?status=needs_attention").content.decode()
    assert "needs a decision:" not in html and "timeout after sending" in html
