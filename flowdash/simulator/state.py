"""Everything the simulated service knows, and the switches tests use from Python.

``SimState`` holds the accounts, jobs, media, load-balancing statistics, captcha keys and
records, faults, the request log and the simulated clock. A test reaches it as
``SimulatorServer.state``:

    state.faults.add("throttled", endpoint="images", email="pro.studio@gmail.com", times=1)
    state.set_account_state("pro.studio@gmail.com", "session_expired")
    state.advance(7 * 86400 + 1)      # jobs expire, signed URLs expire, stats leave the window
    state.requests(path="/videos")    # what the service received
"""

from __future__ import annotations

import itertools
import os
import random
import re
import threading
from collections import deque
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from . import eras
from .accounts import (
    DEFAULT_ACCOUNTS,
    STATES,
    TIERS,
    Account,
    iso,
    mask_email,
    project_title,
)
from .captcha import CaptchaDesk
from .clock import Scheduler, SimClock
from .faults import FaultBook
from .jobs import Job
from .stats import LoadBook
from .store import MediaStore
from .webhooks import WebhookSender

DEFAULT_TOKEN = "user:1000-sandbox"  # noqa: S105 - the documented sandbox token
DEFAULT_SPEED = 20.0
JOB_ID_RE = re.compile(r"^j(\d+)([vi])-u(\d+)-email:(.+)-bot:google-flow$")

# nominal (speed 1) durations in seconds: (low, high)
DURATIONS: dict[str, tuple[float, float]] = {
    "image": (10.0, 20.0),
    "image_upscale": (10.0, 20.0),
    "video_start": (2.0, 6.0),
    "upscale_1080p": (30.0, 60.0),
    "upscale_4k": (120.0, 240.0),
    "gif": (20.0, 60.0),
    "concatenate": (15.0, 20.0),
    "asset": (1.0, 3.0),
}


@dataclass
class Settings:
    speed: float = DEFAULT_SPEED
    api: str = eras.LIBRARY_DEFAULT  # which era of the service: 2026-02 | 2026-12
    new_forms: bool = False
    url_lifetime: float = 24 * 3600.0
    job_ttl: float = 7 * 86400.0
    image_concurrency: int = 4
    video_concurrency: int | None = None
    mask_emails: bool = True
    free_captcha_credits: int = 100

    def public(self) -> dict[str, Any]:
        return {
            "speed": self.speed,
            "api": self.api,
            "newForms": self.new_forms,
            "urlLifetime": self.url_lifetime,
            "jobTtl": self.job_ttl,
            "imageConcurrency": self.image_concurrency,
            "videoConcurrency": self.video_concurrency,
            "maskEmails": self.mask_emails,
            "freeCaptchaCredits": self.free_captcha_credits,
        }


SETTING_KEYS = {
    "speed": "speed",
    "api": "api",
    "newForms": "new_forms",
    "urlLifetime": "url_lifetime",
    "jobTtl": "job_ttl",
    "imageConcurrency": "image_concurrency",
    "videoConcurrency": "video_concurrency",
    "maskEmails": "mask_emails",
    "freeCaptchaCredits": "free_captcha_credits",
}


def user_id_from_token(token: str) -> int:
    match = re.match(r"^user:(\d+)-", token)
    return int(match.group(1)) if match else 1000


class SimState:
    def __init__(
        self,
        data_dir: Path,
        *,
        token: str = DEFAULT_TOKEN,
        speed: float = DEFAULT_SPEED,
        new_forms: bool = False,
        image_concurrency: int = 4,
        seed: int | None = None,
        accounts: list[dict[str, Any]] | None = None,
        api: str = eras.LIBRARY_DEFAULT,
    ) -> None:
        if speed <= 0:
            raise ValueError("speed must be > 0")
        self.token = token
        self.user_id = user_id_from_token(token)
        self.data_dir = Path(data_dir)
        self.clock = SimClock()
        self.scheduler = Scheduler(self.clock)
        self.settings = Settings(
            speed=float(speed),
            api=eras.check_era(api),
            new_forms=new_forms,
            image_concurrency=image_concurrency,
        )
        self._initial_settings = replace(self.settings)
        self._initial_accounts = [dict(a) for a in (accounts or DEFAULT_ACCOUNTS)]
        self.rng = random.Random(seed)
        self.lock = threading.RLock()
        self.accounts: dict[str, Account] = {}
        self.jobs: dict[str, Job] = {}
        self.store = MediaStore(self.data_dir, os.urandom(32))
        self.load = LoadBook(self.clock.now, lambda: self.settings.speed)
        self.captcha = CaptchaDesk(self.settings.free_captcha_credits)
        self.faults = FaultBook()
        self.webhooks = WebhookSender()
        self.durations = dict(DURATIONS)
        self.public_url = "http://127.0.0.1"
        self._requests: deque[dict[str, Any]] = deque(maxlen=10000)
        self._request_ids = itertools.count(1)
        self._job_seq = itertools.count(1)
        self._upscale_cache: dict[tuple[str, str], str] = {}
        self._quarantine: dict[str, float] = {}  # email -> until (simulated time), 2026-12
        self._load_accounts()

    # ---- lifecycle
    def start(self) -> None:
        self.scheduler.start()
        self.webhooks.start()

    def stop(self) -> None:
        self.scheduler.stop()
        self.webhooks.stop()

    @property
    def stopping(self) -> bool:
        return self.scheduler.stopping.is_set()

    def reset(self) -> None:
        """Back to the state of a fresh server (accounts, settings, clock; no jobs or media)."""
        self.scheduler.clear()
        with self.lock:
            self.settings = replace(self._initial_settings)
            self.clock.reset()
            self.jobs.clear()
            self.accounts.clear()
            self._upscale_cache.clear()
            self._quarantine.clear()
            self.store.clear()
            self.load.clear()
            self.captcha.clear(self.settings.free_captcha_credits)
            self.faults.clear()
            self.webhooks.clear()
            self._requests.clear()
            self.durations = dict(DURATIONS)
            self._load_accounts()

    # ---- time
    @property
    def speed(self) -> float:
        return self.settings.speed

    @property
    def era(self) -> str:
        """The form of the service spoken: ``2026-02`` (documented) or ``2026-12`` (today)."""
        return self.settings.api

    @property
    def new_forms(self) -> bool:
        """Newer response forms: ``media[]`` for videos, upload ``media`` objects (always in the
        2026-12 era; the ``newForms`` switch turns them on in the older one)."""
        return self.settings.new_forms or self.settings.api == eras.NEW

    def inline_image(self, seed: int) -> bool:
        """Whether an image result carries ``encodedImage`` instead of ``fifeUrl``: every image
        with ``newForms``; in the 2026-12 era some of them (odd seeds)."""
        if self.settings.new_forms:
            return True
        return self.settings.api == eras.NEW and seed % 2 == 1

    def now(self) -> float:
        return self.clock.now()

    def advance(self, seconds: float) -> float:
        """Move the simulated clock forward and let the work that became due finish before
        returning (a job due by then is completed when this returns)."""
        now = self.clock.advance(seconds)
        self.scheduler.settle()
        return now

    def nominal(self, key: str) -> float:
        low, high = self.durations[key]
        return self.rng.uniform(low, high)

    def video_nominal(self, model: str) -> float:
        spec = eras.video_model(self.era, model)
        base = spec.time if spec is not None else 100
        return self.rng.uniform(base * 0.8, base * 1.2)

    def sim_seconds(self, nominal: float) -> float:
        """How long nominal work takes on the simulated clock."""
        return nominal / self.settings.speed

    def sleep_nominal(self, nominal: float) -> None:
        self.scheduler.sleep(self.sim_seconds(nominal))

    def update_settings(self, values: dict[str, Any]) -> dict[str, Any]:
        for key, value in values.items():
            attr = SETTING_KEYS.get(key, key if key in asdict(self.settings) else None)
            if attr is None:
                raise ValueError(f"unknown setting {key!r}")
            current = getattr(self.settings, attr)
            if attr in ("new_forms", "mask_emails"):
                if not isinstance(value, bool):
                    raise ValueError(f"{key} must be a boolean")
            elif attr == "api":
                value = eras.check_era(value)
            elif attr == "video_concurrency" and value is None:
                pass
            elif isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise ValueError(f"{key} must be a positive number")
            elif isinstance(current, int) and not isinstance(current, bool):
                value = int(value)
            setattr(self.settings, attr, value)
        return self.settings.public()

    # ---- accounts
    def _load_accounts(self) -> None:
        now = self.now()
        for spec in self._initial_accounts:
            self.add_account(created=now - 3 * 86400, **spec)

    def mask(self, email: str) -> str:
        return mask_email(email) if self.settings.mask_emails else email

    def account(self, email: str | None) -> Account | None:
        if not email:
            return None
        with self.lock:
            return self.accounts.get(email.strip().lower())

    def add_account(
        self,
        email: str,
        tier: str = "pro",
        credits: int | None = None,
        *,
        created: float | None = None,
        cookies: list[dict[str, Any]] | None = None,
        **extra: Any,
    ) -> tuple[Account, bool]:
        """Add (or update) an account; returns (account, created)."""
        if tier not in TIERS:
            raise ValueError(f"tier must be one of {', '.join(TIERS)}")
        now = self.now()
        with self.lock:
            existing = self.accounts.get(email.strip().lower())
            if existing is not None:
                existing.state = "ok"
                existing.health_error = None
                existing.session_refreshed = now
                if cookies:
                    existing.cookies = cookies
                return existing, False
            account = Account(
                email=email,
                tier=tier,
                credits=TIERS[tier]["credits"] if credits is None else int(credits),
                created=created if created is not None else now,
                session_refreshed=now,
                cookies=cookies or [],
                **extra,
            )
            account.project_title = project_title(account.created)
            self.accounts[account.email] = account
            return account, True

    def remove_account(self, email: str) -> bool:
        with self.lock:
            return self.accounts.pop(email.strip().lower(), None) is not None

    def set_account_state(
        self,
        email: str,
        state: str | None = None,
        *,
        health: str | None = None,
        credits: int | None = None,
        tier: str | None = None,
        image_concurrency: int | None = None,
        video_concurrency: int | None = None,
    ) -> Account:
        """Switch an account to ok / session_expired / unhealthy (and adjust credits etc.)."""
        with self.lock:
            account = self.account(email)
            if account is None:
                raise KeyError(email)
            if state is not None:
                if state not in STATES:
                    raise ValueError(f"state must be one of {', '.join(STATES)}")
                account.state = state
                account.health_error = health if state != "ok" else None
            if credits is not None:
                account.credits = int(credits)
            if tier is not None:
                if tier not in TIERS:
                    raise ValueError(f"tier must be one of {', '.join(TIERS)}")
                account.tier = tier
            if image_concurrency is not None:
                account.image_concurrency = int(image_concurrency)
            if video_concurrency is not None:
                account.video_concurrency = int(video_concurrency)
            return account

    def account_list(self) -> list[Account]:
        with self.lock:
            return list(self.accounts.values())

    def healthy_emails(self) -> list[str]:
        return [a.email for a in self.account_list() if a.healthy]

    def account_project(self, email: str) -> str:
        account = self.account(email)
        return account.project_id if account else ""

    def image_limit(self, account: Account) -> int:
        return account.image_concurrency or self.settings.image_concurrency

    def video_limit(self, account: Account) -> int | None:
        return account.video_concurrency or self.settings.video_concurrency

    # ---- quarantine (2026-12: an account throttled is skipped ~30 min by the load balancer)
    def quarantine(self, email: str) -> None:
        if self.era != eras.NEW:
            return
        with self.lock:  # nominal seconds, like every duration: 30 min / speed on this clock
            self._quarantine[email] = self.now() + self.sim_seconds(eras.QUARANTINE_SECONDS)

    def quarantined_until(self, email: str) -> float | None:
        with self.lock:
            until = self._quarantine.get(email)
            if until is not None and until <= self.now():
                self._quarantine.pop(email, None)
                return None
            return until

    def lift_quarantine(self, email: str | None = None) -> None:
        with self.lock:
            if email is None:
                self._quarantine.clear()
            else:
                self._quarantine.pop(email, None)

    # ---- jobs
    def new_job_id(self, letter: str, email: str) -> str:
        millis = int(self.now() * 1000)
        return (
            f"j{millis}{next(self._job_seq) % 1000:03d}{letter}-u{self.user_id}"
            f"-email:{self.mask(email)}-bot:google-flow"
        )

    def add_job(self, job: Job) -> Job:
        with self.lock:
            self.jobs[job.job_id] = job
        return job

    def job(self, job_id: str) -> Job | None:
        with self.lock:
            return self.jobs.get(job_id)

    def upscale_cache(self, source: str, resolution: str) -> str | None:
        with self.lock:
            return self._upscale_cache.get((source, resolution))

    def remember_upscale(self, source: str, resolution: str, media_id: str) -> None:
        with self.lock:
            self._upscale_cache[(source, resolution)] = media_id

    # ---- request log
    def log_request(self, entry: dict[str, Any]) -> dict[str, Any]:
        entry["id"] = next(self._request_ids)
        entry["time"] = iso(self.now())
        self._requests.append(entry)
        return entry

    def requests(
        self, *, path: str | None = None, method: str | None = None
    ) -> list[dict[str, Any]]:
        """Logged API requests; ``path`` relative to the API prefix (``/videos``) or absolute."""
        out = []
        for entry in list(self._requests):
            if method and entry["method"] != method.upper():
                continue
            if path and path not in (entry["path"], entry["apiPath"]):
                continue
            out.append(dict(entry))
        return out

    def clear_requests(self) -> None:
        self._requests.clear()
