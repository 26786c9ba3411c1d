"""Media files only through the signed-in file views, in every mode: no /media/ route, even with
DEBUG on (what `make run` uses)."""

from __future__ import annotations

import importlib

import pytest
from django.urls import clear_url_caches, reverse

import flowdash.urls
from tests.gallery.factories import make_media


@pytest.fixture
def debug_urls(settings):
    """The URL configuration as a DEBUG process builds it at import."""
    settings.DEBUG = True
    importlib.reload(flowdash.urls)
    clear_url_caches()
    yield
    settings.DEBUG = False
    importlib.reload(flowdash.urls)
    clear_url_caches()


@pytest.mark.django_db
def test_stored_media_is_not_served_under_media_url_with_debug_on(
    debug_urls, viewer_client, settings
):
    media = make_media()
    name = media.file.name
    assert media.file.storage.exists(name)
    # The file view serves it to a signed-in viewer...
    assert viewer_client.get(reverse("gallery:file", args=[media.pk])).status_code == 200
    # ...but the raw storage path does not, to anybody.
    for path in (f"{settings.MEDIA_URL}{name}", f"/media/{name}"):
        response = viewer_client.get(path)
        assert response.status_code == 404, path
        assert not getattr(response, "streaming", False)


@pytest.mark.django_db
def test_anonymous_visitors_get_no_media_either(debug_urls, client):
    media = make_media()
    response = client.get(f"/media/{media.file.name}")
    assert response.status_code in (302, 404)
    assert not getattr(response, "streaming", False)
