from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model

MAX_DAYS = 366


class SpendingFilterForm(forms.Form):
    days = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_DAYS,
        initial=30,
        error_messages={
            "min_value": "At least one day.",
            "max_value": f"At most {MAX_DAYS} days.",
            "invalid": "A whole number of days.",
        },
    )

    def days_value(self) -> int:
        if self.is_valid() and self.cleaned_data.get("days"):
            return self.cleaned_data["days"]
        return 30


LIMIT_FIELD = dict(
    required=False,
    min_value=0,
    max_value=10_000_000,
    error_messages={
        "min_value": "A limit is 0 or more credits (empty: no limit).",
        "max_value": "At most 10,000,000 credits.",
        "invalid": "A whole number of credits, or empty for no limit.",
    },
)


class DefaultLimitForm(forms.Form):
    default_daily_credits = forms.IntegerField(label="Default daily limit", **LIMIT_FIELD)


class PersonLimitForm(forms.Form):
    user = forms.ModelChoiceField(
        queryset=get_user_model().objects.all(),
        error_messages={"invalid_choice": "No such person."},
    )
    daily_credits = forms.IntegerField(label="Daily limit", **LIMIT_FIELD)
