"""Outbound notification channels beside e-mail (webhook, SMS gateway). Each is a class with
``send(notifications)``; ``NOTIFICATION_CHANNELS`` lists the dotted paths of the ones in use."""

from __future__ import annotations

import json
import urllib.request

from django.conf import settings
from django.utils.module_loading import import_string

from tickets.models import Notification


class WebhookChannel:
    """POSTs a JSON batch to ``NOTIFY_WEBHOOK_URL`` (an SMS gateway or chat bot behind it). A non-2xx answer
    or a network error raises, so the task retries."""

    timeout = 10

    def send(self, notifications: list[Notification]) -> None:
        url = settings.NOTIFY_WEBHOOK_URL
        if not url or not notifications:
            return
        payload = {
            "notifications": [
                {
                    "id": n.pk,
                    "recipient": n.recipient.username,
                    "phone": getattr(n.recipient, "phone", ""),
                    "email": n.recipient.email,
                    "kind": n.kind,
                    "title": n.shown_title,
                    "text": n.shown_body,
                    "case": n.ticket.number if n.ticket_id else None,
                    "created_at": n.created_at.isoformat(),
                }
                for n in notifications
            ]
        }
        request = urllib.request.Request(
            url,
            data=json.dumps(payload, ensure_ascii=False).encode(),
            method="POST",
            headers={"Content-Type": "application/json; charset=utf-8"},
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            if not 200 <= response.status < 300:
                raise OSError(f"webhook answered {response.status}")


def channels() -> list:
    return [import_string(path)() for path in settings.NOTIFICATION_CHANNELS]
