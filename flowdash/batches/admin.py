from django.contrib import admin

from flowdash.batches.models import Batch, BatchRow

admin.site.register(Batch)
admin.site.register(BatchRow)
