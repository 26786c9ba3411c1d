"""The studio in a real browser, with a real worker and the simulator: upload images (file
picker and drag-and-drop), generate an image with one as a reference and a video from a start
frame, watch the job cards update without a reload, and find the files on our disk."""

from __future__ import annotations

import base64
import os
import time
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from flowdash.jobs.models import Job
from tests.assets.images import jpeg_bytes, png_bytes
from tests.browser.conftest import sign_in

PASSWORD = "a-long-password-1"
ACCOUNTS = (
    ("ultra.creator@gmail.com", "PAYGATE_TIER_TWO"),
    ("pro.studio@gmail.com", "PAYGATE_TIER_ONE"),
)
# Screenshots of the pages for people to look at, when asked: FLOWDASH_SCREENSHOTS=<folder>.
SHOTS = os.environ.get("FLOWDASH_SCREENSHOTS")

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def worker(celery_worker_process):
    return celery_worker_process


def shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / name), full_page=True)


def reconcile() -> None:
    """Run the reconciler, as beat would every few seconds (beat is not running here)."""
    from flowdash.jobs.tasks import reconcile_jobs

    reconcile_jobs()


def wait_for_card(page, job_id: int, timeout: float = 90.0) -> None:
    """Wait, in the browser, until the job's card says it is completed."""
    card = page.locator(f"#job-card-{job_id}")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ended = card.get_attribute("data-status") in ("completed", "failed", "cancelled")
        if ended and not card.locator(".result-pending").count():
            return
        reconcile()
        page.wait_for_timeout(500)
    raise AssertionError(f"job {job_id} is still {Job.objects.get(pk=job_id).status}")


def watch_cards(page) -> None:
    """Record every job card state the page shows, and mark the page so a reload would show."""
    page.evaluate(
        """() => {
          window.__noReload = true;
          window.__seen = [];
          const note = () => document.querySelectorAll('.job-card').forEach(c =>
            window.__seen.push(c.id + ':' + c.dataset.status + ':' + (c.querySelector('[data-progress]')?.dataset.progress || '')));
          note();
          new MutationObserver(note).observe(document.body, {childList: true, subtree: true});
        }"""
    )


def seen(page, job_id: int) -> list[str]:
    return [
        s.split(":", 1)[1]
        for s in page.evaluate("window.__seen")
        if s.startswith(f"job-card-{job_id}:")
    ]


def test_upload_then_generate_an_image_and_a_video(page, live_server, worker, simulator, make_user):
    from flowdash.accounts.models import FlowAccount
    from flowdash.assets.models import Asset
    from flowdash.gallery.models import Media

    simulator.state.reset()
    for email, tier in ACCOUNTS:
        FlowAccount.objects.create(
            email=f"{email[:2]}***@gmail.com", full_email=email, health="OK", paygate_tier=tier
        )
    make_user("carol", "creator", PASSWORD)
    sign_in(page, "carol", PASSWORD)

    # 1. Upload two images with the file picker…
    page.goto("/assets/")
    expect(page.get_by_text("No assets yet")).to_be_visible()
    page.set_input_files(
        "input[type=file]",
        files=[
            {
                "name": "harbour.png",
                "mimeType": "image/png",
                "buffer": png_bytes((320, 180), (20, 90, 160)),
            },
            {
                "name": "sunset.jpg",
                "mimeType": "image/jpeg",
                "buffer": jpeg_bytes((320, 180), (230, 120, 40)),
            },
        ],
    )
    expect(page.locator("[data-dropzone-names]")).to_contain_text(
        "2 chosen: harbour.png, sunset.jpg"
    )
    page.get_by_role("button", name="Upload").click()
    expect(page.locator(".message.success")).to_contain_text("Uploaded 2 images")
    expect(page.locator(".asset-card")).to_have_count(2)

    # …and one by dropping it on the drop zone.
    dropped = base64.b64encode(png_bytes((200, 200), (60, 160, 60))).decode()
    with page.expect_navigation():
        page.evaluate(
            """([b64, name]) => {
              const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
              const data = new DataTransfer();
              data.items.add(new File([bytes], name, {type: 'image/png'}));
              const zone = document.querySelector('[data-dropzone-area]');
              zone.dispatchEvent(new DragEvent('dragover', {dataTransfer: data, bubbles: true, cancelable: true}));
              zone.dispatchEvent(new DragEvent('drop', {dataTransfer: data, bubbles: true, cancelable: true}));
            }""",
            [dropped, "dropped.png"],
        )
    expect(page.locator(".asset-card")).to_have_count(3)
    assert sorted(Asset.objects.values_list("original_name", flat=True)) == [
        "dropped.png",
        "harbour.png",
        "sunset.jpg",
    ]
    harbour = Asset.objects.get(original_name="harbour.png")

    # Put one on a chosen Google account: a worker uploads it and the card says where it is.
    card = page.locator(f'[data-asset="{harbour.pk}"]')
    pro = FlowAccount.objects.get(full_email="pro.studio@gmail.com")
    card.locator("select[name=account]").select_option(str(pro.pk))
    card.get_by_role("button", name="Upload to account").click()
    expect(page.locator(".message.success")).to_contain_text(
        "Uploading harbour.png to pro.studio@gmail.com"
    )
    upload_job = Job.objects.get(kind="asset_upload")
    deadline = time.monotonic() + 60
    while Job.objects.get(pk=upload_job.pk).status != "completed" and time.monotonic() < deadline:
        reconcile()
        page.wait_for_timeout(300)
    card = page.locator(f'[data-asset="{harbour.pk}"]')
    expect(card.locator("[data-accounts]")).to_contain_text("on pro.studio@gmail.com")
    assert harbour.uploads.get().account == pro
    shot(page, "assets.png")

    # 2. Use it as a reference for an image.
    page.locator(f'[data-asset="{harbour.pk}"]').get_by_role(
        "link", name="Use as reference"
    ).click()
    form = page.locator("#image-form")
    expect(form.locator(f'input[value="asset:{harbour.pk}"]')).to_be_checked()
    expect(form.locator("[data-auto-model]")).to_contain_text("the API uses nano-banana")
    form.get_by_label("Prompt", exact=True).fill("a harbour at night, lanterns on the water")
    form.get_by_label("Model", exact=True).select_option("nano-banana")
    form.get_by_label("Count", exact=True).fill("2")
    shot(page, "studio-image.png")
    form.get_by_role("button", name="Generate images").click()
    expect(page.locator(".message.success")).to_contain_text("queued")
    image_job = Job.objects.get(kind="image")
    assert image_job.params["references"] == [{"asset": harbour.pk}]
    watch_cards(page)
    wait_for_card(page, image_job.pk)
    card = page.locator(f"#job-card-{image_job.pk}")
    expect(card).to_have_attribute("data-status", "completed")
    expect(card.locator("a.result-thumb")).to_have_count(2)
    expect(card.locator("a.result-thumb img").first).to_have_js_property("complete", True)
    assert card.locator("a.result-thumb img").first.evaluate("i => i.naturalWidth") > 0
    assert card.get_attribute("hx-trigger") is None  # it stopped polling
    assert page.evaluate("window.__noReload") is True
    states = seen(page, image_job.pk)
    assert states[0].startswith(("queued", "submitting", "running")) and states[-1].startswith(
        "completed"
    )
    image_job.refresh_from_db()
    results = list(image_job.media.all())
    assert len(results) == 2
    for media in results:
        assert media.download_status == "stored"
        path = Path(settings.MEDIA_ROOT) / media.file.name
        assert path.exists() and path.stat().st_size > 0
        assert media.prompt == "a harbour at night, lanterns on the water"
    shot(page, "studio-image-done.png")

    # 3. A video from a start frame: the first image result.
    first = results[0]
    page.goto(f"/studio/?start=media:{first.pk}")
    form = page.locator("#video-form")
    expect(form).to_be_visible()
    expect(form.locator('input[name="mode"][value="frames"]')).to_be_checked()
    expect(form.locator(f'input[name="start"][value="media:{first.pk}"]')).to_be_checked()
    form.get_by_label("Prompt", exact=True).fill("the lanterns drift out to sea")
    shot(page, "studio-video.png")
    form.get_by_role("button", name="Generate video").click()
    expect(page.locator(".message.success")).to_contain_text("queued")
    video_job = Job.objects.get(kind="video")
    assert video_job.params["mode"] == "frames"
    assert video_job.params["start"] == {"media": first.pk}
    assert video_job.params["references"] == []
    watch_cards(page)
    card = page.locator(f"#job-card-{video_job.pk}")
    expect(card.locator(".progress")).to_be_visible()
    wait_for_card(page, video_job.pk)
    expect(card).to_have_attribute("data-status", "completed")
    expect(card.locator("a.result-thumb")).to_have_count(1)
    assert page.evaluate("window.__noReload") is True
    states = seen(page, video_job.pk)
    assert len(set(states)) >= 2 and states[-1].startswith("completed"), states
    video_job.refresh_from_db()
    assert video_job.status == "completed" and video_job.account is not None
    clip = video_job.media.get()
    assert clip.kind == "video" and clip.download_status == "stored"
    data = (Path(settings.MEDIA_ROOT) / clip.file.name).read_bytes()
    assert data[4:8] == b"ftyp"  # an MP4 on our disk
    assert clip.thumbnail and (Path(settings.MEDIA_ROOT) / clip.thumbnail.name).exists()
    shot(page, "studio-video-done.png")

    # 4. The Jobs page lists both, and the job page has the full record.
    page.goto("/jobs/")
    expect(page.locator("tr[data-job]")).to_have_count(3)  # the upload, the image, the video
    expect(page.locator('tr[data-status="completed"]')).to_have_count(3)
    shot(page, "jobs.png")
    page.goto(f"/jobs/{video_job.pk}/")
    expect(page.get_by_text("Requests to the API")).to_be_visible()
    shot(page, "job-detail.png")
    assert Media.objects.filter(origin="uploaded").count() == 3


def test_the_video_form_explains_its_limits_before_anything_is_sent(
    page, live_server, make_user, use_simulator
):
    """Modes keep frames and references apart, counters follow the model's limit, and a refused
    form says which field is wrong (no worker runs here: nothing could be sent anyway)."""
    from django.core.files.base import ContentFile

    from flowdash.assets import services

    use_simulator.state.reset()
    user = make_user("carol", "creator", PASSWORD)
    assets = [
        services.store_asset(
            ContentFile(png_bytes(color=(i * 40, 50, 90))),
            name=f"p{i}.png",
            size=len(png_bytes(color=(i * 40, 50, 90))),
            user=user,
        ).asset
        for i in range(4)
    ]
    sign_in(page, "carol", PASSWORD)
    page.goto("/studio/?tab=video")
    form = page.locator("#video-form")
    form.get_by_label("Prompt", exact=True).fill("a slow pan over the hills")

    # A start frame is picked, then the mode changes to references: the frame is not sent.
    form.locator('input[name="mode"][value="frames"]').check()
    form.locator(
        f'[data-mode-panel="frames"] input[name="start"][value="asset:{assets[0].pk}"]'
    ).check()
    form.locator('input[name="mode"][value="references"]').check()
    expect(form.locator('[data-mode-panel="frames"]')).to_be_hidden()
    refs = form.locator('[data-mode-panel="references"]')
    for asset in assets:
        refs.locator(f'input[value="asset:{asset.pk}"]').check()
    counter = refs.locator("[data-ref-counter]")
    expect(counter).to_have_text("4 of 3 picked")
    expect(counter).to_have_class("small counter over")
    form.get_by_label("Model", exact=True).select_option("veo-3.1-quality")
    expect(counter).to_have_text("this model takes no references")
    form.get_by_label("Model", exact=True).select_option("veo-3.1-fast")

    form.get_by_role("button", name="Generate video").click()
    form = page.locator("#video-form")
    expect(form.locator(".form-errors").first).to_contain_text("Nothing was sent")
    expect(form.locator('[data-mode-panel="references"] .errors')).to_contain_text(
        "veo-3.1-fast accepts at most 3 reference images"
    )
    assert not Job.objects.exists()
    assert use_simulator.state.requests() == []
    shot(page, "studio-refused.png")

    # One fewer, and it goes: references only, the start frame picked earlier stays behind.
    form.locator(f'[data-mode-panel="references"] input[value="asset:{assets[3].pk}"]').uncheck()
    form.get_by_role("button", name="Generate video").click()
    expect(page.locator(".message.success")).to_contain_text("queued")
    job = Job.objects.get()
    assert job.params["mode"] == "references" and job.params["start"] is None
    assert job.params["references"] == [{"asset": a.pk} for a in assets[:3]]


def test_a_refused_prompt_is_explained_and_retried_from_its_card(
    page, live_server, worker, simulator, make_user
):
    from flowdash.accounts.models import FlowAccount

    simulator.state.reset()
    simulator.state.faults.add("unsafe", endpoint="images", times=1)
    for email, tier in ACCOUNTS:
        FlowAccount.objects.create(
            email=f"{email[:2]}***@gmail.com", full_email=email, health="OK", paygate_tier=tier
        )
    make_user("carol", "creator", PASSWORD)
    sign_in(page, "carol", PASSWORD)
    page.goto("/studio/")
    form = page.locator("#image-form")
    form.get_by_label("Prompt", exact=True).fill("a storm over the bay")
    form.get_by_label("Count", exact=True).fill("1")
    form.get_by_role("button", name="Generate images").click()
    first = Job.objects.get()
    wait_for_card(page, first.pk)
    card = page.locator(f"#job-card-{first.pk}")
    expect(card).to_have_attribute("data-status", "failed")
    expect(card.locator(".job-error")).to_contain_text("HTTP 400")
    expect(card.get_by_role("link", name="Edit and retry")).to_have_attribute(
        "href", f"/studio/?remix={first.pk}"
    )
    shot(page, "studio-failed.png")

    card.get_by_role("button", name="Retry").click()
    expect(page.locator(".message.success")).to_contain_text("Retrying as job")
    assert "/studio/" in page.url  # back in the studio, where the new card follows the retry
    second = Job.objects.exclude(pk=first.pk).get()
    assert second.retry_of_id == first.pk and second.params == first.params
    wait_for_card(page, second.pk)
    expect(page.locator(f"#job-card-{second.pk}")).to_have_attribute("data-status", "completed")
    assert second.media.count() == 1
    assert len(simulator.state.requests(path="/images")) == 2  # one refused, one made
