from django.apps import AppConfig


class StatsConfig(AppConfig):
    name = "flowdash.stats"
    label = "stats"
