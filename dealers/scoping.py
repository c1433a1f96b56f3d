"""How the dealer directory belongs to a dealer (see ``aftersales.scoping``): a dealer sees itself and its
own people only."""

from django.contrib.auth import get_user_model
from django.db.models import Q

from aftersales.scoping import dealer_rule
from dealers.models import Dealer, DealerMember


@dealer_rule(Dealer)
def dealer_itself(dealer_id: int) -> Q:
    return Q(pk=dealer_id)


@dealer_rule(DealerMember)
def member_of_dealer(dealer_id: int) -> Q:
    return Q(dealer_id=dealer_id)


@dealer_rule(get_user_model())
def user_of_dealer(dealer_id: int) -> Q:
    return Q(dealer_membership__dealer_id=dealer_id)
