from __future__ import annotations

import datetime as dt
import re

from django import forms
from django.utils import timezone

from flowdash.accounts.forms import CAPTCHA_PROVIDERS

STATS_PROVIDERS = (*CAPTCHA_PROVIDERS, "UserProvided")
MAX_LIMIT = 50_000
RETENTION_DAYS = 92
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class CaptchaStatsFilterForm(forms.Form):
    """The query of GET /accounts/captcha-stats, checked before anything is asked."""

    date = forms.CharField(
        required=False,
        max_length=20,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="One day (UTC). Ignored when a limit is given.",
    )
    limit = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_LIMIT,
        help_text=f"The last N attempts across all days (at most {MAX_LIMIT:,}).",
        error_messages={
            "max_value": f"The API returns at most {MAX_LIMIT:,} records; ask for fewer.",
            "min_value": "Ask for at least one record.",
            "invalid": "The limit must be a whole number.",
        },
    )
    provider = forms.ChoiceField(
        required=False,
        choices=[("", "All providers")] + [(p, p) for p in STATS_PROVIDERS],
        error_messages={"invalid_choice": "%(value)s is not a provider the statistics know."},
    )
    anonymized = forms.BooleanField(
        required=False,
        label="Compare with every useapi.net user (anonymized)",
        help_text="A summary of the last 10,000 attempts of all users; ignores the other fields.",
    )

    def clean_date(self) -> str:
        value = (self.cleaned_data.get("date") or "").strip()
        if not value:
            return ""
        if not DATE_RE.match(value):
            raise forms.ValidationError("Write the date as YYYY-MM-DD.")
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            raise forms.ValidationError(f"{value} is not a real calendar date.") from None
        today = timezone.now().date()
        if day > today:
            raise forms.ValidationError("That date is in the future; there are no figures yet.")
        if day < today - dt.timedelta(days=RETENTION_DAYS):
            raise forms.ValidationError("Figures are kept for 3 months; pick a more recent date.")
        return value

    def query(self) -> dict:
        """The normalized query: today's date when neither a date nor a limit is given."""
        data = self.cleaned_data
        if data.get("anonymized"):
            return {"anonymized": True}
        query: dict = {}
        if data.get("limit"):
            query["limit"] = data["limit"]
        else:
            query["date"] = data.get("date") or timezone.now().date().isoformat()
        if data.get("provider"):
            query["provider"] = data["provider"]
        return query


def query_key(query: dict) -> str:
    return "&".join(f"{k}={query[k]}" for k in sorted(query)) or "default"
