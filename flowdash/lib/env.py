"""Reading configuration from the environment, with one clear line when a value is wrong.

Every name read goes through :class:`EnvReader`, which records it, so a test can check that
docker-compose.yml sets only variables the settings actually read.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import secrets
from pathlib import Path
from urllib.parse import urlparse


class ConfigError(SystemExit):
    """A configuration value is unusable. Raised as SystemExit so commands stop with one line."""

    def __init__(self, name: str, problem: str) -> None:
        self.name = name
        super().__init__(f"flowdash: configuration error: {name} {problem}")


TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


class EnvReader:
    def __init__(self, environ: os._Environ | dict | None = None) -> None:
        self.environ = os.environ if environ is None else environ
        self.names: set[str] = set()

    def str(self, name: str, default: str | None = None) -> str | None:
        self.names.add(name)
        value = self.environ.get(name)
        return default if value is None or value == "" else value

    def bool(self, name: str, default: bool) -> bool:
        raw = self.str(name)
        if raw is None:
            return default
        word = raw.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ConfigError(name, f"must be on/off (true/false, 1/0), not {raw!r}")

    def int(self, name: str, default: int) -> int:
        raw = self.str(name)
        if raw is None:
            return default
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(name, f"must be a whole number, not {raw!r}") from None

    def float(self, name: str, default: float) -> float:
        raw = self.str(name)
        if raw is None:
            return default
        try:
            return float(raw)
        except ValueError:
            raise ConfigError(name, f"must be a number, not {raw!r}") from None

    def list(self, name: str, default: list[str]) -> list[str]:
        raw = self.str(name)
        if raw is None:
            return list(default)
        return [item.strip() for item in raw.split(",") if item.strip()]

    def json_object(self, name: str) -> dict:
        """A JSON object (``{"key": value, …}``); unset or empty is ``{}``."""
        raw = self.str(name)
        if raw is None or not raw.strip():
            return {}
        try:
            value = json.loads(raw)
        except ValueError as exc:
            raise ConfigError(name, f"is not valid JSON ({exc})") from None
        if not isinstance(value, dict):
            raise ConfigError(
                name, f'must be a JSON object like {{"key": "value"}}, not {type(value).__name__}'
            )
        return value


SQLITE_MMAP_BYTES = 256 * 1024 * 1024


def database_config(url: str, name: str = "DATABASE_URL") -> dict:
    """Turn a database URL into Django's DATABASES entry, or stop with one line naming it."""
    import dj_database_url

    parsed = urlparse(url)
    if parsed.scheme not in {"sqlite", "postgres", "postgresql", "pgsql", "postgis"}:
        raise ConfigError(
            name, f"must be sqlite:///path or postgres://user@host:port/db, not {url!r}"
        )
    try:
        config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    except Exception as exc:  # dj-database-url raises several kinds
        raise ConfigError(name, f"cannot be parsed ({exc})") from None
    if config["ENGINE"].endswith("sqlite3"):
        # Kept open between requests like PostgreSQL's: opening a SQLite file and setting it up
        # cost more than the gallery's own queries (about 1 ms of every page).
        # WAL lets the web pages read while a worker writes; IMMEDIATE takes the write lock at
        # BEGIN, so two writers queue on the busy timeout instead of one failing with
        # "database is locked" when it upgrades a read lock inside a transaction. Reading the
        # file through a memory map halves the gallery's filtered queries (no read() per page).
        config.setdefault("OPTIONS", {}).update(
            timeout=20,
            init_command=(
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}"
            ),
            transaction_mode="IMMEDIATE",
        )
    elif not config.get("NAME"):
        raise ConfigError(name, "names no database (add /dbname at the end)")
    else:
        # Django's backend with a health check that needs no round trip (see its module).
        config["ENGINE"] = "flowdash.lib.postgresql"
    return config


FILE_SYSTEM_STORAGE = "django.core.files.storage.FileSystemStorage"
_DOTTED = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+$")


def media_storage_config(
    backend: str | None,
    options: dict,
    name: str = "FLOWDASH_MEDIA_STORAGE",
) -> dict:
    """The ``STORAGES["default"]`` entry: a storage class by dotted path and its OPTIONS.

    Unset means Django's file-system storage under MEDIA_ROOT (no OPTIONS, so it follows
    MEDIA_ROOT). A path that is not dotted, or whose package is not installed, stops here with
    one line rather than at the first file saved.
    """
    backend = (backend or FILE_SYSTEM_STORAGE).strip()
    if not _DOTTED.match(backend):
        raise ConfigError(
            name,
            f"must be a storage class's dotted path (e.g. {FILE_SYSTEM_STORAGE}), not {backend!r}",
        )
    package = backend.split(".", 1)[0]
    if importlib.util.find_spec(package) is None:
        hint = " (pip install 'flowdash[s3]')" if package == "storages" else ""
        raise ConfigError(name, f"names {backend!r} but {package!r} is not installed{hint}")
    config: dict = {"BACKEND": backend}
    if options:
        config["OPTIONS"] = options
    return config


def check_redis_url(url: str, name: str = "REDIS_URL") -> str:
    parsed = urlparse(url)
    if parsed.scheme in {"redis", "rediss"}:
        if not parsed.hostname:
            raise ConfigError(name, f"has no host: {url!r}")
        try:
            parsed.port  # noqa: B018 - raises ValueError on a bad port
        except ValueError:
            raise ConfigError(name, f"has an invalid port: {url!r}") from None
        return url
    if parsed.scheme in {"unix", "redis+socket"} and parsed.path:
        return url
    raise ConfigError(
        name, f"must look like redis://host:port/0 or redis+socket:///path, not {url!r}"
    )


def secret_key_from_data_dir(data_dir: Path) -> str:
    """The generated SECRET_KEY, made once and kept in the data folder (mode 0600)."""
    path = data_dir / "secret_key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        tmp = data_dir / f".secret_key.{os.getpid()}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, secrets.token_urlsafe(64).encode())
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)  # atomic: the first process to get here wins
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip()
