"""Making an API key: a name, an expiry and scopes no higher than the person's role."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone

from flowdash.api.models import Scope, scopes_allowed

EXPIRIES = [
    ("30", "in 30 days"),
    ("90", "in 90 days"),
    ("365", "in a year"),
    ("never", "never"),
]


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        help_text="What the key is for, e.g. “nightly product shots”.",
        error_messages={"required": "Give the key a name."},
    )
    expires = forms.ChoiceField(choices=EXPIRIES, initial="90", label="Expires")
    scopes = forms.MultipleChoiceField(
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one scope."},
        help_text="A key never does more than your role allows.",
    )

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        allowed = scopes_allowed(user)
        self.fields["scopes"].choices = [(v, label) for v, label in Scope.choices if v in allowed]
        self.fields["scopes"].initial = ["read"]

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the key a name.")
        return name

    def expires_at(self):
        value = self.cleaned_data["expires"]
        return None if value == "never" else timezone.now() + timedelta(days=int(value))
