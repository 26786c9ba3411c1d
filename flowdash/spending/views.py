"""The Spending page (charts, table, CSV) and the admins' daily limits."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from flowdash.spending import budget, reports
from flowdash.spending.exports import csv_response
from flowdash.spending.forms import DefaultLimitForm, PersonLimitForm, SpendingFilterForm
from flowdash.spending.models import PersonLimit, SpendingPolicy
from flowdash.team.roles import ADMIN, has_role, role_required


def _people_rows() -> list[dict]:
    limits = {p.user_id: p.daily_credits for p in PersonLimit.objects.all()}
    rows = []
    for user in get_user_model().objects.order_by("username"):
        rows.append(
            {
                "user": user,
                "limit": limits.get(user.pk),
                "has_row": user.pk in limits,
                "spent": budget.spent(user),
            }
        )
    return rows


@login_required
@require_GET
def spending_view(request):
    form = SpendingFilterForm(request.GET or None)
    days = form.days_value()
    until = budget.today()
    since = until - timedelta(days=days - 1)
    everyone = has_role(request.user, ADMIN)
    qs = reports.charges(since, until, None if everyone else request.user)
    if request.GET.get("format") == "csv":
        return _csv(qs, since, until)
    rows = reports.grouped(qs)
    context = {
        "form": form,
        "days": days,
        "since": since,
        "until": until,
        "everyone": everyone,
        "rows": rows,
        "total": sum(r["credits"] for r in rows),
        "jobs": sum(r["jobs"] for r in rows),
        "charts": reports.charts(rows, since, until),
        "my_limit": budget.daily_limit(request.user),
        "my_left": budget.left_today(request.user),
        "my_spent": budget.spent(request.user),
    }
    if everyone:
        context["people"] = _people_rows()
        context["policy"] = SpendingPolicy.current()
        context["default_form"] = DefaultLimitForm(
            initial={"default_daily_credits": context["policy"].default_daily_credits}
        )
    return render(request, "spending/index.html", context)


def _csv(qs, since, until):
    header = [
        "day",
        "job",
        "person",
        "account",
        "kind",
        "model",
        "status",
        "credits",
        "actual credits",
        "actual note",
    ]
    rows = (
        [
            c.charged_on.isoformat(),
            c.job_id,
            c.user.username if c.user else "",
            c.job.account_email or (c.account.address if c.account else reports.AUTO),
            c.kind,
            c.model,
            c.job.status,
            "" if c.credits is None else c.credits,
            "" if c.actual_credits is None else c.actual_credits,
            c.actual_note,
        ]
        for c in qs.select_related("job", "user", "account").order_by("charged_on", "pk")
    )
    return csv_response(f"flowdash-spending-{since}-{until}.csv", header, rows)


@role_required(ADMIN)
@require_POST
def default_limit_view(request):
    form = DefaultLimitForm(request.POST)
    if form.is_valid():
        policy = SpendingPolicy.current()
        policy.default_daily_credits = form.cleaned_data["default_daily_credits"]
        policy.updated_by = request.user
        policy.save()
        messages.success(request, "Default daily limit saved (for people who have not spent yet).")
    else:
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    return redirect("spending:index")


@role_required(ADMIN)
@require_POST
def person_limit_view(request):
    form = PersonLimitForm(request.POST)
    if form.is_valid():
        PersonLimit.objects.update_or_create(
            user=form.cleaned_data["user"],
            defaults={
                "daily_credits": form.cleaned_data["daily_credits"],
                "updated_by": request.user,
            },
        )
        messages.success(request, f"Daily limit of {form.cleaned_data['user'].username} saved.")
    else:
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    return redirect("spending:index")
