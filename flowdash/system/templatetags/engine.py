"""``{% engine_warning %}``: the words everyone sees on the home page when no worker is alive
(or one of them went quiet)."""

from django import template

from flowdash.system.figures import engine_warning as find_warning

register = template.Library()


@register.inclusion_tag("system/engine_warning.html", takes_context=True)
def engine_warning(context):
    try:
        warning = find_warning()
    except Exception:  # noqa: BLE001 — the home page shows even when Redis is away
        warning = None
    return {"warning": warning, "is_admin": context.get("is_admin")}
