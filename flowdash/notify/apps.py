from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "flowdash.notify"
    label = "notify"
    verbose_name = "Notifications"
