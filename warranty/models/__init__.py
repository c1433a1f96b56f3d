from warranty.models.catalogue import Component, PartPrice, ProductLine, ProductModel
from warranty.models.holidays import HolidaySchedule
from warranty.models.imports import UnitImport, UnitImportError
from warranty.models.parties import Contact, Customer, Site
from warranty.models.policies import PolicyComponentTerm, PolicyVersion, ServiceContract, WarrantyPolicy
from warranty.models.repairs import RepairRecord
from warranty.models.units import Unit

__all__ = [
    "Component",
    "Contact",
    "Customer",
    "HolidaySchedule",
    "PartPrice",
    "PolicyComponentTerm",
    "PolicyVersion",
    "ProductLine",
    "ProductModel",
    "RepairRecord",
    "ServiceContract",
    "Site",
    "Unit",
    "UnitImport",
    "UnitImportError",
    "WarrantyPolicy",
]
