from django.apps import AppConfig


class BatchesConfig(AppConfig):
    name = "flowdash.batches"
    label = "batches"

    def ready(self) -> None:
        from flowdash.batches import signals  # noqa: F401 — connects the worker's top-up
        from flowdash.batches.services import reserved_credits
        from flowdash.spending.budget import register_reservations

        # A started batch's rows not released yet count against their person's day.
        register_reservations(reserved_credits)
