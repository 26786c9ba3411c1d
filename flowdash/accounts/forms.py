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
            raise forms.ValidationError(
                "The token has spaces or line breaks in it; paste it again."
            )
        if not TOKEN_RE.match(token):
            raise forms.ValidationError(
                "That does not look like a useapi.net token (user:<number>-<characters>)."
            )
        return token


# --- Google account cookies --------------------------------------------------------------------

# The sign-in cookies every copy of https://accounts.google.com's table carries (DevTools).
SESSION_ID_COOKIES = ("SID", "__Secure-1PSID", "__Secure-3PSID")
REQUIRED_AUTH_COOKIES = ("HSID", "SSID")
MIN_COLUMNS = 5  # Name, Value, Domain, Path, Expires/Max-Age, (Size, HttpOnly, Secure, …)


def parse_cookie_table(text: str) -> list[dict[str, str]]:
    """Rows of the tab-separated table DevTools copies; ValidationError in words otherwise."""
    rows: list[dict[str, str]] = []
    lines = [line for line in text.replace("\r\n", "\n").split("\n") if line.strip()]
    if not lines:
        raise forms.ValidationError("The paste is empty. Copy the cookie table and paste it here.")
    for number, line in enumerate(lines, start=1):
        cols = [c.strip() for c in line.split("\t")]
        if len(cols) < MIN_COLUMNS:
            if ";" in line and "=" in line:
                raise forms.ValidationError(
                    "This looks like a Cookie header (name=value; …), not the DevTools table. "
                    "Copy the rows of the Application → Cookies table instead."
                )
            raise forms.ValidationError(
                f"Line {number} is not a row of the DevTools cookie table: it needs tab-separated "
                "columns Name, Value, Domain, Path and Expires. Select the rows in the table "
                "(Ctrl+A) and copy them (Ctrl+C) rather than typing or re-formatting them."
            )
        name, value, domain, path = cols[0], cols[1], cols[2], cols[3]
        if name.lower() == "name" and value.lower() == "value":
            continue  # a header row
        if not name or not value:
            raise forms.ValidationError(f"Line {number} has no cookie name or no value.")
        if "." not in domain or " " in domain:
            raise forms.ValidationError(
                f"Line {number}: the third column should be the cookie's domain "
                f"(like .google.com), not {domain[:40]!r}."
            )
        if not path.startswith("/"):
            raise forms.ValidationError(
                f"Line {number}: the fourth column should be the cookie's path (like /)."
            )
        rows.append({"name": name, "domain": domain.lower()})
    if not rows:
        raise forms.ValidationError("The paste has a header row but no cookies.")
    google = {r["name"] for r in rows if r["domain"].lstrip(".").endswith("google.com")}
    missing = [name for name in REQUIRED_AUTH_COOKIES if name not in google]
    if not any(name in google for name in SESSION_ID_COOKIES):
        missing.insert(0, "SID")
    if missing:
        raise forms.ValidationError(
            "The Google sign-in cookies "
            + ", ".join(missing)
            + " are missing. Copy the cookies of https://accounts.google.com while signed in "
            "(not those of flow.google.com or labs.google)."
        )
    return rows


class AddAccountForm(forms.Form):
    email = forms.EmailField(
        label="The Google account's address",
        required=False,
        help_text="Optional but recommended: the API shows addresses masked (jo***@gmail.com); "
        "knowing the full one lets flowdash read the account's credits and models.",
    )
    cookies = forms.CharField(
        label="Cookies of https://accounts.google.com",
        strip=False,
        max_length=100_000,
        widget=forms.Textarea(
            attrs={"rows": 10, "autocomplete": "off", "spellcheck": "false", "class": "mono"}
        ),
        help_text="Paste the whole table as copied from DevTools. It is sent to useapi.net once "
        "and never stored or logged by flowdash.",
        error_messages={"required": "The paste is empty. Copy the cookie table and paste it here."},
    )

    def clean_cookies(self) -> str:
        text = self.cleaned_data["cookies"]
        parse_cookie_table(text)
        return text.strip("\n")


# --- captcha provider keys ---------------------------------------------------------------------

CAPTCHA_PROVIDERS = (
    "CapSolver",
    "AntiCaptcha",
    "YesCaptcha",
    "CapMonster",
    "SolveCaptcha",
    "2Captcha",
    "EzCaptcha",
)


class CaptchaKeyForm(forms.Form):
    """Set, replace or remove one provider's key (``remove`` sends the empty value)."""

    provider = forms.ChoiceField(
        choices=[(p, p) for p in CAPTCHA_PROVIDERS],
        error_messages={"invalid_choice": "%(value)s is not a captcha provider useapi.net knows."},
    )
    key = forms.CharField(
        label="API key",
        required=False,
        strip=False,
        max_length=300,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    remove = forms.BooleanField(required=False)

    def clean_key(self) -> str:
        key = self.cleaned_data["key"]
        if any(ch.isspace() for ch in key):
            raise forms.ValidationError(
                "The key has spaces or line breaks in it; paste only the key itself."
            )
        return key

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if not data.get("remove") and not data.get("key"):
            raise forms.ValidationError("Enter the key, or choose Remove to delete the provider.")
        if data.get("remove"):
            data["key"] = ""
        return data


class FullEmailForm(forms.Form):
    """The full address behind a masked one the API lists (checked against the mask)."""

    full_email = forms.EmailField(label="Full address")

    def __init__(self, *args, masked: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.masked = masked

    def clean_full_email(self) -> str:
        from flowdash.accounts.models import FlowAccount

        value = self.cleaned_data["full_email"].strip().lower()
        if not FlowAccount.mask_matches(self.masked, value):
            raise forms.ValidationError(f"{value} is not the address behind {self.masked}.")
        return value
