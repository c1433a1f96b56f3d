"""Who may do what with claims: one place, read by the services, the API and the pages alike.

The permissions themselves are granted per role in ``aftersales.roles.ROLE_PERMISSIONS``:

- ``claims.view_claim``: read claims, returns and statements (the dealer's own, or all for the maker's staff);
- ``claims.submit_claim``: the dealer side — create, correct, submit, appeal, ship old parts, confirm
  statements; only for someone who belongs to a dealer (the claim is that dealer's);
- ``claims.review_claim``: the maker's technical department — decide, return for information, receive and
  appraise old parts; only for the maker's own staff (a dealer's people never judge claims, whatever roles
  they hold);
- ``claims.settle_claim``: finance — issue statements, post to dealer accounts; maker's staff only.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from aftersales.errors import ApplicationError
from aftersales.scoping import viewer

VIEW = "claims.view_claim"
SUBMIT = "claims.submit_claim"
REVIEW = "claims.review_claim"
SETTLE = "claims.settle_claim"

FORBIDDEN = "claim_forbidden"


def _has(user, permission: str) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and user.has_perm(permission))


def can_read(user) -> bool:
    return _has(user, VIEW)


def can_submit(user) -> bool:
    return _has(user, SUBMIT) and viewer(user).dealer_id is not None


def can_review(user) -> bool:
    return _has(user, REVIEW) and viewer(user).everything


def can_settle(user) -> bool:
    return _has(user, SETTLE) and viewer(user).everything


def forbidden(message=None) -> ApplicationError:
    return ApplicationError(FORBIDDEN, message or _("Your role does not allow this."), status=403)


def require(allowed: bool, message=None) -> None:
    if not allowed:
        raise forbidden(message)
