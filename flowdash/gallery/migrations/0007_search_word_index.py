"""A word index for the gallery's search, so a rare word is found without reading every row.

The search keeps its meaning (every query word is the start of a word of ``search_text``, see
``MediaQuerySet.matching``); these indexes only find the candidates fast. See gallery/search.py.

- PostgreSQL: a GIN index over the words of ``search_text`` as a tsvector (each word a lexeme
  as it is, cut to 60 characters like a query word: no parser, no stemming). No extension.
- SQLite: an FTS5 table over ``search_text`` (external content: it stores only the index),
  kept by triggers, and an fts5vocab table that tells how many items have a word.
"""

from django.db import migrations

# The expression of flowdash.gallery.search.PG_WORDS_SQL (a test holds the two the same).
PG_WORDS = (
    r"array_to_tsvector(array_remove(string_to_array("
    r"regexp_replace(btrim(search_text), '(\S{60})\S+', '\1', 'g'), ' '), ''))"
)
PG_INDEX = f"CREATE INDEX IF NOT EXISTS media_search_words ON gallery_media USING gin (({PG_WORDS}))"
PG_DROP = "DROP INDEX IF EXISTS media_search_words"

SQLITE_CREATE = [
    # The ascii tokenizer splits only at ASCII characters that are not letters or digits, so
    # its tokens are exactly the space-separated words of search_text (which holds nothing else).
    "CREATE VIRTUAL TABLE IF NOT EXISTS gallery_media_fts USING fts5("
    "search_text, content='gallery_media', content_rowid='id', tokenize='ascii', detail='none')",
    "CREATE VIRTUAL TABLE IF NOT EXISTS gallery_media_fts_vocab "
    "USING fts5vocab(gallery_media_fts, 'row')",
    "CREATE TRIGGER IF NOT EXISTS gallery_media_fts_insert AFTER INSERT ON gallery_media BEGIN "
    "INSERT INTO gallery_media_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS gallery_media_fts_delete AFTER DELETE ON gallery_media BEGIN "
    "INSERT INTO gallery_media_fts(gallery_media_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS gallery_media_fts_update AFTER UPDATE OF search_text "
    "ON gallery_media WHEN old.search_text IS NOT new.search_text BEGIN "
    "INSERT INTO gallery_media_fts(gallery_media_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO gallery_media_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "INSERT INTO gallery_media_fts(gallery_media_fts) VALUES ('rebuild')",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS gallery_media_fts_insert",
    "DROP TRIGGER IF EXISTS gallery_media_fts_delete",
    "DROP TRIGGER IF EXISTS gallery_media_fts_update",
    "DROP TABLE IF EXISTS gallery_media_fts_vocab",
    "DROP TABLE IF EXISTS gallery_media_fts",
]


def run(statements):
    def apply(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        sql = statements.get(vendor, [])
        for statement in [sql] if isinstance(sql, str) else sql:
            schema_editor.execute(statement, params=None)

    return apply


class Migration(migrations.Migration):
    dependencies = [
        ("gallery", "0006_shown_newest_covering_index"),
    ]

    operations = [
        migrations.RunPython(
            run({"postgresql": PG_INDEX, "sqlite": SQLITE_CREATE}),
            run({"postgresql": PG_DROP, "sqlite": SQLITE_DROP}),
        ),
    ]
