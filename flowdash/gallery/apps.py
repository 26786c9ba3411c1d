from django.apps import AppConfig


class GalleryConfig(AppConfig):
    name = "flowdash.gallery"
    label = "gallery"
