"""Between the API and the database: connection check, account sync, add/delete, captcha keys."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple, TypeVar

from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from flowdash.accounts import alerts
from flowdash.accounts.connection import current_connection
from flowdash.accounts.models import (
    AccountSample,
    AccountSync,
    CaptchaProviderSnapshot,
    ConnectionCheck,
    FlowAccount,
)

if TYPE_CHECKING:
    from flowdash.useapi.client import UseapiClient
    from flowdash.useapi.types import Account, VideoModel

_Run = TypeVar("_Run", ConnectionCheck, AccountSync)


def _finish(run: _Run, **fields) -> _Run:
    """Close a connection check or an account sync with its outcome, in one UPDATE, and read
    it back."""
    type(run).objects.filter(pk=run.pk).update(finished_at=timezone.now(), **fields)
    run.refresh_from_db()
    return run


def check_connection(check: ConnectionCheck, client: UseapiClient | None) -> ConnectionCheck:
    """Call GET /accounts and record, in words, what happened."""
    from flowdash.useapi.errors import UseapiError

    status, message, count, http_status = ConnectionCheck.Status.FAILED, "", None, None
    if client is None:
        message = "No API token is configured. Enter one above, then test again."
    else:
        try:
            accounts = client.list_accounts()
        except UseapiError as exc:
            http_status = exc.status
            message = f"{check.base_url}: {exc.user_message}"
        else:
            count = len(accounts)
            status = ConnectionCheck.Status.OK
            noun = "Google account" if count == 1 else "Google accounts"
            message = f"OK — the API answered with {count} {noun}."
            if count == 0:
                message += " Add one on the Accounts page to start generating."
    return _finish(
        check, status=status, message=message, account_count=count, http_status=http_status
    )


# --- account sync ------------------------------------------------------------------------------


def _model_row(model: VideoModel) -> dict:
    return {
        "key": model.key,
        "display_name": model.display_name or model.key,
        "credit_cost": model.credit_cost,
        "generation_seconds": model.video_generation_time_seconds,
        "length_seconds": model.video_length_seconds,
        "aspect_ratios": [
            r.replace("VIDEO_ASPECT_RATIO_", "").lower() for r in model.supported_aspect_ratios
        ],
    }


def _finish_sync(sync: AccountSync, status: str, message: str, http_status=None, count=None):
    return _finish(
        sync, status=status, message=message, http_status=http_status, account_count=count
    )


def sync_accounts(client: UseapiClient | None, sync: AccountSync | None = None) -> AccountSync:
    """GET /accounts, then GET /accounts/{email} for each healthy one; store, badge, alert.

    Accounts no longer listed are marked removed (kept: jobs reference them).
    """
    from flowdash.useapi.errors import InvalidToken, UseapiError

    if sync is None:
        sync = AccountSync.objects.create(status=AccountSync.Status.RUNNING)
    if client is None:
        return _finish_sync(sync, AccountSync.Status.FAILED, "No API token is configured.")
    try:
        listed = client.list_accounts()
    except InvalidToken as exc:
        alerts.note_token_rejected()
        return _finish_sync(sync, AccountSync.Status.FAILED, exc.user_message, exc.status)
    except UseapiError as exc:
        message = exc.user_message
        return _finish_sync(sync, AccountSync.Status.FAILED, message, exc.status)
    alerts.note_token_accepted()
    now = timezone.now()  # one time for the whole run, so the chart has one point per sync
    seen: list[int] = []
    problems = 0
    for item in listed:
        if not item.email:
            continue
        account = sync_one_account(client, item, now)
        seen.append(account.pk)
        problems += bool(account.last_error)
    gone = FlowAccount.objects.present().exclude(pk__in=seen)
    for account in gone:
        if FlowAccount.objects.filter(pk=account.pk, removed_at__isnull=True).update(
            removed_at=timezone.now(), delete_requested_at=None
        ):
            alerts.resolve_alerts(account.email)
    count = len(seen)
    noun = "account" if count == 1 else "accounts"
    message = f"{count} {noun} synced."
    if problems:
        message += f" Details of {problems} could not be read; see each account."
    return _finish_sync(sync, AccountSync.Status.OK, message, 200, count)


def sync_one_account(client: UseapiClient, item: Account, now=None) -> FlowAccount:
    """Store one listed account, with its details when it is healthy."""
    from flowdash.useapi.errors import InvalidToken, SessionExpired, UseapiError

    now = now or timezone.now()
    account, _ = FlowAccount.objects.get_or_create(email=item.email)
    account.removed_at = None
    account.health = item.health or (item.error or "")
    if item.session_expires:
        account.session_expires_at = item.session_expires
    account.next_refresh_at = item.next_refresh
    account.api_created_at = item.created or account.api_created_at
    account.project_title = item.project_title or account.project_title
    account.last_error = ""
    _learn_sandbox_address(account)
    if item.is_healthy and not account.needs_full_email:
        try:
            detail = client.get_account(account.address)
        except SessionExpired as exc:
            account.last_error = exc.api_message or exc.user_message
        except InvalidToken as exc:
            alerts.note_token_rejected()
            account.last_error = exc.user_message
        except UseapiError as exc:
            account.last_error = exc.user_message
        else:
            if detail.health:
                account.health = detail.health
            if detail.credits is not None:
                account.credits = detail.credits.credits
                account.paygate_tier = detail.credits.user_paygate_tier or ""
            if detail.credits is not None or detail.video_models:
                account.video_models = [_model_row(m) for m in detail.video_models]
            account.session_expires_at = detail.session_expires or account.session_expires_at
            account.next_refresh_at = detail.next_refresh or account.next_refresh_at
            account.api_created_at = detail.created or account.api_created_at
    account.last_synced_at = now
    account.apply_state(now)
    account.save()
    AccountSample.objects.create(
        account=account, taken_at=now, state=account.state, credits=account.credits
    )
    alerts.reconcile_account_alerts(account)
    return account


def _learn_sandbox_address(account: FlowAccount) -> None:
    """In sandbox mode the simulator's own accounts are known: fill in their full addresses,
    so a newcomer's sandbox works without typing them (the real API lists masked addresses)."""
    if not account.needs_full_email or not current_connection().sandbox:
        return
    from flowdash.simulator.accounts import DEFAULT_ACCOUNTS

    for known in DEFAULT_ACCOUNTS:
        if FlowAccount.mask_matches(account.email, known["email"]):
            account.full_email = known["email"]
            return


# --- adding and deleting (POST /accounts is made inside the request: cookies never queue) ----


@dataclass(frozen=True)
class AddOutcome:
    ok: bool
    message: str
    status: int | None = None
    email: str | None = None


@sensitive_variables("cookies")
def add_account(client: UseapiClient | None, cookies: str, full_email: str = "") -> AddOutcome:
    """POST /accounts with the pasted cookies, answered in words. The cookies are not kept.

    ``full_email``, when given and matching the (masked) address the API answers with, is
    remembered so details and delete can address the account.
    """
    from flowdash.useapi.errors import (
        BadRequest,
        InvalidToken,
        PaymentRequired,
        RequestValidationError,
        UseapiError,
    )

    if client is None:
        return AddOutcome(False, "No API token is configured; enter one on the Settings page.")
    try:
        saved = client.add_account(cookies)
    except RequestValidationError as exc:
        return AddOutcome(False, f"Nothing was sent: {exc.user_message}")
    except BadRequest as exc:
        detail = exc.api_message or "the cookies were not accepted"
        return AddOutcome(
            False,
            f"The API refused the cookies (400): {detail}. Copy them again from a fresh sign-in.",
            400,
        )
    except PaymentRequired as exc:
        return AddOutcome(
            False,
            "The API answered 402: the useapi.net subscription is missing or expired, so no "
            "account can be added until it is renewed.",
            exc.status,
        )
    except InvalidToken as exc:
        alerts.note_token_rejected()
        return AddOutcome(False, exc.user_message, exc.status)
    except UseapiError as exc:
        return AddOutcome(False, exc.user_message, exc.status)
    alerts.note_token_accepted()
    who = saved.account.masked_email or saved.account.email or "the account"
    listed = saved.account.masked_email or saved.account.email
    if listed:
        remember_address(listed, full_email)
    if saved.is_new:
        return AddOutcome(
            True,
            f"Added {who} (201 Created). It appears below after the sync.",
            201,
            saved.account.email,
        )
    return AddOutcome(
        True,
        f"Updated the cookies of {who} (200 OK): it was already configured.",
        200,
        saved.account.email,
    )


def remember_address(listed: str, full_email: str) -> FlowAccount:
    """Make sure a row exists for ``listed`` and learn its full address when it matches."""
    account, _ = FlowAccount.objects.get_or_create(email=listed)
    if full_email and FlowAccount.mask_matches(listed, full_email):
        FlowAccount.objects.filter(pk=account.pk).update(full_email=full_email.strip().lower())
        account.refresh_from_db()
    return account


def delete_account(client: UseapiClient | None, account: FlowAccount) -> bool:
    """DELETE /accounts/{email}; the row is kept, marked removed. Returns True when removed."""
    from flowdash.useapi.errors import InvalidToken, NotFound, UseapiError

    if client is None:
        error = "No API token is configured."
    else:
        try:
            client.delete_account(account.address)
        except NotFound:
            error = ""  # already gone on useapi.net: the outcome we wanted
        except InvalidToken as exc:
            alerts.note_token_rejected()
            error = exc.user_message
        except UseapiError as exc:
            error = exc.user_message
        else:
            error = ""
    if error:
        FlowAccount.objects.filter(pk=account.pk).update(
            delete_requested_at=None, last_error=f"Delete failed: {error}"[:500]
        )
        return False
    FlowAccount.objects.filter(pk=account.pk).update(
        removed_at=timezone.now(), delete_requested_at=None
    )
    alerts.resolve_alerts(account.email)
    return True


# --- captcha providers (keys pass through, only the API's masked form is kept) ------------------


def refresh_captcha_providers(client: UseapiClient | None) -> CaptchaProviderSnapshot:
    from flowdash.useapi.errors import InvalidToken, UseapiError

    if client is None:
        return CaptchaProviderSnapshot.objects.create(error="No API token is configured.")
    try:
        providers = client.get_captcha_providers()
    except InvalidToken as exc:
        alerts.note_token_rejected()
        return CaptchaProviderSnapshot.objects.create(error=exc.user_message, http_status=401)
    except UseapiError as exc:
        return CaptchaProviderSnapshot.objects.create(
            error=exc.user_message, http_status=exc.status
        )
    alerts.note_token_accepted()
    return CaptchaProviderSnapshot.objects.create(
        masked_keys=providers.keys, free_credits=providers.free_captcha_credits
    )


@sensitive_variables("keys")
class KeysSaved(NamedTuple):
    ok: bool
    message: str
    read_back: bool = False  # the answer did not show the keys: read them back (a task)


def set_captcha_keys(client: UseapiClient | None, keys: dict[str, str]) -> KeysSaved:
    """POST /accounts/captcha-providers (inside the request: keys never queue). ``""`` removes."""
    from flowdash.useapi.errors import InvalidToken, RequestValidationError, UseapiError

    if client is None:
        return KeysSaved(False, "No API token is configured; enter one on the Settings page.")
    try:
        answer = client.set_captcha_providers(keys)
    except RequestValidationError as exc:
        return KeysSaved(False, f"Nothing was sent: {exc.user_message}")
    except InvalidToken as exc:
        alerts.note_token_rejected()
        return KeysSaved(False, exc.user_message)
    except UseapiError as exc:
        return KeysSaved(False, exc.user_message)
    alerts.note_token_accepted()
    read_back = False
    if answer.keys or answer.free_captcha_credits is not None or not answer.payload:
        CaptchaProviderSnapshot.objects.create(
            masked_keys=answer.keys, free_credits=answer.free_captcha_credits
        )
    else:  # an answer without the masked map: the caller has the worker read it back
        read_back = True
    names = ", ".join(keys)
    removed = [name for name, key in keys.items() if key == ""]
    if removed and len(removed) == len(keys):
        return KeysSaved(True, f"Removed the key of {names}.", read_back)
    return KeysSaved(
        True,
        f"Saved the key of {names}. Only its masked form is shown; it is not kept here.",
        read_back,
    )
