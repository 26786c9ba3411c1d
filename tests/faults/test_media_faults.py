"""The simulator's media faults that the fault suite relies on, checked over HTTP: a fake file,
a file cut off halfway, a file that trickles out."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from tests.conftest import SIM_TOKEN


def _media_url(answer: Any) -> str:
    if isinstance(answer, dict):
        answer = list(answer.values())
    if isinstance(answer, list):
        for item in answer:
            found = _media_url(item)
            if found:
                return found
    if isinstance(answer, str) and "/_media/" in answer and "-thumb" not in answer:
        return answer
    return ""


@pytest.fixture
def image_url(simulator):
    simulator.state.reset()
    answer = requests.post(
        f"{simulator.base_url}/images",
        json={"prompt": "a media fault", "count": 1},
        headers={"Authorization": f"Bearer {SIM_TOKEN}"},
        timeout=30,
    ).json()
    url = _media_url(answer)
    assert url, answer
    yield url
    simulator.state.reset()


def test_media_fake_serves_a_page_instead_of_the_file(simulator, image_url):
    real = requests.get(image_url, timeout=30)
    assert real.content[:3] == b"\xff\xd8\xff"  # a JPEG
    simulator.state.faults.add("media_fake", endpoint="_media", times=1)
    fake = requests.get(image_url, timeout=30)
    assert fake.status_code == 200 and fake.content.startswith(b"<html>")
    assert requests.get(image_url, timeout=30).content == real.content  # once only


def test_media_cut_stops_halfway_through_the_promised_bytes(simulator, image_url):
    size = len(requests.get(image_url, timeout=30).content)
    simulator.state.faults.add("media_cut", endpoint="_media", times=1)
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        requests.get(image_url, timeout=30).content  # noqa: B018 — reading it is the test
    assert size > 1


def test_media_slow_spreads_the_file_over_the_time_asked(simulator, image_url):
    simulator.state.faults.add("media_slow", endpoint="_media", seconds=1.5, times=1)
    started = time.monotonic()
    body = requests.get(image_url, timeout=30).content
    assert time.monotonic() - started >= 1.0
    assert body[:3] == b"\xff\xd8\xff"
