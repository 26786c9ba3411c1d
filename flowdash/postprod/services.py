"""Post-production rules: what the API allows on a media item, and where things came from.

Plain functions over the models. Nothing here talks to the API: the forms use the rules to
refuse, with the reason in words, before a job is created; the handlers use the storage helpers
to decode inline bodies straight into files; the pages use the lineage walk.
"""

from __future__ import annotations

import contextlib
import tempfile
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.core.files import File
from django.core.files.storage import default_storage
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from flowdash.gallery.models import Lineage, Media
from flowdash.jobs.models import Job

if TYPE_CHECKING:
    from flowdash.accounts.models import FlowAccount

# --- plans (GET /accounts/{email} → credits.userPaygateTier) -----------------------------------

TIER_FREE = "PAYGATE_TIER_NOT_PAID"
TIER_PRO = "PAYGATE_TIER_ONE"
TIER_ULTRA = "PAYGATE_TIER_TWO"
TIER_NAMES = {TIER_FREE: "free", TIER_PRO: "Pro", TIER_ULTRA: "Ultra"}

# Images the API upscales: made with nano-banana-pro (GEM_PIX_2 is its modelNameType).
UPSCALABLE_IMAGE_MODELS = frozenset({"nano-banana-pro", "gem_pix_2"})
IMAGE_UPSCALE_RESOLUTIONS = (("2k", "2K"), ("4k", "4K"))
VIDEO_UPSCALE_RESOLUTIONS = (("1080p", "1080p"), ("4K", "4K"))
EXTEND_MODELS = (
    ("veo-3.1-fast", "Veo 3.1 Fast"),
    ("veo-3.1-quality", "Veo 3.1 Quality"),
    ("veo-3.1-fast-relaxed", "Veo 3.1 Fast, relaxed (Ultra only)"),
)
ULTRA_ONLY_EXTEND_MODELS = frozenset({"veo-3.1-fast-relaxed"})
MAX_TRIM = 8.0
MIN_CLIPS, MAX_CLIPS = 2, 10
DEFAULT_CLIP_SECONDS = 8.0  # every Veo clip and extension is 8 s
DEFAULT_OVERLAP = 1.0  # an extension repeats about the last second of its source


def tier_of(account: FlowAccount | None) -> str:
    return (account.paygate_tier or "").strip().upper() if account else ""


def plan_words(account: FlowAccount | None) -> str:
    tier = tier_of(account)
    return TIER_NAMES.get(tier, tier.lower() or "unknown")


def is_paid(account: FlowAccount | None) -> bool | None:
    """True / False when the account's plan is known, None when it is not (yet)."""
    tier = tier_of(account)
    if not tier:
        return None
    return tier != TIER_FREE


def is_ultra(account: FlowAccount | None) -> bool | None:
    tier = tier_of(account)
    if not tier:
        return None
    return tier == TIER_ULTRA


# --- facts about one media item ----------------------------------------------------------------


ASPECT_WORDS = {"16:9": "landscape", "9:16": "portrait", "1:1": "square"}


def normalise_aspect(value: str) -> str:
    """landscape / portrait / square / … from whatever spelling the API or the form used."""
    value = (value or "").strip().lower()
    for prefix in ("video_aspect_ratio_", "image_aspect_ratio_"):
        if value.startswith(prefix):
            value = value[len(prefix) :]
    return ASPECT_WORDS.get(value, value)


def aspect_key(media: Media) -> str:
    """The media's aspect (see normalise_aspect), from its frame size when none was recorded."""
    value = normalise_aspect(media.aspect_ratio)
    if not value and media.width and media.height:
        if media.width > media.height:
            value = "landscape"
        elif media.width < media.height:
            value = "portrait"
        else:
            value = "square"
    return value


def aspect_words(key: str) -> str:
    return key.replace("_", " ") if key else "unknown shape"


def image_model_key(media: Media) -> str:
    """The image model a result was made with, from the media row or its job's request."""
    model = (media.model or "").strip()
    if not model and media.job_id:
        job = media.job
        if job is not None:
            model = str(job.params.get("model") or "")
    return model


def clip_seconds(media: Media) -> float:
    return float(media.duration_seconds or DEFAULT_CLIP_SECONDS)


def default_trim_start(media: Media) -> float:
    """Extended clips start with ~1 s of their source: trim it by default when joining."""
    if media.origin == Media.Origin.EXTENDED:
        overlap = media.overlap_seconds if media.overlap_seconds is not None else DEFAULT_OVERLAP
        return round(float(overlap), 2)
    return 0.0


@dataclass(frozen=True)
class Verdict:
    """Whether an action is allowed on a media item, and if not, why (in words)."""

    allowed: bool
    reason: str = ""
    note: str = ""

    def __bool__(self) -> bool:
        return self.allowed


def _refuse(reason: str) -> Verdict:
    return Verdict(False, reason)


def _api_reference(media: Media, what: str) -> Verdict | None:
    if not media.media_generation_id:
        if media.origin == Media.Origin.JOINED:
            return _refuse(
                f"Joined films have no mediaGenerationId in the API, so they cannot be {what}."
            )
        if media.origin == Media.Origin.UPLOADED:
            return _refuse(f"Uploaded files cannot be {what}; only results the API made can.")
        return _refuse(
            f"This item has no mediaGenerationId, so the API cannot find it to be {what}."
        )
    return None


def _source_refusal(media: Media, kind: str, wrong_kind: str, what: str) -> Verdict | None:
    """Why ``media`` cannot be ``what`` (upscaled, extended…): it is not of ``kind`` (said in the
    words ``wrong_kind``), or the API cannot find it. None when neither."""
    if media.kind != kind:
        return _refuse(wrong_kind)
    return _api_reference(media, what)


def _upscale_refusal(media: Media, kind: str, wrong_kind: str, noun: str) -> Verdict | None:
    """As :func:`_source_refusal` for an upscale; an upscale is not upscaled again."""
    refused = _source_refusal(media, kind, wrong_kind, "upscaled")
    if refused is None and media.origin == Media.Origin.UPSCALED:
        refused = _refuse(f"This {noun} is already an upscale.")
    return refused


def image_upscale_verdict(media: Media, resolution: str | None = None) -> Verdict:
    refused = _upscale_refusal(
        media,
        Media.Kind.IMAGE,
        "Only images can be upscaled here; videos have their own upscale.",
        "image",
    )
    if refused is not None:
        return refused
    model = image_model_key(media)
    if model.lower() not in UPSCALABLE_IMAGE_MODELS:
        return _refuse(
            "Only images made with nano-banana-pro can be upscaled "
            f"(this one was made with {model or 'an unknown model'})."
        )
    if resolution and resolution.lower() == "4k" and is_paid(media.account) is False:
        return _refuse(
            f"4K needs a paid Google account; {media.account_email or 'this account'} "
            f"is on the {plan_words(media.account)} plan. 2K works."
        )
    return Verdict(True)


def video_upscale_verdict(media: Media, resolution: str | None = None) -> Verdict:
    refused = _upscale_refusal(
        media, Media.Kind.VIDEO, "Only videos can be upscaled to 1080p or 4K.", "video"
    )
    if refused is not None:
        return refused
    if is_paid(media.account) is False:
        return _refuse(
            f"Video upscaling needs a paid Google plan; {media.account_email or 'this account'} "
            "is on the free plan."
        )
    if resolution and resolution.upper() == "4K" and is_ultra(media.account) is False:
        return _refuse(
            f"4K needs a Google AI Ultra account; {media.account_email or 'this account'} "
            f"is on the {plan_words(media.account)} plan. 1080p works."
        )
    return Verdict(True)


def extend_verdict(media: Media, model: str | None = None) -> Verdict:
    refused = _source_refusal(media, Media.Kind.VIDEO, "Only videos can be extended.", "extended")
    if refused is not None:
        return refused
    if is_paid(media.account) is False:
        return _refuse(
            f"Extending needs a paid Google plan with credits; "
            f"{media.account_email or 'this account'} is on the free plan."
        )
    if model in ULTRA_ONLY_EXTEND_MODELS and is_ultra(media.account) is False:
        return _refuse(f"{model} is only offered on Google AI Ultra accounts.")
    return Verdict(True)


def gif_verdict(media: Media) -> Verdict:
    word = "an image" if media.kind == Media.Kind.IMAGE else "a GIF"
    wrong_kind = f"A GIF is made from a video, and this is {word}."
    refused = _source_refusal(media, Media.Kind.VIDEO, wrong_kind, "turned into a GIF")
    return Verdict(True) if refused is None else refused


def concat_verdict(media: Media) -> Verdict:
    refused = _source_refusal(media, Media.Kind.VIDEO, "Only videos can be joined.", "joined")
    return Verdict(True) if refused is None else refused


# --- reuse of earlier results ------------------------------------------------------------------


def existing_upscale(media: Media, resolution: str) -> Media | None:
    """Our stored upscale of ``media`` at ``resolution`` (a repeat costs no API call)."""
    return (
        Media.objects.filter(
            sources__source=media,
            sources__relation=Lineage.Relation.UPSCALED_FROM,
            resolution__iexact=resolution,
        )
        .exclude(download_status=Media.Download.LOST)
        .order_by("pk")
        .first()
    )


def running_job(media: Media, kind: str, **params: Any) -> Job | None:
    """An unfinished job of ``kind`` on ``media`` with the same parameters."""
    for job in Job.objects.active().filter(kind=kind, source_media=media).order_by("pk"):
        if all(str(job.params.get(k, "")).lower() == str(v).lower() for k, v in params.items()):
            return job
    for job in Job.objects.filter(
        kind=kind, source_media=media, status=Job.Status.NEEDS_ATTENTION
    ).order_by("pk"):
        if all(str(job.params.get(k, "")).lower() == str(v).lower() for k, v in params.items()):
            return job
    return None


# --- scene building ----------------------------------------------------------------------------


def scene_videos():
    """Videos the API can join (they have a mediaGenerationId and a known account)."""
    return Media.objects.filter(kind=Media.Kind.VIDEO, account__isnull=False).exclude(
        media_generation_id=""
    )


_SHAPES = {
    "landscape": Q(width__gt=F("height")),
    "portrait": Q(width__lt=F("height")),
    "square": Q(width=F("height")),
}


def _aspect_filter(aspect: str) -> Q:
    """The rows whose aspect_key() is ``aspect``, as a database filter."""
    spellings = [
        raw
        for raw in scene_videos().order_by().values_list("aspect_ratio", flat=True).distinct()
        if raw and normalise_aspect(raw) == aspect
    ]
    match = Q(aspect_ratio__in=spellings)
    if aspect in _SHAPES:
        unrecorded = Q(aspect_ratio="", width__gt=0, height__gt=0) & _SHAPES[aspect]
        match |= unrecorded
    return match


def candidate_videos(
    account_id: int | None = None, aspect: str | None = None, query: str = "", limit: int = 60
) -> tuple[list[Media], bool]:
    """The newest ``limit`` joinable videos matching the filters, and whether there are more."""
    videos = scene_videos().select_related("account").newest_first()
    if account_id:
        videos = videos.filter(account_id=account_id)
    if aspect:
        videos = videos.filter(_aspect_filter(aspect))
    if query:
        videos = videos.matching(query)
    found = list(videos[: limit + 1])
    return found[:limit], len(found) > limit


def scene_menus() -> tuple[list, list[str]]:
    """The accounts and the aspects that joinable videos exist for (the filter menus)."""
    from flowdash.accounts.models import FlowAccount

    videos = scene_videos().order_by()
    accounts = FlowAccount.objects.filter(pk__in=videos.values("account_id")).order_by("email")
    aspects = {
        normalise_aspect(raw) for raw in videos.values_list("aspect_ratio", flat=True).distinct()
    }
    if "" in aspects:  # rows without a recorded ratio: their frame shape decides
        aspects.discard("")
        unrecorded = videos.filter(aspect_ratio="", width__gt=0, height__gt=0)
        aspects |= {shape for shape, match in _SHAPES.items() if unrecorded.filter(match).exists()}
    return list(accounts), sorted(aspects)


# --- lineage -----------------------------------------------------------------------------------


@dataclass
class LineageNode:
    media: Media
    relation: str = ""
    relation_label: str = ""
    position: int | None = None
    trim_start: float | None = None
    trim_end: float | None = None
    children: list[LineageNode] = field(default_factory=list)
    repeated: bool = False  # already shown elsewhere in this tree (or a cycle)


MAX_DEPTH = 30


def _walk(
    media: Media,
    links: Callable[[Media], Iterable[Lineage]],
    pick: Callable[[Lineage], Media],
    seen: set[int],
    depth: int,
) -> list[LineageNode]:
    nodes = []
    if depth >= MAX_DEPTH:
        return nodes
    for link in links(media):
        other = pick(link)
        node = LineageNode(
            media=other,
            relation=link.relation,
            relation_label=link.get_relation_display(),
            position=link.position,
            trim_start=link.trim_start,
            trim_end=link.trim_end,
        )
        if other.pk in seen:
            node.repeated = True
        else:
            seen.add(other.pk)
            node.children = _walk(other, links, pick, seen, depth + 1)
        nodes.append(node)
    return nodes


def _sources_of(media: Media):
    return media.sources.select_related("source", "source__account").order_by("position", "pk")


def _derived_of(media: Media):
    return media.derived.select_related("media", "media__account").order_by(
        "media__created_at", "pk"
    )


def ancestors(media: Media) -> list[LineageNode]:
    """Where ``media`` came from, as a tree walking back to the first prompts."""
    return _walk(media, _sources_of, lambda link: link.source, {media.pk}, 0)


def descendants(media: Media) -> list[LineageNode]:
    """What was made from ``media``, as a tree walking forward."""
    return _walk(media, _derived_of, lambda link: link.media, {media.pk}, 0)


def roots(nodes: list[LineageNode]) -> list[Media]:
    """The first items of the chains (nothing further back): the original prompts/uploads."""
    found: list[Media] = []

    def visit(node: LineageNode) -> None:
        if not node.children and not node.repeated and node.media not in found:
            found.append(node.media)
        for child in node.children:
            visit(child)

    for node in nodes:
        visit(node)
    return found


# --- links to other apps' pages ----------------------------------------------------------------


def job_page_url(job: Job) -> str:
    return reverse("jobs:detail", args=[job.pk])


# --- files -------------------------------------------------------------------------------------


def new_file_name(ext: str, folder: str = "media") -> str:
    now = timezone.now()
    return f"{folder}/{now:%Y/%m}/{uuid.uuid4().hex}.{ext.lstrip('.')}"


@dataclass(frozen=True)
class StoredFile:
    """A file decoded from an inline (base64) answer, already on our storage."""

    name: str
    size: int
    payload: dict[str, Any] = field(default_factory=dict, repr=False)


def decode_into_storage(ext: str, fetch: Callable[[Path], Any]) -> tuple[str, Any]:
    """Call ``fetch(path)`` (a client method writing the decoded body to ``path``), then save
    that file into the default storage, whatever kind it is. Bounded memory: the client streams
    the base64 into a private temporary file; the storage copies it in chunks."""
    with tempfile.TemporaryDirectory(prefix="flowdash-postprod-") as tmp:
        path = Path(tmp) / f"result.{ext.lstrip('.')}"
        answer = fetch(path)
        with path.open("rb") as handle:
            name = default_storage.save(new_file_name(ext), File(handle))
    return name, answer


def delete_stored(name: str) -> None:
    if name:
        with contextlib.suppress(OSError):
            default_storage.delete(name)


# --- what one item offers (the action page and the gallery's detail page) ---------------------


def action_summary(media: Media) -> dict[str, Any]:
    """Every post-production action on ``media``: allowed or not, and why, in words."""
    summary: dict[str, Any] = {"kind": media.kind, "upscales": []}
    if media.kind == Media.Kind.IMAGE:
        summary["upscale"] = image_upscale_verdict(media)
        summary["upscale_high"] = image_upscale_verdict(media, "4k")
        summary["high_label"] = "4K"
    else:
        summary["upscale"] = video_upscale_verdict(media)
        summary["upscale_high"] = video_upscale_verdict(media, "4K")
        summary["high_label"] = "4K"
    summary["extend"] = extend_verdict(media)
    summary["gif"] = gif_verdict(media)
    summary["join"] = concat_verdict(media)
    summary["upscales"] = list(
        Media.objects.filter(
            sources__source=media, sources__relation=Lineage.Relation.UPSCALED_FROM
        ).order_by("pk")
    )
    return summary
