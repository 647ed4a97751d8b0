"""The webhook endpoint (`triggers.webhooks` verifies). Every refusal is a JSON 4xx and
changes nothing."""

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .. import webhooks

MAX_BODY = 64 * 1024


@csrf_exempt  # authenticated by the HMAC signature, not by a session
@require_POST
def receive(request, uuid):
    body = request.body
    if len(body) > MAX_BODY:
        return JsonResponse(
            {"error": "too_large", "detail": "The body exceeds 64 KiB."}, status=413
        )
    try:
        event = webhooks.webhook_receive(
            trigger_uuid=uuid,
            body=body,
            timestamp=request.headers.get(webhooks.TIMESTAMP_HEADER, ""),
            signature=request.headers.get(webhooks.SIGNATURE_HEADER, ""),
        )
    except webhooks.WebhookRefused as refused:
        return JsonResponse(
            {"error": refused.code, "detail": refused.message}, status=refused.status
        )
    return JsonResponse(
        {"fired": True, "trigger": str(uuid), "event": event.pk, "fired_at": event.fired_at},
        status=202,
    )
