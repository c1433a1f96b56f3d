from datetime import date, timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from dealers.models import Dealer, DealerMember
from warranty.models import (
    Contact,
    Customer,
    PolicyVersion,
    ProductLine,
    ProductModel,
    RepairRecord,
    ServiceContract,
    Unit,
    WarrantyPolicy,
)
from warranty.services.policies import policy_version_from_preset


class DealerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Dealer

    code = factory.Sequence(lambda n: f"D{n:04d}")
    name = factory.Sequence(lambda n: f"经销商 {n}")


class DealerMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DealerMember

    dealer = factory.SubFactory(DealerFactory)


class PolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WarrantyPolicy

    code = factory.Sequence(lambda n: f"POL{n}")
    name = factory.Sequence(lambda n: f"Policy {n}")
    regime = WarrantyPolicy.Regime.CAR_2021


def version_from_preset(
    policy: WarrantyPolicy, preset: str, *, effective_from=date(2015, 1, 1), version=1, effective_to=None, **overrides
) -> PolicyVersion:
    """A policy version carrying an engine preset's numbers (the statutory defaults)."""
    return policy_version_from_preset(
        policy=policy,
        preset=preset,
        effective_from=effective_from,
        version=version,
        effective_to=effective_to,
        **overrides,
    )


class ProductLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductLine

    code = factory.Sequence(lambda n: f"PL{n}")
    name = factory.Sequence(lambda n: f"Line {n}")


class ProductModelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductModel

    product_line = factory.SubFactory(ProductLineFactory)
    code = factory.Sequence(lambda n: f"M{n}")
    name = factory.Sequence(lambda n: f"Model {n}")
    usage_unit = ProductModel.UsageUnit.KM


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"客户{n}")
    phone = factory.Sequence(lambda n: f"139{n:08d}")
    created_at = factory.LazyFunction(timezone.now)


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    serial = factory.Sequence(lambda n: f"SN{n:010d}")
    product_model = factory.SubFactory(ProductModelFactory)
    customer = factory.SubFactory(CustomerFactory)
    invoice_date = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=30))
    price = Decimal("100000.00")
    registered_at = factory.LazyFunction(timezone.now)


class RepairFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RepairRecord

    unit = factory.SubFactory(UnitFactory)
    confirmed_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=10))
    completed_at = factory.LazyAttribute(lambda repair: repair.confirmed_at + timedelta(hours=20))
    problem_code = "P1"
    created_at = factory.LazyFunction(timezone.now)


class ContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceContract

    number = factory.Sequence(lambda n: f"HT-{n:05d}")
    customer = factory.SubFactory(CustomerFactory)
    policy = factory.SubFactory(PolicyFactory, regime=WarrantyPolicy.Regime.CONTRACT)
    starts_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=100))
    ends_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=265))
    created_at = factory.LazyFunction(timezone.now)


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    customer = factory.SubFactory(CustomerFactory)
    name = factory.Sequence(lambda n: f"联系人{n}")
