"""Compare the gallery's rows with the files in storage; optionally repair what differs."""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand

from flowdash.gallery.services import QUARANTINE, check_storage, repair_storage
from flowdash.lib.leftovers import find_leftovers, remove_leftovers


class Command(BaseCommand):
    help = (
        "Report media rows whose file is missing and files under media/ that no row names. "
        "With --repair: mark missing items lost, forget missing thumbnails (they are made "
        f"again when next shown), and move orphans to {QUARANTINE}/<time>/ (delete that "
        "folder yourself once you are sure). Also lists the temporary files of killed "
        "downloads, uploads and post-production runs (media/tmp/*.part, upload spool files, "
        "flowdash-* in the system temp folder); --repair deletes those older than the grace."
    )

    def add_arguments(self, parser):
        parser.add_argument("--repair", action="store_true", help="fix what the check finds")
        parser.add_argument(
            "--grace-minutes",
            type=int,
            default=60,
            help="files younger than this are not called orphans or stale temporary files (a "
            "download or an upload may be writing them); default 60",
        )

    def handle(self, *args, repair: bool = False, grace_minutes: int = 60, **options):
        grace = timedelta(minutes=grace_minutes)
        report = check_storage(grace=grace)
        stale, recent = find_leftovers(grace)
        out = self.stdout
        out.write(f"Missing files: {len(report.missing)}")
        for media in report.missing:
            out.write(f"  missing  #{media.pk}  {media.file.name or '(no file name)'}")
        out.write(f"Missing thumbnails: {len(report.missing_thumbnails)}")
        for media in report.missing_thumbnails:
            out.write(f"  thumbnail  #{media.pk}  {media.thumbnail.name}")
        out.write(f"Orphan files: {len(report.orphans)}")
        for name in report.orphans:
            out.write(f"  orphan  {name}")
        if report.young_orphans:
            out.write(
                f"Recent files without a row (left alone, may be downloads in progress): "
                f"{len(report.young_orphans)}"
            )
        out.write(f"Stale temporary files: {len(stale)}")
        for item in stale:
            out.write(
                f"  stale  {item.path}  ({item.what}, {item.size} bytes, "
                f"{item.age_seconds / 3600:.1f} h old)"
            )
        if recent:
            out.write(f"Recent temporary files (left alone, may be in use): {len(recent)}")
        if not repair:
            if report.missing or report.orphans or report.missing_thumbnails or stale:
                out.write("Run again with --repair to fix these.")
            else:
                out.write(self.style.SUCCESS("Storage and database agree."))
            return
        moved = repair_storage(report)
        removed = remove_leftovers(stale)
        out.write(
            self.style.SUCCESS(
                f"Repaired: {len(report.missing)} marked lost, "
                f"{len(report.missing_thumbnails)} thumbnails forgotten, "
                f"{len(moved)} orphans moved to {QUARANTINE}/, "
                f"{len(removed)} stale temporary files deleted."
            )
        )
        for name in moved:
            out.write(f"  moved to {name}")
