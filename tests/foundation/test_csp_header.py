"""The Content-Security-Policy header: built once per process (flowdash.middleware.CSPMiddleware),
the same policy django-csp builds from the settings on every page, and a view that changes the
policy with django-csp's decorators still gets its own."""

import csp.middleware
import pytest
from csp.constants import HEADER
from csp.decorators import csp_exempt, csp_update
from csp.utils import build_policy
from django.http import HttpResponse
from django.test import RequestFactory

from flowdash.middleware import CSPMiddleware

pytestmark = pytest.mark.django_db


def test_every_page_carries_the_policy_of_the_settings(admin_client):
    expected = build_policy()
    assert "script-src 'self'" in expected and "frame-ancestors 'none'" in expected
    for url in ("/", "/gallery/", "/gallery/collections/", "/jobs/"):
        assert admin_client.get(url)[HEADER] == expected


def widened(request):
    return HttpResponse("x")


def using_the_nonce(request):
    return HttpResponse(f"<script nonce='{request.csp_nonce}'></script>")


VIEWS = {
    "plain": lambda request: HttpResponse("x"),
    "widened": csp_update({"img-src": "https://thumbnails.example"})(widened),
    "exempt": csp_exempt()(lambda request: HttpResponse("x")),
    "nonce": using_the_nonce,
}


@pytest.mark.parametrize("name", VIEWS)
def test_each_response_gets_the_header_django_csp_gives_it(name):
    """Whatever the view did to the policy (nothing, widened it, exempted itself, used the
    nonce), the header is the one django-csp's own middleware sets."""
    ours = CSPMiddleware(VIEWS[name])(RequestFactory().get("/"))
    theirs = csp.middleware.CSPMiddleware(VIEWS[name])(RequestFactory().get("/"))
    assert ours.get(HEADER) == theirs.get(HEADER)
    if name == "widened":
        assert "https://thumbnails.example" in ours[HEADER]
    if name == "exempt":
        assert HEADER not in ours
