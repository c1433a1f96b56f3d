"""How warranty rows belong to a dealer (see ``aftersales.scoping``): a unit is the dealer's when it sold it;
a customer, site or contract when one of the dealer's units points at it."""

from django.db.models import Exists, OuterRef, Q

from aftersales.scoping import dealer_condition, dealer_rule, in_dealer_scope, shared
from warranty.models import (
    Component,
    Contact,
    Customer,
    PartPrice,
    PolicyComponentTerm,
    PolicyVersion,
    ProductLine,
    ProductModel,
    RepairRecord,
    ServiceContract,
    Site,
    Unit,
    UnitImport,
    WarrantyPolicy,
)

# The catalogue, the price list and the warranty terms are the same for everyone.
shared(ProductLine, ProductModel, Component, PartPrice, WarrantyPolicy, PolicyVersion, PolicyComponentTerm)


def dealer_units(dealer_id: int, **relation) -> Exists:
    """Some unit of the dealer's stands in ``relation`` (e.g. ``customer=OuterRef("pk")``) to the row."""
    return Exists(Unit.objects.filter(**relation).filter(dealer_condition(Unit, dealer_id)))


@dealer_rule(Unit)
def unit_sold_by(dealer_id: int) -> Q:
    return Q(selling_dealer_id=dealer_id)


@dealer_rule(Customer)
def customer_of_dealer_units(dealer_id: int) -> Q:
    return Q(dealer_units(dealer_id, customer=OuterRef("pk")))


@dealer_rule(Site)
def site_of_dealer_units(dealer_id: int) -> Q:
    return Q(dealer_units(dealer_id, site=OuterRef("pk")))


@dealer_rule(ServiceContract)
def contract_of_dealer_units(dealer_id: int) -> Q:
    return Q(dealer_units(dealer_id, contracts=OuterRef("pk")))


@dealer_rule(Contact)
def contact_of_dealer_customers(dealer_id: int) -> Q:
    return in_dealer_scope(Customer, dealer_id, field="customer")


@dealer_rule(RepairRecord)
def repair_of_dealer_units(dealer_id: int) -> Q:
    return in_dealer_scope(Unit, dealer_id, field="unit")


@dealer_rule(UnitImport)
def import_of_dealer(dealer_id: int) -> Q:
    return Q(dealer_id=dealer_id)
