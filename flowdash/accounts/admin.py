from django.contrib import admin

from flowdash.accounts.models import (
    AccountSync,
    Alert,
    CaptchaProviderSnapshot,
    ConnectionCheck,
    FlowAccount,
)


@admin.register(ConnectionCheck)
class ConnectionCheckAdmin(admin.ModelAdmin):
    list_display = ("created_at", "status", "base_url", "account_count", "http_status")
    readonly_fields = [f.name for f in ConnectionCheck._meta.fields]


@admin.register(FlowAccount)
class FlowAccountAdmin(admin.ModelAdmin):
    list_display = (
        "email",
        "state",
        "health",
        "credits",
        "paygate_tier",
        "last_synced_at",
        "removed_at",
    )
    list_filter = ("state",)
    readonly_fields = [f.name for f in FlowAccount._meta.fields]


@admin.register(AccountSync)
class AccountSyncAdmin(admin.ModelAdmin):
    list_display = ("created_at", "status", "account_count", "http_status", "message")
    readonly_fields = [f.name for f in AccountSync._meta.fields]


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ("raised_at", "kind", "subject", "acknowledged_at", "resolved_at")
    list_filter = ("kind",)


@admin.register(CaptchaProviderSnapshot)
class CaptchaProviderSnapshotAdmin(admin.ModelAdmin):
    list_display = ("taken_at", "masked_keys", "free_credits", "error")
    readonly_fields = [f.name for f in CaptchaProviderSnapshot._meta.fields]
