from django.contrib import admin

from flowdash.spending.models import JobCharge, PersonLimit, SpendingPolicy

admin.site.register(JobCharge)
admin.site.register(PersonLimit)


@admin.register(SpendingPolicy)
class SpendingPolicyAdmin(admin.ModelAdmin):
    """One policy row (pk 1, edited on the Spending page): never a second one."""

    def has_add_permission(self, request) -> bool:
        return False
