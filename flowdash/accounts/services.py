"""Between the API and the database for API access: the connection check."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils import timezone

from flowdash.accounts.models import ConnectionCheck

if TYPE_CHECKING:
    from flowdash.useapi.client import UseapiClient


def check_connection(check: ConnectionCheck, client: UseapiClient | None) -> ConnectionCheck:
    """Call GET /accounts and record, in words, what happened."""
    from flowdash.useapi.errors import ConnectionFailed, InvalidToken, UseapiError

    status, message, count, http_status = ConnectionCheck.Status.FAILED, "", None, None
    if client is None:
        message = "No API token is configured. Enter one above, then test again."
    else:
        try:
            accounts = client.list_accounts()
        except InvalidToken as exc:
            http_status = exc.status
            message = "The API answered 401: the token is not valid. Check it and save it again."
        except ConnectionFailed:
            message = f"Could not reach {check.base_url}: the host is unreachable."
        except UseapiError as exc:
            http_status = exc.status
            message = f"The API answered with an error: {exc.user_message}"
        else:
            count = len(accounts)
            status = ConnectionCheck.Status.OK
            noun = "Google account" if count == 1 else "Google accounts"
            message = f"OK — the API answered with {count} {noun}."
            if count == 0:
                message += " Add one on the Accounts page to start generating."
    ConnectionCheck.objects.filter(pk=check.pk).update(
        status=status,
        message=message,
        account_count=count,
        http_status=http_status,
        finished_at=timezone.now(),
    )
    check.refresh_from_db()
    return check
