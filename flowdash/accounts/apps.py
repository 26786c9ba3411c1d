from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "flowdash.accounts"
    label = "accounts"
    verbose_name = "Google Flow accounts and API access"
