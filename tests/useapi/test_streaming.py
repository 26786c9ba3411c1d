"""The incremental base64-in-JSON decoder: any chunking, escapes, truncation, bounded memory."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import random
import tracemalloc
from collections.abc import Iterator
from typing import Any

import pytest

from flowdash.useapi import errors
from flowdash.useapi.client import Timeouts, UseapiClient
from flowdash.useapi.streaming import Base64Sink, JsonFieldExtractor, extract_field

from .conftest import TOKEN, FakeApi, Reply


def _escape_b64(text: str, rng: random.Random) -> str:
    """JSON-escape some characters of a base64 string the ways encoders do."""
    out = []
    for char in text:
        roll = rng.random()
        if char == "/" and roll < 0.7:
            out.append("\\/")
        elif char in "+=/" and roll < 0.85:
            out.append(f"\\u{ord(char):04X}" if roll < 0.8 else f"\\u{ord(char):04x}")
        else:
            out.append(char)
        if rng.random() < 0.01:
            out.append("\\n")  # line-wrapped base64
    return "".join(out)


def _document(data: bytes, rng: random.Random, field: str = "encodedVideo") -> bytes:
    encoded = _escape_b64(base64.b64encode(data).decode(), rng)
    # distractors: the field name as a value and in an array, escaped quotes and backslashes,
    # a nested object, non-ASCII text, numbers and literals after the big field
    head = (
        '{"jobId": "j\\"17\\\\x", "note": "FIELD", "list": ["FIELD", {"k": [1, 2.5e3, null]}],'
        ' "text": "caf\\u00e9 \u2026 \\/ok", "FIELD" : \t"'
    ).replace("FIELD", field)
    tail = '", "status": "MEDIA_GENERATION_STATUS_SUCCESSFUL", "inputsCount": 3, "ok": true}'
    return (head + encoded + tail).encode()


EXPECTED_REST = {
    "jobId": 'j"17\\x',
    "list": ["encodedVideo", {"k": [1, 2500.0, None]}],
    "text": "café … /ok",
    "status": "MEDIA_GENERATION_STATUS_SUCCESSFUL",
    "inputsCount": 3,
    "ok": True,
}


def _split(body: bytes, size: int) -> Iterator[bytes]:
    return (body[i : i + size] for i in range(0, len(body), size))


@pytest.mark.parametrize("length", [0, 1, 2, 3, 4, 5, 97, 700])
def test_round_trip_at_every_chunk_size(length: int) -> None:
    rng = random.Random(length)
    data = rng.randbytes(length)
    body = _document(data, rng)
    for size in range(1, len(body) + 1):
        out = io.BytesIO()
        result = extract_field(_split(body, size), "encodedVideo", out)
        assert out.getvalue() == data, f"chunk size {size}"
        assert result.bytes_written == length and result.found == 1
        document = result.document
        assert document["encodedVideo"] == "" and document["note"] == "encodedVideo"
        assert {k: document[k] for k in EXPECTED_REST} == EXPECTED_REST


def test_round_trip_with_random_chunking() -> None:
    rng = random.Random(7)
    for _ in range(200):
        data = rng.randbytes(rng.randrange(0, 3000))
        body = _document(data, rng)
        cuts = sorted(rng.sample(range(1, len(body)), k=min(len(body) - 1, rng.randrange(1, 40))))
        pieces = [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True)]
        out = io.BytesIO()
        extract_field(pieces, "encodedVideo", out)
        assert out.getvalue() == data


def test_nested_field_is_found_and_later_copies_are_not_written() -> None:
    first, second = b"first video", b"second copy"
    body = json.dumps(
        {
            "jobId": "j1",
            "operations": [{"rawBytes": base64.b64encode(first).decode(), "sceneId": "s"}],
            "media": [{"rawBytes": base64.b64encode(second).decode()}],
        }
    ).encode()
    out = io.BytesIO()
    result = extract_field(_split(body, 5), "rawBytes", out)
    assert out.getvalue() == first
    assert result.found == 2
    assert result.document["operations"][0] == {"rawBytes": "", "sceneId": "s"}


def test_missing_field_and_non_string_value() -> None:
    result = extract_field([b'{"status": "MEDIA_GENERATION_STATUS_FAILED"}'], "encodedVideo", None)
    assert result.found == 0 and result.document["status"].endswith("FAILED")
    result = extract_field([b'{"encodedVideo": null, "x": 1}'], "encodedVideo", io.BytesIO())
    assert result.found == 0 and result.document == {"encodedVideo": None, "x": 1}


def test_unpadded_and_url_safe_base64_are_accepted() -> None:
    data = bytes(range(256)) + b"\xfb\xff"
    text = base64.urlsafe_b64encode(data).decode().rstrip("=")
    out = io.BytesIO()
    extract_field([json.dumps({"rawBytes": text}).encode()], "rawBytes", out)
    assert out.getvalue() == data


def test_every_truncation_is_malformed() -> None:
    rng = random.Random(3)
    body = _document(rng.randbytes(120), rng)
    for cut in range(len(body)):
        with pytest.raises(errors.MalformedResponse):
            extract_field(_split(body[:cut], 7), "encodedVideo", io.BytesIO())


@pytest.mark.parametrize(
    "bad",
    [
        b'{"encodedVideo": "QUJD*EVG"}',  # not base64
        b'{"encodedVideo": "QQ==QUJD"}',  # data after padding
        b'{"encodedVideo": "QUJDR"}',  # one stray character
        b'{"encodedVideo": "QUJD\\"x"}',  # an escaped quote cannot be base64
        b'{"encodedVideo": "QUJD\\u00e9"}',  # non-ASCII escape
        b'{"encodedVideo": "QUJD\\uZZZZ"}',
        b'{"encodedVideo": "QUJD"',  # unterminated object
        b'{"encodedVideo": "QUJD"} trailing',
        b"",
    ],
)
def test_invalid_bodies_are_malformed(bad: bytes) -> None:
    with pytest.raises(errors.MalformedResponse):
        extract_field(_split(bad, 3), "encodedVideo", io.BytesIO())


def test_skeleton_is_capped() -> None:
    extractor = JsonFieldExtractor("encodedVideo", io.BytesIO(), max_skeleton=1000)
    with pytest.raises(errors.MalformedResponse):
        extractor.feed(b'{"other": "' + b"x" * 5000 + b'"}')


def test_sink_flushes_partial_quanta() -> None:
    out = io.BytesIO()
    sink = Base64Sink(out)
    for char in base64.b64encode(b"hello world!!").decode():
        sink.feed(char.encode())
    assert sink.finish() == 13 and out.getvalue() == b"hello world!!"


# --- over HTTP, with a large body -----------------------------------------------------------

BODY_MB = 12


def _big_body(seed: int) -> tuple[int, Any, str]:
    """A concatenate answer of ~BODY_MB MB, streamed piece by piece (never whole in memory).

    Seven distinct 48 KiB blocks are cycled, so a lost, repeated or reordered piece changes
    the file's hash.
    """
    rng = random.Random(seed)
    blocks = [rng.randbytes(48 * 1024) for _ in range(7)]
    encoded = [base64.b64encode(b).replace(b"/", b"\\/") for b in blocks]
    count = BODY_MB * 1024 * 1024 // len(encoded[0])
    head = b'{"jobId": "j1737312345678v-u12345-email:jo***@gmail.com-bot:google-flow", '
    head += b'"status": "MEDIA_GENERATION_STATUS_SUCCESSFUL", "inputsCount": 10, "encodedVideo": "'
    tail = b'"}'
    digest = hashlib.sha256()
    for index in range(count):
        digest.update(blocks[index % 7])

    def stream() -> Iterator[bytes]:
        yield head
        for index in range(count):
            yield encoded[index % 7]
        yield tail

    length = len(head) + len(tail) + sum(len(encoded[i % 7]) for i in range(count))
    return length, stream, digest.hexdigest()


@pytest.mark.parametrize("chunked", [False, True])
def test_concatenate_streams_a_big_body_in_bounded_memory(
    fake_api: FakeApi, tmp_path: Any, chunked: bool
) -> None:
    length, stream, sha = _big_body(11)
    fake_api.reply_with(
        Reply(
            200,
            stream,
            {"Content-Type": "application/json"},
            content_length=None if chunked else length,
        )
    )
    api = UseapiClient(fake_api.base_url, TOKEN, timeouts=Timeouts.uniform(10))
    target = tmp_path / "joined.mp4"
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        result = api.concatenate_videos(["a", "b", "c"], dest=target)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.inputs_count == 10 and result.succeeded
    assert hashlib.sha256(target.read_bytes()).hexdigest() == sha
    assert result.bytes_written == target.stat().st_size
    assert peak < 0.1 * length, f"peak {peak} bytes for a {length}-byte body"
