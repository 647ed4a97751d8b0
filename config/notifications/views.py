from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from .models import Notification
from .panels import OUTBOX
from .services import notification_resend


def _require_staff(user) -> None:
    if not (user.is_staff or user.is_superuser):
        raise PermissionDenied("The outbox is for staff.")


def outbox(request):
    _require_staff(request.user)
    qs = Notification.objects.select_related("user").order_by("-created_at", "-id")
    state = request.GET.get("state", "")
    if state in Notification.State.values:
        qs = qs.filter(state=state)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/outbox.html",
        {
            "page": page,
            "state": state,
            "states": Notification.State.choices,
            "outbox_slot": OUTBOX,
        },
    )


def detail(request, pk: int):
    _require_staff(request.user)
    notification = get_object_or_404(Notification, pk=pk)
    return render(request, "notifications/detail.html", {"n": notification})


@require_POST
def resend(request, pk: int):
    _require_staff(request.user)
    notification = get_object_or_404(Notification, pk=pk)
    try:
        notification_resend(notification=notification, actor=request.user)
    except ValueError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Email to {notification.recipient} queued again.")
    return redirect("notifications:detail", pk=pk)
