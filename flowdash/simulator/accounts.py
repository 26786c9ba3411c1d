"""Simulated Google Flow accounts: plans, credits, video model lists, cookies, health.

Email rule for ``POST /accounts``: the cookie table must be DevTools' tab-separated form
(Name⇥Value⇥Domain⇥Path⇥Expires…, at least five columns, optional header row) with at least one
Google-domain auth cookie (SID, HSID, SSID, APISID, SAPISID, __Secure-1PSID, __Secure-3PSID).
The account's email is the first email address found in a cookie value (URL-decoded); without
one it is ``simulated-<8 hex of sha256 over the sorted auth cookies>@gmail.com``, so the same
cookies always give the same account. An optional cookie ``SIM_TIER`` (ultra | pro | free)
chooses the plan of a new account (default pro).
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from . import eras

TIERS: dict[str, dict[str, Any]] = {
    "ultra": {"paygate": "PAYGATE_TIER_TWO", "credits": 25000, "label": "Google AI Ultra"},
    "pro": {"paygate": "PAYGATE_TIER_ONE", "credits": 1000, "label": "Google AI Pro"},
    "free": {"paygate": "PAYGATE_TIER_NOT_PAID", "credits": 0, "label": "free"},
}

STATES = ("ok", "session_expired", "unhealthy")
SESSION_ERROR = "Failed to refresh session: 500 Internal Server Error"
DEFAULT_UNHEALTHY = "Error: Google Flow health check failed (503 Service Unavailable)"

UPSCALE_4K_COST = 50

AUTH_COOKIES = {"SID", "HSID", "SSID", "APISID", "SAPISID", "__Secure-1PSID", "__Secure-3PSID"}
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


def mask_email(email: str) -> str:
    """``john@gmail.com`` -> ``jo***@gmail.com`` (the docs' masked form)."""
    local, _, domain = email.partition("@")
    return f"{local[:2]}***@{domain}"


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def redact(value: str) -> str:
    return f"{value[:3]}...(redacted)" if value else ""


@dataclass
class Account:
    email: str
    tier: str = "pro"
    credits: int = 0
    name: str = ""
    created: float = 0.0
    state: str = "ok"
    health_error: str | None = None
    image_concurrency: int | None = None
    video_concurrency: int | None = None
    cookies: list[dict[str, Any]] = field(default_factory=list)
    session_refreshed: float = 0.0
    project_id: str = ""
    project_title: str = ""

    def __post_init__(self) -> None:
        self.email = self.email.strip().lower()
        if self.tier not in TIERS:
            raise ValueError(f"unknown tier {self.tier!r}")
        if not self.name:
            self.name = " ".join(
                p.capitalize() for p in re.split(r"[._-]", self.email.split("@")[0])
            )
        if not self.project_id:
            self.project_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"flowdash-sim:{self.email}"))
        if not self.cookies:
            self.cookies = default_cookies(self.email)

    # ---- plan
    @property
    def paygate(self) -> str:
        return TIERS[self.tier]["paygate"]

    @property
    def is_ultra(self) -> bool:
        return self.tier == "ultra"

    @property
    def is_paid(self) -> bool:
        return self.tier in ("ultra", "pro")

    @property
    def healthy(self) -> bool:
        return self.state == "ok"

    @property
    def health(self) -> str:
        if self.state == "session_expired":
            return self.health_error or SESSION_ERROR
        if self.state == "unhealthy":
            return self.health_error or DEFAULT_UNHEALTHY
        return "OK"

    def video_model(self, model: str, era: str = eras.OLD) -> tuple[str, int | None] | None:
        """(model key, credit cost) for a request model on this plan, or None if not offered."""
        spec = eras.video_model(era, model)
        if spec is None or not self.is_paid:
            return None
        return spec.key_and_cost(self.tier)

    def video_models(self, era: str = eras.OLD) -> list[dict[str, Any]]:
        if not self.is_paid:
            return []
        out = []
        for spec in eras.VIDEO_MODELS[era].values():
            entry = spec.key_and_cost(self.tier)
            if entry is None:
                continue
            key, cost = entry
            ratios = ["VIDEO_ASPECT_RATIO_LANDSCAPE", "VIDEO_ASPECT_RATIO_PORTRAIT"]
            if era == eras.NEW and "1:1" in spec.aspects:
                ratios += ["VIDEO_ASPECT_RATIO_SQUARE", "VIDEO_ASPECT_RATIO_4_3"]
            capabilities = ["VIDEO_MODEL_CAPABILITY_TEXT", "VIDEO_MODEL_CAPABILITY_AUDIO"]
            if spec.v2v_refs:
                capabilities.append("VIDEO_MODEL_CAPABILITY_VIDEO_EDIT")
            model: dict[str, Any] = {
                "key": key,
                "displayName": spec.display,
                "supportedAspectRatios": ratios,
                "capabilities": capabilities,
                "videoLengthSeconds": max(spec.durations),
                "videoGenerationTimeSeconds": round(spec.time),
            }
            if cost is not None:
                model["creditCost"] = cost
            model.update(
                {
                    "framesPerSecond": 24,
                    "paygateTier": self.paygate,
                    "accessType": "MODEL_ACCESS_TYPE_GENERAL",
                    "modelAccessInfo": {},
                    "modelMetadata": {"veoModelName": "Beta Audio"},
                }
            )
            out.append(model)
        return out

    # ---- documented bodies
    def session_expires(self) -> float:
        return self.session_refreshed + 24 * 3600

    def summary(self) -> dict[str, Any]:
        """One entry of GET /accounts."""
        body: dict[str, Any] = {"created": iso(self.created), "health": self.health}
        if not self.healthy:
            body["error"] = self.health
        body["nextRefresh"] = {"scheduledFor": iso(self.session_expires() - 3600)}
        body["project"] = {"projectId": self.project_id, "projectTitle": self.project_title}
        body["sessionData"] = {"expires": iso(self.session_expires())}
        return body

    def config(self, masked: str) -> dict[str, Any]:
        """The body of POST /accounts (and the base of GET /accounts/{email})."""
        account_cookies = [c for c in self.cookies if "google.com" in c["domain"]]
        return {
            "created": iso(self.created),
            "accountCookies": [dict(c, value=redact(c["value"])) for c in account_cookies],
            "sessionCookies": [
                {
                    "name": "__Host-GAPS",
                    "value": redact("1:eJy" + hashlib.sha1(self.email.encode()).hexdigest()),  # noqa: S324
                    "domain": "labs.google",
                    "path": "/",
                    "expires": iso(self.session_refreshed + 30 * 86400),
                    "httpOnly": True,
                    "secure": True,
                    "sameSite": "Lax",
                }
            ],
            "sessionData": {
                "user": {
                    "name": self.name,
                    "email": masked,
                    "image": "https://lh3.googleusercontent.com/a/simulated",
                },
                "expires": iso(self.session_expires()),
                "access_token": redact("ya29.a0A"),
            },
            "project": {"projectId": self.project_id, "projectTitle": self.project_title},
            "nextRefresh": {
                "messageId": f"msg-{hashlib.sha1(self.email.encode()).hexdigest()[:12]}",  # noqa: S324
                "scheduledFor": iso(self.session_expires() - 3600),
            },
        }

    def detail(self, masked: str, era: str = eras.OLD) -> dict[str, Any]:
        """The body of GET /accounts/{email}."""
        body = self.config(masked)
        body["health"] = self.health
        if self.healthy:
            body["credits"] = {"credits": self.credits, "userPaygateTier": self.paygate}
            body["models"] = {"videoModels": self.video_models(era)}
        else:
            body["error"] = self.health
        return body

    def admin(self) -> dict[str, Any]:
        """Unmasked view for the control endpoints."""
        return {
            "email": self.email,
            "masked": mask_email(self.email),
            "tier": self.tier,
            "paygateTier": self.paygate,
            "credits": self.credits,
            "state": self.state,
            "health": self.health,
            "imageConcurrency": self.image_concurrency,
            "videoConcurrency": self.video_concurrency,
        }


def project_title(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%b %d - %H:%M")


def default_cookies(email: str) -> list[dict[str, Any]]:
    digest = hashlib.sha256(email.encode()).hexdigest()
    return [
        {
            "name": name,
            "value": f"{name[:2]}{digest[i * 8 : i * 8 + 24]}",
            "domain": ".google.com",
            "path": "/",
            "expires": "2027-11-10T12:00:00.000Z",
            "httpOnly": name != "SAPISID",
            "secure": name.startswith("__Secure") or name == "SAPISID",
            "sameSite": "Lax",
        }
        for i, name in enumerate(["SID", "HSID", "SSID", "SAPISID"])
    ]


class CookieError(ValueError):
    pass


def _flag(value: str) -> bool:
    return value.strip() in ("✓", "true", "True", "TRUE", "1", "yes")


def parse_cookie_table(text: str) -> list[dict[str, Any]]:
    """Parse DevTools' copied cookie table. Raises :class:`CookieError` for any other shape."""
    rows: list[dict[str, Any]] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if not line.strip():
            continue
        cols = line.split("\t")
        if len(cols) < 5:
            raise CookieError("not a tab-separated DevTools cookie table")
        name, value, domain, path, expires = (c.strip() for c in cols[:5])
        if name.lower() == "name" and value.lower() == "value":
            continue  # header row
        if not name or not domain or not path.startswith("/"):
            raise CookieError("not a tab-separated DevTools cookie table")
        same_site = cols[8].strip() if len(cols) > 8 else ""
        rows.append(
            {
                "name": name,
                "value": value,
                "domain": domain,
                "path": path,
                "expires": expires,
                "httpOnly": _flag(cols[6]) if len(cols) > 6 else False,
                "secure": _flag(cols[7]) if len(cols) > 7 else False,
                "sameSite": same_site if same_site in ("Lax", "Strict", "None") else "Lax",
            }
        )
    if not rows:
        raise CookieError("no cookies")
    auth = [r for r in rows if r["name"] in AUTH_COOKIES and "google" in r["domain"]]
    if not auth:
        raise CookieError("no Google authentication cookies")
    return rows


def email_from_cookies(rows: list[dict[str, Any]]) -> str:
    for row in rows:
        match = EMAIL_RE.search(unquote(row["value"]))
        if match:
            return match.group(0).lower()
    auth = sorted(f"{r['name']}={r['value']}" for r in rows if r["name"] in AUTH_COOKIES)
    digest = hashlib.sha256("\n".join(auth).encode()).hexdigest()[:8]
    return f"simulated-{digest}@gmail.com"


def tier_from_cookies(rows: list[dict[str, Any]]) -> str | None:
    for row in rows:
        if row["name"] == "SIM_TIER" and row["value"].lower() in TIERS:
            return row["value"].lower()
    return None


DEFAULT_ACCOUNTS: tuple[dict[str, Any], ...] = (
    {"email": "ultra.creator@gmail.com", "tier": "ultra", "credits": 25000},
    {"email": "pro.studio@gmail.com", "tier": "pro", "credits": 1000},
    {"email": "free.tester@gmail.com", "tier": "free", "credits": 0},
)
