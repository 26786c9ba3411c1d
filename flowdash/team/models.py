"""People are Django's users and groups (see roles.py); failed sign-ins are django-axes' tables.
Their sessions are Django's database sessions with the signed-in person's id beside them (see
sessions.py)."""

from __future__ import annotations

from importlib import import_module

from django.conf import settings
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models


class Session(AbstractBaseSession):
    """Django's session row, plus who is signed in with it (None before signing in): every page
    reads the session and the person together, in one query, and a person removed takes their
    sessions with them."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )

    @classmethod
    def get_session_store_class(cls):
        """The configured store (sessions.py), which reads and writes these rows."""
        return import_module(settings.SESSION_ENGINE).SessionStore
