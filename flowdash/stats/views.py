from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib import messages
from django.db.models import Count
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_POST

from flowdash.accounts import services
from flowdash.accounts.connection import build_client
from flowdash.accounts.enqueue import enqueue_after_commit
from flowdash.accounts.forms import CAPTCHA_PROVIDERS, CaptchaKeyForm
from flowdash.accounts.models import CaptchaProviderSnapshot, RefreshClaim
from flowdash.accounts.tasks import refresh_captcha_providers_task
from flowdash.lib.params import parse_float
from flowdash.lib.partials import render_page
from flowdash.stats import charts
from flowdash.stats.captcha_attempts import (
    PRICE_PER_1000,
    job_captcha_blocks,
    summarize_captcha_blocks,
)
from flowdash.stats.forms import CaptchaStatsFilterForm, query_key
from flowdash.stats.models import (
    CaptchaProviderSample,
    CaptchaStatsSnapshot,
    LoadSample,
    LoadSnapshot,
)
from flowdash.stats.tasks import (
    fetch_captcha_stats_task,
    snapshot_captcha_stats_task,
    snapshot_load_task,
)
from flowdash.team.roles import ADMIN, role_required

RANGES = {
    "1h": timedelta(hours=1),
    "6h": timedelta(hours=6),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}
LB_KINDS = (("videos", "Videos"), ("images", "Images"), ("combined", "Combined"))
POLL_GIVE_UP = timedelta(seconds=60)
CAPTCHA_FRESH = timedelta(minutes=5)  # the API caches captcha-stats for 5 minutes
CAPTCHA_WAIT = timedelta(seconds=30)
DAY_RANGES = {"7d": 7, "30d": 30, "90d": 90}


def lb_refresh_after() -> timedelta:
    return timedelta(seconds=float(getattr(settings, "FLOWDASH_LB_REFRESH_SECONDS", 5)))


def _enqueue(task, *args, expires: float = 60) -> None:
    """After the commit; a message nobody picked up within ``expires`` seconds is dropped (the
    next poll or beat asks again), so a stopped worker does not pile up refreshes."""
    enqueue_after_commit(task, *args, expires=expires)


# --- load balancing ----------------------------------------------------------------------------


def _summary_rows(snapshot: LoadSnapshot | None) -> dict[str, list]:
    """Per kind, the rows of the snapshot with the next-job account(s) marked."""
    tables: dict[str, list] = {kind: [] for kind, _ in LB_KINDS}
    if snapshot is None:
        return tables
    for sample in snapshot.samples.all().order_by("email"):
        tables[sample.kind].append(sample)
    eligible = set(snapshot.emails)
    for kind in ("videos", "images"):
        rows = tables[kind]
        candidates = [r for r in rows if not eligible or r.email in eligible]
        best = min((r.score for r in candidates), default=None)
        winners = [r for r in candidates if r.score == best]
        for row in rows:
            row.next_job = row in winners
            row.tied = row.next_job and len(winners) > 1
    return tables


def load_chart_data(kind: str, since, until) -> tuple[dict, dict]:
    """Score and executing charts of ``kind`` between two times, from the stored samples."""
    samples = LoadSample.objects.filter(kind=kind)
    mode = charts.averaging(until - since)
    note = charts.AVERAGING_NOTE[mode]
    rows = charts.samples_from(samples, "taken_at", "email", "score", since, until)
    score_chart = charts.samples_chart(
        rows, since, until, title="Score per account (lower wins)" + note
    )
    rows = charts.samples_from(samples, "taken_at", "email", "executing", since, until)
    load_chart = charts.samples_chart(
        rows, since, until, title="Executing jobs per account" + note, unit="jobs"
    )
    return score_chart, load_chart


def _load_context(request, with_charts: bool = True) -> dict:
    now = timezone.now()
    kind = request.GET.get("kind") if request.GET.get("kind") in dict(LB_KINDS) else "combined"
    range_key = request.GET.get("range") if request.GET.get("range") in RANGES else "1h"
    latest_ok = LoadSnapshot.objects.succeeded().first()
    latest = LoadSnapshot.objects.first()
    failure = latest if latest is not None and not latest.ok else None
    # When the page was first opened (epoch seconds, carried by the polling URL): a finite number
    # not after tomorrow, else now.
    opened = parse_float(
        request.GET.get("opened"),
        lo=0,
        hi=now.timestamp() + 86_400,
        default=now.timestamp(),
    )
    age = (now - latest.taken_at) if latest else None
    live = (
        age is None or age < POLL_GIVE_UP or now.timestamp() - opened < POLL_GIVE_UP.total_seconds()
    )
    score_chart = load_chart = None
    if with_charts:
        score_chart, load_chart = load_chart_data(kind, now - RANGES[range_key], now)
    return {
        "snapshot": latest_ok,
        "failure": failure,
        "summary_tables": [
            (key, label, rows)
            for (key, label), rows in zip(LB_KINDS, _summary_rows(latest_ok).values(), strict=True)
        ],
        "kinds": LB_KINDS,
        "kind": kind,
        "ranges": list(RANGES),
        "range": range_key,
        "score_chart": score_chart,
        "load_chart": load_chart,
        "live": live,
        "opened": int(opened),
        "now": now,
        "resting": _resting(now),
    }


def _resting(now) -> dict | None:
    """Every Google account quarantined (429 ``no_eligible_account``): until when jobs wait,
    and how many, from the jobs the pipeline put back in the queue for it."""
    from django.db.models import Max

    from flowdash.jobs.models import Job

    waiting = Job.objects.filter(
        status=Job.Status.QUEUED,
        error_status=429,
        error_reason="no_eligible_account",
        next_check_at__gt=now,
    ).aggregate(until=Max("next_check_at"), count=Count("pk"))
    if not waiting["count"]:
        return None
    return waiting


@require_GET
def load_balancing_view(request):
    """The page reads stored snapshots; while it polls, a stale snapshot asks for a fresh one."""
    latest = LoadSnapshot.objects.first()
    if RefreshClaim.due("load-balancing", latest and latest.taken_at, lb_refresh_after()):
        _enqueue(snapshot_load_task, expires=15)
    context = _load_context(request, with_charts=request.htmx.target != "lb-live")
    return render_page(request, "stats/load_balancing.html", context, ("lb-live", "lb-chart"))


@role_required(ADMIN)
@require_POST
def refresh_load_view(request):
    _enqueue(snapshot_load_task)
    messages.info(request, "Asking the API for fresh load-balancing figures…")
    return redirect("stats:load-balancing")


# --- captcha -----------------------------------------------------------------------------------


def _provider_rows(snapshot: CaptchaProviderSnapshot | None) -> list[dict]:
    keys = snapshot.masked_keys if snapshot and snapshot.ok else {}
    return [
        {"name": name, "masked": keys.get(name, ""), "price": PRICE_PER_1000.get(name)}
        for name in CAPTCHA_PROVIDERS
    ]


def _stats_tables(snapshot: CaptchaStatsSnapshot | None, everyone: CaptchaStatsSnapshot | None):
    if snapshot is None or not snapshot.ok:
        return [], None, None
    rows = list(snapshot.providers.all())
    theirs = {p.provider: p for p in everyone.providers.all()} if everyone else {}
    for row in rows:
        row.everyone = theirs.get(row.provider)
    rate_chart = charts.bar_chart(
        [(r.provider, r.success_rate) for r in rows],
        title="Success rate by provider",
        unit="%",
        x_max=100,
    )
    volume_chart = charts.bar_chart(
        [(r.provider, r.sample_size) for r in rows], title="Attempts by provider", unit="attempts"
    )
    return rows, rate_chart, volume_chart


def captcha_history_charts(days: int, now=None) -> tuple[dict, dict, dict]:
    """Daily volume and success rate per provider (the last beat snapshot of each day), and the
    anonymized all-user success rate over time."""
    now = now or timezone.now()
    since = now - timedelta(days=days)
    daily = (
        CaptchaStatsSnapshot.objects.succeeded()
        .filter(scheduled=True, taken_at__gte=since)
        .exclude(date="")
        .order_by("date", "taken_at")
    )
    last_of_day: dict[str, int] = {}
    for snap_id, day in daily.values_list("pk", "date"):
        last_of_day[day] = snap_id
    samples = CaptchaProviderSample.objects.filter(snapshot_id__in=last_of_day.values())
    by_snapshot_day = {v: k for k, v in last_of_day.items()}
    volume, rate = [], []
    for sample in samples:
        day = datetime.fromisoformat(by_snapshot_day[sample.snapshot_id]).replace(tzinfo=UTC)
        volume.append((day, sample.provider, sample.sample_size))
        rate.append((day, sample.provider, sample.success_rate))
    first_day = datetime.combine(since.date(), datetime.min.time(), tzinfo=UTC)
    last_day = datetime.combine(now.date(), datetime.min.time(), tzinfo=UTC)
    volume_chart = charts.samples_chart(
        volume,
        first_day,
        last_day,
        max_points=100,
        title="Your attempts per day by provider",
        unit="attempts",
        daily=True,
    )
    rate_chart = charts.samples_chart(
        rate,
        first_day,
        last_day,
        max_points=100,
        title="Your success rate per day (%)",
        unit="%",
        y_max=100,
        daily=True,
    )
    anonymized = charts.samples_from(
        CaptchaProviderSample.objects.filter(
            snapshot__scheduled=True, snapshot__error="", snapshot__query_key="anonymized=True"
        ),
        "taken_at",
        "provider",
        "success_rate",
        since,
        now,
    )
    everyone_chart = charts.samples_chart(
        anonymized, since, now, y_max=100, title="All users' success rate over time (%)", unit="%"
    )
    return volume_chart, rate_chart, everyone_chart


def _stats_state(request, form: CaptchaStatsFilterForm) -> dict:
    now = timezone.now()
    if not form.is_valid():
        return {"query": None, "stats": None, "waiting": False, "stuck": False}
    query = form.query()
    key = query_key(query)
    latest = CaptchaStatsSnapshot.objects.filter(query_key=key).first()
    claim_name = f"captcha-stats:{key}"
    if RefreshClaim.due(claim_name, latest and latest.taken_at, CAPTCHA_FRESH):
        _enqueue(fetch_captcha_stats_task, query)
    claim = RefreshClaim.objects.filter(name=claim_name).first()
    pending = bool(claim and (latest is None or latest.taken_at < claim.claimed_at))
    waiting = pending and now - claim.claimed_at < CAPTCHA_WAIT
    last_ok = (
        latest
        if latest and latest.ok
        else (CaptchaStatsSnapshot.objects.succeeded().filter(query_key=key).first())
    )
    return {
        "query": query,
        "query_string": request.GET.urlencode(),
        "stats": last_ok,
        "stats_failure": latest if latest and not latest.ok else None,
        "waiting": waiting,
        "stuck": pending and not waiting,
    }


def captcha_context(request, key_form: CaptchaKeyForm | None = None) -> dict:
    form = CaptchaStatsFilterForm(request.GET)
    state = _stats_state(request, form)
    everyone = CaptchaStatsSnapshot.objects.succeeded().filter(query_key="anonymized=True").first()
    rows, rate_chart, volume_chart = _stats_tables(
        state["stats"], None if (state["query"] or {}).get("anonymized") else everyone
    )
    days_key = request.GET.get("days") if request.GET.get("days") in DAY_RANGES else "30d"
    volume_history, rate_history, everyone_history = captcha_history_charts(DAY_RANGES[days_key])
    providers = CaptchaProviderSnapshot.objects.first()
    providers_claim = RefreshClaim.objects.filter(name="captcha-providers").first()
    providers_waiting = bool(
        providers is None
        and providers_claim
        and timezone.now() - providers_claim.claimed_at < CAPTCHA_WAIT
    )
    providers_ok = CaptchaProviderSnapshot.objects.filter(error="").first()
    blocks = job_captcha_blocks()
    return {
        "filter_form": form,
        **state,
        "provider_rows": rows,
        "rate_chart": rate_chart,
        "volume_chart": volume_chart,
        "everyone": everyone,
        "days": days_key,
        "day_ranges": list(DAY_RANGES),
        "volume_history": volume_history,
        "rate_history": rate_history,
        "everyone_history": everyone_history,
        "providers": providers_ok,
        "providers_failure": providers if providers and not providers.ok else None,
        "providers_waiting": providers_waiting,
        "key_rows": _provider_rows(providers_ok),
        "key_form": key_form,
        "own": summarize_captcha_blocks(blocks),
        "now": timezone.now(),
    }


@require_GET
def captcha_view(request):
    if not CaptchaProviderSnapshot.objects.exists() and RefreshClaim.claim(
        "captcha-providers", timedelta(minutes=1)
    ):
        _enqueue(refresh_captcha_providers_task)
    context = captcha_context(request)
    regions = ("captcha-stats", "captcha-history", "captcha-providers")
    return render_page(request, "stats/captcha.html", context, regions)


@role_required(ADMIN)
@require_POST
def refresh_captcha_view(request):
    _enqueue(snapshot_captcha_stats_task)
    _enqueue(refresh_captcha_providers_task)
    messages.info(request, "Asking the API for fresh captcha figures…")
    return redirect("stats:captcha")


# --- captcha provider keys (forwarded inside the request, never queued or stored) ---------------


@sensitive_post_parameters("key")
@role_required(ADMIN)
@require_POST
@sensitive_variables("keys", "form")
def captcha_key_view(request):
    form = CaptchaKeyForm(request.POST)
    if form.is_valid():
        keys = {form.cleaned_data["provider"]: form.cleaned_data["key"]}
        saved = services.set_captcha_keys(build_client(), keys)
        if saved.read_back:  # the answer did not show the keys: the worker reads them back
            enqueue_after_commit(refresh_captcha_providers_task, expires=60)
        if saved.ok:
            messages.success(request, saved.message)
            return redirect(reverse("stats:captcha") + "#captcha-providers")
        messages.error(request, saved.message)
    form.data = {"provider": request.POST.get("provider", "")}
    context = captcha_context(request, key_form=form)
    return render(request, "stats/captcha.html", context, status=400)


@role_required(ADMIN)
@require_POST
def refresh_captcha_providers_view(request):
    enqueue_after_commit(refresh_captcha_providers_task, expires=60)
    messages.info(request, "Asking the API for the captcha providers…")
    return redirect(reverse("stats:captcha") + "#captcha-providers")
