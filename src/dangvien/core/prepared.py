"""Reads the ORM writes once and a hot page runs many times.

Django compiles a queryset to SQL at every evaluation: 0.2–0.5 ms of Python for a read by key that
SQLite answers in 0.02 ms. A page that makes ten such reads for every request (the handbook home,
issue 11) spends most of its time writing the SQL it wrote for the request before. `Prepared` asks
the ORM for the SQL once per database, with marker numbers where the caller's values go, then only
executes it: the SQL stays the ORM's (the fields, joins, quoting and dialect of each database) and
the rows still go through the ORM's converters (dates on SQLite, decimals), as `values_list()`
returns them.

A prepared read's values are whole numbers (ids, years) or strings (a key): their markers reach
the SQL parameters unchanged on every database, where a date would first be adapted. A read that
needs the model instance selects `record_columns(model)` first and makes it with `record_from_row`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)

# Markers, told apart from the query's own constants: negative numbers that no id or year takes,
# inside a 32-bit column's range (on PostgreSQL the ORM turns a comparison with a value out of the
# column's range into "matches nothing", and the marker would be lost); strings no key holds.
_MARKER_BASE = -1_987_654_320


def _marker(kind: type, position: int) -> int | str:
    if kind is int:
        return _MARKER_BASE - position
    if kind is str:
        return f"\x1f(prepared value {position})\x1f"
    raise TypeError(f"a prepared read takes whole numbers and strings, not {kind.__name__}")


@dataclass(frozen=True)
class _Compiled:
    # The ORM's SQLCompiler, kept to convert the rows as the queryset would. Its converters only
    # read the database's operations and settings, so one compiled in one thread serves all.
    compiler: Any
    sql: str
    params: list[Any]
    slots: list[int | None]  # for each parameter, which of the caller's values goes there (None: a constant)
    converters: dict[int, Any]  # the compiler's converters of the columns, found once (results_iter finds them each time)


class Prepared:
    """A `values_list()` queryset compiled once per database: `Prepared(build, takes=(int, str))(x, y)`
    returns the rows `build(x, y)` would, as tuples. For a page every user loads all the time
    (handbook/selectors.py `handbook_home`), not as the way to read: a queryset is clearer, and
    `build` must not depend on anything but its arguments (no clock, no settings, no scope)."""

    def __init__(self, build: Callable[..., QuerySet], *, takes: tuple[type, ...]):
        self._build = build
        self._markers = [_marker(kind, position) for position, kind in enumerate(takes)]
        self._takes = takes
        self._compiled: dict[str, _Compiled] = {}

    def __call__(self, *values: int | str, using: str = "default") -> list[tuple]:
        if len(values) != len(self._takes) or any(type(v) is not t for v, t in zip(values, self._takes, strict=False)):
            expected = ", ".join(kind.__name__ for kind in self._takes)
            raise TypeError(f"this prepared read takes ({expected}), not {values!r}")
        compiled = self._compiled.get(using) or self._compile(using)
        # A parameter keeps the type the ORM gave the marker (psycopg's Int4 for a cast, say).
        bound = [param if slot is None else type(param)(values[slot])
                 for param, slot in zip(compiled.params, compiled.slots, strict=True)]
        with connections[using].cursor() as cursor:
            cursor.execute(compiled.sql, bound)
            rows = cursor.fetchall()
        compiler = compiled.compiler
        if compiler.has_extra_select:  # columns the SQL needs for its ordering only, as the ORM drops them
            rows = [row[:compiler.col_count] for row in rows]
        if compiled.converters:
            return [tuple(row) for row in compiler.apply_converters(rows, compiled.converters)]
        return rows

    def _compile(self, using: str) -> _Compiled:
        markers = self._markers
        compiler = self._build(*markers).query.get_compiler(using)
        sql, params = compiler.as_sql()
        slots = [markers.index(p) if isinstance(p, int | str) and p in markers else None for p in params]
        if set(range(len(markers))) - set(slots):  # a value the ORM dropped or adapted on the way
            raise ValueError(f"a prepared read's values must reach the SQL as they are: {sql!r} {params!r}")
        columns = [selected[0] for selected in compiler.select[:compiler.col_count]]
        if compiler.has_composite_fields(columns):  # a composite key's columns, which results_iter would pair up
            raise ValueError("a prepared read selects plain columns, not a composite primary key")
        compiled = _Compiled(compiler, sql, list(params), slots, compiler.get_converters(columns))
        self._compiled[using] = compiled
        return compiled


@cache
def record_columns(model: type[Model]) -> tuple[str, ...]:
    """Every column of the model's rows, in the order `record_from_row` takes them."""
    return tuple(field.attname for field in model._meta.concrete_fields)


def record_from_row(model: type[M], row: Sequence[Any]) -> M:
    """The model instance of a prepared row that starts with `record_columns(model)` (the columns
    after them are the caller's), as the ORM would have loaded it."""
    columns = record_columns(model)
    return model.from_db(DEFAULT_DB_ALIAS, list(columns), row[:len(columns)])
