from django.apps import AppConfig


class PostprodConfig(AppConfig):
    name = "flowdash.postprod"
    label = "postprod"
    verbose_name = "Post-production"
