from django.shortcuts import render
from django.views.decorators.http import require_GET


@require_GET
def studio_view(request):
    return render(request, "jobs/studio.html")


@require_GET
def jobs_list_view(request):
    return render(request, "jobs/list.html")
