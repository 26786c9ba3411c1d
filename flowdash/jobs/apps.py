from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "flowdash.jobs"
    label = "jobs"
