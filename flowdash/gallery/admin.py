from django.contrib import admin

from flowdash.gallery.models import Collection, CollectionItem, Lineage, Media, Tag


@admin.register(Media)
class MediaAdmin(admin.ModelAdmin):
    list_display = ("pk", "kind", "origin", "model", "created_by", "created_at", "download_status")
    list_filter = ("kind", "origin", "download_status")
    search_fields = ("prompt", "name", "media_generation_id")
    raw_id_fields = ("job", "asset", "account", "created_by")
    readonly_fields = ("search_text",)


class CollectionItemInline(admin.TabularInline):
    model = CollectionItem
    raw_id_fields = ("media", "added_by")
    extra = 0


@admin.register(Collection)
class CollectionAdmin(admin.ModelAdmin):
    list_display = ("name", "created_by", "created_at")
    raw_id_fields = ("cover", "created_by")
    inlines = [CollectionItemInline]


admin.site.register(Tag)
admin.site.register(Lineage)
