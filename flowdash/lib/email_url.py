"""EMAIL_URL → Django email settings: ``smtp://user:password@host:587?tls=1`` (or ``smtps://``
for implicit TLS, ``console://`` to print mails). Unset: email stays off (alerts are in-app)."""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlparse

from flowdash.lib.env import ConfigError

BACKENDS = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "smtps": "django.core.mail.backends.smtp.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
}


def email_settings(url: str) -> dict:
    parsed = urlparse(url)
    if parsed.scheme not in BACKENDS:
        raise ConfigError("EMAIL_URL", f"must start with {', '.join(s + '://' for s in BACKENDS)}")
    result: dict = {"EMAIL_BACKEND": BACKENDS[parsed.scheme]}
    if parsed.scheme == "console":
        return result
    if not parsed.hostname:
        raise ConfigError(
            "EMAIL_URL", "has no host, e.g. smtp://user:password@mail.example.com:587"
        )
    query = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
    try:
        port = parsed.port
    except ValueError as exc:
        raise ConfigError("EMAIL_URL", "has a port that is not a number") from exc
    result.update(
        EMAIL_HOST=parsed.hostname,
        EMAIL_PORT=port or (465 if parsed.scheme == "smtps" else 587),
        EMAIL_HOST_USER=unquote(parsed.username or ""),
        EMAIL_HOST_PASSWORD=unquote(parsed.password or ""),
        EMAIL_USE_SSL=parsed.scheme == "smtps",
        EMAIL_USE_TLS=parsed.scheme == "smtp" and query.get("tls", "1") not in ("0", "false"),
        EMAIL_TIMEOUT=10,
    )
    return result
