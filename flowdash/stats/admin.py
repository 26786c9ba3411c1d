from django.contrib import admin

from flowdash.stats.models import CaptchaStatsSnapshot, LoadSnapshot


@admin.register(LoadSnapshot)
class LoadSnapshotAdmin(admin.ModelAdmin):
    list_display = ("taken_at", "http_status", "error")


@admin.register(CaptchaStatsSnapshot)
class CaptchaStatsSnapshotAdmin(admin.ModelAdmin):
    list_display = ("taken_at", "query_key", "total", "scheduled", "error")
