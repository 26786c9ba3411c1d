from __future__ import annotations

from django import forms

from flowdash.notify.models import CHOOSABLE, Choice, Target
from flowdash.notify.services import refusal


class TargetForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="e.g. “#renders on Slack”.")
    kind = forms.ChoiceField(choices=Target.Kind.choices, initial=Target.Kind.APPRISE)
    url = forms.CharField(
        max_length=2000,
        label="URL",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Apprise URLs: slack://…, discord://…, tgram://…, msteams://…, ntfy://…, "
        "mailto://…, json://… — or the https:// address of your webhook. Stored encrypted.",
    )

    def clean(self):
        data = super().clean()
        url, kind = (data.get("url") or "").strip(), data.get("kind")
        if url and kind:
            reason = refusal(url, kind)
            if reason:
                self.add_error("url", reason)
            data["url"] = url
        return data


class ChoiceForm(forms.Form):
    kinds = forms.MultipleChoiceField(
        choices=CHOOSABLE, widget=forms.CheckboxSelectMultiple, required=False, label="Events"
    )
    job_scope = forms.ChoiceField(
        choices=Choice.Scope.choices, initial=Choice.Scope.OWN, label="Job events about"
    )
