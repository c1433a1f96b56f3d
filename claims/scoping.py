"""How claims rows belong to a dealer (see ``aftersales.scoping``): a claim, a return batch, a statement and
an account are the claimant dealer's; whatever hangs off one follows it. Claim types, reason codes, labour
operations, flat rates and programmes are the same for everyone."""

from django.db.models import Q

from aftersales.scoping import dealer_rule, in_dealer_scope, shared
from claims.models import (
    AccountEntry,
    Claim,
    ClaimAttachment,
    ClaimCheck,
    ClaimEvent,
    ClaimLine,
    ClaimProgramme,
    ClaimRequestKey,
    ClaimSubmission,
    ClaimType,
    DealerAccount,
    FlatRate,
    LabourOperation,
    ReasonCode,
    RequiredDocument,
    ReturnBatch,
    ReturnItem,
    SettlementLine,
    SettlementStatement,
)

shared(ClaimType, ReasonCode, LabourOperation, FlatRate, ClaimProgramme, RequiredDocument)


@dealer_rule(Claim)
def claim_of_dealer(dealer_id: int) -> Q:
    return Q(dealer_id=dealer_id)


@dealer_rule(ReturnBatch)
def return_of_dealer(dealer_id: int) -> Q:
    return Q(dealer_id=dealer_id)


@dealer_rule(SettlementStatement)
def statement_of_dealer(dealer_id: int) -> Q:
    return Q(dealer_id=dealer_id)


@dealer_rule(DealerAccount)
def account_of_dealer(dealer_id: int) -> Q:
    return Q(dealer_id=dealer_id)


def _follows(model, field: str):
    def condition(dealer_id: int) -> Q:
        return in_dealer_scope(model, dealer_id, field=field)

    return condition


for _model in (ClaimLine, ClaimSubmission, ClaimCheck, ClaimAttachment, ClaimEvent, ClaimRequestKey):
    dealer_rule(_model)(_follows(Claim, "claim"))
dealer_rule(ReturnItem)(_follows(ReturnBatch, "batch"))
dealer_rule(SettlementLine)(_follows(SettlementStatement, "statement"))
dealer_rule(AccountEntry)(_follows(DealerAccount, "account"))
