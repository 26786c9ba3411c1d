from django.shortcuts import render
from django.views.decorators.http import require_GET


@require_GET
def load_balancing_view(request):
    return render(request, "stats/load_balancing.html")


@require_GET
def captcha_view(request):
    return render(request, "stats/captcha.html")
