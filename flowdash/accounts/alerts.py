"""Alerts for admins: raised once per ongoing condition, resolved when the condition clears.

One open alert per (kind, subject) is enforced by a partial unique constraint, so two workers
noticing the same condition at once still make one alert.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from flowdash.accounts.models import Alert, FlowAccount
from flowdash.useapi.errors import InvalidToken

logger = logging.getLogger(__name__)

# Alerts raised longer ago than this are not emailed any more (e.g. email was set up later).
ALERT_EMAIL_WINDOW = timedelta(days=1)


def raise_alert(kind: str, subject: str, message: str, account: FlowAccount | None = None):
    """Open an alert unless one is already open for this condition; returns the new one or None."""
    if Alert.objects.open().filter(kind=kind, subject=subject).exists():
        return None
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                kind=kind, subject=subject, message=message, account=account
            )
    except IntegrityError:  # someone else opened it a moment ago
        return None
    return alert  # its email goes out with the next send_pending_alert_emails()


def resolve_alerts(subject: str, kinds=None, keep=()) -> int:
    """Resolve the open alerts of ``subject`` (of ``kinds``, all by default) except ``keep``."""
    qs = Alert.objects.open().filter(subject=subject)
    if kinds is not None:
        qs = qs.filter(kind__in=list(kinds))
    if keep:
        qs = qs.exclude(kind__in=list(keep))
    return qs.update(resolved_at=timezone.now())


def acknowledge(alert_id: int, user) -> bool:
    return bool(
        Alert.objects.filter(pk=alert_id, acknowledged_at__isnull=True).update(
            acknowledged_at=timezone.now(), acknowledged_by=user
        )
    )


def note_token_rejected() -> None:
    raise_alert(
        Alert.Kind.TOKEN_REJECTED,
        Alert.TOKEN_SUBJECT,
        InvalidToken.default_user_message,
    )


def note_token_accepted() -> None:
    resolve_alerts(Alert.TOKEN_SUBJECT, kinds=[Alert.Kind.TOKEN_REJECTED])


def account_conditions(account: FlowAccount) -> dict[str, str]:
    """The alert kinds an account's current figures call for, with their messages."""
    if account.is_removed:
        return {}
    found: dict[str, str] = {}
    if account.state == FlowAccount.State.SESSION_EXPIRED:
        found[Alert.Kind.SESSION_EXPIRED] = (
            f"{account.email}: the Google session expired and could not be refreshed. "
            "Re-add the account with fresh cookies."
        )
    elif account.state == FlowAccount.State.ERROR:
        found[Alert.Kind.UNHEALTHY] = f"{account.email} is unhealthy: {account.health}"
    if account.credits_low:
        found[Alert.Kind.LOW_CREDITS] = (
            f"{account.email} has {account.credits} credits left "
            f"(alert threshold {getattr(settings, 'FLOWDASH_CREDIT_ALERT_THRESHOLD', 100)})."
        )
    return found


def reconcile_account_alerts(account: FlowAccount) -> None:
    """Raise the alerts the account's state calls for and resolve the ones that cleared."""
    wanted = account_conditions(account)
    resolve_alerts(account.email, keep=wanted.keys())
    for kind, message in wanted.items():
        raise_alert(kind, account.email, message, account=account)


# --- email -------------------------------------------------------------------------------------


def email_configured() -> bool:
    """True when Django's email was set up: another backend than SMTP, or a real SMTP host."""
    backend = getattr(settings, "EMAIL_BACKEND", "")
    if backend != "django.core.mail.backends.smtp.EmailBackend":
        return True
    return getattr(settings, "EMAIL_HOST", "localhost") not in ("", "localhost")


def alert_recipients() -> list[str]:
    from django.contrib.auth import get_user_model

    from flowdash.team.roles import ADMIN

    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    admins = users.filter(is_superuser=True) | users.filter(groups__name=ADMIN)
    emails = {u.email for u in admins.distinct()}
    emails.update(email for _, email in getattr(settings, "ADMINS", []))
    return sorted(emails)


def send_pending_alert_emails(limit: int = 50) -> int:
    """Email the admins about every open alert not emailed yet (a worker's loop over the rows,
    so raising an alert never waits for a mail server). Each alert is claimed by a conditional
    update first: two workers never send one twice. Returns how many emails went out."""
    if not email_configured():
        return 0
    since = timezone.now() - ALERT_EMAIL_WINDOW  # older ones were raised before email was set
    sent = 0
    pending = Alert.objects.open().filter(emailed_at__isnull=True, raised_at__gte=since)
    for alert in pending.order_by("raised_at", "pk")[:limit]:
        claimed = Alert.objects.filter(pk=alert.pk, emailed_at__isnull=True).update(
            emailed_at=timezone.now()
        )
        if claimed:
            sent += send_alert_email(alert)
    return sent


def send_alert_email(alert: Alert) -> int:
    """Email the admins about an alert; quietly does nothing when email is not configured."""
    from django.core.mail import send_mail

    recipients = alert_recipients()
    if not email_configured() or not recipients:
        return 0
    try:
        return send_mail(
            f"[flowdash] {alert.get_kind_display()}: {alert.subject}",
            f"{alert.message}\n\nRaised {alert.raised_at:%Y-%m-%d %H:%M} UTC. "
            "It resolves itself when the condition clears.",
            None,
            recipients,
            fail_silently=True,
        )
    except Exception:  # never let email trouble break a sync
        logger.warning("could not send the alert email for alert %s", alert.pk)
        return 0
