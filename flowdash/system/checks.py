"""``manage.py check`` (and every command that runs the checks, e.g. ``runserver``, ``migrate``)
names a media storage that cannot be used before anything is stored in it."""

from __future__ import annotations

from django.core.checks import Error, register

STORAGE_DEADLINE = 8.0


@register("flowdash")
def media_storage_check(app_configs=None, **kwargs) -> list[Error]:
    from django.core.files.storage import FileSystemStorage, storages

    from flowdash.system.readiness import check_parts

    try:
        storage = storages["default"]
    except Exception as exc:  # noqa: BLE001 — a storage that cannot even be made
        return [Error(f"the media storage cannot be set up: {exc}", id="flowdash.E101")]
    if isinstance(storage, FileSystemStorage):
        return []  # nothing to ask over the network; /readyz/ checks the folder
    [part] = check_parts(["storage"], deadline=STORAGE_DEADLINE)
    if part.ok:
        return []
    return [
        Error(
            f"FLOWDASH_MEDIA_STORAGE: {part.detail}",
            hint="See the README, 'Storing media elsewhere (S3-compatible)'.",
            id="flowdash.E100",
        )
    ]
