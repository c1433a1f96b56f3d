"""The header's search page: cases, units and customers in one place (tickets.search)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from tickets import search as search_selectors
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
