"""Personal API keys: shown once, stored hashed, scoped no higher than their owner's role."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from flowdash.team.roles import ADMIN, CREATOR, VIEWER, has_role

# "fdk_" + an 8-character public id (the prefix shown on the page) + "_" + 40 secret characters.
KEY_START = "fdk_"
PREFIX_CHARS = 8
# A key's hash when no key has the prefix, so an unknown prefix costs the same comparison.
_DUMMY_HASH = hashlib.sha256(b"flowdash-no-such-key").hexdigest()


class Scope(models.TextChoices):
    READ = "read", "read — list and download"
    GENERATE = "generate", "generate — create, cancel and decide jobs, upload assets"
    ADMIN = "admin", "admin — refresh accounts and figures"


# A scope includes the ones below it; each needs at least this role of the key's owner.
SCOPE_RANK = {Scope.READ: 1, Scope.GENERATE: 2, Scope.ADMIN: 3}
SCOPE_ROLE = {Scope.READ: VIEWER, Scope.GENERATE: CREATOR, Scope.ADMIN: ADMIN}


def scopes_allowed(user) -> list[str]:
    """The scopes ``user``'s role lets a key carry."""
    return [scope for scope, role in SCOPE_ROLE.items() if has_role(user, role)]


def hash_secret(raw_key: str) -> str:
    """A key is 40 random characters (~238 bits): SHA-256 is enough, and fast per request."""
    return hashlib.sha256(raw_key.encode()).hexdigest()


class ApiKeyQuerySet(models.QuerySet):
    def live(self, now=None):
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now)
        )


class ApiKey(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=PREFIX_CHARS, unique=True)
    key_hash = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.shown_prefix})"

    @property
    def shown_prefix(self) -> str:
        return f"{KEY_START}{self.prefix}…"

    @classmethod
    def issue(cls, user, name: str, scopes: list[str], expires_at=None) -> tuple[ApiKey, str]:
        """Make a key; returns the row and the full key, which is never stored or shown again."""
        while True:
            prefix = secrets.token_hex(PREFIX_CHARS // 2)
            if not cls.objects.filter(prefix=prefix).exists():
                break
        raw = f"{KEY_START}{prefix}_{secrets.token_urlsafe(30)}"
        key = cls.objects.create(
            user=user,
            name=name,
            prefix=prefix,
            key_hash=hash_secret(raw),
            scopes=sorted(set(scopes), key=lambda s: SCOPE_RANK[s]),
            expires_at=expires_at,
        )
        return key, raw

    @classmethod
    def find(cls, raw: str) -> ApiKey | None:
        """The key row ``raw`` names when its secret matches (compared in constant time)."""
        prefix = ""
        if raw.startswith(KEY_START):
            prefix = raw[len(KEY_START) :].split("_", 1)[0][:PREFIX_CHARS]
        key = cls.objects.select_related("user").filter(prefix=prefix).first() if prefix else None
        expected = key.key_hash if key else _DUMMY_HASH
        matches = hmac.compare_digest(hash_secret(raw), expected)
        return key if key is not None and matches else None

    # --- state -------------------------------------------------------------------------------

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def is_expired(self, now=None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())

    def has_scope(self, needed: str) -> bool:
        return any(SCOPE_RANK.get(s, 0) >= SCOPE_RANK[needed] for s in self.scopes)

    def revoke(self) -> bool:
        moved = ApiKey.objects.filter(pk=self.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        self.refresh_from_db(fields=["revoked_at"])
        return moved == 1

    def note_use(self, now=None, every_seconds: int = 60) -> None:
        """Record the last use, writing at most once a minute per key."""
        now = now or timezone.now()
        stale = now - timedelta(seconds=every_seconds)
        ApiKey.objects.filter(pk=self.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=stale)
        ).update(last_used_at=now)
