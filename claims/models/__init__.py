from claims.models.claims import (
    Claim,
    ClaimAttachment,
    ClaimCheck,
    ClaimEvent,
    ClaimLine,
    ClaimRequestKey,
    ClaimSubmission,
)
from claims.models.config import (
    ClaimProgramme,
    ClaimType,
    DocumentKind,
    FlatRate,
    LabourOperation,
    ReasonCode,
    RequiredDocument,
)
from claims.models.returns import ReturnBatch, ReturnItem
from claims.models.settlement import AccountEntry, DealerAccount, SettlementLine, SettlementStatement

__all__ = [
    "AccountEntry",
    "Claim",
    "ClaimAttachment",
    "ClaimCheck",
    "ClaimEvent",
    "ClaimLine",
    "ClaimProgramme",
    "ClaimRequestKey",
    "ClaimSubmission",
    "ClaimType",
    "DealerAccount",
    "DocumentKind",
    "FlatRate",
    "LabourOperation",
    "ReasonCode",
    "RequiredDocument",
    "ReturnBatch",
    "ReturnItem",
    "SettlementLine",
    "SettlementStatement",
]
