"""``python manage.py simulate --port 8765``: run the Google Flow API simulator."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from flowdash.simulator.cli import add_arguments, serve


class Command(BaseCommand):
    help = "Run the simulated useapi.net Google Flow API v1 on 127.0.0.1 until SIGINT/SIGTERM."

    def add_arguments(self, parser: ArgumentParser) -> None:
        add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        serve(options, out=self.stdout)
