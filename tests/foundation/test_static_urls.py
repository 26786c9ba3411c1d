"""Static file URLs (flowdash.lib.static_files): each worked out once per process, and the
same as whitenoise gives (the hashed name from the manifest), and the plain name under DEBUG."""

import json

from whitenoise.storage import CompressedManifestStaticFilesStorage

from flowdash.lib.static_files import StaticFilesStorage


def storages(tmp_path):
    (tmp_path / "staticfiles.json").write_text(
        json.dumps(
            {
                "version": "1.1",
                "paths": {
                    "css/flowdash.css": "css/flowdash.0a1b2c.css",
                    "js/flowdash.js": "js/flowdash.3d4e.js",
                },
            }
        )
    )
    return StaticFilesStorage(location=tmp_path), CompressedManifestStaticFilesStorage(
        location=tmp_path
    )


def test_each_url_is_the_one_whitenoise_gives(tmp_path, settings):
    settings.DEBUG = False
    ours, theirs = storages(tmp_path)
    for _ in range(2):  # worked out, then kept
        assert ours.url("css/flowdash.css") == "/static/css/flowdash.0a1b2c.css"
        for name in ("css/flowdash.css", "css/flowdash.css#part", "js/flowdash.js"):
            assert ours.url(name) == theirs.url(name)


def test_under_debug_the_plain_name_even_after_a_kept_one(tmp_path, settings):
    ours, _ = storages(tmp_path)
    settings.DEBUG = False
    assert ours.url("css/flowdash.css").endswith(".0a1b2c.css")
    settings.DEBUG = True
    assert ours.url("css/flowdash.css") == "/static/css/flowdash.css"
