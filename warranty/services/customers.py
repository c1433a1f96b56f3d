"""Customers and their sites."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from warranty.models import Customer, Site


@transaction.atomic
def customer_get_or_create(
    *, name: str, phone: str = "", kind: str = Customer.Kind.PERSON, now: datetime | None = None
) -> Customer:
    """The customer with this name and phone, created on first use (the desk and dealers key people so)."""
    customer = Customer.objects.filter(name=name.strip(), phone=phone.strip()).order_by("id").first()
    if customer is None:
        customer = Customer.objects.create(
            name=name.strip(), phone=phone.strip(), kind=kind, created_at=now or timezone.now()
        )
    return customer


@transaction.atomic
def site_get_or_create(*, customer: Customer, address: str, province: str = "", city: str = "") -> Site:
    site = Site.objects.filter(customer=customer, address=address.strip()).order_by("id").first()
    if site is None:
        site = Site.objects.create(
            customer=customer,
            name=address.strip()[:200],
            address=address.strip(),
            province=province.strip(),
            city=city.strip(),
        )
    return site
