"""The assets page: grid, pagination, accounts per asset, upload to an account, delete."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from flowdash.accounts.models import FlowAccount
from flowdash.assets.models import Asset, AssetUpload
from flowdash.gallery.models import Media
from flowdash.jobs.models import Job
from tests.assets.images import png_bytes

pytestmark = pytest.mark.django_db


def upload(client, name="a.png", color=(10, 20, 30)):
    client.post(
        "/assets/", {"files": [SimpleUploadedFile(name, png_bytes(color=color), "image/png")]}
    )
    return Asset.objects.get(original_name=name)


@pytest.fixture
def accounts(db):
    ultra = FlowAccount.objects.create(
        email="ultra.creator@gmail.com", paygate_tier="PAYGATE_TIER_TWO"
    )
    pro = FlowAccount.objects.create(email="pro.studio@gmail.com", paygate_tier="PAYGATE_TIER_ONE")
    broken = FlowAccount.objects.create(
        email="gone@gmail.com", state=FlowAccount.State.SESSION_EXPIRED
    )
    return ultra, pro, broken


def test_the_grid_shows_the_accounts_an_asset_is_on(creator_client, accounts):
    asset = upload(creator_client)
    AssetUpload.objects.create(asset=asset, account=accounts[0], media_generation_id="user:1-x")
    page = creator_client.get("/assets/").content.decode()
    assert "on ultra.creator@gmail.com" in page
    assert "pro.studio@gmail.com" in page  # offered in the "upload to account" list
    assert "gone@gmail.com" not in page  # not usable: not offered


def test_upload_to_a_chosen_account_queues_an_asset_upload_job(
    creator_client, creator_user, accounts
):
    asset = upload(creator_client)
    response = creator_client.post(
        f"/assets/{asset.pk}/upload/", {"account": accounts[1].pk}, follow=True
    )
    job = Job.objects.get()
    assert job.kind == Job.Kind.ASSET_UPLOAD
    assert job.params == {"asset": asset.pk}
    assert job.requested_account == accounts[1]
    assert job.requested_by == creator_user
    assert job.status == Job.Status.QUEUED
    page = response.content.decode()
    assert "Uploading a.png to pro.studio@gmail.com" in page
    assert "uploading to pro.studio@gmail.com" in page  # the pending badge on the card
    assert 'hx-trigger="every 2s"' in page  # the grid refreshes until the upload ends


def test_upload_with_auto_leaves_the_account_to_the_api(creator_client, accounts):
    asset = upload(creator_client)
    creator_client.post(f"/assets/{asset.pk}/upload/", {"account": ""})
    job = Job.objects.get()
    assert job.requested_account is None and job.params == {"asset": asset.pk}


def test_an_unusable_account_is_refused(creator_client, accounts):
    asset = upload(creator_client)
    response = creator_client.post(
        f"/assets/{asset.pk}/upload/", {"account": accounts[2].pk}, follow=True
    )
    assert not Job.objects.exists()
    assert "Choose one of the usable accounts" in response.content.decode()


def test_an_asset_already_on_the_account_is_not_uploaded_again(creator_client, accounts):
    asset = upload(creator_client)
    AssetUpload.objects.create(asset=asset, account=accounts[0], media_generation_id="user:1-x")
    response = creator_client.post(
        f"/assets/{asset.pk}/upload/", {"account": accounts[0].pk}, follow=True
    )
    assert not Job.objects.exists()
    assert "already on ultra.creator@gmail.com" in response.content.decode()


def test_viewers_cannot_upload_to_accounts_nor_delete(client, make_user, creator_client, accounts):
    asset = upload(creator_client)
    client.force_login(make_user("vera", "viewer"))
    assert client.post(f"/assets/{asset.pk}/upload/", {"account": ""}).status_code == 403
    assert client.post(f"/assets/{asset.pk}/delete/").status_code == 403
    assert client.get(f"/assets/{asset.pk}/delete/").status_code == 403
    assert Asset.objects.filter(pk=asset.pk).exists() and not Job.objects.exists()


def test_the_uploader_deletes_after_confirming_and_the_files_go(creator_client):
    asset = upload(creator_client)
    paths = [
        Path(settings.MEDIA_ROOT) / asset.file.name,
        Path(settings.MEDIA_ROOT) / asset.thumbnail.name,
    ]
    assert all(p.exists() for p in paths)
    confirm = creator_client.get(f"/assets/{asset.pk}/delete/")
    assert confirm.status_code == 200 and "Delete this asset?" in confirm.content.decode()
    assert Asset.objects.filter(pk=asset.pk).exists()  # asking deletes nothing
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        response = creator_client.post(f"/assets/{asset.pk}/delete/", follow=True)
    assert "Deleted a.png" in response.content.decode()
    assert not Asset.objects.exists() and not Media.objects.exists()
    assert not any(p.exists() for p in paths)


def test_another_creator_cannot_delete_but_an_admin_can(client, make_user, creator_client):
    asset = upload(creator_client)
    client.force_login(make_user("other", "creator"))
    assert client.post(f"/assets/{asset.pk}/delete/").status_code == 403
    assert "Delete</a>" not in client.get("/assets/").content.decode()
    client.force_login(make_user("boss", "admin"))
    client.post(f"/assets/{asset.pk}/delete/")
    assert not Asset.objects.exists()


def test_an_asset_used_by_a_running_job_is_kept(creator_client, creator_user):
    asset = upload(creator_client)
    Job.objects.create(
        kind="image",
        status="running",
        requested_by=creator_user,
        params={"prompt": "x", "references": [{"asset": asset.pk}]},
    )
    page = creator_client.get(f"/assets/{asset.pk}/delete/").content.decode()
    assert "still running" in page
    response = creator_client.post(f"/assets/{asset.pk}/delete/", follow=True)
    assert Asset.objects.filter(pk=asset.pk).exists()
    assert "used by 1 job(s) still running" in response.content.decode()


def test_the_grid_is_paginated(creator_client, creator_user):
    for i in range(30):
        Asset.objects.create(
            sha256=f"{i:064x}",
            file=f"assets/x{i}.png",
            content_type="image/png",
            size=10,
            width=1,
            height=1,
            original_name=f"n{i:02d}.png",
            uploaded_by=creator_user,
        )
    first = creator_client.get("/assets/").content.decode()
    assert "n29.png" in first and "n00.png" not in first
    assert "Page 1 of 2" in first
    second = creator_client.get("/assets/?page=2").content.decode()
    assert "n00.png" in second and "n29.png" not in second


def test_the_grid_region_alone_for_htmx(creator_client):
    upload(creator_client)
    response = creator_client.get("/assets/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="assets-grid")
    body = response.content.decode()
    assert 'id="assets-grid"' in body and "<html" not in body and "sidebar" not in body
