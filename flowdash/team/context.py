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
