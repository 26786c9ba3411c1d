from flowdash.team.roles import ADMIN, CREATOR, has_role, role_of


def roles(request):
    user = getattr(request, "user", None)
    if user is None:
        return {}
    return {
        "user_role": role_of(user),
        "is_admin": has_role(user, ADMIN),
        "is_creator": has_role(user, CREATOR),
    }
