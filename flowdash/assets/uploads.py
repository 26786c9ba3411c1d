"""Putting an asset on a Google account: the one ``POST /assets`` that sends its file, and the
:class:`AssetUpload` row that remembers the ``mediaGenerationId`` the account gave it.

Both the ``asset_upload`` job kind (``jobs/handlers.py``) and a job's references
(``jobs/pipeline/references.py``) upload through here; the caller records its own attempt.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flowdash.assets.models import Asset, AssetUpload

if TYPE_CHECKING:
    from flowdash.accounts.models import FlowAccount
    from flowdash.useapi.client import UseapiClient
    from flowdash.useapi.types import UploadedAsset


def send(asset: Asset, client: UseapiClient, email: str | None) -> UploadedAsset:
    """POST the asset's file to ``email``'s account (None: the API picks one). The caller
    decides whether it must be sent at all (``Asset.upload_on`` says if it is there already)."""
    with asset.file.open("rb") as fh:
        return client.upload_asset(fh, asset.content_type, email=email)


def record(asset: Asset, account: FlowAccount, media_generation_id: str) -> AssetUpload:
    """The asset is on ``account`` under ``media_generation_id`` (a newer upload replaces)."""
    upload, _ = AssetUpload.objects.update_or_create(
        asset=asset, account=account, defaults={"media_generation_id": media_generation_id}
    )
    return upload
