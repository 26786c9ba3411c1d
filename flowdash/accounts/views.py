from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from flowdash.accounts import alerts as alert_rules
from flowdash.accounts import services
from flowdash.accounts.connection import build_client, current_connection
from flowdash.accounts.enqueue import enqueue_after_commit
from flowdash.accounts.forms import AddAccountForm, ApiTokenForm, FullEmailForm
from flowdash.accounts.models import (
    AccountSample,
    AccountSync,
    Alert,
    ApiToken,
    ConnectionCheck,
    FlowAccount,
    RefreshClaim,
    credit_alert_threshold,
)
from flowdash.accounts.tasks import check_connection_task, delete_account_task, request_sync
from flowdash.lib.params import safe_next
from flowdash.lib.partials import render_page
from flowdash.team.roles import ADMIN, role_required

STALE_CHECK = timedelta(seconds=20)
CREDIT_RANGES = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}
SYNC_WAIT = timedelta(seconds=45)


def _settings_context(request, form: ApiTokenForm | None = None) -> dict:
    check = ConnectionCheck.objects.first()
    return {
        "form": form or ApiTokenForm(),
        "stored": ApiToken.objects.filter(pk=1).first(),
        "connection": current_connection(),
        "check": check,
        "check_stale": bool(
            check and not check.finished and timezone.now() - check.created_at > STALE_CHECK
        ),
    }


@role_required(ADMIN)
@require_http_methods(["GET", "POST"])
def settings_view(request):
    form = ApiTokenForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            ApiToken.store(form.cleaned_data["token"], request.user)
            messages.success(request, "The API token was saved (encrypted). Test the connection.")
            return redirect("accounts:settings")
        context = _settings_context(request, form)
        return render(request, "accounts/settings.html", context, status=400)
    context = _settings_context(request)
    return render_page(request, "accounts/settings.html", context, ("connection-check",))


@role_required(ADMIN)
@require_POST
def token_delete_view(request):
    deleted, _ = ApiToken.objects.filter(pk=1).delete()
    if deleted:
        messages.success(request, "The stored API token was removed.")
    return redirect("accounts:settings")


@role_required(ADMIN)
@require_POST
def test_connection_view(request):
    connection = current_connection()
    with transaction.atomic():
        check = ConnectionCheck.objects.create(
            base_url=connection.base_url, requested_by=request.user
        )
        transaction.on_commit(lambda: check_connection_task.delay(check.pk))
    context = _settings_context(request)
    if request.htmx:
        return render(request, "accounts/settings.html#connection-check", context)
    return redirect("accounts:settings")


# --- Google accounts ---------------------------------------------------------------------------


def _accounts_context(request, with_chart: bool = True) -> dict:
    sort = request.GET.get("sort") or "state"
    if sort.lstrip("-") not in FlowAccount.SORTS:
        sort = "state"
    now = timezone.now()
    latest = AccountSync.objects.first()
    waiting = bool(latest and not latest.finished and now - latest.created_at < SYNC_WAIT)
    stuck = bool(latest and not latest.finished and not waiting)
    last_done = AccountSync.objects.filter(status__in=["ok", "failed"]).first()
    last_ok = AccountSync.objects.filter(status="ok").first()
    accounts = list(FlowAccount.objects.present().sorted_by(sort))
    for account in accounts:
        account.job_counts = account.job_summary()
    range_key = request.GET.get("range") if request.GET.get("range") in CREDIT_RANGES else "7d"
    return {
        "credits_chart": credits_chart(CREDIT_RANGES[range_key], now) if with_chart else None,
        "range": range_key,
        "ranges": list(CREDIT_RANGES),
        "accounts": accounts,
        "removed_accounts": FlowAccount.objects.removed().order_by("-removed_at")[:20],
        "sort": sort,
        "sorts": [
            ("state", "State"),
            ("email", "Email"),
            ("credits", "Credits"),
            ("tier", "Tier"),
            ("expires", "Session expiry"),
            ("added", "Added"),
        ],
        "sync": latest,
        "deleting_any": any(a.deleting for a in accounts),
        "sync_waiting": waiting,
        "sync_stuck": stuck,
        "last_done": last_done,
        "last_ok": last_ok,
        "threshold": credit_alert_threshold(),
        "now": now,
    }


def auto_sync_after() -> timedelta:
    return timedelta(seconds=float(getattr(settings, "FLOWDASH_ACCOUNTS_STALE_SECONDS", 600)))


def credits_chart(span: timedelta, now) -> dict:
    """Credits of each listed account over ``span``, from the samples every sync stores."""
    from flowdash.stats import charts

    since = now - span
    samples = AccountSample.objects.filter(account__removed_at__isnull=True, credits__isnull=False)
    raw = timedelta(hours=24)
    rows = charts.samples_from(samples, "taken_at", "account__email", "credits", since, now, raw)
    mode = charts.averaging(span, raw)
    title = "Credits per account" + charts.AVERAGING_NOTE[mode]
    return charts.samples_chart(rows, since, now, title=title)


@require_GET
def accounts_list_view(request):
    """Reads stored accounts; when the last sync is old (or none ran), asks the worker for one."""
    last = AccountSync.objects.first()
    if RefreshClaim.due("accounts-sync", last and last.created_at, auto_sync_after()):
        request_sync()
    context = _accounts_context(request, with_chart=request.htmx.target != "accounts-table")
    return render_page(
        request, "accounts/list.html", context, ("accounts-table", "credits-history")
    )


@role_required(ADMIN)
@require_POST
def refresh_accounts_view(request):
    request_sync(request.user)
    if request.htmx:
        context = _accounts_context(request, with_chart=False)
        return render(request, "accounts/list.html#accounts-table", context)
    return redirect("accounts:list")


@sensitive_post_parameters("cookies")
@role_required(ADMIN)
@require_http_methods(["GET", "POST"])
@sensitive_variables("cookies", "form")
def add_account_view(request):
    readd = request.GET.get("email") or request.POST.get("readd") or ""
    readd_account = FlowAccount.objects.filter(email=readd).first() if readd else None
    initial = {"email": readd_account.full_email} if readd_account else {}
    form = AddAccountForm(request.POST or None, initial=initial)
    outcome = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            cookies = form.cleaned_data["cookies"]
            outcome = services.add_account(build_client(), cookies, form.cleaned_data["email"])
            del cookies
            if outcome.ok:
                messages.success(request, outcome.message)
                request_sync(request.user)
                return redirect("accounts:list")
            status = 502 if (outcome.status or 0) >= 500 else 400
        else:
            status = 400
        email = request.POST.get("email", "")
        form = AddAccountForm(initial={"email": email}) if outcome else form
        form.data = {"email": email}  # never echo the pasted cookies back into the page
    return render(
        request,
        "accounts/add.html",
        {"form": form, "outcome": outcome, "readd": readd_account, "readd_email": readd},
        status=status,
    )


@role_required(ADMIN)
@require_POST
def account_address_view(request, pk: int):
    account = get_object_or_404(FlowAccount.objects.present(), pk=pk)
    form = FullEmailForm(request.POST, masked=account.email)
    if form.is_valid():
        FlowAccount.objects.filter(pk=pk).update(full_email=form.cleaned_data["full_email"])
        messages.success(
            request,
            f"{account.email} is {form.cleaned_data['full_email']}; reading its details now.",
        )
        request_sync(request.user)
    else:
        messages.error(request, " ".join(form.errors["full_email"]))
    return redirect("accounts:list")


@role_required(ADMIN)
@require_http_methods(["GET", "POST"])
def delete_account_view(request, pk: int):
    account = get_object_or_404(FlowAccount.objects.present(), pk=pk)
    form = FullEmailForm(request.POST or None, masked=account.email)
    if request.method == "POST" and account.needs_full_email:
        if not form.is_valid():
            return render(
                request,
                "accounts/delete.html",
                {"account": account, "jobs": account.job_summary(), "form": form},
                status=400,
            )
        FlowAccount.objects.filter(pk=pk).update(full_email=form.cleaned_data["full_email"])
    if request.method == "POST":
        now = timezone.now()
        idle = Q(delete_requested_at__isnull=True) | Q(
            delete_requested_at__lt=now - timedelta(seconds=FlowAccount.DELETE_WAIT_SECONDS)
        )
        claimed = FlowAccount.objects.filter(idle, pk=pk, removed_at__isnull=True).update(
            delete_requested_at=now
        )
        if claimed:
            enqueue_after_commit(delete_account_task, pk, expires=FlowAccount.DELETE_WAIT_SECONDS)
            messages.success(request, f"Deleting {account.email} on useapi.net…")
        else:
            messages.info(request, f"{account.email} is already being deleted.")
        return redirect("accounts:list")
    return render(
        request,
        "accounts/delete.html",
        {"account": account, "jobs": account.job_summary(), "form": form},
    )


# --- alerts ------------------------------------------------------------------------------------


@require_GET
def alerts_view(request):
    show = request.GET.get("show", "open")
    qs = Alert.objects.select_related("account", "acknowledged_by")
    alerts = qs.open() if show == "open" else qs.all()
    return render(
        request,
        "accounts/alerts.html",
        {
            "alerts": alerts[:200],
            "show": show,
            "open_count": Alert.objects.open().count(),
        },
    )


@role_required(ADMIN)
@require_POST
def acknowledge_alert_view(request, pk: int):
    alert = get_object_or_404(Alert, pk=pk)
    if alert_rules.acknowledge(alert.pk, request.user):
        messages.success(request, f"Acknowledged: {alert}. It stays listed until it clears.")
    return redirect(safe_next(request, request.POST.get("next"), reverse("accounts:alerts")))


@role_required(ADMIN)
@require_POST
def resolve_alert_view(request, pk: int):
    alert = get_object_or_404(Alert.objects.open(), pk=pk)
    Alert.objects.filter(pk=alert.pk, resolved_at__isnull=True).update(
        resolved_at=timezone.now(),
        acknowledged_at=alert.acknowledged_at or timezone.now(),
        acknowledged_by=alert.acknowledged_by or request.user,
    )
    messages.success(
        request,
        f"Marked as resolved: {alert}. It comes back if the condition "
        "is still there at the next check.",
    )
    return redirect("accounts:alerts")
