"""The price of a job in credits, from the catalog and the account's own ``creditCost``.

No figure is written here: :func:`flowdash.useapi.catalog.cost` knows the models, plans and
credits; this module only picks the account(s) whose plan and model list apply.

An account asked for prices the job on that account. "Auto" prices it at the dearest usable
account that can run the model (the API's load balancer or the image slots choose later), so a
limit is never passed by the account the job happens to land on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flowdash.useapi import catalog

NO_MODEL_KINDS = {"image_upscale", "gif", "concatenate", "asset_upload"}


@dataclass(frozen=True)
class Price:
    credits: int | None  # None: the catalog does not know the figure
    model: str
    words: str

    @property
    def known(self) -> bool:
        return self.credits is not None


def _account_cost(name: str, params: dict[str, Any], account) -> catalog.Cost:
    return catalog.cost_of(
        name,
        params,
        getattr(account, "paygate_tier", None),
        getattr(account, "video_models", None),
    )


def _candidates(name: str, account) -> list:
    if account is not None:
        return [account]
    from flowdash.accounts.models import FlowAccount

    found = []
    for acc in FlowAccount.objects.usable():
        runnable = catalog.runnable_models(acc.paygate_tier or None, acc.video_models or None)
        if any(m.name == catalog.model(name).name for m in runnable):
            found.append(acc)
    return found


def price(kind: str, params: dict[str, Any], account=None) -> Price:
    """Credits the job's one paid request will spend (0 for images, free models, unlimited
    plans and 1080p upscales)."""
    params = params or {}
    if kind == "video_upscale":
        cost = catalog.upscale_cost(catalog.VIDEO, str(params.get("resolution") or ""))
        return Price(cost.credits, "", cost.words)
    if kind in NO_MODEL_KINDS or kind == "image":
        return Price(0, str(params.get("model") or ""), "no credits")
    name = str(params.get("model") or catalog.era().default_video)
    if catalog.resolve(name) is None:
        return Price(None, name, f"the credit cost of {name} is not known")
    costs = [_account_cost(name, params, acc) for acc in _candidates(name, account)]
    if not costs:  # no account can run it yet: the catalog's figure for a paid plan
        costs = [_account_cost(name, params, None)]
    if any(not c.known for c in costs):
        return Price(None, name, next(c.words for c in costs if not c.known))
    dearest = max(costs, key=lambda c: c.credits or 0)
    words = dearest.words
    if account is None and len({c.credits for c in costs}) > 1:
        words = f"up to {dearest.credits} credits (the account is chosen later)"
    return Price(dearest.credits, catalog.model(name).name, words)
