"""The batch page's form: where the rows come from, and the studio values they default to."""

from __future__ import annotations

from django import forms

from flowdash.accounts.models import FlowAccount
from flowdash.batches.models import Batch
from flowdash.batches.parsing import MAX_FILE_BYTES

KIND_CHOICES = [("image", "Images"), ("video", "Videos")]


class BatchForm(forms.Form):
    source = forms.ChoiceField(
        choices=Batch.Source.choices, initial=Batch.Source.PASTE, widget=forms.RadioSelect
    )
    prompts = forms.CharField(
        required=False,
        max_length=2_000_000,
        widget=forms.Textarea(attrs={"rows": 8, "placeholder": "One prompt per line"}),
        label="Prompts",
    )
    file = forms.FileField(
        required=False,
        label="CSV file",
        help_text="UTF-8; a header row naming the columns: prompt, and any of kind, model, "
        "aspect, count, seed, duration, mode, references, start, end, account. References, "
        "start and end name assets (several separated by ;).",
    )
    template = forms.CharField(
        required=False,
        max_length=10_000,
        label="Prompt template",
        widget=forms.Textarea(
            attrs={"rows": 2, "placeholder": "A {animal} in the style of {style}"}
        ),
    )
    values = forms.CharField(
        required=False,
        max_length=200_000,
        label="Values",
        widget=forms.Textarea(
            attrs={
                "rows": 4,
                "placeholder": "animal: cat | dog | fox\nstyle: watercolour | pixel art",
            }
        ),
        help_text="One line per variable: name: value | value | …",
    )
    kind = forms.ChoiceField(choices=KIND_CHOICES, initial="image", label="Kind (default)")
    model = forms.CharField(required=False, max_length=60, label="Model (default)")
    aspect_ratio = forms.CharField(
        required=False, max_length=30, initial="landscape", label="Aspect (default)"
    )
    count = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=4,
        initial=1,
        label="Count per row (default)",
        error_messages={"min_value": "Between 1 and 4.", "max_value": "Between 1 and 4."},
    )
    account = forms.ModelChoiceField(
        queryset=FlowAccount.objects.none(),
        required=False,
        empty_label="Auto",
        label="Account (default)",
        error_messages={"invalid_choice": "That account is not usable now (state not OK)."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = FlowAccount.objects.usable()

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload is not None and upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size / 1e6:.1f} MB; at most {MAX_FILE_BYTES // 2**20} MB."
            )
        return upload

    def clean(self):
        data = super().clean()
        source = data.get("source")
        if source == Batch.Source.CSV and not data.get("file"):
            self.add_error("file", "Choose a CSV file.")
        elif source == Batch.Source.PASTE and not (data.get("prompts") or "").strip():
            self.add_error("prompts", "Paste at least one prompt (one per line).")
        elif source == Batch.Source.TEMPLATE and not (data.get("template") or "").strip():
            self.add_error("template", "Write a prompt template.")
        return data

    def defaults(self) -> dict:
        data = self.cleaned_data
        return {
            "kind": data.get("kind") or "image",
            "model": (data.get("model") or "").strip(),
            "aspect_ratio": (data.get("aspect_ratio") or "").strip(),
            "count": data.get("count") or 1,
            "account": data.get("account"),
        }
