from django.apps import AppConfig


class AssetsConfig(AppConfig):
    name = "flowdash.assets"
    label = "assets"
    verbose_name = "Assets"
