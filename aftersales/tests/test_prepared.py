"""Statements prepared once per database connection (aftersales.prepared): the same answers as the plain
SQL, one statement per run, prepared again on a new connection or after a failed run, off by a setting."""

import pytest
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections
from django.test.utils import CaptureQueriesContext

from aftersales import prepared

pytestmark = pytest.mark.django_db

NAMED = prepared.Statement("SELECT %(a)s::int + %(b)s::int, %(a)s::int * 2, '100%%'")
POSITIONAL = prepared.Statement("SELECT %s::int / %s::int")


def run(statement, params, db=connection):
    with db.cursor() as cursor:
        prepared.execute(cursor, statement, params)
        return cursor.fetchall()


def sent(block, db=connection) -> list[str]:
    with CaptureQueriesContext(db) as captured:
        block()
    return [q["sql"] for q in captured.captured_queries]


@pytest.fixture
def session():
    """A connection of its own: a new server session, with nothing prepared on it yet."""
    db = connections.create_connection(DEFAULT_DB_ALIAS)
    yield db
    db.close()


def test_a_statement_is_prepared_once_per_connection_and_answers_as_the_plain_sql(session):
    first = sent(lambda: run(NAMED, {"a": 2, "b": 3}, session), session)
    assert len(first) == 1 and first[0].startswith("PREPARE ") and "; EXECUTE " in first[0]
    again = sent(lambda: run(NAMED, {"a": 5, "b": 1}, session), session)
    assert len(again) == 1 and again[0].startswith("EXECUTE ")
    assert run(NAMED, {"a": 5, "b": 1}, session) == [(6, 10, "100%")]
    with session.cursor() as cursor:
        cursor.execute(NAMED.sql, {"a": 5, "b": 1})
        assert cursor.fetchall() == [(6, 10, "100%")]
    assert prepared.original(again[0]) == NAMED.sql
    with session.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE name LIKE %s", [NAMED.key + "%"])
        assert cursor.fetchone() == (1,)
    session.close()  # the next server session prepares it again
    assert sent(lambda: run(NAMED, {"a": 1, "b": 1}, session), session)[0].startswith("PREPARE ")


def test_a_prepared_statement_outlives_a_rollback(session):
    statement = prepared.Statement("SELECT %s::int - 1 /* outlives a rollback */")
    with session.cursor() as cursor:
        cursor.execute("BEGIN")
        prepared.execute(cursor, statement, [5])
        assert cursor.fetchall() == [(4,)]
        cursor.execute("ROLLBACK")
    following = sent(lambda: run(statement, [9], session), session)
    assert following == [following[0]] and following[0].startswith("EXECUTE ")
    assert run(statement, [9], session) == [(8,)]


def test_an_execute_that_fails_keeps_the_statement_and_one_that_finds_it_gone_prepares_again(session):
    run(POSITIONAL, [1, 1], session)
    with pytest.raises(DatabaseError):
        run(POSITIONAL, [1, 0], session)  # division by zero: the statement is still there
    assert sent(lambda: run(POSITIONAL, [8, 2], session), session)[0].startswith("EXECUTE ")
    with session.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")  # as a pooler's reset would
    with pytest.raises(DatabaseError):
        run(POSITIONAL, [8, 2], session)
    assert sent(lambda: run(POSITIONAL, [8, 2], session), session)[0].startswith("PREPARE ")
    assert run(POSITIONAL, [8, 2], session) == [(4,)]


def test_a_first_run_that_fails_is_not_taken_as_prepared(session):
    broken = prepared.Statement("SELECT no_such_column FROM aftersales_user WHERE id = %s")
    for _attempt in range(2):
        with pytest.raises(DatabaseError):
            run(broken, [1], session)
    with session.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE name LIKE %s", [broken.key + "%"])
        assert cursor.fetchone() == (0,)
    assert sent(lambda: pytest.raises(DatabaseError, run, broken, [1], session), session)[0].startswith("PREPARE ")


def test_a_raw_queryset_runs_a_prepared_statement():
    from aftersales.models import User

    statement = prepared.Statement("SELECT id, username FROM aftersales_user WHERE username = %(name)s")
    user = User.objects.create_user(username="prepared-raw")
    for _ in range(2):
        with prepared.running(statement) as sql:
            assert [row.pk for row in User.objects.raw(sql, {"name": "prepared-raw"})] == [user.pk]
    assert sql.startswith("EXECUTE ")
    with pytest.raises(ValueError), prepared.running(statement) as sql:
        raise ValueError("the block failed before sending")
    with prepared.running(statement) as sql:
        assert sql.startswith("EXECUTE ")  # still prepared: a failure that is not the statement's keeps it


def test_placeholders_become_numbered_parameters_and_a_literal_percent_stays():
    both = prepared.Statement("SELECT %(a)s::int + %(a)s::int, %(b)s::text, '50%%s'")
    assert both.body == "SELECT $1::int + $1::int, $2::text, '50%%s'"
    assert run(both, {"a": 2, "b": "x"}) == [(4, "x", "50%s")]
    for wrong in ("SELECT %s, %(a)s", "SELECT 5 % 2"):
        with pytest.raises(ValueError):
            prepared.Statement(wrong)


def test_the_setting_off_sends_the_plain_sql(settings):
    settings.DATABASE_PREPARED_STATEMENTS = False
    assert sent(lambda: run(POSITIONAL, [8, 4])) == [POSITIONAL.sql.replace("%s", "8", 1).replace("%s", "4", 1)]
    assert run(POSITIONAL, [8, 4]) == [(2,)]


def test_a_prepared_get_makes_the_instances_the_orm_makes():
    from warranty import coverage
    from warranty.models import Unit
    from warranty.tests.factories import RepairFactory, UnitFactory

    units = coverage.with_coverage_reads(Unit.objects.select_related("customer", "product_model__policy", "policy"))
    one, two = UnitFactory(), UnitFactory()
    RepairFactory(unit=two)
    lookups = prepared.PreparedGet()
    for unit in (one, two, one):
        with CaptureQueriesContext(connection) as captured:
            got = lookups.get("test.units", units, "serial", unit.serial)
        assert len(captured.captured_queries) == 1
        assert "warranty_unit" in prepared.original(captured.captured_queries[0]["sql"])
        expected = units.get(serial=unit.serial)
        assert type(got) is Unit and got.pk == unit.pk and not got._state.adding
        assert [getattr(got, f.attname) for f in Unit._meta.concrete_fields] == [
            getattr(expected, f.attname) for f in Unit._meta.concrete_fields
        ]
        assert got.customer == expected.customer and got.customer.name == expected.customer.name
        assert got.product_model.policy == expected.product_model.policy
        assert (got.policy_stamp, got.contract_ids, got.repair_rows) == (
            expected.policy_stamp,
            expected.contract_ids,
            expected.repair_rows,
        )
        with CaptureQueriesContext(connection) as captured:
            got.customer, got.product_model.policy  # noqa: B018 - read with the unit
        assert not captured.captured_queries
    assert len(coverage.unit_history(lookups.get("test.units", units, "serial", two.serial))) == 1
    RepairFactory(unit=two)  # each lookup reads the rows as they are now
    assert len(coverage.unit_history(lookups.get("test.units", units, "serial", two.serial))) == 2
    with pytest.raises(Unit.DoesNotExist):
        lookups.get("test.units", units, "serial", "NO-SUCH-UNIT")
    with pytest.raises(ValueError):
        lookups.get("test.prefetch", units.prefetch_related("repairs"), "serial", one.serial)
