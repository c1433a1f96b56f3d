"""Reads of the dealer directory."""

from __future__ import annotations

from aftersales.scoping import dealer_id_of
from dealers.models import Dealer


def own_dealer(user) -> Dealer | None:
    """The dealer a user works for (None for the manufacturer's staff)."""
    dealer_id = dealer_id_of(user)
    return None if dealer_id is None else Dealer.objects.get(pk=dealer_id)
