"""Client of the useapi.net Google Flow API v1 — the only code that speaks HTTP to useapi.net."""

from flowdash.useapi.client import DEFAULT_BASE_URL, DEFAULT_USER_AGENT, Timeouts, UseapiClient

__all__ = ["DEFAULT_BASE_URL", "DEFAULT_USER_AGENT", "Timeouts", "UseapiClient"]
