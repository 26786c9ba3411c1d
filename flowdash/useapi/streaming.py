"""Decode a big base64 string out of a JSON body while the body streams in.

POST /videos/concatenate answers ``{"jobId": …, "encodedVideo": "<~70 MB of base64>"}``;
``encodedGif``, ``encodedImage`` (upscale) and ``rawBytes`` (cached video upscale) are the same
problem. :class:`JsonFieldExtractor` is fed the body in chunks of any size (split anywhere, even
inside an escape or a key) and:

* writes the decoded bytes of the named string field to a binary sink as they arrive (4-char
  base64 quanta; JSON escapes such as ``\\/`` and ``\\u002B`` resolved; whitespace ignored;
  URL-safe characters accepted);
* copies every other byte of the document into a small "skeleton" in which the big string is
  empty, and parses that skeleton with :func:`json.loads` at the end, so the remaining small
  fields come back as ordinary Python values.

Memory stays at one chunk plus the skeleton (capped), never the whole body. A body that ends
early, or is not valid JSON, raises :class:`~flowdash.useapi.errors.MalformedResponse`.
"""

from __future__ import annotations

import binascii
import json
import re
from collections.abc import Callable, Iterable
from typing import Any, BinaryIO

from flowdash.useapi.errors import MalformedResponse

__all__ = ["Base64Sink", "ExtractedDocument", "JsonFieldExtractor", "extract_field"]

# URL-safe alphabet to the standard one; whitespace is deleted separately.
_TO_STANDARD = bytes.maketrans(b"-_", b"+/")
_WHITESPACE = b" \t\r\n"
_STRING_STOP = re.compile(rb'["\\]')
_HEX = frozenset(b"0123456789abcdefABCDEF")
_BASE64_CHARS = frozenset(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ \t\r\n"
)
# Escapes that may stand inside a base64 string: \/ is the common one; \n \r \t are line breaks
# some encoders put in long base64 (ignored like raw whitespace).
_SIMPLE_ESCAPES = {ord("/"): b"/", ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t"}
_MAX_KEY = 128


class Base64Sink:
    """Incremental base64 decoder writing to a binary file (or only validating, if None)."""

    def __init__(self, out: BinaryIO | None) -> None:
        self._out = out
        self._carry = b""
        self._padded = False
        self.bytes_written = 0

    def feed(self, text: bytes) -> None:
        data = text.translate(_TO_STANDARD, _WHITESPACE)
        if not data:
            return
        if self._padded:
            raise MalformedResponse("base64 data continues after its padding")
        if self._carry:
            data = self._carry + data
        usable = len(data) - len(data) % 4
        self._carry = data[usable:]
        if usable:
            self._decode(data[:usable] if usable != len(data) else data)

    def _decode(self, quanta: bytes) -> None:
        try:
            decoded = binascii.a2b_base64(quanta, strict_mode=True)
        except binascii.Error as exc:
            raise MalformedResponse(f"invalid base64 data: {exc}") from None
        if quanta.endswith(b"="):
            self._padded = True
        if self._out is not None:
            self._out.write(decoded)
        self.bytes_written += len(decoded)

    def finish(self) -> int:
        """Flush the last partial quantum (unpadded base64 is accepted). Returns bytes written."""
        if self._carry:
            if self._padded or len(self._carry) == 1:
                raise MalformedResponse("base64 data has a stray trailing character")
            self._decode(self._carry + b"=" * (-len(self._carry) % 4))
            self._carry = b""
        return self.bytes_written


class ExtractedDocument:
    """What the extractor found: the small fields, and how the big field went."""

    def __init__(
        self,
        document: Any,
        found: int,
        bytes_written: int,
        written_each: list[int] | None = None,
    ) -> None:
        self.document = document
        self.found = found  # how many times the field held a string
        self.bytes_written = bytes_written
        self.written_each = written_each or []  # bytes decoded per occurrence (with ``sinks``)
        self.files: list[Any] = []  # set by callers that gave each occurrence its own file


class JsonFieldExtractor:
    """Feed JSON bytes with :meth:`feed`, then call :meth:`finish`.

    The first string value of ``field`` (at any depth) is decoded into ``sink``; later ones are
    validated and dropped. With ``sinks`` instead, every occurrence ``n`` (from 1) is decoded
    into ``sinks(n)`` (e.g. several inline images, one file each). In the returned document every
    such value is ``""``.
    """

    _OUTSIDE, _IN_STRING, _IN_TARGET = range(3)

    def __init__(
        self,
        field: str,
        sink: BinaryIO | None,
        *,
        max_skeleton: int = 4 << 20,
        sinks: Callable[[int], BinaryIO] | None = None,
    ) -> None:
        self._field = field.encode()
        self._sink = sink
        self._sinks = sinks
        self._written_each: list[int] = []
        self._max_skeleton = max_skeleton
        self._skeleton = bytearray()
        self._state = self._OUTSIDE
        self._escape = False  # inside a plain string: the previous byte was a backslash
        self._target_escape = b""  # inside the target: an escape sequence being collected
        self._string_start = 0
        self._last_string: bytes | None = None  # raw text of the string just closed (if short)
        self._after_string = False
        self._pending_key: bytes | None = None  # key whose ':' we just passed
        self._decoder: Base64Sink | None = None
        self._found = 0
        self._bytes_written = 0

    # -- feeding ---------------------------------------------------------------------------

    def feed(self, chunk: bytes) -> None:
        pos, end = 0, len(chunk)
        while pos < end:
            if self._state == self._IN_TARGET:
                pos = self._feed_target(chunk, pos)
            elif self._state == self._IN_STRING:
                pos = self._feed_string(chunk, pos)
            else:
                pos = self._feed_outside(chunk, pos)
        if len(self._skeleton) > self._max_skeleton:
            raise MalformedResponse("response has unexpectedly large fields")

    def _feed_outside(self, chunk: bytes, pos: int) -> int:
        end = len(chunk)
        skeleton = self._skeleton
        while pos < end:
            byte = chunk[pos]
            if byte == 0x22:  # '"'
                if self._pending_key == self._field:
                    self._start_target()
                else:
                    skeleton.append(byte)
                    self._state = self._IN_STRING
                    self._string_start = len(skeleton)
                self._pending_key = None
                self._after_string = False
                return pos + 1
            skeleton.append(byte)
            if byte in b" \t\r\n":
                pass
            elif byte == 0x3A:  # ':'
                self._pending_key = self._last_string if self._after_string else None
                self._after_string = False
            else:
                self._pending_key = None
                self._after_string = False
            pos += 1
        return pos

    def _feed_string(self, chunk: bytes, pos: int) -> int:
        skeleton = self._skeleton
        if self._escape:
            skeleton.append(chunk[pos])
            self._escape = False
            return pos + 1
        match = _STRING_STOP.search(chunk, pos)
        if match is None:
            skeleton += chunk[pos:]
            return len(chunk)
        stop = match.start()
        skeleton += chunk[pos : stop + 1]
        if chunk[stop] == 0x5C:  # backslash: the next byte is escaped (maybe in the next chunk)
            self._escape = True
            return stop + 1
        # closing quote
        length = len(skeleton) - 1 - self._string_start
        self._last_string = (
            bytes(skeleton[self._string_start : len(skeleton) - 1]) if length <= _MAX_KEY else None
        )
        self._after_string = True
        self._state = self._OUTSIDE
        return stop + 1

    def _start_target(self) -> None:
        self._skeleton += b'"'
        self._state = self._IN_TARGET
        self._found += 1
        if self._sinks is not None:
            self._decoder = Base64Sink(self._sinks(self._found))
        else:
            self._decoder = Base64Sink(self._sink if self._found == 1 else None)

    def _feed_target(self, chunk: bytes, pos: int) -> int:
        decoder = self._decoder
        assert decoder is not None
        if self._target_escape:
            return self._continue_escape(chunk, pos)
        # Fast path: up to the next quote, with at most "\/" escapes (bulk-replaced). Anything
        # else (other escapes, an escape split by the chunk edge, an escaped quote) goes through
        # the exact path below.
        quote = chunk.find(b'"', pos)
        stop = len(chunk) if quote == -1 else quote
        segment = chunk[pos:stop]
        if b"\\" in segment:
            segment = segment.replace(b"\\/", b"/")
        if b"\\" not in segment:
            if segment:
                decoder.feed(segment)
            return stop if quote == -1 else self._close_target(stop)
        match = _STRING_STOP.search(chunk, pos)
        if match is None:
            decoder.feed(chunk[pos:])
            return len(chunk)
        stop = match.start()
        if stop > pos:
            decoder.feed(chunk[pos:stop])
        if chunk[stop] == 0x5C:
            self._target_escape = b"\\"
            return stop + 1
        return self._close_target(stop)

    def _close_target(self, quote: int) -> int:
        """The target string ended at ``quote``; returns the position after it."""
        assert self._decoder is not None
        written = self._decoder.finish()
        self._written_each.append(written)
        if self._found == 1:
            self._bytes_written = written
        self._skeleton += b'"'
        self._state = self._OUTSIDE
        self._after_string = False
        self._decoder = None
        return quote + 1

    def _continue_escape(self, chunk: bytes, pos: int) -> int:
        decoder = self._decoder
        assert decoder is not None
        pending = self._target_escape
        end = len(chunk)
        while pos < end:
            pending += chunk[pos : pos + 1]
            pos += 1
            kind = pending[1]
            if kind in _SIMPLE_ESCAPES:
                decoder.feed(_SIMPLE_ESCAPES[kind])
                self._target_escape = b""
                return pos
            if kind != ord("u"):
                raise MalformedResponse(f"unexpected escape {pending!r} in base64 data")
            if len(pending) > 2 and pending[-1] not in _HEX:
                raise MalformedResponse(f"bad unicode escape {pending!r} in base64 data")
            if len(pending) == 6:
                code = int(pending[2:], 16)
                if code > 0x7F or code not in _BASE64_CHARS:
                    raise MalformedResponse(f"unexpected character {pending!r} in base64 data")
                decoder.feed(bytes([code]))
                self._target_escape = b""
                return pos
        self._target_escape = pending
        return pos

    # -- the end ---------------------------------------------------------------------------

    def finish(self) -> ExtractedDocument:
        if self._state != self._OUTSIDE or self._escape or self._target_escape:
            raise MalformedResponse("response body ended in the middle of a string (truncated)")
        try:
            document = json.loads(bytes(self._skeleton))
        except (ValueError, UnicodeDecodeError) as exc:
            raise MalformedResponse(f"response body is not valid JSON: {exc}") from None
        return ExtractedDocument(
            document,
            self._found,
            self._bytes_written,
            self._written_each if self._sinks is not None else None,
        )


def extract_field(
    chunks: Iterable[bytes], field: str, sink: BinaryIO | None, *, max_skeleton: int = 4 << 20
) -> ExtractedDocument:
    """Run a whole iterable of body chunks through a :class:`JsonFieldExtractor`."""
    extractor = JsonFieldExtractor(field, sink, max_skeleton=max_skeleton)
    for chunk in chunks:
        if chunk:
            extractor.feed(chunk)
    return extractor.finish()
