"""Loading the signed-in person on each request, with their role in the same query."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group
from django.db import connection, connections

from flowdash.lib.database import column_reader
from flowdash.team.roles import ROLES


@cache
def person_sql(database: str, alias: str) -> str:
    """The person's columns (in the order of ``_meta.concrete_fields``) of the user table named
    ``alias`` and, last, their highest role (or NULL), for a SELECT list.

    Written once as SQL: the same query built with the ORM (a subquery, a CASE) took longer to
    compile on every request than the two plain queries it replaces took to run.
    """
    User = get_user_model()
    memberships = User.groups.through._meta
    q = connections[database].ops.quote_name
    rank = " ".join(f"WHEN '{role}' THEN {n}" for n, role in enumerate(ROLES))
    names = ", ".join(f"'{role}'" for role in ROLES)
    user_fk = memberships.get_field(User._meta.model_name).column
    group_fk = memberships.get_field("group").column
    columns = ", ".join(f"{alias}.{q(field.column)}" for field in User._meta.concrete_fields)
    return (
        f"{columns}, (SELECT g.{q('name')} FROM {q(Group._meta.db_table)} g"  # noqa: S608 - names from the models, roles constant
        f" JOIN {q(memberships.db_table)} m ON m.{q(group_fk)} = g.{q('id')}"
        f" WHERE m.{q(user_fk)} = {alias}.{q(User._meta.pk.column)} AND g.{q('name')} IN ({names})"
        f" ORDER BY CASE g.{q('name')} {rank} END LIMIT 1) AS flowdash_role"
    )


@cache
def _user_with_role_sql() -> str:
    User = get_user_model()
    q = connection.ops.quote_name
    return (
        f"SELECT {person_sql(connection.alias, 'u')} FROM {q(User._meta.db_table)} u"  # noqa: S608 - names from the models
        f" WHERE u.{q(User._meta.pk.column)} = %s"
    )


@cache
def _readers() -> list:
    """For each column of the person's row, how the ORM reads it (see column_reader). Kept once
    per process, like the SQL: they depend on the database's kind and the settings."""
    return [column_reader(field) for field in get_user_model()._meta.concrete_fields]


# The person already read with the session, while the middleware asks Django for the request's
# person: (their id, their row as person_sql lists it), or None. See loaded().
_LOADED: ContextVar[tuple[object, list] | None] = ContextVar("flowdash_loaded_person", default=None)


@contextmanager
def loaded(person: tuple[object, list] | None) -> Iterator[None]:
    """While open, get_user takes ``person`` (read by the session's query) when asked for that
    id, instead of reading it again."""
    token = _LOADED.set(person)
    try:
        yield
    finally:
        _LOADED.reset(token)


class RoleBackend(ModelBackend):
    """Django's model backend, except that loading the signed-in person on each request reads
    their role too: one plain query instead of two ORM queries on every page (the menus and
    every permission check need the role), and none when the session's query read them."""

    def get_user(self, user_id):
        User = get_user_model()
        try:
            pk = User._meta.pk.to_python(user_id)
        except Exception:  # noqa: BLE001 - a damaged session: nobody is signed in
            return None
        known = _LOADED.get()
        if known is not None and known[0] == pk:
            row = known[1]
        else:
            with connection.cursor() as cursor:
                cursor.execute(_user_with_role_sql(), [pk])
                row = cursor.fetchone()
        if row is None:
            return None
        # The row as the ORM would turn it into a person (each column through its field's and
        # the database's converters), without a raw queryset's work of matching columns to
        # fields on every request (half the cost of loading the person).
        *values, role = row
        values = [read(value) for read, value in zip(_readers(), values, strict=True)]
        user = User.from_db(
            connection.alias, [f.attname for f in User._meta.concrete_fields], values
        )
        if not self.user_can_authenticate(user):
            return None
        user._flowdash_role = role  # what roles.role_of() reads first
        return user
