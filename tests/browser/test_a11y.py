"""axe-core (vendored in static/vendor/, served like our own scripts) on every page, as admin,
creator and viewer, and on the sign-in page: no serious or critical violation."""

from __future__ import annotations

import pytest

from tests.browser.conftest import sign_in
from tests.browser.site import PASSWORD, ROLES, pages_for, site_fixture  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

AXE = "/static/vendor/axe-core-4.14.1.min.js"

RUN_AXE = """async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations
    .filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => `${v.impact} ${v.id}: ${v.help} — ` +
      v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(" | "));
}"""


def violations(page) -> list[str]:
    page.add_script_tag(url=AXE)
    page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
    return page.evaluate(RUN_AXE)


def test_the_sign_in_page(page, site):
    page.goto("/login/")
    assert violations(page) == []


@pytest.mark.parametrize("role", ["admin", "creator", "viewer"])
def test_every_page_of_each_role(page, site, role):
    sign_in(page, ROLES[role], PASSWORD)
    page.wait_for_url("**/")
    found = {}
    for url in pages_for(role, site):
        response = page.goto(url)
        assert response.status == 200, (url, response.status)
        problems = violations(page)
        if problems:
            found[url] = problems
    assert not found, "\n".join(f"{url}:\n  " + "\n  ".join(p) for url, p in found.items())
