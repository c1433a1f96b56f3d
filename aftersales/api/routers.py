"""The API's router: a viewset looked up by its numeric primary key only matches digits in the URL, so
``/tickets/abc/`` (or an id no bigint holds) is a 404 from the URL resolver, never a 500 from a query."""

from rest_framework.routers import SimpleRouter

# 18 digits always fit a PostgreSQL bigint (its maximum has 19).
ID_REGEX = "[0-9]{1,18}"


class Router(SimpleRouter):
    def get_lookup_regex(self, viewset, lookup_prefix=""):
        if getattr(viewset, "lookup_value_regex", None) is None and getattr(viewset, "lookup_field", "pk") in (
            "pk",
            "id",
        ):
            lookup_url_kwarg = getattr(viewset, "lookup_url_kwarg", None) or viewset.lookup_field
            return f"(?P<{lookup_prefix}{lookup_url_kwarg}>{ID_REGEX})"
        return super().get_lookup_regex(viewset, lookup_prefix)
