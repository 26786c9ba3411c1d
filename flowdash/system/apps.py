from django.apps import AppConfig


class SystemConfig(AppConfig):
    name = "flowdash.system"
    verbose_name = "The engine (workers, queues, health, metrics)"

    def ready(self) -> None:
        from flowdash.system import checks, signals  # noqa: F401 — registers checks and hooks
