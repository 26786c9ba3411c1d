"""The "API keys" page (make, see once, revoke) and the interactive API docs page."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from flowdash.api.forms import ApiKeyForm
from flowdash.api.models import ApiKey


@require_http_methods(["GET", "POST"])
def keys_view(request):
    form = ApiKeyForm(request.user, request.POST or None)
    new_key = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            key, new_key = ApiKey.issue(
                request.user,
                form.cleaned_data["name"],
                form.cleaned_data["scopes"],
                form.expires_at(),
            )
            form = ApiKeyForm(request.user)
        else:
            status = 400
    context = {
        "form": form,
        "new_key": new_key,
        "keys": ApiKey.objects.filter(user=request.user),
    }
    response = render(request, "api/keys.html", context, status=status)
    if new_key:
        response["Cache-Control"] = "no-store"  # the key is shown once; keep it out of caches
    return response


@require_POST
def revoke_view(request, pk: int):
    key = get_object_or_404(ApiKey, pk=pk, user=request.user)
    if key.revoke():
        messages.success(request, f"The key “{key.name}” was revoked; it no longer works.")
    else:
        messages.info(request, f"The key “{key.name}” was already revoked.")
    return redirect("api:keys")


@require_GET
def docs_view(request):
    return render(request, "api/docs.html")
