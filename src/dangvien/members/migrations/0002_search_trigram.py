"""PostgreSQL: a trigram GIN index on the search key serves `search_name LIKE '% word%'` (each
query word matched as a word prefix) without a scan of every member (docs/benchmarks.md).
SQLite has no such index; there the covering index makes the scan read the index only."""

from django.db import migrations


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        schema_editor.execute("CREATE INDEX IF NOT EXISTS members_member_search_trgm "
                              "ON members_member USING gin (search_name gin_trgm_ops)")


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS members_member_search_trgm")


class Migration(migrations.Migration):
    dependencies = [("members", "0001_initial")]
    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
