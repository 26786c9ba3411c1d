from __future__ import annotations

from django import forms

from flowdash.accounts.models import FlowAccount
from flowdash.assets.services import MAX_PIXELS
from flowdash.jobs.forms import AccountChoiceField
from flowdash.useapi.catalog import MAX_V2V_SECONDS
from flowdash.useapi.validation import ASSET_LIMITS


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    """Several files at once; each one is checked by content in the view's service call."""

    widget = MultipleFileInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget",
            MultipleFileInput(attrs={"accept": ",".join(ASSET_LIMITS), "multiple": True}),
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
        label="Images or videos",
        help_text=(
            f"PNG, JPEG or WebP images up to {ASSET_LIMITS['image/png'] // (1024 * 1024)} MB and "
            f"{MAX_PIXELS // 1_000_000} megapixels; MP4 videos up to "
            f"{ASSET_LIMITS['video/mp4'] // (1024 * 1024)} MB (a video edit takes at most "
            f"{MAX_V2V_SECONDS} s). Several at once are fine."
        ),
        error_messages={"required": "Choose at least one image or MP4 video."},
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
