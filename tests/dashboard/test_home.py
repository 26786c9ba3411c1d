"""The home page tells what is happening: jobs in flight, latest results, account health."""

from __future__ import annotations

import pytest
from django.urls import reverse

from flowdash.accounts.models import FlowAccount
from flowdash.jobs.models import Job
from tests.gallery.factories import make_media

pytestmark = pytest.mark.django_db
HOME = reverse("dashboard:home")


def test_a_new_install_shows_empty_states(viewer_client):
    page = viewer_client.get(HOME).content.decode()
    assert "Nothing is running." in page
    assert "No account synced yet." in page
    assert "none yet." in page


def test_running_jobs_results_and_account_states_are_listed(admin_client):
    Job.objects.create(kind="video", status="running", params={"prompt": "waves at night"})
    Job.objects.create(kind="image", status="needs_attention", params={"prompt": "lost answer"})
    Job.objects.create(kind="image", status="completed", params={"prompt": "long done"})
    item = make_media(prompt="a fox")
    FlowAccount.objects.create(email="ok@x.com", state="ok")
    FlowAccount.objects.create(email="gone@x.com", state="session_expired")
    page = admin_client.get(HOME).content.decode()
    assert "waves at night" in page and "lost answer" in page and "long done" not in page
    assert "1 needs a decision" in page
    assert reverse("gallery:thumbnail", args=[item.pk]) in page
    assert "Session expired</span> 1" in page and "OK</span> 1" in page
