from __future__ import annotations

import math

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login, update_session_auth_hash
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.views import LogoutView
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.views.decorators.http import require_http_methods, require_POST

from flowdash.lib.params import safe_next
from flowdash.team import signins
from flowdash.team.forms import LoginForm, NewUserForm, UserRoleForm, generated_password
from flowdash.team.roles import ADMIN, ROLES, role_of, role_required, set_role

User = get_user_model()


@login_not_required
@require_http_methods(["GET", "POST"])
def login_view(request):
    """Sign in. Throttling is django-axes' job (settings.AXES_*): a refused attempt is answered by
    :func:`locked_out_response` instead of this page."""
    if request.user.is_authenticated:
        return redirect("dashboard:home")
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next"), "")
    form = LoginForm(request, data=request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            login(request, form.get_user())
            return redirect(next_url or "dashboard:home")
        status = 400
    return render(request, "team/login.html", {"form": form, "next": next_url}, status=status)


def locked_out_response(request, original_response=None, credentials=None):
    """What django-axes answers on any login path while a user name or an address is refused."""
    minutes = max(1, math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    username = (credentials or {}).get("username") or request.POST.get("username") or ""
    form = LoginForm(request, initial={"username": str(username)[:150]})
    messages.error(
        request,
        f"Too many failed sign-ins. Wait up to {minutes} minutes and try again.",
    )
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next"), "")
    return render(request, "team/login.html", {"form": form, "next": next_url}, status=429)


class FlowdashLogoutView(LogoutView):
    http_method_names = ["post", "options"]


@require_http_methods(["GET", "POST"])
def password_view(request):
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        update_session_auth_hash(request, user)
        # The other browsers' sessions no longer pass the password check: end them now, so
        # "Where you are signed in" counts only browsers that are.
        ended = signins.end(user, keep=request.session.session_key)
        others = f" {ended} other browser{pluralize(ended)} signed out." if ended else ""
        messages.success(request, f"Your password was changed.{others}")
        return redirect("dashboard:home")
    others = signins.others(request.user, keep=request.session.session_key).count()
    return render(
        request,
        "team/password.html",
        {"form": form, "other_browsers": others},
        status=400 if form.errors else 200,
    )


@require_POST
def sign_out_others_view(request):
    """End every session of the signed-in person but this browser's."""
    ended = signins.end(request.user, keep=request.session.session_key)
    if ended:
        messages.success(request, f"Signed out of {ended} other browser{pluralize(ended)}.")
    else:
        messages.info(request, "No other browser was signed in.")
    return redirect("team:password")


@role_required(ADMIN)
@require_http_methods(["GET", "POST"])
def users_view(request):
    form = NewUserForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        password = data["password"] or generated_password()
        with transaction.atomic():
            user = User.objects.create_user(data["username"], data["email"], password)
            set_role(user, data["role"])
        if data["password"]:
            messages.success(request, f"{user.username} can now sign in as {data['role']}.")
        else:
            messages.success(
                request,
                f"{user.username} can now sign in as {data['role']} with the password "
                f"{password} — pass it on privately; it is not shown again.",
            )
        return redirect("team:users")
    users = User.objects.order_by("username").prefetch_related("groups")
    browsers = signins.counts()
    rows = [{"user": u, "role": role_of(u), "browsers": browsers.get(u.pk, 0)} for u in users]
    return render(
        request,
        "team/users.html",
        {"form": form, "rows": rows, "roles": ROLES},
        status=400 if form.errors else 200,
    )


@role_required(ADMIN)
@require_POST
def user_update_view(request, user_id: int):
    target = get_object_or_404(User, pk=user_id)
    form = UserRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose one of the roles admin, creator or viewer.")
        return redirect("team:users")
    role, active = form.cleaned_data["role"], form.cleaned_data["is_active"]
    if target == request.user and (role != ADMIN or not active):
        messages.error(request, "You cannot take away your own admin role or switch yourself off.")
        return redirect("team:users")
    with transaction.atomic():
        set_role(target, role)
        if target.is_superuser and role != ADMIN:
            target.is_superuser = False
        target.is_active = active
        target.save(update_fields=["is_active", "is_superuser"])
        if not active:
            signins.end(target)  # switched off: no session of theirs signs in any more
    state = "active" if active else "switched off"
    messages.success(request, f"{target.username} is now {role} ({state}).")
    return redirect("team:users")


@role_required(ADMIN)
@require_POST
def user_reset_password_view(request, user_id: int):
    target = get_object_or_404(User, pk=user_id)
    password = generated_password()
    target.set_password(password)
    target.save(update_fields=["password"])
    signins.end(target)  # their sessions no longer pass the password check
    messages.success(
        request,
        f"New password for {target.username}: {password} — pass it on privately; "
        "it is not shown again.",
    )
    return redirect("team:users")


@role_required(ADMIN)
@require_POST
def user_sign_out_view(request, user_id: int):
    """Sign a person out of every browser (their password stays as it is)."""
    target = get_object_or_404(User, pk=user_id)
    if target == request.user:
        messages.error(
            request,
            "To sign yourself out elsewhere, use “Sign out the other browsers” on your "
            "password page; this browser stays signed in.",
        )
        return redirect("team:users")
    ended = signins.end(target)
    if ended:
        messages.success(
            request,
            f"{target.username} was signed out of {ended} browser{pluralize(ended)}.",
        )
    else:
        messages.info(request, f"{target.username} was not signed in anywhere.")
    return redirect("team:users")
