"""Run by the PostgreSQL fault test in a subprocess pointed at the private cluster
(``DATABASE_URL``): ``create LABEL COUNT`` makes video jobs, ``state LABEL`` prints the jobs,
their media and the files under the data dir that no row owns, as JSON."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import django


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "flowdash.settings")
    django.setup()
    from django.conf import settings

    from flowdash.assets.models import Asset
    from flowdash.gallery.models import Media
    from flowdash.jobs.models import Job
    from flowdash.jobs.queue import create_job
    from tests.faults.conftest import video_params

    command, label = argv[0], argv[1]
    if command == "create":
        ids = [create_job("video", video_params(f"{label} #{i}")).pk for i in range(int(argv[2]))]
        print(json.dumps(ids))
        return
    jobs = []
    for job in Job.objects.filter(params__prompt__startswith=label).order_by("pk"):
        media = list(Media.objects.filter(job=job))
        jobs.append(
            {
                "id": job.pk,
                "prompt": job.params["prompt"],
                "status": job.status,
                "error": job.error_message,
                "media": len(media),
                "stored": sum(m.download_status == "stored" for m in media),
                "files": sum(
                    bool(m.file) and (Path(settings.MEDIA_ROOT) / m.file.name).is_file()
                    for m in media
                ),
            }
        )
    owned = set()
    for model in (Media, Asset):
        for name, thumb in model.objects.values_list("file", "thumbnail"):
            owned.update(n for n in (name, thumb) if n)
    root = Path(settings.MEDIA_ROOT)
    leftovers = sorted(
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.is_file() and str(p.relative_to(root)) not in owned
    )
    print(json.dumps({"jobs": jobs, "leftovers": leftovers}))


if __name__ == "__main__":
    main(sys.argv[1:])
