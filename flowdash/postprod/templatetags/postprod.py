"""Template helpers for the fragments other pages include (actions and lineage of one item)."""

from __future__ import annotations

from django import template

from flowdash.gallery.models import Media
from flowdash.postprod import services

register = template.Library()


@register.simple_tag
def postprod_actions(media: Media) -> dict:
    return services.action_summary(media)


@register.simple_tag
def postprod_lineage(media: Media) -> dict:
    back = services.ancestors(media)
    return {
        "back": back,
        "forward": services.descendants(media),
        "origins": services.roots(back),
    }


@register.filter
def seconds(value) -> str:
    if value is None or value == "":
        return ""
    return f"{float(value):g}"


@register.filter
def aspect_of(media: Media) -> str:
    return services.aspect_words(services.aspect_key(media))


@register.filter
def aspect_key(media: Media) -> str:
    return services.aspect_key(media)
