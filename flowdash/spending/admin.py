from django.contrib import admin

from flowdash.spending.models import JobCharge, PersonLimit, SpendingPolicy

admin.site.register(JobCharge)
admin.site.register(PersonLimit)
admin.site.register(SpendingPolicy)
