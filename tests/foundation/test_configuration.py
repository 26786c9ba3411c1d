"""Configuration comes from the environment, fails with one clear line, and is safe by default."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_manage(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    environ = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    environ.update({"FLOWDASH_DATA_DIR": str(tmp_path / "data"), **env})
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DATABASE_URL", "mysql://root@localhost/flowdash"),
        ("DATABASE_URL", "not a url"),
        ("REDIS_URL", "http://127.0.0.1:6379"),
        ("REDIS_URL", "redis://127.0.0.1:notaport/0"),
        ("EMAIL_URL", "mailto:admin@example.com"),
        ("EMAIL_URL", "smtp://user:pw@mail.example.com:port"),
    ],
)
def test_an_invalid_url_stops_with_one_line_naming_the_variable(tmp_path, name, value):
    result = run_manage(tmp_path, "check", **{name: value})
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert name in lines[0] and "configuration error" in lines[0]
    assert "Traceback" not in result.stderr


def test_secret_key_is_generated_once_into_the_data_folder_and_kept(tmp_path):
    code = (
        "from django.conf import settings; import hashlib; "
        "print(hashlib.sha256(settings.SECRET_KEY.encode()).hexdigest())"
    )
    first = run_manage(tmp_path, "shell", "-c", code)
    second = run_manage(tmp_path, "shell", "-c", code)
    assert first.returncode == 0, first.stderr
    key_file = tmp_path / "data" / "secret_key"
    assert key_file.exists()
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert len(key_file.read_text().strip()) >= 50
    assert first.stdout == second.stdout  # the same key on the second start


def test_deploy_checks_are_clean_when_debug_is_off(tmp_path):
    result = run_manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING", DEBUG="0")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_a_bad_boolean_names_the_variable(tmp_path):
    result = run_manage(tmp_path, "check", DEBUG="perhaps")
    assert result.returncode != 0
    assert "DEBUG" in result.stderr and "on/off" in result.stderr


def test_email_url_configures_smtp_for_alert_emails():
    from flowdash.lib.email_url import email_settings

    got = email_settings("smtp://alerts%40example.com:p%40ss@mail.example.com:2525")
    assert got["EMAIL_HOST"] == "mail.example.com" and got["EMAIL_PORT"] == 2525
    assert got["EMAIL_HOST_USER"] == "alerts@example.com" and got["EMAIL_HOST_PASSWORD"] == "p@ss"
    assert got["EMAIL_USE_TLS"] and not got["EMAIL_USE_SSL"]
    implicit = email_settings("smtps://mail.example.com")
    assert implicit["EMAIL_PORT"] == 465 and implicit["EMAIL_USE_SSL"]


def test_a_sqlite_database_lets_pages_read_while_a_worker_writes(tmp_path, django_db_blocker):
    """The default SQLite file is in WAL mode: a reader is not blocked by an open write."""
    from django.db.backends.sqlite3.base import DatabaseWrapper

    from flowdash.lib.env import database_config

    config = database_config(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    config.update(TIME_ZONE=None, AUTOCOMMIT=True, ATOMIC_REQUESTS=False)
    config["OPTIONS"]["timeout"] = 1  # fail fast if the reader were blocked
    writer, reader = DatabaseWrapper(config, "writer"), DatabaseWrapper(config, "reader")
    with django_db_blocker.unblock():
        read_while_writing(writer, reader)


def read_while_writing(writer, reader) -> None:
    try:
        with writer.cursor() as cursor:
            cursor.execute("CREATE TABLE job (status TEXT)")
            cursor.execute("INSERT INTO job VALUES ('queued')")
            # A small page cache: the big write below spills to the file before its commit,
            # which in SQLite's old rollback-journal mode locks every reader out.
            cursor.execute("PRAGMA cache_size=10")
        writer.set_autocommit(False)  # the worker's transaction stays open, holding the lock
        with writer.cursor() as cursor:
            cursor.execute("UPDATE job SET status = 'running'")
            cursor.executemany("INSERT INTO job VALUES (%s)", [("x" * 200,)] * 2000)
            with reader.cursor() as read:
                read.execute("SELECT status FROM job LIMIT 1")
                assert read.fetchone()[0] == "queued"  # the last committed state, no wait
                read.execute("PRAGMA journal_mode")
                assert read.fetchone()[0] == "wal"
        writer.commit()
    finally:
        writer.close()
        reader.close()


def _statistics_after_housekeeping(
    tmp_path, blocker, table: str, schema: list[str], rows, explain: str = ""
):
    """Fill a fresh SQLite file (``schema`` statements, then ``rows`` into ``table``), run the
    hourly housekeeping on it and return sqlite_stat1 for ``table``: {index: [numbers]}, and
    with ``explain`` also the planner's plan for that query afterwards (its lines, joined)."""
    from django.db.backends.sqlite3.base import DatabaseWrapper

    from flowdash.lib.database import refresh_statistics
    from flowdash.lib.env import database_config

    config = database_config(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    config.update(TIME_ZONE=None, AUTOCOMMIT=True, ATOMIC_REQUESTS=False)
    db = DatabaseWrapper(config, "housekeeping")
    with blocker.unblock():
        try:
            with db.cursor() as cursor:
                for statement in schema:
                    cursor.execute(statement)
                columns = ", ".join(rows[0])
                marks = ", ".join(["%s"] * len(rows[0]))
                cursor.executemany(
                    f"INSERT INTO {table} ({columns}) VALUES ({marks})",  # noqa: S608 - test names
                    [list(row.values()) for row in rows],
                )
            assert refresh_statistics(db) is True
            with db.cursor() as cursor:
                cursor.execute("SELECT idx, stat FROM sqlite_stat1 WHERE tbl = %s", [table])
                stats = {idx: stat.split() for idx, stat in cursor.fetchall()}
                if not explain:
                    return stats
                cursor.execute(f"EXPLAIN QUERY PLAN {explain}")
                return stats, " / ".join(row[-1] for row in cursor.fetchall())
        finally:
            db.close()


def test_the_hourly_housekeeping_gives_sqlite_planner_statistics(tmp_path, django_db_blocker):
    stats = _statistics_after_housekeeping(
        tmp_path,
        django_db_blocker,
        "media",
        [
            "CREATE TABLE media (id INTEGER PRIMARY KEY, kind TEXT)",
            "CREATE INDEX media_kind ON media (kind)",
        ],
        [{"kind": "video"}, {"kind": "image"}] * 500,
    )
    rows, per_kind = (int(n) for n in stats["media_kind"])
    assert rows >= 400 and per_kind > 1  # estimates (sampled): many rows, few kinds


def test_the_indexes_the_gallery_walks_newest_first_are_measured_exactly(
    tmp_path, django_db_blocker
):
    """Sampled, SQLite's statistics made the gallery's partial newest-first index look bigger
    than the table, and the planner walked another one (reading every item's row); and the
    index by id look smaller, so a search read all of it and sorted it to find where the newest
    items end (0.82 s at a million items)."""
    stats, plan = _statistics_after_housekeeping(
        tmp_path,
        django_db_blocker,
        "gallery_media",
        [
            "CREATE TABLE gallery_media (id INTEGER PRIMARY KEY, created_at TEXT, kind TEXT,"
            " download_status TEXT, archived BOOL)",
            "CREATE INDEX plain_newest ON gallery_media (created_at)",
            "CREATE INDEX shown_newest ON gallery_media (created_at DESC, id DESC)"
            " WHERE NOT archived",
            "CREATE INDEX shown_by_id ON gallery_media (id, created_at, download_status, archived)",
            "CREATE INDEX by_kind ON gallery_media (kind, created_at)",
        ],
        [
            {
                "created_at": f"2026-01-01 {n // 3600:02d}:{n // 60 % 60:02d}:{n % 60:02d}",
                "kind": "video",
                "download_status": "done",
                "archived": 0,
            }
            for n in range(20_000)
        ],
        # Where the newest 2,450 shown items end: the first step of a gallery search.
        explain="SELECT created_at, id FROM gallery_media WHERE NOT archived"
        " ORDER BY 1 DESC, 2 DESC LIMIT 1 OFFSET 2449",
    )
    assert stats["plain_newest"][0] == stats["shown_newest"][0] == "20000"
    assert stats["shown_by_id"][0] == "20000"
    assert stats["by_kind"][0] != "20000"  # the others stay sampled (fast)
    assert "newest" in plan and "TEMP B-TREE" not in plan  # walked newest first, no sort
