"""Who may read and who may work on repair cases (pages and API alike)."""

from aftersales.roles import INTERNAL_ROLES, Role

CASE_READERS = (*INTERNAL_ROLES, Role.DEALER_STAFF)
CASE_WRITERS = (
    Role.ADMIN,
    Role.SERVICE_DESK,
    Role.ENGINEER,
    Role.SERVICE_MANAGER,
    Role.DEPARTMENT_MANAGER,
    Role.GENERAL_MANAGER,
    Role.DEALER_STAFF,
)
