"""Indexes for the member list and name search at province scale (see docs/benchmarks.md).

- members_member_order_cover: the list walks members in Vietnamese name order; with the scope
  columns (unit, pending unit) and the search key in the index, skipping to page 500 or filtering
  by name reads only this index, not 25,000 table rows.
- members_member_scope_cover: counting the members of a scope (and searching inside it) reads
  the index entries of the scope's cells only.
- PostgreSQL: a trigram GIN index on the search key serves `search_name LIKE '% word%'`.

Plain SQL rather than Meta.indexes: the trigram index is PostgreSQL-only, and keeping all three
out of the model state keeps `makemigrations` from trying to manage them.
"""

from django.db import migrations

COVERING = [
    ("members_member_order_cover", "(sort_key, id, unit_id, pending_unit_id, search_name)"),
    ("members_member_scope_cover", "(unit_id, pending_unit_id, search_name)"),
]


def create_indexes(apps, schema_editor):
    for name, columns in COVERING:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON members_member {columns}")
    if schema_editor.connection.vendor == "postgresql":
        # pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        schema_editor.execute("CREATE INDEX IF NOT EXISTS members_member_search_trgm "
                              "ON members_member USING gin (search_name gin_trgm_ops)")


def drop_indexes(apps, schema_editor):
    names = [name for name, _ in COVERING]
    if schema_editor.connection.vendor == "postgresql":
        names.append("members_member_search_trgm")
    for name in names:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("members", "0001_initial")]
    operations = [migrations.RunPython(create_indexes, drop_indexes, elidable=False)]
