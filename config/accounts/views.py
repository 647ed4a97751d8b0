from django.shortcuts import render


def profile(request):
    tokens = request.user.api_tokens.order_by("-created_at")
    return render(request, "accounts/profile.html", {"tokens": tokens})
