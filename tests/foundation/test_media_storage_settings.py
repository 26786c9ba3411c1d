"""FLOWDASH_MEDIA_STORAGE / FLOWDASH_MEDIA_STORAGE_OPTIONS choose where media is kept."""

from __future__ import annotations

import json

import pytest
from django.conf import settings

from tests.foundation.test_configuration import run_manage

SHOW_STORAGE = (
    "from django.core.files.base import ContentFile; "
    "from django.core.files.storage import default_storage as s; "
    "name = s.save('media/probe.txt', ContentFile(b'x')); "
    "print(type(s._wrapped).__name__, s.url(name), s.exists(name))"
)


def test_by_default_media_is_kept_on_disk_in_the_data_folder(tmp_path):
    result = run_manage(tmp_path, "shell", "-c", SHOW_STORAGE)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].split() == [
        "FileSystemStorage",
        "/media/media/probe.txt",
        "True",
    ]
    assert (tmp_path / "data" / "media" / "media" / "probe.txt").read_bytes() == b"x"


def test_a_storage_class_and_its_options_come_from_the_environment(tmp_path):
    result = run_manage(
        tmp_path,
        "shell",
        "-c",
        SHOW_STORAGE,
        FLOWDASH_MEDIA_STORAGE="django.core.files.storage.InMemoryStorage",
        FLOWDASH_MEDIA_STORAGE_OPTIONS=json.dumps({"base_url": "https://files.example.com/"}),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].split() == [
        "InMemoryStorage",
        "https://files.example.com/media/probe.txt",
        "True",
    ]
    assert not (tmp_path / "data" / "media" / "media" / "probe.txt").exists()


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("FLOWDASH_MEDIA_STORAGE_OPTIONS", '{"bucket_name": "media",}', "is not valid JSON"),
        ("FLOWDASH_MEDIA_STORAGE_OPTIONS", "bucket_name=media", "is not valid JSON"),
        ("FLOWDASH_MEDIA_STORAGE_OPTIONS", '["media"]', "must be a JSON object"),
        ("FLOWDASH_MEDIA_STORAGE", "S3Storage", "dotted path"),
        ("FLOWDASH_MEDIA_STORAGE", "no_such_flowdash_package.Storage", "is not installed"),
    ],
)
def test_an_unusable_storage_setting_stops_with_one_line_naming_it(tmp_path, name, value, words):
    result = run_manage(tmp_path, "check", **{name: value})
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "configuration error" in lines[0] and name in lines[0] and words in lines[0]
    assert "Traceback" not in result.stderr


def test_the_settings_list_both_names_they_read():
    assert {"FLOWDASH_MEDIA_STORAGE", "FLOWDASH_MEDIA_STORAGE_OPTIONS"} <= settings.ENV_NAMES
