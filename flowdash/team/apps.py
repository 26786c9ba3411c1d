from django.apps import AppConfig


class TeamConfig(AppConfig):
    name = "flowdash.team"
    label = "team"
    verbose_name = "Team and roles"
