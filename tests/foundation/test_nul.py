"""A NUL character in a query or form value is a 400 in words, before any query (PostgreSQL
refuses NUL in text; SQLite would take it): the same answer on both databases."""

import pytest

pytestmark = pytest.mark.django_db


def test_a_nul_in_a_query_or_a_form_is_a_400(admin_client):
    assert admin_client.get("/gallery/", {"q": "a\x00b"}).status_code == 400
    answer = admin_client.post("/accounts/add/", {"email": "\x00", "cookies": "x"})
    assert answer.status_code == 400
    assert b"NUL" in answer.content
    assert admin_client.get("/gallery/", {"q": "ab"}).status_code == 200
