"""Keep secrets out of logs: the useapi token, bearer headers and URL signatures."""

from __future__ import annotations

import logging
import re

_PATTERNS = [
    (re.compile(r"(Bearer\s+)[^\s'\"]+", re.I), r"\1[redacted]"),
    (re.compile(r"user:\d+-[A-Za-z0-9_\-]+"), "user:[redacted]"),
    (
        re.compile(r"([?&](?:Signature|sig|token|Expires|X-Goog-Signature)=)[^&\s'\"]+", re.I),
        r"\1[redacted]",
    ),
]


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactSecretsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
