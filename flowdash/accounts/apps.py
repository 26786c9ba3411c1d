from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class AccountsConfig(AppConfig):
    name = "flowdash.accounts"
    label = "accounts"
    verbose_name = "Google Flow accounts and API access"

    def ready(self):
        from flowdash.accounts.connection import forget_masked_token
        from flowdash.accounts.models import ApiToken

        post_save.connect(forget_masked_token, sender=ApiToken, dispatch_uid="masked-token-save")
        post_delete.connect(forget_masked_token, sender=ApiToken, dispatch_uid="masked-token-del")
