"""The three roles, as Django groups, and the checks that enforce them on the server."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied

ADMIN = "admin"
CREATOR = "creator"
VIEWER = "viewer"
ROLES = (ADMIN, CREATOR, VIEWER)
ROLE_LABELS = {
    ADMIN: "Admin — token, Google accounts, captcha keys, users",
    CREATOR: "Creator — generate, upload, organise",
    VIEWER: "Viewer — browse and download",
}
# What each role may do includes what the roles below it may do.
_RANK = {VIEWER: 1, CREATOR: 2, ADMIN: 3}


def role_of(user: AbstractBaseUser | AnonymousUser) -> str | None:
    if not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return ADMIN
    cached = getattr(user, "_flowdash_role", False)
    if cached is not False:
        return cached
    names = set(user.groups.values_list("name", flat=True))
    role = next((r for r in ROLES if r in names), None)
    user._flowdash_role = role
    return role


def has_role(user: AbstractBaseUser | AnonymousUser, needed: str) -> bool:
    role = role_of(user)
    return role is not None and _RANK[role] >= _RANK[needed]


def role_required(needed: str) -> Callable:
    """View decorator: 403 unless the user has ``needed`` or a higher role."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not has_role(request.user, needed):
                raise PermissionDenied(f"This needs the {needed} role.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def set_role(user: AbstractBaseUser, role: str) -> None:
    from django.contrib.auth.models import Group

    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    groups = Group.objects.filter(name__in=ROLES)
    user.groups.remove(*groups)
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    user._flowdash_role = role
