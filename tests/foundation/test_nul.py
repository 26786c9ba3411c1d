"""A NUL character never reaches a query (PostgreSQL refuses NUL in text; SQLite would take it):
a query value with one is ignored like any unreadable filter, a form value is a 400 in words."""

import pytest

pytestmark = pytest.mark.django_db


def test_a_nul_in_a_query_or_a_form_is_a_400(admin_client):
    assert admin_client.get("/gallery/", {"q": "a\x00b", "account": "\x00"}).status_code == 200
    answer = admin_client.post("/accounts/add/", {"email": "\x00", "cookies": "x"})
    assert answer.status_code == 400
    assert b"NUL" in answer.content
    assert admin_client.get("/gallery/", {"q": "ab"}).status_code == 200
