from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from flowdash.accounts.connection import current_connection
from flowdash.accounts.forms import ApiTokenForm
from flowdash.accounts.models import ApiToken, ConnectionCheck
from flowdash.accounts.tasks import check_connection_task
from flowdash.team.roles import ADMIN, role_required

STALE_CHECK = timedelta(seconds=20)


def _settings_context(request, form: ApiTokenForm | None = None) -> dict:
    check = ConnectionCheck.objects.first()
    return {
        "form": form or ApiTokenForm(),
        "stored": ApiToken.objects.filter(pk=1).first(),
        "connection": current_connection(),
        "check": check,
        "check_stale": bool(
            check and not check.finished and timezone.now() - check.created_at > STALE_CHECK
        ),
    }


@role_required(ADMIN)
@require_http_methods(["GET", "POST"])
def settings_view(request):
    form = ApiTokenForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            ApiToken.store(form.cleaned_data["token"], request.user)
            messages.success(request, "The API token was saved (encrypted). Test the connection.")
            return redirect("accounts:settings")
        return render(request, "accounts/settings.html", _settings_context(request, form), status=400)
    context = _settings_context(request)
    if request.htmx.target == "connection-check":
        return render(request, "accounts/settings.html#connection-check", context)
    return render(request, "accounts/settings.html", context)


@role_required(ADMIN)
@require_POST
def token_delete_view(request):
    deleted, _ = ApiToken.objects.filter(pk=1).delete()
    if deleted:
        messages.success(request, "The stored API token was removed.")
    return redirect("accounts:settings")


@role_required(ADMIN)
@require_POST
def test_connection_view(request):
    connection = current_connection()
    with transaction.atomic():
        check = ConnectionCheck.objects.create(base_url=connection.base_url, requested_by=request.user)
        transaction.on_commit(lambda: check_connection_task.delay(check.pk))
    context = _settings_context(request)
    if request.htmx:
        return render(request, "accounts/settings.html#connection-check", context)
    return redirect("accounts:settings")


@require_GET
def accounts_list_view(request):
    return render(request, "accounts/list.html")
