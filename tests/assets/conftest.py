from __future__ import annotations

import pytest


@pytest.fixture
def creator_client(client, creator_user):
    client.force_login(creator_user)
    return client


@pytest.fixture
def png_upload():
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.assets.images import png_bytes

    def make(name="photo.png", data=None, content_type="image/png"):
        return SimpleUploadedFile(name, data if data is not None else png_bytes(), content_type)

    return make
