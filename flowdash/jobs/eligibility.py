"""Which Google accounts can run a job: the one place that decides (design.md rule 10).

Every account choice goes through here — "Auto" for videos (the API's load balancer only when
every usable account can run the model, else ``email`` of one that can), images by reference
(the holder of the references only when it can run the model; else another that can, the
references re-uploaded there), follow-ups by owner (upscale, extend: the owner must be able to)
— so a paid captcha is never spent on a certain "requires a Google AI Ultra plan" refusal.

The facts about plans and models come from :mod:`flowdash.useapi.catalog` (the model's
``min_tier``, :func:`~flowdash.useapi.catalog.tier_allows`, account keys mapped by
:func:`~flowdash.useapi.catalog.request_name_for_key`); :func:`plan_allows` only adds what an
operation other than a generation needs (videos and upscales a paid plan, 4K video upscale Ultra:
google-flow-v1.txt).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from flowdash.useapi import catalog

if TYPE_CHECKING:
    from flowdash.accounts.models import FlowAccount
    from flowdash.jobs.models import Job

VIDEO_KINDS = frozenset({"video", "extend"})
PAID_KINDS = frozenset({"video", "extend", "video_upscale"})


def canonical_model(model: str | None) -> str | None:
    """The model a request name runs today (a deprecated alias followed); the name itself when
    the catalog does not know it."""
    found = catalog.resolve(model)
    return found.name if found is not None else (model or None)


def plan_allows(
    tier: str | None, kind: str, model: str | None, resolution: str = ""
) -> bool | None:
    """Whether a plan (``paygate_tier``) can run ``model`` for a job of ``kind``: True, False,
    or None when the tier is unknown (the account was not synced yet)."""
    if not tier:
        return None
    needs = [catalog.TIER_PRO] if kind in PAID_KINDS else []
    if kind == "video_upscale" and resolution.upper() == "4K":
        needs.append(catalog.TIER_ULTRA)
    if kind == "image_upscale" and resolution.lower() == "4k":
        needs.append(catalog.TIER_PRO)
    found = catalog.resolve(model) if kind in ("image", *VIDEO_KINDS) else None
    if found is not None:
        needs.append(found.min_tier)
    verdicts = [catalog.tier_allows(tier, need) for need in needs]
    if False in verdicts:
        return False
    return None if None in verdicts else True


def request_model_name(key: str) -> str:
    """The POST /videos ``model`` behind an account's model key (veo_3_1_t2v_fast_ultra…), by
    the catalog; a key the catalog cannot map stays as it is (never offered for a request)."""
    return catalog.request_name_for_key(key) or key


def listed_models(account: FlowAccount) -> set[str] | None:
    """The request names of the video models the account lists, or None when it lists none
    (not synced yet: its plan decides)."""
    entries = account.video_models or []
    if not entries:
        return None
    return {request_model_name(str(e.get("key") or "")) for e in entries if isinstance(e, dict)} - {
        ""
    }


def can_run(
    account: FlowAccount, kind: str, model: str | None, resolution: str = ""
) -> bool | None:
    """Whether ``account`` can run a job of ``kind`` on ``model``: its own model list decides
    for videos when it has one, else its plan; None when neither is known."""
    if kind in VIDEO_KINDS and model:
        listed = listed_models(account)
        if listed is not None:
            return canonical_model(model) in listed
    return plan_allows(account.paygate_tier, kind, model, resolution)


def job_model(job: Job) -> str | None:
    """The model the job runs (an image's "auto" is the API's documented choice)."""
    params = job.params or {}
    model = params.get("model") or None
    if model is None and job.kind == "image":
        model = catalog.auto_image_model(len(params.get("references") or []))
    return model


def credits_needed(job: Job, account: FlowAccount) -> int | None:
    """Credits the job's one paid request would spend on ``account`` (its plan, its model list's
    ``creditCost``), or None when that is not known or the kind is free."""
    params = job.params or {}
    if job.kind == "video_upscale":
        return catalog.upscale_cost(catalog.VIDEO, str(params.get("resolution") or "")).credits
    model = job_model(job)
    if job.kind not in VIDEO_KINDS or catalog.resolve(model) is None:
        return None
    return catalog.cost_of(model, params, account.paygate_tier, account.video_models).credits


def credits_short(job: Job, account: FlowAccount) -> str | None:
    """Words when the account's last known credits are under what the job needs (a paid
    captcha would be spent on a refusal for want of credits); None when enough, or unknown."""
    if account.credits is None:
        return None
    needed = credits_needed(job, account)
    if not needed or account.credits >= needed:
        return None
    left = f"{account.credits} credit{'' if account.credits == 1 else 's'}"
    return f"{account.address} has {left} left; this job needs {needed}"


def job_can_run(job: Job, account: FlowAccount) -> bool | None:
    """:func:`can_run` for this job, and False when the account is short of its credits."""
    verdict = can_run(
        account, job.kind, job_model(job), str((job.params or {}).get("resolution") or "")
    )
    if verdict is not False and credits_short(job, account):
        return False
    return verdict


def refusal(job: Job, account: FlowAccount) -> str | None:
    """Words when ``account`` surely cannot run the job (None when it can, or may)."""
    short = credits_short(job, account)
    if short:
        return f"{short}. Nothing was sent; choose another account, or add credits."
    if job_can_run(job, account) is not False:
        return None
    model = job_model(job) or job.get_kind_display().lower()
    resolution = str((job.params or {}).get("resolution") or "")
    what = f"{model} at {resolution}" if resolution and job.kind.endswith("upscale") else model
    tier = account.paygate_tier or "an unknown plan"
    return (
        f"{account.address} cannot run {what} (its plan: {tier}; its model list: "
        f"{', '.join(sorted(listed_models(account) or [])) or 'not listed'}). Nothing was sent."
    )


def split(
    accounts: Iterable[FlowAccount], kind: str, model: str | None, resolution: str = ""
) -> tuple[list[FlowAccount], list[FlowAccount], list[FlowAccount]]:
    """(can, cannot, unknown) among ``accounts``."""
    can, cannot, unknown = [], [], []
    for account in accounts:
        verdict = can_run(account, kind, model, resolution)
        (can if verdict else cannot if verdict is False else unknown).append(account)
    return can, cannot, unknown


def auto_video_account(job: Job) -> tuple[FlowAccount | None, str | None]:
    """For a video with account "Auto": (None, None) to leave it to the API's load balancer
    (no usable account is known to be unable to run the model), (account, None) to name one
    that can (the least busy), or (None, words) when none can."""
    from django.db.models import Count, Q

    from flowdash.accounts.models import FlowAccount
    from flowdash.jobs.models import ACTIVE

    usable = list(FlowAccount.objects.usable())
    model = job_model(job)
    can, cannot, unknown = [], [], []
    for account in usable:
        verdict = job_can_run(job, account)  # its plan, its model list and its credits
        (can if verdict else cannot if verdict is False else unknown).append(account)
    if not cannot:
        return None, None  # every usable account can (or may): the load balancer chooses
    named = [a.pk for a in can if a.full_email or not a.is_masked]  # we can name its address
    if not named:
        return None, (
            f"None of the usable Google accounts can run {model or 'this model'}"
            + (
                " with the credits it has left"
                if any(credits_short(job, a) for a in cannot)
                else ""
            )
            + (f" ({len(unknown)} not synced yet)" if unknown else "")
            + ". Nothing was sent; choose another model, or add an account whose plan has it."
        )
    ranked = (
        FlowAccount.objects.filter(pk__in=named)
        .annotate(busy=Count("jobs", filter=Q(jobs__status__in=ACTIVE), distinct=True))
        .order_by("busy", "pk")
    )
    return ranked.first(), None
