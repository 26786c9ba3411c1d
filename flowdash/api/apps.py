from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "flowdash.api"
    label = "api"
    verbose_name = "REST API and API keys"
