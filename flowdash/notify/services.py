"""Events, the outbox and sending.

* :func:`emit` — the one way an event comes to exist (idempotent by its key); it writes one
  delivery per interested target in the same transaction and nudges the worker after commit.
  Batches and spending limits (which do not exist yet) call it with their own kinds.
* :func:`scan` — beat's job: derives events from what the database already says (jobs that
  ended or need a decision, account alerts, captcha credits), so nothing in the job pipeline
  has to remember to notify, and a worker killed right after a job completed still yields
  exactly one event.
* :func:`deliver` — one delivery, claimed with a conditional update (never sent by two workers
  at once), through Apprise or as a signed JSON webhook; a failure is retried later with
  backoff, and raises an alert about the target; nothing else waits for it.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import random
import socket
import time
from datetime import timedelta
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from flowdash.lib import crypto
from flowdash.notify.models import (
    JOB_EVENTS,
    Choice,
    Delivery,
    Event,
    EventKind,
    ScanCursor,
    Target,
)

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Flowdash-Signature"
TIMESTAMP_HEADER = "X-Flowdash-Timestamp"
EVENT_HEADER = "X-Flowdash-Event"
DELIVERY_HEADER = "X-Flowdash-Delivery"

# Apprise schemes whose host is a server we connect to (the others name a fixed public service).
NETWORK_SCHEMES = frozenset(
    {
        "http",
        "https",
        "json",
        "jsons",
        "xml",
        "xmls",
        "form",
        "forms",
        "ntfy",
        "ntfys",
        "gotify",
        "gotifys",
        "apprise",
        "apprises",
        "mailto",
        "mailtos",
        "mmost",
        "mmosts",
        "rocket",
        "rockets",
        "matrix",
        "matrixs",
    }
)
DELIVER_TASK = "flowdash.notify.tasks.deliver_task"


def send_timeout() -> tuple[float, float]:
    """(connect, read) seconds for one webhook request."""
    return 3.05, float(getattr(settings, "FLOWDASH_NOTIFY_TIMEOUT_SECONDS", 10))


LEASE = timedelta(minutes=2)
RESCAN_OVERLAP = timedelta(minutes=2)  # transactions that commit after a scan are still seen
FIRST_SCAN_LOOKBACK = timedelta(minutes=5)
# Job events are derived for jobs created within this window (a job that ends later than this
# after it was created, e.g. a needs-attention job decided a week on, is not announced).
JOB_EVENT_WINDOW = timedelta(days=7)
# Rows a scan loads whole at a time (and event keys it looks up per query).
SCAN_BATCH = 200


# --- targets -----------------------------------------------------------------------------------


def allow_private() -> bool:
    return bool(getattr(settings, "FLOWDASH_NOTIFY_ALLOW_PRIVATE", False))


def _private(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return not ip.is_global or ip.is_multicast


def refusal(url: str, kind: str) -> str | None:
    """Why ``url`` may not be a target (a private or loopback address), or None."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return "That is not a URL."
    scheme = parts.scheme.lower()
    if kind == Target.Kind.WEBHOOK and scheme not in ("http", "https"):
        return "A JSON webhook needs an http:// or https:// URL."
    if kind == Target.Kind.APPRISE:
        import apprise

        if apprise.Apprise.instantiate(url, suppress_exceptions=True) is None:
            return "Apprise does not understand this URL (see its list of services)."
    if scheme not in NETWORK_SCHEMES or allow_private():
        return None
    host = parts.hostname or ""
    if not host:
        return None
    if host in ("localhost",) or host.endswith(".localhost"):
        return "Loopback addresses are refused (an admin can allow private targets in settings)."
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except (socket.gaierror, UnicodeError):
        return None  # not resolvable here: sending will say so
    if any(_private(a.split("%")[0]) for a in addresses):
        return (
            f"{host} is a loopback or private address; such targets are refused unless an "
            "admin allows private targets in settings (FLOWDASH_NOTIFY_ALLOW_PRIVATE)."
        )
    return None


# --- events ------------------------------------------------------------------------------------


def _choices() -> list[Choice]:
    return list(Choice.objects.select_related("target").filter(target__enabled=True))


def _interested(kind: str, owner_id: int | None, choices: list[Choice] | None = None):
    """The enabled targets that want this event (``choices``: read once for many events)."""
    if kind == EventKind.TEST:
        return []
    targets: dict[int, Target] = {}
    for choice in _choices() if choices is None else choices:
        if choice.wants(kind, owner_id):
            targets[choice.target_id] = choice.target
    return list(targets.values())


def _event(kind, key, title, message, payload, owner_id) -> Event:
    return Event(
        kind=kind,
        key=key,
        owner_id=owner_id,
        title=title[:300],
        message=message,
        payload=payload or {},
    )


def emit(
    kind: str,
    key: str,
    title: str,
    message: str,
    payload: dict | None = None,
    owner=None,
    targets: list[Target] | None = None,
) -> Event | None:
    """Record an event once (None when its key already exists) with its deliveries."""
    owner_id = getattr(owner, "pk", owner)
    try:
        with transaction.atomic():
            event = _event(kind, key, title, message, payload, owner_id)
            event.save(force_insert=True)
            chosen = targets if targets is not None else _interested(kind, owner_id)
            now = timezone.now()
            deliveries = [
                Delivery(event=event, target=t, next_attempt_at=now, queued_at=now) for t in chosen
            ]
            Delivery.objects.bulk_create(deliveries)
            ids = list(Delivery.objects.filter(event=event).values_list("pk", flat=True))
            transaction.on_commit(lambda: nudge(ids))
    except IntegrityError:
        return None
    return event


def emit_many(specs: list[tuple]) -> int:
    """Record many events at once, each ``(kind, key, title, message, payload, owner_id)``,
    with their deliveries: one transaction and a few statements for them all (one write
    transaction per event made a scan of bench/scale.py's 5,000 videos take 27 s on average,
    93 s at worst). A key already recorded is skipped, as by :func:`emit`; should
    another process record one of them meanwhile, they are recorded one at a time instead.
    Returns how many were recorded."""
    if not specs:
        return 0
    try:
        with transaction.atomic():
            keys = [spec[1] for spec in specs]
            taken = set(Event.objects.filter(key__in=keys).values_list("key", flat=True))
            fresh = {}
            for kind, key, title, message, payload, owner_id in specs:
                if key not in taken and key not in fresh:
                    fresh[key] = _event(kind, key, title, message, payload, owner_id)
            events = Event.objects.bulk_create(list(fresh.values()))
            if events and events[0].pk is None:  # a database that does not return new ids
                ids = dict(Event.objects.filter(key__in=list(fresh)).values_list("key", "pk"))
                for event in events:
                    event.pk = ids[event.key]
            choices = _choices()
            now = timezone.now()
            deliveries = Delivery.objects.bulk_create(
                [
                    Delivery(event=event, target=target, next_attempt_at=now, queued_at=now)
                    for event in events
                    for target in _interested(event.kind, event.owner_id, choices)
                ]
            )
            if deliveries:
                made = set(Delivery.objects.filter(event__in=events).values_list("pk", flat=True))
                transaction.on_commit(lambda: nudge(sorted(made)))
    except IntegrityError:
        return sum(bool(emit(*spec[:5], owner=spec[5])) for spec in specs)
    return len(events)


def nudge(delivery_ids: list[int]) -> None:
    """Ask the worker to send these deliveries (best effort: the scan sends what is lost)."""
    from flowdash.celery import app

    for pk in delivery_ids:
        try:
            app.send_task(DELIVER_TASK, args=[pk], expires=600)
        except Exception:  # noqa: BLE001 — the broker is away; the scan re-sends it
            logger.warning("could not enqueue notification delivery %s", pk)
            return


def _public_url(path: str) -> str:
    base = getattr(settings, "PUBLIC_URL", "") or ""
    return f"{base}{path}" if base else path


def _job_payload(job) -> dict:
    return {
        "id": job.pk,
        "uuid": str(job.uuid),
        "kind": job.kind,
        "status": job.status,
        "prompt": (job.params or {}).get("prompt") or "",
        "error_message": job.error_message,
        "attention_reason": job.attention_reason,
        "requested_by": job.requested_by.username if job.requested_by_id else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "media": sorted(m.pk for m in job.media.all()),
        "url": _public_url(f"/jobs/{job.pk}/"),
        "api_url": _public_url(f"/api/v1/jobs/{job.pk}"),
    }


def _job_event(job) -> tuple[str, str, str, str] | None:
    """(kind, key, title, message) for a job in an end state or needing a decision."""
    what = f"{job.get_kind_display()} job #{job.pk}"
    prompt = ((job.params or {}).get("prompt") or "").strip()
    about = f": “{prompt[:80]}”" if prompt else ""
    key = _job_event_key(job.pk, job.status, job.submit_attempts)
    if job.status == job.Status.COMPLETED:
        return EventKind.JOB_COMPLETED, key, f"{what} is done", f"Done{about}"
    if job.status == job.Status.FAILED:
        reason = job.error_message or "no reason given"
        return EventKind.JOB_FAILED, key, f"{what} failed", reason
    if job.status == job.Status.NEEDS_ATTENTION:
        return (
            EventKind.JOB_NEEDS_ATTENTION,
            key,
            f"{what} needs a decision",
            job.attention_reason or "Its outcome is unknown: submit again or give up.",
        )
    return None


def _job_event_key(pk: int, status: str, submit_attempts: int) -> str:
    """The key of a job's event in ``status`` (an end state or needing a decision): a job is
    announced once per state, and once per submission when it needs a decision."""
    from flowdash.jobs.models import Job

    if status == Job.Status.NEEDS_ATTENTION:
        return f"job:{pk}:needs_attention:{submit_attempts}"
    return f"job:{pk}:{status}"


ALERT_EVENTS = {
    "session_expired": EventKind.SESSION_EXPIRED,
    "low_credits": EventKind.LOW_CREDITS,
    "token_rejected": EventKind.TOKEN_REJECTED,
}


def _cursor(name: str, now) -> ScanCursor:
    cursor, _ = ScanCursor.objects.get_or_create(
        name=name, defaults={"at": now - FIRST_SCAN_LOOKBACK}
    )
    return cursor


def scan_jobs(now=None) -> int:
    from flowdash.jobs.models import Job

    now = now or timezone.now()
    cursor = _cursor("jobs", now)
    statuses = [Job.Status.COMPLETED, Job.Status.FAILED, Job.Status.NEEDS_ATTENTION]
    # Every scan looks RESCAN_OVERLAP back, so a burst of thousands of finished jobs is seen
    # by many scans: they read only ids and states to tell which events are new, and load
    # whole rows (with their media) only for those, a batch at a time (loading every row of
    # the window each time made a worker's memory grow with the jobs in flight).
    rows = (
        Job.objects.filter(created_at__gte=cursor.at - JOB_EVENT_WINDOW)  # on an index
        .filter(status__in=statuses, updated_at__gte=cursor.at - RESCAN_OVERLAP)
        .values_list("pk", "status", "submit_attempts")
    )
    keys = {pk: _job_event_key(pk, status, tries) for pk, status, tries in rows}
    known: set[str] = set()
    wanted = list(keys.values())
    for start in range(0, len(wanted), SCAN_BATCH):
        batch = wanted[start : start + SCAN_BATCH]
        known.update(Event.objects.filter(key__in=batch).values_list("key", flat=True))
    new = [pk for pk, key in keys.items() if key not in known]
    made = 0
    for start in range(0, len(new), SCAN_BATCH):
        jobs = (
            Job.objects.select_related("requested_by")
            .prefetch_related("media")
            .filter(pk__in=new[start : start + SCAN_BATCH], status__in=statuses)
        )
        specs = []
        for job in jobs:
            spec = _job_event(job)
            if spec:  # recorded once by its key, should the job have moved on meanwhile
                kind, key, title, message = spec
                payload = {"event": kind, "job": _job_payload(job)}
                specs.append((kind, key, title, message, payload, job.requested_by_id))
        made += emit_many(specs)
    ScanCursor.objects.filter(pk=cursor.pk).update(at=now)
    return made


def scan_alerts(now=None) -> int:
    from flowdash.accounts.models import Alert

    now = now or timezone.now()
    cursor = _cursor("alerts", now)
    alerts = Alert.objects.filter(
        raised_at__gte=cursor.at - RESCAN_OVERLAP, kind__in=list(ALERT_EVENTS)
    )
    made = 0
    for alert in alerts:
        kind = ALERT_EVENTS[alert.kind]
        payload = {
            "event": kind,
            "alert": {
                "id": alert.pk,
                "kind": alert.kind,
                "subject": alert.subject,
                "message": alert.message,
                "raised_at": alert.raised_at.isoformat(),
            },
        }
        title = f"{alert.get_kind_display()}: {alert.subject}"
        made += bool(emit(kind, f"alert:{alert.pk}", title, alert.message, payload))
    ScanCursor.objects.filter(pk=cursor.pk).update(at=now)
    return made


def scan_captcha(now=None) -> int:
    """Captcha free credits crossing below the threshold (FLOWDASH_CAPTCHA_CREDIT_ALERT)."""
    from flowdash.accounts.models import CaptchaProviderSnapshot

    now = now or timezone.now()
    threshold = int(getattr(settings, "FLOWDASH_CAPTCHA_CREDIT_ALERT", 50))
    cursor = _cursor("captcha", now)
    made = 0
    snapshots = CaptchaProviderSnapshot.objects.filter(
        taken_at__gte=cursor.at - RESCAN_OVERLAP, free_credits__isnull=False
    ).order_by("taken_at", "pk")
    for snap in snapshots:
        if snap.free_credits >= threshold:
            continue
        before = (
            CaptchaProviderSnapshot.objects.filter(free_credits__isnull=False, pk__lt=snap.pk)
            .order_by("-pk")
            .first()
        )
        if before is not None and before.free_credits < threshold:
            continue  # already below: told when it crossed
        message = f"{snap.free_credits} free captcha credits left (alert below {threshold})."
        payload = {"event": EventKind.CAPTCHA_CREDITS_LOW, "free_credits": snap.free_credits}
        made += bool(
            emit(
                EventKind.CAPTCHA_CREDITS_LOW,
                f"captcha:{snap.pk}",
                "Captcha credits running out",
                message,
                payload,
            )
        )
    ScanCursor.objects.filter(pk=cursor.pk).update(at=now)
    return made


def scan(now=None) -> int:
    """Derive every kind of event from the database, then nudge deliveries that are due."""
    now = now or timezone.now()
    made = scan_jobs(now) + scan_alerts(now) + scan_captcha(now)
    nudge(due_deliveries(now))
    return made


def due_deliveries(now=None, limit: int = 200) -> list[int]:
    """Deliveries to nudge: due and not nudged in the last minute, or with an expired lease."""
    now = now or timezone.now()
    stale_nudge = now - timedelta(seconds=60)
    due = Delivery.objects.filter(
        Q(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
        & (Q(queued_at__isnull=True) | Q(queued_at__lt=stale_nudge))
    ) | Delivery.objects.filter(status=Delivery.Status.SENDING, claimed_until__lt=now)
    ids = []
    for pk in due.values_list("pk", flat=True)[:limit]:
        moved = (
            Delivery.objects.filter(pk=pk)
            .filter(Q(status=Delivery.Status.PENDING) | Q(claimed_until__lt=now))
            .update(queued_at=now)
        )
        if moved:
            ids.append(pk)
    return ids


# --- sending -----------------------------------------------------------------------------------


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The value of X-Flowdash-Signature: HMAC-SHA256 over "<timestamp>.<body>"."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def webhook_body(event: Event, delivery: Delivery) -> bytes:
    document = {
        "id": event.pk,
        "delivery": delivery.pk,
        "event": event.kind,
        "title": event.title,
        "message": event.message,
        "created_at": event.created_at.isoformat(),
        **{k: v for k, v in (event.payload or {}).items() if k != "event"},
    }
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


class SendFailed(Exception):
    pass


def _send_webhook(target: Target, event: Event, delivery: Delivery) -> None:
    reason = refusal(target.url, target.kind)
    if reason:
        raise SendFailed(reason)
    body = webhook_body(event, delivery)
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "flowdash-notify",
        EVENT_HEADER: event.kind,
        DELIVERY_HEADER: str(delivery.pk),
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(target.secret, timestamp, body),
    }
    try:
        response = requests.post(
            target.url, data=body, headers=headers, timeout=send_timeout(), allow_redirects=False
        )
    except requests.Timeout:
        raise SendFailed("The webhook did not answer in time.") from None
    except requests.RequestException as exc:
        raise SendFailed(f"Could not reach the webhook ({type(exc).__name__}).") from None
    if not 200 <= response.status_code < 300:
        raise SendFailed(f"The webhook answered HTTP {response.status_code}.")


def _send_apprise(target: Target, event: Event) -> None:
    import apprise

    url = target.url
    reason = refusal(url, target.kind)
    if reason:
        raise SendFailed(reason)
    notifier = apprise.Apprise()
    if not notifier.add(url):
        raise SendFailed("Apprise does not understand this URL.")
    with apprise.LogCapture(level=logging.WARNING) as captured:
        ok = notifier.notify(title=event.title, body=event.message)
    if not ok:
        text = (captured.getvalue() or "").strip().splitlines()
        detail = text[-1][:200] if text else "no reason given"
        raise SendFailed(f"Apprise could not deliver: {detail.replace(url, '(the URL)')}")


def backoff(attempts: int) -> timedelta:
    base = min(15 * 2 ** max(attempts - 1, 0), 1800)
    return timedelta(seconds=base * random.uniform(0.8, 1.2))  # noqa: S311


def deadline() -> timedelta:
    return timedelta(hours=float(getattr(settings, "FLOWDASH_NOTIFY_DEADLINE_HOURS", 24)))


def deliver(delivery_id: int, now=None) -> str | None:
    """Send one delivery if it is due and nobody else holds it; returns its new status."""
    now = now or timezone.now()
    claim = Delivery.objects.filter(pk=delivery_id).filter(
        Q(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
        | Q(status=Delivery.Status.SENDING, claimed_until__lt=now)
    )
    claimed = claim.update(
        status=Delivery.Status.SENDING, claimed_until=now + LEASE, attempts=F("attempts") + 1
    )
    if not claimed:
        return None
    delivery = Delivery.objects.select_related("event", "target").get(pk=delivery_id)
    target, event = delivery.target, delivery.event
    try:
        if not target.enabled:
            raise SendFailed("The target is disabled.")
        if target.kind == Target.Kind.WEBHOOK:
            _send_webhook(target, event, delivery)
        else:
            _send_apprise(target, event)
    except crypto.InvalidToken:
        message = "The stored URL cannot be read: the encryption key changed. Add it again."
        return _failed(delivery, target, message, now)
    except Exception as exc:  # noqa: BLE001 — any failure is this target's, never the caller's
        message = str(exc) if isinstance(exc, SendFailed) else f"{type(exc).__name__}"
        return _failed(delivery, target, message, now)
    sent_at = timezone.now()
    Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.SENDING).update(
        status=Delivery.Status.SENT, sent_at=sent_at, last_error="", claimed_until=None
    )
    Target.objects.filter(pk=target.pk).update(
        last_sent_at=sent_at, last_error="", failing_since=None
    )
    _resolve_alert(target)
    return Delivery.Status.SENT


def _failed(delivery: Delivery, target: Target, message: str, now) -> str:
    give_up = now - delivery.created_at > deadline() or not target.enabled
    status = Delivery.Status.FAILED if give_up else Delivery.Status.PENDING
    Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.SENDING).update(
        status=status,
        last_error=message[:500],
        next_attempt_at=None if give_up else now + backoff(delivery.attempts),
        claimed_until=None,
        queued_at=None,
    )
    Target.objects.filter(pk=target.pk).update(last_error=message[:500])
    Target.objects.filter(pk=target.pk, failing_since__isnull=True).update(failing_since=now)
    logger.warning("notification to target %s failed: %s", target.pk, message)
    _raise_alert(target, message)
    return status


def _raise_alert(target: Target, message: str) -> None:
    from flowdash.accounts.alerts import raise_alert
    from flowdash.accounts.models import Alert

    raise_alert(
        Alert.Kind.NOTIFY_FAILED,
        target.alert_subject,
        f"Notifications to “{target.name}” are failing: {message} They are retried later.",
    )


def _resolve_alert(target: Target) -> None:
    from flowdash.accounts.alerts import resolve_alerts
    from flowdash.accounts.models import Alert

    resolve_alerts(target.alert_subject, kinds=[Alert.Kind.NOTIFY_FAILED])


def send_test(target: Target, user) -> Event | None:
    """A test message to one target, sent by the worker like any other."""
    return emit(
        EventKind.TEST,
        f"test:{target.pk}:{time.time_ns()}",
        "flowdash test message",
        f"{user.get_username()} sent this test from flowdash. If you read it, “{target.name}” works.",
        {"event": EventKind.TEST},
        owner=user,
        targets=[target],
    )


__all__ = ["JOB_EVENTS", "deliver", "emit", "refusal", "scan", "send_test", "sign"]
