from django.shortcuts import render
from django.views.decorators.http import require_GET


@require_GET
def gallery_view(request):
    return render(request, "gallery/index.html")
