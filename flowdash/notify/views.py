"""Notification targets (admins) and each person's choice of events."""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from flowdash.notify import services
from flowdash.notify.forms import ChoiceForm, TargetForm
from flowdash.notify.models import Choice, Target
from flowdash.team.roles import ADMIN, role_required


@role_required(ADMIN)
@require_http_methods(["GET", "POST"])
def targets_view(request):
    form = TargetForm(request.POST or None)
    new_secret, status = None, 200
    if request.method == "POST":
        if form.is_valid():
            target = Target(
                name=form.cleaned_data["name"],
                kind=form.cleaned_data["kind"],
                created_by=request.user,
            )
            target.set_url(form.cleaned_data["url"])
            if target.kind == Target.Kind.WEBHOOK:
                new_secret = secrets.token_urlsafe(32)
                target.set_secret(new_secret)
            target.save()
            messages.success(request, f"Target “{target.name}” added.")
            form = TargetForm()
        else:
            status = 400
    context = {
        "form": form,
        "targets": Target.objects.all(),
        "new_secret": new_secret,
        "allow_private": services.allow_private(),
    }
    response = render(request, "notify/targets.html", context, status=status)
    if new_secret:
        response["Cache-Control"] = "no-store"
    return response


@role_required(ADMIN)
@require_POST
def test_view(request, pk: int):
    target = get_object_or_404(Target, pk=pk)
    services.send_test(target, request.user)
    messages.info(request, f"A test message to “{target.name}” is on its way (sent by the worker).")
    return redirect("notify:targets")


@role_required(ADMIN)
@require_POST
def toggle_view(request, pk: int):
    target = get_object_or_404(Target, pk=pk)
    Target.objects.filter(pk=pk).update(enabled=not target.enabled)
    word = "paused" if target.enabled else "turned back on"
    messages.success(request, f"“{target.name}” {word}.")
    return redirect("notify:targets")


@role_required(ADMIN)
@require_POST
def delete_view(request, pk: int):
    target = get_object_or_404(Target, pk=pk)
    target.delete()
    messages.success(request, f"Target “{target.name}” deleted.")
    return redirect("notify:targets")


@require_http_methods(["GET", "POST"])
def choices_view(request):
    targets = list(Target.objects.filter(enabled=True))
    mine = {c.target_id: c for c in Choice.objects.filter(user=request.user)}
    status = 200
    if request.method == "POST":
        target = get_object_or_404(Target, pk=_target_id(request.POST.get("target")), enabled=True)
        form = ChoiceForm(request.POST, prefix=f"t{target.pk}")
        if form.is_valid():
            Choice.objects.update_or_create(
                user=request.user,
                target=target,
                defaults={
                    "kinds": form.cleaned_data["kinds"],
                    "job_scope": form.cleaned_data["job_scope"],
                },
            )
            messages.success(request, f"Saved: what reaches “{target.name}” for you.")
            return redirect("notify:choices")
        messages.error(request, "Those choices were not understood; nothing was changed.")
        status = 400
    rows = []
    for target in targets:
        choice = mine.get(target.pk)
        initial = {"kinds": choice.kinds, "job_scope": choice.job_scope} if choice else {}
        rows.append({"target": target, "form": ChoiceForm(initial=initial, prefix=f"t{target.pk}")})
    return render(request, "notify/choices.html", {"rows": rows}, status=status)


def _target_id(raw: str | None) -> int:
    try:
        value = int(raw or "")
    except ValueError:
        return 0
    return value if 0 < value < 2**63 else 0
