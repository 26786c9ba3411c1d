from django import template

from flowdash.accounts.models import Alert

register = template.Library()


@register.simple_tag
def unacknowledged_alerts(limit: int = 5):
    """Open alerts nobody acknowledged yet, newest first (for the admin banner)."""
    return list(Alert.objects.unacknowledged().order_by("-raised_at")[:limit])


@register.simple_tag
def unacknowledged_alert_count() -> int:
    return Alert.objects.unacknowledged().count()
