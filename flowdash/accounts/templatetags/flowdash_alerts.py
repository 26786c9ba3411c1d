from django import template
from django.db import DatabaseError

from flowdash.accounts.models import Alert

register = template.Library()


@register.simple_tag
def unacknowledged_alerts(limit: int = 5):
    """Open alerts nobody acknowledged yet, newest first (for the admin banner).

    Never breaks a page: an error page rendered while the database is down shows no banner.
    """
    try:
        return list(Alert.objects.unacknowledged().order_by("-raised_at")[:limit])
    except DatabaseError:
        return []


@register.simple_tag
def unacknowledged_alert_count() -> int:
    try:
        return Alert.objects.unacknowledged().count()
    except DatabaseError:
        return 0
