"""Database housekeeping that the project's own schedule runs (see CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

# Rows SQLite samples per index: the figures are estimates, made in milliseconds even on a
# gallery of 100,000 items, and good enough for the planner to choose between indexes.
SQLITE_ANALYSIS_LIMIT = 400


def refresh_statistics(connection: BaseDatabaseWrapper) -> bool:
    """Give SQLite's query planner current table statistics; True when it ran.

    SQLite never gathers them by itself: without them a filter on favourites and a tag was
    planned from the wrong end (three times slower). PostgreSQL's autovacuum keeps its own.
    """
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA analysis_limit={SQLITE_ANALYSIS_LIMIT}")
        cursor.execute("ANALYZE")
    return True
