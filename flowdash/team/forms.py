from __future__ import annotations

import secrets

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import AuthenticationForm

from flowdash.team.roles import ROLE_LABELS, ROLES

User = get_user_model()
ROLE_CHOICES = [(r, ROLE_LABELS[r]) for r in ROLES]


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": "That user name and password do not match. Check both and try again.",
        "inactive": "This user has been switched off. Ask an admin.",
    }


def generated_password() -> str:
    return secrets.token_urlsafe(12)


class NewUserForm(forms.Form):
    username = forms.CharField(max_length=150)
    email = forms.EmailField(required=False)
    role = forms.ChoiceField(choices=ROLE_CHOICES, initial="creator")
    password = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Leave empty to generate one; it is shown to you once.",
    )

    def clean_username(self) -> str:
        name = self.cleaned_data["username"].strip()
        User.username_validator(name)
        if User.objects.filter(username__iexact=name).exists():
            raise forms.ValidationError(f"There is already a user called {name}.")
        return name

    def clean(self):
        data = super().clean()
        password = data.get("password")
        if password:
            candidate = User(username=data.get("username", ""), email=data.get("email", ""))
            try:
                password_validation.validate_password(password, candidate)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return data


class UserRoleForm(forms.Form):
    role = forms.ChoiceField(choices=[(r, r.title()) for r in ROLES])
    is_active = forms.BooleanField(required=False, label="Active")
