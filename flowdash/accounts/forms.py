import re

from django import forms

TOKEN_RE = re.compile(r"^user:\d+-\S+$")


class ApiTokenForm(forms.Form):
    token = forms.CharField(
        label="useapi.net API token",
        max_length=500,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="From your useapi.net account page; it looks like user:12345-AbC… "
        "It is stored encrypted and never shown again in full.",
    )

    def clean_token(self) -> str:
        token = self.cleaned_data["token"]
        if any(ch.isspace() for ch in token):
            raise forms.ValidationError("The token has spaces or line breaks in it; paste it again.")
        if not TOKEN_RE.match(token):
            raise forms.ValidationError(
                "That does not look like a useapi.net token (user:<number>-<characters>)."
            )
        return token
