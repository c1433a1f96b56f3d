"""The admin site, closed to anyone bound to a dealer: the admin shows every dealer's rows unscoped, so only
the manufacturer's own staff (and superusers) may enter it, whatever flags or groups a dealer's user has."""

from django.contrib import admin

from aftersales.scoping import viewer


class ProductAdminSite(admin.AdminSite):
    def has_permission(self, request):
        return super().has_permission(request) and viewer(request.user).everything
