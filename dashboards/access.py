"""Who may open which dashboard. What they then see is scoped by aftersales.scoping (a dealer's people see
their dealer's figures only)."""

from aftersales.roles import MANAGER_ROLES, Role

# SLA and service quality: the managers, the quality manager, the desk, admins, and dealers for themselves.
DASHBOARD_VIEWERS = frozenset({*MANAGER_ROLES, Role.QUALITY_MANAGER, Role.ADMIN, Role.SERVICE_DESK, Role.DEALER_STAFF})
# Recurring-fault warnings are the manufacturer's quality review (the technical department reads them too).
WARNING_VIEWERS = frozenset({*MANAGER_ROLES, Role.QUALITY_MANAGER, Role.ADMIN, Role.CLAIMS_REVIEWER})
WARNING_HANDLERS = frozenset({*MANAGER_ROLES, Role.QUALITY_MANAGER, Role.ADMIN})
# Claims and dealers (filled by the dealer-claims app): reviewers and finance work on claims; dealers see
# their own scorecard only.
CLAIMS_VIEWERS = frozenset({*MANAGER_ROLES, Role.ADMIN, Role.CLAIMS_REVIEWER, Role.FINANCE, Role.DEALER_STAFF})
SCORECARD_VIEWERS = frozenset({*MANAGER_ROLES, Role.QUALITY_MANAGER, Role.ADMIN, Role.DEALER_STAFF})
