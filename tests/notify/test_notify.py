"""Notification targets, choices, events and the outbox, with a real local HTTP receiver.

(The worker and beat running these end to end: tests/integration/test_notifications.py.)
"""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db.models import Count
from django.utils import timezone

from flowdash.accounts.models import Alert, CaptchaProviderSnapshot
from flowdash.jobs.models import Job
from flowdash.notify import services
from flowdash.notify.models import Choice, Delivery, Event, EventKind, Target

pytestmark = pytest.mark.django_db


class Receiver:
    """127.0.0.1 HTTP server: answers ``status`` after ``delay`` seconds, keeps what it got."""

    def __init__(self, status: int = 200, delay: float = 0.0) -> None:
        self.status, self.delay, self.received = status, delay, []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.received.append((dict(self.headers.items()), body, self.path))
                time.sleep(outer.delay)
                self.send_response(outer.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receivers(settings):
    settings.FLOWDASH_NOTIFY_ALLOW_PRIVATE = True
    made = []

    def make(**kwargs) -> Receiver:
        made.append(Receiver(**kwargs))
        return made[-1]

    yield make
    for r in made:
        r.stop()


def webhook(url: str, name: str = "hook", secret: str = "s3cret") -> Target:
    target = Target(name=name, kind=Target.Kind.WEBHOOK)
    target.set_url(url)
    target.set_secret(secret)
    target.save()
    return target


def choose(user, target, kinds, scope=Choice.Scope.OWN) -> Choice:
    return Choice.objects.create(user=user, target=target, kinds=list(kinds), job_scope=scope)


def completed_job(user) -> Job:
    job = Job.objects.create(kind="image", params={"prompt": "a fox"}, requested_by=user)
    job.move(Job.Status.QUEUED, Job.Status.SUBMITTING)
    job.move(Job.Status.SUBMITTING, Job.Status.COMPLETED)
    return job


# --- targets -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "https://localhost/x",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/",
        "http://[::1]/x",
        "http://169.254.169.254/latest/meta-data",
    ],
)
def test_loopback_and_private_webhooks_are_refused_unless_allowed(settings, url):
    settings.FLOWDASH_NOTIFY_ALLOW_PRIVATE = False
    assert "refused" in services.refusal(url, Target.Kind.WEBHOOK)
    settings.FLOWDASH_NOTIFY_ALLOW_PRIVATE = True
    assert services.refusal(url, Target.Kind.WEBHOOK) is None


def test_apprise_urls_are_checked_by_apprise_and_for_private_hosts(settings):
    settings.FLOWDASH_NOTIFY_ALLOW_PRIVATE = False
    assert services.refusal("json://127.0.0.1:8080/hook", Target.Kind.APPRISE)
    assert services.refusal("ntfys://192.168.1.4/topic", Target.Kind.APPRISE)
    assert "Apprise does not understand" in services.refusal("nope://x", Target.Kind.APPRISE)
    assert services.refusal("discord://1234567890/abcdefghijklmnop", Target.Kind.APPRISE) is None
    assert services.refusal("ftp://example.com/x", Target.Kind.WEBHOOK)


def test_admins_add_targets_stored_encrypted_and_shown_masked(admin_client, settings):
    settings.FLOWDASH_NOTIFY_ALLOW_PRIVATE = False
    url = "discord://1234567890/secret-webhook-token-abcdef"
    page = admin_client.post(
        "/notifications/targets/", {"name": "team chat", "kind": "apprise", "url": url}
    )
    assert page.status_code == 200
    target = Target.objects.get()
    assert url not in target.url_encrypted and target.url == url
    assert "secret-webhook-token" not in page.content.decode()
    assert target.masked_url in page.content.decode()

    refused = admin_client.post(
        "/notifications/targets/",
        {"name": "local", "kind": "webhook", "url": "http://127.0.0.1:8000/x"},
    )
    assert refused.status_code == 400 and Target.objects.count() == 1

    made = admin_client.post(
        "/notifications/targets/",
        {"name": "build server", "kind": "webhook", "url": "https://93.184.215.14/hook"},
    )
    hook = Target.objects.get(name="build server")
    assert hook.secret and hook.secret in made.content.decode()  # shown once…
    assert hook.secret not in hook.secret_encrypted
    assert hook.secret not in admin_client.get("/notifications/targets/").content.decode()


def test_only_admins_manage_targets(client, creator_user):
    client.force_login(creator_user)
    assert client.get("/notifications/targets/").status_code == 403
    assert client.get("/notifications/").status_code == 200


def test_people_choose_events_per_target(client, creator_user):
    target = webhook("https://93.184.215.14/hook")
    client.force_login(creator_user)
    answer = client.post(
        "/notifications/",
        {
            "target": target.pk,
            f"t{target.pk}-kinds": ["job_completed", "job_failed"],
            f"t{target.pk}-job_scope": "all",
        },
    )
    assert answer.status_code == 302
    choice = Choice.objects.get(user=creator_user)
    assert choice.kinds == ["job_completed", "job_failed"] and choice.job_scope == "all"
    for bad in ("²", str(2**64), ""):
        assert client.post("/notifications/", {"target": bad}).status_code == 404


# --- events ------------------------------------------------------------------------------------


def test_job_events_reach_only_those_who_chose_them(make_user):
    ann, ben, cat = make_user("ann", "creator"), make_user("ben", "creator"), make_user("cat", None)
    own, everyone, other = (webhook(f"https://93.184.215.14/{n}", n) for n in ("a", "b", "c"))
    choose(ann, own, ["job_completed"])
    choose(ben, everyone, ["job_completed"], Choice.Scope.ALL)
    choose(cat, other, ["job_failed"], Choice.Scope.ALL)
    job = completed_job(ann)
    assert services.scan_jobs() == 1
    event = Event.objects.get()
    assert event.kind == EventKind.JOB_COMPLETED and event.payload["job"]["id"] == job.pk
    assert set(Delivery.objects.values_list("target__name", flat=True)) == {"a", "b"}
    # a second scan (or a second scanner) makes nothing new
    assert services.scan_jobs() == 0
    assert Event.objects.count() == 1 and Delivery.objects.count() == 2


def test_a_rescan_of_announced_jobs_loads_none_of_their_rows(admin_user):
    """Every scan looks back RESCAN_OVERLAP: after a burst of finished jobs, the scans that
    see them again read their ids and states only, not their rows (which grew a worker's
    memory with the number of jobs in flight)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(5):
        completed_job(admin_user)
    assert services.scan_jobs() == 5
    again = completed_job(admin_user)
    with CaptureQueriesContext(connection) as seen:
        assert services.scan_jobs() == 1
    whole_rows = [q["sql"] for q in seen if '"jobs_job"."params"' in q["sql"]]
    assert len(whole_rows) == 1, whole_rows
    assert f'"jobs_job"."id" IN ({again.pk})' in whole_rows[0]  # the new job's row only
    assert Event.objects.filter(key__startswith="job:").count() == 6


def test_a_burst_of_finished_jobs_is_recorded_in_a_few_writes(make_user):
    """Thousands of jobs ending together: the scan records their events and deliveries with
    the same few statements whatever their number (one write transaction each made a scan
    take 27 s on average in bench/scale.py), and each still reaches only who chose it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ann, ben = make_user("ann", "creator"), make_user("ben", "creator")
    own, everyone = webhook("https://93.184.215.14/a", "a"), webhook("https://93.184.215.14/b", "b")
    choose(ann, own, ["job_completed"])
    choose(ben, everyone, ["job_completed"], Choice.Scope.ALL)

    def writes(jobs: int) -> int:
        for k in range(jobs):
            completed_job(ann if k % 2 else ben)
        with CaptureQueriesContext(connection) as seen:
            assert services.scan_jobs() == jobs
        return sum(1 for q in seen if q["sql"].startswith(("INSERT", "UPDATE")))

    services.scan_jobs()  # the scan's cursor is made by the first
    assert writes(3) == writes(30) <= 4
    assert Event.objects.count() == 33
    by_target = dict(
        Delivery.objects.values_list("target__name").annotate(n=Count("pk")).order_by()
    )
    assert by_target == {"a": 16, "b": 33}  # ann's own jobs to a; everybody's to b


def test_each_needs_attention_episode_is_one_event(admin_user):
    target = webhook("https://93.184.215.14/x")
    choose(admin_user, target, ["job_needs_attention"], Choice.Scope.ALL)
    job = Job.objects.create(kind="video", params={}, requested_by=admin_user, submit_attempts=1)
    job.move(Job.Status.QUEUED, Job.Status.SUBMITTING)
    job.move(Job.Status.SUBMITTING, Job.Status.NEEDS_ATTENTION)
    services.scan_jobs()
    services.scan_jobs()
    Job.objects.filter(pk=job.pk).update(submit_attempts=2, updated_at=timezone.now())
    services.scan_jobs()
    assert Event.objects.filter(kind=EventKind.JOB_NEEDS_ATTENTION).count() == 2


def test_account_alerts_become_events_once(admin_user):
    from flowdash.accounts.alerts import raise_alert

    target = webhook("https://93.184.215.14/x")
    choose(admin_user, target, ["session_expired", "token_rejected"])
    raise_alert(Alert.Kind.SESSION_EXPIRED, "ann@example.com", "expired")
    raise_alert(Alert.Kind.SESSION_EXPIRED, "ann@example.com", "expired")  # still open: none
    raise_alert(Alert.Kind.UNHEALTHY, "ann@example.com", "sick")  # not an event kind
    assert services.scan_alerts() == 1
    assert services.scan_alerts() == 0
    assert Delivery.objects.get().event.kind == EventKind.SESSION_EXPIRED


def test_captcha_credits_are_told_when_they_cross_the_threshold(admin_user, settings):
    settings.FLOWDASH_CAPTCHA_CREDIT_ALERT = 50
    for credits in (120, 40, 30, 90, 10):
        CaptchaProviderSnapshot.objects.create(free_credits=credits)
    services.scan_captcha()
    assert Event.objects.filter(kind=EventKind.CAPTCHA_CREDITS_LOW).count() == 2


def test_hooks_for_batches_and_spending_limits_emit_once(admin_user):
    target = webhook("https://93.184.215.14/x")
    choose(admin_user, target, ["spending_limit"])
    first = services.emit(EventKind.SPENDING_LIMIT, "limit:2026-12", "Limit", "Reached.")
    again = services.emit(EventKind.SPENDING_LIMIT, "limit:2026-12", "Limit", "Reached.")
    assert first is not None and again is None
    assert Delivery.objects.count() == 1


# --- sending -----------------------------------------------------------------------------------


def test_a_webhook_is_signed_over_timestamp_and_body(receivers, admin_user):
    receiver = receivers()
    target = webhook(receiver.url, secret="topsecret")
    choose(admin_user, target, ["job_completed"])
    completed_job(admin_user)
    services.scan_jobs()
    delivery = Delivery.objects.get()
    assert services.deliver(delivery.pk) == Delivery.Status.SENT
    [(headers, body, path)] = receiver.received
    assert path == "/hook" and headers["X-Flowdash-Event"] == "job_completed"
    expected = services.sign("topsecret", headers["X-Flowdash-Timestamp"], body)
    assert headers["X-Flowdash-Signature"] == expected
    assert json.loads(body)["job"]["status"] == "completed"
    # sent: a second delivery attempt (a duplicate message) sends nothing
    assert services.deliver(delivery.pk) is None
    assert len(receiver.received) == 1


def test_a_failing_target_is_retried_later_raises_an_alert_and_blocks_no_other(
    receivers, admin_user
):
    broken, fine = receivers(status=500), receivers()
    bad, good = webhook(broken.url, "broken"), webhook(fine.url, "fine")
    choose(admin_user, bad, ["job_completed"])
    choose(admin_user, good, ["job_completed"])
    completed_job(admin_user)
    services.scan_jobs()
    by_target = {d.target.name: d for d in Delivery.objects.select_related("target")}
    now = timezone.now()
    assert services.deliver(by_target["broken"].pk, now) == Delivery.Status.PENDING
    assert services.deliver(by_target["fine"].pk, now) == Delivery.Status.SENT
    failed = Delivery.objects.get(pk=by_target["broken"].pk)
    assert failed.attempts == 1 and "HTTP 500" in failed.last_error
    assert failed.next_attempt_at > now + timedelta(seconds=10)
    alert = Alert.objects.open().get(kind=Alert.Kind.NOTIFY_FAILED)
    assert "broken" in alert.message
    assert services.deliver(failed.pk, now) is None  # not due yet: nothing is sent
    assert len(broken.received) == 1
    # later the target is back: the retry goes out and the alert resolves itself
    broken.status = 204
    assert services.deliver(failed.pk, failed.next_attempt_at) == Delivery.Status.SENT
    assert len(broken.received) == 2
    assert not Alert.objects.open().filter(kind=Alert.Kind.NOTIFY_FAILED).exists()


def test_a_target_that_times_out_is_retried_later(receivers, admin_user, settings):
    settings.FLOWDASH_NOTIFY_TIMEOUT_SECONDS = 0.3
    slow = receivers(delay=1.0)
    target = webhook(slow.url)
    event = services.emit(EventKind.TEST, "t1", "Test", "hello", targets=[target])
    delivery = event.deliveries.get()
    assert services.deliver(delivery.pk) == Delivery.Status.PENDING
    delivery.refresh_from_db()
    assert delivery.last_error == "The webhook did not answer in time."
    assert delivery.next_attempt_at > timezone.now()


def test_after_the_deadline_a_delivery_gives_up(receivers, admin_user, settings):
    broken = receivers(status=503)
    target = webhook(broken.url)
    event = services.emit(EventKind.TEST, "t2", "Test", "hello", targets=[target])
    delivery = event.deliveries.get()
    later = timezone.now() + timedelta(hours=settings.FLOWDASH_NOTIFY_DEADLINE_HOURS + 1)
    assert services.deliver(delivery.pk, later) == Delivery.Status.FAILED


def test_apprise_targets_go_through_apprise(receivers, admin_user):
    receiver = receivers(status=200)
    target = Target(name="json via apprise", kind=Target.Kind.APPRISE)
    target.set_url(f"json://127.0.0.1:{receiver.port}/apprise")
    target.save()
    event = services.send_test(target, admin_user)
    assert services.deliver(event.deliveries.get().pk) == Delivery.Status.SENT
    [(headers, body, path)] = receiver.received
    assert path == "/apprise"
    sent = json.loads(body)
    assert sent["title"] == "flowdash test message" and "alice" in sent["message"]


def test_send_a_test_is_queued_for_the_worker(admin_client, django_capture_on_commit_callbacks):
    target = webhook("https://93.184.215.14/hook")
    with django_capture_on_commit_callbacks() as callbacks:
        answer = admin_client.post(f"/notifications/targets/{target.pk}/test/")
    assert answer.status_code == 302
    delivery = Delivery.objects.get()
    assert delivery.event.kind == EventKind.TEST and delivery.status == Delivery.Status.PENDING
    assert len(callbacks) == 1  # the nudge to the worker, after commit
