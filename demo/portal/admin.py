from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import DailyHit, Dataset, Favourite

admin.site.site_header = _("Open data · back office")
admin.site.site_title = _("Open data back office")
admin.site.index_title = _("Back office")


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    list_display = ("title_fr", "slug", "theme", "publisher", "updated")
    list_filter = ("theme",)
    search_fields = ("title_fr", "title_en", "slug")
    prepopulated_fields = {"slug": ("title_fr",)}


@admin.register(Favourite)
class FavouriteAdmin(admin.ModelAdmin):
    list_display = ("user", "dataset", "created")
    list_select_related = ("user", "dataset")


@admin.register(DailyHit)
class DailyHitAdmin(admin.ModelAdmin):
    list_display = ("day", "path", "count")
    date_hierarchy = "day"
    # Counters are written by the audience endpoint only.
    readonly_fields = ("day", "path", "count")

    def has_add_permission(self, request) -> bool:
        return False
