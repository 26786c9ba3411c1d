"""Charts in Chromium: they fill their card, a lone reading is a marked point with its value,
and the points can be read with the keyboard as with a pointer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def readings():
    from flowdash.stats.models import LoadSample, LoadSnapshot

    now = timezone.now()
    # a@ has three readings, b@ joined later and has a single one.
    for minutes, emails in ((30, ["a@x.com"]), (20, ["a@x.com"]), (10, ["a@x.com", "b@x.com"])):
        at = now - timedelta(minutes=minutes)
        snapshot = LoadSnapshot.objects.create(taken_at=at, emails=emails)
        for n, email in enumerate(emails):
            LoadSample.objects.create(
                snapshot=snapshot,
                taken_at=at,
                kind="combined",
                email=email,
                executing=2 + n + minutes // 10,
                score=10 + minutes + n,
            )


def test_charts_fill_their_card_mark_a_lone_reading_and_read_by_keyboard(page, make_user, readings):
    make_user("victor", "viewer")
    sign_in(page, "victor", "a-long-password-1")
    page.goto("/load-balancing/?range=1h")
    figure = page.locator('figure[data-chart^="Executing jobs per account"]')
    svg = figure.locator("svg.chart")
    expect(svg).to_be_visible()

    # Full width of its card (not ~60% of it).
    card_width = page.locator("#lb-chart").evaluate("e => e.clientWidth")
    chart_width = svg.evaluate("e => e.getBoundingClientRect().width")
    assert chart_width >= 0.9 * (card_width - 40), (chart_width, card_width)

    # b@'s single reading: a marked point with its value and unit written beside it.
    single = svg.locator(".pt-single")
    expect(single).to_have_count(1)
    expect(single.locator(".point-value")).to_have_text("4 jobs")
    expect(single).to_have_attribute("aria-label", starts_with("b@x.com: 4 jobs at"))

    # The keyboard: one tab stop per chart, arrows walk the points and show each value.
    first = svg.locator(".pt").first
    first.focus()
    expect(first.locator(".tip")).to_be_visible()
    expect(first.locator(".tip")).to_contain_text("5 jobs")
    page.keyboard.press("ArrowRight")
    second = svg.locator(".pt").nth(1)
    expect(second).to_be_focused()
    expect(second.locator(".tip")).to_be_visible()
    expect(second.locator(".tip")).to_contain_text("4 jobs")
    expect(first.locator(".tip")).to_be_hidden()
    assert svg.locator('.pt[tabindex="0"]').count() == 1

    # The numbers stay in a table too.
    figure.get_by_text("The numbers in this chart").click()
    expect(figure.locator("table caption")).to_have_text("Values in jobs")
    expect(figure.locator("table thead")).to_contain_text("b@x.com")


def starts_with(prefix: str):
    import re

    return re.compile("^" + re.escape(prefix))
