"""Who may see what, decided in one place.

Every read a user asks for goes through :func:`scope_for` — selectors, pages, API views, and every id or
serial resolved from input (serializer fields, form fields, import rows). The rule:

- the manufacturer's own staff (an internal role and no dealer membership) and superusers see every row;
- anyone who belongs to a dealer sees only rows of that dealer, whatever roles they also hold (an outlet's
  engineer is the dealer's, not the manufacturer's);
- anyone else sees nothing.

So another dealer's object answers exactly like an object that does not exist: the lookup runs against a
queryset that does not contain it.

Apps say how their models belong to a dealer with :func:`dealer_rule` (a function from a dealer id to a
``Q``), or mark reference data every signed-in user may read with :func:`shared`. Several apps may add to one
model's rule — a unit is the dealer's when it sold it (warranty) or serves it on a case (tickets) — and the
parts are OR-ed, so code depends one way (an app adds to the models below it, never the reverse). A model
with neither is refused loudly for dealer users: forgetting a rule must not open a table.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, Q, QuerySet
from django.db.models.expressions import RawSQL

DealerCondition = Callable[[int], Q]

_rules: dict[type[Model], list[DealerCondition]] = defaultdict(list)
_shared: set[type[Model]] = set()


class ScopeNotDeclared(LookupError):
    """A dealer-scoped lookup on a model that has no dealer rule and is not shared reference data."""


def dealer_rule(model: type[Model]) -> Callable[[DealerCondition], DealerCondition]:
    """Register ``condition(dealer_id) -> Q``: the rows of ``model`` that belong to that dealer."""

    def register(condition: DealerCondition) -> DealerCondition:
        _rules[model].append(condition)
        return condition

    return register


def shared(*models: type[Model]) -> None:
    """Reference data (catalogue, price list, policies) that every signed-in user may read."""
    _shared.update(models)


@dataclass(frozen=True)
class Viewer:
    """What a user may see: ``everything``, one dealer's rows (``dealer_id``), or nothing."""

    everything: bool = False
    dealer_id: int | None = None

    @property
    def nothing(self) -> bool:
        return not self.everything and self.dealer_id is None


def viewer(user) -> Viewer:
    """The user's scope, computed once per user object (a request's user is one object)."""
    cached = getattr(user, "_viewer_scope", None)
    if cached is not None:
        return cached
    from aftersales.roles import INTERNAL_ROLES

    if user is None or not user.is_authenticated or not user.is_active:
        scope = Viewer()
    elif user.is_superuser:
        scope = Viewer(everything=True)
    else:
        dealer_id = _dealer_and_roles(user)
        if dealer_id is not None:
            scope = Viewer(dealer_id=dealer_id)
        elif user.has_role(*INTERNAL_ROLES):
            scope = Viewer(everything=True)
        else:
            scope = Viewer()
    if user is not None and getattr(user, "pk", None) is not None:
        user._viewer_scope = scope
    return scope


def _viewer_sql(user_id: str) -> tuple[str, str]:
    """The user's dealer id and the names of its groups as two scalar subqueries, for the user whose id is
    the SQL expression ``user_id``."""
    user = get_user_model()._meta
    membership = user.get_field("dealer_membership")
    groups = user.get_field("groups")
    through = groups.remote_field.through._meta
    quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
    member_of = quote(membership.field.column)
    dealer = quote(membership.related_model._meta.get_field("dealer").column)
    dealer_sql = (
        f"(SELECT m.{dealer} FROM {quote(membership.related_model._meta.db_table)} m WHERE m.{member_of} = {user_id})"
    )
    groups_sql = f"""ARRAY(SELECT g.{quote(groups.related_model._meta.get_field("name").column)}
                       FROM {quote(through.db_table)} ug
                       JOIN {quote(groups.related_model._meta.db_table)} g
                         ON g.{quote(groups.related_model._meta.pk.column)} = ug.{quote(groups.m2m_reverse_name())}
                      WHERE ug.{quote(groups.m2m_column_name())} = {user_id})"""
    return dealer_sql, groups_sql


@functools.cache
def _dealer_and_roles_sql() -> str:
    """The user's dealer and role group names in one statement, written out once: the ORM's query (a join
    to the membership and the groups, an ARRAY_AGG) cost every request more to build than to run."""
    dealer_sql, groups_sql = _viewer_sql("%(user)s")
    return f"SELECT {dealer_sql}, {groups_sql}"


def viewer_columns(user_id: str) -> dict[str, RawSQL]:
    """The user's dealer id (``viewer_dealer``) and group names (``viewer_groups``) as columns of a query
    that reads the user, whose id is the SQL expression ``user_id``: an API request's token lookup reads them
    with the token (``keep_viewer``), so its role check and its scope cost no statement of their own."""
    dealer_sql, groups_sql = _viewer_sql(user_id)
    return {"viewer_dealer": RawSQL(dealer_sql, ()), "viewer_groups": RawSQL(groups_sql, ())}


def keep_viewer(user, dealer_id: int | None, groups) -> None:
    """What ``_dealer_and_roles`` would read for ``user``, read with it (``viewer_columns``)."""
    from aftersales.roles import Role

    names = set(groups)
    user._roles = [role.value for role in Role if role.value in names]
    user._dealer_id = dealer_id


def _dealer_and_roles(user) -> int | None:
    """The user's dealer id, reading the role groups in the same query: ``User.roles`` reads them through
    here, so a request's role check and its scope cost one query between them (kept per user object, as
    the roles and the scope are). Always on the primary: who sees what never from a replica that may lag."""
    if hasattr(user, "_dealer_id") and hasattr(user, "_roles"):
        return user._dealer_id
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(_dealer_and_roles_sql(), {"user": user.pk})
        dealer_id, groups = cursor.fetchone()
    roles = getattr(user, "_roles", None)
    keep_viewer(user, dealer_id, groups)
    if roles is not None:
        user._roles = roles  # roles set on the object already stay as they are
    return user._dealer_id


def read_roles(user) -> None:
    """Read the user's role groups (``user._roles``) with its dealer membership, for the scope to reuse."""
    _dealer_and_roles(user)


def dealer_id_of(user) -> int | None:
    """The dealer a user belongs to (None for the manufacturer's staff)."""
    return viewer(user).dealer_id


def dealer_condition(model: type[Model], dealer_id: int) -> Q:
    """The rows of ``model`` that belong to dealer ``dealer_id`` (every app's part of the rule, OR-ed)."""
    rules = _rules.get(model)
    if not rules:
        raise ScopeNotDeclared(f"{model._meta.label} has no dealer rule; declare one with dealer_rule() or shared()")
    condition = Q()
    for rule in rules:
        condition |= rule(dealer_id)
    return condition


def scope_for(user, queryset: QuerySet) -> QuerySet:
    """``queryset`` narrowed to the rows ``user`` may see."""
    scope = viewer(user)
    model = queryset.model
    if scope.everything:
        return queryset
    if scope.nothing:
        return queryset.none()
    if model in _shared:
        return queryset
    return queryset.filter(dealer_condition(model, scope.dealer_id))


def in_dealer_scope(model: type[Model], dealer_id: int, *, field: str = "pk") -> Q:
    """``field`` points at a row of ``model`` that belongs to the dealer — for rules that follow a relation
    (a case's follow-ups belong to whoever the case belongs to)."""
    rows = model._default_manager.filter(dealer_condition(model, dealer_id)).values("pk")
    return Q(**{f"{field}__in": rows})
