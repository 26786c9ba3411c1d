from __future__ import annotations

from django import forms

from flowdash.accounts.models import FlowAccount
from flowdash.assets.services import MAX_PIXELS
from flowdash.jobs.forms import AccountChoiceField
from flowdash.useapi.validation import MAX_ASSET_BYTES


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    """Several files at once; each one is checked by content in the view's service call."""

    widget = MultipleFileInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget",
            MultipleFileInput(attrs={"accept": "image/png,image/jpeg", "multiple": True}),
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data]
        files = [f for f in files if f]
        if not files:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return [super(MultipleImageField, self).clean(f, initial) for f in files]


class UploadForm(forms.Form):
    files = MultipleImageField(
        label="Images",
        help_text=(
            f"PNG or JPEG, up to {MAX_ASSET_BYTES // (1024 * 1024)} MB and "
            f"{MAX_PIXELS // 1_000_000} megapixels each. Several at once are fine."
        ),
        error_messages={"required": "Choose at least one PNG or JPEG image."},
    )


class UploadToAccountForm(forms.Form):
    account = AccountChoiceField(
        queryset=FlowAccount.objects.none(),
        required=False,
        empty_label="Auto — the API picks by load balancing",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = FlowAccount.objects.usable()
