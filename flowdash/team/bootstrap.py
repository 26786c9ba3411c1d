from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.db import transaction

from flowdash.team.roles import ADMIN, set_role


def ensure_first_admin(password: str | None) -> str | None:
    """Create the user ``admin`` when nobody can administer flowdash yet.

    Returns the password when one was generated (to be printed once), else None.
    """
    User = get_user_model()
    has_admin = (
        User.objects.filter(is_active=True).filter(is_superuser=True).exists()
        or User.objects.filter(is_active=True, groups__name=ADMIN).exists()
    )
    if has_admin:
        return None
    generated = not password
    password = password or secrets.token_urlsafe(12)
    with transaction.atomic():
        user = User.objects.filter(username="admin").first()
        if user is None:
            user = User.objects.create_superuser("admin", "", password)
        else:
            user.set_password(password)
            user.is_active = user.is_staff = user.is_superuser = True
            user.save()
        set_role(user, ADMIN)
    return password if generated else None
