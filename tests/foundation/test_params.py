"""The validated parsers every view uses for query and form values (flowdash.lib.params)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import RequestFactory

from flowdash.lib import params
from flowdash.lib.params import BadValue

HOSTILE = [
    "²",
    "١٢",
    "+1",
    " -1",
    "1.0",
    "0x1f",
    "1e3",
    "nan",
    "\x00",
    "1\x00",
    "🙂",
    "9" * 100_000,
]


@pytest.mark.parametrize("value", [*HOSTILE, "0", "-5", str(2**63), "99999999999999999999999"])
def test_parse_id_refuses_anything_but_a_storable_positive_id(value):
    assert params.parse_id(value) is None
    assert params.parse_id(value, default=7) == 7
    with pytest.raises(BadValue):
        params.parse_id(value, strict=True)


def test_parse_id_accepts_the_full_range_and_treats_absence_as_default():
    assert params.parse_id("1") == 1
    assert params.parse_id(" 42 ") == 42
    assert params.parse_id(str(2**63 - 1)) == 2**63 - 1
    assert params.parse_id(["3", "4"]) == 4  # a list takes its last item, like QueryDict.get
    for absent in (None, "", "   ", []):
        assert params.parse_id(absent, default="d", strict=True) == "d"


def test_parse_ids_keeps_valid_ids_in_order_without_repeats():
    assert params.parse_ids(["3", "²", "1", "3", str(2**64), "-2", "2"]) == [3, 1, 2]
    with pytest.raises(BadValue):
        params.parse_ids(["3", "²"], strict=True)


def test_bad_value_is_a_400_for_django():
    from django.core.exceptions import BadRequest

    assert issubclass(BadValue, BadRequest)
    assert "per" in str(BadValue("per", "is not a whole number"))


@pytest.mark.parametrize("value", ["²", "1.5", "nan", "100001", "-1", "9" * 100_000, "\x00"])
def test_parse_int_bounds(value):
    assert params.parse_int(value, lo=0, hi=100_000) is None
    with pytest.raises(BadValue):
        params.parse_int(value, lo=0, hi=100_000, strict=True)


def test_parse_int_accepts_negative_within_bounds():
    assert params.parse_int("-3", lo=-10, hi=10) == -3
    assert params.parse_int("10", lo=-10, hi=10) == 10


@pytest.mark.parametrize(
    "value", ["nan", "NaN", "inf", "-inf", "Infinity", "1e999", "-1e999", "²", "1,5", "0x10", ""]
)
def test_parse_float_refuses_non_finite_and_non_numbers(value):
    assert params.parse_float(value) is None


def test_parse_float_accepts_finite_numbers_and_checks_bounds():
    assert params.parse_float("1.5") == 1.5
    assert params.parse_float("-2e3") == -2000.0
    assert params.parse_float(".5") == 0.5
    assert params.parse_float("5", lo=0, hi=1) is None
    with pytest.raises(BadValue):
        params.parse_float("inf", strict=True)


@pytest.mark.parametrize(
    "value",
    ["9999-12-31", "0000-01-01", "0001-01-01", "2026-02-30", "2026-13-01", "20260101", "²"]
    + ["2026-1-1", "2026-01-01T00:00", "+2026-01-01", "١٢٣٤-01-01", "x" * 100_000],
)
def test_parse_date_refuses_out_of_range_and_malformed(value):
    assert params.parse_date(value) is None
    with pytest.raises(BadValue):
        params.parse_date(value, strict=True)


def test_parse_date_accepts_dates_in_range_and_leaves_room_for_arithmetic():
    assert params.parse_date("2026-12-03") == dt.date(2026, 12, 3)
    top = params.parse_date(params.MAX_DATE.isoformat())
    assert top + dt.timedelta(days=2) > top  # no OverflowError near the top of the range
    assert params.parse_date("2026-01-05", lo=dt.date(2026, 1, 10)) is None


def test_parse_choice():
    assert params.parse_choice("1h", {"1h": "hour", "1d": "day"}) == "1h"
    assert params.parse_choice("2h", {"1h": "hour"}, default="1h") == "1h"
    with pytest.raises(BadValue):
        params.parse_choice("\x00", ["a"], strict=True)


@pytest.mark.parametrize(
    "value",
    ["asset:²", "asset:", "asset:0", f"asset:{2**63}", "asset:-1", "job:1", "asset", ":1", "a:b:c"],
)
def test_parse_ref_refuses_bad_references(value):
    assert params.parse_ref(value) is None
    with pytest.raises(BadValue):
        params.parse_ref(value, strict=True)


def test_parse_ref_accepts_known_kinds():
    assert params.parse_ref("asset:12") == ("asset", 12)
    assert params.parse_ref("media:3") == ("media", 3)
    assert params.parse_ref("media:3", kinds=("asset",)) is None


def test_parse_bool():
    assert params.parse_bool("on") is True
    assert params.parse_bool("0", default=True) is False
    assert params.parse_bool("²", default=True) is True


@pytest.mark.parametrize(
    "value",
    [
        "x",  # a bare word: redirect() would look it up as a view name
        "jobs:list",
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "javascript:alert(1)",
        "http://testserver/jobs/",  # even this host: only paths
        "/jobs/\x00",
        "/jobs/\nx",
        "",
        None,
        "/" + "a" * 100_000,
    ],
)
def test_safe_next_refuses_anything_but_a_local_path(value):
    request = RequestFactory().get("/")
    assert params.safe_next(request, value, "/home/") == "/home/"


def test_safe_next_keeps_local_paths():
    request = RequestFactory().get("/")
    assert params.safe_next(request, "/jobs/?page=2", "/") == "/jobs/?page=2"
    assert params.safe_next(request, "/gallery/12/", "/") == "/gallery/12/"


@pytest.mark.parametrize(
    "path", ["/gallery/0/", f"/gallery/{2**63}/", "/gallery/" + "9" * 30 + "/"]
)
def test_an_id_a_database_cannot_hold_does_not_match_a_url(path):
    from django.urls import Resolver404, resolve

    with pytest.raises(Resolver404):
        resolve(path)


def test_the_largest_id_still_matches():
    from django.urls import resolve

    assert resolve(f"/gallery/{2**63 - 1}/").kwargs == {"pk": 2**63 - 1}
