from rest_framework import permissions


def roles_may_write(*roles: str) -> type[permissions.BasePermission]:
    """Everyone signed in may read (the queryset is scoped by selectors); only these roles may write."""

    class RolesMayWrite(permissions.BasePermission):
        message = "Your role does not allow this change."

        def has_permission(self, request, view):
            if not request.user or not request.user.is_authenticated:
                return False
            return request.method in permissions.SAFE_METHODS or request.user.has_role(*roles)

    RolesMayWrite.__name__ = f"RolesMayWrite({', '.join(roles)})"
    return RolesMayWrite
