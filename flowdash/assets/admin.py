from django.contrib import admin

from flowdash.assets.models import Asset, AssetUpload


class AssetUploadInline(admin.TabularInline):
    model = AssetUpload
    extra = 0
    readonly_fields = ["account", "media_generation_id", "uploaded_at"]


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "content_type",
        "width",
        "height",
        "size",
        "uploaded_by",
        "created_at",
    ]
    search_fields = ["original_name", "sha256"]
    inlines = [AssetUploadInline]
