"""Template source that Django would print as text instead of reading: a ``{# … #}`` comment
only works on one line (a longer one is shown on the page, as the menu once showed its own
comment to everyone)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted((ROOT / "templates").rglob("*.html")) + sorted(
    (ROOT / "flowdash").rglob("templates/**/*.html")
)


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_comment_spans_lines(path):
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        opened = line.count("{#")
        assert opened == line.count("#}"), (
            f"{path.relative_to(ROOT)}:{number}: a {{# … #}} comment must open and close on one "
            "line; use {% comment %} for longer ones"
        )


def test_the_menu_shows_no_template_text(client, make_user):
    client.force_login(make_user("carol", "creator"))
    html = client.get("/gallery/").content.decode()
    assert 'id="main-nav"' in html
    assert "{#" not in html and "#}" not in html and "{%" not in html
