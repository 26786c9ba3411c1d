from functools import cache

from django.urls import reverse

from flowdash.team.roles import ADMIN, CREATOR, has_role, role_of


def roles(request):
    """The person's role for menus and pages, worked out once per request."""
    user = getattr(request, "user", None)
    if user is None:
        return {}
    known = getattr(request, "_flowdash_roles", None)
    if known is None:
        known = request._flowdash_roles = {
            "user_role": role_of(user),
            "is_admin": has_role(user, ADMIN),
            "is_creator": has_role(user, CREATOR),
        }
    return known


@cache
def _layout_links() -> dict[str, str]:
    return {
        "home": reverse("dashboard:home"),
        "password": reverse("team:password"),
        "logout": reverse("team:logout"),
    }


def layout_links(request):
    """The layout's fixed links (brand, password, sign out), reversed once per process like
    the menu (templatetags/flowdash_nav.py) instead of four times on every page."""
    return {"layout_links": _layout_links()}
