"""Media records, their files (rendered lazily on first use) and signed-URL stand-ins.

``mediaGenerationId`` follows the documented pattern
``user:{userid}-email:{hex_email}-{image|video}:{internalId}``, so the owning account can be read
back from any reference. Files live in ``<data dir>/media``; a record keeps its recipe and is
rendered the first time its file is needed (a download, an upscale, an extension, a GIF, a
concatenation), so tests that never download pay nothing.

Signed URLs are ``/_media/<file>.<ext>?Expires=<epoch>&Signature=<hmac>``, fixed when the media
is made; after ``Expires`` (simulated clock) the simulator answers 403.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import shutil
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import media

MEDIA_ID_RE = re.compile(r"^user:(\d+)-email:([0-9a-fA-F]+)-(image|video):([A-Za-z0-9_]+)$")


class MediaGone(Exception):
    """A source file can no longer be made (e.g. the simulator was reset)."""


@dataclass
class MediaRecord:
    media_id: str
    kind: str
    email: str
    file_id: str
    ext: str
    aspect: str
    created: float
    expires: float
    prompt: str = ""
    seed: int = 0
    model: str = ""
    model_name: str = ""
    origin: str = "generated"
    recipe: dict[str, Any] = field(default_factory=dict)
    width: int = 0
    height: int = 0
    duration: float = 0.0
    motion_seed: int = 0
    t0: float = 0.0
    source: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def file_name(self) -> str:
        return f"{self.file_id}.{self.ext}"

    @property
    def thumb_name(self) -> str:
        return f"{self.file_id}-thumb.jpg"


def parse_media_id(text: Any) -> tuple[int, str, str] | None:
    """(user, email, kind) of a mediaGenerationId, or None if it is not one."""
    if not isinstance(text, str):
        return None
    match = MEDIA_ID_RE.match(text.strip())
    if not match:
        return None
    try:
        email = bytes.fromhex(match.group(2)).decode("utf-8")
    except ValueError:
        return None
    return int(match.group(1)), email.lower(), match.group(3)


def _scene(record: MediaRecord, **more: Any) -> media.Scene:
    """The clip a video record shows: its own prompt, seed and motion, and ``more``."""
    return media.Scene(
        aspect=record.aspect,
        prompt=record.prompt,
        seed=record.seed,
        caption=record.recipe.get("caption", ""),
        motion_seed=record.motion_seed,
        t0=record.t0,
        **more,
    )


def _internal_id() -> str:
    raw = base64.urlsafe_b64encode(os.urandom(24)).decode("ascii").rstrip("=")
    return "CAMa" + raw.replace("-", "x").replace("_", "y")


class MediaStore:
    def __init__(self, root: Path, secret: bytes) -> None:
        self.root = root
        self.dir = root / "media"
        self.dir.mkdir(parents=True, exist_ok=True)
        self._secret = secret
        self._records: dict[str, MediaRecord] = {}
        self._files: dict[str, MediaRecord] = {}
        self._lock = threading.Lock()

    # ---- registry
    @staticmethod
    def new_media_id(kind: str, email: str, user: int) -> str:
        return f"user:{user}-email:{email.encode('utf-8').hex()}-{kind}:{_internal_id()}"

    @staticmethod
    def new_file_id() -> str:
        return uuid.uuid4().hex

    def add(self, record: MediaRecord) -> MediaRecord:
        with self._lock:
            self._records[record.media_id] = record
            self._files[record.file_id] = record
        return record

    def get(self, media_id: str) -> MediaRecord | None:
        with self._lock:
            return self._records.get(media_id.strip()) if isinstance(media_id, str) else None

    def by_file(self, file_id: str) -> MediaRecord | None:
        with self._lock:
            return self._files.get(file_id)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()
            self._files.clear()
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True, exist_ok=True)

    # ---- files
    def path(self, record: MediaRecord) -> Path:
        return self.dir / record.file_name

    def thumb_path(self, record: MediaRecord) -> Path:
        return self.dir / record.thumb_name

    def _source(self, media_id: str | None) -> MediaRecord:
        record = self.get(media_id or "")
        if record is None:
            raise MediaGone(media_id)
        return record

    def ensure(self, record: MediaRecord) -> Path:
        """The record's file, rendering it first if needed."""
        path = self.path(record)
        if path.exists():
            return path
        with record.lock:
            if path.exists():
                return path
            self._render(record, path)
        return path

    def ensure_thumb(self, record: MediaRecord) -> Path:
        if record.kind == "image":
            return self.ensure(record)
        self.ensure(record)
        return self.thumb_path(record)

    def _render(self, record: MediaRecord, path: Path) -> None:
        recipe = record.recipe
        kind = recipe.get("kind")
        if kind == "image":
            refs = [self.ensure(self._source(m)) for m in recipe.get("refs", ())]
            record.width, record.height = media.render_image(
                path,
                aspect=record.aspect,
                prompt=record.prompt,
                seed=record.seed,
                caption=recipe.get("caption", ""),
                references=refs,
            )
            return
        if kind == "video":
            start = recipe.get("start")
            end = recipe.get("end")
            scene = _scene(
                record,
                start_image=self.ensure(self._source(start)) if start else None,
                end_image=self.ensure(self._source(end)) if end else None,
                references=tuple(self.ensure(self._source(m)) for m in recipe.get("refs", ())),
                seconds=int(recipe.get("seconds") or media.VIDEO_SECONDS),
            )
            info = media.render_video(
                path, scene, self.thumb_path(record), resolution=recipe.get("resolution", "720p")
            )
        elif kind == "edit":
            source = self.ensure(self._source(recipe["source"]))
            info = media.edit_video(
                source,
                path,
                int(recipe["first"]),
                int(recipe["last"]),
                recipe.get("caption", ""),
                self.thumb_path(record),
                recipe.get("resolution", "720p"),
            )
        elif kind == "extend":
            source = self.ensure(self._source(recipe["source"]))
            info = media.extend_video(source, path, _scene(record), self.thumb_path(record))
        elif kind == "upscale":
            source = self.ensure(self._source(recipe["source"]))
            info = media.upscale_video(source, path, recipe["resolution"], self.thumb_path(record))
        else:
            raise MediaGone(f"no recipe for {record.media_id}")
        record.width, record.height, record.duration = info.width, info.height, info.duration

    # ---- signed URLs
    def _signature(self, name: str, expires: int) -> str:
        return hmac.new(self._secret, f"{name}:{expires}".encode(), hashlib.sha256).hexdigest()[:40]

    def signed_url(self, base: str, name: str, expires: float) -> str:
        exp = int(expires)
        return f"{base}/_media/{name}?Expires={exp}&Signature={self._signature(name, exp)}"

    def url(self, base: str, record: MediaRecord) -> str:
        return self.signed_url(base, record.file_name, record.expires)

    def thumb_url(self, base: str, record: MediaRecord) -> str:
        name = record.file_name if record.kind == "image" else record.thumb_name
        return self.signed_url(base, name, record.expires)

    def check_signature(self, name: str, expires: str, signature: str) -> bool:
        try:
            exp = int(expires)
        except (TypeError, ValueError):
            return False
        return hmac.compare_digest(self._signature(name, exp), signature or "")
