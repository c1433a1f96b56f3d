"""Floors of the benchmarks, served only when ``AFTERSALES_BENCH_URLS`` is on (never in production):

- ``/bench/constant/``: a DRF view answering a constant, behind the API's own authentication (token or
  session) and permission classes — what any API request costs before the product does any work;
- ``/bench/queue-empty/``: the case queue page rendered with no rows (same template, navigation, header
  and filter form) — the floor of the queue page.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView


class ConstantView(APIView):
    def get(self, request):
        return Response({"ok": True})

    def post(self, request):
        return Response({"ok": True}, status=201)


@login_required
def queue_empty(request):
    from tickets import transitions
    from tickets.filters import QueueFilter
    from tickets.models import Ticket
    from tickets.views import queue_context

    params = request.GET.copy()
    if not params.get("status"):
        params.setlist("status", list(transitions.OPEN_STATUSES))
    filtered = QueueFilter(params, queryset=Ticket.objects.none())
    page = Paginator([], 50).get_page(1)
    return render(request, "tickets/queue.html", queue_context(request, filtered, page, []))


urlpatterns = [
    path("bench/constant/", ConstantView.as_view(), name="bench-constant"),
    path("bench/queue-empty/", queue_empty, name="bench-queue-empty"),
]
