"""Fast inserts of plain rows, for the bulk writers (demo generator, member import) that write
thousands of rows in one transaction and still go through their own permission and audit logic."""

from __future__ import annotations

import datetime as dt
import json
import operator
from typing import Any

import orjson
from django.db import connection, models
from django.db.models.expressions import RawSQL
from django.db.models.fields import AutoFieldMixin
from django.utils import timezone


def bulk_insert(model: Any, rows: list[dict[str, Any]]) -> None:
    """Insert plain rows (attname -> value): COPY on PostgreSQL, executemany elsewhere.

    Model.objects.bulk_create spends most of its time building Model instances and preparing each
    value through the field API (and on SQLite it is held to 999 parameters a statement); the
    columns here are plain text, numbers, dates and one JSON column, adapted once per type.
    Missing values take the field's default; auto_now(_add) columns get the time of the run; when
    the rows carry no primary key, the database assigns it.
    """
    if not rows:
        return
    now = timezone.now()
    generated_pk = model._meta.pk.attname not in rows[0] and isinstance(model._meta.pk, AutoFieldMixin)
    fields = [f for f in model._meta.concrete_fields if not (f.primary_key and generated_pk)]
    postgres = connection.vendor == "postgresql"
    # Stamped columns go last: one value for every row, appended as is.
    given = [f for f in fields if not _stamped(f)]
    stamped = [f for f in fields if _stamped(f)]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in (*given, *stamped))
    table = connection.ops.quote_name(model._meta.db_table)
    adapt = _row_adapter(given, stamped, now, postgres)
    tuples = (adapt(row) for row in rows)
    with connection.cursor() as cursor:
        if postgres:
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for values in tuples:
                    copy.write_row(values)
        else:
            marks = ", ".join(["%s"] * len(fields))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", list(tuples))


def _stamped(f: Any) -> bool:
    return isinstance(f, models.DateTimeField) and bool(f.auto_now or f.auto_now_add)


def _row_adapter(given: list[Any], stamped: list[Any], now: dt.datetime, postgres: bool) -> Any:
    """A function from a row dict to its column values. A row holding every column is read with one
    itemgetter call and only the columns that need it are converted (a province import adapts
    millions of values); a row missing some takes the defaults, column by column."""
    stamp = now if postgres else connection.ops.adapt_datetimefield_value(now)
    tail = [stamp] * len(stamped)
    names = [f.attname for f in given]
    getter = operator.itemgetter(*names) if len(names) > 1 else (lambda row: (row[names[0]],))
    converters = [(i, convert) for i, f in enumerate(given) if (convert := _converter(f, postgres)) is not None]
    by_column = [_adapter(f, now, postgres) for f in (*given, *stamped)]

    def adapt(row: dict[str, Any]) -> list[Any]:
        try:
            values = [*getter(row), *tail]
        except KeyError:
            return [adapt_column(row) for adapt_column in by_column]
        for i, convert in converters:
            values[i] = convert(values[i])
        return values

    return adapt


# The standard library's encoder, for what orjson refuses (an integer over 64 bits).
_JSON = json.JSONEncoder(ensure_ascii=False)


def _json_text(value: Any) -> str:
    """A JSON column's text (compact; the database reads it as any JSON). An empty dict (most
    events' details) needs no encoder."""
    if type(value) is dict and not value:
        return "{}"
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return _JSON.encode(value)


def _converter(f: Any, postgres: bool) -> Any:
    """How a column's value is sent (None: as it is); the same conversions as _adapter."""
    if isinstance(f, models.JSONField):
        # None in a nullable JSON column is SQL NULL, as the ORM stores it, not the JSON text null.
        return lambda v: None if v is None and f.null else _json_text(v)
    if isinstance(f, models.DateTimeField) and not postgres:
        return _sqlite_datetime()
    if isinstance(f, models.DateField) and not postgres:
        return lambda v: None if v is None else v.isoformat()
    return None


def _sqlite_datetime() -> Any:
    """Django's own SQLite form of a datetime (naive UTC text), so ordering and lookups in SQL stay
    right. The last conversion is kept: a bulk writer often stamps every row with one time."""
    last: list[Any] = [None, None]

    def convert(v: Any) -> Any:
        if v is None:
            return None
        if v is not last[0]:
            last[:] = [v, connection.ops.adapt_datetimefield_value(v)]
        return last[1]

    return convert


def _adapter(f: Any, now: dt.datetime, postgres: bool) -> Any:
    name = f.attname
    if _stamped(f):
        stamp = now if postgres else connection.ops.adapt_datetimefield_value(now)
        return lambda row: stamp
    default = f.get_default() if f.has_default() else (None if f.null else "")
    if isinstance(f, models.JSONField):
        # None in a nullable JSON column is SQL NULL, as the ORM stores it, not the JSON text null.
        return lambda row: (None if (v := row.get(name, default)) is None and f.null
                            else json.dumps(v, ensure_ascii=False))
    if isinstance(f, models.DateTimeField) and not postgres:
        return lambda row: None if (v := row.get(name)) is None else connection.ops.adapt_datetimefield_value(v)
    if isinstance(f, models.DateField) and not postgres:
        return lambda row: None if (v := row.get(name)) is None else v.isoformat()
    return lambda row: row.get(name, default)


def bulk_update(model: Any, rows: list[dict[str, Any]], fields: list[str], *, increment: str = "") -> None:
    """Set `fields` on each row's record (rows: attname -> value, primary key included) in one
    executemany UPDATE; auto_now columns get the time of the run, and `increment` names an integer
    column raised by one on each row (a version: every write bumps it)."""
    if not rows:
        return
    by_name = {f.attname: f for f in model._meta.concrete_fields}
    chosen = [by_name[name] for name in fields]
    stamped = [f for f in model._meta.concrete_fields
               if isinstance(f, models.DateTimeField) and f.auto_now and f.attname not in fields]
    quote = connection.ops.quote_name
    assignments = [f"{quote(f.column)} = %s" for f in (*chosen, *stamped)]
    if increment:
        assignments.append(f"{quote(by_name[increment].column)} = {quote(by_name[increment].column)} + 1")
    pk = model._meta.pk
    now = timezone.now()
    params = [[f.get_db_prep_save(row[f.attname], connection) for f in chosen]
              + [f.get_db_prep_save(now, connection) for f in stamped] + [row[pk.attname]] for row in rows]
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {quote(model._meta.db_table)} SET {', '.join(assignments)} "
                           f"WHERE {quote(pk.column)} = %s", params)


def id_runs(ids: list[int]) -> list[list[int]]:
    """Sorted ids as [first, last] runs of consecutive values: [1, 2, 3, 7] -> [[1, 3], [7, 7]]."""
    runs: list[list[int]] = []
    for pk in sorted(ids):
        if runs and pk == runs[-1][1] + 1:
            runs[-1][1] = pk
        else:
            runs.append([pk, pk])
    return runs


def reserve_ids(model: Any, count: int) -> list[int]:
    """Primary keys for rows about to be inserted (events and audit rows need the members' ids
    before the insert, and COPY returns none; an audit row's MAC covers its own number)."""
    if not count:
        return []
    table = model._meta.db_table
    column = model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # From the table's own sequence, so concurrent inserts elsewhere never collide (its name
            # looked up once, not once a value).
            cursor.execute("SELECT nextval(s) FROM (SELECT pg_get_serial_sequence(%s, %s)::regclass AS s) q, "
                           "generate_series(1, %s) ORDER BY 1", [table, column, count])
            return [pk for (pk,) in cursor.fetchall()]
        # SQLite: the transaction holds the database's write lock (BEGIN IMMEDIATE in settings),
        # so no one else can insert between this read and our insert.
        # AUTOINCREMENT tables never reuse an id: start past the highest ever given (sqlite_sequence),
        # not just past the highest still there, or a new member would inherit a deleted one's history.
        quote = connection.ops.quote_name
        cursor.execute(f"SELECT MAX(COALESCE((SELECT MAX({quote(column)}) FROM {quote(table)}), 0), "
                       "COALESCE((SELECT seq FROM sqlite_sequence WHERE name = %s), 0))", [table])
        first = cursor.fetchone()[0] + 1
        return list(range(first, first + count))


def one_parameter(values: list[Any], *, sql_type: str = "text") -> RawSQL:
    """The right-hand side of an `__in` filter on a text column (or `sql_type`: "bigint" for keys),
    sent as one parameter (an array on PostgreSQL, a JSON array on SQLite): Django prepares and binds
    each value of an `__in` list one by one, which costs more than the query when a bulk writer looks
    up thousands of identifiers."""
    if sql_type not in ("text", "bigint"):
        raise ValueError(f"one_parameter: unsupported type {sql_type!r}")
    if connection.vendor == "postgresql":
        return RawSQL(f"SELECT unnest(%s::{sql_type}[])", [values])
    return RawSQL("SELECT value FROM json_each(%s)", [json.dumps(values)])
