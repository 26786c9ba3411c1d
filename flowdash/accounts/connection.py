"""Which API flowdash talks to, with which token: the real service or the sandbox simulator."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlparse

from django.conf import settings
from django.core.cache import cache

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


@dataclass(frozen=True)
class Connection:
    base_url: str
    token: str | None
    token_source: str  # "environment", "settings page", "sandbox" or "none"
    sandbox: bool

    @property
    def is_simulator(self) -> bool:
        """True only when the simulator is what answers, so nothing can cost credits: sandbox
        mode, or the simulator's own token sent to a loopback address.

        A loopback base URL alone proves nothing (a local proxy in front of useapi.net is
        loopback too): with a real token the banner saying "nothing here costs credits" would lie.
        """
        if self.sandbox:
            return True
        return (
            bool(self.token)
            and self.token == settings.FLOWDASH_SIM_TOKEN
            and urlparse(self.base_url).hostname in LOOPBACK_HOSTS
        )


MASKED_TOKEN_KEY = "accounts:masked-token"  # noqa: S105 - a cache key, not a secret
MASKED_TOKEN_TTL = 30  # seconds; saving or removing the token clears it at once (signals below)


def stored_token(*, reveal: bool = True) -> str | None:
    """The token saved on the Settings page; with ``reveal=False`` only its masked form.

    The masked form is what every page's banner shows, so it is kept in the cache (never the
    token itself): one query fewer per page. ``""`` in the cache means "no token saved".
    """
    from flowdash.accounts.models import ApiToken

    if not reveal:
        masked = cache.get(MASKED_TOKEN_KEY)
        if masked is None:
            row = ApiToken.objects.filter(pk=1).only("masked").first()
            masked = row.masked if row else ""
            cache.set(MASKED_TOKEN_KEY, masked, MASKED_TOKEN_TTL)
        return masked or None
    row = ApiToken.objects.filter(pk=1).first()
    return row.reveal() if row else None


def forget_masked_token(**_kwargs) -> None:
    """Signal receiver: the saved token changed or went; the next page reads it again."""
    cache.delete(MASKED_TOKEN_KEY)


def current_connection(*, reveal: bool = True) -> Connection:
    """The API flowdash talks to now.

    ``reveal=False`` is for display (every page's sandbox banner): the token is then the masked
    form, never decrypted, and must not be used to call the API.
    """
    sandbox = settings.FLOWDASH_SANDBOX
    if sandbox:  # switched on explicitly: no token is needed, none is read
        return Connection(settings.SANDBOX_BASE_URL, settings.FLOWDASH_SIM_TOKEN, "sandbox", True)
    token, source = settings.USEAPI_TOKEN, "environment"
    if not token:
        token, source = stored_token(reveal=reveal), "settings page"
    if sandbox is None and not token:
        return Connection(settings.SANDBOX_BASE_URL, settings.FLOWDASH_SIM_TOKEN, "sandbox", True)
    if not token:
        return Connection(settings.USEAPI_BASE_URL, None, "none", False)
    return Connection(settings.USEAPI_BASE_URL, token, source, False)


_clients: dict[tuple[str, str, str | None], object] = {}


def build_client(connection: Connection | None = None):
    """The API client for the current connection (one pooled client per base URL and token)."""
    from flowdash.useapi.client import UseapiClient

    connection = connection or current_connection()
    if not connection.token:
        return None
    # The real service speaks today's API; the sandbox simulator the era it was started in.
    era = settings.FLOWDASH_SIM_API if connection.is_simulator else None
    key = (connection.base_url, connection.token, era)
    client = _clients.get(key)
    if client is None:
        client = _clients[key] = UseapiClient(connection.base_url, connection.token, era=era)
    return client
