"""An image that comes back inline (``encodedImage``, supplement §4.1) is stored like a
``fifeUrl`` one: the answer streams into a temporary file (never the whole base64 and its bytes
in memory), the file moves into storage, and nothing is left in the temp folder."""

from __future__ import annotations

import pytest

from flowdash.gallery.models import Media
from flowdash.jobs.downloads import temp_files
from flowdash.jobs.models import Job
from flowdash.jobs.pipeline import dispatch
from flowdash.jobs.queue import create_job
from flowdash.useapi.client import UseapiClient
from tests.jobs.test_pipeline import image_params, posts, run

pytestmark = pytest.mark.django_db


@pytest.fixture
def inline_api(sim):
    sim.state.update_settings({"api": "2026-12", "new_forms": True})  # every image inline
    return UseapiClient(sim.base_url, sim.token, era=sim.state.era)


def test_an_inline_image_is_stored_from_the_streamed_file(accounts, inline_api, sim):
    job = run(create_job("image", image_params(count=2, seed=3)), inline_api)
    assert job.status == Job.Status.COMPLETED, job.error_message
    [sent] = posts(sim, "/images")
    results = list(job.media.order_by("pk"))
    assert len(results) == 2
    for media in results:
        assert media.download_status == Media.Download.STORED
        assert media.source_url == ""  # nothing to download: the bytes came with the answer
        data = media.file.read()
        assert data[:3] == b"\xff\xd8\xff" or data[:8] == b"\x89PNG\r\n\x1a\n"
        assert media.file_size == len(data)
        assert media.thumbnail
    assert sent["status"] < 300
    assert temp_files() == []  # the decoded files moved into storage


def test_an_inline_image_the_store_refuses_leaves_no_decoded_file(
    accounts, inline_api, sim, monkeypatch
):
    from flowdash.gallery import storing

    def full_disk(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(storing, "save_whole", full_disk)
    job = create_job("image", image_params(count=1, seed=3))
    with pytest.raises(OSError):
        dispatch.drive(job, inline_api)
    job.refresh_from_db()
    assert job.status != Job.Status.COMPLETED
    assert len(posts(sim, "/images")) == 1
    assert Media.objects.filter(job=job, download_status=Media.Download.STORED).count() == 0
    assert temp_files() == []
