from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from flowdash.assets import services
from flowdash.assets.forms import UploadForm, UploadToAccountForm
from flowdash.assets.models import Asset
from flowdash.jobs.models import ACTIVE, Job
from flowdash.jobs.queue import create_job
from flowdash.lib.params import parse_id
from flowdash.lib.partials import render_page
from flowdash.team.roles import ADMIN, CREATOR, has_role, role_required

PAGE_SIZE = 24
FAILED_SHOWN = timedelta(hours=24)  # a failed upload stays on its card this long


def _pending_uploads() -> dict[int, list[Job]]:
    pending: dict[int, list[Job]] = defaultdict(list)
    recent_failure = Q(status=Job.Status.FAILED, finished_at__gte=timezone.now() - FAILED_SHOWN)
    jobs = Job.objects.filter(kind=Job.Kind.ASSET_UPLOAD).filter(
        Q(status__in=[*ACTIVE, Job.Status.NEEDS_ATTENTION]) | recent_failure
    )
    for job in jobs.select_related("requested_account").order_by("-created_at")[:200]:
        asset_pk = (job.params or {}).get("asset")
        if isinstance(asset_pk, int):
            pending[asset_pk].append(job)
    return pending


def _index_context(request, form: UploadForm | None = None) -> dict:
    assets = Asset.objects.newest_first().select_related("uploaded_by", "media")
    page = Paginator(assets.prefetch_related("uploads__account"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    pending = _pending_uploads()
    for asset in page:
        asset.upload_jobs = pending.get(asset.pk, [])
        asset.can_delete = can_delete(request.user, asset)
    waiting = any(job.status in ACTIVE for asset in page for job in asset.upload_jobs)
    return {
        "page": page,
        "form": form or UploadForm(),
        "account_form": UploadToAccountForm(),
        "waiting": waiting,
        "total": page.paginator.count,
    }


def can_delete(user, asset: Asset) -> bool:
    if has_role(user, ADMIN):
        return True
    return has_role(user, CREATOR) and asset.uploaded_by_id == user.pk


@require_http_methods(["GET", "POST"])
def index_view(request):
    """The assets grid; a POST (creators) uploads one or several images."""
    if request.method == "GET":
        context = _index_context(request)
        return render_page(request, "assets/index.html", context, ("assets-grid",))

    if not has_role(request.user, CREATOR):
        raise PermissionDenied("Uploading needs the creator role.")
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "assets/index.html", _index_context(request, form), status=400)
    stored, reused, refused = [], [], []
    for upload in form.cleaned_data["files"]:
        try:
            result = services.store_asset(
                upload, name=upload.name or "", size=upload.size, user=request.user
            )
        except services.InvalidUpload as exc:
            refused.append((upload.name or "file", str(exc)))
            continue
        (stored if result.created else reused).append(result.asset)
    if stored:
        names = ", ".join(str(a) for a in stored[:5]) + ("…" if len(stored) > 5 else "")
        kinds = {"video" if a.is_video else "image" for a in stored}
        noun = kinds.pop() if len(kinds) == 1 else "file"
        messages.success(
            request, f"Uploaded {len(stored)} {noun}{pluralize(len(stored))}: {names}."
        )
    if reused:
        messages.info(
            request,
            f"{len(reused)} file{'s were' if len(reused) > 1 else ' was'} already here "
            "(same content), kept once: " + ", ".join(str(a) for a in reused[:5]) + ".",
        )
    if refused:
        for name, reason in refused:
            form.add_error("files", f"{name}: {reason}")
        return render(request, "assets/index.html", _index_context(request, form), status=400)
    return redirect("assets:index")


@role_required(CREATOR)
@require_POST
def upload_to_account_view(request, pk: int):
    """Queue an asset_upload job: POST /assets[/{email}] runs in a worker, never here."""
    asset = get_object_or_404(Asset, pk=pk)
    form = UploadToAccountForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose one of the usable accounts, or Auto.")
        return redirect(_back(request))
    account = form.cleaned_data["account"]
    if account is not None and asset.upload_on(account) is not None:
        messages.info(request, f"{asset} is already on {account.full_email or account.email}.")
        return redirect(_back(request))
    create_job(
        Job.Kind.ASSET_UPLOAD, {"asset": asset.pk}, user=request.user, requested_account=account
    )
    where = (account.full_email or account.email) if account else "the account the API picks"
    messages.success(request, f"Uploading {asset} to {where}…")
    return redirect(_back(request))


def _back(request) -> str:
    page = parse_id(request.POST.get("page") or request.GET.get("page"))
    url = reverse("assets:index")
    return f"{url}?page={page}" if page else url


@require_http_methods(["GET", "POST"])
def delete_view(request, pk: int):
    asset = get_object_or_404(Asset.objects.select_related("uploaded_by"), pk=pk)
    if not can_delete(request.user, asset):
        raise PermissionDenied("Only the person who uploaded it, or an admin, can delete it.")
    busy = services.jobs_using(asset)
    if request.method == "POST":
        if busy:
            messages.error(
                request,
                f"{asset} is used by {len(busy)} job(s) still running; delete it when they end.",
            )
            return redirect("assets:delete", pk=pk)
        name = str(asset)
        services.delete_asset(asset)
        messages.success(request, f"Deleted {name}.")
        return redirect("assets:index")
    return render(
        request,
        "assets/delete.html",
        {"asset": asset, "busy": busy, "uploads": asset.uploads.select_related("account")},
    )


def _serve(field, content_type: str):
    if not field or not field.name:
        raise Http404("No file.")
    try:
        handle = field.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404("The file is missing on disk.") from None
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "private, max-age=86400"
    return response


@require_GET
def file_view(request, pk: int):
    asset = get_object_or_404(Asset, pk=pk)
    response = _serve(asset.file, asset.content_type)
    if request.GET.get("download"):
        response["Content-Disposition"] = (
            f'attachment; filename="asset-{asset.pk}.{asset.extension}"'
        )
    return response


@require_GET
def thumbnail_view(request, pk: int):
    asset = get_object_or_404(Asset, pk=pk)
    if asset.thumbnail:
        return _serve(asset.thumbnail, "image/jpeg")
    if asset.is_video:
        raise Http404("This video has no thumbnail.")
    return _serve(asset.file, asset.content_type)
