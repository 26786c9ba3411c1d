"""The Spending page's figures: counted charges grouped by day, person, account and model."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Sum
from django.utils import timezone

from flowdash.spending.models import JobCharge
from flowdash.stats.charts import bar_chart, line_chart

AUTO = "auto (not sent yet)"


def charges(since: date, until: date, user=None):
    qs = JobCharge.objects.counted().filter(charged_on__gte=since, charged_on__lte=until)
    if user is not None:
        qs = qs.filter(user=user)
    return qs


def _account_label(row: dict) -> str:
    return row["job__account_email"] or row["account__full_email"] or row["account__email"] or AUTO


def grouped(qs) -> list[dict]:
    """One row per (day, person, account, model) with credits, jobs and the known actuals."""
    rows = (
        qs.values(
            "charged_on",
            "user__username",
            "job__account_email",
            "account__full_email",
            "account__email",
            "model",
        )
        .annotate(credits=Sum("credits"), jobs=Count("pk"), actual=Sum("actual_credits"))
        .order_by("-charged_on", "user__username", "model")
    )
    merged: dict[tuple, dict] = {}
    for r in rows:
        key = (r["charged_on"], r["user__username"] or "—", _account_label(r), r["model"] or "—")
        entry = merged.setdefault(
            key,
            {
                "day": key[0],
                "person": key[1],
                "account": key[2],
                "model": key[3],
                "credits": 0,
                "jobs": 0,
                "actual": None,
            },
        )
        entry["credits"] += r["credits"] or 0
        entry["jobs"] += r["jobs"]
        if r["actual"] is not None:
            entry["actual"] = (entry["actual"] or 0) + r["actual"]
    return list(merged.values())


def totals_by(rows: list[dict], key: str) -> list[tuple[str, int]]:
    sums: dict[str, int] = defaultdict(int)
    for r in rows:
        sums[r[key]] += r["credits"]
    return sorted(sums.items(), key=lambda kv: (-kv[1], kv[0]))


def charts(rows: list[dict], since: date, until: date) -> dict:
    per_day: dict[date, int] = defaultdict(int)
    for r in rows:
        per_day[r["day"]] += r["credits"]
    days = [since + timedelta(days=i) for i in range((until - since).days + 1)]
    tz = timezone.get_current_timezone()
    times = [datetime.combine(d, time(), tzinfo=tz) for d in days]
    by_day = line_chart(
        times if rows else [],
        {"credits": [per_day.get(d, 0) for d in days]},
        title="Credits by day",
        daily=True,
    )
    found = {"by_day": by_day}
    for key, label in (("person", "Person"), ("account", "Account"), ("model", "Model")):
        chart = bar_chart(totals_by(rows, key), title=f"Credits by {key}")
        chart["label"] = label
        found[f"by_{key}"] = chart
    return found
