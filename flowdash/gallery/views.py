"""Gallery pages: the grid, one item, its files, and collections (boards).

Who may do what (enforced here, not only in menus):
- everyone signed in (viewers too) browses, opens, downloads, and keeps personal favourites;
- creators tag and delete their own items, make collections, and add, remove and arrange
  items on any collection (boards are shared by the team); renaming or deleting a collection
  belongs to the person who made it;
- admins may do all of it to anything.
"""

from __future__ import annotations

import re
from functools import cache
from typing import NamedTuple
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.db.models import Max, Q
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import escape
from django.utils.http import content_disposition_header
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from flowdash.gallery import services
from flowdash.gallery.cards import render_cards
from flowdash.gallery.filters import (
    PAGE_SIZES,
    GalleryFilters,
    forget_menus,
    menu_data,
    menus_html,
)
from flowdash.gallery.forms import AddToCollectionForm, CollectionForm, TagForm
from flowdash.gallery.models import Collection, CollectionItem, Media, Tag
from flowdash.gallery.selection import (
    COMPARE_MAX,
    COMPARE_MIN,
    Refused,
    Selection,
    read_selection,
    require_all,
)
from flowdash.lib.database import execute_prepared
from flowdash.lib.params import parse_id, safe_next
from flowdash.team.roles import ADMIN, CREATOR, has_role

# --- rules ---------------------------------------------------------------------------------------


def can_organise(user, media: Media) -> bool:
    """Tag or delete this item: its creator (with the creator role) or an admin."""
    if has_role(user, ADMIN):
        return True
    return has_role(user, CREATOR) and media.created_by_id == user.pk


def can_arrange(user) -> bool:
    """Make collections and add, remove or arrange their items."""
    return has_role(user, CREATOR)


def can_edit_collection(user, collection: Collection) -> bool:
    """Rename or delete a collection."""
    if has_role(user, ADMIN):
        return True
    return has_role(user, CREATOR) and collection.created_by_id == user.pk


def _deny(message: str):
    raise PermissionDenied(message)


# --- the grid ------------------------------------------------------------------------------------


@require_GET
def gallery_view(request):
    filters = GalleryFilters.from_query(request.GET, request.user)
    items, next_cursor = filters.page(request.user)
    context = {
        "filters": filters,
        "items": items,
        "cards_html": _cards_in_view(render_cards(items), filters),
        "next_cursor": next_cursor,
        "base_query": filters.querystring(),
        "more_query": filters.querystring(cursor=next_cursor) if next_cursor else "",
    }
    target = request.htmx.target if request.htmx else None
    if target == "gallery-more":
        return render(request, "gallery/index.html#gallery-more", context)
    scoped = filters.as_params()
    scoped.pop("scope", None)
    context.update(
        everyone_query=urlencode(scoped, doseq=True),
        mine_query=urlencode({**scoped, "scope": "mine"}, doseq=True),
    )
    if target == "gallery-results":  # the scope links ride along out of band
        return render(request, "gallery/index.html#gallery-results", context)
    context.update(
        menus_html=menus_html(filters.menus()),
        selection_collections=menu_data()["collections"],
        page_sizes=PAGE_SIZES,
        has_any=bool(items) or filters.facets["newest"] > 0,
    )
    return render(request, "gallery/index.html", context)


_CARD_LINK = re.compile(r'href="/gallery/(\d+)/"')


def _cards_in_view(cards_html: SafeString, filters: GalleryFilters) -> SafeString:
    """The cached cards, their links carrying the current filters, so an item opened from a
    filtered grid steps to the previous and next item of the same view."""
    query = filters.querystring()
    if not query:
        return cards_html
    suffix = escape(query)
    linked = _CARD_LINK.sub(lambda m: f'href="/gallery/{m[1]}/?{suffix}"', cards_html)
    return mark_safe(linked)  # noqa: S308 - escaped cards, an escaped query string


def neighbours(media: Media, filters: GalleryFilters, user) -> tuple[int | None, int | None]:
    """The items just newer and just older than ``media`` in the grid's order (newest first)
    among those ``filters`` show: the detail page's previous and next."""
    qs = filters.queryset(user)
    at, pk = media.created_at, media.pk
    newer = (
        qs.filter(created_at__gte=at)
        .filter(Q(created_at__gt=at) | Q(pk__gt=pk))
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)
        .first()
    )
    older = (
        qs.filter(created_at__lte=at)
        .filter(Q(created_at__lt=at) | Q(pk__lt=pk))
        .order_by("-created_at", "-pk")
        .values_list("pk", flat=True)
        .first()
    )
    return newer, older


# --- one item ------------------------------------------------------------------------------------


def _media(pk: int) -> Media:
    return get_object_or_404(Media.objects.select_related("created_by", "account", "job"), pk=pk)


def _job_url(job_id: int) -> str:
    return reverse("jobs:detail", args=[job_id])


def _detail_context(request, media: Media, **extra) -> dict:
    studio = reverse("jobs:studio")
    user = request.user
    collections = list(
        media.collection_entries.select_related("collection").order_by("collection__name")
    )
    context = {
        "media": media,
        "is_favourite": media.favourited_by.filter(pk=user.pk).exists(),
        "tags": list(media.tags.all()),
        "entries": collections,
        "can_organise": can_organise(user, media),
        "can_arrange": can_arrange(user),
        "tag_form": TagForm(),
        "collect_form": AddToCollectionForm(),
        "job_url": _job_url(media.job_id) if media.job_id else "",
        "remix_url": f"{studio}?from_media={media.pk}",
        "reference_url": f"{studio}?reference=media:{media.pk}",
        "start_url": f"{studio}?start=media:{media.pk}",
        "download_name": services.download_name(media),
        "has_file": bool(media.file) and media.download_status == Media.Download.STORED,
    }
    context.update(extra)
    return context


@require_GET
def detail_view(request, pk: int):
    media = _media(pk)
    filters = GalleryFilters.from_query(request.GET, request.user)
    newer, older = neighbours(media, filters, request.user)
    query = filters.querystring()
    suffix = f"?{query}" if query else ""
    steps = {
        "prev_url": f"{reverse('gallery:detail', args=[newer])}{suffix}" if newer else "",
        "next_url": f"{reverse('gallery:detail', args=[older])}{suffix}" if older else "",
        "back_url": f"{reverse('gallery:index')}{suffix}",
        "in_view": bool(filters.active),
    }
    return render(request, "gallery/detail.html", _detail_context(request, media, **steps))


def _stored_file(media: Media):
    if not media.file or media.download_status != Media.Download.STORED:
        raise Http404("This item has no stored file.")
    if not media.file.storage.exists(media.file.name):
        raise Http404("The file is missing from storage.")
    return media.file


@require_GET
def file_view(request, pk: int):
    media = get_object_or_404(Media, pk=pk)
    stored = _stored_file(media)
    response = services.file_response(
        stored.storage,
        stored.name,
        services.content_type_of(media),
        request.headers.get("Range", ""),
    )
    response["Cache-Control"] = "private, max-age=3600"
    return response


@require_GET
def download_view(request, pk: int):
    media = get_object_or_404(Media, pk=pk)
    stored = _stored_file(media)
    return services.file_response(
        stored.storage,
        stored.name,
        services.content_type_of(media),
        request.headers.get("Range", ""),
        attachment=services.download_name(media),
    )


PLACEHOLDER = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 160 120" width="160" height="120">'
    '<rect width="160" height="120" fill="#8a90a0" opacity=".18"/>'
    '<text x="80" y="66" font-family="sans-serif" font-size="14" fill="#5d6573" '
    'text-anchor="middle">{label}</text></svg>'
)


@require_GET
def thumbnail_view(request, pk: int):
    media = get_object_or_404(Media.objects.only("pk", "kind", "file", "thumbnail"), pk=pk)
    if services.ensure_thumbnail(media):
        response = services.file_response(
            media.thumbnail.storage, media.thumbnail.name, "image/jpeg"
        )
        response["Cache-Control"] = "private, max-age=604800"
        return response
    label = "no preview" if media.file else media.get_kind_display().lower()
    response = HttpResponse(PLACEHOLDER.format(label=label), content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=60"
    return response


@require_POST
def favourite_view(request, pk: int):
    media = get_object_or_404(Media, pk=pk)
    if media.favourited_by.filter(pk=request.user.pk).exists():
        media.favourited_by.remove(request.user)
        is_favourite = False
    else:
        media.favourited_by.add(request.user)
        is_favourite = True
    if request.htmx:
        return render(
            request,
            "gallery/detail.html#favourite-button",
            {"media": media, "is_favourite": is_favourite},
        )
    return redirect("gallery:detail", pk=pk)


def _tags_response(request, media: Media, form: TagForm | None = None, status: int = 200):
    if request.htmx:
        context = {
            "media": media,
            "tags": list(media.tags.all()),
            "can_organise": True,
            "tag_form": form or TagForm(),
        }
        return render(request, "gallery/detail.html#media-tags", context)
    if form is not None and form.errors:
        context = _detail_context(request, _media(media.pk), tag_form=form)
        return render(request, "gallery/detail.html", context, status=status)
    return redirect("gallery:detail", pk=media.pk)


@require_POST
def tag_add_view(request, pk: int):
    media = get_object_or_404(Media, pk=pk)
    if not can_organise(request.user, media):
        _deny("Only the item's creator or an admin may tag it.")
    form = TagForm(request.POST)
    if not form.is_valid():
        return _tags_response(request, media, form, status=400)
    tag, created = Tag.objects.get_or_create(name=form.cleaned_data["name"])
    if created:
        forget_menus()
    media.tags.add(tag)
    return _tags_response(request, media)


@require_POST
def tag_remove_view(request, pk: int, tag_pk: int):
    media = get_object_or_404(Media, pk=pk)
    if not can_organise(request.user, media):
        _deny("Only the item's creator or an admin may change its tags.")
    media.tags.remove(get_object_or_404(Tag, pk=tag_pk))
    return _tags_response(request, media)


@require_POST
def collect_view(request, pk: int):
    media = _media(pk)
    if not can_arrange(request.user):
        _deny("Adding to collections needs the creator role.")
    form = AddToCollectionForm(request.POST)
    if form.is_valid():
        with transaction.atomic():
            collection = form.cleaned_data["collection"]
            if collection is None:
                collection = Collection.objects.create(
                    name=form.cleaned_data["new_name"], created_by=request.user
                )
                transaction.on_commit(forget_menus)
            added = _add_to_collection(collection, media, request.user)
        if added:
            messages.success(request, f"Added to “{collection.name}”.")
        else:
            messages.info(request, f"It is already in “{collection.name}”.")
        form = AddToCollectionForm()
    status = 200 if form.is_bound is False or not form.errors else 400
    context = _detail_context(request, media, collect_form=form)
    if request.htmx:
        return render(request, "gallery/detail.html#media-collections", context)
    if form.errors:
        return render(request, "gallery/detail.html", context, status=status)
    return redirect("gallery:detail", pk=pk)


def _add_to_collection(collection: Collection, media: Media, user) -> bool:
    if collection.entries.filter(media=media).exists():
        return False
    last = collection.entries.aggregate(last=Max("position"))["last"]
    try:
        with transaction.atomic():
            CollectionItem.objects.create(
                collection=collection,
                media=media,
                position=0 if last is None else last + 1,
                added_by=user,
            )
    except IntegrityError:  # added at the same moment by someone else
        return False
    if collection.cover_id is None:
        Collection.objects.filter(pk=collection.pk, cover__isnull=True).update(cover=media)
    return True


@require_http_methods(["GET", "POST"])
def delete_view(request, pk: int):
    media = _media(pk)
    if not can_organise(request.user, media):
        _deny("Only the item's creator or an admin may delete it.")
    if request.method == "POST":
        label = str(media)
        services.delete_media(media)
        messages.success(request, f"{label} was deleted, with its files.")
        return redirect("gallery:index")
    derived = media.derived.count()
    return render(request, "gallery/delete.html", {"media": media, "derived": derived})


# --- collections ---------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def collections_view(request):
    form = CollectionForm()
    if request.method == "POST":
        if not can_arrange(request.user):
            _deny("Making collections needs the creator role.")
        form = CollectionForm(request.POST)
        if form.is_valid():
            collection = form.save(commit=False)
            collection.created_by = request.user
            collection.save()
            forget_menus()
            messages.success(request, f"Collection “{collection.name}” was made.")
            return redirect("gallery:collection", pk=collection.pk)
    return render(
        request,
        "gallery/collections.html",
        {"collections": boards(), "form": form, "can_arrange": can_arrange(request.user)},
        status=400 if form.errors else 200,
    )


class Board(NamedTuple):
    """What the collections page shows of one collection."""

    pk: int
    name: str
    cover_id: int | None
    creator: str | None  # the maker's username; None once that account is gone
    count: int


@cache
def _boards_sql() -> str:
    q = connection.ops.quote_name
    boards, entries = Collection._meta, CollectionItem._meta
    people = get_user_model()._meta
    username = people.get_field(people.model.USERNAME_FIELD).column
    return (
        f"SELECT c.{q('id')}, c.{q('name')}, c.{q('cover_id')}, u.{q(username)},"  # noqa: S608 - names from the models
        f" (SELECT COUNT(*) FROM {q(entries.db_table)} e WHERE e.{q('collection_id')} = c.{q('id')})"
        f" FROM {q(boards.db_table)} c"
        f" LEFT JOIN {q(people.db_table)} u ON u.{q(people.pk.column)} = c.{q('created_by_id')}"
        f" ORDER BY c.{q('name')}, c.{q('id')}"
    )


def boards() -> list[Board]:
    """Every collection by name, with its cover, its maker and how many items it holds.

    One query written once as SQL: built with the ORM (a join, a count) it took longer to
    compile on every visit than to run, about a fifth of the page.
    """
    with connection.cursor() as cursor:
        execute_prepared(cursor, "flowdash_boards", _boards_sql())
        return [Board(*row) for row in cursor.fetchall()]


def _collection(pk: int) -> Collection:
    return get_object_or_404(Collection.objects.select_related("cover", "created_by"), pk=pk)


@require_GET
def collection_view(request, pk: int):
    collection = _collection(pk)
    entries = list(
        collection.entries.select_related("media", "media__created_by").order_by("position", "pk")
    )
    return render(
        request,
        "gallery/collection.html",
        {
            "collection": collection,
            "entries": entries,
            "can_arrange": can_arrange(request.user),
            "can_edit": can_edit_collection(request.user, collection),
        },
    )


@require_http_methods(["GET", "POST"])
def collection_edit_view(request, pk: int):
    collection = _collection(pk)
    if not can_edit_collection(request.user, collection):
        _deny("Only the person who made this collection or an admin may rename it.")
    form = CollectionForm(request.POST or None, instance=collection)
    if request.method == "POST" and form.is_valid():
        form.save()
        forget_menus()
        messages.success(request, "The collection was renamed.")
        return redirect("gallery:collection", pk=pk)
    return render(
        request,
        "gallery/collection_edit.html",
        {"collection": collection, "form": form},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def collection_delete_view(request, pk: int):
    collection = _collection(pk)
    if not can_edit_collection(request.user, collection):
        _deny("Only the person who made this collection or an admin may delete it.")
    if request.method == "POST":
        name = collection.name
        collection.delete()
        forget_menus()
        messages.success(
            request, f"Collection “{name}” was deleted; its items stay in the gallery."
        )
        return redirect("gallery:collections")
    return render(
        request,
        "gallery/collection_delete.html",
        {"collection": collection, "count": collection.entries.count()},
    )


def _entry(pk: int, entry_pk: int) -> CollectionItem:
    return get_object_or_404(
        CollectionItem.objects.select_related("collection", "media"),
        pk=entry_pk,
        collection_id=pk,
    )


@require_POST
def collection_move_view(request, pk: int, entry_pk: int):
    if not can_arrange(request.user):
        _deny("Arranging collections needs the creator role.")
    entry = _entry(pk, entry_pk)
    direction = request.POST.get("direction")
    with transaction.atomic():
        entries = list(
            CollectionItem.objects.select_for_update()
            .filter(collection_id=pk)
            .order_by("position", "pk")
        )
        index = next(i for i, e in enumerate(entries) if e.pk == entry.pk)
        other = {"up": index - 1, "down": index + 1, "first": 0, "last": len(entries) - 1}.get(
            direction
        )
        if other is not None and 0 <= other < len(entries) and other != index:
            moving = entries.pop(index)
            entries.insert(other, moving)
            for position, item in enumerate(entries):
                item.position = position
            CollectionItem.objects.bulk_update(entries, ["position"])
    return redirect("gallery:collection", pk=pk)


@require_POST
def collection_remove_view(request, pk: int, entry_pk: int):
    if not can_arrange(request.user):
        _deny("Changing collections needs the creator role.")
    entry = _entry(pk, entry_pk)
    with transaction.atomic():
        entry.delete()
        collection = entry.collection
        if collection.cover_id == entry.media_id:
            first = collection.entries.order_by("position", "pk").first()
            collection.cover_id = first.media_id if first else None
            collection.save(update_fields=["cover"])
    messages.success(request, "Removed from the collection (the item stays in the gallery).")
    return redirect("gallery:collection", pk=pk)


@require_POST
def collection_cover_view(request, pk: int, entry_pk: int):
    if not can_arrange(request.user):
        _deny("Changing collections needs the creator role.")
    entry = _entry(pk, entry_pk)
    Collection.objects.filter(pk=pk).update(cover=entry.media)
    messages.success(request, "The cover was changed.")
    return redirect("gallery:collection", pk=pk)


@require_GET
def collection_download_view(request, pk: int):
    collection = _collection(pk)
    entries = services.zip_entries(collection)
    name = services.download_name_for_collection(collection)
    response = StreamingHttpResponse(services.stream_zip(entries), content_type="application/zip")
    response["Content-Disposition"] = content_disposition_header(True, name)
    response["Cache-Control"] = "no-store"
    return response


# --- several items at once, and Compare ---------------------------------------------------------

SELECTION_ACTIONS = ("tag", "collect", "favourite", "download", "delete", "compare")


def _refused(request, refusal: Refused):
    return render(
        request,
        "gallery/selection_refused.html",
        {"message": refusal.message, "back_url": _back_url(request)},
        status=refusal.status,
    )


def _back_url(request) -> str:
    return safe_next(request, request.POST.get("next"), reverse("gallery:index"))


@require_POST
def selection_view(request):
    """One endpoint for the selection bar: ``action`` and the selected ``ids``."""
    action = request.POST.get("action") or ""
    if action not in SELECTION_ACTIONS:
        return _refused(request, Refused("Choose what to do with the selected items."))
    try:
        if action == "compare":
            selection = read_selection(
                request.POST.getlist("ids"), at_least=COMPARE_MIN, at_most=COMPARE_MAX
            )
            query = urlencode({"ids": selection.ids}, doseq=True)
            return redirect(f"{reverse('gallery:compare')}?{query}")
        selection = read_selection(request.POST.getlist("ids"))
        return _act_on_selection(request, action, selection)
    except Refused as refusal:
        return _refused(request, refusal)


def _act_on_selection(request, action: str, selection: Selection):
    user = request.user
    count = len(selection.items)
    noun = "item" if count == 1 else "items"
    if action == "favourite":
        user.favourite_media.add(*selection.items)
        messages.success(request, f"{count} {noun} added to your favourites.")
    elif action == "download":
        entries = services.numbered_entries(selection.items)
        if not entries:
            raise Refused("None of the selected items has a stored file to download.")
        response = StreamingHttpResponse(
            services.stream_zip(entries), content_type="application/zip"
        )
        name = f"flowdash-{count}-{noun}.zip"
        response["Content-Disposition"] = content_disposition_header(True, name)
        response["Cache-Control"] = "no-store"
        return response
    elif action == "tag":
        if not has_role(user, CREATOR):
            raise Refused("Tagging needs the creator role.", status=403)
        require_all(selection, lambda m: can_organise(user, m), "tag")
        form = TagForm({"name": request.POST.get("tag", "")})
        if not form.is_valid():
            raise Refused("Tag: " + " ".join(form.errors["name"]))
        tag, created = Tag.objects.get_or_create(name=form.cleaned_data["name"])
        if created:
            forget_menus()
        tag.media.add(*selection.items)
        messages.success(request, f"{count} {noun} tagged “{tag.name}”.")
    elif action == "collect":
        if not can_arrange(user):
            raise Refused("Adding to collections needs the creator role.", status=403)
        form = AddToCollectionForm(request.POST)
        if not form.is_valid():
            errors = [e for field_errors in form.errors.values() for e in field_errors]
            raise Refused(" ".join(errors))
        with transaction.atomic():
            collection = form.cleaned_data["collection"]
            if collection is None:
                collection = Collection.objects.create(
                    name=form.cleaned_data["new_name"], created_by=user
                )
                transaction.on_commit(forget_menus)
            added = sum(_add_to_collection(collection, m, user) for m in selection.items)
        messages.success(
            request,
            f"{added} of {count} {noun} added to “{collection.name}”"
            + (" (the others were already in it)." if added < count else "."),
        )
    elif action == "delete":
        if not has_role(user, CREATOR):
            raise Refused("Deleting needs the creator role.", status=403)
        require_all(selection, lambda m: can_organise(user, m), "delete")
        for media in selection.items:
            services.delete_media(media)
        messages.success(request, f"{count} {noun} deleted, with their files.")
    return redirect(_back_url(request))


@require_GET
def compare_view(request):
    try:
        selection = read_selection(
            request.GET.getlist("ids"), at_least=COMPARE_MIN, at_most=COMPARE_MAX
        )
    except Refused as refusal:
        return render(
            request,
            "gallery/selection_refused.html",
            {"message": refusal.message, "back_url": reverse("gallery:index")},
            status=refusal.status,
        )
    items = selection.items
    favourites = set(
        request.user.favourite_media.filter(pk__in=selection.ids).values_list("pk", flat=True)
    )
    return render(
        request,
        "gallery/compare.html",
        {
            "items": items,
            "ids": selection.ids,
            "favourites": favourites,
            "has_video": any(m.kind == Media.Kind.VIDEO for m in items),
            "columns": len(items),
            "can_keep": all(can_organise(request.user, m) for m in items),
        },
    )


@require_POST
def compare_keep_view(request):
    """Keep one of the compared items: it becomes a favourite, the others are archived."""
    try:
        selection = read_selection(
            request.POST.getlist("ids"), at_least=COMPARE_MIN, at_most=COMPARE_MAX
        )
        keep = parse_id(request.POST.get("keep"))
        if keep not in selection.ids:
            raise Refused("Choose one of the compared items to keep.")
        others = [m for m in selection.items if m.pk != keep]
        user = request.user
        if not has_role(user, CREATOR):
            raise Refused("Archiving the others needs the creator role.", status=403)
        require_all(Selection(ids=[], items=others), lambda m: can_organise(user, m), "archive")
    except Refused as refusal:
        return _refused(request, refusal)
    kept = next(m for m in selection.items if m.pk == keep)
    with transaction.atomic():
        user.favourite_media.add(kept)
        Media.objects.filter(pk__in=[m.pk for m in others]).update(archived=True)
        Media.objects.filter(pk=keep).update(archived=False)
    archived = len(others)
    messages.success(
        request,
        f"Kept {kept} as a favourite; {archived} other{'s' if archived != 1 else ''} archived "
        "(shown with the gallery's “Archived only” filter).",
    )
    return redirect("gallery:detail", pk=keep)
