from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from claims.models import FlatRate, LabourOperation
from warranty.models import PartPrice


class LabourOperationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LabourOperation

    code = factory.Sequence(lambda n: f"OP{n:04d}")
    description = factory.Sequence(lambda n: f"工序 {n}")


class FlatRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FlatRate

    operation = factory.SubFactory(LabourOperationFactory)
    hours = Decimal("2.00")


class PartPriceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PartPrice

    part_number = factory.Sequence(lambda n: f"P-{n:05d}")
    name = factory.Sequence(lambda n: f"配件 {n}")
    price = Decimal("100.00")
    valid_from = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=365))
