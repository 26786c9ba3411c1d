"""Chromium watches the load-balancing page follow jobs started on the simulator."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sim(use_simulator, celery_worker_process, settings):
    settings.FLOWDASH_LB_REFRESH_SECONDS = 1
    use_simulator.state.reset()
    yield use_simulator
    use_simulator.state.reset()


def start_video(sim, email: str) -> None:
    response = requests.post(
        f"{sim.base_url}/videos",
        json={"prompt": "waves on a pier", "async": True, "email": email},
        headers={"Authorization": f"Bearer {sim.token}"},
        timeout=10,
    )
    assert response.status_code == 201, response.text


def test_the_table_follows_running_jobs_live(page, make_user, sim):
    make_user("victor", "viewer")
    sign_in(page, "victor", "a-long-password-1")
    page.get_by_role("link", name="Load balancing").click()
    videos = page.locator("#lb-videos")
    expect(videos.locator('tr[data-email="ul***@gmail.com"]')).to_have_attribute(
        "data-executing", "0", timeout=30_000
    )
    expect(page.get_by_text("Nothing is running.")).to_be_visible()

    sim.state.update_settings({"speed": 4})  # a Veo Fast video takes ~25 s here
    start_video(sim, "ultra.creator@gmail.com")
    start_video(sim, "ultra.creator@gmail.com")
    ultra = videos.locator('tr[data-email="ul***@gmail.com"]')
    expect(ultra).to_have_attribute("data-executing", "2", timeout=20_000)
    expect(ultra).to_have_attribute("data-score", "2")
    expect(page.locator("#lb-executing tbody tr")).to_have_count(2)
    # the idle accounts now share the lowest score: the page marks them as the next pick
    expect(videos.locator("tr.highlight")).to_have_count(2)
    expect(ultra).not_to_have_class(re.compile("highlight"))

    sim.state.advance(300)  # let the simulated videos finish
    expect(ultra).to_have_attribute("data-executing", "0", timeout=20_000)
    expect(page.get_by_text("Nothing is running.")).to_be_visible()
    expect(page.locator("#lb-history")).to_contain_text("ul***@gmail.com")

    page.get_by_role("link", name="6h").click()
    expect(page).to_have_url(re.compile(r"range=6h"))
    expect(page.locator("#lb-chart")).to_contain_text("Executing jobs per account (per-minute")
    page.get_by_role("link", name="1h").click()
    expect(page).to_have_url(re.compile(r"range=1h"))
    chart = page.locator('figure[data-chart="Executing jobs per account"]')
    chart.get_by_text("The numbers in this chart").click()
    headers = [h.strip() for h in chart.locator("table thead th").all_text_contents()]
    column = headers.index("ul***@gmail.com") + 1
    values = chart.locator(f"table tbody tr td:nth-child({column})").all_inner_texts()
    assert "2" in values  # ul***'s executing count was stored and charted
