"""The gallery in Chromium: search, filters, one item, its download, a collection and its zip."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from flowdash.gallery.models import Collection
from tests.browser.conftest import sign_in
from tests.gallery.factories import make_media, png_bytes

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def library(settings, tmp_path, make_user):
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    carol = make_user("carol", "creator")
    fox = make_media(
        prompt="A red fox asleep in fresh snow",
        model="imagen-4",
        seed=1234,
        created_by=carol,
        data=png_bytes((180, 60, 20), (96, 64)),
    )
    owl = make_media(kind="video", prompt="An owl turning its head at dusk", model="veo-3.1-fast")
    light = make_media(
        prompt="Lighthouse at dawn, waves on black rocks", model="nano-banana", created_by=carol
    )
    other = make_media(prompt="Neon street in the rain", model="nano-banana")
    light.favourited_by.add(carol)
    yield {"fox": fox, "owl": owl, "light": light, "other": other}
    cache.clear()


def cards(page):
    return page.locator("#gallery-results .g-card")


def test_search_filter_open_download_collect_and_zip(page, library, tmp_path):
    sign_in(page, "carol", "a-long-password-1")
    page.goto("/gallery/")
    expect(cards(page)).to_have_count(4)

    # Search by a prompt word: the grid narrows and the URL can be shared.
    page.get_by_label("Search prompts").fill("fox")
    expect(cards(page)).to_have_count(1)
    expect(cards(page).first).to_contain_text("A red fox asleep")
    expect(page).to_have_url(re.compile(r"q=fox"))
    page.get_by_label("Search prompts").fill("")
    expect(cards(page)).to_have_count(4)

    # Filter by model, then favourites.
    page.get_by_label("Model").select_option("nano-banana")
    expect(cards(page)).to_have_count(2)
    expect(page.get_by_role("link", name="Mine", exact=True)).to_have_attribute(
        "href", "?model=nano-banana&scope=mine"
    )
    page.get_by_label("Favourites only").check()
    expect(cards(page)).to_have_count(1)
    expect(cards(page).first).to_contain_text("Lighthouse at dawn")
    expect(page).to_have_url(re.compile(r"model=nano-banana.*fav=1|fav=1.*model=nano-banana"))
    page.reload()  # the filter state lives in the URL
    expect(cards(page)).to_have_count(1)
    expect(page.get_by_label("Favourites only")).to_be_checked()

    # Open an item and download it: the bytes are the stored file's.
    page.goto("/gallery/?q=fox")
    cards(page).first.locator("a.g-thumb").click()
    expect(page.get_by_role("heading", name=f"Image {library['fox'].pk}")).to_be_visible()
    expect(page.get_by_text("imagen-4")).to_be_visible()
    with page.expect_download() as info:
        page.get_by_role("link", name="Download", exact=True).click()
    download = info.value
    assert download.suggested_filename == "a-red-fox-asleep-in-fresh-snow-seed1234.png"
    saved = tmp_path / "download.png"
    download.save_as(saved)
    stored = library["fox"].file.open("rb").read()
    assert saved.read_bytes() == stored

    # Add it to a new collection.
    page.get_by_label("…or a new collection named").fill("Winter picks")
    page.get_by_role("button", name="Add to collection").click()
    region = page.locator("#media-collections")
    expect(region.get_by_role("link", name="Winter picks")).to_be_visible()
    board = Collection.objects.get(name="Winter picks")
    assert list(board.items.all()) == [library["fox"]]

    # The collection downloads as a zip holding the same bytes.
    region.get_by_role("link", name="Winter picks").click()
    expect(page.get_by_role("heading", name="Winter picks")).to_be_visible()
    with page.expect_download() as info:
        page.get_by_role("link", name="Download all (zip)").click()
    archive_path = tmp_path / "board.zip"
    info.value.save_as(archive_path)
    assert info.value.suggested_filename == "winter-picks.zip"
    archive = zipfile.ZipFile(io.BytesIO(Path(archive_path).read_bytes()))
    assert archive.namelist() == ["01-a-red-fox-asleep-in-fresh-snow-seed1234.png"]
    assert archive.read(archive.namelist()[0]) == stored


def test_favourite_toggle_and_viewer_limits(page, library, make_user):
    make_user("victor", "viewer")
    sign_in(page, "victor", "a-long-password-1")
    page.goto(f"/gallery/{library['other'].pk}/")
    page.get_by_role("button", name="☆ Add to favourites").click()
    expect(page.get_by_role("button", name="★ Favourite")).to_be_visible()
    assert library["other"].favourited_by.filter(username="victor").exists()
    expect(page.get_by_role("button", name="Add tag")).to_have_count(0)
    expect(page.get_by_role("link", name=re.compile("Delete this"))).to_have_count(0)
    page.goto("/gallery/?fav=1")
    expect(cards(page)).to_have_count(1)
    # A video's card plays a muted preview while the pointer rests on it.
    page.goto("/gallery/?kind=video")
    thumb = cards(page).first.locator("a.g-thumb")
    expect(thumb.locator("video")).to_have_count(0)
    thumb.hover()
    expect(thumb.locator("video")).to_have_attribute("src", f"/gallery/{library['owl'].pk}/file/")
    page.mouse.move(0, 0)
    expect(thumb.locator("video")).to_have_count(0)
    page.goto("/gallery/?cursor=forged&kind=hologram")
    expect(page.get_by_text("That page link was damaged")).to_be_visible()
    expect(page.get_by_text("There is no kind “hologram”")).to_be_visible()
    expect(cards(page)).to_have_count(4)
