from django.contrib import admin

from flowdash.accounts.models import ConnectionCheck


@admin.register(ConnectionCheck)
class ConnectionCheckAdmin(admin.ModelAdmin):
    list_display = ("created_at", "status", "base_url", "account_count", "http_status")
    readonly_fields = [f.name for f in ConnectionCheck._meta.fields]
