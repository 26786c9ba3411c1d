"""A webhook body nested deeper than Python's json parser recurses must not be a 500.

Found by the crawler's probes (tests/test_no_500.py): ``json.loads("[" * 1000)`` raises
RecursionError; flowdash/jobs/hooks.py (``_hint``) treats it like any body that is not JSON.
"""

from __future__ import annotations

import pytest

from flowdash.jobs.models import Job


@pytest.mark.django_db
def test_a_deeply_nested_webhook_body_is_answered_without_a_500(client):
    job = Job.objects.create(kind=Job.Kind.IMAGE, status=Job.Status.RUNNING, params={})
    job.set_webhook_token_hash()
    job.save(update_fields=["webhook_token_hash"])
    client.raise_request_exception = False
    response = client.post(
        f"/hooks/useapi/{job.uuid}/{job.webhook_token()}/",
        "[" * 5000,
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json() == {"ok": True}
    job.refresh_from_db()
    assert job.status == Job.Status.RUNNING  # a bad body changes nothing
