"""Reads of the dealer directory."""

from __future__ import annotations

from aftersales.scoping import dealer_id_of
from dealers.models import Dealer


def own_dealer(user) -> Dealer | None:
    """The dealer a user works for (None for the manufacturer's staff)."""
    dealer_id = dealer_id_of(user)
    return None if dealer_id is None else Dealer.objects.get(pk=dealer_id)


def member_user_ids(dealer_id: int, *, role: str | None = None) -> list[int]:
    """Active users who work for the dealer (optionally only those holding ``role``)."""
    from aftersales.models import User

    users = User.objects.filter(dealer_membership__dealer_id=dealer_id, is_active=True)
    if role:
        users = users.filter(groups__name=role)
    return list(users.order_by("id").values_list("id", flat=True).distinct())
