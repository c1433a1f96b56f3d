"""The header's search page: cases, units and customers in one place (tickets.search)."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aftersales.api.validation import whole_number
from aftersales.decorators import role_required
from tickets import search as search_selectors
from tickets.models import SavedQueueView
from tickets.roles import CASE_READERS


@login_required
def search(request):
    q = search_selectors.clean(request.GET.get("q", ""))
    found = {"cases": [], "units": [], "customers": []}
    if request.user.has_role(*CASE_READERS):
        found = search_selectors.search(user=request.user, q=q)
    return render(
        request,
        "tickets/search.html",
        {"q": q, "found": found, "too_short": 0 < len(q) < 2, "any": any(found.values())},
    )


# Queue parameters a saved view keeps (the page number and the sort are not part of a filter).
SAVED_PARAMS = (
    "q",
    "status",
    "severity",
    "engineer",
    "outlet",
    "customer",
    "unit",
    "channel",
    "sla_state",
    "due_before",
    "product_line",
    "province",
    "sla_policy",
    "figure",
)


@role_required(*CASE_READERS)
@require_POST
def queue_views(request):
    """Save the queue's current filters under a name (``name`` + ``query``), or delete one (``delete``)."""
    mine = SavedQueueView.objects.filter(user=request.user)
    if request.POST.get("delete"):
        raw = request.POST["delete"]
        pk = whole_number(raw)
        deleted = mine.filter(pk=pk).delete()[0] if pk else 0
        if deleted:
            messages.success(request, _("The saved view was deleted."))
        return redirect("tickets:queue")
    name = " ".join(request.POST.get("name", "").split())[:60]
    submitted = QueryDict(request.POST.get("query", "")[:1000])
    query = urlencode([(key, value) for key in SAVED_PARAMS for value in submitted.getlist(key) if value])
    if not name:
        messages.error(request, _("Give the view a name."))
        return redirect(f"{reverse('tickets:queue')}?{query}")
    if len(query) > SavedQueueView._meta.get_field("query").max_length:
        messages.error(request, _("These filters are too long to be saved as a view."))
        return redirect(reverse("tickets:queue"))
    try:
        with transaction.atomic():
            SavedQueueView.objects.create(user=request.user, name=name, query=query, created_at=timezone.now())
    except IntegrityError:
        mine.filter(name=name).update(query=query)
    messages.success(request, _("Saved as “%(name)s”.") % {"name": name})
    return redirect(f"{reverse('tickets:queue')}?{query}")
