from django.apps import AppConfig


class SpendingConfig(AppConfig):
    name = "flowdash.spending"
    label = "spending"
    verbose_name = "Spending"
