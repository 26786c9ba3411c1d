from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "flowdash.dashboard"
    label = "dashboard"
